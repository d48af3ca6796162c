"""Every main screen of the app, filled with enough work to show each of its parts,
for the tests that look at all of them (widths, accessibility, CSP): the world they
share, the pages as (who, path), and the listeners that catch CSP violations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.urls import reverse

from annotate.models import (
    Assignment,
    Document,
    Entity,
    ExportRun,
    ImportRun,
    Label,
    Membership,
    Project,
    Rating,
    Source,
    Span,
    Stance,
    StanceTarget,
)
from tests.annotated_world import annotate_project
from tests.conftest import make_document, member

ARTICLE_TITLE = (
    "Lavrov's first visit to Mali: Russia steps up its policy in West Africa"
)
# Written for these tests. A long link and a long word test that nothing unbreakable
# pushes the page wider than a phone.
ARTICLE = (
    "Russia is stepping up its policy in West Africa, where Foreign Minister Sergey Lavrov "
    "has made a trip to Bamako. Reuters reported that it is the first visit of a Russian "
    "foreign minister to Mali, a step observers read as a larger Russian presence on the "
    "continent while French influence wanes.\n\n"
    "Lavrov met Assimi Goïta, the head of the transitional government, and a number of "
    "prominent figures of Mali. According to AFP, the visit coincided with the decision of "
    "the military council to expel the head of the UN human rights mission.\n\n"
    "“Russia seeks to establish itself as a main figure in the equation of influence,” "
    "said a political scientist in Bamako. The statement is at "
    "https://example.org/news/2026/12/04/lavrov-mali-visit-statement-full-text-and-annexes"
    "-in-english-and-french and in the Bamako daily "
    "Lesechosdumalietlesnouvellesdusahelquotidiennes.\n\n"
    "Lavrov has already visited Eritrea, Angola, Eswatini, South Africa and Botswana; after "
    "Bamako he goes on to Mauritania. In the first tour he went to Egypt, Ethiopia, Uganda "
    "and the Congo."
)
GUIDELINES = (
    "# Entities\n\nLabel **people** (PERSON), **organisations** (ORG) and **places** "
    "(GPE for countries and cities, LOC for other places).\n\n"
    "# Stance\n\nThe stance is the article's, not a quoted speaker's."
)


# Every main screen, by the name build_world gives it.
SCREEN_NAMES = (
    "login",
    "projects",
    "documents",
    "document",
    "annotate",
    "review-queue",
    "review",
    "statistics",
    "sources",
    "source",
    "exports",
    "export-run",
    "imports",
    "import-run",
    "manage",
)


@dataclass(frozen=True)
class Screen:
    """A page as one user sees it: `who` logs in (None: nobody) and opens `path`."""

    name: str
    who: str | None
    path: str


@dataclass(frozen=True)
class World:
    project: Project
    article: Assignment  # the annotator's open work on ARTICLE
    screens: list[Screen]

    def screen(self, name: str) -> Screen:
        return next(screen for screen in self.screens if screen.name == name)


def label(project: Project, kind: str, name: str) -> Label:
    return Label.objects.get(project=project, kind=kind, name=name)


def build_world(project: Project) -> World:
    """Three annotators' submitted work (tests/annotated_world.py) for the review
    screens; an annotator "ann" half-way through ARTICLE, with spans, a linked
    entity, suggestions, a stance and ratings; a reviewer "rev", a manager "man",
    an import and an export run."""
    annotate_project(project)
    project.guidelines = GUIDELINES
    project.save(update_fields=["guidelines"])
    StanceTarget.objects.create(
        project=project,
        name="French military presence in Africa",
        description="Troops, bases and operations of France in the Sahel.",
    )
    annotator = member(project, "ann", Membership.Role.ANNOTATOR)
    member(project, "rev", Membership.Role.REVIEWER)
    manager = member(project, "man", Membership.Role.MANAGER)
    document = make_document(
        project,
        text=ARTICLE,
        title=ARTICLE_TITLE,
        publisher=Source.objects.get(name="Maliweb"),
        byline="Staff correspondent in Bamako",
        published_at=datetime(2026, 12, 3, 9, 30, tzinfo=UTC),
    )
    article = Assignment.objects.create(document=document, annotator=annotator)
    lavrov = Entity.objects.get(project=project, name="Sergey Lavrov")
    for text, name, entity in (
        ("Sergey Lavrov", "PERSON", lavrov),
        ("Russia", "GPE", None),
        ("Foreign Minister Sergey Lavrov", "MISC", None),
        ("Reuters", "ORG", None),
        ("Eritrea", "GPE", None),
    ):
        start = ARTICLE.index(text)
        Span.objects.create(
            assignment=article,
            start=start,
            end=start + len(text),
            text=text,
            label=label(project, Label.Kind.ENTITY, name),
            entity=entity,
        )
    Stance.objects.create(
        assignment=article,
        target=StanceTarget.objects.get(project=project, name="Russia"),
        label=label(project, Label.Kind.STANCE, "favor"),
        evidence_start=0,
        evidence_end=48,
        evidence_text=ARTICLE[:48],
        note="The article repeats the ministry's framing.",
    )
    Rating.objects.create(
        assignment=article,
        source=Source.objects.get(name="Maliweb"),
        role=Rating.Role.PUBLISHER,
        label=label(project, Label.Kind.RELIABILITY, "high"),
        rationale="names its sources",
    )
    finished = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    imported = ImportRun.objects.create(
        project=project,
        user=manager,
        status=ImportRun.Status.DONE,
        format="jsonl",
        files=["articles-2026-12-with-a-rather-long-file-name-from-the-scraper.jsonl"],
        read=12,
        imported=9,
        duplicates=1,
        rejected=2,
        rejections=[
            {"origin": "articles.jsonl:4", "reason": "the text is empty"},
            {
                "origin": "articles.jsonl:11",
                "reason": "a span's end (4812) lies past the end of the text (4790)",
            },
        ],
        finished_at=finished,
    )
    exported = ExportRun.objects.create(
        project=project,
        user=manager,
        status=ExportRun.Status.FAILED,
        format="bio",
        error="The disk was full.",
        finished_at=finished,
    )
    reverse_in = lambda name, *args: reverse(f"annotate:{name}", args=args)  # noqa: E731
    slug = project.slug
    lavrov_doc = Document.objects.get(project=project, title="Lavrov")
    screens = [
        Screen("login", None, reverse("login")),
        Screen("projects", "man", reverse_in("project-list")),
        Screen("documents", "man", reverse_in("document-list", slug)),
        Screen("document", "man", reverse_in("document-detail", slug, document.pk)),
        Screen("annotate", "ann", reverse_in("annotate", slug, article.pk)),
        Screen("review-queue", "rev", reverse_in("review-queue", slug)),
        Screen("review", "rev", reverse_in("adjudicate", slug, lavrov_doc.pk)),
        Screen("statistics", "rev", reverse_in("project-stats", slug)),
        Screen("sources", "rev", reverse_in("source-list")),
        Screen(
            "source",
            "rev",
            reverse_in("source-detail", Source.objects.get(name="Maliweb").pk),
        ),
        Screen("exports", "rev", reverse_in("export", slug)),
        Screen("export-run", "rev", reverse_in("export-run", slug, exported.pk)),
        Screen("imports", "man", reverse_in("import", slug)),
        Screen("import-run", "man", reverse_in("import-run", slug, imported.pk)),
        Screen("manage", "man", reverse_in("manage", slug)),
    ]
    assert tuple(screen.name for screen in screens) == SCREEN_NAMES
    return World(project, article, screens)


def open_screen(page, live_server, log_in, screen: Screen) -> None:
    """Log in as the screen's user, and only them (the cookies of a screen opened
    before go), and open it, scripts run: goto returns at the load event, when every
    script and style has run (no screen fetches anything on load; waiting for the
    network to idle cost half a second a screen)."""
    page.context.clear_cookies()
    if screen.who:
        log_in(page, screen.who)
    page.goto(live_server.url + screen.path)


def watch_csp(page) -> list[str]:
    """What the page reports as broken, from now on: CSP violations (the event the
    browser fires in the page, and the console line it logs), console errors and
    uncaught exceptions. The list fills as the page runs."""
    problems: list[str] = []
    page.add_init_script(
        """document.addEventListener("securitypolicyviolation", (event) => {
            console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`
                + ` at ${event.sourceFile}:${event.lineNumber}`);
        });"""
    )
    page.on(
        "console",
        lambda message: (
            problems.append(message.text) if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    return problems
