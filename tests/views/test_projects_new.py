"""New project from the web: who may, the templates, and a copy of another project's
set-up (never its documents or work)."""

from __future__ import annotations

import importlib

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from annotate.models import (
    DEFAULT_LABELS,
    Assignment,
    Label,
    Membership,
    Project,
    StanceTarget,
)
from annotate.projects.people import PROJECT_CREATORS
from annotate.projects.templates import NEWS_STANCE_TARGETS
from tests.conftest import make_document, make_user, member

pytestmark = pytest.mark.django_db
NEW = reverse("annotate:project-new")


def creator(client, username="creator"):
    user = make_user(username)
    # The migration makes the group; tests that flush the database (transaction=True)
    # take it away again under --reuse-db, so it is made here if missing.
    group, _ = Group.objects.get_or_create(name=PROJECT_CREATORS)
    user.groups.add(group)
    client.force_login(user)
    return user


def form(**fields):
    return {
        "name": "Sahel desk",
        "description": "",
        "start_from": "news",
        "guidelines": "",
        "overlap": "",
        "blind": "",
        **fields,
    }


def labels_of(project):
    return [
        (label.kind, label.name, label.colour, label.shortcut, label.value)
        for label in Label.objects.filter(project=project)
    ]


def test_it_pins_the_public_path():
    assert NEW == "/projects/new/"


def test_the_migration_makes_the_project_creators_group():
    from django.apps import apps

    migration = importlib.import_module("annotate.migrations.0015_projects_and_people")
    Group.objects.filter(name=PROJECT_CREATORS).delete()
    migration.add_creators_group(apps, None)
    migration.add_creators_group(apps, None)  # again: still one
    assert Group.objects.filter(name=PROJECT_CREATORS).count() == 1


def test_it_makes_a_project_from_the_news_template(client):
    user = creator(client)
    response = client.post(NEW, form(description="Who says what about the Sahel"))
    project = Project.objects.get(name="Sahel desk")
    assert response.status_code == 302
    assert response["Location"] == reverse("annotate:manage", args=[project.slug])
    assert project.slug == "sahel-desk"
    assert (project.overlap, project.blind) == (2, True)
    assert project.description == "Who says what about the Sahel"
    # The demo's labels: kinds, names, colours, keys, values, in the demo's order.
    expected = [
        (kind, name, colour, key, value)
        for kind, rows in DEFAULT_LABELS.items()
        for name, colour, key, value, _ in rows
    ]
    assert sorted(labels_of(project)) == sorted(expected)
    assert [
        label.name for label in Label.objects.filter(project=project, kind="entity")
    ] == [row[0] for row in DEFAULT_LABELS["entity"]]
    assert [
        (t.name, t.description) for t in StanceTarget.objects.filter(project=project)
    ] == list(NEWS_STANCE_TARGETS)
    membership = Membership.objects.get(project=project)
    assert (membership.user, membership.role) == (user, "manager")


def test_the_news_templates_keys_are_unique_and_clear_of_the_screens_keys():
    from annotate.models import SCREEN_KEYS, key_problem

    keys = [row[2] for rows in DEFAULT_LABELS.values() for row in rows]
    assert len(keys) == len(set(keys))
    assert not set(keys) & set(SCREEN_KEYS)
    for kind, rows in DEFAULT_LABELS.items():
        for row in rows:
            assert key_problem(row[2], kind=kind) == ""


@pytest.mark.parametrize(
    ("template", "kinds"),
    [("entities", {"entity"}), ("stance", {"stance"}), ("blank", set())],
)
def test_the_other_templates_give_their_kinds_only(client, template, kinds):
    creator(client)
    client.post(NEW, form(start_from=template, overlap="3", blind="open"))
    project = Project.objects.get(name="Sahel desk")
    assert {label.kind for label in Label.objects.filter(project=project)} == kinds
    assert not StanceTarget.objects.filter(project=project).exists()
    assert (project.overlap, project.blind) == (3, False)


def test_a_taken_name_gets_a_numbered_slug(client, project):
    creator(client)
    client.post(NEW, form(name="Lavrov"))
    assert Project.objects.filter(slug="lavrov-2", name="Lavrov").exists()


def test_it_copies_the_set_up_of_a_project_the_user_manages(client, project, annotator):
    user = creator(client)
    Membership.objects.create(user=user, project=project, role="manager")
    project.guidelines, project.overlap, project.blind = "# House rules", 3, False
    project.save()
    Label.objects.filter(project=project, name="MISC").update(retired=True)
    weapon = Label.objects.get_or_create_named(project, kind="entity", name="WEAPON")
    StanceTarget.objects.create(project=project, name="Wagner in Mali", position=0)
    StanceTarget.objects.create(project=project, name="Old", position=1, retired=True)
    document = make_document(project)
    Assignment.objects.create(document=document, annotator=annotator)

    response = client.post(NEW, form(name="Copy", start_from=f"copy-{project.pk}"))
    assert response.status_code == 302
    copy = Project.objects.get(name="Copy")
    assert (copy.guidelines, copy.overlap, copy.blind) == ("# House rules", 3, False)
    copied = {(kind, name) for kind, name, *_ in labels_of(copy)}
    assert ("entity", "WEAPON") in copied and ("entity", "MISC") not in copied
    assert labels_of(copy) == [row for row in labels_of(project) if row[1] != "MISC"], (
        "same colours, keys, values and order"
    )
    assert list(copy.stance_targets.values_list("name", flat=True)) == [
        "Wagner in Mali"
    ]
    assert copy.document_count == 0 and not copy.documents.exists()
    assert list(copy.memberships.values_list("user__username", flat=True)) == [
        "creator"
    ]
    assert weapon.pk not in copy.labels.values_list("pk", flat=True)


def test_settings_given_with_a_copy_win_over_the_copied_ones(client, project):
    user = creator(client)
    Membership.objects.create(user=user, project=project, role="manager")
    client.post(
        NEW,
        form(
            name="Copy",
            start_from=f"copy-{project.pk}",
            guidelines="Mine",
            overlap="1",
            blind="open",
        ),
    )
    copy = Project.objects.get(name="Copy")
    assert (copy.guidelines, copy.overlap, copy.blind) == ("Mine", 1, False)


def test_it_copies_only_projects_the_user_manages(client, project):
    user = creator(client)
    Membership.objects.create(user=user, project=project, role="reviewer")
    page = client.get(NEW)
    assert f"copy-{project.pk}" not in page.content.decode()
    response = client.post(NEW, form(name="Copy", start_from=f"copy-{project.pk}"))
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Project.objects.filter(name="Copy").exists()


def test_it_refuses_a_form_without_a_name_and_keeps_the_rest(client):
    creator(client)
    response = client.post(NEW, form(name="  ", guidelines="Typed guidelines"))
    assert response.status_code == 400
    assert "Typed guidelines" in response.content.decode()
    assert not Project.objects.exists()


def test_new_project_is_on_the_list_for_creators_and_superusers(client, project):
    creator(client)
    assert b"New project" in client.get(reverse("annotate:project-list")).content
    client.force_login(make_user("root", is_superuser=True))
    assert b"New project" in client.get(reverse("annotate:project-list")).content
    assert client.get(NEW).status_code == 200


def test_others_may_not_make_projects(client, project):
    user = member(project, "boss", Membership.Role.MANAGER)
    client.force_login(user)
    assert b"New project" not in client.get(reverse("annotate:project-list")).content
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, form()).status_code == 403
    assert not Project.objects.filter(name="Sahel desk").exists()


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(NEW)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
