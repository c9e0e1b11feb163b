"""Single sign-on with OpenID Connect, through mozilla-django-oidc (on when OIDC_RP_CLIENT_ID is set).

mozilla-django-oidc is one authentication backend and two views: it adds a way
in and leaves local accounts and the admin as they are (django-allauth would
bring its own account pages and flows, more than a sign-in button needs).
A user is found by e-mail, created with the `preferred_username` claim as
username, and on every sign-in, where configured, made staff or not by
OIDC_STAFF_CLAIM and put in the groups OIDC_GROUPS_CLAIM names (groups that
exist; others are ignored).
"""
from django.conf import settings
from django.contrib.auth.models import Group
from mozilla_django_oidc.auth import OIDCAuthenticationBackend


def _truthy(value) -> bool:
    return value is True or str(value).lower() in ("1", "true", "yes")


class TeamOIDCBackend(OIDCAuthenticationBackend):
    def get_username(self, claims) -> str:
        name = claims.get("preferred_username") or claims.get("email", "").split("@")[0]
        return name[:150] or super().get_username(claims)

    def create_user(self, claims):
        user = self.UserModel.objects.create_user(self.get_username(claims), email=claims.get("email", ""))
        return self.update_user(user, claims)

    def update_user(self, user, claims):
        staff_claim, groups_claim = settings.OIDC_STAFF_CLAIM, settings.OIDC_GROUPS_CLAIM
        if staff_claim and user.is_staff != _truthy(claims.get(staff_claim)):
            user.is_staff = _truthy(claims.get(staff_claim))
            user.save(update_fields=["is_staff"])
        if groups_claim:
            names = claims.get(groups_claim) or []
            user.groups.set(Group.objects.filter(name__in=names if isinstance(names, list) else [names]))
        return user
