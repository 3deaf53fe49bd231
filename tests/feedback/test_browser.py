"""The feedback page in headless Chromium: a click is stored and exported; a second click on
the same item (double submit) and a malformed request are rejected without corrupting the store."""

from __future__ import annotations

import json

import pytest

from rmbench.feedback.page import load_items, load_provenance
from rmbench.feedback.server import db_path, start_in_thread
from rmbench.feedback.store import ClickStore

pytestmark = pytest.mark.browser


def test_click_in_browser_is_stored_and_exported(browser, tmp_path, artifacts_dir, write_demo_page):
    from playwright.sync_api import expect

    from rmbench.prepared.load import load_prepared
    from rmbench.feedback.export import export_feedback

    page_dir = write_demo_page(tmp_path / "page", n=3)
    items = load_items(page_dir)
    server, thread = start_in_thread(page_dir, port=0)
    try:
        ctx = browser.new_context(viewport={"width": 1100, "height": 700})
        page = ctx.new_page()
        errors = []  # script errors and CSP violations would land here
        page.on("pageerror", lambda e: errors.append(str(e)))
        # (the 409 and 400 below are expected answers and show up as "Failed to load resource")
        page.on("console", lambda m: m.type == "error" and not ("(Conflict)" in m.text or "(Bad Request)" in m.text)
                and errors.append(m.text))
        page.goto(server.url)
        page.wait_for_selector("#item:not([hidden])")
        assert page.inner_text("#prompt") == items[0]["prompt"]
        assert page.inner_text("#text-A") == items[0]["stories"][0]["text"]
        page.screenshot(path=str(artifacts_dir / "feedback_page.png"), full_page=True)

        # Double submit: two clicks fired back to back before the first answer arrives.
        page.evaluate("document.getElementById('choose-B').click(); document.getElementById('choose-B').click();")
        expect(page.locator("#progress")).to_have_text("Comparison 2 of 3")
        assert "Saved" in page.inner_text("#status")
        # A replay of the same click from the page's own session is refused by the server.
        session = page.evaluate("localStorage.getItem('rmbench-session')")
        replay = page.evaluate("""async ([item, session]) => (await fetch('api/click', {method: 'POST',
            headers: {'Content-Type': 'application/json'},
            body: JSON.stringify({session: session, item_id: item, choice: 'A'})})).status""", [items[0]["item_id"], session])
        assert replay == 409
        bad = page.evaluate("""async () => (await fetch('api/click', {method: 'POST',
            headers: {'Content-Type': 'application/json'}, body: '{"session": 1'})).status""")
        assert bad == 400
        page.click("#choose-A")
        expect(page.locator("#progress")).to_have_text("Comparison 3 of 3")
        page.screenshot(path=str(artifacts_dir / "feedback_page_after_clicks.png"), full_page=True)
        assert not errors, errors
        ctx.close()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)

    store = ClickStore(db_path(page_dir))
    clicks = store.clicks()
    assert store.integrity_ok()
    assert [(c.item_id, c.choice) for c in clicks] == [(items[0]["item_id"], "B"), (items[1]["item_id"], "A")]
    assert len({c.session for c in clicks}) == 1 and clicks[0].session == session

    entry = export_feedback(str(page_dir), str(tmp_path / "human"), all_test=True)
    ds = load_prepared(tmp_path / "human", "human-feedback")
    assert len(ds["test"]) == 2 and entry["clicks"]["seen"] == 2
    by_item = {r["post_id"]: r for r in ds["test"]}
    first = items[0]
    assert by_item[first["item_id"]]["chosen"] == first["stories"][1]["text"]
    prov = load_provenance(page_dir)
    winners = json.loads(json.dumps(entry["clicks_won_by_model"]))
    assert sum(winners.values()) == 2
    assert prov["items"][first["item_id"]]["B"]["model"] in winners
