"""``rmbench run`` and ``rmbench evaluate``: flags -> RunConfig -> rmbench.run.harness."""

from __future__ import annotations

from pathlib import Path

import click
from click.core import ParameterSource

from rmbench.console import quiet_option, stderr_console
from rmbench.errors import RmbenchError, did_you_mean
from rmbench.model.config import DPO_LEARNING_RATE, DPO_LORA_LEARNING_RATE, LORA_LEARNING_RATE
from rmbench.run.config import RunConfig
from rmbench.run.rundir import default_out
from rmbench.tables import format_option

_D = RunConfig()  # defaults shown in --help, from the one place they are set

# flag name -> dotted config key. Flags override the --config file only when given.
FLAG_KEYS = {
    "holdout": "data.holdout", "train_tasks": "data.train_tasks", "data": "data.source", "cache_dir": "data.cache_dir",
    "max_train_pairs": "data.max_train_pairs", "limit": "data.limit",
    "with_delay": "data.with_delay", "allow_delay_leak": "data.allow_delay_leak",
    "keep_contaminated": "data.keep_contaminated", "reference_tasks": "data.reference_tasks",
    "model": "model.name", "max_length": "model.max_length", "mixed_precision": "model.mixed_precision",
    "gradient_checkpointing": "model.gradient_checkpointing", "lora": "model.lora",
    "epochs": "train.epochs", "learning_rate": "train.learning_rate", "batch_size": "train.batch_size",
    "resume": "train.resume", "debias": "train.debias", "eval_batch_size": "eval.batch_size", "seed": "seed", "out": "out",
    "seen": "data.seen", "split_by": "data.split_by",
}

# The model-kind flags (rmbench.model.kinds): `run` and `evaluate` only.
MODEL_KIND_FLAGS = {
    "model_kind": "model.kind", "input_format": "model.input_format", "ref_model": "model.ref_model",
    "dpo_beta": "model.dpo_beta", "judge_prompt": "model.judge_prompt", "judge_backend": "model.judge_backend",
    "dtype": "model.dtype", "trust_remote_code": "model.trust_remote_code",
}
FLAG_KEYS.update(MODEL_KIND_FLAGS)
# Flags that only say how a model is loaded or scored: `evaluate` names those typed for a baseline or
# a rewards file, which load nothing (a run.yaml's keys are shared with runs that do load a model).
SCORER_FLAGS = (*MODEL_KIND_FLAGS, "max_length", "eval_batch_size")


def unused_scorer_flags(ctx: click.Context) -> list[str]:
    """The scorer-only flags given on this command line, as typed (``--dtype``)."""
    given = (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)
    return ["--" + n.replace("_", "-") for n in SCORER_FLAGS
            if n in ctx.params and ctx.get_parameter_source(n) in given]


def model_kind_options(f):
    opts = [
        click.option("--model-kind", type=click.Choice(["auto", "classifier", "dpo", "judge"]),
                     help="classifier (one-logit head), dpo (a causal LM's implicit reward against --ref-model), "
                          "judge (asks which reply is better) [default: auto = the preset's kind, else read from the "
                          "checkpoint; run trains classifiers, and with dpo trains the policy by DPO]."),
        click.option("--input-format", type=click.Choice(["auto", "chat", "pair"]),
                     help="chat: the tokenizer's chat template (post = user turn); pair: a text pair "
                          "[default: auto = chat when the tokenizer has a template]."),
        click.option("--ref-model", help="dpo: the reference model (preset, hub id or directory) [default: the one "
                                         "a policy rmbench trained names, else the preset's; run: the start model]."),
        click.option("--dpo-beta", type=float, help="dpo: reward scale beta [default: the one a policy rmbench trained "
                                                     f"recorded, else {_D.model.dpo_beta:g}]."),
        click.option("--judge-prompt", type=click.Path(exists=True, dir_okay=False),
                     help="judge: a prompt file; `format: text` for a model trained on a fixed text format (a T5 "
                          "such as SteamSHP) [default: the preset's own, else benchmark/model/judge_prompt.yaml]."),
        click.option("--judge-backend", type=click.Choice(["auto", "transformers", "vllm"]),
                     help="judge: vllm needs vllm and a GPU [default: auto]."),
        click.option("--dtype", type=click.Choice(["auto", "float32", "bfloat16", "float16"]),
                     help="Scoring dtype, of a trained model too [default: auto = the preset's, else float32]; "
                          "bfloat16 scores ~2.3x faster on a CPU with AVX512-BF16/AMX (BENCHMARKS.md (m))."),
        click.option("--trust-remote-code", is_flag=True, help="Allow models that ship their own code (ArmoRM)."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def resolve_config(ctx: click.Context, config_file: str | None, settings: tuple[str, ...]):
    """defaults < --config file < --set KEY=VALUE < named flags."""
    from rmbench.errors import ConfigError
    from rmbench.run.config import resolve

    flags = {}
    for item in settings:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"--set {item!r}: expected KEY=VALUE, e.g. --set train.warmup_ratio=0.05")
        flags[key.strip()] = value
    for name, key in FLAG_KEYS.items():
        if name in ctx.params and ctx.get_parameter_source(name) not in (ParameterSource.DEFAULT, None):
            value = ctx.params[name]
            if name == "data":  # repeatable: several sources are one value, "A + B" (rmbench.prepared.resolve)
                from rmbench.prepared.resolve import join_sources

                value = join_sources(value)
            flags[key] = value
    return resolve(config_file, flags)


def common_options(f):
    opts = [
        click.option("--data", multiple=True, default=("demo",), show_default=True,
                     help="Prepared data DIR, 'demo', a folder of Reddit dumps, local files in a hub dataset's layout, "
                          "or hf:stanfordnlp/SHP / hf:euclaise/WritingPrompts_preferences (prepared into the cache "
                          "once). Repeat it to combine sources: --data hf:stanfordnlp/SHP --data "
                          "hf:euclaise/WritingPrompts_preferences."),
        click.option("--cache-dir", default="", help="Where sources are prepared [default: $RMBENCH_CACHE, else "
                                                     "$XDG_CACHE_HOME/rmbench, else ~/.cache/rmbench]."),
        click.option("--max-length", type=int, help="Tokens per input; the post is cut first [default: auto = 128 for training, "
                                                    f"the model's own for scoring, at most {_D.model.max_length_cap}]."),
        click.option("--split-by", "split_by", metavar="hash|source|time:DATE", help="How a source --data names is "
                     "split when rmbench prepares it (source: SHP's own train/validation/test) [default: hash]; a "
                     "prepared DIR keeps its own."),
        click.option("--limit", type=int, help="Quick runs: at most this many pairs per evaluated split, and the stacked fit at most max(this, eval.min_report_pairs), 0 = all [default: 0]."),
        click.option("--eval-batch-size", type=click.IntRange(0), help="Sequences per scoring batch; 0 (default): 8 on a CPU, 64 on a GPU (does not change results)."),
        click.option("--with-delay", is_flag=True, help="Add 'posted N minutes after the prompt' to each response."),
        click.option("--allow-delay-leak", is_flag=True, help="Allow --with-delay under later-but-higher pairing (it leaks the label; results are flagged)."),
        click.option("--keep-contaminated", is_flag=True, help="Keep held-out pairs whose post or a response also occurs in a held-in task (counted either way; dropped by default)."),
        click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False), help="run.yaml with data/model/train/eval sections; flags override it."),
        click.option("--set", "settings", multiple=True, metavar="KEY=VALUE", help="Set any config key, e.g. --set train.warmup_ratio=0.05 (repeatable)."),
        click.option("--out", type=click.Path(file_okay=False), help="Output directory [default: runs/<time>-<kind>-<name>]."),
        click.option("--seed", type=int, help="Seed for sampling, the reward head, training order, bootstrap and the random baseline [default: 0]."),
        quiet_option,
    ]
    for o in reversed(opts):
        f = o(f)
    return f


@click.command("run", context_settings={"show_default": False})
@click.option("--holdout", help="Held-out task: never trained on, evaluated on every post (heldout_all, heldout_all_hard) and on test and test_hard (e.g. WritingPrompts).")
@click.option("--pipeline", "pipeline", metavar="TASK", help="Run a pipeline task (kind 'agent') instead, e.g. the WritingPrompts agent.")
@click.option("--train-tasks", help="Comma-separated held-in tasks to train on [default: every task with data except the held-out one].")
@click.option("--model", help="Base model: preset or alias (minilm, smollm2; `rmbench models`), Hugging Face id or local directory [default: minilm].")
@click.option("--max-train-pairs", type=int, help=f"Training pairs over all held-in tasks, 0 = all [default: {_D.data.max_train_pairs}].")
@click.option("--epochs", type=float, help=f"Passes over the training pairs [default: {_D.train.epochs:g}].")
@click.option("--learning-rate", type=float, help=f"Peak learning rate [default: {_D.train.learning_rate:g}; "
                                                  f"{LORA_LEARNING_RATE:g} with --lora; {DPO_LEARNING_RATE:g} with "
                                                  f"--model-kind dpo, {DPO_LORA_LEARNING_RATE:g} with both].")
@click.option("--batch-size", type=int, help=f"Pairs per device per step [default: {_D.train.batch_size}].")
@click.option("--mixed-precision", type=click.Choice(["auto", "no", "fp16", "bf16"]),
              help="Mixed-precision training [default: auto = bf16 where the hardware runs it fast].")
@click.option("--gradient-checkpointing", is_flag=True, help="Recompute activations in backward to save memory.")
@click.option("--lora", is_flag=True, help=f"Train LoRA adapters (peft); merged into the saved model. Adapters need "
                                           f"a larger rate: {LORA_LEARNING_RATE:g} ({DPO_LORA_LEARNING_RATE:g} with --model-kind dpo) unless "
                                           "--learning-rate is given.")
@click.option("--debias", type=click.Choice(["none", "poe"]),
              help="poe: train against the frozen baseline:confounds logit (a product of experts), so the model "
                   "learns what surface features cannot explain; scored alone [default: none].")
@click.option("--resume", is_flag=True, help="Continue an interrupted run (the newest matching one without --out).")
@click.option("--pipeline-option", "pipeline_options", multiple=True, metavar="KEY=VALUE",
              help="A setting of a --pipeline task (see `rmbench tasks show NAME`), e.g. --pipeline-option rl_steps=50.")
@click.option("--help-config", is_flag=True, help="List every config key with its default and help, then exit.")
@format_option()
@model_kind_options
@common_options
@click.pass_context
def run_cmd(ctx, holdout, pipeline, pipeline_options, help_config, quiet, config_file, settings, fmt, **_):
    """Train a reward model on the held-in tasks and measure it on the held-out one.

    \b
    Evaluates every post of the held-out task (heldout_all, heldout_all_hard: the
    headline), its test and test_hard splits and each held-in task's test split, beside
    chance, the longer/shorter/earlier/later rules and baseline:confounds (a logistic
    model over surface features, fitted on the held-in training pairs), with post-
    clustered paired intervals, and whether the model adds information beyond surface
    features (confounds plus its reward margin, fitted on the held-in validation pairs,
    against confounds alone). Held-out pairs whose post or a response also occurs in a
    held-in task are dropped and counted (--keep-contaminated keeps them). Writes
    results.json, model/ (with its README.md model card), predictions.jsonl,
    train_log.jsonl, plots/*.png, report.md and report.html (the same report as one page,
    plots inside) under --out.
    Works under `accelerate launch` (one process per device). A classifier (any
    --model, with a fresh one-logit head) is trained; with --model-kind dpo the causal
    LM itself is trained by DPO against its frozen start (or --ref-model) and scored by
    its implicit reward; --model-kind judge scores the model as it is, without training.

    \b
    Examples: rmbench run --holdout WritingPrompts
              rmbench run --holdout WritingPrompts --train-tasks askacademia,askscience --limit 200 --out runs/wp
              rmbench run --holdout AskAcademia --data DUMPS --model smollm2
              rmbench run --pipeline writingprompts-agent --model tiny --out runs/agent
    """
    if help_config:
        _print_config_help()
        return
    run_dir = cfg = None
    try:
        if pipeline:
            _run_agent(ctx, pipeline, config_file, settings, pipeline_options)
            return
        if not holdout:
            raise click.UsageError("--holdout TASK is required (e.g. --holdout WritingPrompts)")
        from rmbench.run.harness import run_holdout
        from rmbench.registry import get_task

        task = get_task(holdout)
        if task.kind == "agent":
            raise click.UsageError(f"{task.name} is a pipeline task; run it with --pipeline {task.name}")
        cfg = resolve_config(ctx, config_file, settings)
        run_dir = Path(cfg.out) if cfg.out else default_out("holdout", task.name.lower(), cfg.train.resume)
        cfg.out = str(run_dir)
        console = stderr_console()
        doc = run_holdout(cfg, run_dir, console=console, progress=not quiet)
    except KeyboardInterrupt:
        _interrupted(ctx, run_dir, cfg)
    except RmbenchError as err:
        raise click.ClickException(str(err)) from err
    if doc is not None:
        _show(doc, run_dir, fmt)


def _run_agent(ctx, name, config_file, settings, pipeline_options=()):
    import yaml

    from rmbench.registry import get_task

    task = get_task(name)
    if task.kind != "agent":
        raise click.UsageError(f"{task.name} is a preference task; run it with --holdout {task.name}")
    cfg = resolve_config(ctx, config_file, settings)
    out = Path(cfg.out) if cfg.out else default_out("task", task.name.lower(), cfg.train.resume)
    options = {"config": cfg.to_dict(), "model": cfg.model.name, "data": cfg.data.source, "seed": cfg.seed,
               "resume": cfg.train.resume}
    known = set(task.rules())
    for item in pipeline_options:
        key, sep, value = item.partition("=")
        if not sep or key.strip() not in known:
            hint = did_you_mean(key.strip(), sorted(known), n=2)
            raise click.UsageError(f"--pipeline-option {item!r}: {task.name} has no setting {key.strip()!r}.{hint}")
        options[key.strip()] = yaml.safe_load(value)  # numbers, booleans and strings as written
    summary = task.run_pipeline(str(out), options)
    click.echo(f"{task.name}: wrote {out}")
    for key, value in (summary or {}).items():  # one "key: value" line each: greppable, never a dict dump
        click.echo(f"  {key}: {round(value, 4) if isinstance(value, float) else value}")


def _interrupted(ctx, run_dir: Path, cfg) -> None:
    """Ctrl-C: say what the run directory holds and how to continue, then exit 130 (SIGINT's code)."""
    from rmbench.run.rundir import interrupt_note

    if run_dir is None or not (run_dir / "config.json").is_file():
        raise KeyboardInterrupt  # nothing of this run to continue: the group's plain "interrupted"
    trains = ctx.info_name == "run" and cfg.model.kind != "judge"
    click.echo(interrupt_note(run_dir, cfg.train.resume, trains), err=True)
    ctx.exit(130)


def _show(doc: dict, run_dir: Path, fmt: str = "table") -> None:
    """The summary on stdout in ``fmt``: every column off a terminal (nothing wraps there), the
    controls only when the terminal is wide enough for them."""
    from rmbench.eval.report import confounds_note, summary_sheet
    from rmbench.tables import emit, note, on_terminal, stdout_console

    out = stdout_console()
    emit(summary_sheet(doc, wide=not on_terminal() or out.width >= 150), fmt, console=out)
    if confounds_note(doc):
        note(confounds_note(doc), fmt, console=out)
    from rmbench.eval.report_findings import judge_findings

    for line in judge_findings(doc):  # a judge answering by position must be seen before its accuracy is quoted
        note(line.replace("**", ""), fmt, console=out)
    for flag in doc.get("flags", []):
        note(f"FLAG {flag}: the delay input gives the label away under this pairing rule.", fmt, console=out)
    note(f"results: {run_dir / 'results.json'}  report: {run_dir / 'report.md'} (page: report.html)  "
         f"wall time {doc.get('wall_time_s')} s", fmt, console=out)


def _print_config_help():
    from rmbench.run.config import help_table

    for key, help_text, default in help_table():
        click.echo(f"{key:34} {default!r:>14}  {help_text}")


@click.command("evaluate")
@click.option("--model", required=True, help="Preset or alias (`rmbench models`), HF id or directory -- a classifier, "
                                             "a DPO policy or a judge (--model-kind) -- or baseline:random|longer|shorter|earlier|later|confounds, "
                                             "or rewards:FILE, rewards scored outside rmbench (JSON lines of pair_id, "
                                             "reward_chosen, reward_rejected: docs/formats.md).")
@click.option("--tasks", "eval_tasks", help="Comma-separated tasks to score on heldout_all, heldout_all_hard, test and test_hard (role 'heldout') [default: every task with test data].")
@click.option("--train-tasks", help="Comma-separated tasks the model was trained on: scored on test with role 'in_domain'.")
@click.option("--reference-tasks", help="Comma-separated reference tasks: baseline:confounds is fitted on their training pairs "
                                        "and held-out pairs are checked against them [default: every task not evaluated].")
@click.option("--resume", is_flag=True, help="Continue an interrupted evaluation: the splits it scored are read back "
                                             "(the newest matching one without --out).")
@click.option("--seen", multiple=True, metavar="DIR|SOURCE", help="What the model was trained on, a prepared folder or a "
              "source prepared with --split-by (repeatable; e.g. hf:stanfordnlp/SHP with --split-by source, for steamshp): "
              "held-out pairs sharing a post or a response with its train and validation splits (data.seen_splits) are "
              "contaminated, as with a reference task.")
@format_option()
@model_kind_options
@common_options
@click.pass_context
def evaluate_cmd(ctx, eval_tasks, quiet, config_file, settings, fmt, **_):
    """Score an existing reward model (or a baseline) on prepared tasks, without training.

    \b
    Every named task gets role "heldout" (we cannot know what an outside model saw)
    unless listed in --train-tasks, or recorded in the config.json of a model rmbench
    trained as one it trained on (rmbench_input.trained_on). The reference (--reference-tasks, default: every
    task not evaluated as held out) is what baseline:confounds is fitted on -- only on
    at least eval.min_fit_pairs pairs from eval.min_fit_posts posts, else it is shown as
    "not fitted" and enters no verdict -- and held-out pairs that also occur in it are
    dropped as contaminated. The same reference as a run's --train-tasks gives the same
    confounds fit. "adds info?" fits confounds plus the model's margin on the reference
    tasks' validation pairs. Writes the same results.json as `rmbench run`; a baseline
    is written as model kind "baseline" with 0 parameters. rewards:FILE scores nothing: a
    model rmbench cannot load (an API judge, another framework) is judged from its rewards
    of the prepared pairs, read by pair id (a run's predictions.jsonl is such a file); a split
    the file has no pair of is left out and named, one it has in part is refused.

    \b
    Examples: rmbench evaluate --model runs/wp/model --tasks writingprompts --train-tasks askacademia,askscience
              rmbench evaluate --model skywork-v2 --tasks askacademia --data DUMPS
              rmbench evaluate --model smollm2 --model-kind judge --limit 200
              rmbench evaluate --model zephyr --model-kind dpo   # reference: the preset's
              rmbench evaluate --model baseline:longer
              rmbench evaluate --model baseline:confounds --tasks askacademia --format csv
              rmbench evaluate --model baseline:longer --tasks writingprompts --reference-tasks askscience,explainlikeimfive
              rmbench evaluate --model rewards:runs/wp/predictions.jsonl --tasks writingprompts --train-tasks askacademia,askscience --limit 200
              rmbench evaluate --model steamshp --data DUMPS --split-by source --seen hf:stanfordnlp/SHP
    """
    from rmbench.run.harness import evaluate_model

    run_dir = cfg = None
    try:
        cfg = resolve_config(ctx, config_file, settings)
        run_dir = Path(cfg.out) if cfg.out else default_out("evaluate", cfg.model.name, cfg.train.resume)
        cfg.out = str(run_dir)
        console = stderr_console()
        loads_nothing = cfg.model.name.lower().startswith(("baseline:", "rewards:"))
        if loads_nothing and (unused := unused_scorer_flags(ctx)):
            console.print(f"note: {', '.join(unused)} {'does' if len(unused) == 1 else 'do'} nothing with "
                          f"{cfg.model.name}: it loads no model", markup=False, highlight=False)
        split = lambda s: [t.strip() for t in s.split(",") if t.strip()] if s else []  # noqa: E731
        doc = evaluate_model(cfg, run_dir, split(eval_tasks), cfg.data.train_tasks, console=console, progress=not quiet)
    except KeyboardInterrupt:
        _interrupted(ctx, run_dir, cfg)
    except RmbenchError as err:
        raise click.ClickException(str(err)) from err
    _show(doc, run_dir, fmt)
