"""Exports as files: `full` restores a project, splits never share a story, stories are
found, and refused exports leave nothing behind."""

from __future__ import annotations

import json
import shutil
import uuid
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotate.exports import export_to_path
from annotate.exports.stories import AUTO_PREFIX, assign_story_keys
from annotate.ingest.load import import_paths
from annotate.models import Assignment, Document, Project, Span
from tests.annotated_world import work
from tests.conftest import SEEDS, make_document


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def without_ids(lines: list[dict]) -> list[dict]:
    """What must survive a restore: everything but database ids and the project's
    own name and slug."""
    header, *documents = lines
    header = {**header, "project": {**header["project"], "name": "", "slug": ""}}
    return [header, *({k: v for k, v in d.items() if k != "id"} for d in documents)]


def export(project: Project, *args: str) -> None:
    call_command("export_annotations", "--project", project.slug, *args, verbosity=0)


def test_full_round_trips_into_an_empty_project(annotated, reviewer, tmp_path):
    lavrov = annotated.documents.get(title="Lavrov")
    gold = work(annotated, lavrov, reviewer, [("Reuters", "ORG")], gold=True)
    gold.review(reviewer=reviewer, state="accepted", comment="fine")
    Assignment.objects.filter(annotator__username="a2").update(
        review_state="rejected", review_comment="Bamako is a city"
    )
    first = tmp_path / "first.jsonl"
    export(annotated, "--format", "full", "-o", str(first))

    call_command(
        "import_documents",
        str(first),
        "--project",
        "restored",
        "--format",
        "full",
        verbosity=0,
    )
    restored = Project.objects.get(slug="restored")
    second = tmp_path / "second.jsonl"
    export(restored, "--format", "full", "-o", str(second))

    assert without_ids(read_lines(second)) == without_ids(read_lines(first))
    assert restored.guidelines == annotated.guidelines
    assert Span.objects.filter(assignment__document__project=restored).count() == 10
    # The queue counts the restored annotators' slots, as if they had pressed next.
    assert sorted(
        Document.objects.for_project(restored).values_list(
            "assignment_count", flat=True
        )
    ) == [1, 3]


def test_restoring_twice_adds_nothing(annotated, tmp_path):
    path = tmp_path / "full.jsonl"
    export(annotated, "--format", "full", "-o", str(path))
    for _ in range(2):
        call_command(
            "import_documents",
            str(path),
            "--project",
            "copy",
            "--format",
            "full",
            verbosity=0,
        )
    assert Document.objects.filter(project__slug="copy").count() == 2
    assert Assignment.objects.filter(document__project__slug="copy").count() == 4


def test_a_bad_document_line_is_named_and_the_rest_restored(annotated, tmp_path):
    path = tmp_path / "full.jsonl"
    export(annotated, "--format", "full", "-o", str(path))
    header, first, second = path.read_text().splitlines()
    broken = json.loads(first)
    broken["assignments"][0]["spans"][0]["end"] = 10_000
    path.write_text("\n".join([header, json.dumps(broken), second]) + "\n")
    with pytest.raises(CommandError, match="1 rejected"):
        call_command(
            "import_documents",
            str(path),
            "--project",
            "copy",
            "--format",
            "full",
            verbosity=0,
        )
    run = Project.objects.get(slug="copy")
    assert Document.objects.for_project(run).count() == 1
    from annotate.models import ImportRun

    (rejection,) = ImportRun.objects.get(project=run).rejections
    assert rejection["origin"] == f"{path}:2"
    assert "outside the text" in rejection["reason"]


def test_a_file_that_is_not_a_full_export_restores_nothing(project, tmp_path):
    path = tmp_path / "plain.jsonl"
    path.write_text('{"text": "An article."}\n')
    with pytest.raises(CommandError, match="1 rejected"):
        call_command(
            "import_documents",
            str(path),
            "--project",
            "copy",
            "--format",
            "full",
            verbosity=0,
        )
    assert not Document.objects.filter(project__slug="copy").exists()


def test_auto_import_of_a_full_export_says_to_use_the_format(annotated, tmp_path):
    path = tmp_path / "full.jsonl"
    export(annotated, "--format", "full", "-o", str(path))
    with pytest.raises(CommandError):
        call_command("import_documents", str(path), "--project", "copy", verbosity=0)
    from annotate.models import ImportRun

    (rejection,) = ImportRun.objects.get(project__slug="copy").rejections
    assert "--format full" in rejection["reason"]


# -- stories and splits -------------------------------------------------------------

EVENTS = [
    (
        "Flood in Porto Alegre",
        "The Guaíba river flooded Porto Alegre; rescuers in boats.",
    ),
    ("Election in Ghana", "Ghana's electoral commission counted ballots in Accra."),
    ("Chess final in Madrid", "The chess final in Madrid ended in a grandmaster draw."),
    ("Drought in Kenya", "Herders in Turkana lost cattle to drought and famine."),
]


def story_corpus(project: Project, copies: int = 5) -> None:
    """Several reports of each event, worded a little differently."""
    for title, text in EVENTS:
        for n in range(copies):
            make_document(
                project,
                title=f"{title} ({n})",
                text=f"Report {n}. {text} Witnesses spoke of report {n}, day {n}.",
            )


def test_the_two_seed_pages_are_one_story(project):
    call_command(
        "import_documents",
        *map(str, sorted(SEEDS.glob("*.txt"))),
        "--project",
        project.slug,
        verbosity=0,
    )
    story_corpus(project, copies=1)
    assign_story_keys(project)
    keys = dict(Document.objects.for_project(project).values_list("title", "story_key"))
    seed_keys = {
        key
        for title, key in keys.items()
        if not title.startswith(tuple(t for t, _ in EVENTS))
    }
    assert len(seed_keys) == 1 and seed_keys.pop().startswith(AUTO_PREFIX)
    assert len(set(keys.values())) == 1 + len(EVENTS)


def test_imported_story_keys_are_kept(project):
    make_document(project, text="One article.", story_key="ap-123")
    make_document(project, text="Another article entirely.", story_key="ap-123")
    assign_story_keys(project)
    assert set(
        Document.objects.for_project(project).values_list("story_key", flat=True)
    ) == {"ap-123"}


def test_splits_share_no_story_and_repeat_for_a_seed(project, tmp_path):
    story_corpus(project, copies=6)
    folders = []
    # Four stories fall into 12 different splits, so one other seed in 12 gives the same
    # split by chance (the stories' keys hold document ids, which vary from run to run):
    # of four other seeds, at least one must differ.
    for run, seed in enumerate(("7", "7", "8", "9", "10", "11")):
        folder = tmp_path / f"run{run}"
        export(
            project,
            "--format",
            "documents",
            "--split",
            "50/25/25",
            "--seed",
            seed,
            "-o",
            str(folder),
        )
        folders.append(folder)
    splits = {
        name: read_lines(folders[0] / f"{name}.jsonl")
        for name in ("train", "dev", "test")
    }
    stories = {name: {d["story_key"] for d in lines} for name, lines in splits.items()}
    assert stories["train"].isdisjoint(stories["dev"] | stories["test"])
    assert stories["dev"].isdisjoint(stories["test"])
    assert sum(map(len, splits.values())) == 24
    assert len(set().union(*stories.values())) == len(EVENTS)
    same = [(folders[1] / f"{n}.jsonl").read_text() for n in splits]
    assert same == [(folders[0] / f"{n}.jsonl").read_text() for n in splits]
    others = [
        [(folder / f"{n}.jsonl").read_text() for n in splits] for folder in folders[2:]
    ]
    assert any(other != same for other in others)


def test_split_by_document_spreads_documents(project, tmp_path):
    story_corpus(project, copies=5)
    export(
        project,
        "--format",
        "documents",
        "--split",
        "80/20",
        "--split-by",
        "document",
        "-o",
        str(tmp_path / "out"),
    )
    train = read_lines(tmp_path / "out" / "train.jsonl")
    test = read_lines(tmp_path / "out" / "test.jsonl")
    assert len(train) + len(test) == 20
    assert 10 <= len(train) <= 19


# -- refused exports ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--format", "conll"), "unknown format 'conll'"),
        (("--format", "spans", "--split", "80/10/5"), "adds up to 95, not 100"),
        (("--format", "spans", "--split", "eighty/20"), "whole percentages"),
        (("--format", "full", "--split", "80/20"), "not split"),
        (("--format", "spans", "--gold"), "no gold"),
    ],
)
def test_a_refused_export_names_the_problem_and_writes_nothing(
    annotated, tmp_path, args, message
):
    output = tmp_path / "out"
    with pytest.raises(CommandError, match=message):
        export(annotated, *args, "-o", str(output))
    assert list(tmp_path.iterdir()) == []


def test_a_project_without_submitted_work_is_refused_for_annotation_shapes(
    project, tmp_path
):
    make_document(project)
    with pytest.raises(CommandError, match="no submitted annotations"):
        export(project, "--format", "spans", "--all", "-o", str(tmp_path / "x.jsonl"))
    export(project, "--format", "documents", "-o", str(tmp_path / "d.jsonl"))
    assert [p.name for p in tmp_path.iterdir()] == ["d.jsonl"]
    assert (tmp_path / "d.jsonl").stat().st_mode & 0o777 == 0o644


def test_an_empty_project_is_refused(project, tmp_path):
    with pytest.raises(CommandError, match="no documents"):
        export(project, "--format", "documents", "-o", str(tmp_path / "x.jsonl"))
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_project_is_refused(db):
    with pytest.raises(CommandError, match="no project with the slug 'nope'"):
        call_command("export_annotations", "--project", "nope", "--format", "spans")


def test_a_failing_export_keeps_the_previous_file(annotated, tmp_path, monkeypatch):
    path = tmp_path / "spans.jsonl"
    export_to_path(annotated, "spans", path, selection="all")
    before = path.read_text()

    def broken(*args, **kwargs):
        yield {"text": "half"}
        raise RuntimeError("disk pulled out")

    monkeypatch.setitem(
        __import__("annotate.exports").exports.EXPORTERS, "spans", broken
    )
    with pytest.raises(RuntimeError):
        export_to_path(annotated, "spans", path, selection="all")
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["spans.jsonl"]
    shutil.rmtree(tmp_path)


# -- fuzzing the restore ------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10_000) | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def paths_in(value, path=()):
    """Every path to a value inside nested dicts and lists."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths_in(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths_in(item, (*path, index))


def replaced(value, path, new):
    if not path:
        return new
    value = json.loads(json.dumps(value))
    holder = value
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = new
    return value


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_damaged_full_line_is_rejected_by_name_or_restored(annotated, tmp_path, data):
    path = tmp_path / "full.jsonl"
    if not path.exists():
        export(annotated, "--format", "full", "-o", str(path))
    header, *documents = path.read_text().splitlines()
    line = json.loads(documents[0])
    where = data.draw(st.sampled_from(list(paths_in(line))))
    damaged = replaced(line, where, data.draw(JSON_VALUES))
    target = tmp_path / "damaged.jsonl"
    target.write_text(f"{header}\n{json.dumps(damaged)}\n")
    slug = f"fuzz-{uuid.uuid4().hex[:8]}"
    run = import_paths(
        [target], project=Project.objects.create(slug=slug), format="full"
    )
    assert run.status == "done"
    assert run.imported + run.duplicates + run.rejected == run.read
    for rejection in run.rejections:
        assert rejection["origin"] == f"{target}:2"
        assert rejection["reason"]


@pytest.mark.parametrize("verbosity", [0, 1])
def test_a_bio_export_with_misaligned_spans_writes_the_file_and_succeeds(
    project, tmp_path, verbosity
):
    """IOB2 cannot hold a span that ends inside a word or overlaps another: the file is
    written, the command says so and succeeds (it used to fail after writing it)."""
    source = tmp_path / "in.jsonl"
    spans = [[0, 4, "PERSON"], [0, 13, "PERSON"], [25, 31, "GPE"]]
    source.write_text(
        json.dumps({"text": "Sergey Lavrov arrived in Bamako.", "spans": spans}) + "\n"
    )
    import_paths([source], project=project)
    output, out, err = tmp_path / "bio.jsonl", StringIO(), StringIO()

    call_command(
        "export_annotations", "--project", project.slug, "--format", "bio", "--all",
        "-o", str(output), verbosity=verbosity, stdout=out, stderr=err,
    )  # fmt: skip

    (line,) = read_lines(output)
    assert line["ner_tags"] == ["B-PERSON", "I-PERSON", "O", "O", "B-GPE", "O"]
    assert "1 lines of bio (all) written to" in out.getvalue()
    if verbosity:
        assert "2 warnings, for example:" in err.getvalue()
        assert "'Serg': span ends inside a word" in err.getvalue()
        assert "'Serg': span overlaps another" in err.getvalue()
    else:
        assert err.getvalue() == ""
