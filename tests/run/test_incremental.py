"""The stacked fit's size: --limit (data.limit) caps it at max(limit, eval.min_report_pairs)."""

from __future__ import annotations

from rmbench.run.config import RunConfig
from rmbench.run.incremental import fit_pairs_cap


def _cfg(limit: int, fit_pairs: int = 1000, min_pairs: int = 50) -> RunConfig:
    cfg = RunConfig()
    cfg.data.limit, cfg.eval.stacked_fit_pairs, cfg.eval.min_report_pairs = limit, fit_pairs, min_pairs
    return cfg


def test_limit_caps_the_stacked_fit_at_what_a_fit_needs():
    assert fit_pairs_cap(_cfg(0), 5000) == (1000, False)  # no --limit: eval.stacked_fit_pairs
    assert fit_pairs_cap(_cfg(8), 5000) == (50, True)  # a quick run still scores enough to fit
    assert fit_pairs_cap(_cfg(200), 5000) == (200, True)
    assert fit_pairs_cap(_cfg(8, fit_pairs=0), 5000) == (50, True)  # 0 = all pairs, capped too
    assert fit_pairs_cap(_cfg(8), 40) == (1000, False)  # under the cap anyway: nothing was limited
    assert fit_pairs_cap(_cfg(5000), 5000) == (1000, False)
