"""Load the demo: a project holding the two seed articles, an admin, a reviewer and two annotators.

Passwords are made at random when the users are first created, kept in
var/demo-credentials.txt (readable by you alone) and printed on every run, so the
person who ran `make run` can always log in. Running it again changes nothing else.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from annotate.ingest.load import import_paths
from annotate.management.base import DatabaseCommand
from annotate.models import Membership, Project, StanceTarget
from annotate.projects.templates import NEWS_STANCE_TARGETS

DEMO_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
PROJECT_SLUG = "demo"
GUIDELINES = """\
# Labelling news about Russia's diplomacy in Africa

**Entities.** Mark every person (PERSON), organisation or outlet (ORG), country or city (GPE),
other place (LOC), nationality or group (NORP) and named event (EVENT). Mark the shortest span
that names the thing: *Sergey Lavrov*, not *Foreign Minister Sergey Lavrov*. Link spelling
variants (*Sergei Lavrov*) to one entity.

**Stance.** For each target, what does the article as a whole argue? Use *neutral* when it
reports without taking a side, *unrelated* when it does not discuss the target.

**Sources.** Rate the publisher and every source the article credits or quotes, on the
1 (very low) – 5 (very high) scale, and point at the sentence that cites it.
"""
USERS = [
    ("admin", Membership.Role.MANAGER, True),
    ("reviewer", Membership.Role.REVIEWER, False),
    ("annotator1", Membership.Role.ANNOTATOR, False),
    ("annotator2", Membership.Role.ANNOTATOR, False),
]


class Command(DatabaseCommand):
    help = "Create the demo project, its users and the two seed articles (idempotent)."

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            project, _ = Project.objects.get_or_create_with_labels(
                PROJECT_SLUG, name="Demo: Lavrov in Africa"
            )
            if not project.guidelines:
                project.guidelines = GUIDELINES
                project.save(update_fields=["guidelines"])
            for position, (name, description) in enumerate(NEWS_STANCE_TARGETS):
                StanceTarget.objects.get_or_create(
                    project=project,
                    name=name,
                    defaults={"description": description, "position": position},
                )
            credentials = self._ensure_users(project)
        run = import_paths(
            sorted(DEMO_DIR.glob("*.txt")), project=project, format="pagedump"
        )
        self.stdout.write(f"Demo project {project.name!r}: {run.summary()}.")
        self.stdout.write(self.style.SUCCESS("Log in at http://127.0.0.1:8000/ as:"))
        for username, password in credentials.items():
            self.stdout.write(f"  {username:<11} {password}")

    def _ensure_users(self, project: Project) -> dict[str, str]:
        path = Path(settings.VAR_DIR) / "demo-credentials.txt"
        known = (
            dict(
                line.split(" ", 1)
                for line in path.read_text().splitlines()
                if " " in line
            )
            if path.exists()
            else {}
        )
        user_model = get_user_model()
        for username, role, is_superuser in USERS:
            user = user_model.objects.filter(username=username).first()
            if user is None or username not in known:
                known[username] = secrets.token_urlsafe(9)
                user = user or user_model(username=username)
                user.is_superuser = user.is_staff = is_superuser
                user.set_password(known[username])
                user.save()
            Membership.objects.get_or_create(
                user=user, project=project, defaults={"role": role}
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            "".join(f"{name} {password}\n" for name, password in known.items())
        )
        path.chmod(0o600)
        return {username: known[username] for username, _, _ in USERS}
