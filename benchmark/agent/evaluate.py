"""``rmbench agent eval``: does the agent beat the generator by a judge it was not trained against?

Guards against reward hacking: the judge must be a different reward model from the evaluator
the agent optimised (refused when the weights are the same); beside the raw win rate come a
length-controlled win rate (only pairs of similar length, since reward models like long
answers), distinct-n (a collapsed policy repeats itself) and the KL from the generator.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from rmbench.agent.artifacts import read_card
from rmbench.agent.generate import GenerationConfig, load_causal_lm, sample
from rmbench.agent.kl import kl_summary, story_kl
from rmbench.agent.metrics import distinct_n, similar_length, win_summary, win_values
from rmbench.eval.controls import length_controlled
from rmbench.eval.metrics import ClusterBootstrap
from rmbench.agent.rl import sigmoid
from rmbench.agent.tiny import TINY
from rmbench.errors import SameJudgeError
from rmbench.model.load import weights_sha256
from rmbench.task import HARD_MAX_LENGTH_RATIO

TASK = "writingprompts-agent"
EXAMPLES = 3  # story pairs kept for the report: three stories of each model
SMOKE_NOTE = "smoke test: tiny random models, no effect expected"


def check_judge(agent_dir: str, judge_path: str | None) -> None:
    """Refuse a judge whose weights equal the reward model the agent was trained against."""
    trained = read_card(agent_dir).get("reward_model", {})
    if not judge_path:
        return
    judge_sha = weights_sha256(judge_path)
    same_path = trained.get("path") and Path(trained["path"]).resolve() == Path(judge_path).resolve()
    same_weights = judge_sha is not None and judge_sha == trained.get("weights_sha256")
    if same_path or same_weights:
        raise SameJudgeError(f"judge {judge_path} is the reward model the agent was trained against; "
                             "use one trained on other tasks or on the other half of the WritingPrompts data "
                             "(--allow-same-judge to override, e.g. to measure how much the agent exploits it)")


def evaluate_agent(agent_dir: str, generator_dir: str, judge, prompts: list[str], *,
                   gen: GenerationConfig = GenerationConfig(), samples_per_prompt: int = 1,
                   length_ratio: float = HARD_MAX_LENGTH_RATIO, seed: int = 0, kl: bool = True) -> dict:
    """Metrics for the agent against its generator. ``judge`` has ``.score(prompts, responses)``.

    ``kl=False`` skips the KL pass (``kl_to_generator`` is None): for a null run, where the
    generator stands in for the agent and the divergence is 0 by construction."""
    agent, atok = load_causal_lm(agent_dir)
    base, btok = load_causal_lm(generator_dir)
    a = sample(agent, atok, prompts, gen, n=samples_per_prompt, seed=seed, desc="agent stories")
    b = sample(base, btok, prompts, gen, n=samples_per_prompt, seed=seed + 1, desc="generator stories")
    flat_p = [p for p, ss in zip(prompts, a) for _ in ss]
    a_txt = [s.text for ss in a for s in ss]
    b_txt = [s.text for ss in b for s in ss]
    r = judge.score(flat_p + flat_p, a_txt + b_txt)
    ra, rb = r[:len(a_txt)], r[len(a_txt):]
    overall = win_summary(ra, rb, seed=seed, prompts=flat_p)
    # The harness's length control (as for reward models and best-of-N): the mean of the win
    # rate where the agent's story is the longer and where it is the shorter, so a judge that
    # only likes length scores 50% whatever the agent's length; prompt-clustered interval.
    lc = length_controlled([len(x) for x in a_txt], [len(y) for y in b_txt], win_values(ra, rb),
                           ClusterBootstrap(flat_p, seed=seed))
    keep = [i for i in range(len(a_txt)) if similar_length(a_txt[i], b_txt[i], length_ratio)]
    similar = win_summary([ra[i] for i in keep], [rb[i] for i in keep], seed=seed, prompts=[flat_p[i] for i in keep])

    # KL(agent || generator) on samples drawn at temperature 1 and full nucleus: the expectation
    # is over the agent's own distribution only then. Non-negative estimator: rmbench.agent.kl.
    divergence = None
    if kl:
        kl_samples = a if (gen.temperature == 1.0 and gen.top_p == 1.0) else sample(
            agent, atok, prompts, dataclasses.replace(gen, temperature=1.0, top_p=1.0), n=samples_per_prompt,
            seed=seed + 2, desc="agent samples for KL")
        ids = [s.token_ids for ss in kl_samples for s in ss]
        kp = [p for p, ss in zip(prompts, kl_samples) for _ in ss]
        divergence = kl_summary(story_kl(agent, base, atok, kp, ids))

    def lengths(samples):
        flat = [s for ss in samples for s in ss]
        return {"mean_chars": sum(len(s.text) for s in flat) / len(flat),
                "mean_tokens": sum(len(s.token_ids) for s in flat) / len(flat),
                "truncated_fraction": sum(s.truncated for s in flat) / len(flat),
                "distinct_1": distinct_n([s.text for s in flat], 1),
                "distinct_2": distinct_n([s.text for s in flat], 2)}

    return {
        "win_rate": overall,
        "length_controlled": {"n": lc["n_longer"] + lc["n_shorter"], "accuracy": lc["accuracy"], "ci95": lc["ci95"],
                              "agent_longer": lc["chosen_longer"], "agent_shorter": lc["chosen_shorter"],
                              "n_agent_longer": lc["n_longer"], "n_agent_shorter": lc["n_shorter"]},
        "similar_length": {**similar, "max_length_ratio": length_ratio},
        "mean_preference": sum(sigmoid(x - y) for x, y in zip(ra, rb)) / len(ra),
        "kl_to_generator": divergence,
        "agent": lengths(a), "generator": lengths(b),
        "stories": [{"prompt": p, "agent": x, "generator": y, "agent_reward": u, "generator_reward": v,
                     "agent_tokens": len(sa.token_ids), "generator_tokens": len(sb.token_ids)}
                    for p, x, y, u, v, sa, sb in zip(flat_p, a_txt, b_txt, ra, rb, [s for ss in a for s in ss],
                                                     [s for ss in b for s in ss])],
    }


def report_examples(stories: list[dict], k: int = EXAMPLES) -> list[dict]:
    """The first pair of each of the first ``k`` prompts (several stories per prompt would
    otherwise fill the report with one prompt), then further pairs if there are fewer prompts."""
    seen: set[str] = set()
    first = [i for i, s in enumerate(stories) if not (s["prompt"] in seen or seen.add(s["prompt"]))][:k]
    rest = [i for i in range(len(stories)) if i not in first][: k - len(first)]
    return [stories[i] for i in sorted(first + rest)]


def _parameters(model_dir: str) -> int:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    with torch.device("meta"):  # count parameters without allocating them
        model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(model_dir))
    return sum(p.numel() for p in model.parameters())


def results_json(metrics: dict, *, agent_dir: str, generator_dir: str, judge_path: str | None,
                 data, data_task: str, config: dict, wall_time_s: float) -> dict:
    """The harness's results.json (``rmbench.eval.results``) with ``model.kind = "agent"``.

    ``accuracy`` is the agent's win rate against its generator under the judge: 0.5 is the
    generator itself (the baseline), so ``clears_best_baseline`` asks whether the interval
    lies above 0.5. ``test_length_controlled`` is the harness's length-controlled win rate
    (``rmbench.eval.controls.length_controlled``).
    ``data`` is the ``Prepared`` the prompts came from, ``data_task`` their task.
    """
    from rmbench.eval.results import results_document

    card = read_card(agent_dir)

    def split(m):
        lo = m["ci95"][0] if m["ci95"] else None
        return {"n": m["n"], "accuracy": m["accuracy"], "ci95": m["ci95"], "metric": "win_rate_vs_generator",
                "baselines": {"generator": {"accuracy": 0.5, "ci95": None}}, "best_baseline": "generator",
                "clears_best_baseline": (lo > 0.5) if lo is not None else None, "small": m["n"] < 100,
                "ties": m.get("ties")}

    test, lc = split(metrics["win_rate"]), split(metrics["length_controlled"])
    model = {"id": f"agent:{Path(agent_dir).name}", "kind": "agent",
             "base_model": card.get("generator_card", {}).get("base_model") or card.get("generator"), "path": str(agent_dir),
             "parameters": _parameters(agent_dir), "weights_sha256": weights_sha256(agent_dir),
             "generator": str(generator_dir), "trained_against": card.get("reward_model"),
             "judge": {"path": judge_path, "weights_sha256": weights_sha256(judge_path) if judge_path else None}}
    results = {TASK: {"role": "agent", "splits": {"test": test, "test_length_controlled": lc},
                      "agent_metrics": {k: metrics[k] for k in ("mean_preference", "kl_to_generator", "agent",
                                                                "generator", "length_controlled", "similar_length")}}}
    summary = {"heldout_mean_accuracy": test["accuracy"], "heldout_mean_accuracy_hard": lc["accuracy"],
               "best_baseline_mean": 0.5,
               "margin_over_best_baseline": None if test["accuracy"] is None else test["accuracy"] - 0.5}
    return results_document(cfg=config, data=data, data_source=data.source_spec, model_info=model, holdout=[TASK],
                            train_tasks=[], results=results, wall_time_s=wall_time_s, summary_block=summary,
                            data_tasks=[data_task.lower()])


def run_eval(agent_dir: str, generator_dir: str, judge_path: str, prompts: list[str], out_dir: str, *,
             data_dir: str, task: str = "writingprompts", judge=None, max_new_tokens: int = 200,
             temperature: float = 1.0, top_p: float = 1.0, samples_per_prompt: int = 1,
             length_ratio: float = HARD_MAX_LENGTH_RATIO, seed: int = 0) -> dict:
    """Evaluate and write ``out_dir/results.json`` (and ``examples.json``); returns the results."""
    import json

    from rmbench.atomic import clean_json, write_json, write_text

    t0 = time.time()
    if judge is None:
        from rmbench.model.scoring import RewardScorer

        judge = RewardScorer(judge_path)
    gen = GenerationConfig(max_new_tokens=max_new_tokens, temperature=temperature, top_p=top_p)
    metrics = evaluate_agent(agent_dir, generator_dir, judge, prompts, gen=gen, samples_per_prompt=samples_per_prompt,
                             length_ratio=length_ratio, seed=seed)
    from rmbench.eval.results import write_results
    from rmbench.prepared.manifest import Prepared

    config = {"task": task, "prompts": len(prompts), "samples_per_prompt": samples_per_prompt,
              "generation": dataclasses.asdict(gen), "length_ratio": length_ratio, "seed": seed}
    # A generator built from the random toy model learns nothing: say so wherever results show.
    if read_card(generator_dir).get("base_model") == TINY:
        config["note"] = SMOKE_NOTE
    res = results_json(metrics, agent_dir=agent_dir, generator_dir=generator_dir, judge_path=judge_path,
                       data=Prepared.open(data_dir), data_task=task, config=config, wall_time_s=time.time() - t0)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    # Every story with its judge reward: the figures can be recomputed, the stories read.
    write_text(Path(out_dir) / "stories.jsonl",
               "".join(json.dumps(clean_json(r), ensure_ascii=False) + "\n" for r in metrics["stories"]))
    examples = report_examples(metrics["stories"])
    write_json(Path(out_dir) / "examples.json", examples)
    write_results(Path(out_dir) / "results.json", res)
    from rmbench.agent.report import write_report

    write_report(res, examples, Path(out_dir) / "report.html")
    return res
