"""What the annotation screen shows, part by part, in a fixed number of queries
whatever the number of spans: the views render the whole page or only the parts a
change touched."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

import markdown
import nh3
from django.core.cache import cache
from django.urls import reverse
from django.utils.safestring import mark_safe

from annotate.access import ProjectAccess
from annotate.labelling import paging, predicted, queue
from annotate.labelling.citations import cited_sources
from annotate.labelling.rendering import in_context, marked_pieces, shortened, span_rows
from annotate.labelling.suggestions import suggestions_for
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
# The suggestions listed beside the text (all of them are drawn in it).
LISTED_SUGGESTIONS = 20


def screen_context(
    *,
    user,
    access: ProjectAccess,
    assignment: Assignment,
    parts: Iterable[str] = EVERY_PART,
    part: int | None = None,
) -> dict:
    """The context of the screen's `parts` (of the text, part number `part` of a long
    one): 1 query for the labels, then 4 for the text (spans, suggestion vocabulary,
    dismissals), 2 for stance, 1 for sources and 3 for progress; plus 1 for the
    models' predictions (text and stance share it) and 1 for dismissals when a
    prediction is above the threshold."""
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


@dataclass(slots=True)
class ShownSpan:
    """A span as the screen draws it. Plain values: building 500 Span model instances
    costs more than cutting the text into marks."""

    pk: int
    start: int
    end: int
    label_id: int
    text: str
    entity_id: int | None
    entity_name: str | None
    origin: str
    label: Label | None = None
    relabel_url: str = ""
    delete_url: str = ""
    link_url: str = ""


def shown_spans(assignment: Assignment) -> list[ShownSpan]:
    rows = assignment.spans.values_list(
        "pk", "start", "end", "label_id", "text", "entity_id", "entity__name", "origin"
    )
    return [ShownSpan(*row) for row in rows]


# How long the block fingerprints of a drawing are kept for the changes made on it.
DRAWING_SECONDS = 3600


@dataclass(slots=True)
class DrawnText:
    """One part of the text as drawn: its blocks' HTML and fingerprints by block id,
    the drawing's fingerprint (`digest`), and what is in it."""

    part: paging.Part
    blocks: dict[str, str]
    spans: list[ShownSpan]  # the part's
    suggestions: list  # the part's, dictionary and predicted
    total_spans: int
    hashes: dict[str, str] = field(init=False)
    digest: str = field(init=False)

    def __post_init__(self) -> None:
        self.hashes = {
            key: hashlib.blake2b(html.encode(), digest_size=8).hexdigest()
            for key, html in self.blocks.items()
        }
        every = hashlib.blake2b("".join(self.hashes.values()).encode(), digest_size=8)
        self.digest = f"{self.part.number}-{every.hexdigest()}"

    def remember(self) -> None:
        """Keep the blocks' fingerprints by the drawing's, for the next change made on
        the screen that shows it (annotate.views.annotate compares them)."""
        cache.set(f"annotate:drawing:{self.digest}", self.hashes, DRAWING_SECONDS)


def shown_drawing(
    assignment: Assignment, labels: list[Label], part: int | None, digest: str
) -> dict[str, str] | None:
    """The block fingerprints of the drawing a screen shows, known by its fingerprint
    `digest`: kept from when it was drawn (no drawing in this request), or drawn
    again when this process has not kept it. None when the drawing now is another
    (a tab out of date, suggestions found anew since): the screen needs all of it.
    With no `digest` (a client that sends none), the drawing now."""
    if digest and (hashes := cache.get(f"annotate:drawing:{digest}")) is not None:
        return hashes
    drawn = drawn_text(assignment, labels, part)
    return drawn.hashes if digest in ("", drawn.digest) else None


def drawn_text(
    assignment: Assignment, labels: list[Label], part: int | None
) -> DrawnText:
    """Part number `part` of the text with the annotator's spans and the suggestions
    as marks, block by block (annotate.labelling.paging): a change compares the blocks
    before and after it and sends those that differ. 4 queries (see screen_context).
    Suggestions are found in the whole text (the annotator's spans anywhere count) and
    drawn where the part is."""
    text = assignment.document.text
    shown = paging.part_of(text, part)
    every_span = shown_spans(assignment)
    suggestions = predicted.merged(
        suggestions_for(assignment, every_span),
        predicted.predicted_suggestions(assignment, every_span),
    )
    spans = [span for span in every_span if shown.holds(span.start, span.end)]
    suggestions = [item for item in suggestions if shown.holds(item.start, item.end)]
    label_of = {label.pk: label for label in labels}
    for span in spans:
        span.label = label_of[span.label_id]  # already loaded: no join, no copies
    names = {label.pk: label.name for label in labels}
    bounds = [shown.start, *(block.end for block in shown.blocks)]
    pieces = marked_pieces(text, bounds, spans, suggestions, names=names)
    blocks = {
        block.dom_id: html for block, html in zip(shown.blocks, pieces, strict=True)
    }
    return DrawnText(shown, blocks, spans, suggestions, len(every_span))


def block_html(dom_id: str, inner: str, *, oob: bool = False) -> str:
    """One block of the text, swapped by its id; no whitespace around the text (every
    character inside #doc-text is the document's)."""
    swap = ' hx-swap-oob="true"' if oob else ""
    return f'<span class="block" id="{dom_id}"{swap}>{inner}</span>'


def _text_part(
    assignment: Assignment,
    urls: dict[str, str],
    labels: list,
    *,
    editable: bool,
    part: int | None,
) -> dict:
    drawn = drawn_text(assignment, labels, part)
    drawn.remember()
    spans, suggestions = drawn.spans, drawn.suggestions
    names = {label.pk: label.name for label in labels}
    for span in spans:
        # Formatted, not reversed, per span: reverse() for 500 rows costs more than the page.
        span.relabel_url = urls["relabel"].replace("/0/", f"/{span.pk}/")
        span.delete_url = urls["delete"].replace("/0/", f"/{span.pk}/")
        span.link_url = urls["link"].replace("/0/", f"/{span.pk}/")
    return {
        "drawn": drawn,
        "part": drawn.part,
        "marked_text": mark_safe(
            "".join(block_html(key, html) for key, html in drawn.blocks.items())
        ),  # the blocks' HTML is escaped already (rendering.marked_pieces)
        "suggestions": suggestions,
        "suggestion_rows": [
            (item, predicted.shown_name(item, names))
            for item in suggestions[:LISTED_SUGGESTIONS]
        ],
        "spans": spans,
        "total_spans": drawn.total_spans,
        "span_rows": span_rows(
            sorted(spans, key=lambda span: (span.start, -span.end)),
            editable=editable,
            text=assignment.document.text,
        ),
    }


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
