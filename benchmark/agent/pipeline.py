"""The ``writingprompts-agent`` chain in one output directory, resumable step by step.

    OUT/data/         prepared data (unless --data/options['data'] points at some)
    OUT/generator/    step sft:        the story generator (HF dir)
    OUT/evaluator/    step evaluator:  reward model the agent is trained against
    OUT/judge/        step judge:      a different reward model, for the evaluation only
    OUT/agent/        step agent:      the generator after pairwise RL against the evaluator
    OUT/results.json  step eval:       win rate vs the generator by the judge (harness format)
    OUT/steps/<step>.json   markers: a step with a marker is done and is skipped on a rerun

Every step writes its output atomically and only then its marker, so an interrupted run
resumes at the first unfinished step. The evaluator and the judge are either given (reward
model directories, e.g. from two ``rmbench run`` outputs) or, in the tiny configuration,
tiny random reward models (smoke tests of the plumbing only, flagged in the results).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from rmbench.atomic import write_json
from rmbench.jsonlimits import read_json_file

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
    limit = task.reward_max_pairs or cfg.data.max_train_pairs
    vlimit = max(1, task.reward_max_pairs // 2) if task.reward_max_pairs else cfg.data.max_validation_pairs
    train, val = train[: limit or None], val[: vlimit or None]
    if not train:
        raise ValueError(f"no {task.data_task} training pairs for the {role} (half {half})")
    log(f"[{role}] training {cfg.model.name} on {len(train)} pairs (half {half} of {task.data_task}/train)")
    info = fit(cfg, train, val, out / f"{role}-work", out / role, progress=True)
    shutil.rmtree(out / f"{role}-work", ignore_errors=True)
    return {"path": str(out / role), "kind": "trained", "base": cfg.model.name, "half": half,
            "train_pairs": len(train), "validation_pairs": len(val),
            "validation_accuracy": info.get("best_validation_accuracy", info.get("validation_accuracy"))}


def run_chain(task, out_dir: str, options: dict, log=print) -> dict:
    """Run (or resume) the chain for the ``WritingPromptsAgent`` settings ``task``."""
    from rmbench.agent.evaluate import check_judge, run_eval
    from rmbench.eval.results import write_results
    from rmbench.agent.format import distinct_prompts
    from rmbench.agent.rl import RLSettings, reward_model_info, train_agent
    from rmbench.agent.sft import SFTSettings, run_sft
    from rmbench.prepared.load import load_prepared

    out = Path(out_dir)
    # `rmbench run` says resume=False unless --resume: then finished steps in OUT are an error,
    # not silently reused. The Python API (no 'resume' key) resumes.
    if not options.get("resume", True) and any(marker(out, s).is_file() for s in STEPS):
        raise FileExistsError(f"{out} already holds steps of a run; pass --resume to continue it, "
                              "or choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()

    def data_step():
        # `rmbench run` passes its --data (default 'demo'): a prepared dir, 'demo' or a dump folder.
        from rmbench.prepared.resolve import resolve_data

        source = options.get("data") or task.source
        cache = (options.get("config") or {}).get("data", {}).get("cache_dir", "")
        return {"data": str(resolve_data(str(source), cache, progress=True))}

    data_dir = _run_step(out, "data", data_step, log)["data"]
    splits = load_prepared(data_dir, task.data_task)

    def sft_step():
        s = SFTSettings(task=task.data_task, stories=task.stories, epochs=task.sft_epochs,
                        learning_rate=task.sft_learning_rate, batch_size=task.sft_batch_size,
                        max_length=task.max_length, max_examples=task.max_stories or None, seed=task.seed)
        card = run_sft(data_dir, task.generator_model, str(out / "generator"), s)
        return {"path": str(out / "generator"), "stories": card["stories"], "train_loss": card["train_loss"]}

    gen_dir = _run_step(out, "sft", sft_step, log)["path"]

    def rm_step(role: str, half: int):
        def fn():
            given = options.get(role) or getattr(task, role)
            if given:
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
                       logging_steps=max(1, min(10, task.rl_steps)))
        card = train_agent(gen_dir, RewardScorer(evaluator["path"]), train_prompts, str(out / "agent"), s,
                           reward_model_info(evaluator["path"]))
        return {"path": str(out / "agent"), "log": card["log"][-1:] if card["log"] else []}

    agent_dir = _run_step(out, "agent", agent_step, log)["path"]

    def eval_step():
        check_judge(agent_dir, judge["path"])
        split = next((sp for sp in ("test", "validation", "train") if len(splits[sp])), "train")
        prompts = [p for _, p in distinct_prompts(splits[split])][: task.eval_prompts or None]
        res = run_eval(agent_dir, gen_dir, judge["path"], prompts, str(out), data_dir=data_dir,
                       task=task.data_task, max_new_tokens=task.max_new_tokens, temperature=task.temperature,
                       top_p=task.top_p, seed=task.seed)
        res["config"].update({"chain": task.rules(), "prompt_split": split,
                              "evaluator": evaluator, "judge": judge})
        write_results(out / "results.json", res)
        t = res["results"]["writingprompts-agent"]["splits"]["test"]
        return {"results": str(out / "results.json"), "win_rate": t["accuracy"], "ci95": t["ci95"], "n": t["n"]}

    ev = _run_step(out, "eval", eval_step, log)
    summary = {"out": str(out), "generator": gen_dir, "evaluator": evaluator["path"], "judge": judge["path"],
               "agent": agent_dir, "results": ev["results"], "win_rate": ev["win_rate"], "ci95": ev["ci95"],
               "wall_time_s": round(time.time() - t0, 2)}
    log(f"win rate of the agent over the generator (judge {judge['path']}): {ev['win_rate']} {ev['ci95']} (n={ev['n']})")
    return summary
