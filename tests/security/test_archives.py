"""Uploads and archives: size limits, zip bombs and path traversal are refused, through
annotate.ingest.readers.read_paths (and the upload form for the size limit)."""

from __future__ import annotations

import gzip
import io
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from annotate.ingest.readers import files, read_paths
from annotate.ingest.records import DocumentRecord, Rejection
from annotate.models import ImportRun

GOOD = '{"text": "A good article."}\n'


def zip_with(path, members: dict[str, bytes | str]):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def rejections(path) -> list[Rejection]:
    return [item for item in read_paths([path]) if isinstance(item, Rejection)]


def test_it_refuses_an_archive_member_that_climbs_out(tmp_path):
    path = zip_with(tmp_path / "a.zip", {"../../evil.jsonl": GOOD, "ok.jsonl": GOOD})
    [refused] = rejections(path)
    assert refused.origin.endswith("../../evil.jsonl:1")
    assert "climbs out" in refused.reason


def test_it_refuses_an_absolute_archive_member(tmp_path):
    path = zip_with(tmp_path / "a.zip", {"/etc/evil.jsonl": GOOD})
    [refused] = rejections(path)
    assert "absolute" in refused.reason


def test_it_still_reads_the_safe_members_of_an_archive(tmp_path):
    path = zip_with(tmp_path / "a.zip", {"../evil.jsonl": GOOD, "ok.jsonl": GOOD})
    records = [i for i in read_paths([path]) if isinstance(i, DocumentRecord)]
    assert [r.origin for r in records] == [f"{path}/ok.jsonl:1"]


def test_it_refuses_a_zip_bomb(tmp_path):
    path = zip_with(tmp_path / "bomb.zip", {"bomb.jsonl": b" " * (40 * 1024**2)})
    [refused] = rejections(path)
    assert "zip bomb" in refused.reason
    assert refused.origin == f"{path}:1"


def test_it_refuses_an_archive_inside_an_archive(tmp_path):
    inner = zip_with(tmp_path / "inner.zip", {"a.jsonl": GOOD}).read_bytes()
    path = zip_with(tmp_path / "outer.zip", {"inner.zip": inner})
    [refused] = rejections(path)
    assert "inside archives" in refused.reason


def test_it_refuses_a_single_document_larger_than_the_limit(tmp_path):
    path = tmp_path / "huge.txt.gz"
    path.write_bytes(gzip.compress(b"word " * (5 * 1024**2)))
    [refused] = rejections(path)
    assert "too big for one document" in refused.reason


def test_it_refuses_an_upload_over_the_size_limit(world, client, settings):
    settings.NEWSAPP_UPLOAD_MAX_BYTES = 1000
    client.force_login(world.man)
    upload = SimpleUploadedFile("big.jsonl", GOOD.encode() * 100)
    response = client.post(
        f"/p/{world.project.slug}/import/", {"file": upload, "format": "auto"}
    )
    assert response.status_code == 200
    assert "uploads are limited to" in response.content.decode()
    assert ImportRun.objects.filter(project=world.project).count() == 1  # the fixture's


def test_it_keeps_an_uploaded_files_name_from_choosing_where_it_is_stored(
    world, client, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    client.force_login(world.man)
    upload = SimpleUploadedFile("../../../escape.jsonl", GOOD.encode())
    client.post(f"/p/{world.project.slug}/import/", {"file": upload, "format": "auto"})
    stored = list(tmp_path.parent.rglob("escape.jsonl"))
    assert all(tmp_path / "uploads" in path.parents for path in stored)


# -- what an archive may unpack to (issue 19, item 2) -----------------------------


def documents(path) -> list[DocumentRecord]:
    return [item for item in read_paths([path]) if isinstance(item, DocumentRecord)]


@pytest.mark.slow
def test_it_refuses_many_members_each_just_under_the_ratio_check(
    world, client, settings, tmp_path, django_capture_on_commit_callbacks
):
    """The issue's archive: 30 members just under the size the per-member ratio check
    starts at expand about 1 MB into 472 MB. Uploaded, it is refused before a byte of
    it is read, and the run's page says why."""
    settings.VAR_DIR = tmp_path
    member = b" " * (files.RATIO_CHECK_FROM_BYTES - 1024**2 // 4)
    path = tmp_path / "thirty.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for n in range(30):
            archive.writestr(f"part{n:02}.jsonl", member)
    assert path.stat().st_size < 2 * 1024**2
    client.force_login(world.man)
    upload = SimpleUploadedFile("thirty.zip", path.read_bytes(), "application/zip")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/p/{world.project.slug}/import/", {"file": upload, "format": "auto"}
        )
    run = ImportRun.objects.latest("pk")
    assert (run.status, run.read, run.rejected) == ("done", 1, 1)
    [rejection] = run.rejections
    assert rejection["origin"] == "thirty.zip:1"
    assert "into 472.5 MB" in rejection["reason"]
    assert "over the limit of 100 to 1" in rejection["reason"]
    assert "nothing of it was read" in rejection["reason"]
    page = client.get(response["Location"]).content.decode()
    assert "over the limit of 100 to 1" in page


def test_it_refuses_an_archive_with_too_many_members(tmp_path, settings):
    settings.ARCHIVE_MAX_MEMBERS = 10
    path = zip_with(tmp_path / "many.zip", {f"{n}.jsonl": GOOD for n in range(11)})
    [refused] = rejections(path)
    assert refused.origin == f"{path}:1"
    assert "11 entries, over the limit of 10 (ARCHIVE_MAX_MEMBERS)" in refused.reason
    assert documents(path) == []
    # At the limit it is read.
    settings.ARCHIVE_MAX_MEMBERS = 11
    assert len(documents(path)) == 11


def test_it_refuses_an_archive_declared_bigger_than_the_limit(tmp_path, settings):
    settings.ARCHIVE_MAX_UNCOMPRESSED_BYTES = 1024**2
    lines = "".join(f'{{"text": "Article {n} of many."}}\n' for n in range(50_000))
    path = zip_with(tmp_path / "big.zip", {"a.jsonl": lines})
    [refused] = rejections(path)
    assert "over the limit of 1 MB (ARCHIVE_MAX_UNCOMPRESSED_BYTES)" in refused.reason
    assert documents(path) == []


def gz_lines(count: int) -> bytes:
    """A .gz of `count` JSONL articles, compressed as it is made (never held whole)."""
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb") as stream:
        for n in range(0, count, 1000):
            stream.write(
                "".join(
                    f'{{"text": "Article number {i} says little."}}\n'
                    for i in range(n, n + 1000)
                ).encode()
            )
    return out.getvalue()


def test_it_counts_what_a_gz_inside_a_zip_unpacks_to_as_it_streams(tmp_path, settings):
    """The zip's directory only knows the .gz's packed size: the bytes are counted as
    they are read, reading stops at the limit, and nothing after it is read. (The
    limit is small: reading a record under tracemalloc is slow.)"""
    settings.ARCHIVE_MAX_UNCOMPRESSED_BYTES = 1024**2
    inner = gz_lines(250_000)  # about 0.6 MB packed, 10.5 MB unpacked
    path = zip_with(
        tmp_path / "nested.zip", {"a.jsonl.gz": inner, "z-after.jsonl": GOOD}
    )
    assert path.stat().st_size < settings.ARCHIVE_MAX_UNCOMPRESSED_BYTES
    read, refused = [], []
    tracemalloc.start()
    try:
        for item in read_paths([path]):  # records are counted, not held
            if isinstance(item, DocumentRecord):
                read.append(item.origin)
            else:
                refused.append(item)
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # What was read before the limit is kept; the limit is named where it stopped.
    assert 0 < len(read) < 30_000
    assert all(origin.startswith(f"{path}/a.jsonl.gz:") for origin in read)
    [stop] = refused
    assert stop.origin.startswith(f"{path}/a.jsonl.gz:")
    assert "more than 1 MB, the limit (ARCHIVE_MAX_UNCOMPRESSED_BYTES)" in stop.reason
    assert "no member after it was read" in stop.reason
    # Streamed: what it holds at once (the origins above included) is a fraction of
    # the 10.5 MB the member unpacks to.
    assert peak < 6 * 1024**2


def test_it_counts_what_a_gz_file_unpacks_to(tmp_path, settings):
    settings.ARCHIVE_MAX_UNCOMPRESSED_BYTES = 1024**2
    path = tmp_path / "articles.jsonl.gz"
    path.write_bytes(gz_lines(100_000))
    [stop] = rejections(path)
    assert "more than 1 MB, the limit (ARCHIVE_MAX_UNCOMPRESSED_BYTES)" in stop.reason
    assert 0 < len(documents(path)) < 100_000
