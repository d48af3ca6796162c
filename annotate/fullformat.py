"""The name and version of newsapp's `full` format, which annotate/exports/full.py
writes and annotate/ingest/readers/full.py reads back: one place, so the two never
disagree and neither imports the other."""

from __future__ import annotations

FORMAT_NAME = "newsapp-full"
FORMAT_VERSION = 1
# Usernames of imported identities in a full file: "imported:<tool or person>".
IMPORTED_PREFIX = "imported:"
