"""The eval section of a run's config, beside the code that reads it."""

from __future__ import annotations

from dataclasses import dataclass

from rmbench.fields import opt


@dataclass
class EvalConfig:
    batch_size: int = opt(0, "sequences per scoring batch; 0: the device's default, 8 on a CPU and 64 on a GPU "
                             "(results do not depend on it beyond float rounding)")
    bootstrap_samples: int = opt(1000, "bootstrap resamples (posts resampled with all their pairs) for every 95% interval")
    # The plain percentile interval covers ~92.5% at 20 posts; the expanded one ~94.5%
    # (bench/ci_coverage_study.py, BENCHMARKS (o)); from 300 posts they are the same.
    interval: str = opt("expanded", "how a 95% interval reads its resamples: 'expanded' (Hesterberg's expanded percentiles "
                                    "for the number of posts resampled: right with few posts) or 'percentile' (the plain "
                                    "2.5%/97.5% draws, every result before this option)")
    ece_bins: int = opt(10, "equal-width bins of sigma(r_A - r_B) for the expected calibration error")
    score_ratio_edges: list = opt([2, 3, 5, 10], "bucket edges for accuracy by score ratio")
    # Below 50 pairs or 20 posts a 95% interval is ~+-14 points wide or rests on a handful
    # of threads (Emory's one-pair test_hard scored 0% and sank a mean): shown, never counted.
    min_report_pairs: int = opt(50, "a split with fewer pairs is shown, marked too small, and left out of every "
                                    "mean, verdict and rank; a control cell under it (len-ctrl: a length group "
                                    "under half) says too small")
    min_report_posts: int = opt(20, "a split with fewer posts is shown, marked too small, and left out of every mean, verdict and rank")
    # A fit on few pairs is a weaker bar than the surface really sets: fitted on N pairs (whole
    # posts) of the real AskAcademia dump and scored on every GradSchool pair, confounds trails
    # the fit on all 4,599 pairs by 9 points at N=50, 2.3 at 200, 1.1 at 500 (spread 0.7) and
    # 0.4 at 1,000 (bench/confounds_fit_size.py; docs/harness.md). From 500 pairs on the gap is
    # under the width of a large split's paired interval. 500 pairs at the 5-per-post cap come
    # from at least 100 posts; fewer posts means bigger threads decide the fit.
    # The stacked predictor has two weights: a thousand validation pairs pin them; more costs
    # scoring time and changes nothing measurable.
    stacked_fit_pairs: int = opt(1000, "at most this many reference validation pairs (drawn evenly per task) that the stacked predictor (confounds + the model's margin) is fitted on; 0: all")
    min_fit_pairs: int = opt(500, "baseline:confounds is fitted only on at least this many reference training pairs, else it is reported not fitted and enters no verdict")
    min_fit_posts: int = opt(100, "baseline:confounds is fitted only on pairs from at least this many posts, else it is reported not fitted and enters no verdict")
