from django.urls import include, path

from chat.gateway import pages

urlpatterns = [
    path("", include("chat.gateway.api_urls")),
    path("profile/tokens", pages.tokens_page, name="tokens"),
    path("profile/tokens/<int:token_id>/revoke", pages.revoke_token, name="token-revoke"),
    path("usage/", pages.usage_page, name="usage"),
    path("usage.csv", pages.usage_csv, name="usage-csv"),
]
