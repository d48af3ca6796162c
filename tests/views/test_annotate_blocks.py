"""A change redraws only the paragraphs it changed, and a long text is paged: the
annotation screen through the test client (annotate.labelling.paging)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from annotate.models import Assignment, Label, Span
from tests.conftest import make_document

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
PARAGRAPHS = (
    "Sergey Lavrov landed in Bamako on Monday.\n\n"
    "The talks in Moscow went on for hours.\n\n"
    "Back in Bamako, officials said little."
)


def url(name, assignment, *extra):
    return reverse(
        f"annotate:{name}",
        args=[assignment.document.project.slug, assignment.pk, *extra],
    )


def entity(project, name):
    return Label.objects.get(project=project, kind=Label.Kind.ENTITY, name=name)


def save_span(client, assignment, text: str, word: str, label: Label, *, at=0, **extra):
    """Label `word` (its first occurrence in `text` from `at`) as the screen posts it."""
    start = text.index(word, at)
    data = {"start": start, "end": start + len(word), "text": word, "label": label.pk}
    return client.post(url("span-create", assignment), {**data, **extra}, headers=HTMX)


def blocks_sent(body: str) -> list[str]:
    return re.findall(r'<span class="block" id="(b-\d+)" hx-swap-oob="true">', body)


@pytest.fixture
def assignment(project, annotator):
    document = make_document(project, text=PARAGRAPHS, title="Lavrov in Bamako")
    return Assignment.objects.create(document=document, annotator=annotator)


def test_it_answers_a_span_save_with_only_the_paragraph_it_changed(
    annotator_client, project, assignment
):
    response = save_span(
        annotator_client, assignment, PARAGRAPHS, "Moscow", entity(project, "GPE")
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert blocks_sent(body) == ["b-1"]
    assert 'id="doc-text"' not in body
    # The other paragraphs' words are not sent again.
    assert "Sergey Lavrov" not in body and "officials said little" not in body
    assert 'id="span-list"' in body and 'id="flash"' in body
    assert Span.objects.get().text == "Moscow"


def test_it_redraws_a_paragraph_whose_suggestion_an_accepted_one_took_away(
    annotator_client, project, assignment, annotator
):
    # Bamako labelled once elsewhere in an open project: suggested in paragraphs 1
    # and 3 (an annotator's own spans count one use less of their string).
    project.blind = False
    project.save(update_fields=["blind"])
    elsewhere = make_document(project, text="Bamako is hot.", title="Elsewhere")
    peer = Assignment.objects.create(document=elsewhere, annotator=annotator)
    gpe = entity(project, "GPE")
    Span.objects.create(assignment=peer, start=0, end=6, text="Bamako", label=gpe)
    page = annotator_client.get(url("annotate", assignment)).content.decode()
    assert page.count('data-suggestion="') == 2

    # Accepting the first takes the one use of the string the suggestions counted
    # (the vocabulary is kept a minute): the second goes too, in another paragraph.
    start = PARAGRAPHS.index("Bamako")
    response = annotator_client.post(
        url("suggestion-accept", assignment),
        {"start": start, "end": start + 6, "label": gpe.pk},
        headers=HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert blocks_sent(body) == ["b-0", "b-2"]
    assert "Moscow" not in body
    assert 'data-suggestion="' not in body
    assert assignment.spans.get().text == "Bamako"


def test_it_redraws_for_a_tab_out_of_date_what_differs_from_what_it_shows(
    annotator_client, project, assignment
):
    """Another tab labelled meanwhile: a change from this tab comes back with both
    changes' paragraphs (compared with the drawing this tab shows, by its fingerprint),
    or the whole text when the server no longer knows that drawing."""
    from django.core.cache import caches

    page = annotator_client.get(url("annotate", assignment)).content.decode()
    drawn = re.search(r'data-drawn="([^"]+)"', page).group(1)
    gpe = entity(project, "GPE")

    def label(word: str, shown: str):
        return save_span(
            annotator_client, assignment, PARAGRAPHS, word, gpe, part=1, drawn=shown
        )

    first = label("Moscow", drawn)
    assert blocks_sent(first.content.decode()) == ["b-1"]
    # Sent from the screen as it was before the first change.
    second = label("Bamako", drawn).content.decode()
    assert blocks_sent(second) == ["b-0", "b-1"]
    assert "officials said little" not in second
    caches["drawings"].clear()  # another machine served the page: no drawing known
    third = label("officials", drawn).content.decode()
    assert 'id="doc-text"' in third and "Sergey Lavrov" in third
    assert third.count('class="span-row"') == 3


@pytest.fixture
def paged(settings):
    """Parts of about 200 characters once a text passes 500."""
    settings.LARGE_DOCUMENT_CHARS = 500
    settings.PART_CHARS = 200


def long_text() -> str:
    return "\n\n".join(
        f"Paragraph {n}: officials met in Bamako and talked for hours."
        for n in range(1, 21)
    )


@pytest.fixture
def long_assignment(project, annotator):
    document = make_document(project, text=long_text(), title="Long")
    return Assignment.objects.create(document=document, annotator=annotator)


def test_it_opens_a_long_text_on_its_first_part_with_a_pager(
    annotator_client, paged, long_assignment
):
    body = annotator_client.get(url("annotate", long_assignment)).content.decode()
    assert "Part 1 of 7" in body
    assert 'href="?part=2"' in body and "?part=0" not in body
    assert 'data-part="1" data-offset="0"' in body
    assert "Paragraph 1:" in body and "Paragraph 4:" not in body
    assert "find in this part" in body


def test_it_shows_the_second_part_and_its_spans_only(
    annotator_client, project, paged, long_assignment
):
    text = long_text()
    gpe = entity(project, "GPE")
    for n in (1, 5):  # one span in part 1, one in part 2
        start = text.index("Bamako", text.index(f"Paragraph {n}:"))
        Span.objects.create(
            assignment=long_assignment,
            start=start,
            end=start + 6,
            text="Bamako",
            label=gpe,
        )
    response = annotator_client.get(url("annotate", long_assignment), {"part": 2})
    body = response.content.decode()
    part_start = text.index("Paragraph 4:")
    assert "Part 2 of 7 · characters 181–" in body
    assert f'data-part="2" data-offset="{part_start}"' in body
    assert "Paragraph 4:" in body and "Paragraph 1:" not in body
    assert 'href="?part=1"' in body and 'href="?part=3"' in body
    assert "1 of 2 spans is in part 2 of 7." in body
    assert body.count('class="span-row"') == 1


def test_it_answers_a_change_on_a_part_with_that_part_s_blocks(
    annotator_client, project, paged, long_assignment
):
    text = long_text()
    start = text.index("Bamako", text.index("Paragraph 5:"))
    response = save_span(
        annotator_client, long_assignment, text, "Bamako", entity(project, "GPE"),
        at=start, part=2,
    )  # fmt: skip
    body = response.content.decode()
    assert response.status_code == 200
    assert blocks_sent(body) == ["b-4"]
    assert "Paragraph 1:" not in body and "Paragraph 6:" not in body
    assert "1 of 1 span is in part 2 of 7." in body
    assert long_assignment.spans.get().start == start
