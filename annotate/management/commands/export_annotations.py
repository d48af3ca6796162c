"""Export a project as JSONL training data.

The file is written through a temporary file and renamed at the end, so an interrupted
export never leaves a partial file behind. Without -o the lines go to standard output.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from annotate.exports import (
    EXPORTERS,
    ExportError,
    export_lines,
    export_to_path,
    write_jsonl,
)
from annotate.models import Project


class Command(BaseCommand):
    help = "Export a project's documents and annotations as JSONL."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--project", required=True, metavar="SLUG")
        parser.add_argument("--format", required=True, choices=sorted(EXPORTERS))
        parser.add_argument(
            "-o", "--output", metavar="PATH", help="Default: standard output."
        )

    def handle(
        self, *args, project: str, format: str, output: str | None, **options
    ) -> None:
        source = Project.objects.filter(slug=project).first()
        if source is None:
            raise CommandError(f"no project with the slug {project!r}")
        try:
            if output:
                count = export_to_path(source, format, output)
            else:
                count = write_jsonl(export_lines(source, format), sys.stdout)
        except (ExportError, OSError) as error:
            raise CommandError(str(error)) from error
        if output:
            self.stdout.write(
                self.style.SUCCESS(f"{count} lines of {format} written to {output}")
            )
