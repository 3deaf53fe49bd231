"""``rmbench tasks``: what is registered, and every rule of one task."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from rmbench.errors import RmbenchError
from rmbench.registry import all_tasks, get_task


@click.group("tasks", invoke_without_command=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
def tasks_cmd(ctx, fmt):
    """List registered tasks: name, kind, subreddits, version and a rule summary."""
    if ctx.invoked_subcommand is not None:
        return
    tasks = all_tasks()
    if fmt == "json":
        import json

        click.echo(json.dumps({n: {"kind": t.kind, "version": t.version, "module": type(t).__module__,
                                   "subreddits": list(getattr(t, "subreddits", ())), "summary": t.summary()}
                               for n, t in tasks.items()}, indent=2))
        return
    table = Table(title=f"{len(tasks)} registered tasks")
    for col in ("name", "kind", "subreddits", "version", "rules"):
        table.add_column(col, overflow="fold")
    for name, t in tasks.items():
        table.add_row(name, t.kind, ", ".join(getattr(t, "subreddits", ())), t.version, t.summary())
    Console().print(table)


@tasks_cmd.command("show")
@click.argument("name")
def show_cmd(name):
    """Print every rule of task NAME with its value and meaning."""
    try:
        task = get_task(name)
    except RmbenchError as e:
        raise click.ClickException(str(e)) from None
    table = Table(title=f"{task.name} v{task.version} ({task.kind}, {type(task).__module__})")
    table.add_column("rule")
    table.add_column("value", overflow="fold")
    table.add_column("meaning", overflow="fold")
    helps = task.rule_help()
    for key, value in task.rules().items():
        table.add_row(key, repr(value), helps.get(key, ""))
    Console().print(table)
