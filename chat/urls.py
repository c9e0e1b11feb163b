from django.urls import include, path

from chat import collection_views, image_views, preference_views, views
from chat.mcp import views as mcp_views

urlpatterns = [
    path("", views.playground, name="playground"),
    path("c/<int:conversation_id>/", views.playground, name="conversation-page"),
    path("api/conversations", views.conversations, name="api-conversations"),
    path("api/code", views.next_code, name="api-next-code"),
    path("api/providers", views.providers, name="api-providers"),
    path("api/images", image_views.upload, name="api-images"),
    path("api/images/<int:attachment_id>", image_views.image, name="api-image"),
    path("api/images/generations", image_views.generate, name="api-image-generations"),
    path("api/preferences", preference_views.preferences, name="api-preferences"),
    path("api/conversations/import", collection_views.import_file, name="api-conversations-import"),
    path("api/conversations/delete", collection_views.delete_many, name="api-conversations-delete"),
    path("api/conversations/<int:conversation_id>", views.conversation, name="api-conversation"),
    path("api/conversations/<int:conversation_id>/pin", collection_views.pin, name="api-conversation-pin"),
    path("api/conversations/<int:conversation_id>/fork", views.fork, name="api-fork"),
    path("api/conversations/<int:conversation_id>/export.json", views.export_json, name="api-export-json"),
    path("api/conversations/<int:conversation_id>/export.md", views.export_markdown, name="api-export-md"),
    path("api/conversations/<int:conversation_id>/code", views.code, name="api-code"),
    path("", include("chat.experiments.urls")),
    path("", include("chat.library_urls")),
    path("", include("chat.embeddings.urls")),
    path("", include("chat.workbench.urls")),
    path("api/mcp/servers", mcp_views.servers, name="api-mcp-servers"),
    path("api/mcp/servers/<str:slug>/always", mcp_views.always_allow, name="api-mcp-always"),
]
