"""The vote store: one vote per rater per item, whatever the browser; names normalised; a store
written before raters existed loads with every click (rater ``anonymous-<session>``) and its
old table untouched; the export counts them."""

from __future__ import annotations

import sqlite3

import pytest

from rmbench.feedback.page import db_path, load_items
from rmbench.feedback.store import ClickStore, DuplicateClick, normalize_rater

OLD_SCHEMA = """
CREATE TABLE clicks (
    id          INTEGER PRIMARY KEY,
    session     TEXT    NOT NULL CHECK (length(session) BETWEEN 8 AND 64),
    item_id     TEXT    NOT NULL CHECK (length(item_id) BETWEEN 1 AND 64),
    choice      TEXT    NOT NULL CHECK (choice IN ('A', 'B')),
    created_utc INTEGER NOT NULL,
    UNIQUE (session, item_id)
);
"""


def _old_store(path, rows) -> None:
    """A click store exactly as rmbench wrote it before raters (schema above, user_version 0)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.executescript(OLD_SCHEMA)
    conn.executemany("INSERT INTO clicks (session, item_id, choice, created_utc) VALUES (?, ?, ?, ?)", rows)
    conn.commit()
    conn.close()


def test_one_vote_per_rater_per_item_across_browsers_and_spellings(tmp_path):
    store = ClickStore(tmp_path / "v.sqlite")
    store.add("browser-0001", "item1", "tie", rater="Ada Lovelace")
    with pytest.raises(DuplicateClick):
        store.add("browser-0002", "item1", "A", rater="  ada   LOVELACE")
    store.add("browser-0002", "item1", "skip", rater="bob")  # another rater: fine
    store.add("browser-0001", "item2", "both_bad", rater="ada lovelace")
    assert [(v.rater, v.item_id, v.choice) for v in store.clicks()] == [
        ("ada lovelace", "item1", "tie"), ("bob", "item1", "skip"), ("ada lovelace", "item2", "both_bad")]
    assert store.answered("ADA LOVELACE") == ["item1", "item2"] and store.integrity_ok()
    assert normalize_rater(" Zoë  Ünal ") == "zoë ünal" and normalize_rater("r-7f3a@lab.org") == "r-7f3a@lab.org"


@pytest.mark.parametrize("bad", ["", "   ", "-ada", "a" * 65, "ada\x00", "<b>", "_ada", "ada;drop", None])
def test_names_that_are_not_names_are_refused(bad):
    with pytest.raises(ValueError):
        normalize_rater(bad)


def test_a_legacy_store_loads_every_click_once_and_keeps_its_table(tmp_path, write_demo_page):
    from rmbench.feedback.export import export_feedback

    page = write_demo_page(tmp_path / "page", n=3)
    ids = [it["item_id"] for it in load_items(page)]
    old = [("oldbrowser-1", ids[0], "A", 100), ("oldbrowser-2", ids[0], "A", 101), ("oldbrowser-1", ids[1], "B", 102)]
    _old_store(db_path(page), old)
    for _ in range(2):  # opening twice copies once
        votes = ClickStore(db_path(page)).clicks()
        assert [(v.rater, v.session, v.item_id, v.choice, v.created_utc) for v in votes] == \
            [("anonymous-" + s, s, i, c, t) for s, i, c, t in old]
        assert all(v.legacy for v in votes)
    conn = sqlite3.connect(db_path(page))
    assert conn.execute("SELECT session, item_id, choice, created_utc FROM clicks ORDER BY id").fetchall() == old
    conn.close()
    store = ClickStore(db_path(page))
    with pytest.raises(DuplicateClick):  # the old uniqueness still holds for the old browsers
        store.add("oldbrowser-1", ids[0], "B")
    store.add("newbrowser-1", ids[2], "A", rater="anonymous-someone")  # a typed name is not legacy
    entry = export_feedback(str(page), str(tmp_path / "human"))
    assert entry["clicks"]["seen"] == 4 and entry["clicks"]["legacy_anonymous"] == 3
    assert entry["clicks"]["raters"] == 3 and entry["pairs"]["kept"] == 3
