"""A team runs a whole project in the browser, from an empty installation holding only a
superuser, without the Django admin or a shell (issue #18's "Done when").

Everyone acts through the pages in their own browser context: the superuser makes a
project from the news template and invites a manager, two annotators and a reviewer,
who each accept their invitation and set a password; the manager uploads the seed
articles; both annotators label the same article; the reviewer rejects one version with
a comment; that annotator presses next, gets it back with the comment, fixes it and
submits again; the reviewer accepts it and builds gold; the manager downloads the gold
spans. The database is only read, to check what was stored."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from annotate.models import Assignment, Document, Project, Rating, Stance
from tests.conftest import SEEDS, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PEOPLE = {
    "mona": "manager",
    "amina": "annotator",
    "bakary": "annotator",
    "rhea": "reviewer",
}
COMMENT = "Label Mali as a place too, please."


class Team:
    """One browser context per person, logged in through the real pages."""

    def __init__(self, browser, live_server) -> None:
        self.browser, self.url = browser, live_server.url
        self.pages: dict[str, object] = {}

    def open(self, name: str):
        context = self.browser.new_context(viewport={"width": 1400, "height": 900})
        self.pages[name] = context.new_page()
        return self.pages[name]

    def close(self) -> None:
        for page in self.pages.values():
            page.context.close()


@pytest.fixture
def team(browser, live_server):
    team = Team(browser, live_server)
    yield team
    team.close()


def log_in_by_form(page, url: str, username: str, password: str) -> None:
    page.goto(f"{url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")


def select_text(page, text: str, fragment: str) -> None:
    """Select the first `fragment` of the article `text` as the screen's own selection
    helper does (code-point offsets; the label tags drawn in the text are not text)."""
    start = text.index(fragment)
    # The screen's script runs after the text is drawn: a loaded machine shows the gap.
    page.wait_for_function("() => Boolean(window.newsapp)")
    page.evaluate(f"window.newsapp.selectCodePoints({start}, {start + len(fragment)})")


def label(page, text: str, fragment: str, key: str, rows: int) -> None:
    select_text(page, text, fragment)
    page.keyboard.press(key)
    expect(page.locator("#span-list .span-row")).to_have_count(rows)


def submit(page) -> None:
    """Shift+Enter submits and takes the next document: wait until it has left."""
    here = page.url
    page.keyboard.press("Shift+Enter")
    page.wait_for_url(lambda url: url != here)


def source_row(page, name: str):
    return page.locator(
        "#source-panel .choice-row", has=page.locator(".row-name", has_text=name)
    )


def test_a_team_runs_a_project_in_the_browser_without_the_admin(team, live_server):
    url = live_server.url
    make_user("root", password="root-pass-2026", is_superuser=True, is_staff=True)

    # The superuser makes the project from the news template and invites everyone.
    root = team.open("root")
    log_in_by_form(root, url, "root", "root-pass-2026")
    root.click("text=New project")
    root.fill("#id_name", "Sahel desk")
    root.select_option("#id_start_from", "news")
    root.click("button:has-text('Make the project')")
    root.wait_for_selector("#label-editor")
    project = Project.objects.get(name="Sahel desk")
    links: dict[str, str] = {}
    for name, role in PEOPLE.items():
        root.fill("#id_who", name)
        root.select_option("#id_role", role)
        root.click("button:has-text('Make an invitation link')")
        # The page comes back with the new link (and no longer the one before).
        for shown in links.values():
            expect(root.locator("#invitation-link")).not_to_have_value(shown)
        links[name] = root.input_value("#invitation-link")
    assert len(set(links.values())) == len(PEOPLE)

    # Each accepts in their own browser and sets a password.
    for name, role in PEOPLE.items():
        page = team.open(name)
        page.goto(links[name])
        expect(page.locator("#id_username")).to_have_value(name)
        page.fill("#id_password1", f"{name}-orchard-47")
        page.fill("#id_password2", f"{name}-orchard-47")
        page.click("button:has-text('Make my account and join')")
        page.wait_for_url(f"{url}/p/{project.slug}/")
        expect(page.locator(".role")).to_have_text(f"your role: {role}")

    # The manager uploads the two seed pages.
    manager = team.pages["mona"]
    for seed in sorted(SEEDS.glob("*.txt")):
        manager.goto(f"{url}/p/{project.slug}/import/")
        manager.set_input_files("#id_file", str(seed))
        manager.click("button:has-text('Upload and import')")
        expect(manager.locator("body")).to_contain_text("1 imported")
    assert project.documents.count() == 2
    first = Document.objects.filter(project=project).order_by("id").first()

    # Both annotators label the same (first) article.
    for name in ("amina", "bakary"):
        page = team.pages[name]
        page.goto(f"{url}/p/{project.slug}/")
        page.click("text=Label the next document")
        page.wait_for_selector("#doc-text")
        expect(page.locator("h1")).to_contain_text(first.title[:30])
        label(page, first.text, "Sergey Lavrov", "p", 1)
    amina, bakary = team.pages["amina"], team.pages["bakary"]

    # Amina: evidence for one stance, then a rating given without a selection.
    evidence = "Russia"
    select_text(amina, first.text, evidence)
    stance_row = amina.locator("#stance-panel .choice-row").first
    stance_row.locator("button.choice", has_text="against").click()
    expect(stance_row.locator(".chosen")).to_have_count(1)
    publisher = source_row(amina, "Al Mayadeen")
    publisher.focus()
    amina.keyboard.press("2")
    expect(publisher.locator(".chosen")).to_have_count(1)
    mine = Assignment.objects.get(document=first, annotator__username="amina")
    stance = Stance.objects.get(assignment=mine)
    assert stance.evidence_text == evidence
    rating = Rating.objects.get(assignment=mine, role="publisher")
    assert (rating.evidence_start, rating.evidence_text) == (None, "")
    for page in (amina, bakary):
        submit(page)
    assert set(
        Assignment.objects.filter(document=first).values_list("status", flat=True)
    ) == {"submitted"}

    # The reviewer rejects Amina's version with a comment and accepts Bakary's.
    reviewer = team.pages["rhea"]
    reviewer.goto(f"{url}/p/{project.slug}/review/{first.pk}/")
    decisions = reviewer.locator("#decisions")
    amina_row = decisions.get_by_role("group", name="amina's version, pending")
    amina_row.get_by_label("Comment to amina").fill(COMMENT)
    amina_row.get_by_role("button", name="Reject").click()
    expect(
        decisions.get_by_role("group", name="amina's version, rejected")
    ).to_be_visible()
    bakary_row = decisions.get_by_role("group", name="bakary's version, pending")
    bakary_row.get_by_role("button", name="Accept").click()
    expect(
        decisions.get_by_role("group", name="bakary's version, accepted")
    ).to_be_visible()

    # Amina presses next: the rejected document comes back first, with the comment.
    amina.goto(f"{url}/p/{project.slug}/")
    expect(amina.locator("body")).to_contain_text("1 returned to you")
    amina.click("text=Label the next document")
    amina.wait_for_selector("#doc-text")
    expect(amina.locator(".returned-banner")).to_contain_text(COMMENT)
    label(amina, first.text, "Mali", "c", 2)
    submit(amina)
    mine.refresh_from_db()
    assert (mine.status, mine.review_state) == ("submitted", "pending")

    # The reviewer accepts the fixed version and builds gold from what both agree on.
    reviewer.reload()
    amina_row = decisions.get_by_role("group", name="amina's version, pending")
    amina_row.get_by_role("button", name="Accept").click()
    expect(
        decisions.get_by_role("group", name="amina's version, accepted")
    ).to_be_visible()
    reviewer.fill("#agreed-k", "1")
    reviewer.click("#agreed-button")
    in_gold = re.compile(r"^Mali, GPE: .*, in gold$")
    expect(reviewer.get_by_role("row", name=in_gold).first).to_be_visible()
    gold = Assignment.objects.get(document=first, is_gold=True)
    assert gold.spans.count() >= 2

    # The manager downloads the gold spans.
    manager.goto(f"{url}/p/{project.slug}/export/")
    manager.select_option("#id_format", "spans")
    manager.select_option("#id_selection", "gold")
    with manager.expect_download() as download:
        manager.click("button:has-text('Download now')")
    lines = [
        json.loads(line)
        for line in Path(download.value.path()).read_text("utf-8").splitlines()
    ]
    assert len(lines) == 1
    spans = {(span["text"], span["label"]) for span in lines[0]["spans"]}
    assert {("Sergey Lavrov", "PERSON"), ("Mali", "GPE")} <= spans
