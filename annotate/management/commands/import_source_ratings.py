"""Load public reference ratings of news outlets (factuality, bias) into the source registry.

They are shown beside our annotators' ratings, never mixed with them. Rows are matched
to sources by domain (the host without www.) or by name; unknown outlets become new
sources. Bad rows are reported as FILE:LINE: reason, the valid rows are still loaded,
and the exit status is non-zero when anything was rejected.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError

from annotate.management.base import DatabaseCommand
from annotate.sources.reference import load_reference_ratings, read_reference_corpus


def corpus_name(path: Path) -> str:
    """emnlp18/corpus.tsv -> "emnlp18"; anything else is named by its file."""
    return path.parent.name if path.stem == "corpus" and path.parent.name else path.stem


class Command(DatabaseCommand):
    help = "Load reference factuality and bias ratings (news-media-reliability corpus.tsv) into Sources."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "files", nargs="+", metavar="FILE", help="Tab-separated corpus files."
        )
        parser.add_argument(
            "--corpus",
            help="The name ratings are stored under (default: the folder of corpus.tsv, or the file name).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and count, store nothing."
        )

    def handle(
        self, *args, files: list[str], corpus: str | None, dry_run: bool, **options
    ) -> None:
        rejected = 0
        for name in files:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"{path}: no such file")
            result = load_reference_ratings(
                read_reference_corpus(path),
                corpus=corpus or corpus_name(path),
                dry_run=dry_run,
            )
            for rejection in result.rejections:
                self.stderr.write(str(rejection))
            rejected += len(result.rejections)
            if options["verbosity"] > 0:
                verb = "would load" if dry_run else "loaded"
                self.stdout.write(
                    self.style.SUCCESS(
                        f"{path}: {verb} {result.created + result.updated} sources "
                        f"({result.created} new, {result.updated} matched), "
                        f"{len(result.rejections)} rejected"
                    )
                )
        if rejected:
            raise CommandError(
                f"{rejected} row(s) rejected; the valid rows were loaded."
            )
