"""Builders for the leaderboard tests: prepared data written by prepare's own writer, a board
folder with a track frozen from it, and results.json + per-pair predictions made by the
harness's own functions (``rmbench.eval.scorecard.split_scorecard``,
``rmbench.eval.results.results_document``), so every file is internally consistent; each
test then breaks exactly the rule it is about. As in tests/conftest.py, each builder is a
fixture of the same name that returns the builder function.

``make_results`` returns the results.json dict with the run's predictions.jsonl rows under
the key ``"_predictions"`` (never part of a real results.json); ``make_submission`` and
``write_run`` take them from there.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
from pathlib import Path

import pytest

# The tests' tracks are frozen on test and test_hard (their sizes are set per test); the
# headline splits of a default freeze (heldout_all, heldout_all_hard) have their own tests.
HELD_SPLITS = ("test", "test_hard")



def make_results(data_dir: Path, holdout: list[str], correct: dict[str, dict[str, int]] | None = None,
                 model_id: str = "minilm", kind: str = "reward_model", parameters: int = 22713601,
                 train_tasks: list[str] | None = None, seed: int = 0,
                 splits: tuple[str, ...] = HELD_SPLITS, cuts=None, mark_itself: bool = True) -> dict:
    """A results.json for ``holdout`` (``splits``) and in-domain test on the others, scored
    on the rows the harness scores (``rmbench.leaderboard.tracks.heldout_rows``: contaminated
    pairs dropped, baseline:confounds fitted on the other tasks).

    ``correct``: task -> split -> pairs the model gets right (default: 70%, 60% on hard
    splits); the first pairs in pair order are the right ones. A ``baseline:NAME`` model gets
    that baseline's rewards. ``cuts(rows) -> {"chosen": [bool], "rejected": [bool]}``: the
    scorer's per-pair cut flags on the held-out splits (predictions.jsonl's ``truncated``).
    ``mark_itself=False``: a baseline's cards as written before 2026-12-07, where the baseline
    could be its own best baseline.
    """
    from rmbench.eval.baselines import baseline_rewards
    from rmbench.eval.config import EvalConfig
    from rmbench.eval.results import results_document
    from rmbench.eval.scorecard import split_scorecard
    from rmbench.leaderboard.tracks import heldout_rows
    from rmbench.prepared.load import load_split
    from rmbench.prepared.manifest import Prepared

    data = Prepared.open(data_dir)
    train_tasks = [t for t in data.tasks if t not in holdout] if train_tasks is None else train_tasks
    correct, cfg = correct or {}, EvalConfig()
    plan, held = heldout_rows(data, list(holdout), tuple(splits))
    results, predictions = {}, []
    for t in data.tasks:
        role = "heldout" if t in holdout else "in_domain"
        for s in splits if role == "heldout" else ("test",):
            rows = held[(t, s)] if role == "heldout" else load_split(data_dir, t, s)
            if not rows:
                continue  # the harness leaves an empty split out
            if model_id == "baseline:confounds":
                rc, rr = plan.confounds.rewards(rows)
            elif model_id.startswith("baseline:"):
                rc, rr = baseline_rewards(model_id.split(":", 1)[1], rows, seed)
            else:
                c = correct.get(t, {}).get(s, round(len(rows) * (0.6 if s.endswith("hard") else 0.7)))
                rc = [1.0 if i < c else 0.0 for i in range(len(rows))]
                rr = [1.0 - x for x in rc]
            flags = cuts(rows) if cuts and role == "heldout" else None
            itself = model_id.split(":", 1)[1] if mark_itself and model_id.startswith("baseline:") else None
            card = split_scorecard(rows, rc, rr, cfg=cfg, seed=seed, preferred_later=data.preferred_later(t),
                                   confounds=plan.confounds or plan.confounds_missing, cuts=flags, itself=itself)
            results.setdefault(t, {"role": role, "splits": {}})["splits"][s] = card
            predictions += [{"task": t, "split": s, "pair_id": r["pair_id"], "reward_chosen": a, "reward_rejected": b}
                            for r, a, b in zip(rows, rc, rr)]
            if flags:
                for row, c, x in zip(predictions[-len(rows):], flags["chosen"], flags["rejected"]):
                    row["truncated"] = {"prompt": False, "chosen": bool(c), "rejected": bool(x)}
    model = {"id": model_id, "base_model": None if kind == "baseline" else model_id, "path": None,
             "parameters": parameters, "weights_sha256": None if kind == "baseline" else "ab" * 32, "kind": kind}
    doc = results_document(cfg={"seed": seed, "model": {"name": model_id, "max_length": 64}, "train": {"epochs": 1},
                                "eval": dataclasses.asdict(cfg), "data": {"with_delay": False}},
                           data=data, data_source=data.doc["source"]["spec"], model_info=model, holdout=list(holdout),
                           train_tasks=train_tasks, results=results, wall_time_s=12.5)
    return json.loads(json.dumps(doc)) | {"_predictions": predictions}  # as read back from disk


SIZES = {"writingprompts": {"train": 30, "validation": 10, "test": 200, "test_hard": 60},
         "askacademia": {"train": 510, "validation": 10, "test": 120, "test_hard": 30}}  # >= eval.min_fit_pairs/posts


def make_board(root: Path, sizes: dict = SIZES, heldout: tuple[str, ...] = ("writingprompts",),
               track: str = "demo", synthetic: bool = True, splits: tuple[str, ...] = HELD_SPLITS,
               *, write_prepared) -> tuple[Path, Path]:
    """A leaderboard folder with one track frozen from prepared data; returns (board, data dir)."""
    from rmbench.leaderboard.tracks import freeze

    data = write_prepared(root / f"prepared-{track}", sizes, synthetic=synthetic, spec="demo" if synthetic else "dumps")
    board = root / "leaderboard"
    (board / "submissions").mkdir(parents=True, exist_ok=True)
    freeze(board, data, track, list(heldout), label="demo (generated)" if synthetic else "real", splits=splits)
    return board, data


def make_submission(name: str, results: dict, track: str = "demo", plots: dict | None = None) -> dict:
    from rmbench import __version__
    from rmbench.leaderboard.frozen import pack
    from rmbench.leaderboard.submission import submitted_rows

    results = copy.deepcopy(results)
    preds = submitted_rows([p for p in results.pop("_predictions", []) if p["task"] in results.get("holdout", [])])
    return {"kind": "rmbench.submission", "schema_version": 2, "name": name, "organization": "Test Lab",
            "url": "https://example.org/model", "track": track, "submitted_utc": "2026-11-26T06:00:00Z",
            "submitted_with": __version__, "results": results, "plots": plots or {}, "predictions": pack(preds)}


def write_run(run: Path, results: dict, plots: dict[str, bytes] | None = None) -> Path:
    run.mkdir(parents=True, exist_ok=True)
    results = dict(results)
    preds = results.pop("_predictions", [])
    (run / "results.json").write_text(json.dumps(results))
    (run / "predictions.jsonl").write_text("".join(json.dumps(p) + "\n" for p in preds))
    for name, data in (plots or {}).items():
        (run / "plots").mkdir(exist_ok=True)
        (run / "plots" / name).write_bytes(data)
    return run


def tiny_png(color=(200, 30, 30), size=(4, 3)) -> bytes:
    """A real PNG written by matplotlib's backend-free encoder (no figure needed)."""
    import io

    import numpy as np
    from matplotlib import image

    buf = io.BytesIO()
    image.imsave(buf, np.tile(np.array(color, dtype=np.uint8), (size[1], size[0], 1)), format="png")
    return buf.getvalue()


SIZES2 = {**SIZES, "emory": {"train": 30, "validation": 10, "test": 80, "test_hard": 20}}
# name -> correct pairs per held-out (task, split); test sizes 200 (writingprompts) and 80 (emory)
ENTRIES = {
    "alpha": {"writingprompts": {"test": 150, "test_hard": 40}, "emory": {"test": 40, "test_hard": 10}},
    "bravo": {"writingprompts": {"test": 120, "test_hard": 45}, "emory": {"test": 70, "test_hard": 12}},
    "charlie": {"writingprompts": {"test": 100, "test_hard": 30}, "emory": {"test": 40, "test_hard": 10}},
    "delta": {"writingprompts": {"test": 150, "test_hard": 30}, "emory": {"test": 40, "test_hard": 10}},
}


def ranked_board(root: Path, *, write_prepared) -> Path:
    """Four submissions (ENTRIES) on a two-task track (writingprompts + emory held out)."""
    board, data = make_board(root, sizes=SIZES2, heldout=("writingprompts", "emory"), write_prepared=write_prepared)
    for name, correct in ENTRIES.items():
        res = make_results(data, ["writingprompts", "emory"], correct=correct, parameters=1000 * len(name))
        _write(board / "submissions" / f"{name}.json", make_submission(name, res))
    return board


def _write(path, obj):
    from rmbench.atomic import write_json

    write_json(path, obj)


# -- builders and shared numbers as fixtures ---------------------------------------------
@pytest.fixture(name="make_results", scope="session")
def _make_results_fixture():
    """``make_results(data_dir, holdout, correct=None, model_id=..., kind=..., parameters=..., train_tasks=None,
    seed=0) -> results`` (with the run's predictions under ``"_predictions"``)."""
    return make_results


@pytest.fixture(name="make_board", scope="session")
def _make_board_fixture(write_prepared):
    """``make_board(root, sizes=SIZES, heldout=("writingprompts",), track="demo", synthetic=True) -> (board, data dir)``."""
    return functools.partial(make_board, write_prepared=write_prepared)


@pytest.fixture(name="make_submission", scope="session")
def _make_submission_fixture():
    """``make_submission(name, results, track="demo", plots=None) -> submission dict``."""
    return make_submission


@pytest.fixture(name="write_run", scope="session")
def _write_run_fixture():
    """``write_run(run, results, plots=None) -> run``: a run folder with results.json, predictions.jsonl, plots/."""
    return write_run


@pytest.fixture(name="tiny_png", scope="session")
def _tiny_png_fixture():
    """``tiny_png(color=(200, 30, 30), size=(4, 3)) -> bytes`` of a real PNG."""
    return tiny_png


@pytest.fixture(name="ranked_board", scope="session")
def _ranked_board_fixture(write_prepared):
    """``ranked_board(root) -> board``: four submissions (``ranked_entries``) on a two-task track."""
    return functools.partial(ranked_board, write_prepared=write_prepared)


@pytest.fixture
def board_sizes() -> dict:
    """The task sizes ``make_board`` uses by default (task -> split -> pairs); a copy per test."""
    return copy.deepcopy(SIZES)


@pytest.fixture
def ranked_sizes() -> dict:
    """The task sizes of ``ranked_board``'s track; a copy per test."""
    return copy.deepcopy(SIZES2)


@pytest.fixture
def ranked_entries() -> dict:
    """name -> correct pairs per held-out (task, split) of ``ranked_board``'s submissions."""
    return copy.deepcopy(ENTRIES)
