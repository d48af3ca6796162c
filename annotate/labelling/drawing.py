"""What the annotation screen draws of the text, part by part (the annotator's spans
and the suggestions as marks, and the span list), and what a change altered there:
the answer to a change sends only that, when the screen showed the drawing from before
it (known by its fingerprint, kept in the "drawings" cache)."""

from __future__ import annotations

import hashlib
import marshal
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.cache import caches

from annotate.labelling import paging, predicted
from annotate.labelling.rendering import depths, marked_pieces, span_row_list
from annotate.labelling.suggestions import suggestions_for
from annotate.models import Assignment, Label

# The suggestions listed beside the text (all of them are drawn in it).
LISTED_SUGGESTIONS = 20


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


def draw(
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
    now = draw(assignment, labels, part, editable=editable)
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
    add_urls(shown_rows, urls)
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


def add_urls(spans: list[ShownSpan], urls: dict[str, str]) -> None:
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
