"""Template context every page may need."""
from django.conf import settings


def sign_in(request) -> dict:
    """Whether the sign-in page offers single sign-on (OpenID Connect is configured)."""
    return {"single_sign_on": bool(settings.OIDC_RP_CLIENT_ID)}
