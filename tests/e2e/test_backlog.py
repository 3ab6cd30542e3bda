"""The backlog in a real browser: rank by drag and drop and by keyboard, change status on the board,
work on a feature (requirements, dependencies, comments, links), bulk edit, saved views, settings."""

import re

import pytest
from playwright.sync_api import expect

from headway.backlog import services
from headway.backlog.models import Feature, WorkflowStatus
from headway.backlog.tests import factories as f


@pytest.fixture
def backlog(admin, pm, contributor, workspace):
    """PAY (owned by the PM) with five features F1..F5 in that order; CHK with one."""
    pay = f.product(admin, workspace, key="PAY", owner=pm)
    chk = f.product(admin, workspace, key="CHK")
    features = f.features(admin, pay, 5)
    statuses = {s.name: s for s in services.workflow_ensure_defaults(actor=admin, workspace=workspace)}
    services.feature_update(actor=admin, feature=features[0], status=statuses["In progress"], owner=pm, effort=5)
    services.feature_update(actor=admin, feature=features[1], status=statuses["Ready"], tags=["compliance"], effort=3)
    services.feature_update(actor=admin, feature=features[2], owner=contributor, tags=["quick win"])
    f.feature(admin, chk, "Guest checkout")
    return {"pay": pay, "chk": chk, "features": features, "statuses": statuses}


def list_url(live_server, product):
    return f"{live_server.url}/w/acme/backlog/?product={product.pk}"


def titles(page):
    return page.locator("#bl-rows .bl-title")


def drag(page, source, target, *, below=False):
    """Drag ``source`` (a locator of the grabbed element) onto ``target`` with small steps (SortableJS
    reacts to movement, not to a jump)."""
    start = source.bounding_box()
    end = target.bounding_box()
    x0, y0 = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    x1 = end["x"] + min(40, end["width"] / 2)
    y1 = end["y"] + (end["height"] - 3 if below else 3)
    page.mouse.move(x0, y0)
    page.mouse.down()
    for step in range(1, 21):
        page.mouse.move(x0 + (x1 - x0) * step / 20, y0 + (y1 - y0) * step / 20)
        page.wait_for_timeout(15)
    page.wait_for_timeout(250)  # let the rows' slide animation end before the drop
    return page


def test_reorder_the_backlog_by_drag_and_drop_and_it_persists(live_server, sign_in, pm, backlog, screenshot):
    page = sign_in(pm)
    page.goto(list_url(live_server, backlog["pay"]))
    expect(titles(page)).to_have_text(["F1", "F2", "F3", "F4", "F5"])
    screenshot("backlog-list")

    f5 = backlog["features"][4]
    drag(page, page.locator(f"#feature-{f5.pk} .drag-handle"), page.locator(f"#feature-{backlog['features'][0].pk}"))
    with page.expect_response(re.compile(rf"/features/{f5.pk}/move/")) as response:
        page.mouse.up()
    assert response.value.status == 204
    expect(titles(page)).to_have_text(["F5", "F1", "F2", "F3", "F4"])
    expect(page.get_by_role("status").filter(has_text="Moved PAY-5 above PAY-1.")).to_be_visible()
    expect(page.locator("#bl-rows .bl-pos")).to_have_text(["1", "2", "3", "4", "5"])

    page.reload()
    expect(titles(page)).to_have_text(["F5", "F1", "F2", "F3", "F4"])
    assert list(Feature.objects.filter(product=backlog["pay"]).order_by("rank").values_list("title", flat=True)) == [
        "F5", "F1", "F2", "F3", "F4",
    ]  # fmt: skip

    # The keyboard way: the arrow buttons keep focus, so a second press moves it again.
    button = page.get_by_role("button", name="Move PAY-4 up")
    with page.expect_response(re.compile(r"/move/")):
        button.click()
    expect(titles(page)).to_have_text(["F5", "F1", "F2", "F4", "F3"])
    expect(button).to_be_focused()
    with page.expect_response(re.compile(r"/move/")):
        page.keyboard.press("Enter")
    expect(titles(page)).to_have_text(["F5", "F1", "F4", "F2", "F3"])
    page.reload()
    expect(titles(page)).to_have_text(["F5", "F1", "F4", "F2", "F3"])
    screenshot("backlog-list-reordered")


def test_change_a_status_on_the_board(live_server, sign_in, pm, backlog, screenshot):
    page = sign_in(pm)
    page.goto(f"{live_server.url}/w/acme/backlog/board/?product={backlog['pay'].pk}")
    new = page.locator("section.bd-col", has=page.get_by_role("heading", name="New", exact=True))
    in_progress = page.locator("section.bd-col", has=page.get_by_role("heading", name="In progress"))
    expect(new.locator(".bd-title")).to_have_text(["F3", "F4", "F5"])
    expect(in_progress.locator(".bd-title")).to_have_text(["F1"])
    screenshot("backlog-board")

    f3 = backlog["features"][2]
    drag(page, page.locator(f"#card-{f3.pk} .bd-title"), in_progress.locator(".bd-cards"), below=True)
    with page.expect_response(re.compile(rf"/features/{f3.pk}/status/")) as response:
        page.mouse.up()
    assert response.value.status == 204
    expect(in_progress.locator(".bd-title")).to_have_text(["F1", "F3"])
    expect(in_progress.locator(".bd-count")).to_have_text("2")
    expect(new.locator(".bd-count")).to_have_text("2")
    expect(page.get_by_role("status").filter(has_text="PAY-3 is now “In progress”.")).to_be_visible()

    page.reload()
    expect(in_progress.locator(".bd-title")).to_have_text(["F1", "F3"])
    f3.refresh_from_db()
    assert f3.status.name == "In progress"
    assert [c.to_status.name for c in f3.status_changes.order_by("changed_at", "id")] == ["New", "In progress"]

    # Without dragging: the card's status menu.
    with page.expect_response(re.compile(r"/status/")):
        page.get_by_label("Status of PAY-4").select_option(label="Released")
    released = page.locator("section.bd-col", has=page.get_by_role("heading", name="Released"))
    expect(released.locator(".bd-title")).to_have_text(["F4"])
    screenshot("backlog-board-moved")


def test_work_on_a_feature(live_server, sign_in, pm, backlog, screenshot):
    page = sign_in(pm)
    page.goto(list_url(live_server, backlog["pay"]))
    page.get_by_role("link", name="New feature").click()
    page.get_by_role("button", name="Create feature").click()
    expect(page.locator(".has-error").get_by_role("alert")).to_have_text("This field is required.")
    page.get_by_label("Title").fill("Export invoices as CSV")
    page.get_by_label("Description").fill("Finance teams reconcile in **spreadsheets**.")
    page.get_by_label("Effort (story points)").fill("8")
    page.get_by_label("Tags").fill("finance, export")
    screenshot("backlog-feature-form")
    page.get_by_role("button", name="Create feature").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("PAY-6 Export invoices as CSV")
    expect(page.locator(".pf-prose strong")).to_have_text("spreadsheets")

    page.get_by_text("Add a requirement").click()
    page.get_by_label("User story").fill("As a controller I want a CSV per month so that I can reconcile")
    page.get_by_label("Acceptance criteria").fill("Given a month, when I export, then every invoice is a row")
    page.get_by_role("button", name="Add requirement").click()
    requirement = page.get_by_role("checkbox", name=re.compile("Done: As a controller"))
    expect(requirement).to_have_attribute("aria-checked", "false")
    requirement.click()
    expect(page.get_by_role("checkbox", name=re.compile("Done: As a controller"))).to_have_attribute(
        "aria-checked", "true"
    )
    expect(page.locator("#requirements")).to_contain_text("1 of 1 done")

    page.get_by_label("Relation").select_option("blocks")
    page.get_by_label("Feature reference").fill("PAY-1")
    page.get_by_role("button", name="Add dependency").click()
    expect(page.locator("#dependencies")).to_contain_text("PAY-1")
    # PAY-1 now waits for PAY-6; PAY-6 cannot also wait for PAY-1.
    page.get_by_label("Relation").select_option("blocked_by")
    page.get_by_label("Feature reference").fill("pay-1")
    page.get_by_role("button", name="Add dependency").click()
    expect(page.locator("#dependencies").get_by_role("alert")).to_contain_text(
        "That would make a cycle: PAY-1 → PAY-6 → PAY-1."
    )

    page.get_by_role("textbox", name="Comment").fill("Finance asked for **semicolons**.")
    page.get_by_role("button", name="Comment", exact=True).click()
    expect(page.locator(".cm-body strong")).to_have_text("semicolons")
    page.get_by_label("Address").fill("https://example.com/spec")
    page.get_by_label("Title", exact=True).fill("Spec")
    page.get_by_role("button", name="Attach link").click()
    expect(page.locator("#links").get_by_role("link", name="Spec")).to_have_attribute(
        "href", "https://example.com/spec"
    )

    page.get_by_label("Status", exact=True).select_option(label="In progress")
    expect(page.get_by_role("status").filter(has_text="PAY-6 is now “In progress”.")).to_be_visible()
    expect(page.locator(".sh-list li")).to_have_count(2)
    screenshot("backlog-feature-detail")


def test_bulk_edit_and_saved_views(live_server, sign_in, pm, backlog, screenshot):
    page = sign_in(pm)
    page.goto(list_url(live_server, backlog["pay"]))
    apply = page.get_by_role("button", name="Apply to selected")
    expect(apply).to_be_disabled()
    page.get_by_label("Select PAY-4").check()
    page.get_by_label("Select PAY-5").check()
    expect(page.locator(".bl-picked")).to_have_text("2 selected")
    page.get_by_label("Set status").select_option(label="Parked")
    page.get_by_label("Add tags (comma-separated)").fill("later")
    screenshot("backlog-bulk-edit")
    apply.click()
    expect(page.get_by_role("status").filter(has_text="Updated 2 features.")).to_be_visible()
    parked = WorkflowStatus.objects.get(name="Parked")
    assert sorted(Feature.objects.filter(status=parked).values_list("title", flat=True)) == ["F4", "F5"]

    page.get_by_label("Tag", exact=True).select_option(label="later")
    expect(titles(page)).to_have_text(["F4", "F5"])
    expect(page).to_have_url(re.compile(r"tag=\d+"))
    page.get_by_text("Saved views", exact=True).click()
    page.get_by_label("Save these filters as").fill("Parked for later")
    page.get_by_role("button", name="Save view").click()
    expect(page.get_by_role("status").filter(has_text="View “Parked for later” saved.")).to_be_visible()
    page.goto(list_url(live_server, backlog["pay"]))
    expect(titles(page)).to_have_count(5)
    page.get_by_text("Saved views (1)").click()
    page.get_by_role("link", name="Parked for later").click()
    expect(titles(page)).to_have_text(["F4", "F5"])

    page.get_by_label("Search features").fill("F2")
    expect(titles(page)).to_have_count(0)
    expect(page.get_by_role("heading", name="No features match")).to_be_visible()
    screenshot("backlog-no-match")


def test_viewer_reads_without_controls_and_empty_states(live_server, sign_in, viewer, leader, backlog, screenshot):
    page = sign_in(viewer)
    page.goto(f"{live_server.url}/w/acme/backlog/?product={backlog['chk'].pk}")
    expect(titles(page)).to_have_text(["Guest checkout"])
    expect(page.locator(".drag-handle")).to_have_count(0)
    expect(page.get_by_role("link", name="New feature")).to_have_count(0)
    expect(page.get_by_role("button", name="Apply to selected")).to_have_count(0)
    page.goto(f"{live_server.url}/w/acme/backlog/board/")
    expect(page.locator(".bd-card select")).to_have_count(0)

    page.context.clear_cookies()
    page = sign_in(leader)
    empty = f.product(leader, backlog["pay"].workspace, key="NEW")
    page.goto(f"{live_server.url}/w/acme/backlog/?product={empty.pk}")
    expect(page.get_by_role("heading", name="The backlog of Product NEW is empty")).to_be_visible()
    screenshot("backlog-empty")
    page.get_by_role("link", name="Workflow settings").click()
    page.get_by_role("textbox", name="Name", exact=True).fill("In review")
    page.get_by_role("combobox", name="Category", exact=True).select_option("active")
    page.get_by_role("button", name="Add status").click()
    expect(page.get_by_role("status").filter(has_text="Status “In review” added")).to_be_visible()
    page.get_by_role("button", name="Move In review up").click()
    expect(page.locator(".wf-edit input[name=name]").nth(6)).to_have_value("In review")
    screenshot("backlog-workflow-settings")
