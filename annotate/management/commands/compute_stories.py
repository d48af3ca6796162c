"""Group a project's articles into stories (Document.story_key), so splits keep every
story on one side. Imported story keys are kept; the others are computed again."""

from __future__ import annotations

from django.core.management.base import CommandError

from annotate.exports.stories import assign_story_keys
from annotate.management.base import DatabaseCommand
from annotate.models import Document, Project


class Command(DatabaseCommand):
    help = "Compute the story keys of a project's documents."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--project", required=True, metavar="SLUG")

    def handle(self, *args, project: str, **options) -> None:
        target = Project.objects.filter(slug=project).first()
        if target is None:
            raise CommandError(f"no project with the slug {project!r}")
        changed = assign_story_keys(target)
        stories = (
            Document.objects.for_project(target).values("story_key").distinct().count()
        )
        self.stdout.write(
            self.style.SUCCESS(f"{stories} stories; {changed} documents changed key")
        )
