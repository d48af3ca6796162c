"""Projects through the API: the same set-up as the web's "New project"."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from annotate.models import Label, Membership, Project
from tests.api.conftest import ApiClient, token_for
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_a_project_creator_makes_a_project_from_the_news_template():
    creator = make_user("creator")
    creator.groups.add(Group.objects.get_or_create(name="project creators")[0])
    response = ApiClient(token_for(creator)).post(
        "/api/v1/projects/", {"name": "Sahel news", "template": "news"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["slug"] == "sahel-news" and body["role"] == "manager"
    project = Project.objects.get(slug="sahel-news")
    assert project.labels.filter(kind=Label.Kind.RELIABILITY).count() == 5
    assert project.stance_targets.count() == 2
    assert Membership.objects.get(project=project, user=creator).role == "manager"


def test_a_copy_takes_the_set_up_of_a_project_the_caller_manages(project, manager):
    manager.groups.add(Group.objects.get_or_create(name="project creators")[0])
    response = ApiClient(token_for(manager)).post(
        "/api/v1/projects/",
        {"name": "Copy", "template": "blank", "copy_from": project.slug},
    )
    assert response.status_code == 201, response.content
    copy = Project.objects.get(slug="copy")
    assert copy.labels.count() == project.labels.count()


def test_creating_a_project_needs_the_group(annotator):
    response = ApiClient(token_for(annotator)).post(
        "/api/v1/projects/", {"name": "Mine"}
    )
    assert response.status_code == 403
    assert "project creators" in response.json()["message"]
    assert not Project.objects.filter(name="Mine").exists()
