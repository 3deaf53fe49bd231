"""The WritingPrompts agent as a task: generator -> evaluator -> agent -> judged evaluation.

``rmbench run --pipeline writingprompts-agent`` calls ``run_pipeline``; every field below is a
setting that ``--pipeline-option KEY=VALUE`` (``options``) overrides by name, and every default
is the value the chain really uses (no 0-means-something sentinels), so ``rmbench tasks show``
prints the run. ``--model tiny`` (``options={"tiny": True}``) selects the seconds-long toy
configuration used in tests. See ``rmbench.agent.pipeline``.

The default is a CPU budget: smollm2 (SmolLM2-135M-Instruct, offline from its PyPI package)
writes with its chat template; two MiniLM reward models are trained on disjoint halves of the
WritingPrompts pairs (the evaluator the agent optimises, and the judge); 16 RLOO steps of 4
prompts x 2 stories (64 prompts once); the agent and the generator then write ``eval_samples``
stories each for every test and validation prompt, judged pair by pair (the demo data has 25
such posts: 6 x 25 = 150 pairs, every interval resampling prompts, not pairs).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from rmbench.agent.format import CHAT_REQUEST, STORY_WORDS
from rmbench.agent.pipeline import TRAIN
from rmbench.agent.sft_rate import LORA, PIPELINE_FULL, sft_learning_rate
from rmbench.registry import register
from rmbench.task import AgentTask, rule

# The toy configuration: a random 2-layer GPT-2 with a word tokenizer, a few steps of each stage.
TINY = dict(generator_model="tiny", sft="full", sft_epochs=2.0, sft_learning_rate=5e-3, sft_batch_size=8,
            max_length=128, max_stories=32, rl_steps=4, prompts_per_step=2, rl_learning_rate=1e-3,
            max_new_tokens=16, max_prompts=16, eval_splits="test", eval_prompts=8, eval_samples=1, reward_max_pairs=64,
            reward_base="")


@register
@dataclass(frozen=True)
class WritingPromptsAgent(AgentTask):
    name: str = "writingprompts-agent"
    # 4: stories up to 192 new tokens (was 128, which cut 20-27% of the generator's stories
    # and most of an agent's that learned to write longer); the chain's results change.
    # 5: sft 'lora' trains at 1e-3 (was 1e-4, where the adapters barely learn), and SFT can
    # checkpoint activations (off by default); sft 'none' (the default) and 'full' run as in version 4.
    version: str = "5"
    description: str = "story generator, pairwise-RL agent against an evaluator, win rate by a different judge"
    source: str = rule("demo", "data source when options['data'] is not given (prepared with rmbench prepare)")
    data_task: str = rule("writingprompts", "prepared task whose prompts and stories are used")
    generator_model: str = rule("smollm2", "causal LM that writes the stories (preset, dir or hub id; 'tiny': random toy model)")
    sft: str = rule("none", "'none': the generator as it is; 'lora' or 'full': fine-tune it on stories first")
    stories: str = rule("chosen", "SFT on 'chosen' stories (won a vote comparison) or 'all'")
    sft_epochs: float = rule(1.0, "generator fine-tuning epochs (sft 'lora' or 'full')")
    sft_learning_rate: float = rule(0.0, f"generator fine-tuning learning rate (0: {PIPELINE_FULL:g} for sft 'full', "
                                         f"{LORA:g} for 'lora', whose adapters need a larger rate)")
    sft_batch_size: int = rule(8, "stories per generator step")
    max_length: int = rule(384, "prompt+story tokens kept in SFT")
    sft_gradient_checkpointing: bool = rule(False, "recompute the generator's activations in SFT (smollm2, 8 x 512 "
                                                   "tokens: 6.0 GB peak instead of 9.2, ~30% slower on a CPU)")
    max_stories: int = rule(128, "use at most this many stories in SFT (0: all)")
    evaluator: str = rule(TRAIN, "reward model the agent is trained against (dir), or 'train': one trained here on half 0 of the pairs")
    judge: str = rule(TRAIN, "a different reward model for the evaluation (dir), or 'train': one trained here on half 1")
    reward_max_pairs: int = rule(384, "training pairs for each reward model trained here (and half as many validation pairs)")
    reward_base: str = rule("minilm", "base model of the reward models trained here (`rmbench run --model` sets it)")
    rl_steps: int = rule(16, "RLOO optimizer steps")
    prompts_per_step: int = rule(4, "prompts per RL step (two stories each: RLOO with k=2)")
    beta: float = rule(0.05, "KL penalty coefficient to the generator")
    rl_learning_rate: float = rule(2e-5, "agent learning rate")
    rl_gradient_checkpointing: bool = rule(True, "recompute the policy's activations in RL instead of keeping them "
                                                 "(about 2 GB less memory with smollm2, no slower on a CPU)")
    max_new_tokens: int = rule(192, "longest generated story, in tokens (end of turn stops it earlier); a chat model "
                                    f"is asked: {CHAT_REQUEST.format(words=STORY_WORDS, prompt='<prompt>')!r}")
    temperature: float = rule(1.0, "sampling temperature")
    top_p: float = rule(1.0, "nucleus sampling mass")
    max_prompts: int = rule(64, "RL prompts, from the train split (0: all)")
    eval_splits: str = rule("test,validation", "splits whose prompts the evaluation uses (never trained on by the agent)")
    eval_prompts: int = rule(0, "at most this many evaluation prompts (0: all of eval_splits)")
    eval_samples: int = rule(6, "stories of each model per evaluation prompt, judged in pairs (intervals resample prompts)")
    seed: int = rule(0, "seed for every stage")

    def summary(self) -> str:
        sft = "" if self.sft == "none" else f"{self.sft} sft "
        return f"{sft}{self.generator_model} -> RLOO(k=2, β={self.beta:g}) vs evaluator -> win rate by judge"

    def sft_rate(self) -> float:
        """The generator's SFT learning rate: the rule when set, else the default of the sft mode."""
        return sft_learning_rate(self.sft, self.sft_learning_rate or None, full=PIPELINE_FULL)

    def with_options(self, options: dict) -> "WritingPromptsAgent":
        names = {f.name for f in dataclasses.fields(self)}
        # `rmbench run --pipeline writingprompts-agent --model tiny` (or options['tiny']) selects the toy chain;
        # any other --model is the reward models' base, as in `rmbench run --holdout`.
        model = options.get("model")
        tiny = options.get("tiny") or model == "tiny"
        values = dict(TINY) if tiny else ({"reward_base": model} if model else {})
        values.update({k: v for k, v in options.items() if k in names and v is not None})
        return dataclasses.replace(self, **values)

    def run_pipeline(self, out_dir: str, options: dict) -> dict:
        from rmbench.agent.pipeline import run_chain

        return run_chain(self.with_options(options), out_dir, options)
