"""Export a project as JSONL training data, in one of the shapes of annotate.exports.

Files are written through temporary files and renamed at the end, so an interrupted or
refused export never leaves a partial file behind (nor, with --split, a partial folder).
Without -o the lines go to standard output.
"""

from __future__ import annotations

from django.core.management.base import CommandError

from annotate.exports import (
    EXPORTERS,
    ExportError,
    ExportOptions,
    export_lines,
    run_export,
    write_jsonl,
)
from annotate.exports.selection import ALL, GOLD, MAJORITY, ExportReport
from annotate.exports.splits import SPLIT_BY
from annotate.management.base import DatabaseCommand
from annotate.models import Project


class Command(DatabaseCommand):
    help = "Export a project's documents and annotations as JSONL."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--project", required=True, metavar="SLUG")
        parser.add_argument("--format", required=True, help=", ".join(EXPORTERS))
        chosen = parser.add_mutually_exclusive_group()
        for flag, help in (
            (GOLD, "The adjudicated version only (the default where gold exists)."),
            (ALL, "Every annotator's submitted version, one line each."),
            (MAJORITY, "What more than half of a document's annotators agree on."),
        ):
            chosen.add_argument(
                f"--{flag}",
                dest="selection",
                action="store_const",
                const=flag,
                help=help,
            )
        parser.add_argument("--split", metavar="80/10/10", help="Needs -o DIR.")
        parser.add_argument("--split-by", choices=SPLIT_BY, default="story")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--predictions",
            action="store_true",
            help="Each line also carries the models' predictions for its document "
            "(never as labels). Formats: documents, spans, bio, full.",
        )
        parser.add_argument(
            "-o",
            "--output",
            metavar="PATH",
            help="A file, or with --split a folder. Default: standard output.",
        )

    def handle(self, *args, output: str | None, **options) -> None:
        # BaseCommand keeps no verbosity of its own; the notes below read it.
        self.verbosity = options["verbosity"]
        project = Project.objects.filter(slug=options["project"]).first()
        if project is None:
            raise CommandError(f"no project with the slug {options['project']!r}")
        if options["format"] not in EXPORTERS:
            raise CommandError(
                f"unknown format {options['format']!r}; choose one of {', '.join(EXPORTERS)}"
            )
        if options["split"] and not output:
            raise CommandError("--split writes one file per split: give -o DIR")
        export = ExportOptions(
            format=options["format"],
            selection=options["selection"],
            split=options["split"],
            split_by=options["split_by"],
            seed=options["seed"],
            predictions=options["predictions"],
        )
        try:
            if output:
                self._to_path(project, export, output)
            else:
                report = ExportReport()
                lines = export_lines(
                    project, export.format, selection=export.selection, report=report,
                    predictions=export.predictions,
                )  # fmt: skip
                write_jsonl(lines, self.stdout)
                self._notes(report.notices, report.warning_count, report.warnings)
        except (ExportError, OSError) as error:
            raise CommandError(str(error)) from error

    def _to_path(self, project: Project, export: ExportOptions, output: str) -> None:
        run = run_export(project, export, output)
        self._notes(run.options["notices"], run.options["warning_count"], run.warnings)
        parts = ", ".join(
            f"{name} {count}" for name, count in run.options["parts"] if name
        )
        selection = run.options["selection"]
        self.stdout.write(
            self.style.SUCCESS(
                f"{run.lines} lines of {export.format}"
                + (f" ({selection})" if selection else "")
                + f" written to {output}"
                + (f": {parts}" if parts else "")
                + f" (export run #{run.pk})"
            )
        )

    def _notes(self, notices: list[str], warning_count: int, warnings: list) -> None:
        # stderr, so notes never mix into JSONL written to standard output.
        for notice in notices:
            self.stderr.write(self.style.NOTICE(notice))
        if warning_count and self.verbosity > 0:
            self.stderr.write(
                self.style.WARNING(
                    f"{warning_count} warning{'' if warning_count == 1 else 's'}, for example:"
                )
            )
            for warning in warnings[:10]:
                self.stderr.write(
                    f"  document {warning['document_id']}, {warning['label']} "
                    f"{warning['start']}-{warning['end']} {warning['text']!r}: "
                    f"{warning['problem']}"
                )
