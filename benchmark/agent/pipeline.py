"""The ``writingprompts-agent`` chain in one output directory, resumable step by step.

    OUT/data/         prepared data (unless --data/options['data'] points at some)
    OUT/generator/    step sft:        the story generator (HF dir; with sft 'none' the step only
                                       records where the unchanged generator lives)
    OUT/evaluator/    step evaluator:  reward model the agent is trained against
    OUT/judge/        step judge:      a different reward model, for the evaluation only
    OUT/agent/        step agent:      the generator after pairwise RL against the evaluator
    OUT/results.json  step eval:       win rate vs the generator by the judge (harness format)
    OUT/steps/<step>.json   markers: a step with a marker is done and is skipped on a rerun

Every step writes its output atomically and only then its marker, so an interrupted run
resumes at the first unfinished step. The evaluator and the judge are either given (reward
model directories, e.g. from two ``rmbench run`` outputs) or trained here with the harness's
trainer on disjoint halves of the WritingPrompts pairs (by post); in the tiny configuration
their base is a tiny random BERT (smoke tests of the plumbing only, flagged in the results).
Notes go to stderr (``log``); the caller prints the summary.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

from rmbench.atomic import write_json
from rmbench.jsonlimits import read_json_file

TRAIN = "train"  # an evaluator/judge setting meaning: train one here, on its half of the pairs
STEPS = ("data", "sft", "evaluator", "judge", "agent", "eval")


def marker(out: Path, step: str) -> Path:
    return out / "steps" / f"{step}.json"


def done(out: Path, step: str) -> dict | None:
    p = marker(out, step)
    return read_json_file(p) if p.is_file() else None


def _run_step(out: Path, step: str, fn, log) -> dict:
    prev = done(out, step)
    if prev is not None:
        log(f"[{step}] done before, skipped ({marker(out, step)})")
        return prev
    log(f"[{step}] running")
    t0 = time.time()
    info = fn()
    info = {**info, "step": step, "wall_time_s": round(time.time() - t0, 2)}
    write_json(marker(out, step), info)
    return info


def tiny_reward_model(path: Path, seed: int) -> Path:
    """A 2-layer random BERT reward head over the MiniLM tokenizer (plumbing tests only)."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from rmbench.atomic import atomic_dir
    from rmbench.model.load import alias_path

    tok = AutoTokenizer.from_pretrained(str(alias_path("minilm")))
    torch.manual_seed(seed)
    cfg = BertConfig(vocab_size=tok.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=37, num_labels=1, pad_token_id=tok.pad_token_id)
    with atomic_dir(path) as tmp:
        BertForSequenceClassification(cfg).save_pretrained(tmp)
        tok.save_pretrained(tmp)
    return path


def half_of(post_id: str) -> int:
    """0 or 1 by a hash of the post id: the evaluator and the judge see disjoint posts."""
    import hashlib

    return hashlib.sha256(f"rmbench-agent-half:{post_id}".encode()).digest()[0] & 1


def train_half_reward_model(task, options: dict, data_dir: str, out: Path, role: str, half: int, log) -> dict:
    """A reward model trained with the harness's trainer (``rmbench.model.train.fit``) on one half
    of the WritingPrompts training pairs (by post), selected on the same half of validation."""
    from rmbench.run.config import RunConfig, apply
    from rmbench.prepared.load import load_prepared
    from rmbench.model.train import fit

    cfg = apply(RunConfig(), options.get("config") or {}, "options['config']")
    base = options.get("reward_base") or task.reward_base
    if task.generator_model == "tiny" and not base:
        base = str(out / "reward-base") if (out / "reward-base").is_dir() else str(
            tiny_reward_model(out / "reward-base", task.seed))
        cfg.train.epochs, cfg.model.max_length, cfg.train.batch_size = 1.0, 64, 8
    cfg.model.name = base or cfg.model.name
    cfg.seed = task.seed
    splits = load_prepared(data_dir, task.data_task)
    train = [r for r in splits["train"] if half_of(r["post_id"]) == half]
    val = [r for r in splits["validation"] if half_of(r["post_id"]) == half]
    # The first pairs in pair_id order: deterministic, and post ids carry no order of their own.
    train, val = train[: task.reward_max_pairs or None], val[: max(1, task.reward_max_pairs // 2)]
    if not train:
        raise ValueError(f"no {task.data_task} training pairs for the {role} (half {half})")
    log(f"[{role}] training {cfg.model.name} on {len(train)} pairs (half {half} of {task.data_task}/train)")
    info = fit(cfg, train, val, out / f"{role}-work", out / role, progress=True)
    shutil.rmtree(out / f"{role}-work", ignore_errors=True)
    return {"path": str(out / role), "kind": "trained", "base": cfg.model.name, "half": half,
            "train_pairs": len(train), "validation_pairs": len(val),
            "validation_accuracy": info.get("best_validation_accuracy", info.get("validation_accuracy"))}


def _stderr(line: str) -> None:
    from rmbench.console import quiet

    if not quiet():
        print(line, file=sys.stderr, flush=True)


def eval_prompt_list(splits, task) -> tuple[list[str], list[str]]:
    """Distinct prompts of ``task.eval_splits`` in order (a post once), and the splits used."""
    from rmbench.agent.format import distinct_prompts

    wanted = [s.strip() for s in task.eval_splits.split(",") if s.strip()]
    used = [s for s in wanted if s in splits and len(splits[s])]
    if not used:  # tiny data sets: fall back rather than evaluate nothing
        used = [next((s for s in ("test", "validation", "train") if s in splits and len(splits[s])), "train")]
    rows = [r for s in used for r in splits[s]]
    return [p for _, p in distinct_prompts(rows)][: task.eval_prompts or None], used


def run_chain(task, out_dir: str, options: dict, log=_stderr) -> dict:
    """Run (or resume) the chain for the ``WritingPromptsAgent`` settings ``task``."""
    from rmbench.agent.evaluate import check_judge, run_eval
    from rmbench.eval.results import write_results
    from rmbench.agent.format import distinct_prompts
    from rmbench.model.load import resolve_model_path
    from rmbench.agent.rl import RLSettings, reward_model_info, train_agent
    from rmbench.agent.sft import SFTSettings, run_sft
    from rmbench.prepared.load import load_prepared

    from rmbench.run.config import RunConfig, apply

    # The run's --mixed-precision (model.mixed_precision) reaches every trainer of the chain:
    # the reward models through `fit`, and the generator's SFT and RL here.
    precision = apply(RunConfig(), options.get("config") or {}, "options['config']").model.mixed_precision
    out = Path(out_dir)
    # `rmbench run` says resume=False unless --resume: then finished steps in OUT are an error,
    # not silently reused. The Python API (no 'resume' key) resumes.
    if not options.get("resume", True) and any(marker(out, s).is_file() for s in STEPS):
        raise FileExistsError(f"{out} already holds steps of a run; pass --resume to continue it, "
                              "or choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    from rmbench.console import stderr_console

    stderr_console()  # transformers' load reports and bars off, as in `rmbench run --holdout`

    def data_step():
        # `rmbench run` passes its --data (default 'demo'): a prepared dir, 'demo' or a dump folder.
        from rmbench.prepared.resolve import resolve_data

        source = options.get("data") or task.source
        cache = (options.get("config") or {}).get("data", {}).get("cache_dir", "")
        return {"data": str(resolve_data(str(source), cache, progress=True))}

    log(f"{task.name}: outputs under {out} (generator/, evaluator/, judge/, agent/, results.json, report.html)")
    data_dir = _run_step(out, "data", data_step, log)["data"]
    log(f"data: {data_dir} (task {task.data_task})")
    splits = load_prepared(data_dir, task.data_task)

    def sft_step():
        if task.sft == "none":  # the generator as it is: nothing to train, nothing to copy
            path = resolve_model_path(task.generator_model)
            return {"path": path, "sft": "none", "base_model": task.generator_model}
        s = SFTSettings(task=task.data_task, stories=task.stories, mode=task.sft, epochs=task.sft_epochs,
                        learning_rate=task.sft_rate(), batch_size=task.sft_batch_size,
                        max_length=task.max_length, max_examples=task.max_stories or None, seed=task.seed,
                        mixed_precision=precision, gradient_checkpointing=task.sft_gradient_checkpointing)
        card = run_sft(data_dir, task.generator_model, str(out / "generator"), s)
        return {"path": str(out / "generator"), "sft": task.sft, "base_model": task.generator_model,
                "stories": card["stories"], "train_loss": card["train_loss"]}

    gen_dir = _run_step(out, "sft", sft_step, log)["path"]

    def rm_step(role: str, half: int):
        def fn():
            given = options.get(role) or getattr(task, role)
            if given and given != TRAIN:
                return {"path": str(given), "kind": "given"}
            return train_half_reward_model(task, options, data_dir, out, role, half, log)
        return fn

    evaluator = _run_step(out, "evaluator", rm_step("evaluator", 0), log)
    judge = _run_step(out, "judge", rm_step("judge", 1), log)

    train_prompts = [p for _, p in distinct_prompts(splits["train"])][: task.max_prompts or None]

    def agent_step():
        from rmbench.model.scoring import RewardScorer

        s = RLSettings(steps=task.rl_steps, prompts_per_step=task.prompts_per_step, beta=task.beta,
                       learning_rate=task.rl_learning_rate, max_new_tokens=task.max_new_tokens,
                       temperature=task.temperature, top_p=task.top_p, seed=task.seed,
                       logging_steps=max(1, min(10, task.rl_steps)), mixed_precision=precision,
                       gradient_checkpointing=task.rl_gradient_checkpointing)
        card = train_agent(gen_dir, RewardScorer(evaluator["path"]), train_prompts, str(out / "agent"), s,
                           reward_model_info(evaluator["path"]))
        return {"path": str(out / "agent"), "log": card["log"][-1:] if card["log"] else []}

    agent_dir = _run_step(out, "agent", agent_step, log)["path"]

    def eval_step():
        check_judge(agent_dir, judge["path"])
        prompts, split = eval_prompt_list(splits, task)
        res = run_eval(agent_dir, gen_dir, judge["path"], prompts, str(out), data_dir=data_dir,
                       task=task.data_task, max_new_tokens=task.max_new_tokens, temperature=task.temperature,
                       top_p=task.top_p, samples_per_prompt=task.eval_samples, seed=task.seed)
        res["config"].update({"chain": task.rules(), "prompt_split": ",".join(split),
                              "evaluator": evaluator, "judge": judge})
        write_results(out / "results.json", res)
        r = res["results"]["writingprompts-agent"]
        t, lc, m = r["splits"]["test"], r["splits"]["test_length_controlled"], r["agent_metrics"]
        return {"results": str(out / "results.json"), "report": str(out / "report.html"),
                "win_rate": t["accuracy"], "ci95": t["ci95"], "n": t["n"], "prompts": len(prompts),
                "length_controlled": lc["accuracy"], "length_controlled_ci95": lc["ci95"], "length_controlled_n": lc["n"],
                "kl_per_story": m["kl_to_generator"]["per_story"], "kl_per_token": m["kl_to_generator"]["per_token"],
                **{f"{who}_{k}": m[who][k] for who in ("agent", "generator")
                   for k in ("mean_tokens", "distinct_2", "truncated_fraction")},
                **({"note": res["config"]["note"]} if res["config"].get("note") else {})}

    ev = _run_step(out, "eval", eval_step, log)
    summary = {"out": str(out), "data": data_dir, "generator": gen_dir, "evaluator": evaluator["path"],
               "judge": judge["path"], "agent": agent_dir, **{k: v for k, v in ev.items() if k not in ("step",)},
               "wall_time_s": round(time.time() - t0, 2)}
    return summary
