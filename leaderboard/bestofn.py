"""Best-of-N on the leaderboard: a reward model's ``rmbench agent bon`` result, attached with
``rmbench submit RUN --best-of-n BON_DIR`` and shown as its own column.

The submission's ``best_of_n`` block holds the bon run's results.json unchanged and one row
per round, ``[prompt cluster, judge reward of the pick, judge reward of the random story]``
(the cluster is a short hash of the prompt: the board never needs the text). As for the
ranking, the board shows what it recomputes, never a submitted number: validate recomputes
the win rate and its prompt-clustered interval from the rows with the harness's functions,
checks that they are what the bon run reported, and that the reward model that picked is the
submitted one (the same weights hash). Best-of-N is not ranked on: it is a second, downstream
view of the same model, and entries without one show "-".
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from rmbench.errors import LeaderboardError

KEY = "best-of-n"  # rmbench.agent.bon.KEY (not imported: the board must not load the agent's models)
MAX_ROUNDS = 5000  # a bon run of thousands of prompts; the block stays far under the file limit
TOLERANCE = 1e-6  # the bon results.json rounds accuracies to 6 decimals


def cluster(prompt: str) -> str:
    return hashlib.sha256(prompt.encode()).hexdigest()[:12]


def bon_block(bon_dir: Path) -> dict:
    """The submission block of a bon run directory (its results.json and predictions.jsonl)."""
    from rmbench.jsonl import read_jsonl
    from rmbench.leaderboard.store import read_json

    res_path, rows_path = bon_dir / "results.json", bon_dir / "predictions.jsonl"
    if not res_path.is_file() or not rows_path.is_file():
        raise LeaderboardError(f"{bon_dir}: not an `rmbench agent bon` run (results.json and predictions.jsonl)")
    results = read_json(res_path)
    rows = [[cluster(r["prompt"]), r["judge_picked"], r["judge_random"]] for r in read_jsonl(rows_path)]
    return {"results": results, "rounds": rows}


def recompute(block: dict) -> dict:
    """{n, rounds, win_rate, ci95} from the rows, through the harness's bootstrap."""
    from rmbench.eval.metrics import INTERVAL_RULES, accuracy_with_ci, pair_outcomes, recorded_rule, using_interval

    rows = block["rounds"]
    wins = [float(x) for x in pair_outcomes([r[1] for r in rows], [r[2] for r in rows])]
    seed = ((block["results"].get("config") or {}).get("seed")) or 0  # the bon run's own resamples
    rule = recorded_rule(block["results"])  # and its own interval rule (shown, not checked)
    with using_interval(rule if rule in INTERVAL_RULES else "expanded"):
        scored = accuracy_with_ci(wins, seed=seed, clusters=[r[0] for r in rows])
    n = (block["results"]["results"][KEY].get("best_of_n") or {}).get("n")
    return {"n": n, "rounds": len(rows), "win_rate": scored["accuracy"], "ci95": scored["ci95"]}


def bon_problems(sub: dict) -> list[tuple[str, str, str]]:
    """(rule, where, message) for a submission's best_of_n block; none when it has no block."""
    block = sub.get("best_of_n")
    if block is None:
        return []
    where = "best_of_n"
    rows = block.get("rounds") if isinstance(block, dict) else None
    res = block.get("results") if isinstance(block, dict) else None
    entry = ((res or {}).get("results") or {}).get(KEY) if isinstance(res, dict) else None
    if not isinstance(rows, list) or not isinstance(entry, dict):
        return [("best_of_n", where, f"needs results (an `rmbench agent bon` results.json with entry {KEY}) and rounds")]
    if not 0 < len(rows) <= MAX_ROUNDS or not all(
            isinstance(r, list) and len(r) == 3 and isinstance(r[0], str)
            and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in r[1:]) for r in rows):
        return [("best_of_n", f"{where}/rounds", f"1-{MAX_ROUNDS} rows of [prompt cluster, judge picked, judge random]")]
    out = []
    mine = ((sub.get("results") or {}).get("model") or {}).get("weights_sha256")
    picked_by = (res.get("model") or {}).get("weights_sha256")
    if not mine or mine != picked_by:
        out.append(("best_of_n", f"{where}/results/model/weights_sha256",
                    f"the reward model that picked ({picked_by}) is not the submitted one ({mine})"))
    test = (entry.get("splits") or {}).get("test") or {}
    got = recompute(block)
    if test.get("n") != got["rounds"] or test.get("accuracy") is None or \
            abs(test["accuracy"] - got["win_rate"]) > TOLERANCE:
        out.append(("recomputed", f"{where}/results/results/{KEY}/splits/test",
                    f"reports {test.get('accuracy')} over {test.get('n')} rounds; its rows give "
                    f"{got['win_rate']} over {got['rounds']}"))
    return out
