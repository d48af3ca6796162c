"""What the annotation screen shows, part by part, in a fixed number of queries
whatever the number of spans: the views render the whole page or only the parts a
change touched."""

from __future__ import annotations

from collections.abc import Iterable

import markdown
import nh3
from django.urls import reverse
from django.utils.safestring import mark_safe

from annotate.access import ProjectAccess
from annotate.labelling import predicted, queue
from annotate.labelling.citations import cited_sources
from annotate.labelling.drawing import (
    LISTED_SUGGESTIONS,
    Shown,
    add_urls,
    block_html,
    draw,
    text_changes,
)
from annotate.labelling.rendering import in_context, shortened, span_rows
from annotate.models import Assignment, Document, Label, Rating

# The screen's regions, each an inline partial of annotate/annotate.html.
# PAGE is what only a full page shows: the progress line and the guidelines.
TEXT, STANCE, SOURCES, PAGE = "text", "stance", "sources", "page"
EVERY_PART = frozenset({TEXT, STANCE, SOURCES, PAGE})
PART_OF_FRAGMENT = {
    "doc-text": TEXT,
    "span-list": TEXT,
    "stance-panel": STANCE,
    "source-panel": SOURCES,
}


def screen_context(
    *,
    user,
    access: ProjectAccess,
    assignment: Assignment,
    parts: Iterable[str] = EVERY_PART,
    part: int | None = None,
    before: Shown | None = None,
) -> dict:
    """The context of the screen's `parts` (of the text, part number `part` of a long
    one): 1 query for the labels, then 4 for the text (spans, suggestion vocabulary,
    dismissals), 2 for stance, 1 for sources and 3 for progress; plus 1 for the
    models' predictions (text and stance share it) and 1 for dismissals when a
    prediction is above the threshold. With what the screen showed `before` a
    change, the text's context holds only what the change altered (text_changes)."""
    parts = frozenset(parts)
    document, project = assignment.document, access.project
    document.project = project  # the same row, already loaded
    labels = project.label_list
    context = {
        "urls": screen_urls(project.slug, assignment.pk),
        "access": access,
        "project": project,
        "assignment": assignment,
        "document": document,
        "editable": assignment.is_open_to_changes
        and assignment.annotator_id == user.pk,
        # The choices and their keys: retired labels are not offered (spans and
        # ratings that have one still show it). Reliability reads low to high by
        # value (Label's ordering).
        "entity_labels": _offered(labels, Label.Kind.ENTITY),
        "stance_labels": _offered(labels, Label.Kind.STANCE),
        "reliability_labels": _offered(labels, Label.Kind.RELIABILITY),
    }
    if TEXT in parts:
        context.update(
            _text_part(
                assignment,
                context["urls"],
                labels,
                editable=context["editable"],
                part=part,
                before=before,
            )
        )
    if STANCE in parts:
        stances = {stance.target_id: stance for stance in assignment.stances.all()}
        # (target, its stance or None, the stance's evidence shortened for the row); a
        # retired target is asked no more, but a stance already taken on it shows.
        context["targets"] = []
        for target in project.stance_targets.all():
            stance = stances.get(target.pk)
            if target.retired and stance is None:
                continue
            evidence = shortened(stance.evidence_text) if stance else ""
            context["targets"].append((target, stance, evidence))
        predicted.mark_targets(assignment, context["targets"])
    if SOURCES in parts:
        ratings = list(assignment.ratings.select_related("source", "label"))
        context["sources"] = sources_to_rate(document, ratings)
    if PAGE in parts:
        context["progress"] = queue.progress(project=project, user=assignment.annotator)
        context["guidelines"] = guidelines_html(project.guidelines)
    return context


def _offered(labels: list[Label], kind: str) -> list[Label]:
    return [label for label in labels if label.kind == kind and not label.retired]


def _text_part(
    assignment: Assignment,
    urls: dict[str, str],
    labels: list,
    *,
    editable: bool,
    part: int | None,
    before: Shown | None,
) -> dict:
    """The text's context: with what the screen showed `before` a change, only what
    changed (`text_changes`), and the whole span list only when it needs it."""
    drawn = draw(assignment, labels, part, editable=editable)
    drawn.remember()
    spans, suggestions = drawn.spans, drawn.suggestions
    context = {
        "drawn": drawn,
        "part": drawn.part,
        "suggestions": suggestions,
        "suggestion_rows": [
            (item, predicted.shown_name(item, drawn.names))
            for item in suggestions[:LISTED_SUGGESTIONS]
        ],
        "spans": spans,
        "total_spans": drawn.total_spans,
    }
    if before is not None and before.part == drawn.part.number:
        context["text_changes"] = changes = text_changes(before, drawn, urls)
        if changes.rows is not None:
            return context
    else:
        context["marked_text"] = mark_safe(
            "".join(block_html(key, html) for key, html in drawn.blocks().items())
        )  # the blocks' HTML is escaped already (rendering.marked_pieces)
    ordered = sorted(spans, key=lambda span: (span.start, -span.end))
    add_urls(ordered, urls)
    context["span_rows"] = span_rows(
        ordered, editable=editable, text=assignment.document.text
    )
    return context


def guidelines_html(guidelines: str) -> str:
    """The project's Markdown guidelines as HTML, sanitised: managers write them, but
    annotators' browsers run them."""
    return nh3.clean(markdown.markdown(guidelines)) if guidelines else ""


def screen_urls(slug: str, pk: int) -> dict[str, str]:
    """The screen's action URLs, reversed once per page; span URLs carry span 0."""
    names = {
        "stance": "stance-set",
        "rating": "rating-set",
        "accept": "suggestion-accept",
        "dismiss": "suggestion-dismiss",
        "accept_all": "suggestions-accept-all",
        "undo": "undo",
        "skip": "skip",
        "submit": "submit",
        "span_create": "span-create",
    }
    urls = {
        key: reverse(f"annotate:{name}", args=[slug, pk]) for key, name in names.items()
    }
    urls["relabel"] = reverse("annotate:span-relabel", args=[slug, pk, 0])
    urls["delete"] = reverse("annotate:span-delete", args=[slug, pk, 0])
    urls["link"] = reverse("annotate:span-link", args=[slug, pk, 0])
    urls["next"] = reverse("annotate:next", args=[slug])
    return urls


def sources_to_rate(document: Document, ratings: list[Rating]) -> list[dict]:
    """The publisher, the credited source and every source the text cites, once each,
    with the rating given so far (found by the source's name or an alias: "AFP" rated
    is Agence France-Presse in the registry); plus sources rated by hand that were
    not detected.

    A row's `mention` is where the text cites the source (annotate.labelling.citations):
    it becomes the rating's evidence when the source is first rated (the screen sends
    it), unless the annotator chose a selection for it instead. `evidence` is what the
    row shows as its evidence, in context: the rating's own once it is rated (none if
    cleared), the mention before."""
    rows: list[dict] = []
    seen: set[tuple[str, str]] = set()
    rating_of: dict[tuple[str, str], Rating] = {}
    for rating in ratings:
        for name in (rating.source.name, *rating.source.aliases):
            rating_of.setdefault((name.casefold(), rating.role), rating)
    shown: set[int] = set()

    def add(
        name: str, role: str, start: int | None = None, end: int | None = None
    ) -> None:
        key = (name.casefold(), role)
        if not name or key in seen:
            return
        seen.add(key)
        rating = rating_of.get(key)
        evidence = (start, end)
        if rating is not None:
            shown.add(rating.pk)
            evidence = (rating.evidence_start, rating.evidence_end)
        rows.append(
            {
                "name": name,
                "role": role,
                "mention": (start, end) if start is not None else None,
                "rating": rating,
                "evidence": in_context(document.text, *evidence),
            }
        )

    if document.publisher:
        add(document.publisher.name, Rating.Role.PUBLISHER)
    if credit := (document.meta or {}).get("source_credit"):
        add(str(credit), Rating.Role.CITED)
    for citation in cited_sources(document.text):
        add(citation.name, Rating.Role.CITED, citation.start, citation.end)
    for rating in ratings:
        if rating.pk not in shown:
            add(rating.source.name, rating.role)
    return rows
