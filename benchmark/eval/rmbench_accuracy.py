"""rmbench's pairwise accuracy as a Hugging Face ``evaluate`` metric.

    import evaluate, rmbench.eval.rmbench_accuracy as m
    metric = evaluate.load(m.__file__)          # or evaluate.load(m.PATH)
    metric.compute(chosen_rewards=[...], rejected_rewards=[...], pair_ids=[...])
    # {"accuracy": 0.71, "ci95_low": 0.66, "ci95_high": 0.76, "n_pairs": 300, "n_posts": 120, ...}

The number and the interval are rmbench's own: a pair is right when the chosen response gets
the higher reward (a tie counts one half), and the 95% interval resamples whole posts (a
pair's post is its ``pair_id`` before the first ``:``) with ``rmbench.eval.metrics``, the one
bootstrap, with the same seed and resample count a run uses, so ``evaluate`` users get the
figure ``results.json`` reports (tests/eval/test_rmbench_accuracy.py checks this on the
real dumps).
"""

from __future__ import annotations

import datasets
import evaluate

from rmbench.eval.metrics import ClusterBootstrap, pair_outcomes, post_ids_of, using_interval

PATH = __file__

_DESCRIPTION = """Pairwise preference accuracy with a post-clustered 95% bootstrap interval
(rmbench). Inputs: the reward of the chosen and of the rejected response of each pair, and
the pair's rmbench pair id (its post id before the first ':'), which clusters the bootstrap."""

_KWARGS = """
Args:
    chosen_rewards (list of float): reward of the response people preferred.
    rejected_rewards (list of float): reward of the other response.
    pair_ids (list of str): rmbench pair ids, "<post>:<chosen>:<rejected>"; pairs of one post
        are resampled together.
    bootstrap_samples (int, default 1000): resamples for the interval (rmbench's default).
    seed (int, default 0): the bootstrap's seed (a run's --seed).
    interval (str, default "expanded"): how the interval reads the resamples, as a run's
        eval.interval ("percentile" for a results.json from before that option).
Returns:
    accuracy, ci95_low, ci95_high (fractions in [0, 1]), n_pairs, n_posts, ties, interval.
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS)
class RmbenchAccuracy(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="rmbench: held-out transfer of reward models learned from Reddit votes",
            inputs_description=_KWARGS,
            features=datasets.Features({"chosen_rewards": datasets.Value("float64"),
                                        "rejected_rewards": datasets.Value("float64"),
                                        "pair_ids": datasets.Value("string")}),
            reference_urls=["https://github.com/rmbench/rmbench"],
        )

    def _compute(self, chosen_rewards, rejected_rewards, pair_ids, bootstrap_samples: int = 1000, seed: int = 0,
                 interval: str = "expanded"):
        outcomes = pair_outcomes(chosen_rewards, rejected_rewards)
        posts = post_ids_of(pair_ids)
        boot = ClusterBootstrap(posts, bootstrap_samples, seed)
        with using_interval(interval):
            acc, (lo, hi) = boot.mean(outcomes)
        return {"accuracy": acc, "ci95_low": lo, "ci95_high": hi, "n_pairs": int(outcomes.size),
                "n_posts": len(set(posts)), "ties": int((outcomes == 0.5).sum()), "interval": interval}
