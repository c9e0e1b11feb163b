"""The profile page where a user makes and revokes their personal API tokens."""
from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from chat.gateway import tokens
from chat.gateway.models import ApiToken


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100)
    expires_days = forms.IntegerField(min_value=1, max_value=3650, required=False, label="Expires after (days)",
                                      help_text="Empty: never.")
    allowed = forms.CharField(required=False, label="Only these providers or models",
                              help_text="Comma-separated: provider slugs or provider/model names. Empty: all.")

    def allowed_list(self) -> list[str]:
        return [item.strip() for item in self.cleaned_data["allowed"].split(",") if item.strip()]


@login_required
def tokens_page(request):
    """GET: the user's tokens; POST: a new one, shown on this answer only."""
    form, new_token = TokenForm(request.POST or None), None
    if request.method == "POST" and form.is_valid():
        _, new_token = tokens.create(request.user, form.cleaned_data["name"], form.cleaned_data["expires_days"],
                                     form.allowed_list())
        form = TokenForm()
    rows = ApiToken.objects.filter(user=request.user)
    base_url = request.build_absolute_uri("/v1")
    response = render(request, "gateway/tokens.html",
                      {"form": form, "new_token": new_token, "tokens": rows, "base_url": base_url})
    response["Cache-Control"] = "no-store"  # the new token must not stay in a cache
    return response


@login_required
@require_POST
def revoke_token(request, token_id: int):
    tokens.revoke(get_object_or_404(ApiToken, pk=token_id, user=request.user))
    return redirect("tokens")
