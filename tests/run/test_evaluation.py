"""What a run scores against what: contamination dropped and counted, baseline:confounds
evaluated like a model, data without timestamps, the headline splits."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from rmbench.cli import main

SIZES = {"writingprompts": {"train": 30, "validation": 9, "test": 60, "test_hard": 12, "all_hard": 24},
         "askacademia": {"train": 60, "validation": 9, "test": 30}}
# The fixture's reference has 60 training pairs: a fit the default eval.min_fit_pairs refuses.
LOW_FIT_BAR = ("--set", "eval.min_fit_pairs=50", "--set", "eval.min_fit_posts=10")
SHARED_POST = "I was accepted to two programs and cannot decide between them, what should I weigh first?"
SHARED_ANSWER = "Talk to the current students of both labs before you decide, they will tell you what the advisors do not."


def contaminate(task, split, rows):
    """The held-out test shares one post (3 pairs) and one response with the held-in train split."""
    if task == "writingprompts" and split == "test":
        for r in rows[:3]:
            r["prompt"] = SHARED_POST
        rows[4]["chosen"] = SHARED_ANSWER.upper() + "!!"  # normalized: the same text
    if task == "askacademia" and split == "train":
        rows[0]["prompt"] = SHARED_POST
        rows[5]["rejected"] = SHARED_ANSWER


def evaluate(data, out, *args):
    result = CliRunner().invoke(main, ["evaluate", "--data", str(data), "--out", str(out), "--quiet",
                                       "--set", "eval.bootstrap_samples=200", *args])
    return result, (json.loads((out / "results.json").read_text()) if (out / "results.json").is_file() else None)


@pytest.fixture(scope="module")
def data(tmp_path_factory, write_prepared):
    return write_prepared(tmp_path_factory.mktemp("ev") / "data", SIZES, edit=contaminate)


def test_contaminated_heldout_pairs_are_dropped_and_counted(data, tmp_path):
    result, doc = evaluate(data, tmp_path / "a", "--model", "baseline:longer", "--tasks", "writingprompts")
    assert result.exit_code == 0, result.output
    c = doc["results"]["writingprompts"]["contamination"]
    assert c["checked_against"] == ["askacademia"] and c["kept"] is False
    assert c["pairs"]["test"] == 4 and c["pairs"]["heldout_all"] == 4 and c["by_reason"] == {"prompt": 3, "response": 1}
    splits = doc["results"]["writingprompts"]["splits"]
    assert splits["test"]["n"] == 56 and splits["heldout_all"]["n"] == 30 + 9 + 56
    assert doc["contamination"]["writingprompts"] == c
    assert "pairs dropped: heldout_all 4, test 4" in (tmp_path / "a" / "report.md").read_text()
    result, kept = evaluate(data, tmp_path / "b", "--model", "baseline:longer", "--tasks", "writingprompts",
                            "--keep-contaminated")
    assert kept["results"]["writingprompts"]["splits"]["test"]["n"] == 60
    assert kept["results"]["writingprompts"]["contamination"]["kept"] is True


def test_headline_splits_and_the_confounds_baseline_beside_every_rule(data, tmp_path):
    from rmbench.eval.confounds import ConfoundsModel
    from rmbench.eval.metrics import pair_outcomes
    from rmbench.prepared.load import load_split

    result, doc = evaluate(data, tmp_path / "c", "--model", "baseline:confounds", "--tasks", "writingprompts",
                           *LOW_FIT_BAR)
    assert result.exit_code == 0, result.output
    assert doc["model"]["kind"] == "baseline" and doc["model"]["confounds"]["fit_tasks"] == ["askacademia"]
    conf = doc["confounds"]
    assert conf["available"] and conf["train_pairs"] == 60 and set(conf["coefficients"]) >= {"log_chars", "links"}
    assert (conf["fit_pairs"], conf["fit_posts"]) == (60, 20)
    splits = doc["results"]["writingprompts"]["splits"]
    assert list(splits) == ["heldout_all", "heldout_all_hard", "test", "test_hard"]
    assert set(doc["summary"]["headline"]) == {"heldout_all", "heldout_all_hard"}
    # the stored coefficients re-score the split to the same accuracy (what a leaderboard check needs)
    model = ConfoundsModel.from_dict(conf)
    rows = load_split(data, "writingprompts", "heldout_all_hard")
    assert splits["heldout_all_hard"]["accuracy"] == pytest.approx(float(pair_outcomes(*model.rewards(rows)).mean()),
                                                                  abs=1e-6)
    assert splits["test"]["baselines"]["confounds"]["diff"] == 0.0  # the model is the baseline


def test_data_without_timestamps(tmp_path, write_prepared):
    def no_times(task, split, rows):
        for r in rows:
            r["chosen_created_utc"] = r["rejected_created_utc"] = r["chosen_delay_s"] = r["rejected_delay_s"] = None

    data = write_prepared(tmp_path / "shp", SIZES, edit=no_times)
    result, doc = evaluate(data, tmp_path / "l", "--model", "baseline:longer", "--tasks", "writingprompts")
    assert result.exit_code == 0, result.output
    test = doc["results"]["writingprompts"]["splits"]["test"]
    assert test["baselines"]["later"]["applicable"] is False and test["best_baseline"] not in ("later", "earlier")
    result, _ = evaluate(data, tmp_path / "t", "--model", "baseline:later", "--tasks", "writingprompts")
    assert result.exit_code != 0 and "not applicable" in result.output and "Traceback" not in result.output


def test_a_limited_split_says_which_sample_it_is_everywhere(data, tmp_path):
    """--limit draws a sample: results.json, report.md and the summary table say "sample of N
    pairs from M of K posts", never "every post"; a whole split has no sample block. Every
    split says its posts and its largest post's share of the pairs."""
    from collections import Counter

    from rmbench.eval.report import summary_sheet
    from rmbench.prepared.manifest import Prepared
    from rmbench.prepared.load import load_split

    result, doc = evaluate(data, tmp_path / "s", "--model", "baseline:longer", "--tasks", "writingprompts",
                           "--limit", "20", "--keep-contaminated")
    assert result.exit_code == 0, result.output
    splits = doc["results"]["writingprompts"]["splits"]
    every = Prepared.open(data).posts("writingprompts", "heldout_all")
    card = splits["heldout_all"]
    want = f"sample of 20 pairs from {card['posts']} of {every} posts"
    assert card["n"] == 20 and card["sample"] == {"pairs": 20, "posts": card["posts"], "of_posts": every, "label": want}
    assert "sample" not in splits["test_hard"]  # 12 pairs: under the limit, scored whole
    report = (tmp_path / "s" / "report.md").read_text()
    assert f"**heldout_all** (writingprompts: {want})" in report and f"| heldout_all ({want}) |" in report
    assert "every post of the held-out task)" not in report.split("| task |")[0]
    sheet = summary_sheet(doc)
    assert f"heldout_all ({want})" in [row[1] for row in sheet.rows]
    rows = load_split(data, "writingprompts", "test")
    share = max(Counter(r["post_id"] for r in rows).values()) / len(rows)
    _, whole = evaluate(data, tmp_path / "w", "--model", "baseline:longer", "--tasks", "writingprompts",
                        "--keep-contaminated")
    assert whole["results"]["writingprompts"]["splits"]["test"]["largest_post_share"] == pytest.approx(share, abs=1e-4)
    assert all("sample" not in c for c in whole["results"]["writingprompts"]["splits"].values())


def test_a_task_with_every_pair_contaminated_fails_before_anything_is_written(tmp_path, write_prepared,
                                                                             tiny_bert_dir):
    """Not the results schema's "results: {} should be non-empty": the task, the count, the
    reference task that holds the copies and --keep-contaminated, and no run directory (run:
    before it trains)."""
    def copied(task, split, rows):
        if task == "writingprompts" or (task == "askacademia" and split == "train"):
            for r in rows:
                r["prompt"] = SHARED_POST

    data = write_prepared(tmp_path / "dup", SIZES, edit=copied)
    result, _ = evaluate(data, tmp_path / "e", "--model", "baseline:longer", "--tasks", "writingprompts")
    assert result.exit_code != 0 and "Traceback" not in result.output and "schema" not in result.output
    out = " ".join(result.output.split())
    assert "writingprompts: all 99 held-out pairs of heldout_all are contaminated" in out
    assert "reference task(s) askacademia (99 of them) --" in out and "--keep-contaminated" in out
    assert not (tmp_path / "e").exists()
    tiny = tiny_bert_dir(tmp_path / "tiny")
    ran = CliRunner().invoke(main, ["run", "--holdout", "writingprompts", "--data", str(data), "--model", str(tiny),
                                    "--out", str(tmp_path / "r"), "--quiet"])
    assert ran.exit_code != 0 and "all 99 held-out pairs" in ran.output and not (tmp_path / "r").exists()
    result, doc = evaluate(data, tmp_path / "k", "--model", "baseline:longer", "--tasks", "writingprompts",
                           "--keep-contaminated")
    assert result.exit_code == 0 and doc["results"]["writingprompts"]["contamination"]["pairs"]["heldout_all"] == 99
