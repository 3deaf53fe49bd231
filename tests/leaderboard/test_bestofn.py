"""The Best-of-N column: `rmbench submit --best-of-n BON_DIR` attaches an `rmbench agent bon`
run of the same reward model; validate recomputes its win rate from the rounds and refuses a
changed number or another model's run; the board shows it (and '—' for entries without one)."""

from __future__ import annotations

import json
import random

from click.testing import CliRunner

from rmbench.leaderboard.cli import leaderboard_group, submit_cmd

WEIGHTS = "ab" * 32  # the conftest results' model.weights_sha256


class Table:
    def __init__(self, table):
        self.table = table

    def score(self, prompts, responses):
        return [self.table[r] for r in responses]


def write_bon(out, data_dir, tmp_path, weights: str = WEIGHTS):
    """A real bon results.json + predictions.jsonl, from constructed stories and scorers."""
    from rmbench.agent.bon import best_of_n, results_json
    from rmbench.atomic import write_text
    from rmbench.eval.results import write_results
    from rmbench.prepared.manifest import Prepared

    rng = random.Random(0)
    prompts = [f"[WP] prompt {i}" for i in range(120)]
    stories = [[f"story {i}-{k} " + "w " * rng.randint(1, 30) for k in range(4)] for i in range(120)]
    quality = {s: rng.random() for row in stories for s in row}
    noisy = {s: q + rng.gauss(0, 0.3) for s, q in quality.items()}  # a reward model that mostly agrees
    m = best_of_n(prompts, stories, Table(noisy), Table(quality), seed=0)
    doc = results_json(m, reward_model=str(tmp_path / "rm"), generator_dir="gen", judge_path=str(tmp_path / "judge"),
                       data=Prepared.open(data_dir), data_task="writingprompts", config={"seed": 0}, wall_time_s=1.0)
    doc["model"]["weights_sha256"] = weights  # as if hashed from the submitted model's directory
    out.mkdir(parents=True)
    write_results(out / "results.json", doc)
    write_text(out / "predictions.jsonl", "".join(json.dumps(r) + "\n" for r in m["rows"]))
    return out, m


def _submit(board, run, *args):
    return CliRunner().invoke(submit_cmd, [str(run), "--leaderboard-dir", str(board), *args])


def _show(board) -> dict:
    r = CliRunner().invoke(leaderboard_group, ["show", "--leaderboard-dir", str(board), "--format", "json"])
    assert r.exit_code == 0, r.output
    return {row["model"]: row for t in json.loads(r.output)["tracks"] for row in t["rows"]}


def test_best_of_n_is_attached_recomputed_and_shown(tmp_path, make_board, make_results, write_run):
    board, data = make_board(tmp_path)
    run = write_run(tmp_path / "run", make_results(data, ["writingprompts"]))
    bon, m = write_bon(tmp_path / "bon", data, tmp_path)
    assert _submit(board, run, "--name", "plain").exit_code == 0
    r = _submit(board, run, "--name", "with-bon", "--best-of-n", str(bon))
    assert r.exit_code == 0, r.output
    check = CliRunner().invoke(leaderboard_group, ["validate", "--leaderboard-dir", str(board)])
    assert check.exit_code == 0, check.output
    rows = _show(board)
    assert rows["with-bon"]["best_of_n_pct"] == round(100 * m["win_rate"]["accuracy"], 1) > 60
    assert rows["with-bon"]["best_of_n_ci95_low_pct"] > 50 and rows["plain"]["best_of_n_pct"] is None
    # the site's index has the column on a track where an entry has a best-of-N result, and only there
    from rmbench.leaderboard.pages import site_columns
    from rmbench.leaderboard.ranking import load_board

    loaded = load_board(board)
    keys = lambda rows: [c.key for c in site_columns(loaded.tracks["demo"], rows)]  # noqa: E731
    assert "best_of_n" in keys(loaded.rows["demo"])
    assert "best_of_n" not in keys([r for r in loaded.rows["demo"] if r.name == "plain"])


def test_a_changed_win_rate_or_another_models_run_is_refused(tmp_path, make_board, make_results, write_run):
    board, data = make_board(tmp_path)
    run = write_run(tmp_path / "run", make_results(data, ["writingprompts"]))
    other, _ = write_bon(tmp_path / "other", data, tmp_path, weights="cd" * 32)
    r = _submit(board, run, "--name", "other-bon", "--best-of-n", str(other))
    assert r.exit_code != 0 and "[best_of_n]" in r.output and "not the submitted one" in r.output
    bon, m = write_bon(tmp_path / "bon", data, tmp_path)
    doc = json.loads((bon / "results.json").read_text())
    doc["results"]["best-of-n"]["splits"]["test"]["accuracy"] = 0.99  # a better number than its rounds give
    (bon / "results.json").write_text(json.dumps(doc))
    r = _submit(board, run, "--name", "edited-bon", "--best-of-n", str(bon))
    assert r.exit_code != 0 and "[recomputed]" in r.output and "best-of-n" in r.output
    assert not list((board / "submissions").glob("*bon.json"))
