"""Uploads and archives: size limits, zip bombs and path traversal are refused, through
annotate.ingest.readers.read_paths (and the upload form for the size limit)."""

from __future__ import annotations

import gzip
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile

from annotate.ingest.readers import read_paths
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
