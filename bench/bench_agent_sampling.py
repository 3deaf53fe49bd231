"""Story sampling for the agent: rmbench's decoder against transformers' ``generate``, in one run.

Two measurements, each beside its peer on the same prompts, model and settings:

- *stories* (``rmbench agent eval``, best-of-N): ``rmbench.agent.generate.sample`` (a story
  leaves its batch when it ends; batch ``--batch-size``) against the peer that it replaced,
  ``model.generate`` over batches of ``--peer-batch-size`` (every row computed until the
  batch's longest story stops);
- *RL steps* (``rmbench agent train``): TRL's ``RLOOTrainer`` sampling through
  ``rmbench.agent.generate.decode`` against TRL's own ``generate`` (``decodes_for`` switched
  off), ``--rl-steps`` optimizer steps each, with a constant reward so only sampling and the
  update are timed.

The stories are draws, so the two sides' lengths differ a little: each side's mean length
and truncated share are printed beside its time. Prompts: the task's evaluation prompts of
the demo data (prepared into the cache on first use). Prints one JSON object; BENCHMARKS.md
quotes it.

    python bench/bench_agent_sampling.py                      # smollm2, 25 prompts x 6 stories, 4 RL steps
    python bench/bench_agent_sampling.py --model tiny --prompts 4 --samples 2 --rl-steps 1   # a smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def timed(fn):
    t, c = time.perf_counter(), cpu_s()
    out = fn()
    return out, {"wall_s": round(time.perf_counter() - t, 2), "cpu_s": round(cpu_s() - c, 2)}


def story_stats(token_lists, truncated) -> dict:
    n = len(token_lists)
    return {"stories": n, "tokens": sum(map(len, token_lists)), "mean_tokens": round(sum(map(len, token_lists)) / n, 1),
            "truncated_fraction": round(sum(truncated) / n, 3)}


def peer_sample(model, tok, prompts, cfg, n, seed, eos):
    """What ``sample`` did before its own decoder: ``generate`` per batch, one global RNG."""
    import torch

    from rmbench.agent.format import format_prompt
    from rmbench.agent.generate import cut_at_end

    tok.padding_side = "left"
    torch.manual_seed(seed)
    jobs = [format_prompt(p, tok) for p in prompts for _ in range(n)]
    ids_out, cut = [], []
    with torch.no_grad():
        for start in range(0, len(jobs), cfg.batch_size):
            enc = tok(jobs[start:start + cfg.batch_size], return_tensors="pt", padding=True, add_special_tokens=False)
            gen = model.generate(**enc, do_sample=True, temperature=cfg.temperature, top_p=cfg.top_p, top_k=0,
                                 max_new_tokens=cfg.max_new_tokens, eos_token_id=eos, pad_token_id=tok.pad_token_id)
            for row in gen[:, enc["input_ids"].shape[1]:].tolist():
                ids_out.append(cut_at_end(row, eos))
                cut.append(ids_out[-1][-1] not in eos)
    return ids_out, cut


class ConstantReward:
    def score(self, prompts, responses):
        return [0.0] * len(responses)


def rl_steps(generator: str, prompts: list[str], steps: int, max_new_tokens: int, out: Path, ours: bool) -> dict:
    from rmbench.agent import rl

    calls = []
    real = rl.decodes_for
    rl.decodes_for = (lambda trainer: calls.append(1) or real(trainer)) if ours else (lambda trainer: False)
    try:
        settings = rl.RLSettings(steps=steps, prompts_per_step=4, max_new_tokens=max_new_tokens, logging_steps=1, seed=0)
        card, t = timed(lambda: rl.train_agent(generator, ConstantReward(), prompts, str(out), settings))
    finally:
        rl.decodes_for = real
    lengths = [h.get("completions/mean_length") for h in card["log"] if h.get("completions/mean_length") is not None]
    return {**t, "per_step_s": round(t["wall_s"] / steps, 2), "mean_tokens": round(sum(lengths) / len(lengths), 1) if lengths else None,
            "used_rmbench_decoder": bool(calls) if ours else False}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="smollm2", help="generator: a preset, a directory or 'tiny' [smollm2]")
    ap.add_argument("--prompts", type=int, default=25, help="evaluation prompts [25, as the chain]")
    ap.add_argument("--samples", type=int, default=6, help="stories per prompt [6, as the chain]")
    ap.add_argument("--max-new-tokens", type=int, default=192)
    ap.add_argument("--batch-size", type=int, default=0, help="rmbench's batch [GenerationConfig's default]")
    ap.add_argument("--peer-batch-size", type=int, default=32, help="generate's batch [32, its old default]")
    ap.add_argument("--rl-steps", type=int, default=4, help="RL steps per side (0: skip) [4]")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="also write the result here")
    args = ap.parse_args()

    import tempfile

    import torch

    from rmbench.agent.generate import GenerationConfig, _eos_ids, load_causal_lm, sample
    from rmbench.agent.pipeline import eval_prompt_list
    from rmbench.model.load import resolve_model_path
    from rmbench.prepared.load import load_prepared
    from rmbench.prepared.resolve import resolve_data
    from rmbench.registry import get_task

    task = get_task("writingprompts-agent")
    splits = load_prepared(str(resolve_data("demo", "", progress=False)), task.data_task)
    prompts = eval_prompt_list(splits, task)[0][: args.prompts]
    with tempfile.TemporaryDirectory() as tmp:
        if args.model == "tiny":
            from rmbench.agent.tiny import build_tiny

            model, tok = build_tiny(prompts)
            model.save_pretrained(f"{tmp}/tiny")
            tok.save_pretrained(f"{tmp}/tiny")
            generator = f"{tmp}/tiny"
        else:
            generator = resolve_model_path(args.model)
        model, tok = load_causal_lm(generator, "cpu")
        ours_cfg = GenerationConfig(max_new_tokens=args.max_new_tokens)
        if args.batch_size:
            ours_cfg = GenerationConfig(max_new_tokens=args.max_new_tokens, batch_size=args.batch_size)
        peer_cfg = GenerationConfig(max_new_tokens=args.max_new_tokens, batch_size=args.peer_batch_size)
        eos = _eos_ids(model, tok)
        res = {"model": args.model, "prompts": len(prompts), "samples_per_prompt": args.samples,
               "max_new_tokens": args.max_new_tokens, "torch_threads": torch.get_num_threads(),
               "load_average": os.getloadavg()}
        got, t = timed(lambda: sample(model, tok, prompts, ours_cfg, n=args.samples, seed=args.seed))
        flat = [s for ss in got for s in ss]
        ours = {"batch_size": ours_cfg.batch_size, **t, **story_stats([s.token_ids for s in flat], [s.truncated for s in flat])}
        (ids, cut), t = timed(lambda: peer_sample(model, tok, prompts, peer_cfg, args.samples, args.seed, eos))
        peer = {"batch_size": peer_cfg.batch_size, **t, **story_stats(ids, cut)}
        per_token = [r["cpu_s"] / r["tokens"] for r in (ours, peer)]
        res["stories"] = {"rmbench_sample": ours, "peer_generate": peer,
                          "cpu_ratio_peer_over_ours": round(peer["cpu_s"] / ours["cpu_s"], 2),
                          "cpu_per_token_ratio_peer_over_ours": round(per_token[1] / per_token[0], 2)}
        if args.rl_steps:
            a = rl_steps(generator, prompts, args.rl_steps, args.max_new_tokens, Path(tmp) / "a", ours=True)
            b = rl_steps(generator, prompts, args.rl_steps, args.max_new_tokens, Path(tmp) / "b", ours=False)
            res["rl"] = {"steps": args.rl_steps, "rmbench_decode": a, "peer_trl_generate": b,
                         "cpu_ratio_peer_over_ours": round(b["cpu_s"] / a["cpu_s"], 2)}
    text = json.dumps(res, indent=1)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")


if __name__ == "__main__":
    main()
