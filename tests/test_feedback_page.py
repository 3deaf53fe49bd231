"""The page hides provenance: public items never say which model wrote a story."""

from __future__ import annotations


from feedback_fixtures import write_demo_page
from rmbench.feedback.page import PRIVATE, PROVENANCE, load_items, load_provenance


def test_page_hides_provenance_and_shuffles_sides(tmp_path):
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


def test_public_item_keys_carry_no_model_field(tmp_path):
    page = write_demo_page(tmp_path / "page", n=4)
    for it in load_items(page):
        assert set(it) == {"item_id", "prompt", "stories"}
        assert [set(s) for s in it["stories"]] == [{"side", "text"}, {"side", "text"}]
        assert [s["side"] for s in it["stories"]] == ["A", "B"]
