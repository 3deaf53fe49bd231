"""The distribution installs one import namespace, rmbench, and nothing bare."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FOLDERS = {"benchmark": "rmbench", "tasks": "rmbench.tasks", "leaderboard": "rmbench.leaderboard"}


def listed_packages() -> set[str]:
    return set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])


def test_every_package_folder_is_listed():
    expected = set()
    for folder, name in FOLDERS.items():
        for init in (REPO / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(REPO / folder).parts
            expected.add(".".join((name, *rel)))
    missing = expected - listed_packages()
    assert not missing, f"add to [tool.setuptools] packages in pyproject.toml: {sorted(missing)}"


def test_cli_commands_point_at_real_objects():
    import importlib

    from rmbench.cli import COMMANDS

    for name, (target, _help) in COMMANDS.items():
        module, attr = target.split(":")
        assert hasattr(importlib.import_module(module), attr), f"rmbench {name} -> {target} is missing"


@pytest.mark.slow
def test_wheel_has_only_the_rmbench_namespace(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path), str(REPO)], check=True)
    (wheel,) = tmp_path.glob("rmbench-*.whl")
    tops = {n.split("/")[0] for n in zipfile.ZipFile(wheel).namelist()}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"rmbench"}
    names = zipfile.ZipFile(wheel).namelist()
    assert "rmbench/tasks/writingprompts.py" in names
    assert "rmbench/records.py" in names
