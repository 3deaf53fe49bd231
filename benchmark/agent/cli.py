"""``rmbench agent``: sft (generator), train (pairwise RL), eval (judged win rate), bon (best-of-N with a
reward model), compare (feedback page)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from rmbench.agent.sft_rate import FULL as SFT_FULL, LORA as SFT_LORA
from rmbench.console import quiet_option
from rmbench.errors import RmbenchError
from rmbench.task import HARD_MAX_LENGTH_RATIO

GEN_OPTIONS = [
    click.option("--max-new-tokens", default=128, show_default=True, type=click.IntRange(1), help="Longest story in tokens; EOS stops earlier."),
    click.option("--temperature", default=1.0, show_default=True, type=click.FloatRange(min=0, min_open=True), help="Sampling temperature."),
    click.option("--top-p", default=1.0, show_default=True, type=click.FloatRange(0, 1, min_open=True), help="Nucleus sampling mass."),
]


def gen_options(fn):
    for opt in reversed(GEN_OPTIONS):
        fn = opt(fn)
    return fn


def _prompts(data_dir: str, task: str, split: str, limit: int | None) -> list[tuple[str, str]]:
    from rmbench.agent.format import distinct_prompts
    from rmbench.prepared.load import load_prepared

    try:
        ds = load_prepared(data_dir, task)
    except (FileNotFoundError, KeyError) as e:
        raise click.ClickException(str(e)) from None
    prompts = distinct_prompts(ds[split])
    if not prompts:
        raise click.ClickException(f"{data_dir}: no prompts in {task}/{split}")
    return prompts[:limit] if limit else prompts


def _scorer(path: str, max_length: int = 512):
    from rmbench.model.scoring import RewardScorer

    try:
        return RewardScorer(path, max_length=max_length)
    except (ValueError, OSError) as e:  # UnknownModelError is a ValueError
        raise click.ClickException(f"reward model {path}: {e}") from None


@click.group("agent")
def agent_group():
    """The WritingPrompts agent: a generator (sft), pairwise RL against a reward model (train),
    a judged comparison (eval) and a page for human judgments (compare).

    \b
    rmbench agent sft   --data D --model smollm2 --mode lora --out gen/
    rmbench agent train --generator gen/ --reward-model rm_a/ --data D --out agent/
    rmbench agent eval  --agent agent/ --generator gen/ --judge rm_b/ --data D --out eval/
    rmbench agent bon   --generator gen/ --reward-model rm_a/ --judge rm_b/ -n 4 --data D --out bon/
    rmbench run --pipeline writingprompts-agent --out runs/agent-smollm2   # the whole chain: smollm2, CPU budget
    rmbench run --pipeline writingprompts-agent --model tiny --out runs/tiny   # toy models, seconds
    """


# The trainers' precision, as `rmbench run --mixed-precision` spells it (one option, two commands).
precision_option = click.option(
    "--mixed-precision", type=click.Choice(["auto", "no", "fp16", "bf16"]), default="auto", show_default=True,
    help="Training precision: auto = bf16 where this machine has fast bf16 (AVX512-BF16/AMX CPU, bf16 GPU), else fp32; no = fp32.")


@agent_group.command("sft")
@quiet_option(expose=False)
@click.option("--data", "data_dir", required=True, type=click.Path(exists=True, file_okay=False), help="Prepared data (rmbench prepare --out).")
@click.option("--model", default="smollm2", show_default=True, help="Causal LM: preset (smollm2: offline), hub id, local dir, or 'tiny' (random toy model for tests).")
@click.option("--mode", type=click.Choice(["full", "lora"]), default="full", show_default=True, help="Fine-tune every weight, or LoRA adapters merged into the saved model.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Where to save the generator (HF model dir).")
@click.option("--task", default="writingprompts", show_default=True, help="Prepared task holding the stories.")
@click.option("--stories", type=click.Choice(["chosen", "all"]), default="chosen", show_default=True,
              help="chosen: stories that won a vote comparison; all: every story in a pair.")
@click.option("--epochs", default=1.0, show_default=True, type=float, help="Passes over the stories.")
@click.option("--learning-rate", default=None, type=click.FloatRange(min=0, min_open=True),
              help=f"AdamW learning rate [default: {SFT_FULL:g}; with --mode lora {SFT_LORA:g}: adapters need a larger rate].")
@click.option("--batch-size", default=8, show_default=True, type=click.IntRange(1), help="Stories per step.")
@click.option("--max-length", default=512, show_default=True, type=click.IntRange(8), help="Tokens kept per prompt+story.")
@click.option("--limit", default=None, type=click.IntRange(1), help="Quick runs: use at most this many stories.")
@click.option("--seed", default=0, show_default=True, type=int, help="Random seed.")
@click.option("--gradient-checkpointing/--no-gradient-checkpointing", default=False, show_default=True,
              help="Recompute activations in backward: smollm2 at 8 x 512 tokens peaked at 6.0 GB instead of 9.2 GB, "
                   "~30% slower on a CPU.")
@precision_option
def sft_cmd(data_dir, model, mode, out_dir, task, stories, epochs, learning_rate, batch_size, max_length, limit, seed,
            gradient_checkpointing, mixed_precision):
    """Fine-tune a causal LM on WritingPrompts prompt -> story (story-only loss, EOS appended)."""
    from rmbench.agent.sft import SFTSettings, run_sft

    s = SFTSettings(task=task, stories=stories, mode=mode, epochs=epochs, learning_rate=learning_rate, batch_size=batch_size,
                    max_length=max_length, max_examples=limit, seed=seed, mixed_precision=mixed_precision,
                    gradient_checkpointing=gradient_checkpointing)
    try:
        card = run_sft(data_dir, model, out_dir, s)
    except (RmbenchError, ValueError, FileNotFoundError, KeyError) as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"generator: {card['stories']} stories, loss {card['train_loss']:.3f}, {card['wall_time_s']}s -> {out_dir}")


@agent_group.command("train")
@quiet_option(expose=False)
@click.option("--generator", "generator_dir", required=True, type=click.Path(exists=True, file_okay=False), help="Generator dir (rmbench agent sft).")
@click.option("--reward-model", required=True, help="The evaluator: reward-model dir, alias or hub id.")
@click.option("--data", "data_dir", required=True, type=click.Path(exists=True, file_okay=False), help="Prepared data; prompts come from its train split.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Where to save the agent.")
@click.option("--task", default="writingprompts", show_default=True, help="Prepared task holding the prompts.")
@click.option("--limit", default=None, type=click.IntRange(1), help="Quick runs: use at most this many prompts.")
@click.option("--steps", default=200, show_default=True, type=click.IntRange(1), help="Optimizer steps.")
@click.option("--prompts-per-step", default=4, show_default=True, type=click.IntRange(1), help="Prompts per step (two stories each).")
@click.option("--beta", default=0.05, show_default=True, type=click.FloatRange(0), help="KL penalty coefficient to the generator.")
@click.option("--learning-rate", default=1e-5, show_default=True, type=float, help="AdamW learning rate.")
@click.option("--seed", default=0, show_default=True, type=int, help="Random seed.")
@click.option("--gradient-checkpointing/--no-gradient-checkpointing", default=True, show_default=True,
              help="Recompute activations in the backward pass instead of keeping them (less memory).")
@precision_option
@gen_options
def train_cmd(generator_dir, reward_model, data_dir, out_dir, task, limit, steps, prompts_per_step, beta,
              learning_rate, seed, gradient_checkpointing, mixed_precision, max_new_tokens, temperature, top_p):
    """Pairwise RL: two stories per prompt, reward σ(r_a − r_b) from the evaluator, leave-one-out
    baseline, KL penalty to the generator (TRL RLOOTrainer with two generations)."""
    from rmbench.agent.rl import RLSettings, reward_model_info, train_agent

    prompts = [p for _, p in _prompts(data_dir, task, "train", limit)]
    s = RLSettings(steps=steps, prompts_per_step=prompts_per_step, beta=beta, learning_rate=learning_rate,
                   max_new_tokens=max_new_tokens, temperature=temperature, top_p=top_p, seed=seed,
                   mixed_precision=mixed_precision, gradient_checkpointing=gradient_checkpointing)
    card = train_agent(generator_dir, _scorer(reward_model), prompts, out_dir, s, reward_model_info(reward_model))
    last = card["log"][-1] if card["log"] else {}
    click.echo(f"agent: {steps} steps on {len(prompts)} prompts, last KL/token {last.get('kl')}, {card['wall_time_s']}s -> {out_dir}")


@agent_group.command("eval")
@quiet_option(expose=False)
@click.option("--agent", "agent_dir", required=True, type=click.Path(exists=True, file_okay=False), help="Agent dir (rmbench agent train).")
@click.option("--generator", "generator_dir", required=True, type=click.Path(exists=True, file_okay=False), help="The generator it started from.")
@click.option("--judge", required=True, help="A reward model NOT the one the agent was trained against.")
@click.option("--data", "data_dir", required=True, type=click.Path(exists=True, file_okay=False), help="Prepared data; prompts come from --split.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Writes OUT/results.json (harness format, model.kind agent).")
@click.option("--task", default="writingprompts", show_default=True, help="Prepared task holding the prompts.")
@click.option("--split", default="test", show_default=True, help="Split whose prompts are used.")
@click.option("--limit", default=None, type=click.IntRange(1), help="Quick runs: use at most this many prompts.")
@click.option("--samples-per-prompt", default=1, show_default=True, type=click.IntRange(1), help="Story pairs per prompt.")
@click.option("--length-ratio", default=HARD_MAX_LENGTH_RATIO, show_default=True, type=click.FloatRange(1), help="Length-controlled win rate uses pairs within this length ratio.")
@click.option("--allow-same-judge", is_flag=True, help="Allow judging with the reward model trained against (measures exploitation).")
@click.option("--seed", default=0, show_default=True, type=int, help="Random seed.")
@gen_options
def eval_cmd(agent_dir, generator_dir, judge, data_dir, out_dir, task, split, limit, samples_per_prompt,
             length_ratio, allow_same_judge, seed, max_new_tokens, temperature, top_p):
    """Win rate of the agent over the generator by a different judge, with a bootstrap CI;
    length-controlled win rate, mean length, distinct-n and KL to the generator."""
    from rmbench.agent.evaluate import SameJudgeError, check_judge, run_eval

    try:
        if not allow_same_judge:
            check_judge(agent_dir, judge)
    except SameJudgeError as e:
        raise click.ClickException(str(e)) from None
    prompts = [p for _, p in _prompts(data_dir, task, split, limit)]
    res = run_eval(agent_dir, generator_dir, judge, prompts, out_dir, data_dir=data_dir, task=task,
                   max_new_tokens=max_new_tokens, temperature=temperature, top_p=top_p,
                   samples_per_prompt=samples_per_prompt, length_ratio=length_ratio, seed=seed)
    t = res["results"]["writingprompts-agent"]["splits"]
    ci = t["test"]["ci95"] or [None, None]
    lc = t["test_length_controlled"]["accuracy"]
    shown = lambda x: "-" if x is None else f"{100 * x:.1f}%"  # noqa: E731 -- as every table shows a fraction
    click.echo(f"win rate {shown(t['test']['accuracy'])} [{shown(ci[0])}, {shown(ci[1])}] (n={t['test']['n']}); "
               f"length-controlled {shown(lc)} (n={t['test_length_controlled']['n']}) -> {out_dir}/results.json")


@agent_group.command("bon")
@quiet_option(expose=False)
@click.option("--generator", "generator_dir", required=True, help="Causal LM that samples the N stories: a dir (agent sft), a preset (smollm2) or hub id.")
@click.option("--reward-model", required=True, help="The reward model under test: picks one story of N (dir, alias or hub id).")
@click.option("--judge", required=True, help="A different reward model: compares the pick with a random one of the N.")
@click.option("--data", "data_dir", required=True, type=click.Path(exists=True, file_okay=False), help="Prepared data; prompts come from --split.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Writes OUT/results.json (harness format, entry best-of-n).")
@click.option("-n", "--n", "n", default=4, show_default=True, type=click.IntRange(2), help="Stories sampled per prompt.")
@click.option("--rounds", default=1, show_default=True, type=click.IntRange(1), help="Best-of-N rounds per prompt (one cluster per prompt).")
@click.option("--task", default="writingprompts", show_default=True, help="Prepared task holding the prompts.")
@click.option("--split", default="test", show_default=True, help="Split whose prompts are used.")
@click.option("--limit", default=None, type=click.IntRange(1), help="Quick runs: use at most this many prompts.")
@click.option("--allow-same-judge", is_flag=True, help="Allow a judge equal to the reward model (gives the ceiling, not a test).")
@click.option("--seed", default=0, show_default=True, type=int, help="Random seed (sampling, ties, the random story).")
@gen_options
def bon_cmd(generator_dir, reward_model, judge, data_dir, out_dir, n, rounds, task, split, limit, allow_same_judge, seed,
            max_new_tokens, temperature, top_p):
    """Best-of-N: per prompt N stories, the reward model picks one, the judge compares it with a
    uniformly random one of the N. Win rate (prompt-clustered 95% CI; 50% = no better than
    chance, ceiling 1 - 1/(2N)), picked vs random length, length-controlled win rate.

    \b
    Examples:
      rmbench agent bon --generator gen/ --reward-model rm_a/ --judge rm_b/ -n 4 --data D --out bon/
    """
    from rmbench.agent.bon import run_bon
    from rmbench.agent.generate import GenerationConfig
    from rmbench.model.load import weights_sha256

    if not allow_same_judge and (Path(reward_model).resolve() == Path(judge).resolve() or
                                 (weights_sha256(judge) or "j") == (weights_sha256(reward_model) or "r")):
        raise click.ClickException(f"--judge {judge} is the reward model under test: it would grade its own picks "
                                   "(--allow-same-judge measures that ceiling on purpose)")
    prompts = [p for _, p in _prompts(data_dir, task, split, limit)]
    gen = GenerationConfig(max_new_tokens=max_new_tokens, temperature=temperature, top_p=top_p)
    res = run_bon(generator_dir, reward_model, judge, prompts, out_dir, data_dir=data_dir, task=task, n=n,
                  rounds=rounds, gen=gen, seed=seed, scorers=(_scorer(reward_model), _scorer(judge)))
    r = res["results"]["best-of-n"]
    t, lc, b = r["splits"]["test"], r["splits"]["test_length_controlled"], r["best_of_n"]
    shown = lambda x: "-" if x is None else f"{100 * x:.1f}%"  # noqa: E731 -- as every table shows a fraction
    ci = t["ci95"] or [None, None]
    click.echo(f"best-of-{n} win rate vs a random story {shown(t['accuracy'])} [{shown(ci[0])}, {shown(ci[1])}] "
               f"(n={t['n']}, {b['prompts']} prompts; judge's own pick {shown(b['judge_pick']['accuracy'])}); "
               f"length-controlled {shown(lc['accuracy'])}; mean chars picked {b['length']['picked_mean_chars']:.0f} "
               f"vs random {b['length']['random_mean_chars']:.0f} -> {out_dir}/results.json")


@agent_group.command("compare")
@quiet_option(expose=False)
@click.option("--agent", "agent_dir", required=True, type=click.Path(exists=True, file_okay=False), help="Agent dir.")
@click.option("--generator", "generator_dir", required=True, type=click.Path(exists=True, file_okay=False), help="Generator dir.")
@click.option("--data", "data_dir", required=True, type=click.Path(exists=True, file_okay=False), help="Prepared data; prompts from --split.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Page directory to write (serve it with rmbench feedback serve).")
@click.option("--reward-model", default=None, help="The evaluator: its rewards are stored privately to report agreement with people.")
@click.option("--task", default="writingprompts", show_default=True, help="Prepared task holding the prompts.")
@click.option("--split", default="test", show_default=True, help="Split whose prompts are used.")
@click.option("-n", "--n", "n", default=20, show_default=True, type=click.IntRange(1), help="Comparisons on the page.")
@click.option("--seed", default=None, type=int, help="Fix the side shuffle (default: unpredictable).")
@click.option("--overwrite", is_flag=True,
              help="Replace OUT if it is a page nobody has clicked on yet (a page with clicks is never replaced).")
@gen_options
def compare_cmd(agent_dir, generator_dir, data_dir, out_dir, reward_model, task, split, n, seed, overwrite,
                max_new_tokens, temperature, top_p):
    """Write a static page of side-by-side stories (random order, provenance kept in private/)."""
    from rmbench.agent.compare import build_comparisons
    from rmbench.agent.generate import GenerationConfig
    from rmbench.atomic import check_out_path, check_replaceable
    from rmbench.prepared.manifest import read_manifest
    from rmbench.feedback.page import PAGE_COMMAND, PAGE_WHAT, is_fresh_page, write_page

    inputs = [agent_dir, generator_dir, data_dir]
    try:  # before minutes of generation: a page with clicks, or an input, is refused now
        check_out_path(Path(out_dir), inputs)
        check_replaceable(Path(out_dir), overwrite=overwrite, owned=is_fresh_page, what=PAGE_WHAT, command=PAGE_COMMAND)
    except RmbenchError as e:
        raise click.ClickException(str(e)) from None
    prompts = _prompts(data_dir, task, split, n)
    gen = GenerationConfig(max_new_tokens=max_new_tokens, temperature=temperature, top_p=top_p)
    comps = build_comparisons(agent_dir, generator_dir, prompts, gen=gen,
                              scorer=_scorer(reward_model) if reward_model else None, seed=seed or 0)
    synthetic = bool(read_manifest(data_dir).get("source", {}).get("synthetic", False))
    meta = {"agent": str(agent_dir), "generator": str(generator_dir), "reward_model": reward_model,
            "data": str(data_dir), "synthetic_data": synthetic, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    try:
        info = write_page(out_dir, comps, seed=seed, meta=meta, overwrite=overwrite, inputs=inputs)
    except RmbenchError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"{info['items']} comparisons -> {out_dir} (serve: rmbench feedback serve --dir {out_dir})")
