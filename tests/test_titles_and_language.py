"""What every article gets at import when its file does not say: a title (its first
sentence, never a photo caption, which goes to meta["captions"]) and a language (an ISO
639-1 code detected from the text). A full restore gives documents back as they were."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command

from annotate.ingest.captions import is_caption
from annotate.ingest.readers import read_paths
from annotate.ingest.readers.language import detect_language
from annotate.ingest.readers.titles import TITLE_MAX_CHARS, title_from_text
from annotate.ingest.records import DocumentRecord
from annotate.models import Document
from tests.conftest import make_document

CAPTION = (
    "Protesters gather outside the National Assembly in Bamako on Monday. "
    "(Photo: Reuters/Amadou Keita)"
)
FIRST_SENTENCE = (
    "Mali's transitional government said on Monday that the presidential election "
    "planned for February would be postponed, citing technical reasons linked to a new "
    "constitution and a dispute with a French company over the census database."
)
PARAGRAPHS = [
    "The announcement drew criticism from the regional bloc ECOWAS, which had pressed "
    "the military authorities to hand power back to civilians by March. Officials in "
    "Bamako said a new date would be set after consultations with the electoral body.",
    "Opposition parties called the delay a breach of the transition charter and urged "
    "their supporters to gather peacefully in the capital on Friday. Security forces "
    "were deployed around the main squares of the city on Monday evening.",
    "Analysts said the postponement was expected after months of uncertainty, as the "
    "government turned towards Russia for security cooperation and away from France.",
]
CAPTION_FIRST = "\n\n".join([CAPTION, FIRST_SENTENCE, *PARAGRAPHS]) + "\n"
TRIMMED_TITLE = (
    "Mali's transitional government said on Monday that the presidential election "
    "planned for February would be postponed…"
)


def records(*paths: Path, format: str = "auto") -> list[DocumentRecord]:
    return [
        r for r in read_paths(paths, format=format) if isinstance(r, DocumentRecord)
    ]


def write_jsonl(path: Path, *items: dict) -> Path:
    path.write_text("".join(json.dumps(item) + "\n" for item in items))
    return path


# -- titles -------------------------------------------------------------------------


def test_a_seed_article_opening_on_a_photo_caption_gets_its_first_sentence(
    shared_data,
):
    (record,) = records(shared_data / "seeds" / "003_bf796b53a05761a0.txt")
    assert record.title == (
        "Russia is stepping up its policy in West Africa, where Foreign Minister "
        "Sergey Lavrov has made a trip."
    )
    assert record.meta["captions"] == [
        "Russian Foreign Minister Sergei Lavrov in Bamako (AFP)."
    ]
    assert record.language == "en"


def test_a_seed_article_keeps_its_own_headline(shared_data):
    (record,) = records(shared_data / "seeds" / "000_60c56a25115bd218.txt")
    assert record.title == "Lavrov kicks off diplomatic tour across African continent"


def test_a_page_dump_opening_on_a_caption_keeps_it_out_of_text_and_title(tmp_path):
    path = tmp_path / "mali.txt"
    path.write_text(CAPTION_FIRST)
    (record,) = records(path, format="pagedump")
    assert record.title == TRIMMED_TITLE
    assert len(record.title) <= TITLE_MAX_CHARS
    assert record.meta["captions"] == [CAPTION]
    assert record.text.startswith(FIRST_SENTENCE)


def test_a_plain_text_opening_on_a_caption_keeps_its_text_as_given(tmp_path):
    path = tmp_path / "mali.txt"
    path.write_text(CAPTION_FIRST)
    (record,) = records(path, format="txt")
    assert record.title == TRIMMED_TITLE
    assert record.meta["captions"] == [CAPTION]
    assert record.text == CAPTION_FIRST.rstrip()


def test_a_record_without_a_title_gets_its_first_sentence_and_one_with_keeps_it(
    tmp_path,
):
    path = write_jsonl(
        tmp_path / "a.jsonl",
        {"text": "Dr. Goita met the U.S. envoy in Bamako. Talks went on late."},
        {"title": "Talks in Bamako", "text": "Goita met the envoy. Talks went on."},
    )
    untitled, titled = records(path)
    assert untitled.title == "Dr. Goita met the U.S. envoy in Bamako."
    assert titled.title == "Talks in Bamako"
    assert "captions" not in untitled.meta


@pytest.mark.parametrize(
    "text, title",
    [
        ("A short headline\n\nThe body follows.", "A short headline"),
        ("Что происходит в Бамако? Ничего.", "Что происходит в Бамако?"),
        ("Prices rose by 1.5. Then they fell.", "Prices rose by 1.5."),
        ('He said: "We will go." Then they went.', 'He said: "We will go."'),
        ("word " * 60, "word " * 23 + "word…"),
        ("x" * 300, "x" * (TITLE_MAX_CHARS - 1) + "…"),
        ("Image: AFP/Getty\nLavrov spoke in Moscow.", "Lavrov spoke in Moscow."),
        ("Image: AFP/Getty", "Image: AFP/Getty"),  # nothing else to take
    ],
)
def test_the_title_is_the_first_sentence_cut_at_a_word(text, title):
    assert title_from_text(text)[0] == title


@pytest.mark.parametrize(
    "line",
    [
        CAPTION,
        "Russian Foreign Minister Sergei Lavrov in Bamako (AFP).",
        "Image: AFP/Getty",
        "Photo: Jane Doe/Reuters",
        "FILE PHOTO: Sergei Lavrov attends a news conference in Moscow. REUTERS/Evgenia Novozhenina",
        "Sergey Lavrov speaks to reporters in Moscow. AFP/Getty",
        "Lavrov and Goita in Bamako (Photo by Jane Doe/AP)",
        "Goita greets Lavrov at the airport in Bamako via Getty Images",
        "Jane Doe/Agency/Getty Images",
    ],
)
def test_these_lines_read_as_captions(line):
    assert is_caption(line)


@pytest.mark.parametrize(
    "line",
    [
        "Lavrov kicks off diplomatic tour across African continent",
        "Lavrov meets Goita in Bamako - Reuters",
        FIRST_SENTENCE,
        "SOCCER - JAPAN GET LUCKY WIN , CHINA IN SURPRISE DEFEAT .",
        "AL-AIN , United Arab Emirates 1996-12-06",
        "Scorers : Japan - Kazuyoshi Miura ( 23rd ) .",
    ],
)
def test_these_lines_do_not(line):
    assert not is_caption(line)


# -- language -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, language",
    [
        (FIRST_SENTENCE, "en"),
        (
            "Сергей Лавров прибыл в Бамако в понедельник для переговоров с властями.",
            "ru",
        ),
        ("O ministro russo Sergei Lavrov chegou a Bamako nesta segunda-feira.", "pt"),
        ("Le ministre russe des Affaires étrangères est arrivé lundi à Bamako.", "fr"),
        ("MELBOURNE 1996-12-06", ""),  # too little text to tell
        ("W L T PF PA", ""),
    ],
)
def test_the_language_is_detected_as_an_iso_639_1_code(text, language):
    assert detect_language(text) == language


def test_records_without_a_language_get_one_and_those_with_one_keep_it(tmp_path):
    path = write_jsonl(
        tmp_path / "a.jsonl",
        {"text": FIRST_SENTENCE},
        {"text": PARAGRAPHS[0], "language": "pt"},
        {"text": "Сергей Лавров прибыл в Бамако в понедельник для переговоров."},
    )
    assert [record.language for record in records(path)] == ["en", "pt", "ru"]


def test_the_import_command_stores_the_title_and_language(shared_data, db):
    call_command(
        "import_documents",
        str(shared_data / "seeds" / "003_bf796b53a05761a0.txt"),
        project="news",
        verbosity=0,
    )
    document = Document.objects.get()
    assert document.title.startswith("Russia is stepping up its policy")
    assert document.language == "en"
    assert document.meta["captions"] == [
        "Russian Foreign Minister Sergei Lavrov in Bamako (AFP)."
    ]


def test_a_full_restore_gives_documents_back_untitled_as_they_were(project, tmp_path):
    make_document(project, title="", language="", text=FIRST_SENTENCE)
    path = tmp_path / "full.jsonl"
    call_command(
        "export_annotations", "--project", project.slug, "--format", "full",
        "-o", str(path), verbosity=0,
    )  # fmt: skip
    call_command(
        "import_documents", str(path), project="restored", format="full", verbosity=0
    )
    restored = Document.objects.get(project__slug="restored")
    assert (restored.title, restored.language) == ("", "")
