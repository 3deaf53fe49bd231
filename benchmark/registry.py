"""The task registry: ``@register`` for tasks in this repository, entry points for the rest.

Built-in tasks are the modules of ``rmbench.tasks`` (the ``tasks/`` folder); each is
imported once, on first use. Third-party packages declare

    [project.entry-points."rmbench.tasks"]
    mytask = "mypkg.mytask:MyTask"

and their task appears beside the built-ins. Names are case-insensitive.
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
from importlib.metadata import entry_points

from rmbench.task import Task

ENTRY_POINT_GROUP = "rmbench.tasks"
_REGISTRY: dict[str, Task] = {}
_loaded = False


class UnknownTaskError(KeyError):
    def __init__(self, name: str, known: list[str]):
        close = difflib.get_close_matches(name.lower(), known, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        super().__init__(f"unknown task {name!r}.{hint} (`rmbench tasks` lists all {len(known)})")
        self.message = self.args[0]

    def __str__(self) -> str:
        return self.message


def register(cls_or_instance):
    """Class decorator (or call with an instance): registers the task under its name."""
    task = cls_or_instance() if isinstance(cls_or_instance, type) else cls_or_instance
    key = task.name.lower()
    if not key:
        raise ValueError(f"{cls_or_instance!r} has no name")
    existing = _REGISTRY.get(key)
    if existing is not None and type(existing) is not type(task):
        raise ValueError(f"task name {task.name!r} is registered twice "
                         f"({type(existing).__module__} and {type(task).__module__})")
    _REGISTRY[key] = task
    return cls_or_instance


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    import rmbench.tasks as builtin

    for mod in pkgutil.iter_modules(builtin.__path__):
        if not mod.name.startswith("_"):
            importlib.import_module(f"{builtin.__name__}.{mod.name}")
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        obj = ep.load()
        if isinstance(obj, Task) or (isinstance(obj, type) and issubclass(obj, Task)):
            if (obj.name if isinstance(obj, Task) else obj().name).lower() not in _REGISTRY:
                register(obj)
        else:
            raise TypeError(f"entry point {ep.name!r} in {ENTRY_POINT_GROUP} is not a Task: {obj!r}")


def all_tasks() -> dict[str, Task]:
    _load()
    return dict(sorted(_REGISTRY.items()))


def get_task(name: str) -> Task:
    tasks = all_tasks()
    try:
        return tasks[name.lower()]
    except KeyError:
        raise UnknownTaskError(name, list(tasks)) from None


def tasks_for_subreddit(subreddit: str) -> list[Task]:
    return [t for t in all_tasks().values() if getattr(t, "matches", None) and t.matches(subreddit)]
