"""Sign-in throttling with django-axes, by username and address together.

Too many wrong passwords for one username from one address lock that pair
out for a cool-off; the same user signing in from elsewhere is not affected,
so nobody can lock a teammate out from their own machine.
"""
from math import ceil

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import render
from django.utils import timezone


class SignInThrottle(AxesStandaloneBackend):
    """Axes' check for every sign-in that comes with a request (forms, admin); code without one is not a client."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def client_address(request) -> str:
    """The address the sign-in came from: behind the HTTPS proxy, the one it appended to X-Forwarded-For."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if settings.BEHIND_HTTPS_PROXY and forwarded:
        return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def minutes_left(username: str, address: str) -> int:
    """Whole minutes until this username may sign in again from this address."""
    cool_off = get_cool_off()
    last = (AccessAttempt.objects.filter(username=username, ip_address=address)
            .order_by("-attempt_time").values_list("attempt_time", flat=True).first())
    left = (last + cool_off - timezone.now()) if last else cool_off
    return max(1, ceil(left.total_seconds() / 60))


def locked_out(request, response=None, credentials=None):
    """The sign-in page again (HTTP 429), saying the account is locked out here and for how long."""
    username = request.POST.get("username", "")
    context = {"form": AuthenticationForm(request, initial={"username": username}),
               "next": request.POST.get("next") or request.GET.get("next", ""),
               "locked_out_minutes": minutes_left(username, client_address(request))}
    return render(request, "registration/login.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)
