"""The task registry: ``@register`` for tasks in this repository, entry points for the rest.

Built-in tasks are the modules of ``rmbench.tasks`` (the ``tasks/`` folder); each is
imported once, on first use. Third-party packages declare

    [project.entry-points."rmbench.tasks"]
    mytask = "mypkg.mytask:MyTask"

and their task appears beside the built-ins. Names are case-insensitive.
"""

from __future__ import annotations

import importlib
import pkgutil
import warnings
from importlib.metadata import entry_points

from rmbench.errors import PluginError, UnknownTaskError
from rmbench.task import Task

ENTRY_POINT_GROUP = "rmbench.tasks"
_REGISTRY: dict[str, Task] = {}
_PROBLEMS: list[str] = []  # plugins that could not be loaded, one line each
_loaded = False

__all__ = ["ENTRY_POINT_GROUP", "PluginWarning", "UnknownTaskError", "all_tasks", "get_task", "plain_plugin_warnings",
           "plugin_problems", "register", "tasks_for_subreddit"]


class PluginWarning(RuntimeWarning):
    """A task plugin that could not be loaded; every other task works."""


def plain_plugin_warnings() -> None:
    """Show a ``PluginWarning`` as one ``rmbench: warning: ...`` line: Python's default format
    adds the registry's file, line and source line, which say nothing about the plugin."""
    if getattr(warnings.formatwarning, "_rmbench", False):
        return
    default = warnings.formatwarning

    def fmt(message, category, filename, lineno, line=None):
        if issubclass(category, PluginWarning):
            return f"rmbench: warning: {message}\n"
        return default(message, category, filename, lineno, line)

    fmt._rmbench = True
    warnings.formatwarning = fmt


def _where(task: Task) -> str:
    return f"{type(task).__module__}.{type(task).__qualname__}"


def _builtin(task: Task) -> bool:
    return type(task).__module__.startswith("rmbench.tasks.")


def register(cls_or_instance):
    """Class decorator (or call with an instance): registers the task under its name.

    A second, different task under the same name (case-insensitive) is a ``PluginError``
    naming both: a plugin never silently replaces a built-in, nor one plugin another. (A
    built-in that finds a plugin already in its place -- the plugin was imported first --
    takes the name back; the plugin is reported as a problem.)
    """
    task = cls_or_instance() if isinstance(cls_or_instance, type) else cls_or_instance
    key = task.name.lower()
    if not key:
        raise ValueError(f"{cls_or_instance!r} has no name")
    existing = _REGISTRY.get(key)
    if existing is not None and type(existing) is not type(task):
        message = (f"task name {task.name!r} is claimed twice: by {_where(existing)} and by {_where(task)}. "
                   "Rename one of them (task names are case-insensitive) or uninstall the plugin.")
        if not (_builtin(task) and not _builtin(existing)):
            raise PluginError(message)
        _problem(message + f" The built-in keeps the name; {_where(existing)} is unavailable.")
    _REGISTRY[key] = task
    return cls_or_instance


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _scan()  # a clash between two built-ins raises PluginError (a bug); a plugin's is a warned problem
    _loaded = True


def _scan() -> None:
    import rmbench.tasks as builtin

    for mod in pkgutil.iter_modules(builtin.__path__):
        if not mod.name.startswith("_"):
            importlib.import_module(f"{builtin.__name__}.{mod.name}")  # a broken built-in is a bug: raise
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            obj = ep.load()
            if isinstance(obj, type) and issubclass(obj, Task):
                obj = obj()
            if isinstance(obj, Task):
                register(obj)  # idempotent for a module that already used @register
        except PluginError as e:  # a clash, at import (@register) or here: the plugin goes, the rest stays
            _problem(f"task plugin {ep.name!r} ({ep.value}) is not loaded: {e}")
            continue
        except Exception as e:  # noqa: BLE001 - one broken plugin must not take every other task down
            _problem(f"task plugin {ep.name!r} ({ep.value}) failed to import: {type(e).__name__}: {e}; "
                     "its tasks are unavailable, every other task works")
            continue
        if not isinstance(obj, Task):
            _problem(f"task plugin {ep.name!r} ({ep.value}) is not a Task: {obj!r}; skipped")


def _problem(message: str) -> None:
    _PROBLEMS.append(message)
    warnings.warn(message, PluginWarning, stacklevel=3)


def plugin_problems() -> list[str]:
    """Plugins that could not be loaded (each already warned about once)."""
    _load()
    return list(_PROBLEMS)


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
