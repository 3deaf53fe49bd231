"""The prepared-data contract, read side: ``Prepared`` reads and validates a manifest once
and answers every question the harness, the agent and the leaderboard ask about it.

    data = Prepared.open("prepared/")
    data.tasks                     # ['askacademia', 'gradschool', ...]
    data.pairs("askacademia", "test"), data.preferred_later("askacademia")
    data.fingerprints("askacademia")   # {split: sha256}
    data.split_path("askacademia", "test_hard")

The write side is ``rmbench.prepare.write``; docs/formats.md describes both.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from rmbench.errors import DataError, NotPreparedError, UnknownTaskError
from rmbench.prepare.splits import ALL_SPLITS, EVAL_SPLITS
from rmbench.prepare.write import KIND, MANIFEST


@dataclass(frozen=True)
class Prepared:
    """A finished ``rmbench prepare`` (or ``feedback export``) directory."""

    path: Path
    doc: dict  # the manifest as written; prefer the methods below to reading it directly

    @classmethod
    def open(cls, path: str | Path) -> Prepared:
        """Read ``path/manifest.json`` (cached while the file is unchanged) and check its shape."""
        path = Path(path).expanduser()
        manifest = path / MANIFEST
        try:
            st = manifest.stat()
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            raise NotPreparedError(f"{path}: no {MANIFEST}; not a finished `rmbench prepare --out` directory "
                                   "(a build that failed or is still running leaves none)") from None
        return _open(str(path.resolve()), stamp)

    # -- the whole build ---------------------------------------------------------------
    @property
    def fingerprint(self) -> str | None:
        return self.doc.get("fingerprint")

    @property
    def source_spec(self) -> str:
        return str(self.doc.get("source", {}).get("spec", self.path))

    @property
    def synthetic(self) -> bool:
        return bool(self.doc.get("source", {}).get("synthetic", False))

    @property
    def rmbench_version(self) -> str | None:
        return self.doc.get("rmbench_version")

    @property
    def prepare_revision(self) -> int:
        """``rmbench.prepare.write.PREPARE_REVISION`` of the build (1: before it was recorded)."""
        return self.doc.get("prepare_revision", 1)

    @property
    def split_by(self) -> dict:
        """How posts were assigned to splits (``--split-by``); builds before the flag used the hash."""
        return dict(self.doc.get("split_by") or {"rule": "hash"})

    @property
    def tasks(self) -> list[str]:
        return sorted(self.doc["tasks"])

    def tasks_with(self, *splits: str) -> list[str]:
        """Tasks that have pairs in every one of ``splits``."""
        return [t for t in self.tasks if all(self.pairs(t, s) for s in splits)]

    # -- one task ----------------------------------------------------------------------
    def key(self, task: str) -> str:
        """The task's key here (lower case), or ``UnknownTaskError`` listing what this data holds."""
        if task.lower() not in self.doc["tasks"]:
            raise UnknownTaskError(task, self.tasks, "the prepared data")
        return task.lower()

    def entry(self, task: str) -> dict:
        return self.doc["tasks"][self.key(task)]

    def version(self, task: str) -> str:
        return str(self.entry(task).get("version", ""))

    def pairs(self, task: str, split: str) -> int:
        """Pairs in a split file, or in an evaluation split made of several (``heldout_all``)."""
        parts = EVAL_SPLITS.get(split, (split,))
        return sum(int(self.entry(task)["splits"].get(s, {}).get("pairs", 0)) for s in parts)

    def posts(self, task: str, split: str) -> int:
        parts = EVAL_SPLITS.get(split, (split,))
        return sum(int(self.entry(task)["splits"].get(s, {}).get("posts", 0)) for s in parts)

    def fingerprints(self, task: str) -> dict[str, str]:
        return {s: v["fingerprint"] for s, v in self.entry(task)["splits"].items() if "fingerprint" in v}

    def rules(self, task: str) -> dict:
        return dict(self.entry(task).get("rules") or {})

    def hard_is_small(self, task: str) -> bool | None:
        return self.entry(task).get("test_hard", {}).get("small")

    def preferred_later(self, task: str) -> bool:
        """Whether the task's pairing rule puts the chosen response after the rejected one."""
        rules = self.rules(task)
        if "preferred_later" in rules:
            return bool(rules["preferred_later"])
        from rmbench.registry import get_task

        try:
            return bool(getattr(get_task(task), "preferred_later", False))
        except UnknownTaskError:  # its plugin is gone: the manifest is all we know
            return False

    def split_path(self, task: str, split: str) -> Path:
        path = self.path / self.key(task) / f"{split}.jsonl"
        if not path.is_file():
            raise NotPreparedError(f"{path}: missing although the manifest lists task {task.lower()!r}")
        return path

    def empty_split_error(self, task: str, split: str) -> DataError:
        """Names the task and the rules that dropped the most, from the manifest's counts, or the
        time split's date when that put every post on the other side of it."""
        entry = self.doc["tasks"].get(task.lower(), {})
        rule = self.split_by
        if rule.get("rule") == "time" and split in ("train", "validation", "test", "test_hard"):
            from rmbench.prepare.timesplit import emptied_by_date

            # From the split files' post counts, so it holds for manifests written before
            # posts_by_date was recorded; test_hard alone empty is the hard rules, not the date.
            sp = entry.get("splits", {})
            posts = {s: int(sp.get(s, {}).get("posts", 0)) for s in ("train", "validation", "test")}
            why = emptied_by_date(rule, task.lower(), posts["train"] + posts["validation"], posts["test"],
                                  (rule.get("posts_by_date") or {}).get(task.lower()))
            side_empty = not posts["test"] if split in ("test", "test_hard") else not posts["train"] + posts["validation"]
            if why and side_empty:  # the date emptied this side, not some other split's
                return DataError(f"held-out task {task!r} has no pairs in its {split!r} split: {why}.")
        drops = []
        for stage in ("posts", "comments", "pairs"):
            for reason, n in (entry.get(stage, {}).get("dropped") or {}).items():
                if n:
                    drops.append((n, f"{stage}: {reason}={n}"))
        top = ", ".join(d for _, d in sorted(drops, reverse=True)[:6]) or "no drop counts recorded"
        seen = entry.get("posts", {}).get("seen", "?")
        return DataError(f"held-out task {task!r} has no pairs in its {split!r} split "
                         f"({seen} posts seen; what the rules dropped: {top}). "
                         f"Loosen the task's rules or use more data (`rmbench tasks show {task}`).")


@functools.lru_cache(maxsize=32)
def _open(path: str, stamp: tuple) -> Prepared:  # the stamp in the key: a rebuilt directory is read again
    file = Path(path) / MANIFEST
    from rmbench.jsonlimits import JSONLimitError, read_json_file

    try:
        doc = read_json_file(file)  # depth- and size-limited: a prepared folder may come from anyone
    except JSONLimitError as e:
        raise NotPreparedError(f"not readable JSON ({e})") from None
    except OSError as e:
        raise NotPreparedError(f"{file}: not readable ({e})") from None
    if not isinstance(doc, dict) or doc.get("kind") != KIND:
        kind = doc.get("kind") if isinstance(doc, dict) else type(doc).__name__
        raise NotPreparedError(f"{file}: not an rmbench prepared-data manifest (kind={kind!r})")
    tasks = doc.get("tasks")
    if not isinstance(tasks, dict) or not all(isinstance(t, dict) and isinstance(t.get("splits"), dict)
                                              for t in tasks.values()):
        raise NotPreparedError(f"{file}: malformed manifest (every task needs a 'splits' block)")
    for name, t in tasks.items():
        missing = [s for s in ALL_SPLITS if s not in t["splits"]]
        if missing:
            raise NotPreparedError(f"{file}: task {name!r} lacks splits {', '.join(missing)} "
                                   "(prepared by an older rmbench? run `rmbench prepare` again)")
    return Prepared(Path(path), doc)


def read_manifest(data_dir: str | Path) -> dict:
    """The manifest as a dict (validated); most callers want ``Prepared.open``."""
    return Prepared.open(data_dir).doc


__all__ = ["MANIFEST", "Prepared", "read_manifest"]
