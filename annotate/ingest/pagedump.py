"""The page-dump cleaner: a browser's or a text browser's rendering of a news page in,
the article out, with its metadata separated.

It reads structure rather than words. The dump is cut into blocks: one per line, except
that lines the renderer wrapped are joined again. A line was wrapped when the next one
keeps its text column and the next line's first word would not have fitted within the
dump's wrap width; an image's name or marker between two lines keeps them apart. Each
block is scored as prose by its length, its closing punctuation (or a sign-off after it)
and its share of function words in the page's language; the stop lists come from
jusText, so about 100 languages are covered, and Han and kana characters weigh more than
letters. Then the shapes of boilerplate are marked:
- prose printed twice on a page, give or take a counter or a label at one end
  (banners, teasers, gallery captions), costs less than boilerplate but is not prose;
- a short paragraph with no prose on either side (headline, excerpt, image, next
  headline: a teaser list) weighs half, and a teaser whose title-case headline is glued
  to its excerpt costs like a repeat;
- a series of dated headers each followed by prose is a comment thread: not prose;
- a cookie or consent notice is not prose; a photo credit line ("Name/Agency") makes
  the short blocks above it a caption;
- items numbered 1, 2, 3, … (a ranked list, a standings table) are content.

The article is the maximum-sum run of block scores at one text indent. Prose at another
indent (a quote, a list) costs nothing and adds nothing, and each further block of a gap
costs more than the last. The run then takes in the prose and the sentence-shaped short
lines right before and after it (a one-line lead, a short last paragraph). Inside it,
everything is kept except captions, links, repeated lines, labelled inserts ("Read
more: …") and link lists under an insert heading. Metadata comes from the blocks above
the body, and tags from the short bulleted list below it. docs/cleaner.md has the
method and its measured scores.
"""

from __future__ import annotations

import itertools
import re
import warnings
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import NamedTuple

import justext
from dateutil import parser as date_parser

BULLET = re.compile(r"^\s*(?:[•*+#o·▪■-]|\d+\.)\s+")
IMAGE_MARKER = re.compile(
    r"\[(?:[^\]\s]*\.(?:jpe?g|png|gif|webp|svg)[^\]]*|image|IMG|INLINE)\]", re.I
)
LYNX_NOISE = re.compile(r"\(BUTTON\)|\[[A-Za-z_-]{0,20}\]|^\s*#\S*")
# lynx prints an image's file name where the image had no alt text.
IMAGE_FILE = re.compile(r"(?<!\S)\S+\.(?:jpe?g|png|gif|webp|svg)(?:\?\S*)?(?!\S)", re.I)
# Consent and cookie notices: the word is the same in most languages.
CONSENT = re.compile(r"\bcookies?\b|\bcookie-|\bGDPR\b|\bDSGVO\b", re.I)
SENTENCE_END = re.compile(r"[.!?…»\"”’')\]:;。！？」』]$")
SHORT_SENTENCE_END = re.compile(r"[.!?…»\"”’。！？」』]$")
# Han, kana: scripts written without spaces.
IDEOGRAPHIC = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# A paragraph may close on a sign-off after its last sentence: an agency or a site name.
# (Not after an ellipsis: "… Read more" closes a cut teaser.)
SIGN_OFF = re.compile(r"(?<![.…])[.!?][\"”»]?\s+[\w.&-]{2,20}$")
LABEL_PREFIX = re.compile(r"^[\w’'-]+(?:\s[\w’'-]+){0,2}\s?:\s+\S")
CREDIT_SUFFIX = re.compile(r"\([\w .,&'-]{2,40}\)\.?$")
URL = re.compile(r"https?://\S+|\bt\.me/\S+|www\.\S+")
BYLINE = re.compile(r"^(?:by|por|von|par|di|door|av|автор)\s+(.{2,80})$", re.I)
SOURCE_CREDIT = re.compile(
    r"^(?:source|sources|fonte|quelle|fuente|источник)\s*:\s*(.{2,80})$", re.I
)
ZERO_WIDTH = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")
NUMERAL = re.compile(r"^\s*\d{1,3}(?=[.)]\s)")
LIST_NUMBER = re.compile(r"^\s*(\d{1,3})(?:[.)]\s|\s+\S)")
# w3m prints an image's alt text or file stem in brackets, alone on its line.
ALT_TEXT_LINE = re.compile(r"^\[[^\]\s]{1,80}\]$")
PHOTO_CREDIT = re.compile(r"^[A-Z][\w.&' -]{1,40}(?:/[A-Z][\w.&' -]{1,40}){1,3}$")
MIN_HEADLINE_CHARS, MAX_HEADLINE_CHARS = 15, 160
# Where a headline runs into the text after it: a capitalised word's lower-case letters
# or a closing mark, then a capitalised word, with no space between.
GLUE = re.compile(r"(?:(?<=[A-Z])[a-z]{3,}|[’'\")?!])(?=[A-Z][a-z])")
CLOCK_TIME = re.compile(r"\b\d{1,2}:\d{2}\b")
DATE_HINT = re.compile(
    r"\b(?:\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}-\d{2}-\d{2}|(?:\d{1,2}\s+)?[A-Za-zÀ-ÿ]{3,9}\.?\s+\d{1,2},?\s+\d{4}|\d{1,2}\s+[A-Za-zÀ-ÿ]{3,9}\.?\s+\d{4})\b"
)
# Headings of inserts that interrupt a body: a hint on top of the structure, in a few
# languages; the article is found without them.
INSERT_HEADING = re.compile(
    r"^(?:related|read more|read next|read also|also read|see also|more on|most read"
    r"|advertisement|leia (?:também|mais)|veja também|mais lidas|publicidade"
    r"|lesen sie auch|mehr zum thema|weitere artikel|anzeige|lire aussi|à lire aussi"
    r"|publicité|lee también|publicidad|читайте также|по теме|реклама)\b",
    re.I,
)
MIN_PROSE_CHARS = 70
# A line shorter than prose but shaped like a sentence has at least this many words.
MIN_SENTENCE_WORDS = 5
# A Han or kana character weighs this many Latin letters.
CJK_WEIGHT = 3
LONG_PROSE_CHARS = 200
SHORT_BLOCK_CHARS = 120
MAX_DUMP_CHARS = 5_000_000
# An indent must carry this share of the page's prose to be tried as the article's.
INDENT_SHARE = 0.15
# The k-th block in a row of boilerplate costs (1 + GAP_GROWTH * (k - 1)) times its own.
GAP_GROWTH = 0.1
# A prose block shorter than this with no prose next to it weighs this share.
ISOLATED_MAX_CHARS = 350
ISOLATED_WEIGHT = 0.5
# A repeated block costs this share of its length; repetition is ignored when nearly
# all the page's prose repeats (a list, a log: then it is the page).
REPEAT_COST = 0.5
MAX_REPEATED_SHARE = 0.95
# Above a photo credit line, this many blocks up to this long are the caption.
CAPTION_MAX_CHARS = 300
CAPTION_SPAN = 2
# A numbered list of at least this many items weighs this share of its length.
MIN_COUNTED_ITEMS = 3
COUNTED_WEIGHT = 0.5
# Reader comments: at least this many dated headers, each within this many blocks of
# the last.
MIN_COMMENTS = 3
COMMENT_SPACING = 20
# A renderer that caps line length (w3m near 1,020) wraps only lines this long.
LINE_CAP_MIN = 400
# A dump is hard-wrapped when enough of its lines reach its longest line's width; its
# wrap width is this quantile of the lengths of its long lines.
MIN_WALL_LINES = 5
WALL_QUANTILE = 0.85


@dataclass
class CleanedPage:
    text: str
    title: str = ""
    byline: str = ""
    publisher: str = ""
    source_credit: str = ""
    published_at: datetime | None = None
    tags: list[str] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    style: str = ""

    def as_meta(self) -> dict:
        return {
            "tags": self.tags,
            "captions": self.captions,
            "source_credit": self.source_credit,
            "warnings": self.warnings,
            "style": self.style,
        }


@dataclass
class Block:
    text: str
    indent: int
    bullet: bool
    prose: bool = False
    score: float = 0.0
    caption: bool = False
    repeated: bool = False
    number: int | None = None
    counted: bool = False
    in_list: bool = False
    echo: bool = False
    sentence: bool = False


def clean_page_dump(dump: str) -> CleanedPage:
    """Split a page dump into the article body and its metadata."""
    lines = dump[:MAX_DUMP_CHARS].replace("\r\n", "\n").replace("\r", "\n").split("\n")
    style = rendering_style(lines)
    blocks = read_blocks(lines, wrap_width(lines, style))
    if not blocks:
        return CleanedPage(text="", style=style, warnings=["the page is empty"])
    score_blocks(blocks, unwrapped=style == "unwrapped")
    body_range = densest_prose_run(blocks)
    if body_range is None:
        return CleanedPage(
            text="",
            style=style,
            warnings=["no article prose found: the page looks like menus and links"],
        )
    start, end = body_range
    mark_head_captions(blocks[max(0, start - 15) : start], blocks[start].indent)
    start, end = extend_by_sentences(blocks, start, end)
    body = article_blocks(blocks[start : end + 1])
    page = CleanedPage(text="\n\n".join(block.text for block in body), style=style)
    head = blocks[max(0, start - 15) : start]
    region = blocks[start : end + 1]
    page.captions = [block.text for block in [*head, *region] if block.caption]
    read_head_metadata(page, blocks[:start])
    page.tags = tag_list(blocks[end + 1 :])
    page.publisher = page.publisher or repeated_site_name(lines)
    if len(page.text) < 200 or len(page.text) < 0.05 * len(dump):
        page.warnings.append(
            "little article prose was found: check that the text is the article"
        )
    return page


def rendering_style(lines: list[str]) -> str:
    """'wrapped' for hard-wrapped renderings (lynx), else 'unwrapped' (w3m, copy-all)."""
    text_lines = [line for line in lines if line.strip()]
    if not text_lines:
        return "unwrapped"
    widths = sorted(len(line.rstrip()) for line in text_lines)
    longest = widths[-1]
    indented = sum(1 for line in text_lines if line.startswith("   ")) / len(text_lines)
    near_limit = sum(1 for width in widths if width >= 0.85 * longest)
    # A page of menus has few lines long enough to reach the wall, but has some.
    reach_wall = near_limit > 0.08 * len(widths) or near_limit >= MIN_WALL_LINES
    return (
        "wrapped" if longest <= 140 and indented > 0.5 and reach_wall else "unwrapped"
    )


def wrap_width(lines: list[str], style: str) -> int:
    """The column a renderer wraps at: the wall most line ends reach in a wrapped dump
    (lynx: 94 at -width=100), the line-length cap in an unwrapped one (w3m: ~1,020)."""
    lengths = sorted(len(line.rstrip()) for line in lines if line.strip())
    if not lengths:
        return 0
    if style == "wrapped":
        # Measured on the long lines only: on a page of menus few lines reach it.
        long_lines = [length for length in lengths if length >= 0.6 * lengths[-1]]
        return long_lines[int(WALL_QUANTILE * (len(long_lines) - 1))]
    return lengths[-1] if lengths[-1] >= LINE_CAP_MIN else len(max(lines, key=len)) + 1


def clean_line(line: str) -> str:
    line = ZERO_WIDTH.sub("", line)
    line = IMAGE_FILE.sub(" ", IMAGE_MARKER.sub(" ", LYNX_NOISE.sub(" ", line)))
    return re.sub(r"\s+", " ", line).strip()


def read_blocks(lines: list[str], width: int) -> list[Block]:
    """Lines into blocks, a line joining the block above where the renderer wrapped it:
    same text column, and its first word would not have fitted on the line above."""
    blocks: list[Block] = []
    parts: list[list[str]] = []
    previous, column = "", -1
    for raw in lines:
        line = raw.rstrip()
        if not line.strip():
            previous, column = "", -1
            continue
        indent = len(line) - len(line.lstrip())
        bullet = BULLET.match(line)
        if numeral := NUMERAL.match(line):
            # Renderers right-align item numbers (" 9.", "10."): the column of the
            # number's last digit is the list's indent.
            indent = numeral.end() - 1
        text = clean_line(BULLET.sub("", line))
        wrapped = (
            previous
            and not bullet
            and indent == column
            and len(previous) + 1 + len(line.split()[0]) > width
        )
        if not text:
            # An image or a control between two lines: they are not one paragraph.
            previous, column = "", -1
            continue
        if wrapped and parts:
            parts[-1].append(text)
        else:
            counter = LIST_NUMBER.match(line)
            number = int(counter.group(1)) if counter else None
            blocks.append(Block(text, indent, bool(bullet), number=number))
            parts.append([text])
        previous, column = line, (bullet.end() if bullet else indent)
    for block, pieces in zip(blocks, parts, strict=True):
        block.text = " ".join(piece for piece in pieces if piece)
    return blocks


def score_blocks(blocks: list[Block], *, unwrapped: bool) -> None:
    stoplist = page_stoplist(blocks)
    for block in blocks:
        block.prose, block.score = prose_score(block, stoplist, unwrapped=unwrapped)
        block.sentence = not block.prose and sentence_shaped(block, stoplist)
    mark_credited_captions(blocks)
    mark_consent_notices(blocks)
    mark_repeated_prose(blocks)
    mark_glued_teasers(blocks)
    mark_comment_threads(blocks)
    mark_counted_lists(blocks)
    discount_isolated_prose(blocks)


@cache
def stoplists() -> tuple[list[frozenset[str]], dict[str, tuple[int, ...]]]:
    """jusText's stop lists, and for each stop word the lists that hold it."""
    lists = [frozenset(justext.get_stoplist(name)) for name in justext.get_stoplists()]
    holders: dict[str, list[int]] = {}
    for number, stops in enumerate(lists):
        for word in stops:
            holders.setdefault(word, []).append(number)
    return lists, {word: tuple(numbers) for word, numbers in holders.items()}


def page_stoplist(blocks: list[Block]) -> frozenset[str]:
    """The stop list of the page's language: the one its words hit most often."""
    sample: Counter[str] = Counter()
    words = 0
    for block in blocks:
        found = re.findall(r"\w+", block.text.lower())
        sample.update(found)
        words += len(found)
        if words > 20_000:
            break
    if not sample:
        return frozenset()
    lists, holders = stoplists()
    hits = [0] * len(lists)
    for word, count in sample.items():
        for number in holders.get(word, ()):
            hits[number] += count
    return lists[max(range(len(lists)), key=hits.__getitem__)]


class Wording(NamedTuple):
    size: float  # length in characters, a Han or kana character weighing more
    words: int
    stop_density: float  # the share of function words, numbers left out


def wording(text: str, stoplist: frozenset[str]) -> Wording:
    words = re.findall(r"\w+", text.lower())
    # Numbers (scores, prices, dates) are neither function words nor content words.
    wordy = [word for word in words if not word.isdigit()] or words
    stop_density = (
        sum(word in stoplist for word in wordy) / len(wordy)
        if stoplist and words
        else 0.3
    )
    size, count = len(text), len(words)
    if IDEOGRAPHIC.search(text) and (ideographic := len(IDEOGRAPHIC.findall(text))):
        # Chinese and Japanese write no spaces and carry a word in two or three
        # characters, and no stop list holds them.
        size += (CJK_WEIGHT - 1) * ideographic
        count += ideographic // 2
        if ideographic >= 0.5 * len(text):
            stop_density = 0.3
    return Wording(size, count, stop_density)


def prose_score(
    block: Block, stoplist: frozenset[str], *, unwrapped: bool
) -> tuple[bool, float]:
    if not re.search(r"\w", block.text):
        return False, -1.0
    size, words, stop_density = wording(block.text, stoplist)
    ends_sentence = bool(SENTENCE_END.search(block.text) or SIGN_OFF.search(block.text))
    long_enough = size >= MIN_PROSE_CHARS and words >= 10
    # In an unwrapped dump a <br> may cut a sentence: a long line rich in function words
    # is prose all the same. (Wrapped paragraphs are rejoined, so they keep their end.)
    unpunctuated_prose = unwrapped and size >= LONG_PROSE_CHARS and stop_density >= 0.3
    prose = (
        long_enough
        and (ends_sentence or unpunctuated_prose)
        and stop_density >= 0.15
        and not URL.search(block.text[:40])
    )
    if prose:
        return True, float(size)
    return False, -boilerplate_cost(block)


def sentence_shaped(block: Block, stoplist: frozenset[str]) -> bool:
    """Too short for prose, but a sentence: an article's last line, a one-line
    paragraph, a blogger's aside."""
    if block.bullet or not SHORT_SENTENCE_END.search(block.text):
        return False
    _, words, stop_density = wording(block.text, stoplist)
    return (
        words >= MIN_SENTENCE_WORDS
        and stop_density >= 0.15
        and not URL.search(block.text)
    )


def boilerplate_cost(block: Block) -> float:
    # In proportion to its length, so a menu outweighs a short caption.
    return max(25.0, 0.5 * len(block.text))


def gap_cost(block: Block) -> float:
    """What a non-article block costs a run that spans it. Repeated prose costs less:
    it is often the article's own lead or photo caption printed again elsewhere."""
    if block.in_list:
        return 0.0
    if block.repeated:
        return max(25.0, REPEAT_COST * len(block.text))
    return boilerplate_cost(block)


def mark_credited_captions(blocks: list[Block]) -> None:
    """Short lines ending in a parenthesised credit, such as '... in Bamako (AFP).'"""
    for block in blocks:
        if (
            len(block.text) <= 200
            and len(block.text.split()) >= 4
            and CREDIT_SUFFIX.search(block.text)
        ):
            block.caption, block.prose = True, False
            block.score = -boilerplate_cost(block)
    # A photo credit on its own line ("Jane Doe/Agency/Getty Images") closes a
    # caption: the one or two short blocks above it describe the photo.
    for index, block in enumerate(blocks):
        if not PHOTO_CREDIT.match(block.text):
            continue
        block.caption = True
        for above in blocks[max(0, index - CAPTION_SPAN) : index]:
            if len(above.text) <= CAPTION_MAX_CHARS and not above.bullet:
                above.caption, above.prose = True, False
                above.score = -boilerplate_cost(above)


def mark_consent_notices(blocks: list[Block]) -> None:
    """Cookie and consent banners read as prose, and can outweigh a short article."""
    for block in blocks:
        if block.prose and CONSENT.search(block.text):
            block.prose, block.score = False, -boilerplate_cost(block)


def repeat_keys(text: str) -> tuple[str, str]:
    """The letters of a block's start and end: a teaser or a gallery caption printed
    twice differs at most by a counter or a label glued to one end."""
    letters = re.sub(r"[\W\d_]+", "", text.lower())
    return letters[:40], letters[-40:]


def mark_repeated_prose(blocks: list[Block]) -> None:
    """Prose printed twice on a page is a banner, a teaser or a caption, not the
    article: it counts as boilerplate, so it never outweighs the article."""
    seen: Counter[str] = Counter()
    keys = {}
    for block in blocks:
        if block.prose or len(block.text) >= MIN_PROSE_CHARS:
            keys[id(block)] = repeat_keys(block.text)
            seen.update(set(keys[id(block)]))
    repeated = [
        block
        for block in blocks
        if id(block) in keys and any(seen[key] > 1 for key in keys[id(block)])
    ]
    prose_blocks = sum(block.prose for block in blocks)
    if sum(block.prose for block in repeated) > MAX_REPEATED_SHARE * prose_blocks:
        # Most of the prose repeats itself: that is the page (a list, a log), not a
        # banner on it.
        return
    for block in repeated:
        # Repeated prose may be the article's lead printed again as a teaser: it
        # stays in the body when the body runs through it. Other repeats do not.
        block.echo = block.prose
        block.prose, block.repeated = False, True
        block.score = -gap_cost(block)


def glued_headline(text: str) -> bool:
    """'Storm Hits CoastHeavy rain fell…': a teaser's headline run into its excerpt, the
    headline in title case and no space where the two elements met."""
    glue = GLUE.search(text, 0, MAX_HEADLINE_CHARS)
    if glue is None or glue.end() < MIN_HEADLINE_CHARS:
        return False
    words = text[: glue.end()].split()
    capitalised = sum(word[0].isupper() or word[0].isdigit() for word in words)
    return len(words) >= 3 and capitalised >= 0.8 * len(words)


def mark_glued_teasers(blocks: list[Block]) -> None:
    """Teasers whose headline is glued to the excerpt read as prose: they cost like
    repeated prose instead."""
    for block in blocks:
        if block.prose and glued_headline(block.text):
            block.prose, block.repeated = False, True
            block.score = -gap_cost(block)


def is_stamp(block: Block) -> bool:
    """A short line carrying a date or a time: a byline, or a comment's header."""
    return (
        not block.prose
        and len(block.text) <= 120
        and bool(CLOCK_TIME.search(block.text) or DATE_HINT.search(block.text))
    )


def mark_comment_threads(blocks: list[Block]) -> None:
    """Reader comments: a series of dated headers at one indent, each followed by prose.
    Their prose is not the article's, however much of it there is."""
    stamps = [
        index
        for index, block in enumerate(blocks)
        if is_stamp(block)
        and any(other.prose for other in blocks[index + 1 : index + 3])
    ]
    series: list[int] = []
    for index in [*stamps, -1]:
        if (
            series
            and index >= 0
            and blocks[index].indent == blocks[series[-1]].indent
            and index - series[-1] <= COMMENT_SPACING
        ):
            series.append(index)
            continue
        if len(series) >= MIN_COMMENTS:
            end = series[-1] + 1
            while end < len(blocks) and (blocks[end].prose or end - series[-1] <= 2):
                end += 1
            for block in blocks[series[0] : end]:
                if block.prose:
                    block.prose, block.score = False, -boilerplate_cost(block)
        series = [index]


def mark_counted_lists(blocks: list[Block]) -> None:
    """Items numbered 1, 2, 3, … (a ranked list, a standings table) are content, short as
    each item is: they weigh a share of their length instead of costing it."""
    runs: list[list[tuple[int, Block]]] = [[]]
    for index, block in enumerate(blocks):
        if block.number is None:
            continue
        run = runs[-1]
        if run and block.number == run[-1][1].number + 1 and index - run[-1][0] <= 3:
            run.append((index, block))
        else:
            runs.append([(index, block)])
    for run in runs:
        if len(run) < MIN_COUNTED_ITEMS:
            continue
        for _, item in run:
            if not item.prose and not item.repeated:
                item.caption, item.counted = False, True
                item.score = COUNTED_WEIGHT * len(item.text)
        # What sits between the items (a link, a price) belongs to the list.
        for between in blocks[run[0][0] : run[-1][0]]:
            between.in_list = True


def discount_isolated_prose(blocks: list[Block]) -> None:
    """A short paragraph between two non-prose blocks is the shape of a teaser (headline,
    excerpt, image, next headline): an article's paragraphs follow one another."""
    for index, block in enumerate(blocks):
        if not block.prose or len(block.text) >= ISOLATED_MAX_CHARS:
            continue
        before = blocks[index - 1] if index else None
        after = blocks[index + 1] if index + 1 < len(blocks) else None
        if not any(
            other is not None and (other.prose or other.repeated)
            for other in (before, after)
        ):
            block.score *= ISOLATED_WEIGHT


def mark_head_captions(head: list[Block], body_indent: int) -> None:
    """Above the body, a line under a bulleted photo credit and indented deeper than the
    body is the photo's caption. (Inside the body the same shape is a definition list.)"""
    for previous, block in itertools.pairwise(head):
        if (
            previous.bullet
            and not block.bullet
            and block.indent > body_indent
            and len(block.text.split()) >= 6
        ):
            block.caption = True


def densest_prose_run(blocks: list[Block]) -> tuple[int, int] | None:
    """The article's extent: the best maximum-sum run over the prose indents tried."""
    best: tuple[float, tuple[int, int] | None] = (0.0, None)
    for indent in prose_indents(blocks):
        found = densest_run_at(blocks, indent)
        if found[0] > best[0]:
            best = found
    return best[1]


def extend_by_sentences(blocks: list[Block], start: int, end: int) -> tuple[int, int]:
    """Widen the article's run over the prose and the sentence-shaped lines right before
    and after it: a short last paragraph, a one-line lead, a lead set at another indent
    (a sentence at another indent is not taken: it is a caption or a teaser as often)."""
    indent = blocks[start].indent

    def belongs(block: Block) -> bool:
        return (
            (block.prose or (block.sentence and block.indent == indent))
            and not (block.caption or block.repeated or block.in_list)
            and not INSERT_HEADING.match(block.text)
            and not is_insert(block)
        )

    while end + 1 < len(blocks) and belongs(blocks[end + 1]):
        end += 1
    while start > 0 and belongs(blocks[start - 1]):
        start -= 1
    return start, end


def prose_indents(blocks: list[Block]) -> list[int]:
    """Indents that carry a fair share of the page's prose: the article's is among them."""
    chars: Counter[int] = Counter()
    for block in blocks:
        if block.prose:
            chars[block.indent] += len(block.text)
    total = chars.total()
    return [indent for indent, size in chars.items() if size >= INDENT_SHARE * total]


def densest_run_at(
    blocks: list[Block], indent: int
) -> tuple[float, tuple[int, int] | None]:
    """Kadane over block scores, where prose at another indent (teasers, sidebars)
    counts as boilerplate and each further block of a gap costs more than the last: an
    article survives a short insert better than a long break such as its comments."""
    best, best_range, running, run_start, gap = 0.0, None, 0.0, 0, 0
    for index, block in enumerate(blocks):
        if running <= 0:
            running, run_start, gap = 0.0, index, 0
        if block.counted or (block.prose and block.indent == indent):
            running += block.score
            gap = 0
            if running > best:
                best, best_range = running, (run_start, index)
        elif block.prose:
            # A quote or a list item indented apart costs nothing: part of the article
            # when the article's prose comes back, and left out when it does not.
            gap += 1
        else:
            gap += 1
            running -= gap_cost(block) * (1 + GAP_GROWTH * (gap - 1))
    if best_range is None:
        return 0.0, None
    start, end = best_range
    while start < end and not (
        blocks[start].counted
        or (blocks[start].prose and blocks[start].indent == indent)
    ):
        start += 1
    return best, (start, end)


def article_blocks(blocks: list[Block]) -> list[Block]:
    """The body's blocks: prose, subheadings, lists and tables between the prose, less
    captions, links, labelled inserts and the link lists under an insert heading."""
    kept = []
    in_insert = False
    for block in blocks:
        if block.prose:
            kept.append(block)
            in_insert = False
        elif INSERT_HEADING.match(block.text):
            in_insert = True
        elif not (
            in_insert
            or block.caption
            or (block.repeated and not block.echo)
            or is_insert(block)
            or ALT_TEXT_LINE.match(block.text)
        ):
            kept.append(block)
    return kept


def is_insert(block: Block) -> bool:
    """A link dropped into the body: a URL, or a short 'Label: headline' line."""
    return bool(URL.search(block.text)) or bool(
        LABEL_PREFIX.match(block.text) and len(block.text) <= SHORT_BLOCK_CHARS
    )


def read_head_metadata(page: CleanedPage, head: list[Block]) -> None:
    """Title, byline, credited source and date from the blocks above the body."""
    window = head[-14:]
    for block in window:
        text = block.text
        if match := BYLINE.match(text):
            page.byline = page.byline or match.group(1).strip()
        elif match := SOURCE_CREDIT.match(text):
            page.source_credit = page.source_credit or match.group(1).strip()
        elif page.published_at is None and len(text) <= 60 and DATE_HINT.search(text):
            page.published_at = parse_date(text)
    page.title = guess_title(window)


def is_meta(block: Block) -> bool:
    text = block.text
    return bool(
        BYLINE.match(text)
        or SOURCE_CREDIT.match(text)
        or (len(text) <= 60 and DATE_HINT.search(text))
    )


def guess_title(window: list[Block]) -> str:
    """The headline-shaped block just above the byline/date lines (else above the body)."""
    meta_at = next(
        (index for index, block in enumerate(window) if is_meta(block)), len(window)
    )
    for block in reversed(window[:meta_at]):
        text = block.text
        if block.bullet or block.caption or is_meta(block):
            continue
        if (
            3 <= len(text.split()) <= 30
            and not text.endswith((".", ":"))
            and not block.prose
        ):
            return text
    return ""


def parse_date(text: str) -> datetime | None:
    try:
        with warnings.catch_warnings():
            # Zone abbreviations it cannot place (ET, PST) are read as UTC below.
            warnings.simplefilter("ignore", date_parser.UnknownTimezoneWarning)
            value = date_parser.parse(
                text, fuzzy=True, default=datetime(2000, 1, 1), ignoretz=True
            )
    except (ValueError, OverflowError):
        return None
    if value.year < 1990 or value.year > 2100:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def tag_list(tail: list[Block]) -> list[str]:
    """The first run of short bulleted items after the body: the article's tags."""
    tags: list[str] = []
    for block in tail[:40]:
        if (
            block.bullet
            and len(block.text.split()) <= 5
            and not SENTENCE_END.search(block.text)
        ):
            tags.append(block.text)
        elif tags or block.prose:
            break
    return tags if len(tags) >= 2 else []


def repeated_site_name(lines: list[str]) -> str:
    """The page's first line when it comes back further down (a header and footer name)."""
    stripped = [line.strip() for line in lines if line.strip()]
    if not stripped:
        return ""
    first = BULLET.sub("", stripped[0]).strip()
    if (
        2 <= len(first) <= 60
        and len(first.split()) <= 6
        and stripped.count(stripped[0]) >= 2
    ):
        return first
    return ""
