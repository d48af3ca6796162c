"""Formatting of agreement figures for the statistics and source pages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def score(value: float | None, digits: int = 3) -> str:
    """A coefficient to `digits` places, or a dash where it is undefined."""
    if value is None:
        return "—"
    return f"{value:.{digits}f}"


@register.filter
def percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"
