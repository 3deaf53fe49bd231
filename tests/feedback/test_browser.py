"""The rater page in headless Chromium: a rater signs in, answers with the keyboard (a tie, a
skip and "both bad" among them), a double key press is one answer, a second vote on the same
item is refused by the server, a reload resumes without the instructions, /admin shows the
rater, and the export round-trips every vote."""

from __future__ import annotations

import json

import pytest

from rmbench.feedback.page import load_items
from rmbench.feedback.server import db_path, start_in_thread
from rmbench.feedback.store import ClickStore

pytestmark = pytest.mark.browser


def _key_twice(page, key: str) -> None:
    """Two keydowns in one task: the second arrives while the first answer is in flight."""
    page.evaluate("""(k) => { for (let i = 0; i < 2; i++)
        document.dispatchEvent(new KeyboardEvent('keydown', {key: k, bubbles: true})); }""", key)


def test_rater_signs_in_votes_with_keys_and_export_round_trips(browser, tmp_path, artifacts_dir, write_demo_page):
    from playwright.sync_api import expect

    from rmbench.feedback.export import export_feedback
    from rmbench.prepared.load import load_prepared

    page_dir = write_demo_page(tmp_path / "page", n=4)
    items = load_items(page_dir)
    ids = [it["item_id"] for it in items]
    server, thread = start_in_thread(page_dir, port=0)
    try:
        ctx = browser.new_context(viewport={"width": 1100, "height": 800})
        page = ctx.new_page()
        errors = []  # script errors and CSP violations would land here
        page.on("pageerror", lambda e: errors.append(str(e)))
        # (the 400 and 409 below are expected answers and show up as "Failed to load resource")
        page.on("console", lambda m: m.type == "error" and not ("(Conflict)" in m.text or "(Bad Request)" in m.text)
                and errors.append(m.text))
        page.goto(server.url)
        expect(page.locator("#signin")).to_be_visible()
        expect(page.locator("#instructions")).to_be_visible()  # shown once, before the first item
        expect(page.locator("#item")).to_be_hidden()
        page.keyboard.press("b")  # no rater yet: a key answers nothing
        page.screenshot(path=str(artifacts_dir / "rater_signin.png"), full_page=True)
        page.fill("#rater-name", "<b>ada</b>")  # refused by the server: the form stays, with the reason
        page.press("#rater-name", "Enter")
        expect(page.locator("#status")).to_contain_text("Not signed in: rater:")
        expect(page.locator("#signin")).to_be_visible()
        page.fill("#rater-name", "  Ada   Lovelace ")
        page.press("#rater-name", "Enter")
        expect(page.locator("#item")).to_be_visible()
        expect(page.locator("#rater-shown")).to_have_text("ada lovelace")
        expect(page.locator("#instructions")).to_be_hidden()
        expect(page.locator("#signin")).to_be_hidden()
        assert page.inner_text("#prompt") == items[0]["prompt"]
        assert page.inner_text("#text-A") == items[0]["stories"][0]["text"]
        page.screenshot(path=str(artifacts_dir / "rater_item.png"), full_page=True)

        _key_twice(page, "b")  # one answer: B better on item 0
        expect(page.locator("#progress")).to_have_text("Comparison 2 of 4")
        page.keyboard.press("t")  # tie on item 1
        expect(page.locator("#progress")).to_have_text("Comparison 3 of 4")
        page.keyboard.press("s")  # skip item 2
        expect(page.locator("#progress")).to_have_text("Comparison 4 of 4")
        assert "Skipped" in page.inner_text("#status")
        page.keyboard.press("4")  # both bad on item 3, by its digit
        expect(page.locator("#done")).to_be_visible()

        # The server refuses a second vote of this rater on an item, whatever the case of the
        # name or the browser it comes from.
        replay = page.evaluate("""async (item) => (await fetch('api/click', {method: 'POST',
            headers: {'Content-Type': 'application/json'}, body: JSON.stringify(
            {rater: 'ADA LOVELACE', session: 'another-browser-01', item_id: item, choice: 'A'})})).status""", ids[0])
        assert replay == 409
        # A reload resumes: the rater is remembered, every item answered, no instructions again.
        page.reload()
        expect(page.locator("#done")).to_be_visible()
        expect(page.locator("#instructions")).to_be_hidden()
        assert "4 already answered" in page.inner_text("#status")

        page.goto(server.url + "admin")  # this machine: allowed
        assert "ada lovelace" in page.inner_text("body") and "Krippendorff" in page.inner_text("body")
        page.screenshot(path=str(artifacts_dir / "rater_admin.png"), full_page=True)
        assert not errors, errors
        ctx.close()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)

    store = ClickStore(db_path(page_dir))
    votes = store.clicks()
    assert store.integrity_ok()
    assert [(v.rater, v.item_id, v.choice) for v in votes] == [
        ("ada lovelace", ids[0], "B"), ("ada lovelace", ids[1], "tie"),
        ("ada lovelace", ids[2], "skip"), ("ada lovelace", ids[3], "both_bad")]
    # a second rater outvotes the tie on item 1: A 1, tie 1 -> A wins with 1.5 votes to 0.5
    store.add("bob-browser-0001", ids[1], "A", rater="bob")

    entry = export_feedback(str(page_dir), str(tmp_path / "human"))  # defaults: every pair in test
    test = {r["post_id"]: r for r in load_prepared(tmp_path / "human", "human-feedback")["test"]}
    assert set(test) == {ids[0], ids[1]}
    assert test[ids[0]]["chosen"] == items[0]["stories"][1]["text"]
    assert test[ids[1]]["chosen"] == items[1]["stories"][0]["text"] and test[ids[1]]["score_ratio"] == 3.0
    assert entry["clicks"]["dropped"] == {"skip": 1, "tied_votes": 1}  # item 3's only answer was both bad
    exported = [json.loads(line) for line in (tmp_path / "human" / "human-feedback" / "votes.jsonl").open()]
    assert [(e["rater"], e["session"], e["item_id"], e["choice"], e["created_utc"]) for e in exported] == \
        [(v.rater, v.session, v.item_id, v.choice, v.created_utc) for v in store.clicks()]
    assert {e["item_id"]: e["pair_id"] for e in exported}[ids[1]] == test[ids[1]]["pair_id"]
