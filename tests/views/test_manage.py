from __future__ import annotations

import pytest
from django.urls import reverse

from annotate.models import Label, Membership, Span, StanceTarget
from tests.conftest import make_document, make_user

pytestmark = pytest.mark.django_db


def manage_url(project):
    return reverse("annotate:manage", args=[project.slug])


def test_it_edits_the_project_settings(manager_client, project):
    response = manager_client.post(
        manage_url(project),
        {
            "action": "settings",
            "name": "Sahel desk",
            "guidelines": "# Be brief",
            "overlap": 3,
            "blind": "",
        },
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.name, project.overlap, project.blind, project.guidelines) == (
        "Sahel desk",
        3,
        False,
        "# Be brief",
    )


def test_it_adds_a_member_and_changes_their_role(manager_client, project):
    newcomer = make_user("newcomer")
    manager_client.post(
        manage_url(project),
        {"action": "member", "username": "newcomer", "role": "annotator"},
    )
    manager_client.post(
        manage_url(project),
        {"action": "member", "username": "newcomer", "role": "reviewer"},
    )
    assert Membership.objects.get(user=newcomer, project=project).role == "reviewer"


def test_it_says_which_username_is_unknown(manager_client, project):
    response = manager_client.post(
        manage_url(project),
        {"action": "member", "username": "ghost", "role": "annotator"},
    )
    assert response.status_code == 400
    assert b"No active user with that username" in response.content


def test_it_adds_labels_and_stance_targets(manager_client, project):
    manager_client.post(
        manage_url(project),
        {
            "action": "label",
            "kind": "entity",
            "name": "WEAPON",
            "colour": "#123456",
            "shortcut": "w",
            "value": "",
            "description": "",
        },
    )
    manager_client.post(
        manage_url(project),
        {"action": "target", "name": "Wagner Group in Mali", "description": ""},
    )
    assert Label.objects.filter(project=project, name="WEAPON", shortcut="w").exists()
    assert StanceTarget.objects.filter(
        project=project, name="Wagner Group in Mali"
    ).exists()


def test_it_refuses_a_shortcut_already_taken(manager_client, project):
    response = manager_client.post(
        manage_url(project),
        {
            "action": "label",
            "kind": "entity",
            "name": "PEOPLE",
            "colour": "#123456",
            "shortcut": "p",
            "value": "",
            "description": "",
        },
    )
    assert response.status_code == 400
    assert not Label.objects.filter(project=project, name="PEOPLE").exists()


def test_it_keeps_a_label_that_annotations_use(manager_client, project, annotator):
    from annotate.models import Assignment

    person = Label.objects.get(project=project, name="PERSON")
    assignment = Assignment.objects.create(
        document=make_document(project), annotator=annotator
    )
    Span.objects.create(
        assignment=assignment, start=0, end=6, text="Sergey", label=person
    )
    response = manager_client.post(
        manage_url(project), {"action": "remove-label", "id": person.pk}, follow=True
    )
    assert b"in use" in response.content
    assert Label.objects.filter(pk=person.pk).exists()


def test_it_keeps_annotators_and_outsiders_out(
    annotator_client, project, client, outsider
):
    assert annotator_client.get(manage_url(project)).status_code == 403
    client.force_login(outsider)
    assert client.get(manage_url(project)).status_code == 404
