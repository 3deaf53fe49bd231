"""Every `--help` example (help text or epilog) that can run offline on the demo data or the shared real
dumps runs, as written, in one scratch directory (later examples use what earlier ones wrote: prepared/,
runs/wp/).

The examples are not edited for the test but in two ways: ``DUMPS`` becomes the shared real dumps
beside the checkout (also in CI), and there an example's ``data.max_train_pairs`` the tiny config's.
``tiny_cli_env`` sets ``$RMBENCH_CONFIG`` (a tiny random model, a few dozen pairs) and
``$RMBENCH_LEADERBOARD_DIR`` (a scratch board). An example that cannot run here is skipped with its
reason, and every flag of every example -- skipped or not -- must exist on its command.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import click
import pytest

from rmbench.cli import main

# Why an example cannot run in an offline test, by a word it contains.
CANNOT_RUN = {
    "--ray-address auto": "joins a running Ray cluster (tests/prepare runs prepare on a local Ray)",
    "--data DUMPS --model smollm2": "trains the 135M smollm2 on real dumps: minutes on a 2-core CPU (tests/model runs smollm2)",
    "runs/x": "a placeholder for your own run directory",
    "runs/my-run": "a placeholder for your own run directory",
    "--repo me/": "uploads to the Hugging Face hub (no network here)",
    "hf:stanfordnlp": "a hub dataset (no network here; tests/run/test_multi_source_run.py runs it from a hub cache)",
    "skywork-v2": "a hub model (no network here)",
    "steamshp": "a hub model (no network here; tests/model/test_judge_seq2seq.py runs it from a hub cache)",
    "zephyr": "a hub model (no network here)",
    "gpt2": "a hub model (no network here)",
    "--model-kind judge": "a 135M judge reads ~7 s per pair on a CPU",
    "feedback serve": "a server: runs until interrupted",
    "runs/agent-smollm2": "the whole smollm2 chain: about 13 min on a 2-core CPU with bf16 (BENCHMARKS.md) (tests/agent runs it with tiny models)",
    "page/": "needs the comparison page of an example skipped above",
    "...": "an elided command line",
    "leaderboard/submissions/": "files of the checkout, not of the scratch directory (tests/eval/test_compare.py "
                                "compares these two)",
}
SHARED_DUMPS = Path(__file__).resolve().parents[2] / "shared" / "data" / "reddit-dumps"  # as conftest's fixture
# DUMPS stands for real Reddit dumps: the shared ones beside the checkout (also in CI), run as written on them.
DUMPS = re.compile(r"(?<![\w/.-])DUMPS(?![\w/.-])")
PLACEHOLDER = re.compile(r"(?<![\w/.-])[A-Z]{1,3}(?![\w/.-])")  # D, A, G: stand for a path of yours
ORDER = ["", "tasks", "models", "prepare", "export", "run", "evaluate", "sweep", "leaderboard", "submit", "push",
         "agent", "feedback"]


def _commands(cmd=main, path=()):
    ctx = click.Context(cmd, info_name="rmbench")
    yield path, cmd
    if isinstance(cmd, click.Group):
        for name in cmd.list_commands(ctx):
            yield from _commands(cmd.get_command(ctx, name), path + (name,))


def help_examples() -> list[tuple[str, str]]:
    """(command path, example line) for every line of a help text or epilog that starts with `rmbench `."""
    found = []
    for path, cmd in _commands():
        for line in ((cmd.help or "") + "\n" + (cmd.epilog or "")).splitlines():
            text = line.strip().removeprefix("Examples:").strip()
            if text.startswith("rmbench "):
                found.append((" ".join(path), text))
    found.sort(key=lambda pe: ORDER.index(pe[0].split(" ")[0]) if pe[0].split(" ")[0] in ORDER else len(ORDER))
    unique = {}
    for where, example in found:  # the same command in two help texts runs once
        unique.setdefault(example.split("#")[0].strip(), (where, example))
    return list(unique.values())


EXAMPLES = help_examples()


def why_not(example: str) -> str | None:
    for word, reason in CANNOT_RUN.items():
        if word in example:
            return reason
    if DUMPS.search(example):
        return None if SHARED_DUMPS.is_dir() else f"needs real Reddit dumps (none at {SHARED_DUMPS})"
    if PLACEHOLDER.search(example.split("#")[0]):
        return "a placeholder for a path of yours"
    return None


def _target(args: list[str]):
    cmd, ctx = main, click.Context(main)
    rest = list(args)
    while isinstance(cmd, click.Group) and rest and rest[0] in cmd.list_commands(ctx):
        cmd = cmd.get_command(ctx, rest.pop(0))
    return cmd, rest


def test_the_help_texts_have_examples_and_most_run():
    assert len(EXAMPLES) >= 20
    runnable = [e for _, e in EXAMPLES if why_not(e) is None]
    assert len(runnable) >= len(EXAMPLES) // 2, runnable


@pytest.mark.parametrize("where,example", EXAMPLES, ids=[e for _, e in EXAMPLES])
def test_every_flag_of_an_example_exists(where, example):
    words = shlex.split(example.split("|")[0].split("#")[0])[1:]
    cmd, rest = _target(words)
    known = {o for p in cmd.params for o in p.opts + p.secondary_opts} | {"--help"}
    flags = [w.split("=")[0] for w in rest if w.startswith("-") and not re.fullmatch(r"-\d.*", w)]
    assert not [f for f in flags if f not in known], f"{example}: not flags of `rmbench {where}`"


@pytest.fixture(scope="module")
def scratch(tmp_path_factory, tiny_cli_env):
    root = tmp_path_factory.mktemp("examples")
    (root / "board").mkdir()
    return root, {**tiny_cli_env, "RMBENCH_LEADERBOARD_DIR": str(root / "board")}


@pytest.mark.parametrize("where,example", EXAMPLES, ids=[e for _, e in EXAMPLES])
def test_example_runs(where, example, scratch):
    reason = why_not(example)
    if reason:
        pytest.skip(reason)
    cwd, env = scratch
    if DUMPS.search(example):  # the real dumps, and the tiny config's training budget (the example's is a real model's)
        example = re.sub(r"data\.max_train_pairs=\d+", "data.max_train_pairs=64",
                         DUMPS.sub(shlex.quote(str(SHARED_DUMPS)), example))
    proc = subprocess.run(["bash", "-o", "pipefail", "-c", example],
                          cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, f"`{example}` (from `rmbench {where} --help`) failed:\n{proc.stderr[-3000:]}"
    assert proc.stdout.strip(), f"`{example}` printed nothing on stdout"


def test_commands_in_the_docs_use_flags_that_exist():
    """README, CONTRIBUTING and docs/: each `rmbench ...` in a code span or block names real flags."""
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    bad = []
    for doc in [repo / "README.md", repo / "CONTRIBUTING.md", *sorted((repo / "docs").glob("*.md"))]:
        text = doc.read_text()
        for line in re.findall(r"`(rmbench [^`]+)`", text) + re.findall(r"^\s*(rmbench .+)$", text, re.M):
            try:
                words = shlex.split(line.split("|")[0].split("#")[0].replace("…", ""))[1:]
            except ValueError:
                continue
            cmd, rest = _target(words)
            known = {o for p in cmd.params for o in p.opts + p.secondary_opts} | {"--help"}
            bad += [f"{doc.name}: {line} ({w})" for w in rest
                    if re.fullmatch(r"--[a-z][a-z-]*(=.*)?", w) and w.split("=")[0] not in known]
    assert not bad, "\n".join(bad)
