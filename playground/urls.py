"""URL routes: the admin, sign-in, and each app's own routes."""
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import JsonResponse
from django.urls import include, path
from django.views import defaults

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("chat.urls")),
    path("", include("chat.gateway.urls")),
]
if settings.OIDC_RP_CLIENT_ID:  # single sign-on: /oidc/authenticate/ and /oidc/callback/
    urlpatterns.append(path("oidc/", include("mozilla_django_oidc.urls")))


def server_error(request):
    """A crash (logged with its traceback) tells the caller only that it happened: JSON for the API."""
    if request.path.startswith("/api/"):
        return JsonResponse({"error": "The server failed on this request; the failure is logged."}, status=500)
    return defaults.server_error(request)


handler500 = server_error
