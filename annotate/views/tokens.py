"""The user's own page of personal API tokens: make one (shown once), see when each
was last used, revoke any."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from annotate.models import ApiToken
from annotate.views.htmx import HtmxHttpRequest


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="What it is for, e.g. “scraper on the lab server”."
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Name the token.")
        return name


@never_cache
@require_http_methods(["GET", "POST"])
def api_tokens(request: HtmxHttpRequest) -> HttpResponse:
    tokens = ApiToken.objects.filter(user=request.user)
    form = TokenForm(request.POST if request.POST.get("action") == "create" else None)
    new_token = ""
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            token = tokens.filter(pk=_int(request.POST.get("id"))).first()
            if token is None:
                messages.error(request, "No such token of yours.")
            else:
                token.revoke()
                messages.success(request, f"Revoked “{token.name}”.")
            return redirect("annotate:api-tokens")
        if form.is_valid():
            row, new_token = ApiToken.objects.issue(
                user=request.user, name=form.cleaned_data["name"]
            )
            form = TokenForm()
    status = 400 if form.is_bound and form.errors else 200
    context = {"tokens": tokens, "form": form, "new_token": new_token}
    return render(request, "annotate/api_tokens.html", context, status=status)


def _int(value: str | None) -> int:
    return int(value) if value and value.isdigit() and len(value) < 19 else 0
