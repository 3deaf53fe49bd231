"""rmbench.eval.compare: runs paired on the pairs they share."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rmbench.errors import ConfigError
from rmbench.eval.compare import compare_runs, labels_for, load_run, markdown, notes, sheet


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


def _loo_sweep(path: Path, outcomes: dict[str, dict[str, float]], model: str = "m") -> Path:
    """A `sweep --leave-one-out` folder: per task a cell holding it out, whose predictions also
    carry another task's in-domain rows (which the comparison must leave out)."""
    tasks = list(outcomes)
    path.mkdir(parents=True)
    (path / "sweep.json").write_text(json.dumps({"kind": "rmbench.sweep", "leave_one_out": {"tasks": tasks}}))
    for t in tasks:
        cell = path / "cells" / f"loo-{t}"
        cell.mkdir(parents=True)
        other = next(u for u in tasks if u != t)
        (cell / "results.json").write_text(json.dumps({
            "model": {"id": model}, "synthetic_data": False, "data": {"manifest_fingerprint": "f" * 64},
            "results": {t: {"role": "heldout"}, other: {"role": "in_domain"}}}))
        rows = [{"task": t, "split": "heldout_all", "pair_id": pid, "reward_chosen": o, "reward_rejected": 0.5}
                for pid, o in outcomes[t].items()]
        rows += [{"task": other, "split": "test", "pair_id": pid, "reward_chosen": 1.0, "reward_rejected": 0.0}
                 for pid in list(outcomes[other])[:5]]
        (cell / "predictions.jsonl").write_text("\n".join(map(json.dumps, rows)) + "\n")
    return path


def test_leave_one_out_sweeps_compare_per_task_and_pooled(tmp_path):
    import numpy as np

    from rmbench.eval.metrics import percentile_interval, post_ids_of, stratified_means

    rng = np.random.default_rng(1)
    ids = {"a": [f"a{i}:x:{j}" for i in range(40) for j in range(3)], "b": [f"b{i}:x:{j}" for i in range(25) for j in range(2)]}
    first = {t: {pid: float(rng.integers(0, 2)) for pid in v} for t, v in ids.items()}
    second = {t: {pid: float(rng.integers(0, 2)) for pid in v} for t, v in ids.items()}
    doc = compare_runs([load_run(_loo_sweep(tmp_path / "s1", first)), load_run(_loo_sweep(tmp_path / "s2", second))],
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


def test_a_sweep_that_is_not_leave_one_out_or_unfinished_is_a_clear_error(tmp_path):
    from rmbench.errors import DataError

    plain = tmp_path / "curves"
    plain.mkdir()
    (plain / "sweep.json").write_text(json.dumps({"kind": "rmbench.sweep", "learning_curves": {}}))
    with pytest.raises(ConfigError, match="without --leave-one-out"):
        load_run(plain)
    half = _loo_sweep(tmp_path / "half", {"a": {"a1:x:y": 1.0}, "b": {"b1:x:y": 0.0}})
    (half / "cells" / "loo-b" / "predictions.jsonl").unlink()
    with pytest.raises(DataError, match="cell of b is not finished"):
        load_run(half)
