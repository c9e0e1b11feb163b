"""The /v1/ routes alone: the gateway's handler resolves against this list (chat/gateway/asgi.py), the site's
URLconf includes it."""
from django.urls import path

from chat.gateway import embeddings_view, views

urlpatterns = [
    path("v1/models", views.models, name="v1-models"),
    path("v1/chat/completions", views.chat_completions, name="v1-chat-completions"),
    path("v1/embeddings", embeddings_view.embeddings, name="v1-embeddings"),
    path("v1/<path:rest>", views.unknown),
]
