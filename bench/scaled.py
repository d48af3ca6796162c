"""The benchmarks' big projects: `documents` documents of ~3 KB, three annotators'
submitted assignments on each and about 10 spans per document, generated in SQL in
seconds rather than imported, and kept between runs (slug bench-<documents>)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import connection, transaction

from annotate.models import Label, Membership, Project
from annotate.review.queue import rescore

ANNOTATORS = 3
SPANS_PER_ASSIGNMENT = 3  # and a third of documents get one more: 10 spans a document
SENTENCE = "Sergey Lavrov met Assimi Goita in Bamako on Monday, Reuters reported. "
# A SENTENCE-long stretch holds these spans (offset, length); 3 KB = 42 sentences.
SPAN_PLACES = ((0, 13), (18, 12), (34, 6), (52, 7))
SENTENCES = 42


def member(project: Project, username: str, role: str):
    """A user with that role in the project, made if new (no password: the benchmarks
    log in through sessions they create); again on a rerun, the same."""
    user, created = get_user_model().objects.get_or_create(username=username)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    Membership.objects.update_or_create(
        user=user, project=project, defaults={"role": role}
    )
    return user


def scaled_project(documents: int) -> Project:
    """The project of `documents` documents, built unless it exists at that size."""
    slug = f"bench-{documents}"
    project, created = Project.objects.get_or_create_with_labels(slug)
    if not created and project.document_count == documents:
        return project
    project.documents.all().delete()
    users = [
        get_user_model().objects.get_or_create(username=f"bench-annotator-{n}")[0]
        for n in range(ANNOTATORS)
    ]
    labels = list(Label.objects.filter(project=project, kind="entity")[:4])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO annotate_document (project_id, external_id, title, text, raw, "
            "url, byline, language, meta, content_hash, story_key, "
            "created_at) SELECT %s, 'b' || n, 'Bench ' || n, "
            "repeat(%s, %s) || n, '', '', '', 'en', '{}', md5(%s || n), '', now() "
            "FROM generate_series(1, %s) AS n",
            [project.pk, SENTENCE, SENTENCES, slug, documents],
        )
        cursor.execute(
            "INSERT INTO annotate_assignment (document_id, annotator_id, status, "
            "review_state, review_comment, is_gold, version, created_at, updated_at, "
            "submitted_at) SELECT d.id, u, 'submitted', 'pending', '', false, 1, now(), "
            "now(), now() FROM annotate_document d, unnest(%s::bigint[]) AS u "
            "WHERE d.project_id = %s",
            [[user.pk for user in users], project.pk],
        )
        # Span k of an assignment sits in sentence k, at place (k + a) % 4; one
        # annotator in three adds a fourth span (about 10 per document in all).
        cursor.execute(
            'INSERT INTO annotate_span (assignment_id, start, "end", label_id, text, '
            "origin, created_at) "
            "SELECT a.id, k * %(len)s + (p.places)[1 + (k + a.id) %% 4][1], "
            "k * %(len)s + (p.places)[1 + (k + a.id) %% 4][1] "
            "+ (p.places)[1 + (k + a.id) %% 4][2], "
            "(%(labels)s::bigint[])[1 + (k + a.id) %% 4], "
            "substr(%(sentence)s, (p.places)[1 + (k + a.id) %% 4][1] + 1, "
            "(p.places)[1 + (k + a.id) %% 4][2]), 'manual', now() "
            "FROM annotate_assignment a JOIN annotate_document d ON d.id = a.document_id "
            "CROSS JOIN (SELECT %(places)s::int[][] AS places) p "
            "CROSS JOIN generate_series(0, %(most)s) AS k "
            "WHERE d.project_id = %(project)s "
            "AND (k < %(per)s OR a.id %% 3 = 0)",
            {
                "len": len(SENTENCE),
                "labels": [label.pk for label in labels],
                "sentence": SENTENCE,
                "places": [list(place) for place in SPAN_PLACES],
                "most": SPANS_PER_ASSIGNMENT,
                "per": SPANS_PER_ASSIGNMENT,
                "project": project.pk,
            },
        )
    rescore(project)  # as the first visit to the review queue would
    # As the import's follow-up task does within seconds: until then the search
    # computes each document's vector.
    project.documents.fill_search()
    with connection.cursor() as cursor:
        # Vacuumed now, not by autovacuum during the timings that follow: the bulk
        # load leaves every page of these tables to be vacuumed and analysed.
        cursor.execute(
            "VACUUM (ANALYZE) annotate_document, annotate_assignment, annotate_span"
        )
    return project
