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


def _votes(page, plan: dict[int, list[str]]) -> list[str]:
    """plan: item index -> the answers of raters r0, r1, ...; returns the item ids."""
    ids = [it["item_id"] for it in load_items(page)]
    store = ClickStore(db_path(page))
    for i, answers in plan.items():
        for k, choice in enumerate(answers):
            store.add(f"browser-{k:04d}", ids[i], choice, rater=f"r{k}")
    return ids


def test_ties_and_both_bad_are_half_votes_skips_are_dropped_and_counted(tmp_path, write_demo_page):
    from rmbench.prepared.load import load_prepared
    from rmbench.prepared.manifest import read_manifest

    page = write_demo_page(tmp_path / "page", n=6)
    ids = _votes(page, {0: ["A", "tie", "tie"],        # A 1 + 1 half-pair: A wins, (1+1)/(0+1) = 2.0
                        1: ["B", "both_bad"],          # B wins, (1+0.5)/(0+0.5) = 3.0
                        2: ["tie", "both_bad"],        # level: tied_votes
                        3: ["A", "B", "skip"],         # level: tied_votes; the skip counted apart
                        4: ["skip"],                   # nothing but a skip: no item tally at all
                        5: ["tie", "A", "B", "B"]})    # B 2 vs A 1: B wins, (2+0.5)/(1+0.5)
    result = CliRunner().invoke(feedback_group, ["export", "--dir", str(page), "--out", str(tmp_path / "h"),
                                                 "--min-votes", "2"])
    assert result.exit_code == 0, result.output
    assert "15 votes from 4 raters" in result.output and "skip 2" in result.output
    test = {r["post_id"]: r for r in load_prepared(tmp_path / "h", "human-feedback")["test"]}
    assert set(test) == {ids[0], ids[1], ids[5]}  # the default split: everything in test
    assert [test[ids[i]]["score_ratio"] for i in (0, 1, 5)] == [pytest.approx(2.0), pytest.approx(3.0),
                                                               pytest.approx(2.5 / 1.5)]
    assert (test[ids[0]]["chosen_score"], test[ids[0]]["rejected_score"]) == (1, 0)
    entry = read_manifest(tmp_path / "h")["tasks"]["human-feedback"]
    assert entry["clicks"]["dropped"] == {"skip": 2, "tied_votes": 2}
    assert entry["clicks"]["choices"] == {"A": 3, "B": 4, "tie": 4, "both_bad": 2, "skip": 2}
    assert entry["rules"]["both_bad"].startswith("half a vote") and entry["rules"]["split_by"] == "test"
    # --min-votes counts ties and both-bad answers, never skips: at 3, items 1, 2 and 3 (A, B and a skip) are too few
    r = CliRunner().invoke(feedback_group, ["export", "--dir", str(page), "--out", str(tmp_path / "h3"), "--min-votes", "3"])
    assert r.exit_code == 0 and read_manifest(tmp_path / "h3")["tasks"]["human-feedback"]["clicks"]["dropped"] == \
        {"skip": 2, "too_few_votes": 3}


def test_the_manifest_says_synthetic_exactly_when_the_page_came_from_the_demo_corpus(tmp_path, comparisons):
    from rmbench.prepared.manifest import Prepared

    for synthetic in (True, False):
        page = tmp_path / f"page-{synthetic}"
        write_page(str(page), comparisons(3), seed=0, meta={"synthetic_data": synthetic})
        _votes(page, {0: ["A"], 1: ["B"]})
        from rmbench.feedback.export import export_feedback

        export_feedback(str(page), str(tmp_path / f"h-{synthetic}"))
        assert Prepared.open(tmp_path / f"h-{synthetic}").synthetic is synthetic
