"""``rmbench agent bon``: best-of-N, the downstream check of a reward model.

RewardBench 2 and PPE found that how much best-of-N sampling with a reward model helps
tracks the reward model's quality (and KARMA that it can disagree with vote accuracy), so a
reward model's pairwise accuracy gets a second, downstream number beside it:

    per prompt, the generator samples N stories; the reward model picks the one it scores
    highest (a tie in reward: uniformly among the tied); a judge -- a different reward model
    -- compares the pick with one of the N drawn uniformly at random.

The random story is drawn independently of the pick, so 1/N of the time it *is* the pick:
a tie, scored 0.5. A reward model that carries no information about the judge's preferences
wins 50% in expectation; one equal to the judge reaches the ceiling 1 - 1/(2N) less the
judge's own ties (87.5% at N = 4). The judge scores all N stories, so the result also
reports that ceiling for this judge and these stories (``judge_pick``: the judge's own
best-of-N against the same random story).

Reported: the win rate with a prompt-clustered 95% interval (``--rounds`` > 1 draws several
best-of-N rounds per prompt; they share the prompt's cluster), picked vs random mean length
(reward models like long answers, and so may judges) with the paired difference's interval,
and the length-controlled win rate (``rmbench.eval.controls.length_controlled``, the
harness's definition: the mean of the win rates where the pick is the longer and where it
is the shorter story).
"""

from __future__ import annotations

import dataclasses
import random
import time
from pathlib import Path

from rmbench.agent.generate import GenerationConfig, load_causal_lm, sample
from rmbench.agent.metrics import win_summary
from rmbench.eval.controls import length_controlled
from rmbench.eval.metrics import ClusterBootstrap

KEY = "best-of-n"  # the results.json entry (role "best_of_n") the leaderboard reads


def pick_index(rewards: list[float], rng: random.Random) -> int:
    """The highest reward's index; ties broken uniformly (a constant scorer picks at random)."""
    top = max(rewards)
    return rng.choice([i for i, r in enumerate(rewards) if r == top])


def best_of_n(prompts: list[str], stories: list[list[str]], reward_model, judge, *, seed: int = 0) -> dict:
    """Metrics for stories already sampled: ``stories[i]`` are the N stories of ``prompts[i]``
    (a prompt may repeat: one entry per round). ``reward_model`` and ``judge`` have
    ``.score(prompts, responses) -> rewards`` (``rmbench.model.scoring.RewardScorer``)."""
    n = len(stories[0])
    if n < 2 or any(len(s) != n for s in stories):
        raise ValueError(f"best-of-N needs the same N >= 2 stories for every prompt, got {sorted({len(s) for s in stories})}")
    flat_p = [p for p, ss in zip(prompts, stories) for _ in ss]
    flat_s = [s for ss in stories for s in ss]
    rm = reward_model.score(flat_p, flat_s)
    jr = judge.score(flat_p, flat_s)
    rng = random.Random(seed)
    picked, rand, oracle = [], [], []
    for i in range(len(stories)):
        rm_i, j_i = rm[i * n:(i + 1) * n], jr[i * n:(i + 1) * n]
        picked.append(pick_index(rm_i, rng))
        rand.append(rng.randrange(n))  # uniform, independent of the pick
        oracle.append(pick_index(j_i, rng))
    judged = lambda idx: [jr[i * n + k] for i, k in enumerate(idx)]  # noqa: E731 -- the judge's reward of story k of row i
    j_pick, j_rand, j_oracle = judged(picked), judged(rand), judged(oracle)
    win = win_summary(j_pick, j_rand, seed=seed, prompts=prompts)
    ceiling = win_summary(j_oracle, j_rand, seed=seed, prompts=prompts)
    texts = lambda idx: [stories[i][k] for i, k in enumerate(idx)]  # noqa: E731
    t_pick, t_rand = texts(picked), texts(rand)
    boot = ClusterBootstrap(prompts, seed=seed)
    outcomes = [1.0 if a > b else 0.0 if a < b else 0.5 for a, b in zip(j_pick, j_rand)]
    len_p, len_r = [float(len(t)) for t in t_pick], [float(len(t)) for t in t_rand]
    lc = length_controlled(len_p, len_r, outcomes, boot)
    diff, (lo, hi) = boot.diff(len_p, len_r)
    return {
        "n": n, "rounds": len(stories), "prompts": len(set(prompts)),
        "win_rate": win, "judge_pick": ceiling, "length_controlled": lc,
        "same_story": sum(a == b for a, b in zip(picked, rand)),
        "length": {"picked_mean_chars": sum(len_p) / len(len_p), "random_mean_chars": sum(len_r) / len(len_r),
                   "all_mean_chars": sum(len(s) for s in flat_s) / len(flat_s),
                   "picked_minus_random_chars": diff, "ci95": [lo, hi]},
        "examples": [{"prompt": p, "picked": a, "random": b, "judge_picked": x, "judge_random": y}
                     for p, a, b, x, y in list(zip(prompts, t_pick, t_rand, j_pick, j_rand))[:5]],
        # one row per round: what a reader needs to recompute every number above
        "rows": [{"round": i, "prompt": prompts[i], "picked": picked[i], "random": rand[i], "judge_pick": oracle[i],
                  "judge_picked": j_pick[i], "judge_random": j_rand[i], "judge_best": j_oracle[i],
                  "picked_chars": int(len_p[i]), "random_chars": int(len_r[i])} for i in range(len(stories))],
    }


def sample_stories(generator_dir: str, prompts: list[str], n: int, gen: GenerationConfig, *, rounds: int = 1,
                   seed: int = 0) -> tuple[list[str], list[list[str]]]:
    """(prompt per round, N stories per round): ``rounds`` x N samples of every prompt."""
    model, tok = load_causal_lm(generator_dir)
    out = sample(model, tok, prompts, gen, n=n * rounds, seed=seed, desc=f"best-of-{n} stories")
    rows_p, rows_s = [], []
    for p, ss in zip(prompts, out):
        for r in range(rounds):
            rows_p.append(p)
            rows_s.append([s.text for s in ss[r * n:(r + 1) * n]])
    return rows_p, rows_s


def results_json(metrics: dict, *, reward_model: str, generator_dir: str, judge_path: str, data, data_task: str,
                 config: dict, wall_time_s: float, parameters: int = 0) -> dict:
    """The harness's results.json (``rmbench.eval.results``) for the reward model, with one
    entry ``best-of-n`` (role ``best_of_n``): ``test`` is the win rate against a random story
    (baseline ``random_pick``: 0.5), ``test_length_controlled`` the same controlled for length."""
    from rmbench.eval.results import results_document
    from rmbench.model.load import weights_sha256

    def split(m: dict, extra: dict | None = None) -> dict:
        lo = m["ci95"][0] if m.get("ci95") else None
        return {"n": m.get("n", metrics["rounds"]), "accuracy": m["accuracy"], "ci95": m["ci95"],
                "metric": f"best_of_{metrics['n']}_win_rate_vs_random",
                "baselines": {"random_pick": {"accuracy": 0.5, "ci95": None},
                              "judge_pick": {"accuracy": metrics["judge_pick"]["accuracy"],
                                             "ci95": metrics["judge_pick"]["ci95"], "ceiling": True}},
                "best_baseline": "random_pick", "clears_best_baseline": (lo > 0.5) if lo is not None else None,
                "small": metrics["rounds"] < 100, **(extra or {})}

    lc = metrics["length_controlled"]
    splits = {"test": split(metrics["win_rate"], {"ties": metrics["win_rate"]["ties"]}),
              "test_length_controlled": split(lc, {"n": lc["n_longer"] + lc["n_shorter"]})}
    model = {"id": reward_model, "kind": "reward_model", "parameters": parameters, "path": reward_model,
             "weights_sha256": weights_sha256(reward_model),
             "best_of_n": {"generator": str(generator_dir), "judge": judge_path,
                           "judge_weights_sha256": weights_sha256(judge_path)}}
    results = {KEY: {"role": "best_of_n", "splits": splits,
                     "best_of_n": {k: metrics[k] for k in ("n", "rounds", "prompts", "length", "same_story",
                                                           "judge_pick", "length_controlled")}}}
    w = metrics["win_rate"]
    summary = {"best_of_n": {"n": metrics["n"], "win_rate": w["accuracy"], "ci95": w["ci95"],
                             "length_controlled": lc["accuracy"], "judge": judge_path}}
    return results_document(cfg=config, data=data, data_source=data.source_spec, model_info=model, holdout=[],
                            train_tasks=[], results=results, wall_time_s=wall_time_s, summary_block=summary,
                            data_tasks=[data_task.lower()])


def _parameters(scorer) -> int:
    model = getattr(scorer, "model", None)  # a constructed scorer (tests) has none
    return int(sum(p.numel() for p in model.parameters())) if hasattr(model, "parameters") else 0


def run_bon(generator_dir: str, reward_model: str, judge_path: str, prompts: list[str], out_dir: str, *,
            data_dir: str, task: str = "writingprompts", n: int = 4, rounds: int = 1, gen: GenerationConfig = GenerationConfig(),
            seed: int = 0, scorers: tuple | None = None) -> dict:
    """Sample, pick, judge; write ``out_dir/results.json`` and ``examples.json``. ``scorers``
    (reward model, judge) replaces loading them from the two paths (tests)."""
    import json

    from rmbench.atomic import clean_json, write_json, write_text
    from rmbench.eval.results import write_results
    from rmbench.prepared.manifest import Prepared

    t0 = time.time()
    if scorers is None:
        from rmbench.model.scoring import RewardScorer

        scorers = (RewardScorer(reward_model), RewardScorer(judge_path))
    rows_p, rows_s = sample_stories(generator_dir, prompts, n, gen, rounds=rounds, seed=seed)
    metrics = best_of_n(rows_p, rows_s, *scorers, seed=seed)
    config = {"task": task, "prompts": len(prompts), "n": n, "rounds": rounds, "generation": dataclasses.asdict(gen),
              "seed": seed}
    res = results_json(metrics, reward_model=reward_model, generator_dir=generator_dir, judge_path=judge_path,
                       data=Prepared.open(data_dir), data_task=task, config=config, wall_time_s=time.time() - t0,
                       parameters=_parameters(scorers[0]))
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    write_json(Path(out_dir) / "examples.json", metrics["examples"])
    write_text(Path(out_dir) / "predictions.jsonl",  # atomic: a reader never sees half the rounds
               "".join(json.dumps(clean_json(r), ensure_ascii=False) + "\n" for r in metrics["rows"]))
    write_results(Path(out_dir) / "results.json", res)
    return res
