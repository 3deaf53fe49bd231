"""`rmbench evaluate --model rewards:FILE`: rewards scored outside rmbench get the whole card.

A file of each pair's response lengths is baseline:longer scored elsewhere, so its card must be
longer's to the digit; bad lines are dropped and counted, never fatal; a split the file lacks is
left out and named, one it has in part is refused."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from rmbench.cli import main
from rmbench.errors import DataError
from rmbench.eval.external import ExternalRewards, parse_rewards_model

REPO = Path(__file__).resolve().parents[2]
# the fixture's reference is small: confounds and the stacked fit are fitted on what it has
LOOSE = ["--set", "eval.min_fit_pairs=50", "--set", "eval.min_fit_posts=10", "--set", "eval.bootstrap_samples=200",
         "--set", "eval.min_report_pairs=20", "--set", "eval.min_report_posts=5"]


@pytest.fixture(scope="module")
def data(tmp_path_factory, write_prepared) -> Path:
    def own_ids(task, split, rows):  # the fixture's test_hard reuses test's pair ids for other texts; prepare never does
        if split == "test_hard":
            for r in rows:
                post, chosen, rejected = r["pair_id"].split(":")
                r["pair_id"] = f"{post}:h{chosen}:h{rejected}"

    return write_prepared(tmp_path_factory.mktemp("prepared") / "data", edit=own_ids)


def lengths_file(data: Path, out: Path, splits: dict[str, tuple[str, ...]], extra: list[str] = ()) -> Path:
    """Every pair of ``splits`` (task -> split files) with len(text) as its rewards: baseline:longer,
    written as an outside scorer would, from the prepared rows (or an export's)."""
    lines = list(extra)
    for task, names in splits.items():
        for name in names:
            for line in (data / task / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
                row = json.loads(line)
                lines.append(json.dumps({"pair_id": row["pair_id"], "reward_chosen": len(row["chosen"]),
                                         "reward_rejected": len(row["rejected"]), "note": "extra keys are ignored"}))
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


# heldout_all is train + validation + test, heldout_all_hard is all_hard; test_hard is in all_hard
# where prepare wrote them (not in this fixture), and a pair given twice alike is read once
EVERY = ("train", "validation", "test", "test_hard", "all_hard")


def evaluate(data: Path, model: str, out: Path, *extra: str):
    return CliRunner().invoke(main, ["evaluate", "--model", model, "--data", str(data), "--tasks", "writingprompts",
                                     "--out", str(out), "--quiet", *LOOSE, *extra], catch_exceptions=False)


def test_a_file_of_lengths_scores_exactly_as_baseline_longer(data, tmp_path):
    rewards = lengths_file(data, tmp_path / "r.jsonl", {"writingprompts": EVERY, "askacademia": ("validation",),
                                                         "gradschool": ("validation",)})
    assert evaluate(data, "baseline:longer", tmp_path / "longer").exit_code == 0
    res = evaluate(data, f"rewards:{rewards}", tmp_path / "ext")
    assert res.exit_code == 0, res.output
    want = json.loads((tmp_path / "longer" / "results.json").read_text())
    doc = json.loads((tmp_path / "ext" / "results.json").read_text())
    schema = json.loads((REPO / "benchmark" / "eval" / "results.schema.json").read_text())
    jsonschema.validate(doc, schema)
    assert doc["model"]["model_kind"] == "external" and doc["model"]["parameters"] is None
    assert doc["model"]["rewards_file"]["dropped"] == {} and doc["model"]["rewards_file"]["splits_left_out"] == []
    splits = doc["results"]["writingprompts"]["splits"]
    assert set(splits) == set(want["results"]["writingprompts"]["splits"]) >= {"heldout_all", "test", "test_hard"}
    for name, card in splits.items():
        base = want["results"]["writingprompts"]["splits"][name]
        assert (card["n"], card["accuracy"], card["ci95"]) == (base["n"], base["accuracy"], base["ci95"])
        assert card["truncated"] == {"unknown": True, "inputs": 2 * card["n"]}  # not known: never claimed 0
        assert card["stacked"].get("diff") == base["stacked"].get("diff")  # the same margins, the same fit
    assert doc["stacked"]["available"] is True and doc["stacked"] == want["stacked"]
    report = (tmp_path / "ext" / "report.md").read_text()
    assert "parameters not known to rmbench" in report and f"`{rewards}`" in report


def test_bad_lines_are_counted_and_a_repeat_keeps_its_first_rewards(tmp_path):
    good = {"pair_id": "p:a:b", "reward_chosen": 1, "reward_rejected": 0.5}
    lines = [json.dumps(good), "", "{not json", '{"pair_id": "p:c:d", "reward_chosen": NaN, "reward_rejected": 0}',
             json.dumps({"reward_chosen": 1, "reward_rejected": 0}), json.dumps([1, 2]),
             json.dumps({"pair_id": "p:e:f", "reward_chosen": True, "reward_rejected": 0}),
             json.dumps({**good, "reward_chosen": 3}), json.dumps(good),
             json.dumps({"pair_id": "p:g:h", "reward_chosen": "1", "reward_rejected": 0}),
             '{"pair_id": "p:i:j", "reward_chosen": 1' + "0" * 400 + ', "reward_rejected": 0}']
    path = tmp_path / "r.jsonl"
    path.write_text("\ufeff" + "\n".join(lines) + "\r\n", encoding="utf-8")  # a BOM and a CRLF, as Windows tools write
    r = ExternalRewards(path)
    assert r.by_pair == {"p:a:b": (1.0, 0.5)} and r.lines == 11
    assert r.dropped == {"not_json": 2, "no_pair_id": 1, "not_an_object": 1, "reward_not_a_finite_number": 3,
                         "repeated_pair_differs_first_kept": 1}
    assert r.first_lines["not_json"] == [3, 4] and r.first_lines["reward_not_a_finite_number"] == [7, 10, 11]
    assert "not_json: 2 (first at line 3, 4)" in r.summary()
    path.write_text("{oops\n", encoding="utf-8")
    with pytest.raises(DataError, match="no usable line in 1 .*not_json: 1"):
        ExternalRewards(path)
    with pytest.raises(DataError, match="no such file"):
        ExternalRewards(tmp_path / "absent.jsonl")
    assert parse_rewards_model("rewards:x.jsonl") == "x.jsonl" and parse_rewards_model("minilm") is None


def test_a_split_the_file_lacks_is_left_out_and_named_and_part_of_one_is_refused(data, tmp_path):
    no_hard = lengths_file(data, tmp_path / "r.jsonl", {"writingprompts": ("train", "validation", "test")})
    res = evaluate(data, f"rewards:{no_hard}", tmp_path / "ext")
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "ext" / "results.json").read_text())
    assert set(doc["results"]["writingprompts"]["splits"]) == {"heldout_all", "test"}
    assert doc["model"]["rewards_file"]["splits_left_out"] == ["writingprompts/test_hard"]
    assert doc["stacked"]["available"] is False and "validation pairs of askacademia, gradschool" in doc["stacked"]["reason"]

    rows = (data / "writingprompts" / "test.jsonl").read_text(encoding="utf-8").splitlines()
    part = lengths_file(data, tmp_path / "part.jsonl", {"writingprompts": ("train", "validation")},
                        extra=[json.dumps({"pair_id": json.loads(rows[0])["pair_id"], "reward_chosen": 1,
                                           "reward_rejected": 0})])
    res = CliRunner().invoke(main, ["evaluate", "--model", f"rewards:{part}", "--data", str(data), "--tasks",
                                    "writingprompts", "--out", str(tmp_path / "part"), "--quiet", *LOOSE])
    assert res.exit_code == 1
    assert "writingprompts/heldout_all" in res.output and "score every pair of a split, or none of it" in res.output


def test_a_file_that_cannot_be_read_leaves_no_run_directory(data, tmp_path):
    res = CliRunner().invoke(main, ["evaluate", "--model", f"rewards:{tmp_path / 'absent.jsonl'}", "--data",
                                    str(data), "--out", str(tmp_path / "out"), "--quiet"])
    assert res.exit_code == 1 and "no such file" in res.output
    assert not (tmp_path / "out").exists()


def test_an_entry_of_outside_rewards_validates_and_is_never_re_scored(data, tmp_path):
    from rmbench.leaderboard.cli import leaderboard_group
    from rmbench.leaderboard.tracks import freeze

    board = tmp_path / "leaderboard"
    freeze(board, data, "demo", ["writingprompts"], "demo")
    rewards = lengths_file(data, tmp_path / "r.jsonl", {"writingprompts": EVERY})
    assert evaluate(data, f"rewards:{rewards}", tmp_path / "run").exit_code == 0
    res = CliRunner().invoke(main, ["submit", str(tmp_path / "run"), "--name", "outside", "--leaderboard-dir", str(board)])
    assert res.exit_code == 0, res.output
    board_cmd = lambda *a: CliRunner().invoke(leaderboard_group, [*a, "--leaderboard-dir", str(board)])  # noqa: E731
    res = board_cmd("validate")
    assert res.exit_code == 0, res.output
    res = board_cmd("verify", "outside")
    assert res.exit_code == 1 and "rewards scored outside rmbench" in res.output  # nothing to re-score it with
    res = board_cmd("show", "--format", "tsv")
    header, row = res.output.splitlines()[:2]
    cells = dict(zip(header.split("\t"), row.split("\t")))
    assert cells["model"] == "outside" and cells["badge"] == "self-reported" and cells["parameters"] == ""


@pytest.mark.slow  # prepare, export and evaluate on the demo: ~20 s
def test_the_readme_snippet_runs_as_written(tmp_path):
    import os
    import re
    import subprocess
    import sys

    text = (REPO / "README.md").read_text(encoding="utf-8")
    code = re.search(r"```bash\n(.*?)```", text[text.index("<!-- readme-rewards-snippet"):], re.S).group(1)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    res = subprocess.run(["bash", "-euo", "pipefail", "-c", code], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    doc = json.loads((tmp_path / "runs" / "my-model" / "results.json").read_text())
    assert doc["model"]["id"] == "rewards:rewards.jsonl" and doc["model"]["rewards_file"]["dropped"] == {}
    assert set(doc["results"]["writingprompts"]["splits"]) == {"heldout_all", "heldout_all_hard", "test", "test_hard"}
    assert doc["stacked"]["available"] is True  # the other tasks' validation pairs were scored too
