"""The label and stance-target editor of the manage page: add, rename, recolour,
reorder, keys, retire, restore, delete; with and without htmx; and what a retired
label or target does to the annotation and review screens and to exports."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from annotate.exports import export_lines
from annotate.models import (
    LABEL_PALETTE,
    Assignment,
    Label,
    Rating,
    Source,
    Span,
    Stance,
    StanceTarget,
)
from tests.conftest import make_document

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def body(response) -> str:
    """The response as text, HTML entities read ("screen's", not "screen&#x27;s")."""
    return html.unescape(response.content.decode())


def label(project, name, kind=Label.Kind.ENTITY):
    return Label.objects.get(project=project, kind=kind, name=name)


def add_url(project):
    return reverse("annotate:label-add", args=[project.slug])


def edit_url(project, item):
    return reverse("annotate:label-edit", args=[project.slug, item.pk])


def row_data(item, **changes):
    """What a label's row posts: its fields as shown, changed by `changes`."""
    data = {
        "name": item.name,
        "colour": item.colour,
        "shortcut": item.shortcut,
        "value": "" if item.value is None else item.value,
        "description": item.description,
        "op": "save",
    }
    return {**data, **changes}


def new_label(kind="entity", **fields):
    return {
        "kind": kind,
        "name": "WEAPON",
        "colour": "",
        "shortcut": "",
        "value": "",
        "description": "",
        "op": "save",
        **fields,
    }


# Adding, renaming, recolouring


def test_it_adds_a_label_in_a_colour_no_label_has(manager_client, project):
    response = manager_client.post(add_url(project), new_label(shortcut="w"))
    assert response.status_code == 302
    weapon = label(project, "WEAPON")
    used = set(
        Label.objects.filter(project=project)
        .exclude(pk=weapon.pk)
        .values_list("colour", flat=True)
    )
    assert weapon.colour in LABEL_PALETTE
    assert weapon.colour not in used
    assert weapon.shortcut == "w"
    # At the end of its kind.
    assert (
        weapon.position
        == Label.objects.filter(project=project, kind="entity").count() - 1
    )


def test_it_renames_recolours_and_rekeys_a_label(manager_client, project):
    person = label(project, "PERSON")
    response = manager_client.post(
        edit_url(project, person),
        row_data(person, name="PER", colour="#123456", shortcut="q"),
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.name, person.colour, person.shortcut) == ("PER", "#123456", "q")


def test_it_answers_htmx_with_the_editor_alone(manager_client, project):
    person = label(project, "PERSON")
    response = manager_client.post(
        edit_url(project, person), row_data(person, name="PER"), headers=HTMX
    )
    assert response.status_code == 200
    text = body(response)
    assert "<html" not in text
    assert text.lstrip().startswith('<section class="card editor" id="label-editor"')
    assert "Saved PER." in text


def test_it_refuses_a_name_the_kind_has_and_keeps_what_was_typed(
    manager_client, project
):
    person = label(project, "PERSON")
    response = manager_client.post(
        edit_url(project, person),
        row_data(person, name="org", description="typed here"),
        headers=HTMX,
    )
    assert response.status_code == 400
    text = body(response)
    assert "already has a entity label named ORG" in text
    assert 'value="typed here"' in text
    person.refresh_from_db()
    assert person.name == "PERSON"


# Keys


@pytest.mark.parametrize(
    ("kind", "key", "reason"),
    [
        ("stance", "p", "taken by the entity label PERSON"),
        ("entity", "f", "taken by the stance label favor"),
        ("entity", "g", "the annotation screen's (show the guidelines)"),
        ("entity", "u", "the annotation screen's (undo)"),
        ("stance", "/", "the annotation screen's (find in the text)"),
        ("entity", "?", "the annotation screen's (the keyboard help)"),
        ("entity", "7", "Digits are kept for the reliability scale"),
        ("entity", "é", "one letter a–z"),
    ],
)
def test_it_refuses_a_key_taken_or_kept_by_the_screen(
    manager_client, project, kind, key, reason
):
    response = manager_client.post(
        add_url(project), new_label(kind=kind, shortcut=key), headers=HTMX
    )
    assert response.status_code == 400
    assert reason in body(response)
    assert not Label.objects.filter(project=project, name="WEAPON").exists()


def test_it_keeps_keys_unique_across_kinds_when_changing_one(manager_client, project):
    favor = label(project, "favor", Label.Kind.STANCE)
    response = manager_client.post(
        edit_url(project, favor), row_data(favor, shortcut="P")
    )
    assert response.status_code == 400
    assert "The key p is taken by the entity label PERSON." in body(response)
    favor.refresh_from_db()
    assert favor.shortcut == "f"


def test_a_reliability_grade_takes_a_digit(manager_client, project):
    response = manager_client.post(
        add_url(project),
        new_label(kind="reliability", name="fabricated", shortcut="0", value="0"),
    )
    assert response.status_code == 302
    assert label(project, "fabricated", "reliability").shortcut == "0"


def test_it_refuses_a_grade_without_a_value_or_with_one_taken(manager_client, project):
    without = manager_client.post(
        add_url(project), new_label(kind="reliability", name="dubious")
    )
    assert "needs its value" in body(without)
    taken = manager_client.post(
        add_url(project), new_label(kind="reliability", name="dubious", value="3")
    )
    assert "The grade mixed already has the value 3." in body(taken)
    assert not Label.objects.filter(project=project, name="dubious").exists()


def test_an_old_key_the_screen_took_since_is_pointed_out_and_does_not_block_a_rename(
    manager_client, project
):
    gpe = label(project, "GPE")
    Label.objects.filter(pk=gpe.pk).update(shortcut="g")  # an older project's key
    page = manager_client.get(reverse("annotate:manage", args=[project.slug]))
    assert "The key g should change" in body(page)
    gpe.refresh_from_db()
    response = manager_client.post(edit_url(project, gpe), row_data(gpe, name="PLACE"))
    assert response.status_code == 302
    gpe.refresh_from_db()
    assert (gpe.name, gpe.shortcut) == ("PLACE", "g")


# Order


def names_of(project, kind):
    return list(
        Label.objects.filter(project=project, kind=kind).values_list("name", flat=True)
    )


def test_it_moves_a_label_up_and_down_and_renumbers(manager_client, project):
    gpe = label(project, "GPE")
    manager_client.post(edit_url(project, gpe), row_data(gpe, op="up"))
    assert names_of(project, "entity")[:3] == ["PERSON", "GPE", "ORG"]
    manager_client.post(edit_url(project, gpe), row_data(gpe, op="down"))
    manager_client.post(edit_url(project, gpe), row_data(gpe, op="down"))
    assert names_of(project, "entity")[:4] == ["PERSON", "ORG", "LOC", "GPE"]
    positions = Label.objects.filter(project=project, kind="entity").values_list(
        "position", flat=True
    )
    assert list(positions) == list(range(7))


def test_the_reliability_scale_reads_low_to_high_by_value_everywhere(
    manager_client, project, annotator
):
    # Added last, at the end of the positions, but the lowest value: it comes first.
    manager_client.post(
        add_url(project),
        new_label(kind="reliability", name="fabricated", value="0", shortcut="0"),
    )
    assert names_of(project, "reliability") == [
        "fabricated",
        "very low",
        "low",
        "mixed",
        "high",
        "very high",
    ]
    manage = manager_client.get(reverse("annotate:manage", args=[project.slug]))
    text = body(manage)
    assert text.index('value="fabricated"') < text.index('value="very low"')
    # The annotation screen's source panel and its legend.
    document = make_document(project)
    assignment = Assignment.objects.create(document=document, annotator=annotator)
    client = Client()
    client.force_login(annotator)
    screen = client.get(
        reverse("annotate:annotate", args=[project.slug, assignment.pk])
    ).content.decode()
    legend = re.findall(r'class="choice-legend l-\d+">(\d+) ', screen)
    assert legend == ["0", "1", "2", "3", "4", "5"]
    # The review screen's choices for ratings.
    assignment.submit()
    review = manager_client.get(
        reverse("annotate:adjudicate", args=[project.slug, document.pk])
    )
    assert [label.value for label in review.context["labels_of"]["rating"]] == [
        0,
        1,
        2,
        3,
        4,
        5,
    ]


def test_a_reliability_grade_has_no_up_and_down(manager_client, project):
    low = label(project, "low", "reliability")
    response = manager_client.post(edit_url(project, low), row_data(low, op="up"))
    assert response.status_code == 400
    assert "ordered by its values" in body(response)


# Retiring, restoring, deleting


@pytest.fixture
def person_span(project, annotator):
    document = make_document(project)
    assignment = Assignment.objects.create(document=document, annotator=annotator)
    assignment.submit()
    return Span.objects.create(
        assignment=assignment,
        start=0,
        end=13,
        text="Sergey Lavrov",
        label=label(project, "PERSON"),
    )


def test_a_retired_label_leaves_the_screen_but_stays_on_spans_and_in_exports(
    manager_client, project, person_span, annotator
):
    person = label(project, "PERSON")
    response = manager_client.post(
        edit_url(project, person), row_data(person, op="retire")
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.retired
    client = Client()
    client.force_login(annotator)
    screen = client.get(
        reverse("annotate:annotate", args=[project.slug, person_span.assignment_id])
    ).content.decode()
    buttons = screen[
        screen.index('id="entity-labels"') : screen.index(
            "</div>", screen.index('id="entity-labels"')
        )
    ]
    assert f'data-label="{person.pk}"' not in buttons
    assert (
        'data-key="p"'
        not in screen.split('id="help"')[0].split('id="entity-labels"')[1][:2000]
    )
    # The span keeps it, on the screen and in the export.
    assert '<span class="label-name">PERSON</span>' in screen
    (line,) = export_lines(project, "spans", selection="all")
    assert [(s["text"], s["label"]) for s in line["spans"]] == [
        ("Sergey Lavrov", "PERSON")
    ]


def test_a_retired_label_is_not_given_anew(project, person_span, client, annotator):
    person = label(project, "PERSON")
    person.retired = True
    person.save()
    client.force_login(annotator)
    assignment = person_span.assignment
    response = client.post(
        reverse("annotate:span-create", args=[project.slug, assignment.pk]),
        {"start": 33, "end": 39, "text": "Bamako", "label": person.pk},
    )
    assert response.status_code == 400
    assert "The entity label PERSON is retired" in body(response)


def test_retiring_frees_the_key_and_restoring_takes_it_back_when_free(
    manager_client, project
):
    person = label(project, "PERSON")
    manager_client.post(edit_url(project, person), row_data(person, op="retire"))
    manager_client.post(add_url(project), new_label(name="PEOPLE", shortcut="p"))
    assert label(project, "PEOPLE").shortcut == "p"
    response = manager_client.post(
        edit_url(project, person), row_data(person, op="restore"), follow=True
    )
    assert "PERSON is back without a key" in body(response)
    person.refresh_from_db()
    assert (person.retired, person.shortcut) == (False, "")


def test_it_deletes_an_unused_label_and_keeps_a_used_one(
    manager_client, project, person_span
):
    loc = label(project, "LOC")
    person = label(project, "PERSON")
    manager_client.post(edit_url(project, loc), row_data(loc, op="delete"))
    assert not Label.objects.filter(pk=loc.pk).exists()
    response = manager_client.post(
        edit_url(project, person), row_data(person, op="delete")
    )
    assert response.status_code == 400
    assert "PERSON is used by annotations, so it stays: retire it instead." in (
        body(response)
    )
    assert Label.objects.filter(pk=person.pk).exists()


# Stance targets


def target_url(project, target=None):
    if target is None:
        return reverse("annotate:target-add", args=[project.slug])
    return reverse("annotate:target-edit", args=[project.slug, target.pk])


def test_it_adds_edits_and_reorders_stance_targets(manager_client, project):
    for name in ("Wagner in Mali", "French troops"):
        response = manager_client.post(
            target_url(project), {"name": name, "description": ""}
        )
        assert response.status_code == 302
    wagner, french = StanceTarget.objects.filter(project=project)
    assert [wagner.name, french.name] == ["Wagner in Mali", "French troops"]
    manager_client.post(
        target_url(project, french),
        {"name": "French troops", "description": "", "op": "up"},
    )
    assert list(
        StanceTarget.objects.filter(project=project).values_list("name", flat=True)
    ) == ["French troops", "Wagner in Mali"]
    response = manager_client.post(
        target_url(project, wagner),
        {"name": "Wagner Group in Mali", "description": "The PMC", "op": "save"},
        headers=HTMX,
    )
    assert 'id="target-editor"' in body(response)
    wagner.refresh_from_db()
    assert (wagner.name, wagner.description) == ("Wagner Group in Mali", "The PMC")


def test_a_retired_target_is_asked_no_more_but_its_stances_stay(
    manager_client, project, annotator
):
    asked = StanceTarget.objects.create(project=project, name="Asked", position=0)
    answered = StanceTarget.objects.create(project=project, name="Answered", position=1)
    quiet = StanceTarget.objects.create(project=project, name="Quiet", position=2)
    document = make_document(project)
    assignment = Assignment.objects.create(document=document, annotator=annotator)
    Stance.objects.create(
        assignment=assignment, target=answered, label=label(project, "favor", "stance")
    )
    for target in (answered, quiet):
        manager_client.post(
            target_url(project, target),
            {"name": target.name, "description": "", "op": "retire"},
        )
    client = Client()
    client.force_login(annotator)
    screen = client.get(
        reverse("annotate:annotate", args=[project.slug, assignment.pk])
    ).content.decode()
    assert ">Asked<" in screen and ">Answered<" in screen
    assert ">Quiet<" not in screen
    # Deleting a target would delete its stances: refused.
    response = manager_client.post(
        target_url(project, answered),
        {"name": "Answered", "description": "", "op": "delete"},
    )
    assert response.status_code == 400
    assert "1 stance on Answered would go with it" in body(response)
    assert Stance.objects.filter(target=answered).exists()
    manager_client.post(
        target_url(project, quiet), {"name": "Quiet", "description": "", "op": "delete"}
    )
    assert not StanceTarget.objects.filter(pk=quiet.pk).exists()
    assert asked.pk


# Who may


@pytest.mark.parametrize(
    "name", ["label-add", "label-edit", "target-add", "target-edit"]
)
def test_the_editor_is_for_managers(name, project, annotator_client, client, outsider):
    target = StanceTarget.objects.create(project=project, name="T")
    args = {
        "label-edit": [project.slug, label(project, "PERSON").pk],
        "target-edit": [project.slug, target.pk],
    }.get(name, [project.slug])
    url = reverse(f"annotate:{name}", args=args)
    data = {**new_label(), "name": "Changed"}
    assert annotator_client.post(url, data).status_code == 403
    client.force_login(outsider)
    assert client.post(url, data).status_code == 404
    assert label(project, "PERSON").name == "PERSON"
    assert not Label.objects.filter(project=project, name="Changed").exists()


def test_a_label_of_another_project_is_not_found(manager_client, project, outsider):
    theirs = Label.objects.get(project__slug="other", name="PERSON")
    response = manager_client.post(
        edit_url(project, theirs), row_data(theirs, name="X")
    )
    assert response.status_code == 404


def test_ratings_with_a_retired_grade_keep_it_in_exports(project, annotator):
    document = make_document(project)
    assignment = Assignment.objects.create(document=document, annotator=annotator)
    assignment.submit()
    low = label(project, "low", "reliability")
    Rating.objects.create(
        assignment=assignment,
        source=Source.objects.get_or_create_named("Maliweb"),
        role="publisher",
        label=low,
    )
    low.retired = True
    low.save()
    (line,) = export_lines(project, "reliability", selection="all")
    assert (line["label"], line["value"]) == ("low", 2)


def test_screen_keys_name_every_key_the_annotation_screen_answers_itself():
    """annotate.js may gain a key; SCREEN_KEYS must follow, or a label could take it."""
    from pathlib import Path

    from annotate.models import SCREEN_KEYS

    script = Path(__file__).resolve().parents[2] / "static" / "js" / "annotate.js"
    answered = set(re.findall(r'key === "(.)"', script.read_text()))
    assert {"u", "/"} <= answered  # the pattern still finds the screen's keys
    # Upper case keys come with Shift; label keys are kept lower case.
    assert {key for key in answered if not key.isupper()} <= set(SCREEN_KEYS)


def test_a_refused_change_without_htmx_is_said_in_its_own_section_only(
    manager_client, project
):
    response = manager_client.post(add_url(project), new_label(shortcut="g"))
    assert response.status_code == 400
    text = body(response)
    labels = text[text.index('id="label-editor"') : text.index('id="target-editor"')]
    targets = text[text.index('id="target-editor"') :]
    assert "The key g is the annotation screen's" in labels
    assert "The key g is the annotation screen's" not in targets
    assert 'value="WEAPON"' in labels  # what was typed stays
