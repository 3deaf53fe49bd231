"""Tracks: the frozen test sets a submission must have been scored on.

``tracks.json`` is written only by :func:`freeze` from a prepared data directory's
``manifest.json`` (``rmbench leaderboard freeze``): per held-out task, its version and the
pair count and fingerprint of each test split. Re-freezing the same data is a no-op, so
the seed script can run it every time.
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


def track_from_manifest(manifest: dict, name: str, heldout: list[str], label: str,
                        splits: tuple[str, ...] = TEST_SPLITS) -> Track:
    """Copy the held-out tasks' test-split facts out of a prepared manifest."""
    if manifest.get("kind") != "rmbench.prepared":
        raise LeaderboardError("not a prepared-data manifest (kind != 'rmbench.prepared')")
    tasks = manifest.get("tasks") or {}
    missing = [t for t in heldout if t not in tasks]
    if missing:
        raise LeaderboardError(f"held-out task(s) {missing} are not in the prepared data "
                               f"(it has: {', '.join(sorted(tasks)) or 'none'})")
    frozen = {}
    for t in heldout:
        info = tasks[t]
        per_split = {}
        for s in splits:
            sp = (info.get("splits") or {}).get(s)
            if sp is None:
                raise LeaderboardError(f"task {t!r} has no {s!r} split in the manifest")
            per_split[s] = {"pairs": int(sp["pairs"]), "fingerprint": sp["fingerprint"]}
        if per_split.get("test", {}).get("pairs", 1) == 0:
            raise LeaderboardError(f"task {t!r} has an empty test split: nothing to rank on")
        frozen[t] = {"version": str(info["version"]), "splits": per_split}
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
    new = track_from_manifest(data.doc, name, heldout, label)
    path = board / TRACKS_FILE
    raw = read_json(path) if path.is_file() else {"kind": "rmbench.tracks", "schema_version": 1, "tracks": {}}
    old = load_tracks(board).get(name)
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
    return new, "added" if old is None else "replaced"
