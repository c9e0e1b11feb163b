from django.urls import path

from chat.gateway import embeddings_view, pages, views

urlpatterns = [
    path("v1/models", views.models, name="v1-models"),
    path("v1/chat/completions", views.chat_completions, name="v1-chat-completions"),
    path("v1/embeddings", embeddings_view.embeddings, name="v1-embeddings"),
    path("v1/<path:rest>", views.unknown),
    path("profile/tokens", pages.tokens_page, name="tokens"),
    path("profile/tokens/<int:token_id>/revoke", pages.revoke_token, name="token-revoke"),
    path("usage/", pages.usage_page, name="usage"),
    path("usage.csv", pages.usage_csv, name="usage-csv"),
]
