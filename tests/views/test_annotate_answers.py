"""A change answers with the pieces it altered (text blocks, span rows, the list of
suggestions), each swapped on its own: applied to the screen as htmx applies them,
they leave the text and the span list as a reload of the page draws them."""

from __future__ import annotations

import json
import re

import lxml.html
import pytest
from django.urls import reverse

from annotate.models import Assignment, Label, Span
from tests.conftest import make_document

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
TEXT = (
    "Sergey Lavrov landed in Bamako on Monday, AFP reported.\n\n"
    "The talks with Assimi Goita in Bamako went on for hours.\n\n"
    "Back in Moscow, Sergey Lavrov said little about Bamako."
)
# What the screen's script keeps up to date itself (annotate.js), or differs between
# two renders of the same thing (a fresh CSRF mask each time).
IGNORED = {"data-version", "data-drawn", "value"}


def url(name, assignment, *extra):
    return reverse(
        f"annotate:{name}",
        args=[assignment.document.project.slug, assignment.pk, *extra],
    )


def by_id(tree, dom_id: str):
    found = tree.xpath(f'//*[@id="{dom_id}"]')
    assert len(found) == 1, f"#{dom_id}: {len(found)} elements"
    return found[0]


def swap(tree, body: str, retarget: str) -> None:
    """What htmx does with an answer: each element marked hx-swap-oob swapped where
    it says, in order; the rest in place of the retargeted element."""
    holder = lxml.html.fragment_fromstring(f"<div>{body}</div>")
    for element in holder.xpath("//*[@hx-swap-oob]"):
        how = element.attrib.pop("hx-swap-oob")
        element.getparent().remove(element)
        if how == "true":
            target = by_id(tree, element.get("id"))
            element.tail = target.tail
            target.getparent().replace(target, element)
        elif how == "delete":
            target = by_id(tree, element.get("id"))
            target.getparent().remove(target)
        else:
            where, selector = how.split(":#", 1)
            target = by_id(tree, selector)
            children = list(element)
            if where == "afterend":
                for child in reversed(children):
                    target.addnext(child)
            else:
                assert where == "beforebegin", how
                for child in children:
                    target.addprevious(child)
    rest = list(holder)
    target = by_id(tree, retarget.removeprefix("#"))
    for element in rest:
        target.addprevious(element)
    target.getparent().remove(target)


def shown(tree) -> list:
    """The text and the span list as a person sees and uses them: elements, their
    attributes (less IGNORED) and their text, whitespace aside."""

    def walk(element):
        attributes = sorted(
            (key, value) for key, value in element.attrib.items() if key not in IGNORED
        )
        text = " ".join((element.text or "").split())
        children = [walk(child) for child in element]
        tail = " ".join((element.tail or "").split())
        return (element.tag, attributes, text, children, tail)

    return [walk(by_id(tree, "doc-text")), walk(by_id(tree, "span-list"))]


class Screen:
    """The annotation screen as a browser holds it: the page, patched by each answer."""

    def __init__(self, client, assignment, part: int = 1):
        self.client, self.assignment, self.part = client, assignment, part
        self.tree = self.reload()
        self.drawn = by_id(self.tree, "doc-text").get("data-drawn")
        self.version = by_id(self.tree, "screen").get("data-version")

    def reload(self):
        page = self.client.get(url("annotate", self.assignment), {"part": self.part})
        page = page.content.decode()
        return lxml.html.document_fromstring(page)

    def post(self, name: str, data: dict, *extra) -> str:
        # What annotate.js adds to every change.
        data = {**data, "version": self.version, "part": self.part, "drawn": self.drawn}
        response = self.client.post(
            url(name, self.assignment, *extra), data, headers=HTMX
        )
        assert response.status_code == 200, response.content[:300]
        body = response.content.decode()
        swap(self.tree, body, response.headers["HX-Retarget"])
        trigger = json.loads(response.headers["HX-Trigger"])
        self.drawn = trigger["versionChanged"]["drawn"]
        self.version = trigger["versionChanged"]["version"]
        return body

    def as_reloaded(self) -> bool:
        return shown(self.tree) == shown(self.reload())


def label(project, name: str) -> Label:
    return Label.objects.get(project=project, kind=Label.Kind.ENTITY, name=name)


@pytest.fixture
def assignment(project, annotator):
    # Strings labelled in another document: suggested here (an open project).
    project.blind = False
    project.save(update_fields=["blind"])
    other = make_document(project, text="Bamako and Moscow.", title="Elsewhere")
    theirs = Assignment.objects.create(document=other, annotator=annotator)
    for word, name in (("Bamako", "GPE"), ("Moscow", "GPE")):
        start = other.text.index(word)
        Span.objects.create(
            assignment=theirs, start=start, end=start + len(word), text=word,
            label=label(project, name),
        )  # fmt: skip
    document = make_document(project, text=TEXT, title="Lavrov in Bamako")
    return Assignment.objects.create(document=document, annotator=annotator)


def span_of(word: str, name: str, project, at: int = 0) -> dict:
    start = TEXT.index(word, at)
    return {
        "start": start,
        "end": start + len(word),
        "text": word,
        "label": label(project, name).pk,
    }


def test_every_change_leaves_the_screen_as_a_reload_draws_it(
    annotator_client, project, assignment
):
    screen = Screen(annotator_client, assignment)
    second_paragraph = TEXT.index("The talks")

    def row_of(word: str) -> Span:
        return assignment.spans.get(text=word)

    steps = [
        ("the first span", "span-create", lambda: span_of("Sergey Lavrov", "PERSON", project)),
        ("a span after it", "span-create", lambda: span_of("Assimi Goita", "PERSON", project)),
        ("a span before them", "span-create", lambda: span_of("Sergey", "ORG", project)),
        ("a span nested in one", "span-create", lambda: span_of("Lavrov", "PERSON", project)),
        ("a suggestion accepted", "suggestion-accept", lambda: span_of("Bamako", "GPE", project)),
        ("a suggestion dismissed", "suggestion-dismiss",
         lambda: span_of("Bamako", "GPE", project, second_paragraph)),
        ("undo", "undo", dict),
        ("a span relabelled", "span-relabel", lambda: {"label": label(project, "ORG").pk},
         lambda: [row_of("Assimi Goita").pk]),
        ("a span linked to a new entity", "span-link", lambda: {"new_name": "Sergey Lavrov"},
         lambda: [row_of("Sergey Lavrov").pk]),
        ("a span deleted", "span-delete", dict, lambda: [row_of("Lavrov").pk]),
        ("undo", "undo", dict),
        ("every suggestion accepted", "suggestions-accept-all", dict),
        ("a span deleted", "span-delete", dict, lambda: [row_of("Sergey").pk]),
    ]  # fmt: skip
    for what, name, data, *extra in steps:
        arguments = extra[0]() if extra else []
        body = screen.post(name, data(), *arguments)
        assert 'id="doc-text"' not in body, what  # pieces, not the whole text
        assert screen.as_reloaded(), what


def test_a_span_row_alone_is_sent_when_nothing_else_in_the_list_changed(
    annotator_client, project, assignment
):
    screen = Screen(annotator_client, assignment)
    screen.post("span-create", span_of("Sergey Lavrov", "PERSON", project))
    body = screen.post("span-create", span_of("Assimi Goita", "PERSON", project))
    first, second = assignment.spans.order_by("start")
    assert 'id="span-list"' not in body and 'id="suggestion-list"' not in body
    assert re.findall(r'id="span-row-(\d+)"', body) == [str(second.pk)]
    assert f'hx-swap-oob="afterend:#span-row-{first.pk}"' in body
    body = screen.post("span-delete", {}, second.pk)
    assert f'<li id="span-row-{second.pk}" hx-swap-oob="delete">' in body
    assert screen.as_reloaded()


def test_a_tab_out_of_date_gets_the_whole_list_and_text_it_does_not_know(
    annotator_client, project, assignment
):
    from django.core.cache import caches

    screen = Screen(annotator_client, assignment)
    screen.post("span-create", span_of("Sergey Lavrov", "PERSON", project))
    caches["drawings"].clear()  # another machine drew the screen: not known here
    screen.drawn = "1-0000000000000000"
    body = screen.post("span-create", span_of("Assimi Goita", "PERSON", project))
    assert '<ul id="span-list"' in body and '<div id="doc-text"' in body
    assert screen.as_reloaded()


def test_on_a_part_of_a_long_text_the_count_of_its_spans_follows(
    annotator_client, project, annotator, settings
):
    settings.LARGE_DOCUMENT_CHARS, settings.PART_CHARS = 500, 200
    text = "\n\n".join(
        f"Paragraph {n}: officials met in Bamako and talked for hours."
        for n in range(1, 21)
    )
    document = make_document(project, text=text, title="Long")
    assignment = Assignment.objects.create(document=document, annotator=annotator)
    screen = Screen(annotator_client, assignment, part=2)
    gpe = label(project, "GPE").pk

    def bamako(n: int) -> dict:
        start = text.index("Bamako", text.index(f"Paragraph {n}:"))
        return {"start": start, "end": start + 6, "text": "Bamako", "label": gpe}

    screen.post("span-create", bamako(4))
    body = screen.post("span-create", bamako(5))
    assert '<li id="part-spans" class="part-spans hint" hx-swap-oob="true">' in body
    assert "2 of 2 spans are in part 2 of 7." in body
    assert screen.as_reloaded()
    body = screen.post(
        "span-delete", {}, assignment.spans.get(start=bamako(4)["start"]).pk
    )
    assert "1 of 1 span is in part 2 of 7." in body
    assert screen.as_reloaded()
