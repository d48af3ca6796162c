from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from annotate.models import Assignment, Label, Project, Rating, Source, SourceMerge
from annotate.sources.registry import (
    counted_ratings,
    merge_sources,
    reliability_by_source,
    search_sources,
)
from tests.conftest import make_document, make_user

pytestmark = pytest.mark.django_db

HEADER = "source_url\tsource_url_normalized\tref\tfact\tbias\n"


def rate(project, user, source, value, *, role=Rating.Role.CITED, document=None):
    document = document or make_document(
        project, text=f"{source} by {user}, #{Rating.objects.count()}."
    )
    assignment, _ = Assignment.objects.get_or_create(
        document=document,
        annotator=user,
        is_gold=False,
        defaults={
            "status": Assignment.Status.SUBMITTED,
            "is_imported": user.username.startswith("imported:"),
        },
    )
    label = Label.objects.get(project=project, kind="reliability", value=value)
    return Rating.objects.create(
        assignment=assignment, source=source, role=role, label=label
    )


def test_it_aggregates_ratings_per_source_and_role(project):
    sputnik = Source.objects.create(name="Sputnik")
    alice, bob = make_user("alice"), make_user("bob")
    rate(project, alice, sputnik, 1)
    rate(project, bob, sputnik, 2)
    rate(project, alice, sputnik, 4, role=Rating.Role.PUBLISHER)
    rate(project, make_user("imported:x", is_active=False), sputnik, 5)
    result = reliability_by_source(
        [sputnik.pk], counted_ratings(Project.objects.all())
    )[sputnik.pk]
    cited = result["cited"]
    assert (cited.ratings, cited.mean, cited.annotators) == (2, 1.5, 2)
    assert cited.distribution == {1: 1, 2: 1}
    assert result["publisher"].ratings == 1


def test_it_merges_sources_keeping_every_rating(project, manager):
    keep = Source.objects.create(name="Sputnik", aliases=["Sputnik International"])
    other = Source.objects.create(name="Sputnik News", domain="sputniknews.com")
    alice, bob = make_user("alice"), make_user("bob")
    document = make_document(project)
    moved = rate(project, alice, other, 1)
    kept = rate(project, bob, keep, 2, document=document)
    collided = rate(project, bob, other, 3, document=document)
    published = make_document(project, text="Another.", publisher=other)

    merge = merge_sources(keep=keep, other=other, actor=manager)

    keep.refresh_from_db()
    moved.refresh_from_db()
    published.refresh_from_db()
    assert moved.source == keep
    assert published.publisher == keep
    assert Rating.objects.filter(pk=kept.pk, source=keep).exists()
    assert not Source.objects.filter(pk=other.pk).exists()
    assert keep.aliases == ["Sputnik International", "Sputnik News"]
    assert keep.domain == "sputniknews.com"
    # the colliding rating is kept whole in the merge record
    [folded] = merge.folded_ratings
    assert (folded["id"], folded["folded_into"], folded["value"]) == (
        collided.pk,
        kept.pk,
        3,
    )
    assert (merge.moved_ratings, merge.moved_documents) == (1, 1)


def test_it_carries_earlier_merges_along(project, manager):
    a, b, c = (Source.objects.create(name=name) for name in ("A", "B", "C"))
    merge_sources(keep=b, other=a, actor=manager)
    merge_sources(keep=c, other=b, actor=manager)
    assert set(SourceMerge.objects.values_list("kept__name", flat=True)) == {"C"}
    c.refresh_from_db()
    assert c.aliases == ["B", "A"]


def test_it_refuses_to_merge_a_source_into_itself(manager):
    source = Source.objects.create(name="AFP")
    with pytest.raises(ValueError):
        merge_sources(keep=source, other=source, actor=manager)


def test_it_searches_names_aliases_and_domains():
    Source.objects.create(
        name="Agence France-Presse", aliases=["AFP"], domain="afp.com"
    )
    Source.objects.create(name="Politico", domain="politico.com")
    assert [s.name for s in search_sources("afp")] == ["Agence France-Presse"]
    assert [s.name for s in search_sources("politico.com")] == ["Politico"]
    assert search_sources("100%").count() == 0


def test_it_loads_reference_ratings_and_reports_bad_rows(tmp_path, capsys):
    Source.objects.create(name="CNN")
    Source.objects.create(name="Reuters", domain="reuters.com")
    corpus = tmp_path / "acl2020" / "corpus.tsv"
    corpus.parent.mkdir()
    corpus.write_text(
        HEADER
        + "http://www.cnn.com\tcnn.com\thttp://mediabiasfactcheck.com/cnn/\tmixed\tleft\n"
        + "https://www.reuters.com/\treuters.com\thttps://mediabiasfactcheck.com/reuters/\thigh\tcenter\n"
        + "http://fury.news/\tfury.news\thttp://mediabiasfactcheck.com/fury-news/\tfake\tright\n"
        + "http://itv.com/news\titv.com-news\thttp://mediabiasfactcheck.com/itv/\thigh\tcenter\n"
        + "http://cnn.com\tcnn.com\thttp://mediabiasfactcheck.com/cnn/\thigh\tleft\n"
        + "only\ttwo\n"
    )
    with pytest.raises(CommandError):
        call_command("import_source_ratings", str(corpus))
    errors = capsys.readouterr().err
    assert f"{corpus}:4: unknown fact 'fake'" in errors
    assert f"{corpus}:6: duplicate of line 2" in errors
    assert f"{corpus}:7: 2 columns" in errors
    cnn = Source.objects.get(name="CNN")
    assert (cnn.domain, cnn.factuality, cnn.bias) == ("cnn.com", "mixed", "left")
    assert cnn.reference["acl2020"]["fact_value"] == 1
    assert Source.objects.get(name="Reuters").reference["acl2020"]["fact"] == "high"
    section = Source.objects.get(name="itv.com/news")
    assert section.domain == "itv.com"
    assert Source.objects.count() == 3


def test_it_loads_the_real_corpora(shared_data):
    for corpus in ("emnlp18", "acl2020"):
        call_command(
            "import_source_ratings",
            str(shared_data / "news-media-reliability" / corpus / "corpus.tsv"),
            verbosity=0,
        )
    # 1,420 distinct outlets across the two versions (see the corpus README)
    assert Source.objects.count() == 1420
    both = Source.objects.filter(reference__has_keys=["emnlp18", "acl2020"])
    assert both.count() == 505


def test_it_stores_nothing_on_a_dry_run(tmp_path):
    corpus = tmp_path / "corpus.tsv"
    corpus.write_text(HEADER + "http://cnn.com\tcnn.com\thttp://x/cnn/\thigh\tleft\n")
    call_command("import_source_ratings", str(corpus), "--dry-run", verbosity=0)
    assert not Source.objects.exists()
