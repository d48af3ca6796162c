"""What every htmx screen answers with, in one place: the typed request, the flash
line (an error after a refused change, a notice after a stale one), a form's errors
as one message, fragments with the flash line out of band, and redirects that work
with and without htmx."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget
from django_htmx.middleware import HtmxDetails

FLASH_TEMPLATE = "annotate/_flash.html"
REFUSED_TEMPLATE = "annotate/refused.html"


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def form_problems(form: forms.Form) -> str:
    """Every field that was wrong and why, in one line."""
    problems = []
    for name, errors in form.errors.items():
        for error in errors:
            problems.append(error if name == "__all__" else f"{name}: {error}")
    return "; ".join(problems)


def flash_error(request: HtmxHttpRequest, message: str, *, status: int) -> HttpResponse:
    """An error shown in the screen's flash line (htmx) or as a page of the app."""
    context = {"message": message, "level": "error"}
    if not request.htmx:
        return render(request, REFUSED_TEMPLATE, context, status=status)
    response = render(request, FLASH_TEMPLATE, context, status=status)
    return reswap(retarget(response, "#flash"), "outerHTML")


def refused(request: HtmxHttpRequest, form: forms.Form) -> HttpResponse:
    """400 naming what was wrong in the posted form."""
    return flash_error(request, form_problems(form), status=400)


def flash_oob(
    request: HtmxHttpRequest, message: str, level: str, *, oob: bool = True
) -> str:
    """The flash line as an out-of-band fragment: always sent with a screen's
    fragments, so an old message goes (`oob` False: as the answer's own content)."""
    context = {"message": message, "level": level, "oob": oob}
    return render_to_string(FLASH_TEMPLATE, context, request)


def back_with_message(
    request: HtmxHttpRequest, message: str, level: str, to: str, **kwargs
) -> HttpResponse:
    """Without htmx: back to the screen (URL name `to`), the message as a message."""
    if message:
        level_of = messages.ERROR if level == "error" else messages.INFO
        messages.add_message(request, level_of, message)
    return redirect(to, **kwargs)


def go(request: HtmxHttpRequest, url: str) -> HttpResponse:
    """Go to `url`: a client redirect for htmx, a plain one otherwise."""
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


STALE_PAGE = (
    "This page is out of date: you logged in again in another tab, or it was open "
    "for a long time. Reload it and try again; what you saved before is kept."
)


def csrf_failure(request: HtmxHttpRequest, reason: str = "") -> HttpResponse:
    """A post refused by the CSRF check (settings.CSRF_FAILURE_VIEW). Django's own page
    carries an inline <style> that the CSP blocks, and htmx would swap that whole
    page into the screen: htmx gets the flash line, a plain post a page of ours."""
    if getattr(request, "htmx", False):
        return flash_error(request, STALE_PAGE, status=403)
    return render(request, "403_csrf.html", {"message": STALE_PAGE}, status=403)
