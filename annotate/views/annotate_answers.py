"""How the annotation screen answers a change: the labelling action run, then only
the fragments it changed (the first swapped into the request's target, the others
out of band), of the text only the blocks and span rows that differ from what the
screen showed, and always the flash line."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpResponse
from django.template.loader import render_to_string
from django_htmx.http import reswap, retarget, trigger_client_event

from annotate.access import ProjectAccess
from annotate.labelling import changes as labelling
from annotate.labelling.drawing import Shown, shown_before
from annotate.labelling.screen import PART_OF_FRAGMENT, TEXT, screen_context
from annotate.models import Assignment
from annotate.views.forms import AssignmentForm
from annotate.views.htmx import (
    HtmxHttpRequest,
    back_with_message,
    flash_error,
    flash_oob,
)

TEMPLATE = "annotate/annotate.html"
TEXT_FRAGMENTS = ("doc-text", "span-list")
EVERY_FRAGMENT = ("doc-text", "span-list", "stance-panel", "source-panel")
STALE_NOTICE = "Another tab changed this document too; the screen now shows both."


def apply_change(
    request: HtmxHttpRequest,
    access: ProjectAccess,
    assignment: Assignment,
    form: AssignmentForm,
    action,
    /,
    *,
    fragments: tuple[str, ...] | Callable[[Any], tuple[str, ...]] = TEXT_FRAGMENTS,
    event: str = "spansChanged",
    notice: Callable[[Any], str] | None = None,
    **arguments,
) -> HttpResponse:
    """Run a labelling action and answer with the fragments it changed. A reviewed
    assignment refuses with a 409 in the flash line; a conflicting change from an
    out-of-date tab with a 409 and the fresh fragments. `fragments` may be a function
    of the action's result (undo: known once the change is undone), and so is the
    `notice` shown in the flash line (undo: what was undone). Of the text, only what
    the change altered is sent (the blocks, the span rows), when the screen shows
    the drawing from before it; otherwise the whole part."""
    stored_version = assignment.version
    part, before = form.shown_part, None
    fresh = form.shown_version in (None, stored_version) or form.shown_drawing
    if request.htmx and fresh and (callable(fragments) or "doc-text" in fragments):
        labels = access.project.label_list
        before = shown_before(
            assignment, labels, part, form.shown_drawing,
            editable=assignment.is_open_to_changes,
        )  # fmt: skip
    try:
        result = action(**arguments)
    except labelling.LockedAssignment as error:
        return flash_error(request, str(error), status=409)
    except labelling.Conflict as error:
        if callable(fragments):
            fragments = EVERY_FRAGMENT
        return respond(
            request,
            access,
            assignment,
            fragments,
            event,
            message=str(error),
            status=409,
            part=part,
        )
    if callable(fragments):
        fragments = fragments(result)
    stale = form.shown_version not in (None, stored_version)
    said = [text for text in [notice(result)] if text] if notice else []
    message = " · ".join([*said, STALE_NOTICE] if stale else said)
    return respond(
        request, access, assignment, fragments, event,
        message=message, level="notice", part=part, before=before,
    )  # fmt: skip


def respond(
    request: HtmxHttpRequest,
    access: ProjectAccess,
    assignment: Assignment,
    fragments: tuple[str, ...],
    event: str,
    *,
    message: str = "",
    level: str = "error",
    status: int = 200,
    part: int | None = None,
    before: Shown | None = None,
) -> HttpResponse:
    """The fragments, fresh from the database; the flash line is always sent, so an
    old message goes. With what the screen showed `before` the change, the text
    comes back as what differs now (_text_changes) instead of the whole #doc-text
    and span list. Without htmx: back to the screen, the message as a message."""
    if not request.htmx:
        return back_with_message(
            request, message, level, "annotate:annotate",
            slug=access.project.slug, pk=assignment.pk,
        )  # fmt: skip
    if status != 200:  # the change did not touch the assignment: read who did
        assignment.refresh_from_db(fields=["version"])
    parts = {PART_OF_FRAGMENT[name] for name in fragments}
    context = screen_context(
        user=request.user, access=access, assignment=assignment, parts=parts,
        part=part, before=before,
    )  # fmt: skip
    if "text_changes" in context:
        body = _text_changes(request, context)
        fragments = tuple(name for name in fragments if PART_OF_FRAGMENT[name] != TEXT)
        body.extend(
            render_to_string(f"{TEMPLATE}#{name}", {**context, "oob": True}, request)
            for name in fragments
        )
        # The flash line is the answer's own content, whichever panel sent it.
        body.append(flash_oob(request, message, level, oob=False))
        response = HttpResponse("".join(body), status=status)
        response = reswap(retarget(response, "#flash"), "outerHTML")
    else:
        body = [
            render_to_string(f"{TEMPLATE}#{name}", {**context, "oob": n > 0}, request)
            for n, name in enumerate(fragments)
        ]
        body.append(flash_oob(request, message, level))
        # The first fragment replaces the request's target, whichever panel sent it.
        response = HttpResponse("".join(body), status=status)
        response = retarget(response, f"#{fragments[0]}")
    trigger_client_event(response, event, {"version": assignment.version})
    shown = {"version": assignment.version}
    if TEXT in parts:
        shown["drawn"] = context["drawn"].digest
    return trigger_client_event(response, "versionChanged", shown)


def _text_changes(request: HtmxHttpRequest, context: dict) -> list[str]:
    """What a change altered in the text and the span list, each piece swapped out
    of band by its id (annotate.labelling.screen.text_changes): the list whole when
    its rows cannot be."""
    changes = context["text_changes"]
    if changes.rows is None:
        oob = {**context, "oob": True}
        return [
            render_to_string(f"{TEMPLATE}#span-list", oob, request),
            *changes.blocks,
        ]
    body = list(changes.rows)
    alone = {**context, "alone": True}
    if changes.listed:
        body.append(render_to_string(f"{TEMPLATE}#suggestion-list", alone, request))
    if changes.counted:
        body.append(render_to_string(f"{TEMPLATE}#part-spans", alone, request))
    # A change closes the entity panel, as a redrawn list would.
    body.append('<section id="link-panel" hx-swap-oob="true"></section>')
    return [*body, *changes.blocks]


def span_gone(
    request: HtmxHttpRequest,
    access: ProjectAccess,
    assignment: Assignment,
    part: int | None,
) -> HttpResponse:
    message = (
        "That span is gone (deleted in another tab?); the screen now shows the rest."
    )
    return respond(
        request, access, assignment, TEXT_FRAGMENTS, "spansChanged",
        message=message, status=409, part=part,
    )  # fmt: skip
