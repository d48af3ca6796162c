"""My work (/p/<slug>/mine/): the annotator's own documents by state, paged."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotate.models import Assignment
from annotate.review.decisions import accept, reject
from tests.conftest import make_document, member

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def my_work(project, query: str = "") -> str:
    return reverse("annotate:my-work", args=[project.slug]) + query


def screen(assignment) -> str:
    return reverse(
        "annotate:annotate", args=[assignment.document.project.slug, assignment.pk]
    )


@pytest.fixture
def work(project, annotator, reviewer):
    """One of the annotator's documents in each state, one skipped, and a peer's."""
    made = {
        state: Assignment.objects.create(
            document=make_document(project, title=f"Doc {state}", text=f"{state}."),
            annotator=annotator,
        )
        for state in ("in_progress", "submitted", "returned", "accepted", "skipped")
    }
    made["submitted"].submit()
    made["returned"].submit()
    reject(made["returned"], reviewer=reviewer, comment="Mark Bamako as a place")
    made["accepted"].submit()
    accept(made["accepted"], reviewer=reviewer, comment="Fine work")
    made["skipped"].skip()
    peer = member(project, "peer", "annotator")
    made["peer"] = Assignment.objects.create(
        document=made["in_progress"].document, annotator=peer
    )
    return made


def test_it_lists_the_annotators_documents_with_counts_per_state(
    annotator_client, project, work
):
    response = annotator_client.get(my_work(project))
    body = response.content.decode()
    assert response.status_code == 200
    for state in ("in_progress", "submitted", "returned", "accepted"):
        assert f'href="{screen(work[state])}">Doc {state}</a>' in body
    assert "Doc skipped" not in body  # given back: not the annotator's any more
    assert screen(work["peer"]) not in body
    tabs = body.split('class="tabs"', 1)[1].split("</nav>", 1)[0]
    for name, count in (
        ("All", 4),
        ("In progress", 1),
        ("Returned to you", 1),
        ("Submitted", 1),
        ("Accepted", 1),
    ):
        assert f'{name} <span class="count">{count}</span>' in tabs


def test_it_filters_by_state_and_shows_the_reviewers_comment_on_returned(
    annotator_client, project, work
):
    body = annotator_client.get(my_work(project, "?state=returned")).content.decode()
    assert f'href="{screen(work["returned"])}">Doc returned</a>' in body
    assert "Doc submitted" not in body and "Doc in_progress" not in body
    assert "rev, " in body and "<q>Mark Bamako as a place</q>" in body
    assert 'href="?state=returned"' in body and 'aria-current="page"' in body


def test_it_says_so_when_a_state_is_empty(annotator_client, project, annotator):
    body = annotator_client.get(my_work(project, "?state=accepted")).content.decode()
    assert "none of your documents is “accepted”" in body


def test_it_refuses_an_unknown_state_naming_it(annotator_client, project):
    response = annotator_client.get(my_work(project, "?state=stolen"))
    assert response.status_code == 400
    assert "state: Select a valid choice. stolen is not one of" in (
        response.content.decode()
    )


def test_it_answers_htmx_with_the_list_alone(annotator_client, project, work):
    response = annotator_client.get(my_work(project, "?state=submitted"), headers=HTMX)
    body = response.content.decode()
    assert "<html" not in body and body.lstrip().startswith('<section id="my-work"')
    assert "Doc submitted" in body and "Doc accepted" not in body


def test_it_pages_with_the_querystring_kept(
    annotator_client, project, annotator, monkeypatch
):
    monkeypatch.setattr("annotate.views.mywork.PAGE_SIZE", 2)
    for n in range(5):
        Assignment.objects.create(
            document=make_document(project, title=f"Doc {n}", text=f"Text {n}."),
            annotator=annotator,
        ).submit()
    first = annotator_client.get(my_work(project, "?state=submitted"))
    body = first.content.decode()
    assert "1–2 of 5" in body
    assert 'href="?state=submitted&amp;page=2"' in body
    third = annotator_client.get(my_work(project, "?state=submitted&page=3"))
    assert "5–5 of 5" in third.content.decode()
    assert [row[0].document.title for row in third.context["rows"]] == ["Doc 0"]


def test_it_reads_in_a_fixed_number_of_queries(
    annotator_client, project, annotator, work, django_assert_num_queries
):
    for n in range(10):
        Assignment.objects.create(
            document=make_document(project, title=f"More {n}", text=f"More {n}."),
            annotator=annotator,
        )
    # Session, user, project and role; then counts, page size, page.
    with django_assert_num_queries(6):
        annotator_client.get(my_work(project))


def test_a_reviewer_sees_their_own_work_not_the_annotators(
    client, project, reviewer, work
):
    client.force_login(reviewer)
    response = client.get(my_work(project))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Doc returned" not in body and "You have no documents" in body


def test_an_outsider_gets_404(outsider_client, project, work):
    assert outsider_client.get(my_work(project)).status_code == 404


def test_anonymous_goes_to_the_login_page(client, project):
    response = client.get(my_work(project))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_it_refuses_post(annotator_client, project):
    assert annotator_client.post(my_work(project)).status_code == 405
