"""The task registry: built-ins, a task registered in a test, third-party tasks through the
``rmbench.tasks`` entry-point group, "did you mean", and the ``rmbench tasks`` command."""

from __future__ import annotations

import json
import sys
import textwrap
from dataclasses import dataclass

import pytest
from click.testing import CliRunner

import rmbench.registry as registry
from rmbench.cli import main
from rmbench.errors import PluginError, UnknownTaskError
from rmbench.registry import all_tasks, get_task, register, tasks_for_subreddit
from rmbench.task import RedditTask, rule

BUILT_IN = {"askacademia", "askanthropology", "askbaking", "askcarguys", "askculinary", "askdocs", "askengineers",
            "askhistorians", "askhr", "askphilosophy", "askphysics", "askscience", "asksciencefiction",
            "asksocialscience", "askvet", "changemyview", "explainlikeimfive", "legaladvice", "writingprompts",
            "gradschool", "collegemajors", "emory"}


@pytest.fixture
def fresh_registry(monkeypatch):
    """The built-ins, with entry points not yet scanned and no plugin problems recorded;
    the registry, its loaded flag and its problem list are restored after the test.

    (Built-in modules register on import and Python imports a module once, so the
    built-ins are copied in rather than re-imported.)"""
    all_tasks()
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    monkeypatch.setattr(registry, "_loaded", False)
    monkeypatch.setattr(registry, "_PROBLEMS", [])
    return registry


@pytest.fixture
def scratch_registry(monkeypatch):
    """The loaded registry, copied, so a test may register without leaking into others."""
    all_tasks()
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    return registry


def test_built_ins_are_registered():
    assert BUILT_IN <= set(all_tasks())
    assert get_task("AskScience") is get_task("askscience")  # case-insensitive
    assert [t.name for t in tasks_for_subreddit("WRITINGPROMPTS")] == ["writingprompts"]


def test_task_registered_in_a_test(scratch_registry):
    @register
    @dataclass(frozen=True)
    class Knitting(RedditTask):
        name: str = "knitting"
        subreddits: tuple[str, ...] = ("knitting",)
        min_post_score: int = rule(3, "small community: low bar")

    assert get_task("Knitting").min_post_score == 3
    assert "knitting" in all_tasks() and [t.name for t in tasks_for_subreddit("Knitting")] == ["knitting"]

    @dataclass(frozen=True)
    class Impostor(RedditTask):
        name: str = "KNITTING"  # names are case-insensitive

    with pytest.raises(PluginError, match="claimed twice") as err:
        register(Impostor)
    assert "Knitting" in str(err.value) and "Impostor" in str(err.value)  # both claimants named
    assert type(get_task("knitting")) is Knitting  # the first one stays
    register(Knitting)  # registering the same task again is harmless


def test_unknown_name_suggests(scratch_registry):
    with pytest.raises(UnknownTaskError, match="Did you mean askscience"):
        get_task("askscence")
    with pytest.raises(UnknownTaskError) as err:
        get_task("zzzzzz")
    assert "Did you mean" not in str(err.value) and "rmbench tasks" in str(err.value)


class _FakeEntryPoint:
    """Quacks like ``importlib.metadata.EntryPoint``: ``name``, ``value`` and ``load()``."""

    def __init__(self, name, obj, value=None):
        self.name, self._obj = name, obj
        self.value = value or f"fake_plugin_{name}:Task"

    def load(self):
        if isinstance(self._obj, BaseException):
            raise self._obj
        return self._obj


def _entry_points(*eps):
    return lambda group: list(eps) if group == registry.ENTRY_POINT_GROUP else []


def test_fake_entry_point_object(fresh_registry, monkeypatch):
    @dataclass(frozen=True)
    class Pottery(RedditTask):
        name: str = "Pottery"
        subreddits: tuple[str, ...] = ("Pottery",)

    monkeypatch.setattr(registry, "entry_points", _entry_points(_FakeEntryPoint("pottery", Pottery)))
    tasks = all_tasks()
    assert "pottery" in tasks and BUILT_IN <= set(tasks)
    assert registry.plugin_problems() == []


def test_entry_point_that_is_not_a_task(fresh_registry, monkeypatch):
    monkeypatch.setattr(registry, "entry_points", _entry_points(_FakeEntryPoint("bad", object())))
    with pytest.warns(RuntimeWarning, match="'bad'.*not a Task"):
        tasks = all_tasks()
    assert "bad" not in tasks and BUILT_IN <= set(tasks)
    assert len(registry.plugin_problems()) == 1


@pytest.mark.parametrize("style", ["entry point to a class", "@register at import"])
def test_a_plugin_clashing_with_a_built_in_is_one_warning_naming_both_and_every_command_works(
        fresh_registry, monkeypatch, style):
    @dataclass(frozen=True)
    class Clash(RedditTask):
        name: str = "AskScience"
        subreddits: tuple[str, ...] = ("askscience",)

    Clash.__module__, Clash.__qualname__ = "thirdparty_science", "Clash"  # as if installed
    if style == "entry point to a class":
        ep = _FakeEntryPoint("askscience", Clash)
    else:  # the plugin's module registers while it is imported: ep.load() raises the clash
        ep = _FakeEntryPoint("askscience", None)
        ep.load = lambda: register(Clash)
    monkeypatch.setattr(registry, "entry_points", _entry_points(ep))
    builtin_module = type(registry._REGISTRY["askscience"]).__module__
    with pytest.warns(RuntimeWarning) as caught:
        tasks = all_tasks()
    assert len(caught) == 1
    message = str(caught[0].message)
    assert builtin_module.startswith("rmbench.tasks.") and builtin_module in message
    assert "thirdparty_science.Clash" in message and "'askscience'" in message
    assert type(tasks["askscience"]).__module__ == builtin_module and BUILT_IN <= set(tasks)
    res = CliRunner().invoke(main, ["tasks", "--format", "json"])
    assert res.exit_code == 0 and "askscience" in {row["name"] for row in json.loads(res.output)}


def test_a_plugin_imported_before_the_scan_does_not_take_a_built_in_name(fresh_registry, monkeypatch):
    @dataclass(frozen=True)
    class Early(RedditTask):
        name: str = "askscience"

    Early.__module__ = "early_plugin"
    builtin = registry._REGISTRY["askscience"]
    registry._REGISTRY["askscience"] = Early()  # the plugin's @register ran first
    monkeypatch.setattr(registry, "entry_points", _entry_points())
    with pytest.warns(RuntimeWarning, match="built-in keeps the name"):
        register(type(builtin))  # the built-in module registering on its import
    assert type(all_tasks()["askscience"]) is type(builtin)


def test_a_plugin_that_fails_to_import_is_one_warning_and_the_rest_works(fresh_registry, monkeypatch):
    @dataclass(frozen=True)
    class Pottery(RedditTask):
        name: str = "Pottery"
        subreddits: tuple[str, ...] = ("Pottery",)

    broken = _FakeEntryPoint("broken", ModuleNotFoundError("No module named 'torchvisionx'"), "broken_pkg.tasks:Broken")
    monkeypatch.setattr(registry, "entry_points", _entry_points(broken, _FakeEntryPoint("pottery", Pottery)))
    with pytest.warns(RuntimeWarning) as caught:
        tasks = all_tasks()
        all_tasks()  # asking again does not warn again
        get_task("askscience")
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "'broken'" in message and "broken_pkg.tasks:Broken" in message and "torchvisionx" in message
    assert BUILT_IN <= set(tasks) and "pottery" in tasks and "broken" not in tasks
    assert registry.plugin_problems() == [message]
    res = CliRunner().invoke(main, ["tasks", "--format", "json"])
    assert res.exit_code == 0 and "pottery" in {row["name"] for row in json.loads(res.output)}


def test_third_party_package_through_a_dist_info(fresh_registry, tmp_path, monkeypatch):
    """A real installed-looking package: importlib.metadata finds its entry point on sys.path."""
    pkg = tmp_path / "rmbench_birdwatching"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(textwrap.dedent('''
        from dataclasses import dataclass
        from rmbench.task import RedditTask, rule

        @dataclass(frozen=True)
        class Birding(RedditTask):
            name: str = "birding"
            subreddits: tuple[str, ...] = ("whatsthisbird",)
            description: str = "third-party test task"
            max_pairs_per_post: int = rule(2, "fewer pairs per post")
    '''))
    dist = tmp_path / "rmbench_birdwatching-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: rmbench-birdwatching\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[rmbench.tasks]\nbirding = rmbench_birdwatching:Birding\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        task = get_task("BIRDING")
        assert task.max_pairs_per_post == 2 and type(task).__module__ == "rmbench_birdwatching"
        res = CliRunner().invoke(main, ["tasks", "show", "birding"])
        assert res.exit_code == 0 and "max_pairs_per_post" in res.output and "rmbench_birdwatching" in res.output
    finally:
        sys.modules.pop("rmbench_birdwatching", None)


def test_tasks_command_lists_every_task():
    res = CliRunner().invoke(main, ["tasks", "--format", "json"])
    assert res.exit_code == 0, res.output
    listed = {row["name"]: row for row in json.loads(res.output)}
    assert set(listed) == set(all_tasks())
    assert listed["writingprompts"]["subreddits"] == "WritingPrompts" and listed["emory"]["rules"]
    res = CliRunner().invoke(main, ["tasks"])
    assert res.exit_code == 0 and "changemyview" in res.output


def test_tasks_show_prints_every_rule():
    res = CliRunner().invoke(main, ["tasks", "show", "ChangeMyView"], env={"COLUMNS": "250"})
    assert res.exit_code == 0, res.output
    for key in get_task("changemyview").rules():
        assert key in res.output
    assert "DeltaBot" in res.output


def test_tasks_show_unknown_name():
    res = CliRunner().invoke(main, ["tasks", "show", "writingprompt"])
    assert res.exit_code == 1 and "Did you mean writingprompts" in res.output


def test_tasks_show_prints_bracketed_rules_as_written():
    """rich once read the rule ["[deleted]"] as markup and printed ('',) (issue 25)."""
    res = CliRunner().invoke(main, ["tasks", "show", "askacademia"], env={"COLUMNS": "250"})
    assert res.exit_code == 0, res.output
    assert "('[deleted]',)" in res.output and "('',)" not in res.output


def test_the_cache_dir_help_names_the_default_the_code_uses():
    """The help once said ./.rmbench-cache; the rule is rmbench.cache.cache_root's (issue 25)."""
    res = CliRunner().invoke(main, ["run", "--help"], env={"COLUMNS": "250"})
    text = " ".join(res.output.split())
    assert res.exit_code == 0
    assert "[default: $RMBENCH_CACHE, else $XDG_CACHE_HOME/rmbench, else ~/.cache/rmbench]" in text
    assert ".rmbench-cache" not in res.output


def test_a_task_name_in_place_of_a_subcommand_suggests_tasks_show():
    res = CliRunner().invoke(main, ["tasks", "askacademia"])
    assert res.exit_code == 2 and "Did you mean `rmbench tasks show askacademia`?" in res.output, res.output
    res = CliRunner().invoke(main, ["tasks", "zzz"])
    assert res.exit_code == 2 and "No such command 'zzz'." in res.output and "Did you mean" not in res.output


def test_a_plugin_with_a_bad_rule_value_is_one_line_naming_it_and_the_rest_works(fresh_registry, monkeypatch):
    """A typo in a plugin's rules (a string for a number, a negative cap) fails when the plugin
    registers, with the plugin, the rule and the value named, not mid-prepare with a traceback."""
    @dataclass(frozen=True)
    class Typo(RedditTask):
        name: str = "Gardening"
        subreddits: tuple[str, ...] = ("gardening",)
        min_comment_score: int = "two"

    @dataclass(frozen=True)
    class NoPairs(RedditTask):
        name: str = "Knitting"
        subreddits: tuple[str, ...] = ("knitting",)
        max_pairs_per_post: int = -1

    monkeypatch.setattr(registry, "entry_points", _entry_points(_FakeEntryPoint("gardening", Typo),
                                                                _FakeEntryPoint("knitting", NoPairs)))
    with pytest.warns(RuntimeWarning) as caught:
        tasks = all_tasks()
    said = [str(w.message) for w in caught]
    assert any("'gardening'" in m and "min_comment_score='two' is not of type int" in m for m in said)
    assert any("'knitting'" in m and "max_pairs_per_post=-1 must be at least 1" in m for m in said)
    assert "gardening" not in tasks and "knitting" not in tasks and BUILT_IN <= set(tasks)


def test_plugin_warnings_print_as_one_plain_line():
    import warnings

    from rmbench.registry import PluginWarning, plain_plugin_warnings

    plain_plugin_warnings()
    assert warnings.formatwarning("task plugin 'x' failed", PluginWarning, "/x/registry.py", 66) == \
        "rmbench: warning: task plugin 'x' failed\n"
    assert "registry.py" in warnings.formatwarning("other", UserWarning, "/x/registry.py", 66)  # others as before
