"""``rmbench tasks``: what is registered, and every rule of one task."""

from __future__ import annotations

import click
from rmbench.errors import RmbenchError, did_you_mean
from rmbench.registry import all_tasks, get_task
from rmbench.tables import Column, Sheet, emit, format_option


class _TasksGroup(click.Group):
    def resolve_command(self, ctx, args):
        """``rmbench tasks NAME`` (a task, not a subcommand) suggests ``rmbench tasks show NAME``."""
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as e:
            hint = did_you_mean(args[0].lower(), all_tasks(), n=1, prefix="`rmbench tasks show ") if args else ""
            raise click.UsageError(f"{e.format_message()}{hint[:-1]}`?" if hint else e.format_message(), ctx) from None


@click.group("tasks", cls=_TasksGroup, invoke_without_command=True)
@format_option()
@click.pass_context
def tasks_cmd(ctx, fmt):
    """List registered tasks: name, kind, subreddits, version and a rule summary.

    \b
    Examples: rmbench tasks
              rmbench tasks | grep writingprompts
              rmbench tasks --format tsv
              rmbench tasks show askacademia
    """
    if ctx.invoked_subcommand is not None:
        return
    tasks = all_tasks()
    sheet = Sheet([Column("name"), Column("kind"), Column("subreddits"), Column("version"), Column("module"),
                   Column("rules")], title=f"{len(tasks)} registered tasks")
    for name, t in tasks.items():
        sheet.add(name, t.kind, ", ".join(getattr(t, "subreddits", ())), t.version, type(t).__module__, t.summary())
    emit(sheet, fmt)


@tasks_cmd.command("show")
@click.argument("name")
@format_option()
def show_cmd(name, fmt):
    """Print every rule of task NAME with its value and meaning."""
    try:
        task = get_task(name)
    except RmbenchError as e:
        raise click.ClickException(str(e)) from None
    sheet = Sheet([Column("rule"), Column("value"), Column("meaning")],
                  title=f"{task.name} v{task.version} ({task.kind}, {type(task).__module__})")
    helps = task.rule_help()
    for key, value in task.rules().items():
        sheet.add(key, repr(value), helps.get(key, ""))
    emit(sheet, fmt)
