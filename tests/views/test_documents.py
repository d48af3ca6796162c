from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import make_document, make_user

pytestmark = pytest.mark.django_db


def test_it_pins_the_public_paths():
    assert reverse("annotate:project-list") == "/"
    assert reverse("annotate:document-list", args=["demo"]) == "/p/demo/"
    assert reverse("annotate:document-detail", args=["demo", 7]) == "/p/demo/d/7/"


@pytest.mark.parametrize(
    "name",
    ["annotate:project-list", "annotate:document-list", "annotate:document-detail"],
)
def test_it_sends_anonymous_users_to_the_login_page(client, project, name):
    document = make_document(project)
    args = {"annotate:project-list": [], "annotate:document-list": [project.slug]}.get(
        name, [project.slug, document.pk]
    )
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_lists_only_the_users_projects(annotator_client, project, outsider):
    response = annotator_client.get(reverse("annotate:project-list"))
    assert response.status_code == 200
    assert b"Lavrov in Africa" in response.content
    assert b"Other" not in response.content


def test_it_lists_and_searches_documents(annotator_client, project):
    make_document(project, title="Lavrov in Bamako", text="Lavrov visited Bamako.")
    make_document(project, title="Cocoa prices", text="Cocoa prices fell.")
    url = reverse("annotate:document-list", args=[project.slug])
    response = annotator_client.get(url, {"q": "bamako"})
    assert response.status_code == 200
    assert b"Lavrov in Bamako" in response.content
    assert b"Cocoa prices" not in response.content


def test_it_returns_only_the_table_to_htmx(annotator_client, project):
    make_document(project, title="Lavrov in Bamako")
    url = reverse("annotate:document-list", args=[project.slug])
    response = annotator_client.get(url, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<html" not in body
    assert 'id="document-table"' in body


def test_it_hides_a_project_from_outsiders(outsider_client, project):
    document = make_document(project)
    assert (
        outsider_client.get(
            reverse("annotate:document-list", args=[project.slug])
        ).status_code
        == 404
    )
    assert (
        outsider_client.get(
            reverse("annotate:document-detail", args=[project.slug, document.pk])
        ).status_code
        == 404
    )


def test_it_shows_a_document_with_its_text_escaped(annotator_client, project):
    document = make_document(
        project, title="<script>alert(1)</script>", text="Hello <b>world</b>"
    )
    response = annotator_client.get(
        reverse("annotate:document-detail", args=[project.slug, document.pk])
    )
    assert response.status_code == 200
    assert b"<script>alert(1)</script>" not in response.content
    assert b"&lt;b&gt;world&lt;/b&gt;" in response.content


def test_it_does_not_show_a_document_of_another_project(
    annotator_client, project, outsider
):
    other_document = make_document(outsider.memberships.get().project)
    response = annotator_client.get(
        reverse("annotate:document-detail", args=[project.slug, other_document.pk])
    )
    assert response.status_code == 404


def test_it_counts_the_annotators_own_documents_and_links_to_my_work(
    annotator_client, annotator, project
):
    from annotate.models import Assignment

    mine = Assignment.objects.create(
        document=make_document(project, title="Mine, submitted"), annotator=annotator
    )
    mine.submit()
    Assignment.objects.create(
        document=make_document(project, title="Someone else's", text="Other text."),
        annotator=make_user("peer"),
    )
    response = annotator_client.get(
        reverse("annotate:document-list", args=[project.slug])
    )
    body = response.content.decode()
    my_work = reverse("annotate:my-work", args=[project.slug])
    assert f'href="{my_work}"' in body
    assert f'href="{my_work}?state=submitted">1 submitted</a>' in body
    assert f'href="{my_work}?state=in_progress">0 in progress</a>' in body
    assert "returned to you" not in body  # nothing returned: no call to action
    assert "Your recent documents" not in body


def test_it_shows_how_many_documents_came_back_with_a_link_to_them(
    annotator_client, annotator, reviewer, project
):
    from annotate.models import Assignment
    from annotate.review.decisions import reject

    for n in range(2):
        work = Assignment.objects.create(
            document=make_document(project, title=f"Doc {n}", text=f"Text {n}."),
            annotator=annotator,
        )
        work.submit()
        reject(work, reviewer=reviewer, comment="Bamako is a city")
    body = annotator_client.get(
        reverse("annotate:document-list", args=[project.slug])
    ).content.decode()
    my_work = reverse("annotate:my-work", args=[project.slug])
    assert f'href="{my_work}?state=returned">2 returned to you</a>' in body


def test_it_pages_by_keyset_forwards_and_back(annotator_client, project, monkeypatch):
    monkeypatch.setattr("annotate.views.documents.PAGE_SIZE", 2)
    for n in range(5):
        make_document(project, title=f"Document {n}", text=f"Text {n}.")
    url = reverse("annotate:document-list", args=[project.slug])

    def titles(response) -> list[str]:
        return [d.title for d in response.context["page"].object_list]

    def position(response) -> str:
        pager = response.content.decode().split('class="position">')[1]
        return " ".join(pager.split("</span>")[0].split())

    first = annotator_client.get(url)
    assert titles(first) == ["Document 0", "Document 1"]
    assert position(first) == "1–2 of 5 documents"
    assert b"Previous" not in first.content
    second = annotator_client.get(url, {"after": first.context["page"].after})
    third = annotator_client.get(url, {"after": second.context["page"].after})
    assert titles(second) == ["Document 2", "Document 3"]
    assert position(second) == "3–4 of 5 documents"
    assert titles(third) == ["Document 4"] and b"Next" not in third.content
    assert position(third) == "5 of 5 documents"
    back = annotator_client.get(url, {"before": third.context["page"].before})
    assert titles(back) == ["Document 2", "Document 3"]
    assert position(back) == "3–4 of 5 documents"
    assert b"First" in back.content


def test_it_caps_the_count_of_a_big_list(annotator_client, project, monkeypatch):
    monkeypatch.setattr("annotate.views.documents.COUNT_LIMIT", 2)
    for n in range(4):
        make_document(project, title=f"Bamako {n}", text=f"Bamako {n}.")
    url = reverse("annotate:document-list", args=[project.slug])
    response = annotator_client.get(url, {"q": "bamako"})
    assert b"more than 2" in response.content
