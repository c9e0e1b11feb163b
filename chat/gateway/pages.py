"""Pages: a user's personal API tokens (made, shown once, revoked) and the usage page with its CSV."""
import csv
from datetime import timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from chat.gateway import charts as charts_module
from chat.gateway import quotas, reports, tokens
from chat.gateway.models import ApiToken


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100)
    expires_days = forms.IntegerField(min_value=1, max_value=3650, required=False, label="Expires after (days)",
                                      help_text="Empty: never.")
    allowed = forms.CharField(required=False, label="Only these providers or models",
                              help_text="Comma-separated: provider slugs or provider/model names. Empty: all.")

    def allowed_list(self) -> list[str]:
        return [item.strip() for item in self.cleaned_data["allowed"].split(",") if item.strip()]


NEW_TOKEN = "gateway_new_token"  # the session key that carries a new token to the page showing it once


@login_required
def tokens_page(request):
    """GET: the user's tokens (and a token just made, once); POST: make one, then show it on the page redirected to,
    so reloading that page neither shows it again nor makes another."""
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _, request.session[NEW_TOKEN] = tokens.create(request.user, form.cleaned_data["name"],
                                                      form.cleaned_data["expires_days"], form.allowed_list())
        return redirect("tokens")
    rows = ApiToken.objects.filter(user=request.user)
    base_url = request.build_absolute_uri("/v1")
    response = render(request, "gateway/tokens.html", {"form": form, "new_token": request.session.pop(NEW_TOKEN, None),
                                                       "tokens": rows, "base_url": base_url})
    response["Cache-Control"] = "no-store"  # the new token must not stay in a cache
    return response


@login_required
@require_POST
def revoke_token(request, token_id: int):
    tokens.revoke(get_object_or_404(ApiToken, pk=token_id, user=request.user))
    return redirect("tokens")


# Usage ------------------------------------------------------------------------------------------

DAYS = 30


def _usage_scope(request) -> tuple[bool, int]:
    """(team view?, days): the team's usage is for admins only."""
    team = request.GET.get("scope") == "team"
    if team and not request.user.is_staff:
        raise PermissionDenied("Only admins see the team's usage.")
    try:
        days = min(366, max(1, int(request.GET.get("days") or DAYS)))
    except ValueError:
        days = DAYS
    return team, days


def _usage_rows(request):
    team, days = _usage_scope(request)
    since = quotas.day_start(timezone.now()) - timedelta(days=days - 1)
    return team, days, since, reports.rows(since, None if team else request.user)


@login_required
def usage_page(request):
    """Requests, tokens and cost per day, model, provider and user; what is left of each quota."""
    team, days, since, found = _usage_rows(request)
    summary = reports.summary(found)
    per_day = {row["key"]: row for row in summary["day"]}
    dates = [(since + timedelta(days=n)).date() for n in range(days)]
    charts = [charts_module.bars(title, [(d.isoformat(), per_day.get(d, {}).get(field, 0)) for d in dates], unit)
              for title, field, unit in (("Requests per day", "requests", ""), ("Tokens per day", "tokens", ""),
                                         ("Cost per day (USD)", "cost", " USD"))]
    people = _standings(request.user, team)
    return render(request, "gateway/usage.html", {
        "team": team, "days": days, "charts": charts, "summary": summary, "people": people,
        "is_admin": request.user.is_staff, "csv_query": request.GET.urlencode()})


def _standings(user, team: bool) -> list[tuple[str, list]]:
    if not team:
        return [(user.get_username(), quotas.standings(user))]
    users = get_user_model().objects.filter(is_active=True).order_by("username")
    return [(person.get_username(), standing) for person in users if (standing := quotas.standings(person))]


@login_required
def usage_csv(request):
    team, days, since, found = _usage_rows(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="usage-{"team" if team else "mine"}-{days}d.csv"'
    writer = csv.writer(response)
    writer.writerow(reports.COLUMNS)
    for row in found:
        writer.writerow(row.values())
    return response
