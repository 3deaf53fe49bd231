"""The agent chain's null run: the unchanged generator in the agent's place.

Reads a finished `rmbench run --pipeline writingprompts-agent --out RUN` and evaluates the
generator against itself with everything else as the chain's evaluation step had it: the same
evaluation prompts, the judge RUN/judge, the task's generation settings and stories per
prompt. The "agent" side is the generator's seed-s stories, the other side its seed-(s+1)
stories -- exactly the generator side of the real evaluation -- so the truth is 50%, and how
far the figure lands from it shows what sampling and the judge alone do. The KL pass is
skipped (identical models: 0). Prints one JSON object; BENCHMARKS.md quotes it.

    python bench/agent_null.py runs/agent [--seed 0] [--json null.json]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", help="the chain's output directory (holds steps/data.json and judge/)")
    ap.add_argument("--seed", type=int, default=None, help="[default: the task's seed]")
    ap.add_argument("--prompts", type=int, default=0, help="only the first N evaluation prompts (a quick check)")
    ap.add_argument("--samples", type=int, default=0, help="stories per prompt [default: the task's eval_samples]")
    ap.add_argument("--json", help="also write the result here")
    args = ap.parse_args()

    from rmbench.agent.evaluate import evaluate_agent
    from rmbench.agent.generate import GenerationConfig
    from rmbench.agent.pipeline import eval_prompt_list
    from rmbench.model.load import resolve_model_path
    from rmbench.model.scoring import RewardScorer
    from rmbench.prepared.load import load_prepared
    from rmbench.registry import get_task

    run = Path(args.run)
    task = get_task("writingprompts-agent")
    splits = load_prepared(json.loads((run / "steps" / "data.json").read_text())["data"], task.data_task)
    prompts, _ = eval_prompt_list(splits, task)
    prompts = prompts[: args.prompts] if args.prompts else prompts
    generator = resolve_model_path(task.generator_model)
    seed = task.seed if args.seed is None else args.seed
    t0 = time.time()
    m = evaluate_agent(generator, generator, RewardScorer(str(run / "judge")), prompts,
                       gen=GenerationConfig(max_new_tokens=task.max_new_tokens, temperature=task.temperature,
                                            top_p=task.top_p),
                       samples_per_prompt=args.samples or task.eval_samples, seed=seed, kl=False)
    m.pop("stories")
    m.update(wall_s=round(time.time() - t0, 1), prompts=len(prompts), run=str(run), seed=seed)
    text = json.dumps(m, indent=1)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")


if __name__ == "__main__":
    main()
