"""The page hides provenance: public items never say which model wrote a story; a page
that has collected clicks is never replaced."""

from __future__ import annotations

import pytest

from rmbench.errors import OutputExistsError
from rmbench.feedback.page import PRIVATE, PROVENANCE, db_path, load_items, load_provenance, write_page
from rmbench.feedback.store import ClickStore


def test_page_hides_provenance_and_shuffles_sides(tmp_path, write_demo_page):
    page = write_demo_page(tmp_path / "page", n=20)
    public = "".join((page / name).read_text().lower() for name in ("items.json", "index.html", "app.js", "style.css"))
    for leak in ("agent", "generator", "reward", "model", "sample_id"):
        assert leak not in public, leak
    items, prov = load_items(page), load_provenance(page)
    assert {it["item_id"] for it in items} == set(prov["items"])
    first = [prov["items"][it["item_id"]]["A"]["model"] for it in items]
    assert 0 < first.count("agent") < len(first)  # sides are shuffled, not always agent-first
    assert (page / PRIVATE / PROVENANCE).is_file()
    assert not list(tmp_path.glob("page.tmp-*"))


def test_public_item_keys_carry_no_model_field(tmp_path, write_demo_page):
    page = write_demo_page(tmp_path / "page", n=4)
    for it in load_items(page):
        assert set(it) == {"item_id", "prompt", "stories"}
        assert [set(s) for s in it["stories"]] == [{"side", "text"}, {"side", "text"}]
        assert [s["side"] for s in it["stories"]] == ["A", "B"]


def test_a_page_is_replaced_only_with_overwrite_and_only_before_any_click(tmp_path, write_demo_page, comparisons):
    page = write_demo_page(tmp_path / "page", n=2, seed=0)
    with pytest.raises(OutputExistsError, match="--overwrite"):
        write_page(str(page), comparisons(3), seed=1)
    assert len(load_items(page)) == 2
    write_page(str(page), comparisons(3), seed=1, overwrite=True)  # no clicks yet: replaced
    items = load_items(page)
    assert len(items) == 3
    ClickStore(db_path(page)).add("session-0001", items[0]["item_id"], "A")
    with pytest.raises(OutputExistsError, match="refusing to replace"):
        write_page(str(page), comparisons(4), seed=2, overwrite=True)  # people's votes are never deleted
    assert load_items(page) == items and len(ClickStore(db_path(page)).clicks()) == 1
    foreign = tmp_path / "notes"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    with pytest.raises(OutputExistsError):
        write_page(str(foreign), comparisons(1), seed=0, overwrite=True)
    assert sorted(p.name for p in foreign.iterdir()) == ["keep.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes", "page"]  # no temporary directory left
