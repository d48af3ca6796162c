"""A team sets a project up in the browser: a superuser makes a project from the news
template, edits its labels in place (htmx), invites an annotator, who accepts in a
second browser, takes a password and lands in the project. Screenshots of the
new-project and manage pages at 1400 and 390 px go to SETUP_SHOTS (a temp folder)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from annotate.models import Label, Membership, Project
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDTHS = (1400, 390)


def shoot(page, folder: Path, name: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=folder / f"{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1400, "height": 900})


def test_a_superuser_sets_up_a_project_and_an_invited_annotator_joins(
    live_server, log_in, page, browser, screenshots
):
    make_user("chief", password="pw-chief", is_superuser=True, is_staff=True)
    log_in(page, "chief")
    page.goto(f"{live_server.url}/")
    page.click("text=New project")
    page.wait_for_selector("#id_name")
    shoot(page, screenshots, "new-project")
    page.fill("#id_name", "Sahel desk")
    page.fill("#id_description", "Who says what about the Sahel")
    page.select_option("#id_start_from", "news")
    page.click("button:has-text('Make the project')")
    page.wait_for_selector("#label-editor")
    project = Project.objects.get(name="Sahel desk")
    assert Membership.objects.get(project=project).role == "manager"

    # The label editor answers in place: move GPE up, without a page load.
    page.evaluate("window.notReloaded = true")
    page.click("[aria-label='Move GPE up']")
    expect(page.locator("#label-editor .flash")).to_have_count(0)
    expect(page.locator("#label-editor form.editor-row").nth(1)).to_have_attribute(
        "aria-label", "Label GPE"
    )
    assert page.evaluate("window.notReloaded") is True
    names = Label.objects.filter(project=project, kind="entity").values_list(
        "name", flat=True
    )
    assert list(names)[:3] == ["PERSON", "GPE", "ORG"]
    # A key the screen keeps is refused in place, with the reason.
    page.fill("[aria-label='Name of the new entity label']", "WEAPON")
    page.fill("#label-editor [aria-label='Key of the new label'] >> nth=0", "g")
    page.click("#label-editor form[aria-label='New entity label'] button")
    expect(page.locator("#label-editor .flash.error")).to_contain_text(
        "The key g is the annotation screen's (show the guidelines)."
    )
    assert page.evaluate("window.notReloaded") is True

    page.fill("#id_who", "amina")
    page.select_option("#id_role", "annotator")
    page.click("button:has-text('Make an invitation link')")
    page.wait_for_selector("#invitation-link")
    shoot(page, screenshots, "manage")
    link = page.input_value("#invitation-link")

    invitee = browser.new_context()
    try:
        other = invitee.new_page()
        other.goto(link)
        expect(other.locator("#id_username")).to_have_value("amina")
        other.fill("#id_password1", "plum-orchard-47")
        other.fill("#id_password2", "plum-orchard-47")
        other.click("button:has-text('Make my account and join')")
        other.wait_for_url(f"{live_server.url}/p/{project.slug}/")
        expect(other.locator(".messages")).to_contain_text(
            "Welcome to Sahel desk. Your role here: annotator."
        )
        expect(other.locator(".role")).to_have_text("your role: annotator")
        other.goto(f"{live_server.url}/")
        expect(other.locator("table.list")).to_contain_text("Sahel desk")
        expect(other.locator("text=New project")).to_have_count(0)
    finally:
        invitee.close()
    assert Membership.objects.get(project=project, user__username="amina").role == (
        "annotator"
    )
