"""The rows of suggestions beside the annotation screen's text."""

from __future__ import annotations

from django import template

from annotate.labelling.rendering import suggestion_rows

register = template.Library()


@register.simple_tag(takes_context=True)
def suggestion_row_list(context, rows: list, urls: dict) -> str:
    """annotate.labelling.rendering.suggestion_rows, with the page's CSRF token."""
    return suggestion_rows(
        rows,
        accept_url=urls["accept"],
        dismiss_url=urls["dismiss"],
        csrf_token=str(context.get("csrf_token", "")),
    )
