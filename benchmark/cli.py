"""The ``rmbench`` command. Subcommands live beside the code they drive and load lazily,
so ``rmbench --help`` answers without importing torch."""

from __future__ import annotations

import importlib
import os

import click

from rmbench import __version__

# name -> "module:attribute" of a click command or group
COMMANDS = {
    "prepare": ("rmbench.prepare.cli:prepare_cmd", "Turn Reddit dumps, SHP or WritingPrompts rows (or the demo) into preference pairs."),
    "export": ("rmbench.prepared.cli:export_cmd", "Export prepared pairs as prompt/chosen/rejected jsonl for TRL or RewardBench."),
    "push": ("rmbench.push:push_cmd", "Upload a prepared dataset, a trained reward model or a run's results to the hub."),
    "tasks": ("rmbench.tasks_cli:tasks_cmd", "List registered tasks, or show one task's rules."),
    "run": ("rmbench.run.cli:run_cmd", "Train on held-in tasks, evaluate on a held-out task beside baselines."),
    "evaluate": ("rmbench.run.cli:evaluate_cmd", "Score an existing reward model (or a baseline) on prepared tasks."),
    "models": ("rmbench.model.cli:models_cmd", "List reward-model presets and aliases, or show how one --model name resolves."),
    "sweep": ("rmbench.run.sweep_cli:sweep_cmd", "Learning curves, the task-transfer matrix and leave-one-out, with plots."),
    "report": ("rmbench.report_cli:report_cmd", "Write a run's, sweep's or comparison's report again from its JSON."),
    "compare": ("rmbench.compare_cli:compare_cmd", "Compare runs on the pairs they share: paired differences with intervals."),
    "submit": ("rmbench.leaderboard.cli:submit_cmd", "Validate a run's results.json and add it to the leaderboard."),
    "leaderboard": ("rmbench.leaderboard.cli:leaderboard_group", "Validate, show, verify and build the leaderboard."),
    "agent": ("rmbench.agent.cli:agent_group", "The WritingPrompts agent: generator, RL against a reward model, evaluation."),
    "feedback": ("rmbench.feedback.cli:feedback_group", "Collect human story preferences in a local page and export them as pairs."),
}


# Old flag spellings -> the one name each idea has now (issue 19), answered with a did-you-mean
# error instead of click's bare "No such option". Everywhere the new flag exists:
RENAMED_FLAGS = {"--lr": "--learning-rate", "--heldout": "--holdout", "--max-eval-pairs": "--limit",
                 "--max-prompts": "--limit", "--max-examples": "--limit", "--trained-on": "--train-tasks",
                 "--task-option": "--pipeline-option"}
# ... and where an old name is still a live flag of another command (command path without "rmbench "):
RENAMED_IN = {"run": {"--tasks": "--train-tasks", "--task": "--pipeline"},
              "leaderboard verify": {"--batch-size": "--eval-batch-size"}}


def renamed(err: click.NoSuchOption) -> click.NoSuchOption:
    """``err`` with the new name of a renamed flag as its suggestion, or for a `run` flag that
    `sweep` takes only as a config key, that key (unchanged otherwise)."""
    ctx = err.ctx
    if ctx is None:
        return err
    path = ctx.command_path.partition(" ")[2]
    new = RENAMED_IN.get(path, {}).get(err.option_name) or RENAMED_FLAGS.get(err.option_name)
    if new and any(new in p.opts for p in ctx.command.params):
        err.message = f"No such option '{err.option_name}': renamed to '{new}'."
        err.possibilities = [new]
        return err
    # A `rmbench run` flag on a command that takes config keys only through --set (sweep's
    # per-cell budget: `--set data.max_train_pairs=N`): name the key.
    from rmbench.run.cli import FLAG_KEYS

    key = FLAG_KEYS.get((new or err.option_name).lstrip("-").replace("-", "_"))
    if key and path == "sweep":  # `run` has every such flag; those `evaluate` lacks are training's
        err.message = f"No such option '{err.option_name}' here: it is the config key {key}, set with --set {key}=VALUE."
        err.possibilities = []  # click's close spellings ('--lr' -> '--help') say less than the key
    return err


# A bare word where a command reads its main input from a flag (`rmbench prepare DUMPS`,
# `rmbench run WritingPrompts`) gets that flag suggested, not only click's "Missing option":
POSITIONAL_FLAG = {"prepare": "--source", "run": "--holdout", "sweep": "--holdout", "evaluate": "--model",
                   "export": "--data"}


def stray_hint(err: click.UsageError, name: str, cmd: click.Command | None, rest: list[str]) -> click.UsageError:
    """``err`` of command ``name`` (``cmd``) given ``rest``, with "did you mean FLAG WORD?" when
    ``rest`` has a word no option reads (unchanged otherwise)."""
    flag = POSITIONAL_FLAG.get(name)
    if not flag or cmd is None or any(isinstance(p, click.Argument) for p in cmd.params):
        return err
    try:
        _, stray, _ = cmd.make_parser(click.Context(cmd)).parse_args(list(rest))
    except click.UsageError:  # an unknown flag or a flag without its value: click's message says it
        return err
    if stray and not any(a == flag for a in rest):
        hint = f"Did you mean '{flag} {stray[0]}'?"
        # a MissingParameter's message is the text after its own "Missing option 'X'."
        err.message = f"{err.message} {hint}".strip() if isinstance(err, click.MissingParameter) \
            else f"{err.message.rstrip('.')}. {hint}"
    return err


def debugging() -> bool:
    """``rmbench --debug``: commands that turn errors into messages re-raise them instead."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.find_root().params.get("debug"))


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        module, attr = COMMANDS[name][0].split(":")
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx, formatter):
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx):
        """Every user-fixable error and every environmental fault (disk full, permission
        denied, a FIFO where a file belongs) ends in one line and exit code 1; ``--debug``
        shows the traceback instead. Anything else is a bug and keeps its traceback."""
        from rmbench.console import bars_on_terminal, set_quiet
        from rmbench.errors import RmbenchError

        if ctx.params.get("quiet") or not bars_on_terminal():
            # The libraries' own tqdm bars (hub downloads, datasets maps) follow our rule: none in
            # a log. Set before the subcommand imports them; a value the user set is kept.
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
        try:
            return super().invoke(ctx)
        except click.NoSuchOption as e:
            raise renamed(e) from None
        except click.UsageError as e:
            args = ctx.meta.get("rmbench.args") or []
            if args and args[0] in POSITIONAL_FLAG:
                raise stray_hint(e, args[0], self.get_command(ctx, args[0]), args[1:]) from None
            raise
        except KeyboardInterrupt:  # Ctrl-C: one word and SIGINT's exit code, not click's "Aborted!" and 1
            if ctx.params.get("debug"):
                raise
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except (RmbenchError, OSError) as e:
            if ctx.params.get("debug"):
                raise
            if isinstance(e, RmbenchError):
                raise click.ClickException(str(e)) from None
            where = f": {e.filename}" if e.filename else ""
            raise click.ClickException(f"{e.strerror or e}{where} (rerun with --debug for the traceback)") from None
        finally:
            set_quiet(False)  # --quiet is process-wide while a command runs, not after it (library use, tests)

    def resolve_command(self, ctx, args):
        name = args[0] if args else None
        ctx.meta["rmbench.args"] = list(args)  # for stray_hint, when the subcommand's parsing fails
        if name and name not in COMMANDS and not name.startswith("-"):
            from rmbench.errors import did_you_mean

            ctx.fail(f"no such command {name!r}.{did_you_mean(name, list(COMMANDS), n=2)}")
        return super().resolve_command(ctx, args)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rmbench")
@click.option("--debug", is_flag=True, help="Show the full traceback of an error instead of its one-line message.")
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr in any command (also each command's --quiet).")
def main(debug, quiet):
    """rmbench: does a reward model learned from one community's votes predict what
    another community prefers?

    \b
    Quick start (demo data, default offline model):
      rmbench run --holdout WritingPrompts

    \b
    Results and tables go to stdout, progress and notes to stderr: in a log or a pipe
    tables keep every cell on one line and progress is a plain line now and then
    (`rmbench run --holdout WritingPrompts > log 2> err`). NO_COLOR is honoured.
    """
    from rmbench.console import set_quiet
    from rmbench.registry import plain_plugin_warnings

    set_quiet(quiet)  # every invocation starts from its own flags
    plain_plugin_warnings()


if __name__ == "__main__":
    main()
