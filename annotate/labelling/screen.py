"""What the annotation screen shows, part by part, in a fixed number of queries
whatever the number of spans: the views render the whole page or only the parts a
change touched."""

from __future__ import annotations

import hashlib
import marshal
from collections.abc import Iterable
from dataclasses import dataclass, field

import markdown
import nh3
from django.core.cache import caches
from django.urls import reverse
from django.utils.safestring import mark_safe

from annotate.access import ProjectAccess
from annotate.labelling import paging, predicted, queue
from annotate.labelling.citations import cited_sources
from annotate.labelling.rendering import (
    depths,
    in_context,
    marked_pieces,
    shortened,
    span_row_list,
    span_rows,
)
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


# How long what a drawing shows is kept, for the changes made on the screen showing it.
DRAWING_SECONDS = 3600
# A change touching more span rows than this sends the whole span list.
CHANGED_ROWS_SENT = 50


@dataclass(frozen=True, slots=True)
class Shown:
    """What a screen's part of the text shows, in the terms a change compares: each
    mark drawn with what its HTML depends on (its depth included), each span row by
    span, the suggestions listed, and the spans counted."""

    part: int
    marks: frozenset[tuple]
    rows: dict[int, tuple]
    listed: tuple
    total_spans: int


@dataclass(slots=True)
class Drawing:
    """Part of the text with the annotator's spans and the suggestions in it, before
    any HTML: what it shows (`shown`) and the fingerprint of that (`digest`), which
    the screen sends back with a change; blocks() draws it."""

    text: str
    part: paging.Part
    spans: list[ShownSpan]  # the part's
    suggestions: list  # the part's, dictionary and predicted
    total_spans: int
    names: dict[int, str]  # label id -> name
    editable: bool
    depth_of: dict[int, int] = field(init=False)
    shown: Shown = field(init=False)
    digest: str = field(init=False)

    def __post_init__(self) -> None:
        items = [*self.spans, *self.suggestions]
        self.depth_of = depths(items)
        names = self.names
        marks = frozenset(
            [
                *(
                    ("span", s.start, s.end, s.label_id, names.get(s.label_id, ""),
                     s.pk, self.depth_of[id(s)])
                    for s in self.spans
                ),
                *(
                    ("suggestion", item.start, item.end, item.label_id,
                     predicted.shown_name(item, names), getattr(item, "source", ""),
                     self.depth_of[id(item)])
                    for item in self.suggestions
                ),
            ]
        )  # fmt: skip
        rows = {
            span.pk: (span.start, span.end, span.label_id, names.get(span.label_id),
                      span.text, span.entity_id, span.entity_name, span.origin)
            for span in self.spans
        }  # fmt: skip
        listed = (
            self.editable,
            len(self.suggestions),
            tuple(
                (item.start, item.end, item.label_id, predicted.shown_name(item, names))
                for item in self.suggestions[:LISTED_SUGGESTIONS]
            ),
        )
        self.shown = Shown(self.part.number, marks, rows, listed, self.total_spans)
        # marshal version 0 (which tells no interned or shared strings apart) gives
        # the same bytes for the same values in every process, for a third of repr().
        every = marshal.dumps(
            (sorted(marks), sorted(rows.items()), listed, self.total_spans), 0
        )
        digest = hashlib.blake2b(every, digest_size=8).hexdigest()
        self.digest = f"{self.part.number}-{digest}"

    def blocks(self, only: Iterable[paging.Block] | None = None) -> dict[str, str]:
        """The HTML of the part's blocks by block id (of the blocks `only`, if given):
        each drawn as it is in the whole part."""
        shown = self.part.blocks if only is None else list(only)
        if not shown:
            return {}
        if only is None:
            bounds = [self.part.start, *(block.end for block in shown)]
            pieces = self._pieces(bounds)
            return {b.dom_id: html for b, html in zip(shown, pieces, strict=True)}
        return {b.dom_id: self._pieces([b.start, b.end])[0] for b in shown}

    def _pieces(self, bounds: list[int]) -> list[str]:
        return marked_pieces(
            self.text, bounds, self.spans, self.suggestions,
            names=self.names, depth_of=self.depth_of,
        )  # fmt: skip

    def remember(self) -> None:
        """Keep what the drawing shows by its fingerprint, for the next change made
        on the screen that shows it (text_changes compares them)."""
        caches["drawings"].set(self.digest, self.shown, DRAWING_SECONDS)


def drawing(
    assignment: Assignment, labels: list[Label], part: int | None, *, editable: bool
) -> Drawing:
    """Part number `part` of the text with the annotator's spans and the suggestions.
    4 queries (see screen_context). Suggestions are found in the whole text (the
    annotator's spans anywhere count) and drawn where the part is."""
    text = assignment.document.text
    shown = paging.part_of(text, part)
    every_span = shown_spans(assignment)
    within = (shown.start, shown.end) if shown.paged else None
    suggestions = predicted.merged(
        suggestions_for(assignment, every_span, within),
        predicted.predicted_suggestions(assignment, every_span),
    )
    spans = [span for span in every_span if shown.holds(span.start, span.end)]
    suggestions = [item for item in suggestions if shown.holds(item.start, item.end)]
    label_of = {label.pk: label for label in labels}
    for span in spans:
        span.label = label_of[span.label_id]  # already loaded: no join, no copies
    names = {label.pk: label.name for label in labels}
    return Drawing(text, shown, spans, suggestions, len(every_span), names, editable)


def shown_before(
    assignment: Assignment,
    labels: list[Label],
    part: int | None,
    digest: str,
    *,
    editable: bool,
) -> Shown | None:
    """What the screen shows, known by its drawing's fingerprint `digest`: kept from
    when it was drawn (by any web process of this machine), or drawn again (from the database, before the change) when
    this process has not kept it. None when the drawing now is another (a tab out
    of date, suggestions found anew since): the screen needs all of it. With no
    `digest` (a client that sends none), the drawing now."""
    if digest and (shown := caches["drawings"].get(digest)) is not None:
        return shown  # of another part than asked: _text_part sends the whole part
    now = drawing(assignment, labels, part, editable=editable)
    return now.shown if digest in ("", now.digest) else None


@dataclass(slots=True)
class TextChanges:
    """What a change altered on a screen that showed `Shown`, as out-of-band HTML:
    the blocks whose marks changed and the span rows that changed (None: send the
    whole span list); whether the suggestions listed and the spans counted did."""

    blocks: list[str]
    rows: list[str] | None
    listed: bool
    counted: bool


def text_changes(before: Shown, after: Drawing, urls: dict[str, str]) -> TextChanges:
    changed = before.marks ^ after.shown.marks
    touched = [
        block
        for block in after.part.blocks
        if any(m[1] < block.end and m[2] > block.start for m in changed)
    ]
    blocks = [
        block_html(key, html, oob=True) for key, html in after.blocks(touched).items()
    ]
    return TextChanges(
        blocks,
        _row_changes(before, after, urls),
        listed=before.listed != after.shown.listed,
        counted=before.total_spans != after.total_spans,
    )


def _row_changes(
    before: Shown, after: Drawing, urls: dict[str, str]
) -> list[str] | None:
    """The span rows that changed, each swapped by its id: a gone one deleted, a
    changed one replaced, new ones put after the row before them (or before the one
    after them). None when the list is or becomes empty, or too much changed."""
    old, new = before.rows, after.shown.rows
    if not old or not new or (before.total_spans == 0) != (after.total_spans == 0):
        return None
    # A span keeps its place in the list unless its offsets changed.
    moved = {pk for pk in old.keys() & new.keys() if old[pk][:2] != new[pk][:2]}
    gone = (old.keys() - new.keys()) | moved
    added = (new.keys() - old.keys()) | moved
    redrawn = {pk for pk in old.keys() & new.keys() - moved if old[pk] != new[pk]}
    if len(gone) + len(added) + len(redrawn) > CHANGED_ROWS_SENT:
        return None
    ordered = sorted(after.spans, key=lambda span: (span.start, -span.end))
    shown_rows = [span for span in ordered if span.pk in added | redrawn]
    _add_urls(shown_rows, urls)
    html_of = dict(
        zip(
            (span.pk for span in shown_rows),
            span_row_list(shown_rows, editable=after.editable, text=after.text),
            strict=True,
        )
    )
    found = [f'<li id="span-row-{pk}" hx-swap-oob="delete"></li>' for pk in gone]
    found.extend(
        html.replace(
            '<li class="span-row" ', '<li hx-swap-oob="true" class="span-row" ', 1
        )
        for pk, html in html_of.items()
        if pk in redrawn
    )
    found.extend(_inserted(ordered, added, html_of))
    return found


def _inserted(ordered: list[ShownSpan], added: set[int], html_of: dict[int, str]):
    """The new rows in runs, each run after the row that stays before it (or, for a
    run at the top, before the first row that stays)."""
    run: list[str] = []
    after_pk = None
    for span in ordered:
        if span.pk in added:
            run.append(html_of[span.pk])
            continue
        if run:
            where = (
                f"afterend:#span-row-{after_pk}"
                if after_pk
                else f"beforebegin:#span-row-{span.pk}"
            )
            yield f'<ul hx-swap-oob="{where}">{"".join(run)}</ul>'
            run = []
        after_pk = span.pk
    if run:  # after the last row that stays (there is one: the list was not empty)
        yield f'<ul hx-swap-oob="afterend:#span-row-{after_pk}">{"".join(run)}</ul>'


def _add_urls(spans: list[ShownSpan], urls: dict[str, str]) -> None:
    for span in spans:
        # Formatted, not reversed, per span: reverse() for 500 rows costs more than the page.
        span.relabel_url = urls["relabel"].replace("/0/", f"/{span.pk}/")
        span.delete_url = urls["delete"].replace("/0/", f"/{span.pk}/")
        span.link_url = urls["link"].replace("/0/", f"/{span.pk}/")


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
    before: Shown | None,
) -> dict:
    """The text's context: with what the screen showed `before` a change, only what
    changed (`text_changes`), and the whole span list only when it needs it."""
    drawn = drawing(assignment, labels, part, editable=editable)
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
    _add_urls(ordered, urls)
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
