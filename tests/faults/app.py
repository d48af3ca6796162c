"""What the fault tests ask of the throwaway installation, run in a process of its own
with that installation's settings (`python -m tests.faults.app COMMAND ...`, printing
JSON): the tests' own process stays on the shared test database."""

from __future__ import annotations

import json
import os
import sys

import django


def install(documents: str, uploaded: str, annotators: str, folder: str) -> dict:
    """The database migrated, and everything the tests work on, in one process (each
    Django start-up costs seconds): a manager, a project of `documents` documents
    (loaded from a JSONL file), the JSONL file of `uploaded` other documents for an
    upload, and `annotators` annotators each with a document assigned; everyone's
    session cookie."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from annotate.ingest.load import import_paths
    from annotate.models import Assignment, Label, Membership, Project

    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    project, _ = Project.objects.get_or_create_with_labels("faults", name="Faults")
    # No passwords: the tests' requests carry session cookies (a password hashed at
    # production strength costs a good part of a second).
    user = get_user_model().objects.create_user("boss")
    Membership.objects.create(user=user, project=project, role="manager")
    base = os.path.join(folder, "base.jsonl")
    upload = os.path.join(folder, "upload.jsonl")
    for path, word, count in ((base, "kept", documents), (upload, "new", uploaded)):
        with open(path, "w") as out:
            for n in range(int(count)):
                text = (
                    f"Document {word} {n}. " + "Sergey Lavrov arrived in Bamako. " * 30
                )
                out.write(json.dumps({"title": f"{word} {n}", "text": text}) + "\n")
    import_paths([base], project=project, user=user)
    os.remove(base)
    label = Label.objects.filter(project=project, kind=Label.Kind.ENTITY).first()
    clients = []
    for n, document in enumerate(project.documents.order_by("pk")[: int(annotators)]):
        annotator = get_user_model().objects.create_user(f"ann{n}")
        Membership.objects.create(user=annotator, project=project, role="annotator")
        assignment = Assignment.objects.create(document=document, annotator=annotator)
        clients.append(
            {
                "session": _session(annotator),
                "assignment": assignment.pk,
                "text": document.text,
                "label": label.pk,
            }
        )
    return {"session": _session(user), "upload": upload, "clients": clients}


def _session(user) -> str:
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = settings.AUTHENTICATION_BACKENDS[0]
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsapp.settings")
    django.setup()
    print(json.dumps(globals()[argv[1]](*argv[2:])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
