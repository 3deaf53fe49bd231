"""Tracks: the frozen test sets a submission must have been scored on.

``tracks.json`` is written only by :func:`freeze` from a prepared data directory
(``rmbench leaderboard freeze``): per held-out task, its version and, per test split, the
pair count, the fingerprint, the frozen pairs themselves (pair id, post id and score ratio,
compressed: ``rmbench.leaderboard.frozen``) and the baselines' scorecard computed at freeze
time by the harness's own function (``rmbench.eval.scorecard.baseline_table``, default eval
settings, seed ``FREEZE_SEED``). ``validate`` recomputes every submitted number from the
submission's per-pair predictions and these frozen pairs; the board's baseline margins come
from these frozen baselines, never from a submission. Re-freezing the same data is a no-op,
so the seed script can run it every time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from rmbench.errors import LeaderboardError
from rmbench.leaderboard.store import read_json
from rmbench.atomic import write_json

TRACKS_FILE = "tracks.json"
TEST_SPLITS = ("test", "test_hard")
SCHEMA_VERSION = 2  # 2: frozen pairs and baselines per split
FREEZE_SEED = 0  # the seed of the frozen baselines (the random coin and the bootstrap): the run default


@dataclass(frozen=True)
class Track:
    name: str
    label: str
    synthetic: bool
    benchmark_version: str
    source: str
    heldout_tasks: tuple[str, ...]
    splits: tuple[str, ...]
    tasks: dict  # task -> {"version": str, "splits": {split: {"pairs": int, "fingerprint": str}}}
    frozen_from: dict

    @classmethod
    def from_dict(cls, name: str, d: dict) -> "Track":
        return cls(name=name, label=d["label"], synthetic=d["synthetic"],
                   benchmark_version=d["benchmark_version"], source=d["source"],
                   heldout_tasks=tuple(d["heldout_tasks"]), splits=tuple(d["splits"]),
                   tasks=d["tasks"], frozen_from=d["frozen_from"])

    def as_dict(self) -> dict:
        return {"label": self.label, "synthetic": self.synthetic, "benchmark_version": self.benchmark_version,
                "source": self.source, "heldout_tasks": list(self.heldout_tasks), "splits": list(self.splits),
                "tasks": self.tasks, "frozen_from": self.frozen_from}

    def pairs(self, task: str, split: str) -> int:
        return self.tasks[task]["splits"][split]["pairs"]

    def frozen_rows(self, task: str, split: str) -> list[dict]:
        """The frozen pairs of one split, sorted by pair id: what the scorecard reads besides rewards."""
        from rmbench.leaderboard.frozen import PAIR_KEYS, unpack

        return unpack(self.tasks[task]["splits"][split]["pair_rows"], f"track {self.name} {task}/{split}", PAIR_KEYS)

    def baselines(self, task: str, split: str) -> dict:
        """{"seed", "eval", "table", "best"}: the frozen baselines' scorecard of one split."""
        return self.tasks[task]["splits"][split]["baselines"]


def benchmark_version(rmbench_version: str) -> str:
    """Major.minor: a patch release never changes scores; one that does bumps the minor."""
    parts = rmbench_version.split(".")
    if len(parts) < 2 or not parts[0].isdigit() or not parts[1].split("+")[0].split("-")[0].isdigit():
        raise ValueError(f"not a version: {rmbench_version!r}")
    return f"{parts[0]}.{parts[1].split('+')[0].split('-')[0]}"


def load_tracks(board: Path) -> dict[str, Track]:
    path = board / TRACKS_FILE
    if not path.is_file():
        return {}
    raw = read_json(path)
    problems = _schema_problems(raw)
    if problems:
        raise LeaderboardError(f"{path} is malformed (re-create it with `rmbench leaderboard freeze`):\n  "
                               + "\n  ".join(problems))
    return {name: Track.from_dict(name, d) for name, d in raw["tracks"].items()}


def _schema_problems(raw: object) -> list[str]:
    from rmbench.leaderboard.schemas import validator

    return [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
            for e in validator("tracks").iter_errors(raw)]


def _split_entry(data, task: str, split: str) -> dict:
    """Count, fingerprint, frozen pairs and frozen baselines of one prepared split."""
    import dataclasses as dc

    from rmbench.eval.config import EvalConfig
    from rmbench.eval.scorecard import baseline_table, best_baseline
    from rmbench.leaderboard.frozen import PAIR_KEYS, pack
    from rmbench.prepared.load import load_split

    rows = load_split(data.path, task, split)
    cfg = EvalConfig()
    table = baseline_table(rows, cfg, FREEZE_SEED, data.preferred_later(task)) if rows else {}
    return {"pairs": len(rows), "fingerprint": data.fingerprints(task)[split],
            "pair_rows": pack([{k: r[k] for k in PAIR_KEYS} for r in rows]),
            "baselines": {"seed": FREEZE_SEED, "eval": dc.asdict(cfg), "table": table,
                          "best": best_baseline(table) if table else None}}


def track_from_data(data, name: str, heldout: list[str], label: str,
                    splits: tuple[str, ...] = TEST_SPLITS) -> Track:
    """The held-out tasks' test splits of a prepared directory (``rmbench.prepared.Prepared``)."""
    manifest = data.doc
    if manifest.get("kind") != "rmbench.prepared":
        raise LeaderboardError("not a prepared-data manifest (kind != 'rmbench.prepared')")
    tasks = manifest.get("tasks") or {}
    missing = [t for t in heldout if t not in tasks]
    if missing:
        raise LeaderboardError(f"held-out task(s) {missing} are not in the prepared data "
                               f"(it has: {', '.join(sorted(tasks)) or 'none'})")
    frozen = {}
    for t in heldout:
        for s in splits:
            if (tasks[t].get("splits") or {}).get(s) is None:
                raise LeaderboardError(f"task {t!r} has no {s!r} split in the manifest")
        per_split = {s: _split_entry(data, t, s) for s in splits}
        if per_split.get("test", {}).get("pairs", 1) == 0:
            raise LeaderboardError(f"task {t!r} has an empty test split: nothing to rank on")
        frozen[t] = {"version": str(tasks[t]["version"]), "splits": per_split}
    source = manifest.get("source") or {}
    return Track(name=name, label=label, synthetic=bool(source.get("synthetic")),
                 benchmark_version=benchmark_version(manifest["rmbench_version"]),
                 source=str(source.get("spec", "")), heldout_tasks=tuple(heldout), splits=tuple(splits),
                 tasks=frozen,
                 frozen_from={"manifest_fingerprint": manifest.get("fingerprint"),
                              "rmbench_version": manifest["rmbench_version"],
                              "frozen_utc": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")})


def same_test_sets(a: Track, b: Track) -> bool:
    """Everything but the freeze time and label: would a submission valid on one be valid on the other?"""
    keep = ("synthetic", "benchmark_version", "heldout_tasks", "splits", "tasks")
    return all(json.dumps(a.as_dict()[k], sort_keys=True) == json.dumps(b.as_dict()[k], sort_keys=True)
               for k in keep)


def freeze(board: Path, data_dir: Path, name: str, heldout: list[str], label: str,
           replace: bool = False) -> tuple[Track, str]:
    """Add or refresh track ``name`` from ``data_dir/manifest.json``.

    Returns the track and what happened: "added", "unchanged" or "replaced". Changing an
    existing track's test sets invalidates its submissions, so it needs ``replace``.
    """
    from rmbench.leaderboard.names import name_problems

    problems = name_problems(name, "track name")
    if problems:
        raise LeaderboardError("; ".join(problems))
    from rmbench.errors import NotPreparedError
    from rmbench.prepared.manifest import Prepared

    try:
        data = Prepared.open(data_dir)
    except NotPreparedError as e:
        raise LeaderboardError(f"{e} (is it a finished `rmbench prepare` output?)") from None
    new = track_from_data(data, name, heldout, label)
    path = board / TRACKS_FILE
    raw = read_json(path) if path.is_file() else {"kind": "rmbench.tracks", "schema_version": SCHEMA_VERSION, "tracks": {}}
    upgraded = []
    if isinstance(raw, dict) and raw.get("schema_version") != SCHEMA_VERSION:
        others = sorted(set(raw.get("tracks") or {}) - {name})
        if not replace:
            raise LeaderboardError(f"{path} is schema version {raw.get('schema_version')!r}, before frozen pairs; "
                                   f"re-freeze with --replace (then also: {', '.join(others) or 'no other track'})")
        raw, upgraded = {"kind": "rmbench.tracks", "schema_version": SCHEMA_VERSION, "tracks": {}}, others
    old = None if upgraded or not raw["tracks"] else load_tracks(board).get(name)
    if old is not None and same_test_sets(old, new) and old.label == label:
        return old, "unchanged"
    if old is not None and not same_test_sets(old, new) and not replace:
        raise LeaderboardError(f"track {name!r} already exists with different test sets; re-freezing it "
                               "makes its current submissions invalid. Pass --replace to do it anyway.")
    if old is not None and same_test_sets(old, new):
        new = dataclasses.replace(new, frozen_from=old.frozen_from)  # only the label changed
    raw["tracks"][name] = new.as_dict()
    raw["tracks"] = dict(sorted(raw["tracks"].items()))
    write_json(path, raw)
    if upgraded:
        return new, f"replaced (tracks.json upgraded to schema {SCHEMA_VERSION}; freeze again: {', '.join(upgraded)})"
    return new, "added" if old is None else "replaced"
