"""The WritingPrompts agent as a task: generator -> evaluator -> agent -> judged evaluation.

``rmbench run --pipeline writingprompts-agent`` calls ``run_pipeline``; every field below is a
setting that ``options`` can override by name (``options={"tiny": True}`` selects the
seconds-long toy configuration used in tests). See ``rmbench.agent.pipeline``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from rmbench.registry import register
from rmbench.task import AgentTask, rule

# The toy configuration: a random 2-layer GPT-2 with a word tokenizer, a few steps of each stage.
TINY = dict(generator_model="tiny", sft_epochs=2.0, sft_learning_rate=5e-3, sft_batch_size=8, max_length=128,
            max_stories=32, rl_steps=4, prompts_per_step=2, rl_learning_rate=1e-3, max_new_tokens=16,
            max_prompts=16, eval_prompts=8, reward_max_pairs=64)


@register
@dataclass(frozen=True)
class WritingPromptsAgent(AgentTask):
    name: str = "writingprompts-agent"
    description: str = "story generator, pairwise-RL agent against an evaluator, win rate by a different judge"
    source: str = rule("demo", "data source when options['data'] is not given (prepared with rmbench prepare)")
    data_task: str = rule("writingprompts", "prepared task whose prompts and stories are used")
    generator_model: str = rule("distilgpt2", "causal LM to fine-tune ('tiny': random toy model)")
    stories: str = rule("chosen", "SFT on 'chosen' stories (won a vote comparison) or 'all'")
    sft_epochs: float = rule(1.0, "generator fine-tuning epochs")
    sft_learning_rate: float = rule(5e-5, "generator learning rate")
    sft_batch_size: int = rule(8, "stories per generator step")
    max_length: int = rule(512, "prompt+story tokens kept in SFT")
    max_stories: int = rule(0, "use at most this many stories in SFT (0: all)")
    evaluator: str = rule("", "reward model the agent is trained against (dir); empty: train one on half A of the WP pairs")
    judge: str = rule("", "a different reward model for the evaluation (dir); empty: train one on half B")
    reward_max_pairs: int = rule(0, "training pairs for each of evaluator/judge (0: the run config's data.max_train_pairs)")
    reward_base: str = rule("", "base model for the evaluator/judge trained here (empty: `rmbench run --model`, minilm)")
    rl_steps: int = rule(200, "pairwise RL optimizer steps")
    prompts_per_step: int = rule(4, "prompts per RL step (two stories each)")
    beta: float = rule(0.05, "KL penalty coefficient to the generator")
    rl_learning_rate: float = rule(1e-5, "agent learning rate")
    max_new_tokens: int = rule(200, "longest generated story, in tokens")
    temperature: float = rule(1.0, "sampling temperature")
    top_p: float = rule(1.0, "nucleus sampling mass")
    max_prompts: int = rule(0, "RL prompts used (0: all train prompts)")
    eval_prompts: int = rule(200, "evaluation prompts (0: all test prompts)")
    seed: int = rule(0, "seed for every stage")

    def summary(self) -> str:
        return f"sft {self.generator_model} -> RLOO(k=2, β={self.beta:g}) vs evaluator -> win rate by judge"

    def with_options(self, options: dict) -> "WritingPromptsAgent":
        names = {f.name for f in dataclasses.fields(self)}
        # `rmbench run --pipeline writingprompts-agent --model tiny` (or options['tiny']) selects the toy chain.
        tiny = options.get("tiny") or options.get("model") == "tiny"
        values = dict(TINY) if tiny else {}
        values.update({k: v for k, v in options.items() if k in names and v is not None})
        return dataclasses.replace(self, **values)

    def run_pipeline(self, out_dir: str, options: dict) -> dict:
        from rmbench.agent.pipeline import run_chain

        return run_chain(self.with_options(options), out_dir, options)
