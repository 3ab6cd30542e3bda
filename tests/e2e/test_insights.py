"""The insights inbox in a real browser: a PM imports a CSV of feedback (maps its columns, confirms,
watches the progress bar reach the end), opens the themes and one theme, opens a note from it,
selects a sentence with the mouse and links it to a feature with an importance, then finds the
quote in the feature's evidence."""

from __future__ import annotations

import csv
import re

import pytest
from playwright.sync_api import expect

from headway.backlog.tests import factories as f
from headway.insights.models import FeedbackNote, Highlight, NoteImport, Theme

pytestmark = pytest.mark.django_db(transaction=True)

SENTENCE = "We need to export every dashboard to PDF for the board meeting."

REVIEWS = [
    ("r-1", f"Love the dashboards. {SENTENCE} Screenshots look unprofessional.", "4", "2026-10-01"),
    ("r-2", "Please add a PDF export of dashboards, our CFO asks for it every month.", "3", "2026-10-02"),
    ("r-3", "Exporting dashboards to PDF would save us an hour before every board meeting.", "4", "2026-10-03"),
    ("r-4", "The app crashes when I open the revenue chart on my phone.", "1", "2026-10-04"),
    ("r-5", "Crashes on launch after the last update, cannot open any chart.", "1", "2026-10-05"),
    ("r-6", "The mobile app crashes every time I rotate the phone on a chart.", "2", "2026-10-06"),
    ("r-7", "Single sign-on with Okta is required by our security team.", "3", "2026-10-07"),
    ("r-8", "We need SSO through Azure AD before we can roll this out.", "3", "2026-10-08"),
    ("r-9", "Great product, our whole team uses it every morning.", "5", "2026-10-09"),
    ("r-10", "Dark mode please, the white dashboards are blinding at night.", "4", "2026-10-10"),
    ("r-11", "Checkout page is slow on mobile networks, customers give up.", "2", "2026-10-11"),
    ("r-12", "Apple Pay on the hosted checkout would lift our mobile conversion.", "4", "2026-10-12"),
]


@pytest.fixture
def reviews_csv(tmp_path):
    path = tmp_path / "store-reviews.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Review ID", "What they wrote", "Stars", "Posted"])
        writer.writerows(REVIEWS)
    return path


def select_text_with_mouse(page, container, text: str) -> None:
    """Drag the mouse across ``text`` inside ``container`` like a person selecting it."""
    box = page.evaluate(
        """([selector, text]) => {
            const root = document.querySelector(selector);
            const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                const at = node.data.indexOf(text);
                if (at === -1) continue;
                const first = document.createRange();
                first.setStart(node, at); first.setEnd(node, at + 1);
                const last = document.createRange();
                last.setStart(node, at + text.length - 1); last.setEnd(node, at + text.length);
                const a = first.getClientRects()[0], b = last.getClientRects()[0];
                return {x0: a.left + 1, y0: a.top + a.height / 2, x1: b.right - 1, y1: b.top + b.height / 2};
            }
            return null;
        }""",
        [container, text],
    )
    assert box is not None, f"{text!r} is not on the page"
    page.mouse.move(box["x0"], box["y0"])
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(
            box["x0"] + (box["x1"] - box["x0"]) * step / 10, box["y0"] + (box["y1"] - box["y0"]) * step / 10
        )
    page.mouse.up()


def test_pm_imports_feedback_opens_a_theme_and_links_a_sentence_to_a_feature(
    live_server, sign_in, admin, pm, workspace, reviews_csv, screenshot
):
    product = f.product(admin, workspace, key="INS", owner=pm)
    feature = f.feature(admin, product, "PDF export of dashboards")
    page = sign_in(pm)

    # Upload; the preview guesses most columns and the PM maps the two it could not recognise.
    page.goto(f"{live_server.url}/w/acme/insights/imports/upload/")
    page.get_by_label("CSV or Excel file").set_input_files(str(reviews_csv))
    page.get_by_label("Channel").fill("App Store reviews")
    page.get_by_label("Product (optional)").select_option(label=product.name)
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", name="Preview: store-reviews.csv")).to_be_visible()
    page.get_by_label("Text (required)").select_option("What they wrote")
    page.get_by_label("Received").select_option("Posted")
    page.get_by_role("button", name="Apply the mapping and check again").click()
    expect(page.locator(".import-rows tbody tr")).to_have_count(len(REVIEWS))
    expect(page.locator(".import-rows tbody tr").first).to_contain_text(SENTENCE)
    assert not FeedbackNote.objects.filter(workspace=workspace).exists()  # nothing before confirming
    screenshot("insights-import-mapping")

    # Confirm; the import runs in the background and its progress bar runs to the end.
    page.get_by_role("button", name=f"Import {len(REVIEWS)} rows").click()
    progress = page.locator("#import-progress progress")
    expect(page.locator("#import-progress h2")).to_have_text("Imported", timeout=20_000)
    expect(progress).to_have_attribute("value", "1")
    expect(progress).to_have_attribute("max", "1")
    expect(page.locator(".import-counts")).to_contain_text(f"Created{len(REVIEWS)}")
    screenshot("insights-import-done")
    batch = NoteImport.objects.get(workspace=workspace)
    assert (batch.status, batch.total, batch.created, batch.skipped) == ("done", 12, 12, 0)
    note = FeedbackNote.objects.get(workspace=workspace, channel="App Store reviews", external_ref="r-1")
    assert (note.rating, note.product_id, note.import_batch_id) == (4, product.pk, batch.pk)
    assert note.kind and note.sentiment  # classified on the way in

    # Themes: none yet, so the PM has them found (a background job with its own progress), then opens one.
    page.goto(f"{live_server.url}/w/acme/insights/themes/")
    page.get_by_role("button", name="Find themes").click()
    expect(page.get_by_role("link", name="Show the themes")).to_be_visible(timeout=30_000)
    page.get_by_role("link", name="Show the themes").click()
    note.refresh_from_db()
    assert note.theme_id is not None
    theme = Theme.objects.get(pk=note.theme_id)
    expect(page.locator(".theme-name a").first).to_be_visible()
    screenshot("insights-themes")
    page.get_by_role("link", name=theme.name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(theme.name)
    screenshot("insights-theme")

    # The note from the theme; select the sentence with the mouse and link it to the feature.
    page.locator(f"a[href$='/insights/notes/{note.pk}/']").first.click()
    expect(page.locator("#note-text")).to_contain_text(SENTENCE)
    page.wait_for_load_state("load")  # insights.js (deferred) listens for the selection
    select_text_with_mouse(page, "#note-text", SENTENCE)
    popover = page.locator("#note-popover")
    expect(popover).to_be_visible()
    expect(popover.locator("blockquote")).to_have_text(SENTENCE)
    popover.get_by_label("Find a feature or idea").fill("PDF")
    popover.get_by_role("option", name=re.compile("PDF export of dashboards")).click()
    popover.get_by_label("Importance").select_option("critical")
    screenshot("insights-highlight")
    popover.get_by_role("button", name="Link", exact=True).click()
    expect(page.get_by_text(f"Linked as evidence for {feature.ref}.")).to_be_visible()
    highlight = Highlight.objects.get(note=note)
    assert (highlight.quote, highlight.feature_id, highlight.importance) == (SENTENCE, feature.pk, "critical")
    assert note.text[highlight.start : highlight.end] == SENTENCE

    # The feature's page shows the quote as evidence.
    page.goto(f"{live_server.url}/w/acme/backlog/features/{feature.pk}/")
    evidence = page.locator("#evidence")
    expect(evidence.get_by_text(SENTENCE)).to_be_visible()
    screenshot("insights-feature-evidence")
