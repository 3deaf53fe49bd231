"""Rank groups: which neighbouring entries the frozen pairs can tell apart.

Every entry on a track is scored on the same frozen pairs, so two entries are compared
*paired*: the difference of their ranking scores (the mean over held-out tasks of the
first split's accuracy, too-small splits left out, as ``ranking.heldout_mean``) is
bootstrapped by resampling posts with all their pairs, independently within each task,
with the same resampled posts for both entries (``rmbench.eval.metrics.ClusterBootstrap``,
the one bootstrap everything uses; the track's freeze seed and resample count). Walking
down the ranking, an entry joins the group of the one above it when the 95% interval of
their difference includes 0, and starts a new group otherwise. Groups are therefore
chains of neighbours: the first and last entry of a long group may differ even though no
two neighbours do. That is the usual reading of a rank group, and the pages say so.
"""

from __future__ import annotations

import numpy as np

from rmbench.leaderboard.tracks import Track

GROUPS_NOTE = ("Group: entries are compared with their neighbour in the ranking on the same frozen pairs; "
               "an entry shares the group of the one above it when the 95% post-clustered interval of the "
               "difference of their ranking scores includes 0 (posts resampled within each task, both "
               "entries on the same resamples). Groups chain neighbours, so the ends of a long group may differ.")


def _tasks(track: Track, rows) -> list[str]:
    """The tasks every compared row's mean counts (too-small splits count in no mean)."""
    split = track.splits[0]
    return [t for t in track.heldout_tasks
            if all(not (r.splits.get(f"{t}/{split}") or {}).get("too_small", False) for r in rows)]


def _task_mean(track: Track, per_task: dict, tasks: list[str], samples: int, seed: int
               ) -> tuple[float, tuple[float, float]] | None:
    """The mean over ``tasks`` of per-pair values (task -> array on the first split's frozen
    pairs) with its 95% interval: posts resampled within each task, seeded."""
    from rmbench.eval.metrics import ClusterBootstrap, percentile_interval

    split = track.splits[0]
    points, draws, clusters = [], [], 0
    for t in tasks:
        d = per_task.get(t)
        if d is None or len(d) == 0:
            return None
        posts = [r["post_id"] for r in track.frozen_rows(t, split)]
        boot = ClusterBootstrap(posts, samples=samples, seed=seed)
        clusters += boot.k  # the interval is over every task's posts
        points.append(float(d.mean()))
        draws.append(boot.resampled_means(d)[:, 0])
    if not points:
        return None
    return float(np.mean(points)), percentile_interval(np.mean(np.stack(draws), axis=0), clusters=clusters)


def paired_difference(track: Track, a: dict, b: dict, tasks: list[str], samples: int, seed: int
                      ) -> tuple[float, tuple[float, float]] | None:
    """a's ranking score minus b's with its 95% interval. ``a``/``b``: (task, split) -> outcomes."""
    split = track.splits[0]
    diffs = {}
    for t in tasks:
        oa, ob = a.get((t, split)), b.get((t, split))
        if oa is None or ob is None:
            return None
        diffs[t] = np.asarray(oa, dtype=float) - np.asarray(ob, dtype=float)
    return _task_mean(track, diffs, tasks, samples, seed)


def score_interval(track: Track, row, outcomes: dict, samples: int, seed: int) -> list[float] | None:
    """The 95% interval of a row's ranking score (the index shows it beside the score), on the
    same resamples as the groups; the tasks are those its score counts (too-small splits out)."""
    split = track.splits[0]
    per_task = {t: np.asarray(outcomes[(t, split)], dtype=float) for t in _tasks(track, [row])
                if outcomes.get((t, split)) is not None}
    res = _task_mean(track, per_task, _tasks(track, [row]), samples, seed)
    return None if res is None else [round(res[1][0], 6), round(res[1][1], 6)]


def assign_groups(track: Track, ranked: list, outcomes: dict[str, dict], samples: int, seed: int) -> None:
    """Set ``group`` and ``vs_next`` on each ranked row (rows with a rank, in rank order), and
    every row's score interval (``ci95["mean"]``)."""
    for r in ranked:  # every row's score, ranked or not, with its interval
        r.ci95["mean"] = score_interval(track, r, outcomes.get(r.name, {}), samples, seed)
    rows = [r for r in ranked if r.rank is not None]
    tasks = _tasks(track, rows)
    group = 0
    for i, r in enumerate(rows):
        if i == 0:
            group = 1
        else:
            above = rows[i - 1]
            res = paired_difference(track, outcomes.get(above.name, {}), outcomes.get(r.name, {}), tasks, samples, seed)
            above.vs_next = None if res is None else {"diff": round(res[0], 6),
                                                      "ci95": [round(res[1][0], 6), round(res[1][1], 6)]}
            if res is None or not (res[1][0] <= 0 <= res[1][1]):
                group += 1
        r.group = group
