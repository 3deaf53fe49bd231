"""Builders for the leaderboard tests: a prepared manifest and results.json built from the
documented layout (docs/formats.md), a board folder with a frozen track, and submissions.

Numbers are derived from counts (correct / n) so every file is internally consistent;
each test then breaks exactly the rule it is about. As in tests/conftest.py, each builder
is a fixture of the same name that returns the builder function.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import pytest

from rmbench import __version__

SPLITS = ("train", "validation", "test", "test_hard")
BASELINES = ("random", "longer", "shorter", "earlier", "later")


def fingerprint(task: str, split: str, salt: str = "") -> str:
    return hashlib.sha256(f"{task}:{split}:{salt}".encode()).hexdigest()


def make_manifest(sizes: dict[str, dict[str, int]], synthetic: bool = True, spec: str = "demo") -> dict:
    """``sizes``: task -> split -> pairs (a split not named has none, as prepare writes it)."""
    from rmbench.prepare.splits import ALL_SPLITS

    tasks = {t: {"version": "1", "module": f"rmbench.tasks.{t}",
                 "splits": {s: {"pairs": n, "posts": max(1, n // 3), "fingerprint": fingerprint(t, s)}
                            for s, n in {**dict.fromkeys(ALL_SPLITS, 0), **per}.items()}}
             for t, per in sizes.items()}
    return {"kind": "rmbench.prepared", "schema_version": 1, "rmbench_version": __version__,
            "source": {"spec": spec, "synthetic": synthetic, "files": {}},
            "bad_input": {}, "tasks": tasks, "fingerprint": hashlib.sha256(json.dumps(tasks).encode()).hexdigest()}


def write_manifest(folder: Path, manifest: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def _split(n: int, correct: int, baseline_correct: dict[str, int]) -> dict:
    acc = correct / n
    half = 0.5 / n ** 0.5  # a wide, honest-looking interval around the accuracy
    baselines = {b: {"accuracy": c / n, "ci95": [max(0.0, c / n - half), min(1.0, c / n + half)],
                     "by_construction": b in ("later", "earlier")}
                 for b, c in baseline_correct.items()}
    # Under the later-but-higher pairing rule later-wins is 100% by construction; the harness
    # leaves such baselines out of best_baseline, and so do these fixtures.
    best = max((b for b in baselines if b not in ("later", "earlier")), key=lambda b: baselines[b]["accuracy"])
    return {"n": n, "accuracy": acc, "ci95": [max(0.0, acc - half), min(1.0, acc + half)],
            "baselines": baselines, "best_baseline": best,
            "clears_best_baseline": acc - half > baselines[best]["ci95"][1],
            "ece": 0.05, "by_score_ratio": [], "small": n < 100, "truncated": {"prompt": 0, "response": 0}}


def make_results(manifest: dict, holdout: list[str], correct: dict[str, dict[str, int]] | None = None,
                 model_id: str = "minilm", kind: str = "reward_model", parameters: int = 22713601,
                 train_tasks: list[str] | None = None) -> dict:
    """A results.json for ``holdout`` (test + test_hard) and in-domain test on the others.

    ``correct``: task -> split -> number of correct pairs (default: 70% / 60%).
    """
    tasks = manifest["tasks"]
    train_tasks = [t for t in tasks if t not in holdout] if train_tasks is None else train_tasks
    correct = correct or {}
    results = {}
    for t in tasks:
        role = "heldout" if t in holdout else "in_domain"
        splits = ("test", "test_hard") if role == "heldout" else ("test",)
        results[t] = {"role": role, "splits": {}}
        for s in splits:
            n = tasks[t]["splits"][s]["pairs"]
            c = correct.get(t, {}).get(s, round(n * (0.7 if s == "test" else 0.6)))
            base = {"random": n // 2, "longer": round(n * 0.55), "shorter": n - round(n * 0.55),
                    "earlier": 0, "later": n}
            results[t]["splits"][s] = _split(n, c, base)
    held = [results[t]["splits"] for t in holdout]
    mean = sum(h["test"]["accuracy"] for h in held) / len(held)
    mean_hard = sum(h["test_hard"]["accuracy"] for h in held) / len(held)
    best_mean = sum(h["test"]["baselines"][h["test"]["best_baseline"]]["accuracy"] for h in held) / len(held)
    return {
        "kind": "rmbench.results", "schema_version": 1, "rmbench_version": __version__,
        "git_commit": "0123abc", "created_utc": "2026-11-26T05:00:00Z",
        "synthetic_data": manifest["source"]["synthetic"],
        "data": {"source": manifest["source"]["spec"], "manifest_fingerprint": manifest["fingerprint"],
                 "tasks": {t: {"version": v["version"], "fingerprints": {s: v["splits"][s]["fingerprint"]
                                                                         for s in v["splits"]}}
                           for t, v in tasks.items()}},
        "model": {"id": model_id, "base_model": model_id, "path": "model/", "parameters": parameters,
                  "weights_sha256": "ab" * 32, "kind": kind},
        "config": {"model": {"name": model_id}, "train": {"epochs": 1}},
        "holdout": list(holdout), "train_tasks": train_tasks,
        "results": results,
        "summary": {"heldout_mean_accuracy": mean, "heldout_mean_accuracy_hard": mean_hard,
                    "best_baseline_mean": best_mean, "margin_over_best_baseline": mean - best_mean},
        "wall_time_s": 12.5,
        "hardware": {"device": "cpu", "torch": "2.13.0", "cpu_count": 2, "gpu": None},
    }


SIZES = {"writingprompts": {"train": 300, "validation": 40, "test": 200, "test_hard": 60},
         "askacademia": {"train": 300, "validation": 40, "test": 120, "test_hard": 30}}


def make_board(root: Path, sizes: dict = SIZES, heldout: tuple[str, ...] = ("writingprompts",),
               track: str = "demo", synthetic: bool = True) -> tuple[Path, dict]:
    """A leaderboard folder with one frozen track; returns (board, manifest)."""
    from rmbench.leaderboard.tracks import freeze

    manifest = make_manifest(sizes, synthetic=synthetic)
    data = write_manifest(root / f"prepared-{track}", manifest)
    board = root / "leaderboard"
    (board / "submissions").mkdir(parents=True, exist_ok=True)
    freeze(board, data, track, list(heldout), label="demo (generated)" if synthetic else "real")
    return board, manifest


def make_submission(name: str, results: dict, track: str = "demo", plots: dict | None = None) -> dict:
    return {"kind": "rmbench.submission", "schema_version": 1, "name": name, "organization": "Test Lab",
            "url": "https://example.org/model", "track": track, "submitted_utc": "2026-11-26T06:00:00Z",
            "submitted_with": __version__, "results": copy.deepcopy(results), "plots": plots or {}}


def write_run(run: Path, results: dict, plots: dict[str, bytes] | None = None) -> Path:
    run.mkdir(parents=True, exist_ok=True)
    (run / "results.json").write_text(json.dumps(results))
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


SIZES2 = {**SIZES, "emory": {"train": 100, "validation": 10, "test": 80, "test_hard": 20}}
# name -> correct pairs per held-out (task, split); test sizes 200 (writingprompts) and 80 (emory)
ENTRIES = {
    "alpha": {"writingprompts": {"test": 150, "test_hard": 40}, "emory": {"test": 40, "test_hard": 10}},
    "bravo": {"writingprompts": {"test": 120, "test_hard": 45}, "emory": {"test": 70, "test_hard": 12}},
    "charlie": {"writingprompts": {"test": 100, "test_hard": 30}, "emory": {"test": 40, "test_hard": 10}},
    "delta": {"writingprompts": {"test": 150, "test_hard": 30}, "emory": {"test": 40, "test_hard": 10}},
}


def ranked_board(root: Path) -> Path:
    """Four submissions (ENTRIES) on a two-task track (writingprompts + emory held out)."""
    board, manifest = make_board(root, sizes=SIZES2, heldout=("writingprompts", "emory"))
    for name, correct in ENTRIES.items():
        res = make_results(manifest, ["writingprompts", "emory"], correct=correct,
                           parameters=1000 * len(name))
        _write(board / "submissions" / f"{name}.json", make_submission(name, res))
    return board


def _write(path, obj):
    from rmbench.atomic import write_json

    write_json(path, obj)


# -- builders and shared numbers as fixtures ---------------------------------------------
@pytest.fixture(name="make_manifest", scope="session")
def _make_manifest_fixture():
    """``make_manifest(sizes, synthetic=True, spec="demo") -> manifest dict``."""
    return make_manifest


@pytest.fixture(name="write_manifest", scope="session")
def _write_manifest_fixture():
    """``write_manifest(folder, manifest) -> folder`` holding manifest.json."""
    return write_manifest


@pytest.fixture(name="make_results", scope="session")
def _make_results_fixture():
    """``make_results(manifest, holdout, correct=None, model_id=..., kind=..., parameters=..., train_tasks=None)``."""
    return make_results


@pytest.fixture(name="make_board", scope="session")
def _make_board_fixture():
    """``make_board(root, sizes=SIZES, heldout=("writingprompts",), track="demo", synthetic=True) -> (board, manifest)``."""
    return make_board


@pytest.fixture(name="make_submission", scope="session")
def _make_submission_fixture():
    """``make_submission(name, results, track="demo", plots=None) -> submission dict``."""
    return make_submission


@pytest.fixture(name="write_run", scope="session")
def _write_run_fixture():
    """``write_run(run, results, plots=None) -> run``: a run folder with results.json and plots/."""
    return write_run


@pytest.fixture(name="tiny_png", scope="session")
def _tiny_png_fixture():
    """``tiny_png(color=(200, 30, 30), size=(4, 3)) -> bytes`` of a real PNG."""
    return tiny_png


@pytest.fixture(name="ranked_board", scope="session")
def _ranked_board_fixture():
    """``ranked_board(root) -> board``: four submissions (``ranked_entries``) on a two-task track."""
    return ranked_board


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
