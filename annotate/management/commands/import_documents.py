"""Import news articles into a project from files, folders, .zip and .gz archives.

Bad records are reported as FILE:LINE: reason and the rest is still imported (unless
--strict); the exit status is non-zero when anything was rejected. Re-importing the
same files adds nothing, and an interrupted import is completed by running it again.
"""

from __future__ import annotations

import sys

from django.core.management.base import CommandError
from tqdm import tqdm

from annotate.ingest.load import LoadCounts, import_paths
from annotate.ingest.readers import FORMATS
from annotate.management.base import DatabaseCommand
from annotate.models import Project


class Command(DatabaseCommand):
    help = "Import documents (text, page dumps, HTML, JSONL, CSV, doccano, Label Studio, Prodigy) into a project."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "paths",
            nargs="+",
            metavar="PATH",
            help="Files, folders, .zip or .gz archives.",
        )
        parser.add_argument(
            "--project",
            required=True,
            metavar="SLUG",
            help="Created with default labels if new.",
        )
        parser.add_argument(
            "--format",
            default="auto",
            choices=FORMATS,
            help="Default: detected per file.",
        )
        parser.add_argument(
            "--strict",
            action="store_true",
            help="Import nothing from a file that has a bad record.",
        )

    def handle(
        self,
        *args,
        paths: list[str],
        project: str,
        format: str,
        strict: bool,
        **options,
    ) -> None:
        target, created = Project.objects.get_or_create_with_labels(project)
        if created:
            self.stdout.write(
                self.style.NOTICE(
                    f"Created project {target.slug!r} with the default labels."
                )
            )
        show_bar = options["verbosity"] > 0 and sys.stderr.isatty()
        with tqdm(
            desc="importing", unit=" records", disable=not show_bar, file=sys.stderr
        ) as bar:

            def on_progress(counts: LoadCounts) -> None:
                bar.update(counts.read - bar.n)
                bar.set_postfix(
                    imported=counts.imported,
                    rejected=len(counts.rejections),
                    refresh=False,
                )

            run = import_paths(
                paths,
                project=target,
                format=format,
                strict=strict,
                on_progress=on_progress,
            )
        for rejection in run.rejections:
            self.stderr.write(f"{rejection['origin']}: {rejection['reason']}")
        if run.rejected > len(run.rejections):
            self.stderr.write(
                f"... and {run.rejected - len(run.rejections)} more rejections"
            )
        summary = f"{run.summary()} (import run #{run.pk}, {run.duration.total_seconds():.1f} s)"
        if run.rejected:
            raise CommandError(
                summary
                + (
                    "; --strict: files with bad records were not imported"
                    if strict
                    else ""
                )
            )
        self.stdout.write(self.style.SUCCESS(summary))
