"""The page-dump cleaner: a browser's or a text browser's rendering of a news page in,
the article out, with its metadata separated. docs/cleaner.md has the method and its
measured scores.

It reads structure rather than words, in five steps, one module each:
- columns: a page laid out in table columns, which w3m prints side by side, is read
  column by column.
- blocks: the dump is cut into blocks, one per line, except that lines the renderer
  wrapped are joined again; the page's language is found from jusText's stop lists.
- shapes: each block is scored as prose by its length, its closing punctuation and its
  share of function words, and the shapes of boilerplate are marked (repeated prose,
  the article printed again in one block, teasers, comment threads, listings of dated
  headlines, consent notices, photo credits), and counted lists.
- extent: the heuristic's article is the maximum-sum run of block scores at one text
  indent, from below a byline, widened over what touches it.
- model: gradient-boosted trees, trained on human-checked article bodies, give every
  block a probability from the same marks and its neighbourhood; their runs of likely
  blocks bring back the parts of long articles that lists, subheadings or a gallery cut
  off the heuristic's run.
The body is both together and a list the article ends on, less captions, links and
inserts (here). Metadata comes from the blocks above the body, tags from the short list
below it (metadata).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from annotate.ingest.captions import is_caption
from annotate.ingest.pagedump.blocks import (
    Block,
    column_widths,
    page_stoplist,
    read_blocks,
    rendering_style,
    wrap_width,
)
from annotate.ingest.pagedump.columns import unfold_columns
from annotate.ingest.pagedump.extent import (
    article_blocks,
    densest_prose_run,
    extend_by_sentences,
    mark_head_captions,
    trailing_list,
)
from annotate.ingest.pagedump.metadata import (
    CleanedPage,
    read_head_metadata,
    repeated_site_name,
    tag_list,
)
from annotate.ingest.pagedump.model import (
    block_likelihoods,
    block_words,
    learned_extent,
)
from annotate.ingest.pagedump.shapes import score_blocks

__all__ = ["CleanedPage", "clean_page_dump"]

MAX_DUMP_CHARS = 5_000_000
# Blocks above the body read for captions and metadata.
HEAD_BLOCKS = 15


class ReadPage(NamedTuple):
    lines: list[str]
    style: str
    blocks: list[Block]
    stoplist: frozenset[str]

    @property
    def unwrapped(self) -> bool:
        return self.style == "unwrapped"


def read_page(dump: str) -> ReadPage:
    """The dump's blocks, scored and marked (bench/train_cleaner.py reads pages so too)."""
    printed = (
        dump[:MAX_DUMP_CHARS].replace("\r\n", "\n").replace("\r", "\n").split("\n")
    )
    lines = unfold_columns(printed)
    style = rendering_style(lines)
    # Measured as printed: the paragraphs of unfolded columns are joined already.
    widths = column_widths(printed) if style == "unwrapped" else None
    blocks = read_blocks(lines, wrap_width(lines, style), widths)
    stoplist = page_stoplist(blocks)
    score_blocks(blocks, stoplist, unwrapped=style == "unwrapped")
    return ReadPage(lines, style, blocks, stoplist)


def heuristic_extent(blocks: list[Block]) -> set[int]:
    """The indices of the article's extent by the densest run of prose."""
    run = densest_prose_run(blocks)
    if run is None:
        return set()
    head = blocks[max(0, run[0] - HEAD_BLOCKS) : run[0]]
    mark_head_captions(head, blocks[run[0]].indent)
    start, end = extend_by_sentences(blocks, *run)
    return set(range(start, end + 1))


def article_body(page: ReadPage) -> list[int]:
    """The indices of the article's blocks, by the heuristic and the model together."""
    likely = block_likelihoods(page.blocks, page.stoplist, unwrapped=page.unwrapped)
    return body_blocks(page.blocks, heuristic_extent(page.blocks), likely)


def body_blocks(
    blocks: list[Block], extent: set[int], likely: np.ndarray | None
) -> list[int]:
    """The heuristic's extent and the model's runs together, then a list the article
    ends on; less what is never article text (captions, inserts, links, rules)."""
    if likely is not None:
        extent = extent | set(learned_extent(likely, block_words(blocks)))
    if extent:
        extent = extent | set(trailing_list(blocks, max(extent)))
    return article_blocks(blocks, sorted(extent))


def without_leading_captions(blocks: list[Block], kept: list[int]) -> list[int]:
    """The body less the photo captions it starts with ("... (Photo: Reuters)"), which
    are marked as captions; a body that is nothing else is kept whole."""
    first = next((i for i, at in enumerate(kept) if not is_caption(blocks[at].text)), 0)
    for at in kept[:first]:
        blocks[at].caption = True
    return kept[first:]


def clean_page_dump(dump: str) -> CleanedPage:
    """Split a page dump into the article body and its metadata."""
    page = read_page(dump)
    blocks, style = page.blocks, page.style
    if not blocks:
        return CleanedPage(text="", style=style, warnings=["the page is empty"])
    kept = article_body(page)
    if not kept:
        return CleanedPage(
            text="",
            style=style,
            warnings=["no article prose found: the page looks like menus and links"],
        )
    kept = without_leading_captions(blocks, kept)
    start, end = kept[0], kept[-1]
    cleaned = CleanedPage(
        text="\n\n".join(blocks[index].text for index in kept), style=style
    )
    around = blocks[max(0, start - HEAD_BLOCKS) : end + 1]
    cleaned.captions = [block.text for block in around if block.caption]
    read_head_metadata(cleaned, blocks[:start])
    cleaned.tags = tag_list(blocks[end + 1 :])
    cleaned.publisher = cleaned.publisher or repeated_site_name(page.lines)
    if len(cleaned.text) < 200 or len(cleaned.text) < 0.05 * len(dump):
        cleaned.warnings.append(
            "little article prose was found: check that the text is the article"
        )
    return cleaned
