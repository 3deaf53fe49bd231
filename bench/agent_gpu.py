"""The WritingPrompts agent chain at a GPU's budget: timings and the judged win rate.

The task's own chain (smollm2 from its PyPI package, offline; or --generator-model) with
more RL steps and evaluation prompts than the CPU default: evaluator and judge (MiniLM reward
models on disjoint halves of the WritingPrompts pairs) -> RLOO (k=2) -> evaluation; prints each
step's wall time and the results. ``--tiny`` runs the toy chain, so the script itself can be
checked anywhere.

    python bench/agent_gpu.py [--data DIR|demo] [--rl-steps 100] [--out runs/agent-gpu]

Writes under --out (default: $OUT/agent-gpu when $OUT is set, else runs/agent-gpu).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--generator-model", default="smollm2", help="causal LM that writes the stories (preset, dir, hub id)")
    ap.add_argument("--tiny", action="store_true", help="the toy chain (checks the script, measures nothing)")
    ap.add_argument("--data", default="demo", help="prepared data dir, 'demo' or a dump folder")
    ap.add_argument("--rl-steps", type=int, default=100)
    ap.add_argument("--eval-prompts", type=int, default=0, help="0: every test and validation prompt")
    ap.add_argument("--max-new-tokens", type=int, default=128)
    ap.add_argument("--beta", type=float, default=0.05)
    ap.add_argument("--reward-base", default="minilm", help="base of the evaluator/judge (minilm: offline)")
    ap.add_argument("--reward-max-pairs", type=int, default=2000, help="training pairs per reward model (0: all)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()

    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the GPU machines cannot reach the hub
    import torch

    from rmbench.registry import get_task

    out = Path(args.out or (Path(os.environ["OUT"]) / "agent-gpu" if os.environ.get("OUT") else "runs/agent-gpu"))
    model = "tiny" if args.tiny else args.generator_model
    options: dict = {"data": args.data, "config": {"data": {"cache_dir": str(out / "cache")}}}
    if args.tiny:
        options["tiny"] = True
    else:
        options.update(generator_model=model, rl_steps=args.rl_steps, eval_prompts=args.eval_prompts,
                       max_new_tokens=args.max_new_tokens, beta=args.beta, max_prompts=0,
                       reward_base=args.reward_base, reward_max_pairs=args.reward_max_pairs)
    print(f"device: {torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'cpu'}; "
          f"generator: {model}; out: {out}", flush=True)
    t0 = time.time()
    summary = get_task("writingprompts-agent").run_pipeline(str(out), options)
    steps = {p.stem: json.loads(p.read_text()).get("wall_time_s") for p in sorted((out / "steps").glob("*.json"))}
    res = json.loads((out / "results.json").read_text())
    r = res["results"]["writingprompts-agent"]
    print(json.dumps({"generator": model, "device": res["hardware"], "steps_wall_s": steps,
                      "total_wall_s": round(time.time() - t0, 1), "win_rate": r["splits"]["test"],
                      "length_controlled": r["splits"]["test_length_controlled"],
                      "metrics": r["agent_metrics"], "summary": summary}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
