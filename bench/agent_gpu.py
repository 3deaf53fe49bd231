"""The WritingPrompts agent chain with a real GPT-2 on a GPU: timings and the judged win rate.

Finds distilgpt2 or gpt2 in the local Hugging Face cache (or takes --generator-model PATH);
runs generator SFT -> evaluator and judge (MiniLM reward models on disjoint halves of the
WritingPrompts pairs) -> pairwise RL -> evaluation, and prints each step's wall time and
the results. Without local GPT-2 weights it says so and runs the tiny chain instead, so
the script itself can be checked anywhere.

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


def local_gpt2() -> str | None:
    """A GPT-2 family model available without the network: hub id (cached) or None."""
    from huggingface_hub import try_to_load_from_cache

    for repo in ("distilgpt2", "distilbert/distilgpt2", "gpt2", "openai-community/gpt2"):
        hit = try_to_load_from_cache(repo, "config.json")
        if isinstance(hit, str) and os.path.isfile(hit):
            return repo
    return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--generator-model", default=None, help="causal LM to fine-tune (default: cached distilgpt2/gpt2)")
    ap.add_argument("--data", default="demo", help="prepared data dir, 'demo' or a dump folder")
    ap.add_argument("--rl-steps", type=int, default=100)
    ap.add_argument("--eval-prompts", type=int, default=100)
    ap.add_argument("--max-new-tokens", type=int, default=128)
    ap.add_argument("--beta", type=float, default=0.05)
    ap.add_argument("--reward-base", default="", help="base of the evaluator/judge (default minilm, offline)")
    ap.add_argument("--reward-max-pairs", type=int, default=0, help="training pairs per reward model (0: 2000)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()

    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the GPU machines cannot reach the hub
    import torch

    from rmbench.registry import get_task

    out = Path(args.out or (Path(os.environ["OUT"]) / "agent-gpu" if os.environ.get("OUT") else "runs/agent-gpu"))
    model = args.generator_model or local_gpt2()
    options: dict = {"data": args.data, "config": {"data": {"cache_dir": str(out / "cache")}}}
    if model is None:
        print("no distilgpt2/gpt2 in the local Hugging Face cache: running the tiny chain instead "
              "(pass --generator-model PATH to use other weights)", file=sys.stderr)
        options["tiny"] = True
    else:
        options.update(generator_model=model, rl_steps=args.rl_steps, eval_prompts=args.eval_prompts,
                       max_new_tokens=args.max_new_tokens, beta=args.beta, rl_learning_rate=1e-5,
                       prompts_per_step=8, sft_batch_size=8, max_length=512,
                       reward_base=args.reward_base, reward_max_pairs=args.reward_max_pairs)
    print(f"device: {torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'cpu'}; "
          f"generator: {model or 'tiny'}; out: {out}", flush=True)
    t0 = time.time()
    summary = get_task("writingprompts-agent").run_pipeline(str(out), options)
    steps = {p.stem: json.loads(p.read_text()).get("wall_time_s") for p in sorted((out / "steps").glob("*.json"))}
    res = json.loads((out / "results.json").read_text())
    r = res["results"]["writingprompts-agent"]
    print(json.dumps({"generator": model or "tiny", "device": res["hardware"], "steps_wall_s": steps,
                      "total_wall_s": round(time.time() - t0, 1), "win_rate": r["splits"]["test"],
                      "length_controlled": r["splits"]["test_length_controlled"],
                      "metrics": r["agent_metrics"], "summary": summary}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
