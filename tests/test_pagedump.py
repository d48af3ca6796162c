"""The page-dump cleaner on both rendering styles, other languages, and bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from annotate.ingest.pagedump import clean_page_dump
from bench.extract import overlap, scores
from tests.conftest import SHARED_DATA

BENCH = SHARED_DATA / "article-extraction-benchmark"
MENU = "\n".join(
    f"  • {item}"
    for item in [
        "Home",
        "World",
        "Politics",
        "Business",
        "Sport",
        "Culture",
        "Contact us",
    ]
)
BODY = [
    "The minister arrived in the capital on Monday for talks on security cooperation, officials said.",
    "Both governments agreed to meet again next month, according to a statement released after the meeting.",
    "Observers noted that the visit was the first of its kind in more than a decade of strained relations.",
]


def benchmark_f1(style: str, page_id: str) -> float:
    if not BENCH.is_dir():
        pytest.skip("the shared benchmark data is missing")
    truth = json.loads((BENCH / "ground-truth.json").read_text(encoding="utf-8"))[
        page_id
    ]["articleBody"]
    dump = (BENCH / "page-text-dumps" / style / f"{page_id}.txt").read_text(
        encoding="utf-8"
    )
    return scores(overlap(truth, clean_page_dump(dump).text))[2]


def test_it_keeps_the_body_and_drops_the_menu_of_an_unwrapped_dump():
    dump = (
        f"Daily Planet\n{MENU}\n\nMinister visits capital\n\n"
        + "\n\n".join(BODY)
        + f"\n\nMost Read\n{MENU}\nDaily Planet\n"
    )
    page = clean_page_dump(dump)
    assert page.text == "\n\n".join(BODY)
    assert page.title == "Minister visits capital"
    assert page.publisher == "Daily Planet"
    assert page.style == "unwrapped"


def test_it_rejoins_hard_wrapped_paragraphs():
    wrapped = []
    for paragraph in BODY:
        words, line = paragraph.split(), ""
        for word in words:
            if len(line) + len(word) > 40:
                wrapped.append("   " + line.rstrip())
                line = ""
            line += word + " "
        wrapped += ["   " + line.rstrip(), ""]
    menu = "\n".join(
        f"     * {item}" for item in ["Home", "World", "Politics", "Business"]
    )
    page = clean_page_dump(
        f"{menu}\n\n   [logo.png]\n\n" + "\n".join(wrapped) + f"\n{menu}\n"
    )
    assert page.style == "wrapped"
    assert page.text == "\n\n".join(BODY)


def test_it_scores_well_on_a_w3m_dump():
    assert (
        benchmark_f1(
            "w3m", "04a6711caa7c687592777718866e781e976e0fe684faebe8b3cedcef8cd0ea34"
        )
        > 0.9
    )


def test_it_scores_well_on_a_lynx_dump():
    assert (
        benchmark_f1(
            "lynx", "04a6711caa7c687592777718866e781e976e0fe684faebe8b3cedcef8cd0ea34"
        )
        > 0.85
    )


def test_it_finds_the_article_of_a_russian_page():
    # The function-word lists are chosen per page, so Cyrillic prose scores as prose.
    russian = [
        "Министр прибыл в столицу в понедельник для переговоров о сотрудничестве в сфере безопасности, сообщили чиновники.",
        "Обе стороны договорились встретиться снова в следующем месяце, говорится в заявлении после встречи.",
    ]
    dump = (
        f"{MENU}\n\nМинистр прибыл в столицу\n\n"
        + "\n\n".join(russian)
        + f"\n\n{MENU}\n"
    )
    assert clean_page_dump(dump).text == "\n\n".join(russian)


def test_it_reads_the_seed_page_metadata():
    seed = SHARED_DATA / "seeds" / "000_60c56a25115bd218.txt"
    if not seed.exists():
        pytest.skip("the seed pages are missing")
    page = clean_page_dump(seed.read_text(encoding="utf-8"))
    assert page.title == "Lavrov kicks off diplomatic tour across African continent"
    assert (page.byline, page.source_credit, page.publisher) == (
        "Al Mayadeen English",
        "Politico",
        "Al Mayadeen English",
    )
    assert page.published_at == datetime(2024, 6, 4, 17, 13, tzinfo=UTC)
    assert page.tags[:2] == ["Diplomatic relations", "Sergey Lavrov"]
    assert "Is Senegal on the path of cutting ties with the West?" in page.text
    assert "Related News" not in page.text
    assert "Brazil, Nicaragua expel" not in page.text


def test_it_keeps_the_caption_of_a_plain_article_out_of_its_text():
    seed = SHARED_DATA / "seeds" / "003_bf796b53a05761a0.txt"
    if not seed.exists():
        pytest.skip("the seed pages are missing")
    page = clean_page_dump(seed.read_text(encoding="utf-8"))
    assert page.captions == ["Russian Foreign Minister Sergei Lavrov in Bamako (AFP)."]
    assert page.text.startswith("Russia is stepping up its policy in West Africa")
    assert "t.me" not in page.text


@pytest.mark.parametrize("dump", ["", "   \n\n  ", MENU, "\x00\x01\x02 ☃ 🇲🇱\n" * 3])
def test_it_returns_an_empty_text_with_a_reason_for_a_page_without_prose(dump):
    page = clean_page_dump(dump)
    assert page.text == ""
    assert page.warnings


def test_it_cleans_a_five_megabyte_dump():
    dump = (MENU + "\n\n" + "\n\n".join(BODY) + "\n\n") * 9000
    page = clean_page_dump(dump[:5_000_000])
    assert BODY[0] in page.text
