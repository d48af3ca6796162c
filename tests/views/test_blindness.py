"""Blind projects: nothing an annotator is shown depends on another person's version
of the same document. Peers plant distinctive strings, an entity and an alias through
the real views; every response the other annotator gets is then searched for them."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from annotate.models import (
    Assignment,
    Entity,
    Label,
    Membership,
    Span,
    StanceTarget,
)
from tests.conftest import make_document, member

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}

TEXT = (
    "Russian Foreign Minister Sergey Lavrov, the top Kremlin diplomat, met Assimi "
    "Goita in Bamako on Monday, AFP reported. The talks went on for hours over fuel "
    "and security, and ended on grain deliveries."
)
# What the peers label in the document: shown to them, never to the observer.
MISLABEL = "Foreign Minister Sergey"  # a slip, relabelled a moment later
ALIAS = "the top Kremlin diplomat"  # linked to a known entity: becomes its alias
GONE_PEER_STRING = "grain deliveries"  # by a peer deactivated since
PLANTED_ENTITY = "Sergey Lavrov-QX7"  # made by a peer from their span
PLANTED_NOTE = "PLANTED-STANCE-NOTE"
PLANTED = (MISLABEL, ALIAS, GONE_PEER_STRING)
# Labelled in another document: suggestions of these are expected here.
ELSEWHERE = {"Bamako": "GPE", "Assimi Goita": "PERSON", "Sergey Lavrov": "PERSON"}


def label(project, name, kind=Label.Kind.ENTITY) -> Label:
    return Label.objects.get(project=project, kind=kind, name=name)


def url(name, assignment, *extra) -> str:
    return reverse(
        f"annotate:{name}",
        args=[assignment.document.project.slug, assignment.pk, *extra],
    )


def span_data(project, fragment, name) -> dict:
    start = TEXT.index(fragment)
    return {
        "start": start,
        "end": start + len(fragment),
        "text": fragment,
        "label": label(project, name).pk,
    }


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def take_next(client, project) -> Assignment:
    response = client.get(reverse("annotate:next", args=[project.slug]))
    assert response.status_code == 302
    return Assignment.objects.get(pk=response["Location"].rstrip("/").split("/")[-1])


@pytest.fixture
def world(project):
    """A blind project: document D, which a peer, a peer since deactivated and the
    observer all label; document E, labelled by someone else (fair to suggest)."""
    project.blind = True
    project.overlap = 3
    project.save()
    document = make_document(project, text=TEXT, title="Lavrov in Bamako")
    other_text = "Sergey Lavrov flew on to Bamako to see Assimi Goita."
    elsewhere = make_document(project, text=other_text, title="Elsewhere")
    someone = member(project, "someone", Membership.Role.ANNOTATOR)
    theirs = Assignment.objects.create(document=elsewhere, annotator=someone)
    known = Entity.objects.create(
        project=project, name="Sergey Lavrov", type=label(project, "PERSON")
    )
    for fragment, name in ELSEWHERE.items():
        start = other_text.index(fragment)
        Span.objects.create(
            assignment=theirs,
            start=start,
            end=start + len(fragment),
            text=fragment,
            label=label(project, name),
            entity=known if fragment == "Sergey Lavrov" else None,
        )
    target = StanceTarget.objects.create(project=project, name="Russia in Africa")

    peer = member(project, "peer", Membership.Role.ANNOTATOR)
    peer_client = client_of(peer)
    mine = take_next(peer_client, project)
    assert mine.document == document

    def change(name, data, *extra):
        response = peer_client.post(url(name, mine, *extra), data, headers=HTMX)
        assert response.status_code == 200, response.content[:300]

    # The slip: labelled MISC (the screen now counts it), relabelled a moment later.
    change("span-create", span_data(project, MISLABEL, "MISC"))
    slip = mine.spans.get(text=MISLABEL)
    change("span-relabel", {"label": label(project, "PERSON").pk}, slip.pk)
    change("span-link", {"new_name": PLANTED_ENTITY}, slip.pk)
    change("span-create", span_data(project, ALIAS, "PERSON"))
    change("span-link", {"entity": known.pk}, mine.spans.get(text=ALIAS).pk)
    favor = label(project, "favor", Label.Kind.STANCE)
    change("stance-set", {"target": target.pk, "label": favor.pk, "note": PLANTED_NOTE})

    gone = member(project, "gone", Membership.Role.ANNOTATOR)
    gone_client = client_of(gone)
    theirs_here = take_next(gone_client, project)
    response = gone_client.post(
        url("span-create", theirs_here),
        span_data(project, GONE_PEER_STRING, "MISC"),
        headers=HTMX,
    )
    assert response.status_code == 200
    gone.is_active = False
    gone.save()

    observer = member(project, "observer", Membership.Role.ANNOTATOR)
    return {
        "project": project,
        "document": document,
        "known": known,
        "target": target,
        "observer": observer,
        "client": client_of(observer),
    }


DOC_TEXT = re.compile(r'<div id="doc-text"[^>]*>(.*?)</div>', re.S)
# A change sends the text's blocks it redrew, one after the other, then the flash line.
TEXT_BLOCK = re.compile(
    r'<span class="block" id="b-\d+"[^>]*>(.*?)</span>(?=<span class="block"|<p id="flash")',
    re.S,
)
# A span row quotes the document's own words around the observer's span: text they read.
ROW_CONTEXT = re.compile(r'<span class="context">.*?</span></span>', re.S)


def leaks(body: str, own_span_ids: set[int]) -> list[str]:
    """What of the peers' work a response shows: a planted string outside the running
    text, the planted entity or note anywhere, a suggestion or span drawn at a planted
    place, or a span element that is not the observer's."""
    found = []
    texts = DOC_TEXT.findall(body) + TEXT_BLOCK.findall(body)
    rest = ROW_CONTEXT.sub("", TEXT_BLOCK.sub("", DOC_TEXT.sub("", body)))
    found += [f"{s!r} outside the text" for s in PLANTED if s in rest]
    found += [s for s in (PLANTED_ENTITY, "QX7", PLANTED_NOTE) if s in body]
    planted_places = {(TEXT.index(s), TEXT.index(s) + len(s)) for s in PLANTED}
    for text in texts:
        for start, end in re.findall(r'data-suggestion="(\d+)-(\d+)-\d+"', text):
            if (int(start), int(end)) in planted_places:
                found.append(f"a suggestion at {TEXT[int(start) : int(end)]!r}")
    for span_id in re.findall(r'data-span="(\d+)"', body):
        if int(span_id) not in own_span_ids:
            found.append(f"span {span_id}, not the observer's")
    return found


def test_nothing_the_observer_is_shown_depends_on_the_peers_work(world):
    project, client, observer = world["project"], world["client"], world["observer"]
    checked: list[tuple[str, str]] = []

    def look(what: str, response, status: int = 200) -> str:
        assert response.status_code == status, (what, response.content[:400])
        body = response.content.decode()
        own = set(
            Span.objects.filter(assignment__annotator=observer).values_list(
                "pk", flat=True
            )
        )
        problems = leaks(body, own)
        assert not problems, f"{what}: {problems}"
        checked.append((what, body))
        return body

    # Label the next document: the observer gets D, as the peers did.
    response = client.get(reverse("annotate:next", args=[project.slug]))
    assignment = Assignment.objects.get(
        pk=response["Location"].rstrip("/").split("/")[-1]
    )
    assert assignment.document == world["document"]
    page = look("the annotation screen", client.get(url("annotate", assignment)))
    # Not vacuous: what was labelled in another document is suggested here.
    suggested = set(
        re.findall(r'<mark class="chip suggested[^"]*">([^<]*)</mark>', page)
    )
    assert suggested == set(ELSEWHERE)

    def post(what, name, data=None, *extra, status=200):
        return look(
            what,
            client.post(url(name, assignment, *extra), data or {}, headers=HTMX),
            status,
        )

    post("span create", "span-create", span_data(project, "Sergey Lavrov", "PERSON"))
    span = assignment.spans.get(text="Sergey Lavrov")
    post("span relabel", "span-relabel", {"label": label(project, "ORG").pk}, span.pk)
    post(
        "span relabel back",
        "span-relabel",
        {"label": label(project, "PERSON").pk},
        span.pk,
    )
    panel = look(
        "link panel",
        client.get(url("span-link", assignment, span.pk), headers=HTMX),
    )
    assert f'value="{world["known"].pk}"' in panel  # the entity known from elsewhere
    post(
        "link to the known entity", "span-link", {"entity": world["known"].pk}, span.pk
    )
    planted = Entity.objects.get(name=PLANTED_ENTITY)
    refused = post(
        "link to the peer's entity by id",
        "span-link",
        {"entity": planted.pk},
        span.pk,
        status=400,
    )
    assert "No such entity in this project." in refused
    start = TEXT.index("Bamako")
    gpe = label(project, "GPE").pk
    post(
        "accept a suggestion",
        "suggestion-accept",
        {"start": start, "end": start + 6, "label": gpe},
    )
    start = TEXT.index("Assimi Goita")
    person = label(project, "PERSON").pk
    post(
        "dismiss a suggestion",
        "suggestion-dismiss",
        {"start": start, "end": start + 12, "label": person},
    )
    assignment.refresh_from_db(fields=["version"])
    post("undo the dismissal", "undo", {"version": assignment.version})
    post("accept all", "suggestions-accept-all")
    taken = set(assignment.spans.values_list("text", flat=True))
    assert taken == {
        "Sergey Lavrov",
        "Bamako",
        "Assimi Goita",
    }  # the slip not among them
    post("delete a span", "span-delete", {}, assignment.spans.get(text="Bamako").pk)
    favor = label(project, "favor", Label.Kind.STANCE).pk
    post("stance", "stance-set", {"target": world["target"].pk, "label": favor})
    high = label(project, "high", Label.Kind.RELIABILITY).pk
    post("rating", "rating-set", {"source": "AFP", "role": "cited", "label": high})
    look("the screen again", client.get(url("annotate", assignment)))
    look(
        "the screen without htmx after a change",
        client.post(
            url("span-create", assignment),
            span_data(project, "Monday", "MISC"),
            follow=True,
        ),
    )
    next_url = reverse("annotate:next", args=[project.slug])
    look(
        "next, leaving D open: the other document",
        client.get(f"{next_url}?after={assignment.pk}", follow=True),
    )
    other = Assignment.objects.get(annotator=observer, document__title="Elsewhere")
    nothing_left = look(
        "next, with nothing left", client.get(f"{next_url}?after={other.pk}")
    )
    assert (
        "Nothing left to label" in nothing_left and "Lavrov in Bamako" in nothing_left
    )
    look("my work", client.get(reverse("annotate:my-work", args=[project.slug])))
    look(
        "my work, htmx",
        client.get(reverse("annotate:my-work", args=[project.slug]), headers=HTMX),
    )
    look(
        "the project page",
        client.get(reverse("annotate:document-list", args=[project.slug])),
    )
    assert len(checked) >= 20


def test_a_peers_relabelled_slip_is_not_suggested_within_the_vocabulary_minute(world):
    """The defect of old: the project's vocabulary, kept for a minute, still counted the
    peer's MISC label; subtracting the peer's *current* spans (now PERSON) left it at
    one, and the observer was offered the slip at the peer's place."""
    from annotate.labelling.suggestions import suggestions_for

    observer = world["observer"]
    assignment = Assignment.objects.create(
        document=world["document"], annotator=observer
    )
    offered = {s.text for s in suggestions_for(assignment, [])}
    assert offered == set(ELSEWHERE)


def test_an_entity_a_peer_made_here_is_offered_once_seen_elsewhere(world):
    """The rule's other side: an entity stops being the peer's alone once anyone links
    a span of another document to it."""
    project, client = world["project"], world["client"]
    observer = world["observer"]
    assignment = Assignment.objects.create(
        document=world["document"], annotator=observer
    )
    start = TEXT.index("Sergey Lavrov")
    span = Span.objects.create(
        assignment=assignment,
        start=start,
        end=start + 13,
        text="Sergey Lavrov",
        label=label(project, "PERSON"),
    )
    planted = Entity.objects.get(name=PLANTED_ENTITY)
    link = url("span-link", assignment, span.pk)
    assert PLANTED_ENTITY not in client.get(link, headers=HTMX).content.decode()
    elsewhere = Span.objects.filter(assignment__document__title="Elsewhere").first()
    Span.objects.filter(pk=elsewhere.pk).update(entity=planted)
    panel = client.get(link, headers=HTMX).content.decode()
    assert PLANTED_ENTITY in panel
    assert MISLABEL not in panel  # its alias from the peer's span stays hidden


def test_an_open_project_shows_the_peers_entity(world):
    project = world["project"]
    project.blind = False
    project.save()
    observer = world["observer"]
    assignment = Assignment.objects.create(
        document=world["document"], annotator=observer
    )
    start = TEXT.index("Sergey Lavrov")
    span = Span.objects.create(
        assignment=assignment,
        start=start,
        end=start + 13,
        text="Sergey Lavrov",
        label=label(project, "PERSON"),
    )
    panel = world["client"].get(url("span-link", assignment, span.pk), headers=HTMX)
    assert PLANTED_ENTITY in panel.content.decode()
