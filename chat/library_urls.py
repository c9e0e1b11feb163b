from django.urls import path

from chat import library_views as views

urlpatterns = [
    path("api/toolsets", views.collection, {"kind": "toolsets"}, name="api-toolsets"),
    path("api/toolsets/<int:pk>", views.item, {"kind": "toolsets"}, name="api-toolset"),
    path("api/schemas", views.collection, {"kind": "schemas"}, name="api-schemas"),
    path("api/schemas/<int:pk>", views.item, {"kind": "schemas"}, name="api-schema"),
    path("api/check/tool", views.check, {"kind": "tool"}, name="api-check-tool"),
    path("api/check/schema", views.check, {"kind": "schema"}, name="api-check-schema"),
]
