"""The eval section of a run's config, beside the code that reads it."""

from __future__ import annotations

from dataclasses import dataclass

from rmbench.fields import opt


@dataclass
class EvalConfig:
    batch_size: int = opt(64, "sequences per scoring batch (results do not depend on it)")
    bootstrap_samples: int = opt(1000, "bootstrap resamples for the 95% intervals")
    ece_bins: int = opt(10, "equal-width bins of sigma(r_A - r_B) for the expected calibration error")
    score_ratio_edges: list = opt([2, 3, 5, 10], "bucket edges for accuracy by score ratio")
