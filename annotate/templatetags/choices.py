"""The label buttons of a stance or a source row on the annotation screen."""

from __future__ import annotations

from html import escape

from django import template
from django.utils.safestring import mark_safe

from annotate.models import Label

register = template.Library()


@register.simple_tag
def choice_buttons(labels: list[Label], chosen_id: int | None, editable: bool) -> str:
    """One submit button per label, the chosen one marked. Built here rather than in a
    template loop: a long article cites a dozen sources, and the loop over their
    buttons cost more than the rest of the screen's template."""
    disabled = "" if editable else " disabled"
    buttons = []
    for label in labels:
        chosen = " chosen" if label.pk == chosen_id else ""
        # The choice made is told by aria-pressed as well as by its colour and weight.
        pressed = "true" if chosen else "false"
        if (
            label.kind == Label.Kind.RELIABILITY
        ):  # the scale's number, its name on hover and to a screen reader
            caption = "" if label.value is None else str(label.value)
            title = f' title="{escape(f"{label.name}: {label.description}")}"'
            title += f' aria-label="{escape(f"{caption} {label.name}".strip())}"'
        else:
            caption, title = label.name, ""
        buttons.append(
            f'<button type="submit" name="label" value="{label.pk}" class="choice l-{label.pk}{chosen}"'
            f' aria-pressed="{pressed}" data-key="{escape(label.shortcut)}"{title}{disabled}>{escape(caption)}</button>'
        )
    return mark_safe("".join(buttons))  # every piece of text above was escaped
