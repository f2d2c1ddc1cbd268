"""The console in a real Chromium against a real `gridwatch api serve` on SQLite."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.api.builders import DEMO_GRIDS
from tests.console.centre import PASSWORD, ConsoleCentre
from tests.support.browser import IMAGES_LOADED, PHONE, log_in, poll

pytestmark = pytest.mark.slow


def _page(desk: BrowserContext, centre: ConsoleCentre, user: str) -> Page:
    page = desk.new_page()
    log_in(page, centre.url, user, PASSWORD)
    return page


def _workers(cell: str) -> list[dict[str, str]]:
    """The grid workers of a demo cell, as imported."""
    feature = next(f for f in DEMO_GRIDS["features"] if f["properties"]["code"] == cell)
    return list(feature["properties"]["workers"])


def _row(page: Page, code: str) -> str:
    return f'tr[data-code="{code}"]'


def test_a_wrong_password_is_refused_and_the_right_one_opens_the_queue(
    desk: BrowserContext, centre: ConsoleCentre
) -> None:
    page = desk.new_page()
    page.goto(centre.url + "/")
    assert page.url.startswith(centre.url + "/login")
    page.fill("input[name=username]", "op1")
    page.fill("input[name=password]", "not the password")
    page.click("[data-action=login]")
    expect(page.locator("[data-error=login]")).to_contain_text("用户名或密码错误")
    page.fill("input[name=password]", PASSWORD)
    page.click("[data-action=login]")
    expect(page.locator("main[data-live=queue]")).to_be_visible()
    cookie = next(c for c in desk.cookies() if c["name"] == "gw_session")
    assert cookie["httpOnly"]
    assert cookie["sameSite"] == "Lax"


def test_the_queue_shows_only_the_operators_subtree(desk: BrowserContext, centre: ConsoleCentre) -> None:
    mine, theirs = centre.alert(township=1, cell=2), centre.alert(township=2, cell=2)
    page = _page(desk, centre, "op1")
    expect(page.locator(_row(page, mine))).to_be_visible()
    assert page.locator(_row(page, theirs)).count() == 0
    reply = page.goto(f"{centre.url}/events/{theirs}")
    assert reply is not None
    assert reply.status == 404
    assert page.locator("[data-event-code]").count() == 0


def test_an_alert_posted_through_the_api_appears_without_a_reload(
    desk: BrowserContext, centre: ConsoleCentre
) -> None:
    page = _page(desk, centre, "op1")
    expect(page.locator("#live-state")).to_have_attribute("data-state", "open")
    page.evaluate("window.__same_page = true")
    code = centre.alert(township=1, cell=3, kind="crowd")
    expect(page.locator(_row(page, code))).to_be_visible()
    assert page.evaluate("window.__same_page") is True  # no navigation happened
    centre.act(code, {"action": "acknowledge"}, user="sup")  # another user, through the REST API
    expect(page.locator(f'{_row(page, code)} [data-status="acknowledged"]')).to_be_visible()
    assert page.evaluate("window.__same_page") is True


def test_snapshots_load_with_camera_rule_label_and_score(desk: BrowserContext, centre: ConsoleCentre) -> None:
    code = centre.alert(township=1, cell=4)
    centre.alert(township=1, cell=4)
    page = _page(desk, centre, "op1")
    page.goto(f"{centre.url}/events/{code}")
    shots = page.locator("img[data-snapshot]")
    expect(shots).to_have_count(2)
    poll(page, IMAGES_LOADED)
    widths = page.eval_on_selector_all("img[data-snapshot]", "imgs => imgs.map(i => i.naturalWidth)")
    assert widths == [768, 768]
    caption = page.locator("figure.shot").first
    expect(caption.locator("[data-source]")).to_contain_text("cam-room")
    expect(caption.locator("[data-rule]")).to_contain_text("room-after-hours")
    expect(caption.locator("[data-label-name]")).to_have_text("person")
    expect(caption.locator("[data-score]")).to_have_text("0.82")
    worker = _workers("DX-T01-V01-C004")[0]
    expect(page.locator("[data-phone]").first).to_have_attribute("href", f"tel:{worker['phone']}")


def _act(page: Page, action: str) -> None:
    opener = page.locator(f'details[data-open="{action}"] > summary')
    if opener.count():
        opener.click()


def test_acknowledge_dispatch_close_and_dismiss_reach_the_api(
    desk: BrowserContext, centre: ConsoleCentre
) -> None:
    code = centre.alert(township=1, village=2, cell=1)
    page = _page(desk, centre, "sup")
    page.goto(f"{centre.url}/events/{code}")
    page.click("[data-action=acknowledge]")
    expect(page.locator("[data-done=acknowledge]")).to_be_visible()
    assert centre.event(code)["event"]["status"] == "acknowledged"
    _act(page, "dispatch")
    page.fill("details[data-open=dispatch] input[name=department]", "综合执法")
    page.click("[data-action=dispatch]")
    event = centre.event(code)["event"]
    worker = _workers("DX-T01-V02-C001")[0]["name"]  # the cell's grid worker is offered first
    assert (event["status"], event["worker"], event["department"]) == ("dispatched", worker, "综合执法")
    page.click("[data-action=start]")
    page.click("[data-action=resolve]")
    _act(page, "close")
    page.eval_on_selector(
        "details[data-open=close] form", "f => f.noValidate = true"
    )  # the server must refuse
    page.click("[data-action=close]")
    expect(page.locator("[data-problem='422']")).to_contain_text("close needs feedback and a rating")
    assert centre.event(code)["event"]["status"] == "resolved"
    _act(page, "close")
    page.fill("details[data-open=close] textarea[name=feedback]", "现场已处理")
    page.check("details[data-open=close] input[name=rating][value='4']")
    page.click("[data-action=close]")
    expect(page.locator("[data-done=close]")).to_be_visible()
    event = centre.event(code)["event"]
    assert (event["status"], event["feedback"], event["rating"]) == ("closed", "现场已处理", 4)
    other = centre.alert(township=1, village=2, cell=2, kind="loitering")
    page.goto(f"{centre.url}/events/{other}")
    _act(page, "dismiss")
    page.check("[data-verdict=false_alarm]")
    page.check("[data-false-alarm=out_of_area]")
    page.click("[data-action=dismiss]")
    expect(page.locator("[data-done=dismiss]")).to_be_visible()
    assert centre.event(other)["event"]["status"] == "dismissed"
    verdicts = [v for v in centre.verdicts() if v["event_code"] == other]
    assert [(v["verdict"], v["false_alarm"], v["source_id"], v["score"]) for v in verdicts] == [
        ("false_alarm", "out_of_area", centre.source(1, 2, 2), 0.82)
    ]


def test_the_409_message_shows_when_another_operator_got_there_first(
    desk: BrowserContext, centre: ConsoleCentre
) -> None:
    code = centre.alert(township=1, village=2, cell=3)
    page = _page(desk, centre, "op1")
    page.goto(f"{centre.url}/events/{code}")
    _act(page, "dismiss")  # an open form is left alone by live refreshes
    page.check("[data-verdict=duplicate]")
    assert centre.act(code, {"action": "dismiss", "verdict": {"kind": "test"}}).status_code == 200
    page.click("[data-action=dismiss]")
    expect(page.locator("[data-problem='409']")).to_contain_text("cannot dismiss an event that is dismissed")
    assert [v["verdict"] for v in centre.verdicts() if v["event_code"] == code] == ["test"]


def test_keys_move_open_and_acknowledge(desk: BrowserContext, centre: ConsoleCentre) -> None:
    first = centre.alert(
        township=1, village=2, cell=4, kind="smoke", severity="critical"
    )  # most urgent: top row
    page = _page(desk, centre, "op1")
    page.keyboard.press("j")
    expect(page.locator("tr.selected")).to_have_attribute("data-code", first)
    page.keyboard.press("j")
    page.keyboard.press("k")
    expect(page.locator("tr.selected")).to_have_attribute("data-code", first)
    page.keyboard.press("a")
    expect(page.locator(f'{_row(page, first)} [data-status="acknowledged"]')).to_be_visible()
    assert centre.event(first)["event"]["status"] == "acknowledged"
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/events/{first}")


def test_a_form_without_its_csrf_token_is_refused(desk: BrowserContext, centre: ConsoleCentre) -> None:
    code = centre.alert(township=1, village=3, cell=1)
    page = _page(desk, centre, "op1")
    page.goto(f"{centre.url}/events/{code}")
    page.eval_on_selector("form.act-simple", "f => f.querySelector('[name=csrf_token]').remove()")
    page.click("[data-action=acknowledge]")
    expect(page.locator("[data-error=detail]")).to_contain_text("CSRF")
    assert centre.event(code)["event"]["status"] == "new"


def test_logout_ends_the_session(browser: Browser, desk: BrowserContext, centre: ConsoleCentre) -> None:
    page = _page(desk, centre, "op1")
    cookie = next(c for c in desk.cookies() if c["name"] == "gw_session")
    page.click("[data-action=logout]")
    page.wait_for_url("**/login")
    page.goto(centre.url + "/")
    assert "/login" in page.url
    replay = browser.new_context()
    replay.add_cookies(
        [{"name": cookie["name"], "value": cookie["value"], "url": centre.url}]
    )  # worth nothing now
    other = replay.new_page()
    other.goto(centre.url + "/")
    assert "/login" in other.url
    replay.close()


def _stamp(at: datetime) -> str:
    """A time as the SQLite database stores it (naive UTC)."""
    return at.replace(tzinfo=None).isoformat(sep=" ")


def test_sla_chips_count_down_and_turn_amber_then_red(desk: BrowserContext, centre: ConsoleCentre) -> None:
    amber, red = centre.alert(township=2, village=3, cell=1), centre.alert(township=2, village=3, cell=2)
    now = datetime.now(UTC)
    with sqlite3.connect(centre.database_url.removeprefix("sqlite:///")) as db:
        opened, due = _stamp(now - timedelta(minutes=110)), _stamp(now + timedelta(minutes=10))  # 8 % left
        db.execute("UPDATE events SET created_at = ?, ack_due = ? WHERE code = ?", (opened, due, amber))
        db.execute("UPDATE events SET ack_due = ? WHERE code = ?", (_stamp(now - timedelta(minutes=5)), red))
    page = _page(desk, centre, "op2")
    expect(page.locator(f"{_row(page, amber)} [data-sla]")).to_have_class("sla sla-amber")
    expect(page.locator(f"{_row(page, red)} [data-sla]")).to_have_class("sla sla-red")
    left = page.locator(f"{_row(page, amber)} [data-sla] .left")
    before = left.inner_text()
    expect(left).not_to_have_text(before)  # it counts down
    expect(page.locator(f"{_row(page, red)} [data-sla] .left")).to_contain_text("−")
    assert page.locator("tr[data-code]").first.get_attribute("data-code") == red  # overdue first


def test_unreviewed_counts_per_tab(desk: BrowserContext, centre: ConsoleCentre) -> None:
    page = _page(desk, centre, "op2")
    badge = page.locator('[data-tab="new"] .badge')
    count = int(badge.get_attribute("data-unreviewed") or 0)
    code = centre.alert(township=2, village=3, cell=3)
    expect(badge).to_have_attribute("data-unreviewed", str(count + 1))
    page.click(f"{_row(page, code)} a")
    page.go_back()
    expect(page.locator('[data-tab="new"] .badge')).to_have_attribute("data-unreviewed", str(count))


def test_filters_live_in_the_url(desk: BrowserContext, centre: ConsoleCentre) -> None:
    fire = centre.alert(township=1, village=3, cell=2, kind="smoke")
    page = _page(desk, centre, "op1")
    page.select_option("select[name=type]", "FIRE")
    page.wait_for_url("**/?type=FIRE")
    expect(page.locator(_row(page, fire))).to_be_visible()
    assert all(r.get_attribute("data-code").find("FIRE") > 0 for r in page.locator("tr[data-code]").all())  # type: ignore[union-attr]
    page.click('[data-tab="in_hand"]')
    page.go_back()
    expect(page.locator("select[name=type]")).to_have_value("FIRE")
    page.reload()
    expect(page.locator("select[name=type]")).to_have_value("FIRE")


def test_chinese_and_english_render_at_desk_and_phone_size(
    browser: Browser, desk: BrowserContext, centre: ConsoleCentre, screens: Path
) -> None:
    code = centre.alert(township=1, village=3, cell=3)
    for _ in range(7):  # many alerts: a gallery
        centre.alert(township=1, village=3, cell=3)
    page = _page(desk, centre, "op1")
    expect(page.locator("h1, .tab.active")).to_contain_text(["全部待办"])
    page.screenshot(path=screens / "queue-zh-1366.png")
    page.goto(f"{centre.url}/events/{code}")
    expect(page.locator(".shots.gallery figure")).to_have_count(8)
    page.screenshot(path=screens / "event-zh-1366.png", full_page=True)
    page.click("[data-action=language]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("[data-action=acknowledge]")).to_have_text("Acknowledge")
    page.screenshot(path=screens / "event-en-1366.png", full_page=True)
    page.goto(centre.url + "/")
    expect(page.locator(".tab.active")).to_contain_text("All open")
    page.screenshot(path=screens / "queue-en-1366.png")
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)  # type: ignore[arg-type]
    small = phone.new_page()
    log_in(small, centre.url, "op2", PASSWORD)
    small.screenshot(path=screens / "queue-zh-phone.png", full_page=True)
    width = small.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]  # nothing sticks out sideways
    phone.close()
