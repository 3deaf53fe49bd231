"""``feedback export`` and the page writer under the output rule: never the page, never a folder
another command made, and a page people clicked on is never replaced (issue 12)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from rmbench.errors import OutputExistsError
from rmbench.feedback.cli import feedback_group
from rmbench.feedback.page import db_path, load_items, write_page
from rmbench.feedback.store import ClickStore


def _clicked(page, n: int = 3) -> ClickStore:
    store = ClickStore(db_path(page))
    for i, it in enumerate(load_items(page)):
        for k in range(n):
            store.add(f"session-{i:03d}-{k}", it["item_id"], "A")
    return store


def test_export_never_replaces_the_page_or_a_foreign_folder(tmp_path, write_demo_page):
    page = write_demo_page(tmp_path / "page")
    _clicked(page)
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    runner = CliRunner()
    for out in (page, foreign):
        r = runner.invoke(feedback_group, ["export", "--dir", str(page), "--out", str(out), "--overwrite"])
        assert r.exit_code != 0, r.output
    assert (foreign / "notes.txt").read_text() == "keep me" and len(ClickStore(db_path(page)).clicks()) == 18
    r = runner.invoke(feedback_group, ["export", "--dir", str(page), "--out", str(tmp_path / "pairs")])
    assert r.exit_code == 0, r.output
    r = runner.invoke(feedback_group, ["export", "--dir", str(page), "--out", str(tmp_path / "pairs"), "--overwrite"])
    assert r.exit_code == 0, r.output  # its own earlier export: replaced
    r = runner.invoke(feedback_group, ["export", "--dir", str(page), "--out", str(tmp_path), "--overwrite"])
    assert r.exit_code != 0 and "an input of this command" in r.output and db_path(page).is_file()


def test_a_page_with_clicks_or_their_journal_is_never_replaced(tmp_path, comparisons):
    page = tmp_path / "page"
    write_page(str(page), comparisons(4), seed=1)
    write_page(str(page), comparisons(4), seed=2, overwrite=True)  # a fresh page: replaced
    (page / "private" / "clicks.sqlite-wal").write_bytes(b"a journal of clicks")  # the store itself is gone
    with pytest.raises(OutputExistsError, match="refusing to replace"):
        write_page(str(page), comparisons(4), seed=3, overwrite=True)
    assert (page / "private" / "clicks.sqlite-wal").read_bytes() == b"a journal of clicks"
