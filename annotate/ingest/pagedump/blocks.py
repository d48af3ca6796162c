"""A page dump cut into blocks: one per line, except that lines the renderer wrapped
are joined again, and each block's wording measured against the stop list of the
page's language."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

import justext

BULLET = re.compile(r"^\s*(?:[•*+#o·▪■-]|\d+\.)\s+")
IMAGE_MARKER = re.compile(
    r"\[(?:[^\]\s]*\.(?:jpe?g|png|gif|webp|svg)[^\]]*|image|IMG|INLINE)\]", re.I
)
LYNX_NOISE = re.compile(r"\(BUTTON\)|\[[A-Za-z_-]{0,20}\]|^\s*#\S*")
# Renderers mark inserted and deleted text (<ins>, <del>) around every word it holds;
# an empty one ("[INS: :INS]") stays, as the separator it is on the page.
EDIT_MARKER = re.compile(r"\[(?:INS|DEL):(?=[^\s:])|(?<=[^\s:]):(?:INS|DEL)\]")
# lynx prints an image's file name where the image had no alt text.
IMAGE_FILE = re.compile(r"(?<!\S)\S+\.(?:jpe?g|png|gif|webp|svg)(?:\?\S*)?(?!\S)", re.I)
# Han, kana: scripts written without spaces.
IDEOGRAPHIC = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# The same, with their full-width punctuation and forms.
UNSPACED = re.compile(
    r"[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]"
)
DECORATION = re.compile(r"(?:[^\w\s]|_){3,}")
ZERO_WIDTH = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")
BYLINE = re.compile(r"^(?:by|por|von|par|di|door|av|автор)\s+(.{2,80})$", re.I)
# "18:30", "8:21pm", "6:34 am".
CLOCK_TIME = re.compile(r"\b\d{1,2}:\d{2}(?:\s?[ap]\.?m\b\.?)?(?!\w)", re.I)
SENTENCE_CLOSE = re.compile(r"[.!?][\"'”’)]?\s*$")
NUMERAL = re.compile(r"^\s*\d{1,3}(?=[.)]\s)")
LIST_NUMBER = re.compile(r"^\s*(\d{1,3})(?:[.)]\s|\s+\S)")
CARRIED_WORD = re.compile(r"[^\W\d_]+[,.;:!?]?(?:\s|$)")
HANGING_TEXT = re.compile(r"\s*\d{1,3}[.)]?\s+")
# A Han or kana character weighs this many Latin letters.
CJK_WEIGHT = 3
# In choosing the page's stop list, one word counts at most this many times.
MAX_WORD_VOTES = 5
# A renderer that caps line length (w3m near 1,020) wraps only lines this long.
LINE_CAP_MIN = 400
# A dump is hard-wrapped when enough of its lines reach its longest line's width; its
# wrap width is this quantile of the lengths of its long lines.
MIN_WALL_LINES = 5
WALL_QUANTILE = 0.85
# A line of prose holds at least this many words, set one space apart.
PROSE_LINE_WORDS = 6
# A text column wraps at a wall nearby when this many lines of prose within this many
# lines of each other end at most this many columns short of their longest.
WALL_WINDOW = 10
WALL_RAGGEDNESS = 8
# ...and this many of them go on below in lower case.
MIN_CARRIED_LINES = 3
# A paragraph's first line is set in at most this much deeper than its others.
MAX_FIRST_LINE_INDENT = 4
# A line longer than this share of the wall was not wrapped at it.
MAX_WALL_REACH = 1.25
# A line reaching this share of the wrap width, ending mid-sentence, may go on below.
CONTINUATION_REACH = 0.7


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
    line = EDIT_MARKER.sub("", ZERO_WIDTH.sub("", line))
    line = IMAGE_FILE.sub(" ", IMAGE_MARKER.sub(" ", LYNX_NOISE.sub(" ", line)))
    return re.sub(r"\s+", " ", line).strip()


def column_widths(lines: list[str]) -> dict[int, int]:
    """The longest line at each indent, of those that hold one text column: in an
    unwrapped dump, text set in a table cell is wrapped at the cell's width, and each
    cell has its own indent."""
    widths: dict[int, int] = {}
    for line in lines:
        text = line.rstrip()
        body = text.lstrip(" \t")
        if body and "  " not in body:
            indent = len(text) - len(body)
            widths[indent] = max(widths.get(indent, 0), len(text))
    return widths


def read_blocks(
    lines: list[str], width: int, widths: dict[int, int] | None = None
) -> list[Block]:
    """Lines into blocks, a line joining the block above where the renderer wrapped it:
    same text column, and its first word would not have fitted on the line above (the
    page's wrap width, or the width of the text column when `widths` gives it)."""
    walls = local_walls(lines) if widths else [0] * len(lines)
    widths = widths or {}
    blocks: list[Block] = []
    parts: list[list[str]] = []
    previous, column, hang = "", -1, -1
    for row, raw in enumerate(lines):
        line = raw.rstrip()
        if not line.strip():
            previous, column, hang = "", -1, -1
            continue
        # Only spaces indent: an ideographic space opens a Chinese or Japanese paragraph.
        indent = len(line) - len(line.lstrip(" \t"))
        bullet = BULLET.match(line)
        if numeral := NUMERAL.match(line):
            # Renderers right-align item numbers (" 9.", "10."): the column of the
            # number's last digit is the list's indent.
            indent = numeral.end() - 1
        text = clean_line(BULLET.sub("", line))
        wall = widths.get(column, width)
        if previous and walls[row - 1]:
            wall = min(wall, walls[row - 1])
        join = wrap_kind(
            previous,
            line,
            indent,
            Column(column, hang, wall),
            first_line=bool(parts) and len(parts[-1]) == 1,
        )
        if not text:
            # An image or a control between two lines: they are not one paragraph.
            previous, column, hang = "", -1, -1
            continue
        if join and parts:
            parts[-1].append(text)
            if join == "indented first":
                blocks[-1].indent = indent
            elif join == "centred":
                # The paragraph's column is its centre, which its lines and the other
                # centred paragraphs share.
                blocks[-1].indent = (indent + len(line) + 1) // 2
        else:
            counter = LIST_NUMBER.match(line)
            number = int(counter.group(1)) if counter else None
            blocks.append(Block(text, indent, bool(bullet), number=number))
            parts.append([text])
            hang = HANGING_TEXT.match(line).end() if counter else -1
        previous, column = line, (bullet.end() if bullet else indent)
    for block, pieces in zip(blocks, parts, strict=True):
        block.text = join_wrapped(piece for piece in pieces if piece)
    return blocks


class Column(NamedTuple):
    """Where the block above sets its lines."""

    indent: int  # its text column
    hang: int  # right of a list item's number, or -1
    wall: int  # the width it wraps at


def wrap_kind(
    previous: str, line: str, indent: int, above: Column, *, first_line: bool
) -> str:
    """How the line goes on with the block above, or "" where it starts a new one.

    A wrapped line keeps the column of the line above, which reached far (after a
    short one, a word too long for the line, such as a rule of box characters, starts
    a block of its own), and its first word would not have fitted there or it visibly
    goes on with the sentence. A list item's lines may hang under its text, right of
    its number; a paragraph's first line may be set in a little, its next line going
    back to the paragraph's column; lines of centred text share a centre."""
    if not previous:
        return ""
    if indent == above.hang and not LIST_NUMBER.match(line):
        return "hanging"
    if BULLET.match(line) or not (
        overflows(previous, line, above.wall)
        or continues_sentence(previous, line, above.wall)
    ):
        return ""
    if indent == above.indent:
        return "same column"
    if (
        first_line
        and 0 < above.indent - indent <= MAX_FIRST_LINE_INDENT
        and not BULLET.match(previous)
        and not BYLINE.match(line.lstrip())
    ):
        return "indented first"
    return "centred" if centred_alike(previous, line) else ""


def is_prose_line(line: str) -> bool:
    """A line of words set one space apart, as many as a wrapped sentence's line holds,
    and nothing beside it."""
    text = line.strip()
    return len(text.split()) >= PROSE_LINE_WORDS and "  " not in text


def local_walls(lines: list[str]) -> list[int]:
    """For each line, the width its text column wraps at nearby, where lines of prose
    around it at its indent reach one wall and the lines below them go on with their
    sentences (a cell of a page laid out in a table, printed below the cells beside
    it); 0 where none does. A list of like lines, each starting anew, has no wall."""
    lines = [line.rstrip() for line in lines]
    indents = [len(line) - len(line.lstrip(" ")) for line in lines]
    lengths = [len(line) if is_prose_line(line) else 0 for line in lines]
    # The line below goes on with a word in lower case (not a link), at the same indent.
    carried = [
        index + 1 < len(lines)
        and indents[index + 1] == indents[index]
        and CARRIED_WORD.match(below := lines[index + 1].lstrip(" ")) is not None
        and below[0].islower()
        for index in range(len(lines))
    ]
    walls = [0] * len(lines)
    for number, line in enumerate(lines):
        # Only a line with another below it at its indent may be joined to it.
        if not (line and number + 1 < len(lines) and lines[number + 1]):
            continue
        if indents[number + 1] != indents[number]:
            continue
        length = len(line)
        window = range(
            max(0, number - WALL_WINDOW), min(len(lines), number + WALL_WINDOW + 1)
        )
        near = [i for i in window if lengths[i] and indents[i] == indents[number]]
        # The longest length that enough lines reach, give or take the raggedness
        # of wrapped text; a line much longer (a footer) is not wrapped at it.
        for wall in sorted({lengths[i] for i in near}, reverse=True):
            if wall < length:
                break
            reaching = [i for i in near if wall - WALL_RAGGEDNESS <= lengths[i] <= wall]
            if len(reaching) >= MIN_WALL_LINES:
                if sum(carried[i] for i in reaching) >= MIN_CARRIED_LINES:
                    walls[number] = wall
                break
    return walls


def centred_alike(previous: str, line: str) -> bool:
    """Two indented lines set about one centre: text the renderer centred, each line of
    a paragraph indented by its own margin."""
    above = len(previous) - len(previous.lstrip(" "))
    below = len(line) - len(line.lstrip(" "))
    # A centred line's margins differ by at most one column, so twice its centre is
    # the same for every line, give or take one.
    return (
        above > 0
        and below > 0
        and abs((above + len(previous)) - (below + len(line))) <= 1
        and starts_like_text(previous)
        and starts_like_text(line)
    )


def starts_like_text(line: str) -> bool:
    """Not a menu item, a rule or a marker: a word or a quotation."""
    first = line.lstrip(" ")[:1]
    return first.isalnum() or first in "\"'“‘„«¿¡("


def continues_sentence(previous: str, line: str, width: int) -> bool:
    """A sentence broken short of the wall (renderers keep words joined by a
    non-breaking space together, then print the space as a plain one): the line above
    reaches most of the way, ends mid-sentence, and this one goes on in lower case.
    Not after a line giving the time: a comment's header, its text below."""
    ending = previous.rstrip()[-1:]
    return (
        len(previous) >= CONTINUATION_REACH * width
        and not CLOCK_TIME.search(previous)
        and (ending.isalnum() or ending == ",")
        and line.lstrip()[:1].islower()
    )


def overflows(previous: str, line: str, wall: int) -> bool:
    """The line above reached at least half the wall and not far past it (a wrapped
    dump's wall is measured short of its longest lines; a paragraph joined already is
    longer), and this line's first word would not have fitted on it: the renderer
    wrapped there. Unless the line above ends a sentence and this one gives the time: a
    comment's signature below its text."""
    return (
        MAX_WALL_REACH * wall >= len(previous) >= wall / 2
        and len(previous) + 1 + first_word_length(line) > wall
        and not (SENTENCE_CLOSE.search(previous) and CLOCK_TIME.search(line))
    )


def first_word_length(line: str) -> int:
    """What a renderer must fit on a line to go on with this one: its first word, or
    its first character in a script written without spaces, which wraps anywhere."""
    word = line.split()[0]
    return 1 if UNSPACED.match(word) else len(word)


def join_wrapped(pieces: Iterable[str]) -> str:
    """Lines a renderer wrapped, joined again: with a space, except between two
    characters of a script written without spaces (a Chinese or Japanese sentence
    wrapped mid-word must not gain one)."""
    text = ""
    for piece in pieces:
        if text and not (UNSPACED.match(text[-1]) and UNSPACED.match(piece[0])):
            text += " "
        text += piece
    return text


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
        # A word printed many times (a marker, a name, a menu) must not pick the
        # language on its own.
        for number in holders.get(word, ()):
            hits[number] += min(count, MAX_WORD_VOTES)
    return lists[max(range(len(lists)), key=hits.__getitem__)]


class Wording(NamedTuple):
    size: float  # length in characters, a Han or kana character weighing more
    words: int
    stop_density: float  # the share of function words, numbers left out


def text_size(text: str) -> int:
    """Its length less the runs of symbols (rules drawn in box characters, rows of
    dashes), which are not text."""
    return len(DECORATION.sub("", text))


def wording(text: str, stoplist: frozenset[str]) -> Wording:
    words = re.findall(r"\w+", text.lower())
    # Numbers (scores, prices, dates) are neither function words nor content words.
    wordy = [word for word in words if not word.isdigit()] or words
    stop_density = (
        sum(word in stoplist for word in wordy) / len(wordy)
        if stoplist and words
        else 0.3
    )
    size, count = text_size(text), len(words)
    if IDEOGRAPHIC.search(text) and (ideographic := len(IDEOGRAPHIC.findall(text))):
        # Chinese and Japanese write no spaces and carry a word in two or three
        # characters, and no stop list holds them.
        size += (CJK_WEIGHT - 1) * ideographic
        count += ideographic // 2
        if ideographic >= 0.5 * len(text):
            stop_density = 0.3
    return Wording(size, count, stop_density)
