"""rmbench.eval.compare: runs paired on the pairs they share."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from rmbench.errors import ConfigError
from rmbench.eval.compare import compare_runs, labels_for, load_run, markdown, notes, seeds_text, sheet
from rmbench.eval.compare_diff import difference_note


def test_a_clearly_worse_run_is_called_worse_with_a_paired_interval(tmp_path, write_run_folder, pair_ids):
    ids = pair_ids(60)
    a = write_run_folder(tmp_path / "a", {pid: 1.0 for pid in ids})
    b = write_run_folder(tmp_path / "b", {pid: float(k % 2) for k, pid in enumerate(ids)})  # one of each post's two
    doc = compare_runs([load_run(a), load_run(b)], samples=500)
    (row,) = doc["rows"]
    assert (row["n"], row["posts"], row["accuracy_first"]["value"], row["accuracy"]["value"]) == (120, 60, 1.0, 0.5)
    # every post contributes exactly -0.5, so every resample does: the interval is the point
    assert row["diff"] == {"value": -0.5, "ci95": [-0.5, -0.5]} and row["verdict"] == "worse"
    rec = sheet(doc).records()[0]
    assert (rec["diff_pp"], rec["verdict"], rec["unshared"]) == (-50.0, "worse", 0)
    (flipped,) = compare_runs([load_run(b), load_run(a)], samples=500)["rows"]
    assert flipped["diff"]["value"] == 0.5 and flipped["verdict"] == "better"


def test_equal_runs_show_no_difference_and_ties_count_half(tmp_path, write_run_folder, pair_ids):
    ids = pair_ids(40)
    mixed = {pid: [1.0, 0.0, 0.5][k % 3] for k, pid in enumerate(ids)}
    doc = compare_runs([load_run(write_run_folder(tmp_path / "a", mixed)), load_run(write_run_folder(tmp_path / "b", mixed))])
    (row,) = doc["rows"]
    assert row["diff"]["value"] == 0 and row["verdict"] == "no difference detected"
    assert row["accuracy"]["value"] == pytest.approx(sum(mixed.values()) / len(mixed), abs=1e-6)


def test_unreadable_lines_are_skipped_counted_and_named(tmp_path, write_run_folder, pair_ids):
    ids = pair_ids(30)
    bad = ["{not json", json.dumps({"task": "t", "split": "heldout_all", "pair_id": "x:1:2", "reward_chosen": "high",
                                    "reward_rejected": 0}),
           json.dumps({"task": "t", "split": "heldout_all", "reward_chosen": 1, "reward_rejected": 0}),
           '{"task": "t", "split": "heldout_all", "pair_id": "y:1:2", "reward_chosen": NaN, "reward_rejected": 0}',
           json.dumps({"task": "t", "split": "heldout_all", "pair_id": ids[0], "reward_chosen": 0, "reward_rejected": 1}),
           "[1, 2]"]
    b_dir = write_run_folder(tmp_path / "b", {pid: 1.0 for pid in ids}, extra_lines=bad)
    with open(b_dir / "predictions.jsonl", "ab") as f:
        f.write(b'{"task": "t", "split": "heldout_all", "pair_id": "z\xff:1:2", "reward_chosen": 1, "reward_rejected": 0}\n')
    b = load_run(b_dir)
    assert b.dropped == {"not JSON": 2, "reward not a finite number": 1, "task, split or pair_id missing": 1,
                         "pair listed twice (first kept)": 1, "not a JSON object": 1, "not UTF-8": 1}
    assert b.outcomes[("t", "heldout_all")][ids[0]] == 1.0  # the first line of a pair is the one kept
    doc = compare_runs([load_run(write_run_folder(tmp_path / "a", {pid: 1.0 for pid in ids})), b])
    assert doc["rows"][0]["n"] == 60
    (line,) = notes(doc)
    assert line == ("b: predictions lines skipped: not JSON 2, not UTF-8 1, not a JSON object 1, "
                    "pair listed twice (first kept) 1, reward not a finite number 1, task, split or pair_id missing 1")


def test_only_shared_pairs_are_compared_and_the_rest_counted(tmp_path, write_run_folder, pair_ids):
    ids = pair_ids(40)
    a = write_run_folder(tmp_path / "a", {pid: 1.0 for pid in ids[:70]})
    b = write_run_folder(tmp_path / "b", {pid: 1.0 for pid in ids[10:]})
    (row,) = compare_runs([load_run(a), load_run(b)])["rows"]
    assert (row["n"], row["only_first"], row["only_this"]) == (60, 10, 10)


def test_small_splits_are_shown_but_not_called(tmp_path, write_run_folder, pair_ids):
    ids = pair_ids(10)
    a = write_run_folder(tmp_path / "a", {pid: 1.0 for pid in ids})
    b = write_run_folder(tmp_path / "b", {pid: 0.0 for pid in ids})
    (row,) = compare_runs([load_run(a), load_run(b)], min_pairs=50, min_posts=20)["rows"]
    assert row["too_small"] and row["verdict"] == "too small" and row["diff"]["value"] == -1.0


def test_runs_of_other_data_are_refused_unless_asked(tmp_path, write_run_folder, pair_ids):
    ids = pair_ids(30)
    a = load_run(write_run_folder(tmp_path / "a", {pid: 1.0 for pid in ids}))
    b = load_run(write_run_folder(tmp_path / "b", {pid: 1.0 for pid in ids}, fingerprint="0" * 64))
    with pytest.raises(ConfigError, match="different prepared data .*--any-data"):
        compare_runs([a, b])
    doc = compare_runs([a, b], any_data=True)
    assert doc["rows"][0]["n"] == 60 and any("Different prepared data" in line for line in notes(doc))


def test_a_folder_that_is_not_a_run_is_a_clear_error(tmp_path, write_run_folder, pair_ids):
    (tmp_path / "x").mkdir()
    with pytest.raises(ConfigError, match="not a run folder"):
        load_run(tmp_path / "x")
    with pytest.raises(ConfigError, match="at least two"):
        compare_runs([load_run(write_run_folder(tmp_path / "a", {"p:1:2": 1.0}))])


def test_labels_stay_apart_and_names_are_escaped_in_the_report(tmp_path, write_run_folder, pair_ids):
    assert labels_for([Path("x/run"), Path("y/run"), Path("z/other")]) == ["x/run", "y/run", "other"]
    assert labels_for([Path("run"), Path("run")]) == ["run#1", "run#2"]
    ids = pair_ids(30)
    a = load_run(write_run_folder(tmp_path / "a", {pid: 1.0 for pid in ids}, model="<b>m|1</b>"), "a|<i>")
    b = load_run(write_run_folder(tmp_path / "b", {pid: 1.0 for pid in ids}), "b")
    md = markdown(compare_runs([a, b]))
    assert "\\<b\\>m\\|1\\</b\\>" in md and "# rmbench compare: against a\\|\\<i\\>" in md


def test_leaderboard_submissions_compare_like_runs_and_reproduce_their_own_figures(tmp_path):
    board = Path(__file__).resolve().parents[2] / "leaderboard" / "submissions"
    longer, minilm = load_run(board / "baseline-longer-demo.json"), load_run(board / "minilm-demo.json")
    assert (longer.label, minilm.label) == ("baseline-longer-demo", "minilm-demo")
    doc = compare_runs([longer, minilm])
    rows = {r["split"]: r for r in doc["rows"]}
    # the submission's own scorecard: same pairs, same seed and resamples, so the same figures
    card = minilm.doc["results"]["writingprompts"]["splits"]["heldout_all"]
    assert rows["heldout_all"]["n"] == card["n"] and rows["heldout_all"]["verdict"] == "better"
    assert {r["role"] for r in doc["rows"]} == {"heldout"}  # as the first run's results.json says
    assert rows["heldout_all"]["diff"] == {"value": card["baselines"]["longer"]["diff"],
                                           "ci95": card["baselines"]["longer"]["diff_ci95"]}
    (tmp_path / "other.json").write_text(json.dumps({"kind": "something else"}))
    with pytest.raises(ConfigError, match="not a run folder or a leaderboard submission"):
        load_run(tmp_path / "other.json")


def test_leave_one_out_sweeps_compare_per_task_and_pooled(tmp_path, loo_sweep):
    import numpy as np

    from rmbench.eval.metrics import percentile_interval, post_ids_of, stratified_means

    rng = np.random.default_rng(1)
    ids = {"a": [f"a{i}:x:{j}" for i in range(40) for j in range(3)], "b": [f"b{i}:x:{j}" for i in range(25) for j in range(2)]}
    first = {t: {pid: float(rng.integers(0, 2)) for pid in v} for t, v in ids.items()}
    second = {t: {pid: float(rng.integers(0, 2)) for pid in v} for t, v in ids.items()}
    doc = compare_runs([load_run(loo_sweep(tmp_path / "s1", first)), load_run(loo_sweep(tmp_path / "s2", second))],
                       samples=300, seed=4)
    assert [(r["task"], r["split"]) for r in doc["rows"]] == [("a", "heldout_all"), ("b", "heldout_all"),
                                                              ("(pooled)", "heldout_all")]  # no in-domain test rows
    pooled = doc["rows"][-1]
    assert pooled["tasks"] == ["a", "b"] and pooled["n"] == 170 and pooled["posts"] == 65
    xa = [first[t][p] for t in ("a", "b") for p in sorted(ids[t])]
    xb = [second[t][p] for t in ("a", "b") for p in sorted(ids[t])]
    assert pooled["diff"]["value"] == pytest.approx(np.mean(xb) - np.mean(xa), abs=1e-6)
    draws, _ = stratified_means([(post_ids_of(sorted(ids[t])), [[first[t][p] for p in sorted(ids[t])],
                                                                [second[t][p] for p in sorted(ids[t])]])
                                 for t in ("a", "b")], 300, 4)
    lo, hi = percentile_interval(draws[:, 1] - draws[:, 0])
    assert pooled["diff"]["ci95"] == [round(lo, 6), round(hi, 6)]
    assert pooled["verdict"] == ("better" if lo > 0 else "worse" if hi < 0 else "no difference detected")
    assert "(pooled)" in markdown(doc)


def test_a_sweep_that_is_not_leave_one_out_or_unfinished_is_a_clear_error(tmp_path, loo_sweep):
    from rmbench.errors import DataError

    plain = tmp_path / "curves"
    plain.mkdir()
    (plain / "sweep.json").write_text(json.dumps({"kind": "rmbench.sweep", "learning_curves": {}}))
    with pytest.raises(ConfigError, match="without --leave-one-out"):
        load_run(plain)
    half = loo_sweep(tmp_path / "half", {"a": {"a1:x:y": 1.0}, "b": {"b1:x:y": 0.0}})
    (half / "cells" / "loo-b" / "predictions.jsonl").unlink()
    with pytest.raises(DataError, match="cell of b is not finished"):
        load_run(half)


def _draws(seed_count: int, rng, ids):
    return {s: {t: {pid: float(rng.choice([0.0, 0.5, 1.0])) for pid in v} for t, v in ids.items()}
            for s in range(seed_count)}


def test_seeded_sweeps_compare_seed_averaged_outcomes_and_each_seed_on_its_own(tmp_path, seeded_sweep):
    import numpy as np

    rng = np.random.default_rng(7)
    ids = {"a": [f"a{i}:x:{j}" for i in range(40) for j in range(3)], "b": [f"b{i}:x:{j}" for i in range(30) for j in range(2)]}
    first, second = _draws(3, rng, ids), _draws(3, rng, ids)
    pa, pb = seeded_sweep(tmp_path / "plain", first), seeded_sweep(tmp_path / "poe", second)
    a, b = load_run(pa), load_run(pb)
    assert a.seeds == [0, 1, 2] and sorted(a.by_seed) == [0, 1, 2] and a.not_every_seed == 0
    pid = ids["a"][5]
    assert a.outcomes[("a", "heldout_all")][pid] == pytest.approx(np.mean([first[s]["a"][pid] for s in range(3)]))
    doc = compare_runs([a, b], samples=300, seed=2)
    rows = {r["task"]: r for r in doc["rows"]}
    mean_a = np.mean([np.mean([first[s]["a"][p] for s in range(3)]) for p in ids["a"]])
    mean_b = np.mean([np.mean([second[s]["a"][p] for s in range(3)]) for p in ids["a"]])
    assert rows["a"]["diff"]["value"] == pytest.approx(mean_b - mean_a, abs=1e-6)
    # each seed's own verdict is the comparison of that seed's cells alone (--sweep-seeds S)
    for s in range(3):
        alone = {r["task"]: r for r in compare_runs([load_run(pa, seeds=[s]), load_run(pb, seeds=[s])],
                                                    samples=300, seed=2)["rows"]}
        for task in ("a", "b", "(pooled)"):
            mine = rows[task]["over_seeds"]["by_seed"][s]
            assert mine["seed"] == s and mine["diff"] == alone[task]["diff"] and mine["verdict"] == alone[task]["verdict"]
    over = rows["(pooled)"]["over_seeds"]
    diffs = [e["diff"]["value"] for e in over["by_seed"]]
    assert over["diff_range"] == [min(diffs), max(diffs)] and over["seeds"] == [0, 1, 2]
    assert over["better"] == sum(e["verdict"] == "better" for e in over["by_seed"])
    rec = sheet(doc).records()[0]  # task a, heldout_all
    assert rec["seeds"] == seeds_text(rows["a"]["over_seeds"])
    assert rec["seed_range_low_pp"] == pytest.approx(100 * rows["a"]["over_seeds"]["diff_range"][0], abs=0.05)
    assert doc["runs"][0]["seeds"] == [0, 1, 2]
    assert "plain: each pair's outcome is the mean over training seeds 0, 1, 2" in notes(doc)


def test_a_seeded_sweep_against_a_single_run_judges_each_seed_against_it(tmp_path, loo_sweep, seeded_sweep):
    import numpy as np

    rng = np.random.default_rng(3)
    ids = {"a": [f"a{i}:x:{j}" for i in range(30) for j in range(2)], "b": [f"b{i}:x:{j}" for i in range(30) for j in range(2)]}
    seeded = seeded_sweep(tmp_path / "seeded", _draws(2, rng, ids), base=1)  # seed 0 in loo-T-seed0
    assert (seeded / "cells" / "loo-a-seed0").is_dir() and load_run(seeded).seeds == [0, 1]
    single = loo_sweep(tmp_path / "single", _draws(1, rng, ids)[0])
    doc = compare_runs([load_run(single), load_run(seeded)], samples=200)
    for row in doc["rows"]:
        assert row["over_seeds"]["seeds"] == [0, 1]
    assert compare_runs([load_run(single), load_run(single)], samples=200)["rows"][0].get("over_seeds") is None
    assert "seeds" not in sheet(compare_runs([load_run(single), load_run(single)], samples=200)).records()[0]


def test_pairs_not_scored_by_every_seed_are_left_out_and_counted(tmp_path, seeded_sweep):
    ids = {"a": [f"a{i}:x:y" for i in range(30)], "b": [f"b{i}:x:y" for i in range(30)]}
    by_seed = {0: {t: {p: 1.0 for p in v} for t, v in ids.items()}, 1: {t: {p: 0.0 for p in v} for t, v in ids.items()}}
    del by_seed[1]["a"][ids["a"][0]]  # seed 1's cell did not score one pair
    run = load_run(seeded_sweep(tmp_path / "s", by_seed))
    assert run.not_every_seed == 1 and ids["a"][0] not in run.outcomes[("a", "heldout_all")]
    assert set(run.outcomes[("a", "heldout_all")].values()) == {0.5}
    doc = compare_runs([run, load_run(tmp_path / "s", seeds=[0])], samples=200)
    assert "(1 pairs not scored by every seed's cell left out)" in notes(doc)[0]


def test_sweep_seeds_that_a_sweep_lacks_are_a_clear_error(tmp_path, loo_sweep, seeded_sweep):
    ids = {"a": {"a1:x:y": 1.0}, "b": {"b1:x:y": 0.0}}
    seeded = seeded_sweep(tmp_path / "s", {0: ids, 1: ids})
    with pytest.raises(ConfigError, match="no cells of seed 5 .its seeds: 0, 1."):
        load_run(seeded, seeds=[0, 5])
    with pytest.raises(ConfigError, match="has no --seeds cells"):
        load_run(loo_sweep(tmp_path / "plain", ids), seeds=[1])
    (seeded / "cells" / "loo-b-seed1" / "results.json").unlink()
    from rmbench.errors import DataError

    with pytest.raises(DataError, match=r"cell of b \(seed 1\) is not finished"):
        load_run(seeded)
    assert load_run(seeded, seeds=[0]).seeds == [0]  # the finished seed alone still reads


def test_seeds_text_says_in_how_many_seeds_a_verdict_holds():
    def over(better, worse, n):
        return {"seeds": list(range(n)), "better": better, "worse": worse}
    assert seeds_text(over(2, 0, 3)) == "better in 2 of 3"
    assert seeds_text(over(0, 3, 3)) == "worse in 3 of 3"
    assert seeds_text(over(1, 1, 3)) == "better in 1, worse in 1 of 3"
    assert seeds_text(over(0, 0, 2)) == "in none of 2"
    assert seeds_text(None) is None
    # a row too small for any seed's verdict says so, not "in none of 2" (read as two clear ties)
    small = {**over(0, 0, 2), "by_seed": [{"seed": s, "verdict": "too small"} for s in (0, 1)]}
    assert seeds_text(small) == "too small"
    tied = {**over(0, 0, 2), "by_seed": [{"seed": s, "verdict": "no difference detected"} for s in (0, 1)]}
    assert seeds_text(tied) == "in none of 2"


def test_holm_verdicts_count_every_row_of_a_run_as_one_family(tmp_path, write_run_folder, pair_ids):
    from rmbench.eval.compare import adjust

    def row(p, d, too_small=False):
        return {"p": p, "diff": {"value": d}, "too_small": too_small}
    rows = adjust([row(0.01, -0.1), row(0.03, 0.2), row(0.04, 0.1), row(0.001, 0.3, too_small=True)])
    # three rows in the family: 3 x 0.01 = 0.03 is called; 2 x 0.03 = 0.06 and then 0.06 are not
    assert [r["p_holm"] for r in rows] == [0.03, 0.06, 0.06, None]
    assert [r["verdict_holm"] for r in rows] == ["worse", "no difference detected", "no difference detected", "too small"]
    ids = pair_ids(60)
    a = write_run_folder(tmp_path / "a", {pid: 1.0 for pid in ids})
    b = write_run_folder(tmp_path / "b", {pid: float(k % 2) for k, pid in enumerate(ids)})
    (r,) = compare_runs([load_run(a), load_run(b)], samples=500)["rows"]
    assert r["p"] == round(2 / 501, 6) and r["p_holm"] == r["p"] and r["verdict_holm"] == "worse"
    assert sheet(compare_runs([load_run(a), load_run(b)], samples=500)).records()[0]["verdict_holm"] == "worse"


def test_a_folder_of_run_folders_is_one_recipe_over_its_seeds(tmp_path, write_run_folder, pair_ids):
    import numpy as np

    rng = np.random.default_rng(5)
    ids = pair_ids(40, 3)

    def group(name, seeds):
        for s in seeds:
            d = write_run_folder(tmp_path / name / f"seed{s}", {p: float(rng.choice([0.0, 1.0])) for p in ids})
            doc = json.loads((d / "results.json").read_text())
            (d / "results.json").write_text(json.dumps({**doc, "config": {"seed": s}}))
        return tmp_path / name

    plain, poe = group("plain", [0, 1, 2]), group("poe", [0, 1, 2])
    a, b = load_run(plain), load_run(poe)
    assert a.seeds == [0, 1, 2] and sorted(a.by_seed) == [0, 1, 2] and a.label == "plain"
    mean = np.mean([[load_run(plain / f"seed{s}").outcomes[("t", "heldout_all")][p] for p in ids] for s in range(3)], axis=0)
    assert [a.outcomes[("t", "heldout_all")][p] for p in ids] == pytest.approx(mean.tolist())
    (row,) = compare_runs([a, b], samples=200)["rows"]
    for s, e in enumerate(row["over_seeds"]["by_seed"]):  # each seed: that seed's two runs compared alone
        (alone,) = compare_runs([load_run(plain / f"seed{s}"), load_run(poe / f"seed{s}")], samples=200)["rows"]
        assert e["diff"] == alone["diff"] and e["verdict"] == alone["verdict"]
    assert load_run(plain, seeds=[2, 0]).seeds == [2, 0]
    with pytest.raises(ConfigError, match="no run of seed 7"):
        load_run(plain, seeds=[7])
    # two runs of one seed, a folder that is not a run, runs of other data: each a clear error
    dup = group("dup", [0])
    shutil.copytree(dup / "seed0", dup / "again")
    with pytest.raises(ConfigError, match="both trained with seed 0"):
        load_run(dup)
    (plain / "plots").mkdir()
    with pytest.raises(ConfigError, match="plots: not a run folder"):
        load_run(plain)
    (plain / "plots").rmdir()
    other = write_run_folder(tmp_path / "x", {p: 1.0 for p in ids}, fingerprint="e" * 64)
    (other / "results.json").write_text(json.dumps({**json.loads((other / "results.json").read_text()),
                                                    "config": {"seed": 3}}))
    shutil.move(str(other), str(plain / "seed3"))
    with pytest.raises(ConfigError, match="different prepared data"):
        load_run(plain)


def test_a_task_one_run_held_out_and_the_other_trained_on_gets_no_verdict(tmp_path, write_run_folder, pair_ids):
    """The held-out accuracy of one run against the in-domain accuracy of a run that trained on
    the task answers no question: both figures are shown, no verdict is drawn, no pooled row
    or Holm family counts it, and the notes say why."""
    ids = pair_ids(60)
    a = write_run_folder(tmp_path / "a", {pid: float(k % 2) for k, pid in enumerate(ids)})
    b = write_run_folder(tmp_path / "b", {pid: 1.0 for pid in ids})
    for folder, role in ((a, "heldout"), (b, "in_domain")):
        doc = json.loads((folder / "results.json").read_text())
        (folder / "results.json").write_text(json.dumps({**doc, "results": {"t": {"role": role}}}))
    doc = compare_runs([load_run(a), load_run(b)], samples=300)
    (row,) = doc["rows"]
    assert (row["role"], row["role_this"], row["roles_differ"]) == ("heldout", "in_domain", True)
    assert row["diff"]["value"] == 0.5 and row["verdict"] == row["verdict_holm"] == "roles differ"
    rec = sheet(doc).records()[0]
    assert (rec["role"], rec["role_this"]) == ("heldout", "in_domain")
    assert any("t is in_domain there but heldout in a" in line for line in notes(doc))
    # the same two runs, both holding the task out: an ordinary verdict
    doc = json.loads((b / "results.json").read_text())
    (b / "results.json").write_text(json.dumps({**doc, "results": {"t": {"role": "heldout"}}}))
    (row,) = compare_runs([load_run(a), load_run(b)], samples=300)["rows"]
    assert row["roles_differ"] is False and row["verdict"] == "better"


def test_an_adapted_run_gets_a_verdict_against_a_held_out_one_only_on_posts_it_never_trained_on(
        tmp_path, write_run_folder, pair_ids):
    """sweep --adapt: the adapted model trained on some of the task's posts, never on those of
    heldout_unseen or test, so there its difference to the transfer model is a question; on
    any other split (a held-out run's heldout_all) it is not."""
    ids = pair_ids(60)
    for split, differ in (("heldout_unseen", False), ("test_hard", False), ("heldout_all", True)):
        a = write_run_folder(tmp_path / split / "a", {pid: float(k % 2) for k, pid in enumerate(ids)}, split=split)
        b = write_run_folder(tmp_path / split / "b", {pid: 1.0 for pid in ids}, split=split)
        for folder, role in ((a, "heldout"), (b, "adapted")):
            doc = json.loads((folder / "results.json").read_text())
            (folder / "results.json").write_text(json.dumps({**doc, "results": {"t": {"role": role}}}))
        doc = compare_runs([load_run(a), load_run(b)], samples=300)
        (row,) = doc["rows"]
        assert (row["split"], row["role"], row["role_this"], row["roles_differ"]) == (split, "heldout", "adapted", differ)
        assert row["verdict"] == ("roles differ" if differ else "better")
        assert any("t is adapted in one run and held out in the other" in line for line in notes(doc)) != differ


def _recorded(path: Path, **changes) -> Path:
    """A run folder whose results.json records a config, the code and the machine, as a real run's does."""
    doc = json.loads((path / "results.json").read_text())
    doc.update({"config": {"seed": 0, "out": str(path), "train": {"learning_rate": 1e-4}}, "rmbench_version": "0.1.0",
                "git_commit": "a" * 40, "hardware": {"device": "cpu", "torch": "2.13.0", "cpu": "X", "cpu_bf16": True,
                                                     "torch_threads": 2}})
    for key, value in changes.items():
        section, _, name = key.partition("__")
        doc[section][name] = value
    (path / "results.json").write_text(json.dumps(doc))
    return path


def test_each_run_says_what_it_differs_in_from_the_first(tmp_path, write_run_folder, pair_ids):
    """Config keys, the code and the machine: named per run, the output folder never; a run that
    differs only in where it ran says so; one that differs in nothing recorded says that."""
    ids = pair_ids(30)
    outcome = {pid: 1.0 for pid in ids}
    first = _recorded(write_run_folder(tmp_path / "a", outcome))
    same = _recorded(write_run_folder(tmp_path / "same", outcome))
    threads = _recorded(write_run_folder(tmp_path / "threads", outcome), hardware__torch_threads=1)
    rate = _recorded(write_run_folder(tmp_path / "rate", outcome), hardware__cpu="Y")
    doc_rate = json.loads((rate / "results.json").read_text())
    doc_rate["config"]["train"]["learning_rate"] = 2e-5
    (rate / "results.json").write_text(json.dumps(doc_rate))
    bare = write_run_folder(tmp_path / "bare", outcome)  # no config recorded: nothing said about it
    doc = compare_runs([load_run(p) for p in (first, same, threads, rate, bare)])
    differs = {r["label"]: r["differs"] for r in doc["runs"]}
    assert differs["same"] == [] and differs["bare"] is None and differs["a"] is None
    assert differs["threads"] == [{"key": "hardware.torch_threads", "first": 2, "this": 1}]
    assert [d["key"] for d in differs["rate"]] == ["config.train.learning_rate", "hardware.cpu"]
    said = notes(doc)
    assert "same: the same config, model, data, code and machine as a" in said[0]
    assert said[1] == "threads differs from a in: hardware.torch_threads 2 -> 1 -- only where it ran, so the difference is the machine's"
    assert said[2] == "rate differs from a in: config.train.learning_rate 0.0001 -> 2e-05; hardware.cpu X -> Y"
    assert len(said) == 3 and "threads differs from a in" in markdown(doc)
    # evaluate leaves data.holdout empty where run sets it: shown quoted, not as a blank
    assert difference_note("run", "eval", [{"key": "config.data.holdout", "first": "", "this": "askacademia"}]) == \
        'run differs from eval in: config.data.holdout "" -> askacademia'


def test_adapted_cells_name_how_they_were_fine_tuned(tmp_path, write_run_folder, pair_ids):
    """Two sweep --adapt cells of one draw that chose their checkpoints differently say so."""
    ids = pair_ids(30)
    cells = []
    for name, select in (("own", "own"), ("held", "held-in")):
        cell = _recorded(write_run_folder(tmp_path / name, {pid: 1.0 for pid in ids}))
        doc = json.loads((cell / "results.json").read_text())
        doc["model"]["training"] = {"mixed_precision": "bf16", "adapt": {"k": 100, "seed": 1, "select": select,
                                                                         "kept": "start", "pairs": 100}}
        (cell / "results.json").write_text(json.dumps(doc))
        cells.append(load_run(cell))
    (run,) = compare_runs(cells)["runs"][1:]
    assert run["differs"] == [{"key": "adapt.select", "first": "own", "this": "held-in"}]  # kept, pairs: outcomes


def test_fine_tuned_cells_of_two_sweeps_compare_by_their_starting_weights_not_folders(
        tmp_path, write_run_folder, pair_ids):
    """A fine-tuned cell's config.model.name is its base cell's folder: two sweeps' cells that
    started from the same weights differ in nothing; from other weights, in adapt.start_weights."""
    ids = pair_ids(30)
    docs = {}
    for name, folder, start in (("a", "/s1/transfer/model", "1" * 64), ("b", "/s2/transfer/model", "1" * 64),
                                ("c", "/s3/transfer/model", "2" * 64)):
        cell = _recorded(write_run_folder(tmp_path / name, {pid: 1.0 for pid in ids}))
        doc = json.loads((cell / "results.json").read_text())
        doc["config"].setdefault("model", {})["name"] = folder
        doc["model"]["start_weights_sha256"] = start
        (cell / "results.json").write_text(json.dumps(doc))
        docs[name] = load_run(cell)
    differs = {r["label"]: r["differs"] for r in compare_runs([docs["a"], docs["b"], docs["c"]])["runs"]}
    assert differs["b"] == []
    assert differs["c"] == [{"key": "adapt.start_weights", "first": "1" * 16, "this": "2" * 16}]
