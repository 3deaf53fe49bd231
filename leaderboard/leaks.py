"""The label-leak rule of ``validate``: a run that read response delays under a
later-but-higher pairing rule must carry the harness's flag, which shows it unranked."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rmbench.leaderboard.tracks import Track

if TYPE_CHECKING:  # validate imports this module, so Problem is imported where it is used
    from rmbench.leaderboard.validate import Problem


def leak_problems(results: dict, track: Track) -> list[Problem]:
    """The delay input ("posted N minutes after the prompt") gives the label away under a
    later-but-higher pairing rule: a run can allow it for a study (``--allow-delay-leak``),
    and the harness then flags it, which the board shows unranked as a label leak. A config
    that reads the delay there without the flag had it removed: refused."""
    from rmbench.leaderboard.validate import Problem  # validate imports this module
    from rmbench.run.plan import DELAY_FLAG

    flags = results.get("flags") if isinstance(results.get("flags"), list) else []
    cfg = results.get("config")
    data = cfg.get("data") if isinstance(cfg, dict) else None
    with_delay = isinstance(data, dict) and data.get("with_delay") is True  # a hostile file may hold anything
    later = [t for t in track.heldout_tasks if track.baselines(t, track.splits[0]).get("preferred_later")]
    if with_delay and later and DELAY_FLAG not in flags:
        return [Problem("label_leak", "results/config/data/with_delay",
                        f"the run read each response's delay under later-but-higher pairing ({', '.join(later)}), "
                        f"which gives the label away, and its results lack the {DELAY_FLAG!r} flag that shows it "
                        "unranked as a label leak")]
    return []
