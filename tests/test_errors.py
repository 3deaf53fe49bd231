"""One error hierarchy: every user-fixable error is an ``RmbenchError``; one "did you mean"."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import rmbench
import rmbench.errors as errors
from rmbench.errors import RmbenchError, did_you_mean

# The kinds of problem the brief names; removing or renaming one is an API change.
NAMED = ("ConfigError", "SourceError", "UnknownTaskError", "PluginError", "UnknownModelError", "NotPreparedError",
         "DataError", "LeakageError", "OutputExistsError", "LeaderboardError", "SameJudgeError")


def test_did_you_mean_lists_the_closest_choices_best_first():
    assert did_you_mean("askscence", ["askscience", "askhistorians", "writingprompts"]) == " Did you mean askscience?"
    out = did_you_mean("askx", ["askhr", "askvet", "askdocs", "emory"], cutoff=0.3)
    assert out.startswith(" Did you mean ask") and out.endswith("?") and "emory" not in out


def test_did_you_mean_is_empty_when_nothing_is_close():
    assert did_you_mean("zzzzzz", ["askscience", "emory"]) == ""
    assert did_you_mean("anything", []) == ""


def test_did_you_mean_caps_prefixes_and_adds_the_callers_own_candidates():
    choices = ["task1", "task2", "task3", "task4", "task5"]
    assert did_you_mean("task", choices, n=2).count("task") == 2
    assert did_you_mean("moddel", ["model"], prefix="--") == " Did you mean --model?"
    # ``also``: candidates found another way, after the close ones, without repeats
    assert did_you_mean("minilm", ["minilm"], also=["minilm", "minilm-l12"]) == " Did you mean minilm, minilm-l12?"
    assert did_you_mean("zz", ["askscience"], also=["emory"]) == " Did you mean emory?"


def test_every_error_class_in_rmbench_errors_is_an_rmbench_error():
    classes = {name: obj for name, obj in vars(errors).items()
               if inspect.isclass(obj) and issubclass(obj, BaseException) and obj.__module__ == errors.__name__}
    assert set(NAMED) <= set(classes)
    for name, cls in classes.items():
        assert issubclass(cls, RmbenchError), name
    assert issubclass(errors.LeakageError, errors.DataError)
    assert issubclass(errors.OutputExistsError, FileExistsError)
    assert issubclass(errors.NotPreparedError, FileNotFoundError)
    assert issubclass(errors.UnknownTaskError, KeyError)


def _all_modules():
    for info in pkgutil.walk_packages(rmbench.__path__, prefix="rmbench."):
        yield importlib.import_module(info.name)


def test_every_error_class_defined_anywhere_in_rmbench_is_an_rmbench_error():
    """No module keeps a private ``XError(Exception)`` that commands would show with a traceback."""
    found = []
    for module in _all_modules():
        for name, obj in vars(module).items():
            if (inspect.isclass(obj) and issubclass(obj, BaseException) and obj.__module__ == module.__name__
                    and name.endswith("Error")):
                found.append(obj)
                assert issubclass(obj, RmbenchError), f"{module.__name__}.{name} is not an RmbenchError"
    assert len(found) >= len(NAMED)


def test_unknown_task_error_reads_as_a_sentence_not_a_quoted_key():
    err = errors.UnknownTaskError("askscence", ["askscience", "emory"])
    assert str(err).startswith("unknown task 'askscence'.") and "Did you mean askscience?" in str(err)
    assert "lists all 2" in str(err)
    with pytest.raises(KeyError):
        raise err


def test_source_error_names_its_file():
    err = errors.SourceError("/data/RC_2024-01.zst", "truncated frame")
    assert str(err) == "/data/RC_2024-01.zst: truncated frame" and err.path == "/data/RC_2024-01.zst"
