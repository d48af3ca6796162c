"""Each block scored as prose or boilerplate, and the shapes of boilerplate marked:
repeated prose, the article printed again in one block, glued teasers, teaser lists,
comment threads (dated headers or signatures), listings of dated headlines, consent
notices, photo credits; and counted lists, which are content however short their
items."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from itertools import accumulate

from annotate.ingest.captions import CREDIT_SUFFIX, PHOTO_CREDIT
from annotate.ingest.pagedump.blocks import CLOCK_TIME, Block, text_size, wording

# Consent and cookie notices: the word is the same in most languages.
CONSENT = re.compile(r"\bcookies?\b|\bcookie-|\bGDPR\b|\bDSGVO\b", re.I)
SENTENCE_END = re.compile(r"[.!?…»\"”’')\]:;。！？」』]$")
SHORT_SENTENCE_END = re.compile(r"[.!?…»\"”’。！？」』]$")
# A paragraph may close on a sign-off after its last sentence: an agency or a site name.
# (Not after an ellipsis: "… Read more" closes a cut teaser.)
SIGN_OFF = re.compile(r"(?<![.…])[.!?][\"”»]?\s+[\w.&-]{2,20}$")
URL = re.compile(r"https?://\S+|\bt\.me/\S+|www\.\S+")
MIN_HEADLINE_CHARS, MAX_HEADLINE_CHARS = 15, 160
# Where a headline runs into the text after it: a capitalised word's lower-case letters
# or a closing mark, then a capitalised word, with no space between.
GLUE = re.compile(r"(?:(?<=[A-Z])[a-z]{3,}|[’'\")?!])(?=[A-Z][a-z])")
DATE_HINT = re.compile(
    r"\b(?:\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}-\d{2}-\d{2}|(?:\d{1,2}\s+)?[A-Za-zÀ-ÿ]{3,9}\.?\s+\d{1,2},?\s+\d{4}|\d{1,2}\s+[A-Za-zÀ-ÿ]{3,9}\.?\s+\d{4})\b"
)
MIN_PROSE_CHARS = 70
# A line shorter than prose but shaped like a sentence has at least this many words.
MIN_SENTENCE_WORDS = 5
LONG_PROSE_CHARS = 200
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
# A block of at least this many 4-word shingles, this share of them found in other
# blocks, is a reprint of them.
MIN_REPRINT_SHINGLES = 50
REPRINT_SHARE = 0.8
# Reader comments: at least this many dated headers or signatures (at most this long),
# each within this many blocks of the last.
MIN_COMMENTS = 3
MAX_SIGNATURE_CHARS = 60
COMMENT_SPACING = 20
# A block with at least this many dates, one every this many characters, lists items.
MIN_DATES = 3
MAX_CHARS_PER_DATE = 120
NUMBER = re.compile(r"\d+")


def score_blocks(
    blocks: list[Block], stoplist: frozenset[str], *, unwrapped: bool
) -> None:
    """Score every block as prose or boilerplate, then mark the shapes of boilerplate."""
    for block in blocks:
        block.prose, block.score = prose_score(block, stoplist, unwrapped=unwrapped)
        block.sentence = not block.prose and sentence_shaped(block, stoplist)
    mark_credited_captions(blocks)
    mark_consent_notices(blocks)
    mark_repeated_prose(blocks)
    mark_reprints(blocks)
    mark_glued_teasers(blocks)
    mark_comment_threads(blocks)
    mark_dated_listings(blocks)
    mark_counted_lists(blocks)
    discount_isolated_prose(blocks)


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
    return max(25.0, 0.5 * text_size(block.text))


def gap_cost(block: Block) -> float:
    """What a non-article block costs a run that spans it. Repeated prose costs less:
    it is often the article's own lead or photo caption printed again elsewhere."""
    if block.in_list:
        return 0.0
    if block.repeated:
        return max(25.0, REPEAT_COST * text_size(block.text))
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
        if block.prose or text_size(block.text) >= MIN_PROSE_CHARS:
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


def mark_reprints(blocks: list[Block]) -> None:
    """A long block whose words stand, nearly all, in two or more shorter blocks is the
    article printed again in one piece (a summary box, a print version, its text in the
    page's metadata): boilerplate, however much prose it holds."""
    shingles = [block_shingles(block.text) for block in blocks]
    holders: dict[tuple[str, ...], list[int]] = {}
    for index, own in enumerate(shingles):
        for shingle in own:
            holders.setdefault(shingle, []).append(index)
    # For each shingle, the fewest shingles of its holders so far, negated: the first
    # holder shorter than a block is found by bisection, not by walking the holders
    # (a page of one line repeated has thousands of holders for each shingle).
    smallest = {
        shingle: [-size for size in accumulate((len(shingles[i]) for i in held), min)]
        for shingle, held in holders.items()
    }
    for index, own in enumerate(shingles):
        if len(own) < MIN_REPRINT_SHINGLES:
            continue
        covered, sources = 0, set()
        for shingle in own:
            first = bisect_right(smallest[shingle], -len(own))
            if first < len(holders[shingle]):
                covered += 1
                sources.add(holders[shingle][first])
        if covered >= REPRINT_SHARE * len(own) and len(sources) >= 2:
            block = blocks[index]
            block.prose, block.repeated, block.echo = False, True, False
            block.score = -gap_cost(block)


def block_shingles(text: str) -> set[tuple[str, ...]]:
    words = text.split()
    return {tuple(words[i : i + 4]) for i in range(len(words) - 3)}


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
    """Reader comments: a series of dated headers at one indent, each followed by prose,
    or of signatures ("Jean, Hague, Netherlands"), each below a comment's prose. Their
    prose is not the article's, however much of it there is."""
    stamps = [
        index
        for index, block in enumerate(blocks)
        if is_stamp(block)
        and any(other.prose for other in blocks[index + 1 : index + 3])
    ]
    for series in comment_series(blocks, stamps):
        unmark_thread(blocks, series[0], series[-1])
    signatures = [
        index
        for index, block in enumerate(blocks)
        if index and is_signature(block) and blocks[index - 1].prose
    ]
    for series in comment_series(blocks, signatures):
        unmark_thread(blocks, series[0] - 1, series[-1])


def is_signature(block: Block) -> bool:
    """A reader's name and place, as a comment is signed: a short line of a few words
    set apart by commas (after a dash, at times), not a sentence, a label or a line of
    figures."""
    parts = [part.split() for part in block.text.split(",")]
    return (
        not block.prose
        and len(block.text) <= MAX_SIGNATURE_CHARS
        and not any(char.isdigit() or char == ":" for char in block.text)
        and len(parts) >= 2
        and all(len(words) <= 4 for words in parts[:-1])
        and not SENTENCE_END.search(block.text)
    )


def comment_series(blocks: list[Block], headers: list[int]) -> list[list[int]]:
    """Runs of at least MIN_COMMENTS headers at one indent, each near the last."""
    found: list[list[int]] = []
    series: list[int] = []
    for index in [*headers, -1]:
        if (
            series
            and index >= 0
            and blocks[index].indent == blocks[series[-1]].indent
            and index - series[-1] <= COMMENT_SPACING
        ):
            series.append(index)
            continue
        if len(series) >= MIN_COMMENTS:
            found.append(series)
        series = [index]
    return found


def unmark_thread(blocks: list[Block], start: int, last_header: int) -> None:
    """The prose from `start` to the prose that follows the last header is not the
    article's."""
    end = last_header + 1
    while end < len(blocks) and (blocks[end].prose or end - last_header <= 2):
        end += 1
    for block in blocks[start:end]:
        if block.prose:
            block.prose, block.score = False, -boilerplate_cost(block)


def mark_dated_listings(blocks: list[Block]) -> None:
    """A narrow column of dated headlines, its lines joined into one long block, reads
    as prose; a date every few words shows it for a listing."""
    for block in blocks:
        if not block.prose:
            continue
        # Each date holds a number: most blocks are passed over on a cheap count.
        needed = max(MIN_DATES, len(block.text) / MAX_CHARS_PER_DATE)
        if len(NUMBER.findall(block.text)) < needed:
            continue
        dates = len(DATE_HINT.findall(block.text))
        if dates >= MIN_DATES and len(block.text) <= MAX_CHARS_PER_DATE * dates:
            block.prose, block.score = False, -boilerplate_cost(block)


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
            # Numbered headers with a date are a thread of comments, not a ranking.
            if not (item.prose or item.repeated or is_stamp(item)):
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
