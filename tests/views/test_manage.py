from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def manage_url(project):
    return reverse("annotate:manage", args=[project.slug])


def test_it_pins_the_public_paths():
    assert reverse("annotate:manage", args=["demo"]) == "/p/demo/manage/"
    assert reverse("annotate:label-add", args=["demo"]) == "/p/demo/manage/labels/"
    assert (
        reverse("annotate:label-edit", args=["demo", 3]) == "/p/demo/manage/labels/3/"
    )
    assert reverse("annotate:target-add", args=["demo"]) == "/p/demo/manage/targets/"
    assert reverse("annotate:invite", args=["demo"]) == "/p/demo/manage/people/invite/"


def test_it_shows_settings_people_labels_and_targets(manager_client, project, manager):
    response = manager_client.get(manage_url(project))
    assert response.status_code == 200
    for section in (b'id="settings"', b'id="people"', b'id="label-editor"'):
        assert section in response.content
    assert b'id="target-editor"' in response.content
    assert b"man" in response.content  # the member list


def test_it_edits_the_project_settings(manager_client, project):
    response = manager_client.post(
        manage_url(project),
        {
            "name": "Sahel desk",
            "description": "Russia and France in the Sahel",
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
    assert project.description == "Russia and France in the Sahel"


def test_it_refuses_bad_settings_and_keeps_what_was_typed(manager_client, project):
    response = manager_client.post(
        manage_url(project),
        {"name": "Sahel desk", "guidelines": "kept", "overlap": 0, "blind": "on"},
    )
    assert response.status_code == 400
    assert b"greater than or equal to 1" in response.content
    assert b"Sahel desk" in response.content
    project.refresh_from_db()
    assert project.overlap == 2


def test_it_keeps_annotators_and_outsiders_out(
    annotator_client, project, client, outsider
):
    assert annotator_client.get(manage_url(project)).status_code == 403
    client.force_login(outsider)
    assert client.get(manage_url(project)).status_code == 404


def test_a_superuser_manages_any_project(client, project):
    client.force_login(make_user("root", is_superuser=True))
    assert client.get(manage_url(project)).status_code == 200
