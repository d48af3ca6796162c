"""Push articles with a model's predictions into newsapp, or pull the gold spans out.

export NEWSAPP_URL=http://127.0.0.1:8000 NEWSAPP_TOKEN=nwa_...
python api_example.py push SLUG articles.jsonl  # one article a line (see docs/api.md)
python api_example.py pull SLUG gold.jsonl
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import httpx

command, slug, path = sys.argv[1:4]
api = httpx.Client(
    base_url=f"{os.environ['NEWSAPP_URL']}/api/v1/projects/{slug}",
    headers={"Authorization": f"Bearer {os.environ['NEWSAPP_TOKEN']}"},
    timeout=600,
)
if command == "push":  # streamed from the file; re-sending it adds nothing
    with Path(path).open("rb") as articles:
        sent = api.post(
            "/documents/",
            content=articles,
            headers={"Content-Type": "application/x-ndjson"},
        )
    result = sent.raise_for_status().json()
    print(result["message"], *result["errors"], sep="\n")
else:  # the gold spans, written as they arrive
    query = {"format": "spans", "selection": "gold"}
    stream = api.stream("GET", "/exports/stream/", params=query)
    with stream as lines, Path(path).open("w") as out:
        for line in lines.raise_for_status().iter_lines():
            out.write(line + "\n")
