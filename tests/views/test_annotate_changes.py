"""Changes on the annotation screen: undo of every kind of change, two tabs of one
annotator, replays, bad input, and the number of queries each action costs."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotate.models import (
    Assignment,
    DismissedSuggestion,
    Entity,
    Label,
    Project,
    Rating,
    Span,
    Stance,
    StanceTarget,
)
from tests.conftest import make_document, member

pytestmark = pytest.mark.django_db

TEXT = "🇲🇱 Bamako 𝔸: Sergey Lavrov met Assimi Goita, AFP reported."
HTMX = {"HX-Request": "true"}


@pytest.fixture
def document(project):
    return make_document(project, text=TEXT, title="Lavrov in Bamako")


@pytest.fixture
def assignment(document, annotator):
    return Assignment.objects.create(document=document, annotator=annotator)


@pytest.fixture
def target(project):
    return StanceTarget.objects.create(project=project, name="Russia in Africa")


def label(project, name, kind=Label.Kind.ENTITY):
    return Label.objects.get(project=project, kind=kind, name=name)


def url(name, assignment, *extra):
    return reverse(
        f"annotate:{name}",
        args=[assignment.document.project.slug, assignment.pk, *extra],
    )


def span_data(project, fragment, name="PERSON", **extra):
    start = TEXT.index(fragment)
    return {
        "start": start,
        "end": start + len(fragment),
        "text": fragment,
        "label": label(project, name).pk,
        **extra,
    }


def version(assignment) -> int:
    assignment.refresh_from_db(fields=["version"])
    return assignment.version


def undo(client, assignment):
    return client.post(
        url("undo", assignment), {"version": version(assignment)}, headers=HTMX
    )


def add(client, project, assignment, fragment, name="PERSON"):
    response = client.post(
        url("span-create", assignment), span_data(project, fragment, name), headers=HTMX
    )
    assert response.status_code == 200
    return Span.objects.get(assignment=assignment, text=fragment, label__name=name)


# Undo


def test_it_undoes_a_deletion_by_bringing_the_span_back_with_its_entity(
    annotator_client, project, assignment
):
    span = add(annotator_client, project, assignment, "Sergey Lavrov")
    lavrov = Entity.objects.create(project=project, name="Sergey Lavrov")
    Span.objects.filter(pk=span.pk).update(entity=lavrov)
    annotator_client.post(url("span-delete", assignment, span.pk), headers=HTMX)
    assert not Span.objects.exists()
    response = undo(annotator_client, assignment)
    assert response.status_code == 200
    assert json.loads(response.headers["HX-Trigger"])["changeUndone"]
    restored = Span.objects.get()
    assert (restored.text, restored.label.name, restored.entity) == (
        "Sergey Lavrov",
        "PERSON",
        lavrov,
    )


def test_it_undoes_a_link_but_keeps_the_alias(annotator_client, project, assignment):
    span = add(annotator_client, project, assignment, "Sergey Lavrov")
    lavrov = Entity.objects.create(project=project, name="Sergei Lavrov")
    annotator_client.post(
        url("span-link", assignment, span.pk), {"entity": lavrov.pk}, headers=HTMX
    )
    undo(annotator_client, assignment)
    span.refresh_from_db()
    lavrov.refresh_from_db()
    assert span.entity is None
    assert lavrov.aliases == ["Sergey Lavrov"]


def test_it_undoes_a_stance_back_to_the_one_before_with_its_note(
    annotator_client, project, assignment, target
):
    favor = label(project, "favor", Label.Kind.STANCE)
    against = label(project, "against", Label.Kind.STANCE)
    data = {"target": target.pk, "label": favor.pk, "note": "Praises the visit."}
    annotator_client.post(url("stance-set", assignment), data, headers=HTMX)
    annotator_client.post(
        url("stance-set", assignment),
        {"target": target.pk, "label": against.pk},
        headers=HTMX,
    )
    stance = Stance.objects.get()
    # Another label keeps the note given before.
    assert (stance.label, stance.note) == (against, "Praises the visit.")
    response = undo(annotator_client, assignment)
    # Only the stance panel is redrawn, in place of whatever sent the undo.
    assert response.headers["HX-Retarget"] == "#stance-panel"
    assert 'id="stance-panel"' in response.content.decode()
    assert 'id="doc-text"' not in response.content.decode()
    stance.refresh_from_db()
    assert (stance.label, stance.note) == (favor, "Praises the visit.")
    undo(annotator_client, assignment)
    assert not Stance.objects.exists()


def test_it_undoes_a_rating(annotator_client, project, assignment):
    data = {
        "source": "AFP",
        "role": "cited",
        "label": label(project, "high", Label.Kind.RELIABILITY).pk,
    }
    annotator_client.post(url("rating-set", assignment), data, headers=HTMX)
    assert Rating.objects.exists()
    response = undo(annotator_client, assignment)
    assert response.headers["HX-Retarget"] == "#source-panel"
    assert 'id="source-panel"' in response.content.decode()
    assert not Rating.objects.exists()


def test_it_undoes_accept_all_in_one_step_and_a_dismissal(
    annotator_client, project, assignment, reviewer
):
    other = make_document(project, text="Assimi Goita met AFP.")
    gold = Assignment.objects.create(document=other, annotator=reviewer, is_gold=True)
    Span.objects.create(
        assignment=gold,
        start=0,
        end=12,
        text="Assimi Goita",
        label=label(project, "PERSON"),
    )
    Span.objects.create(
        assignment=gold, start=17, end=20, text="AFP", label=label(project, "ORG")
    )
    annotator_client.post(
        url("suggestions-accept-all", assignment),
        {"version": version(assignment)},
        headers=HTMX,
    )
    assert Span.objects.filter(assignment=assignment, origin="suggested").count() == 2
    undo(annotator_client, assignment)
    assert not Span.objects.filter(assignment=assignment).exists()
    start = TEXT.index("AFP")
    where = {"start": start, "end": start + 3, "label": label(project, "ORG").pk}
    annotator_client.post(url("suggestion-dismiss", assignment), where, headers=HTMX)
    assert DismissedSuggestion.objects.count() == 1
    undo(annotator_client, assignment)
    assert not DismissedSuggestion.objects.exists()


def test_it_has_nothing_to_undo_on_a_fresh_assignment(annotator_client, assignment):
    assert undo(annotator_client, assignment).status_code == 200


def test_it_undoes_a_double_clicked_undo_once(annotator_client, project, assignment):
    add(annotator_client, project, assignment, "Sergey Lavrov")
    add(annotator_client, project, assignment, "Assimi Goita")
    seen = {"version": version(assignment)}
    first = annotator_client.post(url("undo", assignment), seen, headers=HTMX)
    second = annotator_client.post(url("undo", assignment), seen, headers=HTMX)
    assert (first.status_code, second.status_code) == (200, 409)
    assert "another tab" in second.content.decode()
    assert 'id="doc-text"' in second.content.decode()  # the fresh state comes back
    assert list(Span.objects.values_list("text", flat=True)) == ["Sergey Lavrov"]


def test_it_redirects_a_plain_undo_back_to_the_screen(
    annotator_client, project, assignment
):
    add(annotator_client, project, assignment, "Sergey Lavrov")
    response = annotator_client.post(
        url("undo", assignment), {"version": version(assignment)}
    )
    assert (response.status_code, response["Location"]) == (
        302,
        url("annotate", assignment),
    )
    assert not Span.objects.exists()


def test_it_says_what_it_undid_in_the_flash_line(
    annotator_client, project, assignment, target
):
    add(annotator_client, project, assignment, "Assimi Goita")
    favor = label(project, "favor", Label.Kind.STANCE)
    data = {"target": target.pk, "label": favor.pk}
    annotator_client.post(url("stance-set", assignment), data, headers=HTMX)
    rating = {"source": "AFP", "role": "cited"}
    rating["label"] = label(project, "high", Label.Kind.RELIABILITY).pk
    annotator_client.post(url("rating-set", assignment), rating, headers=HTMX)
    said = []
    for _ in range(4):
        body = undo(annotator_client, assignment).content.decode()
        flash = body[body.index('<p id="flash"') :]
        assert 'role="status"' in flash.split(">", 1)[0]
        said.append(flash.split(">", 1)[1].split("</p>", 1)[0])
    assert said == [
        "Undone: rating of AFP (high)",
        "Undone: stance on Russia in Africa (favor)",
        "Undone: span “Assimi Goita” PERSON",
        "Nothing to undo.",
    ]


def test_it_says_what_it_undid_after_a_plain_undo_too(
    annotator_client, project, assignment
):
    add(annotator_client, project, assignment, "Sergey Lavrov")
    response = annotator_client.post(
        url("undo", assignment), {"version": version(assignment)}, follow=True
    )
    assert "Undone: span “Sergey Lavrov” PERSON" in response.content.decode()


# Evidence: sent with one change, kept for it alone


def test_it_saves_evidence_sent_once_and_none_with_the_next_rating(
    annotator_client, project, assignment, target
):
    start = TEXT.index("Sergey Lavrov met")
    stance = {
        "target": target.pk,
        "label": label(project, "favor", Label.Kind.STANCE).pk,
        "evidence_start": start,
        "evidence_end": start + 17,
    }
    annotator_client.post(url("stance-set", assignment), stance, headers=HTMX)
    high = label(project, "high", Label.Kind.RELIABILITY).pk
    rating = {"source": "Mali Daily", "role": "publisher", "label": high}
    annotator_client.post(url("rating-set", assignment), rating, headers=HTMX)
    assert Stance.objects.get().evidence_text == "Sergey Lavrov met"
    publisher = Rating.objects.get()
    assert (publisher.evidence_start, publisher.evidence_text) == (None, "")


def test_a_cited_source_is_offered_its_mention_until_it_is_rated(
    annotator_client, project, assignment
):
    mention = TEXT.index("AFP")
    sent = f'name="evidence_start" value="{mention}"'
    page = annotator_client.get(url("annotate", assignment)).content.decode()
    assert page.count(sent) == 1  # on AFP's row: the first rating takes it
    rating = {
        "source": "AFP",
        "role": "cited",
        "label": label(project, "high", Label.Kind.RELIABILITY).pk,
        "evidence_start": mention,
        "evidence_end": mention + 3,
    }
    response = annotator_client.post(
        url("rating-set", assignment), rating, headers=HTMX
    )
    assert sent not in response.content.decode()  # rated: a change keeps what is stored
    assert "<strong>AFP</strong>" in response.content.decode()
    del rating["evidence_start"], rating["evidence_end"]
    rating["label"] = label(project, "low", Label.Kind.RELIABILITY).pk
    annotator_client.post(url("rating-set", assignment), rating, headers=HTMX)
    afp = Rating.objects.get()
    assert (afp.label.name, afp.evidence_text) == ("low", "AFP")


def test_it_clears_evidence_and_undo_brings_it_back(
    annotator_client, project, assignment, target
):
    favor = label(project, "favor", Label.Kind.STANCE).pk
    stance = {"target": target.pk, "label": favor, "evidence_start": 0}
    stance["evidence_end"] = len("🇲🇱 Bamako")
    annotator_client.post(url("stance-set", assignment), stance, headers=HTMX)
    shown = annotator_client.get(url("annotate", assignment)).content.decode()
    assert "“🇲🇱 Bamako”" not in shown and "🇲🇱 Bamako</q>" in shown
    clear = {"target": target.pk, "label": favor, "clear_evidence": "1"}
    response = annotator_client.post(url("stance-set", assignment), clear, headers=HTMX)
    assert response.status_code == 200
    assert 'class="evidence-line"' not in response.content.decode()
    saved = Stance.objects.get()
    assert (saved.evidence_start, saved.evidence_end, saved.evidence_text) == (
        None,
        None,
        "",
    )
    undo(annotator_client, assignment)
    saved.refresh_from_db()
    assert (saved.label_id, saved.evidence_text) == (favor, "🇲🇱 Bamako")


# Two tabs of one annotator


def test_it_keeps_what_two_tabs_add(annotator_client, project, assignment):
    shown = version(assignment)
    for fragment in ("Sergey Lavrov", "Assimi Goita"):
        response = annotator_client.post(
            url("span-create", assignment),
            span_data(project, fragment, version=shown),  # both tabs loaded at `shown`
            headers=HTMX,
        )
        assert response.status_code == 200
    body = response.content.decode()
    assert "Another tab changed this document too" in body
    assert body.count('class="span-row"') == 2  # the other tab's span is shown too
    assert 'id="doc-text"' in body  # in the text too: all of it comes back
    assert Span.objects.count() == 2
    shown_now = json.loads(response.headers["HX-Trigger"])["versionChanged"]
    assert shown_now["version"] == version(assignment)


def test_it_refuses_to_relabel_a_span_another_tab_relabelled(
    annotator_client, project, assignment
):
    span = add(annotator_client, project, assignment, "Sergey Lavrov")
    person = label(project, "PERSON").pk
    annotator_client.post(
        url("span-relabel", assignment, span.pk),
        {"label": label(project, "ORG").pk, "seen_label": person},
        headers=HTMX,
    )
    stale = annotator_client.post(
        url("span-relabel", assignment, span.pk),
        {"label": label(project, "MISC").pk, "seen_label": person},
        headers=HTMX,
    )
    assert stale.status_code == 409
    assert "relabelled ORG in another tab" in stale.content.decode()
    span.refresh_from_db()
    assert span.label.name == "ORG"


def test_it_keeps_a_span_another_tab_relabelled_when_asked_to_delete_it(
    annotator_client, project, assignment
):
    span = add(annotator_client, project, assignment, "Sergey Lavrov")
    Span.objects.filter(pk=span.pk).update(label=label(project, "ORG"))
    response = annotator_client.post(
        url("span-delete", assignment, span.pk),
        {"seen_label": label(project, "PERSON").pk},
        headers=HTMX,
    )
    assert response.status_code == 409
    assert Span.objects.filter(pk=span.pk).exists()


def test_it_says_a_span_deleted_in_another_tab_is_gone(
    annotator_client, project, assignment
):
    span = add(annotator_client, project, assignment, "Sergey Lavrov")
    annotator_client.post(url("span-delete", assignment, span.pk), headers=HTMX)
    for name, data in (
        ("span-relabel", {"label": label(project, "ORG").pk}),
        ("span-link", {"new_name": "Sergey Lavrov"}),
    ):
        response = annotator_client.post(
            url(name, assignment, span.pk), data, headers=HTMX
        )
        assert response.status_code == 409
        assert "That span is gone" in response.content.decode()
    assert not Span.objects.exists()
    assert not Entity.objects.exists()


def test_it_refuses_to_overwrite_a_stance_chosen_in_another_tab(
    annotator_client, project, assignment, target
):
    favor = label(project, "favor", Label.Kind.STANCE)
    against = label(project, "against", Label.Kind.STANCE)
    choose = {"target": target.pk, "seen_label": 0}
    annotator_client.post(
        url("stance-set", assignment), {**choose, "label": favor.pk}, headers=HTMX
    )
    replay = annotator_client.post(
        url("stance-set", assignment), {**choose, "label": favor.pk}, headers=HTMX
    )
    assert replay.status_code == 200
    stale = annotator_client.post(
        url("stance-set", assignment), {**choose, "label": against.pk}, headers=HTMX
    )
    assert stale.status_code == 409
    assert "was set to favor in another tab" in stale.content.decode()
    assert Stance.objects.get().label == favor


# Bad input: a message, never a 500, nothing written


@pytest.mark.parametrize(
    ("route", "data", "message"),
    [
        ("stance-set", {"label": 0}, "No stance label"),
        ("stance-set", {"target": 0}, "No such stance target"),
        ("stance-set", {"evidence_start": 5, "evidence_end": 500}, "outside the text"),
        ("stance-set", {"evidence_start": 5}, "Give both ends"),
        (
            "stance-set",
            {"evidence_start": 5, "evidence_end": 9, "clear_evidence": "1"},
            "Either clear the evidence or give a new one",
        ),
        ("rating-set", {"label": "favor"}, "Enter a whole number"),
        ("rating-set", {"role": "owner"}, "Select a valid choice"),
        ("rating-set", {"source": "  "}, "required"),
        ("span-link", {"entity": 0}, "No such entity"),
        ("span-link", {}, "Choose an entity"),
        ("suggestion-accept", {"start": 3, "end": 3}, "empty or reversed"),
    ],
)
def test_it_refuses_bad_input_with_a_message(
    annotator_client, project, assignment, target, route, data, message
):
    span = add(annotator_client, project, assignment, "Sergey Lavrov")
    defaults = {
        "stance-set": {
            "target": target.pk,
            "label": label(project, "favor", Label.Kind.STANCE).pk,
        },
        "rating-set": {
            "source": "AFP",
            "role": "cited",
            "label": label(project, "high", Label.Kind.RELIABILITY).pk,
        },
        "span-link": {},
        "suggestion-accept": {"label": label(project, "ORG").pk},
    }[route]
    args = [span.pk] if route == "span-link" else []
    response = annotator_client.post(
        url(route, assignment, *args), {**defaults, **data}, headers=HTMX
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert response.headers["HX-Retarget"] == "#flash"
    assert Span.objects.count() == 1
    assert not (Stance.objects.exists() or Rating.objects.exists())
    assert not Entity.objects.exists()


def test_it_refuses_a_stance_target_of_another_project(
    annotator_client, project, assignment
):
    other, _ = Project.objects.get_or_create_with_labels("elsewhere")
    foreign = StanceTarget.objects.create(project=other, name="Elsewhere")
    response = annotator_client.post(
        url("stance-set", assignment),
        {"target": foreign.pk, "label": label(project, "favor", Label.Kind.STANCE).pk},
    )
    assert response.status_code == 400
    assert not Stance.objects.exists()


def test_it_does_not_open_an_assignment_under_another_projects_slug(
    client, project, assignment, outsider
):
    other = Project.objects.get(slug="other")
    client.force_login(outsider)  # a manager of "other"
    url_of_other = reverse("annotate:annotate", args=[other.slug, assignment.pk])
    assert client.get(url_of_other).status_code == 404
    create = reverse("annotate:span-create", args=[other.slug, assignment.pk])
    assert client.post(create, span_data(project, "AFP")).status_code == 404
    assert not Span.objects.exists()


ROUTES = [
    ("span-create", []),
    ("span-relabel", [1]),
    ("span-delete", [1]),
    ("span-link", [1]),
    ("undo", []),
    ("stance-set", []),
    ("rating-set", []),
    ("suggestion-accept", []),
    ("suggestion-dismiss", []),
    ("suggestions-accept-all", []),
    ("submit", []),
    ("skip", []),
]


@pytest.mark.parametrize(("route", "extra"), ROUTES)
def test_it_hides_every_action_on_someone_elses_assignment(
    client, project, assignment, route, extra
):
    client.force_login(member(project, "forger", "annotator"))
    response = client.post(url(route, assignment, *extra), {}, headers=HTMX)
    assert response.status_code == 404
    assignment.refresh_from_db()
    assert (assignment.version, assignment.status) == (1, "assigned")


@pytest.mark.parametrize(("route", "extra"), ROUTES)
def test_it_sends_anonymous_users_to_log_in_and_refuses_get(
    client, annotator_client, assignment, route, extra
):
    # span-link answers GET (the entity panel): span 1 is not this assignment's.
    refused = 404 if route == "span-link" else 405
    assert annotator_client.get(url(route, assignment, *extra)).status_code == refused
    annotator_client.logout()
    response = client.post(url(route, assignment, *extra))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# Queries: a fixed number per action, whatever the number of spans


def _actions(project, assignment, target):
    """Each action as (route, extra args, data) that can run again and again."""
    span = Span.objects.filter(assignment=assignment).order_by("id").first()
    afp = TEXT.index("AFP")
    return [
        ("span-create", [], span_data(project, "AFP", "ORG")),
        ("span-relabel", [span.pk], {"label": label(project, "ORG").pk}),
        ("span-link", [span.pk], {"new_name": "Somebody"}),
        ("undo", [], None),
        (
            "stance-set",
            [],
            {"target": target.pk, "label": label(project, "favor", "stance").pk},
        ),
        (
            "rating-set",
            [],
            {
                "source": "AFP",
                "role": "cited",
                "label": label(project, "high", "reliability").pk,
            },
        ),
        (
            "suggestion-dismiss",
            [],
            {"start": afp, "end": afp + 3, "label": label(project, "GPE").pk},
        ),
        ("suggestions-accept-all", [], {}),
        ("span-delete", [span.pk], {}),
    ]


def _queries(client, project, assignment, target) -> dict[str, int]:
    counts = {}
    for route, extra, data in _actions(project, assignment, target):
        data = data if data is not None else {"version": version(assignment)}
        with CaptureQueriesContext(connection) as captured:
            response = client.post(url(route, assignment, *extra), data, headers=HTMX)
        assert response.status_code == 200, (route, response.content)
        counts[route] = len(captured.captured_queries)
    return counts


def test_each_action_costs_the_same_queries_whatever_the_span_count(
    annotator_client, project, assignment, target, reviewer
):
    from django.core.cache import cache

    from annotate.models import Source

    person = label(project, "PERSON")
    # A vocabulary from elsewhere, so suggestions are looked up, drawn and accepted.
    other = make_document(project, text="Bamako again.")
    gold = Assignment.objects.create(document=other, annotator=reviewer, is_gold=True)
    Span.objects.create(
        assignment=gold, start=0, end=6, text="Bamako", label=label(project, "GPE")
    )

    def reset(span_count: int) -> None:
        """The same state each round but for the number of spans."""
        cache.clear()  # the suggestion vocabulary is read afresh each round
        for related in ("spans", "stances", "ratings", "changes"):
            getattr(assignment, related).all().delete()
        assignment.dismissed_suggestions.all().delete()
        Entity.objects.all().delete()
        Source.objects.all().delete()
        Span.objects.bulk_create(
            Span(
                assignment=assignment,
                start=3,
                end=3 + length,
                text=TEXT[3 : 3 + length],
                label=person,
            )
            # Never "Bamako" itself, which stays a suggestion to accept.
            for length in range(1, span_count + 2)
            if length != len("Bamako")
        )

    reset(3)
    few = _queries(annotator_client, project, assignment, target)
    reset(40)
    many = _queries(annotator_client, project, assignment, target)
    assert few == many
    assert max(few.values()) <= 25, few
