"""What the fault tests ask of the throwaway installation, run in a process of its own
with that installation's settings (`python -m tests.faults.app COMMAND ...`, printing
JSON): the tests' own process stays on the shared test database."""

from __future__ import annotations

import json
import os
import shutil
import sys

import django


def world(documents: str, folder: str) -> dict:
    """A manager, a project, and `documents` documents (loaded from a JSONL file);
    the JSONL file of as many other documents for an import; a session cookie."""
    from django.contrib.auth import get_user_model

    from annotate.ingest.load import import_paths
    from annotate.models import Membership, Project

    project, _ = Project.objects.get_or_create_with_labels("faults", name="Faults")
    user = get_user_model().objects.create_user("boss", password="pw-boss-faults")
    Membership.objects.create(user=user, project=project, role="manager")
    base = os.path.join(folder, "base.jsonl")
    upload = os.path.join(folder, "upload.jsonl")
    for path, word in ((base, "kept"), (upload, "new")):
        with open(path, "w") as out:
            for n in range(int(documents)):
                text = (
                    f"Document {word} {n}. " + "Sergey Lavrov arrived in Bamako. " * 30
                )
                out.write(json.dumps({"title": f"{word} {n}", "text": text}) + "\n")
    import_paths([base], project=project, user=user)
    os.remove(base)
    return {"session": _session(user), "upload": upload}


def annotators(count: str) -> dict:
    """`count` annotators, each with a document assigned and a session cookie."""
    from django.contrib.auth import get_user_model

    from annotate.models import Assignment, Document, Label, Membership, Project

    project = Project.objects.get(slug="faults")
    label = Label.objects.filter(project=project, kind=Label.Kind.ENTITY).first()
    clients = []
    documents = Document.objects.filter(project=project).order_by("pk")
    for n, document in enumerate(documents[: int(count)]):
        user = get_user_model().objects.create_user(f"ann{n}", password="pw-ann-x")
        Membership.objects.create(user=user, project=project, role="annotator")
        assignment = Assignment.objects.create(document=document, annotator=user)
        clients.append(
            {
                "session": _session(user),
                "assignment": assignment.pk,
                "text": document.text,
                "label": label.pk,
            }
        )
    return {"clients": clients}


def _session(user) -> str:
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = settings.AUTHENTICATION_BACKENDS[0]
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def export() -> dict:
    from annotate.exports import ExportOptions
    from annotate.exports.stored import start_export
    from annotate.models import Project

    project = Project.objects.get(slug="faults")
    run = start_export(
        project=project, options=ExportOptions(format="documents"), user=None
    )
    return {"run": run.pk}


def upload(path: str) -> dict:
    """Queue the import of `path` as the upload page does (the file kept in var/)."""
    from django.db import transaction

    from annotate.ingest.uploads import import_upload, upload_folder
    from annotate.models import ImportRun, Project

    project = Project.objects.get(slug="faults")
    with transaction.atomic():
        run = ImportRun.objects.create(
            project=project, format="jsonl", files=["upload.jsonl"]
        )
        folder = upload_folder(run)
        folder.mkdir(parents=True)
        shutil.copy(path, folder / "upload.jsonl")
        transaction.on_commit(lambda: import_upload.enqueue(run.pk))
    return {"run": run.pk}


def run(kind: str, pk: str) -> dict:
    from annotate.models import Document, ExportRun, ImportRun

    model = ExportRun if kind == "export" else ImportRun
    found = model.objects.get(pk=pk)
    return {
        "status": found.status,
        "error": found.error,
        "attempts": found.attempts,
        "heartbeat": bool(found.heartbeat_at),
        "documents": Document.objects.filter(project=found.project).count(),
    }


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsapp.settings")
    django.setup()
    print(json.dumps(globals()[argv[1]](*argv[2:])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
