"""The adaptation curve's draw and the split it is scored on: k pairs of whole posts, one order
for every k, and heldout_unseen holding every held-out post but the largest k's."""

from __future__ import annotations

import pytest

from rmbench.eval.metrics import post_id
from rmbench.prepared.load import load_split
from rmbench.run.adapt import adaptation_draw, drawn_posts

SIZES = {"writingprompts": {"train": 30, "validation": 9, "test": 18, "test_hard": 6, "all_hard": 12},
         "askacademia": {"train": 30, "validation": 9, "test": 18}}


def hard_on_train_posts(task, split, rows):
    """The fixture's all_hard pairs have posts of their own; on real data they are pairs of the
    splits' posts (training posts among them), which is what heldout_unseen_hard must cut."""
    if split == "all_hard":
        for r in rows:
            r["pair_id"], r["post_id"] = r["pair_id"].replace("al", "tr", 1), r["post_id"].replace("al", "tr", 1)


@pytest.fixture(scope="module")
def data(tmp_path_factory, write_prepared):
    return write_prepared(tmp_path_factory.mktemp("adapt") / "data", SIZES, edit=hard_on_train_posts)


def _posts(rows) -> list[str]:
    return [post_id(r["pair_id"]) for r in rows]


def test_the_draw_takes_k_pairs_of_whole_posts_and_a_smaller_k_is_the_start_of_a_larger(data):
    train = load_split(data, "writingprompts", "train")
    per_post = {p: _posts(train).count(p) for p in set(_posts(train))}  # 3 pairs a post in the fixture
    small, large = (adaptation_draw(data, "writingprompts", k, seed=0) for k in (7, 20))
    assert (len(small), len(large)) == (7, 20)
    assert {r["pair_id"] for r in small} <= {r["pair_id"] for r in large}
    assert all(r in train for r in large)
    # whole posts but for the last one drawn: 20 pairs touch 7 posts, not the ~10 a pair-by-pair draw would
    counts = {p: _posts(large).count(p) for p in set(_posts(large))}
    assert len(counts) == 7 and sorted(c == per_post[p] for p, c in counts.items()) == [False] + [True] * 6
    # the order is seeded: another seed draws other posts; more than there are: every training pair
    assert set(_posts(adaptation_draw(data, "writingprompts", 20, seed=1))) != set(counts)
    assert len(adaptation_draw(data, "writingprompts", 1000, seed=0)) == len(train)
    assert drawn_posts(data, "writingprompts", 0, [0]) == set()
    # several draw seeds (sweep --adapt --seeds): what no cell saw is outside every seed's draw
    both = drawn_posts(data, "writingprompts", 20, [0, 1])
    assert both == set(counts) | set(_posts(adaptation_draw(data, "writingprompts", 20, seed=1))) > set(counts)


def test_heldout_unseen_is_every_post_but_the_largest_draws_and_every_cell_scores_it(data):
    from rmbench.run.config import RunConfig
    from rmbench.run.evaluation import split_rows
    from rmbench.run.plan import evaluation_targets, plan

    cfg = RunConfig()
    cfg.data.adapt_unseen = 20
    p = plan(cfg, data, ["writingprompts"], None)
    assert [s for t, s, _ in evaluation_targets(p) if t == "writingprompts"] == [
        "heldout_all", "heldout_all_hard", "heldout_unseen", "heldout_unseen_hard", "test", "test_hard"]
    p.heldout_splits = ("test", "test_hard")  # an adapted cell: never heldout_all, always the unseen posts
    assert [s for t, s, _ in evaluation_targets(p, "adapted") if t == "writingprompts"] == [
        "heldout_unseen", "heldout_unseen_hard", "test", "test_hard"]
    drawn = drawn_posts(data, "writingprompts", 20, [0])
    every = load_split(data, "writingprompts", "heldout_all")
    unseen = split_rows(cfg, p, "writingprompts", "heldout_unseen")
    assert [r["pair_id"] for r in unseen] == [r["pair_id"] for r in every if post_id(r["pair_id"]) not in drawn]
    assert len(unseen) == 30 + 9 + 18 - 21  # 20 pairs drawn from 7 posts of 3: the 7th post's third pair left out too
    hard = split_rows(cfg, p, "writingprompts", "heldout_unseen_hard")
    assert hard and not set(_posts(hard)) & drawn
    assert {r["pair_id"] for r in hard} < {r["pair_id"] for r in load_split(data, "writingprompts", "heldout_all_hard")}
    cfg.data.adapt_draws = ["0", "1"]  # as --set gives them: every draw seed's posts left out
    two = plan(cfg, data, ["writingprompts"], None)
    assert not set(_posts(split_rows(cfg, two, "writingprompts", "heldout_unseen"))) & drawn_posts(
        data, "writingprompts", 20, [0, 1])
    assert len(split_rows(cfg, two, "writingprompts", "heldout_unseen")) < len(unseen)
    cfg.data.adapt_unseen = 0  # an ordinary run: no such split
    assert "heldout_unseen" not in {s for _, s, _ in evaluation_targets(plan(cfg, data, ["writingprompts"], None))}


def test_a_negative_adapt_unseen_or_a_word_for_a_draw_seed_is_a_config_error():
    from rmbench.errors import ConfigError
    from rmbench.run.config import resolve

    with pytest.raises(ConfigError, match="data.adapt_unseen is -1"):
        resolve(flags={"data.adapt_unseen": -1})
    with pytest.raises(ConfigError, match="data.adapt_draws: expected whole numbers"):
        resolve(flags={"data.adapt_draws": "0,x"})


def test_the_own_selection_slice_is_whole_posts_a_fifth_of_the_draw_and_leaves_posts_to_fine_tune_on(data):
    from rmbench.errors import ConfigError
    from rmbench.run.adapt import OWN_SHARE, own_slice

    drawn = adaptation_draw(data, "writingprompts", 20, seed=0)  # 7 posts, the last one cut to 2 pairs
    tune, held = own_slice(drawn, "writingprompts", seed=0)
    assert sorted(r["pair_id"] for r in tune + held) == sorted(r["pair_id"] for r in drawn)
    assert not set(_posts(tune)) & set(_posts(held))  # whole posts on either side
    assert OWN_SHARE * len(drawn) <= len(held) < OWN_SHARE * len(drawn) + 3  # posts added until a fifth
    assert own_slice(drawn, "writingprompts", seed=0) == (tune, held)  # seeded: the same slice again
    assert any(own_slice(drawn, "writingprompts", seed=s)[1] != held for s in (1, 2, 3))
    one_post = [r for r in drawn if post_id(r["pair_id"]) == _posts(drawn)[0]]
    with pytest.raises(ConfigError, match="from 1 post; choosing on the task's own posts needs at least two"):
        own_slice(one_post, "writingprompts", seed=0)
    two = [r for r in drawn if post_id(r["pair_id"]) in set(_posts(drawn)[:4])]  # 2 posts: one each side
    t2, h2 = own_slice(two, "writingprompts", seed=0)
    assert len(set(_posts(t2))) == len(set(_posts(h2))) == 1


@pytest.mark.parametrize("best, start, kept", [(0.8, 0.7, "checkpoint-4"), (0.7, 0.7, "start"), (0.6, 0.7, "start")])
def test_the_starting_model_replaces_a_fine_tuning_that_did_not_beat_it_on_the_slice(tmp_path, best, start, kept):
    from rmbench.atomic import MARKER, atomic_dir
    from rmbench.run.adapt import kept_start

    base, model = tmp_path / "base", tmp_path / "cell" / "model"
    base.mkdir()
    (base / "model.safetensors").write_bytes(b"start")
    (base / MARKER).write_text("{}")  # the base cell's own marker is not copied over the new one
    model.parent.mkdir()
    with atomic_dir(model, overwrite=True) as tmp:  # as fit writes it
        (tmp / "model.safetensors").write_bytes(b"tuned")
    info = {"best_validation_accuracy": best, "start_validation_accuracy": start, "best_checkpoint": "checkpoint-4"}
    assert kept_start(info, base, model) == {"kept": kept}
    assert (model / "model.safetensors").read_bytes() == (b"start" if kept == "start" else b"tuned")
    assert (model / MARKER).read_text() != "{}"


def test_a_cell_fine_tuned_under_other_settings_is_not_read_back_as_this_one(tmp_path):
    import json

    from rmbench.errors import ConfigError
    from rmbench.run.adapt import _check_settled

    info = tmp_path / "train_info.json"
    _check_settled(info, {"k": 100})  # not trained yet: nothing to check
    info.write_text(json.dumps({"adapt": {"k": 100, "seed": 0, "epochs": 3.0, "learning_rate": 1e-4}}))
    same = {"k": 100, "seed": 0, "epochs": 3.0, "learning_rate": 1e-4, "select": "held-in"}
    _check_settled(info, same)  # a cell from before --adapt-select chose on held-in pairs
    with pytest.raises(ConfigError, match=r"learning_rate 0.0001 \(asked: 2e-05\), select 'held-in' \(asked: 'own'\) "
                                          r"\(pass --adapt-select held-in to continue that sweep\): give the sweep another --out"):
        _check_settled(info, {**same, "learning_rate": 2e-5, "select": "own"})
