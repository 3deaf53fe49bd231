"""What value-level input hygiene, record routing and last-copy tombstones cost prepare (issue 12).

An alternating A/B in one run, each step in its own subprocess: the code at a base commit
(``--base``, checked out with ``git archive`` into a temporary folder and put first on
``PYTHONPATH``) against this checkout, on the same dumps:

  normalize  ``comment_from_raw`` alone over every parsed comment, base and new alternating in
             one process, minimum of 5 (the steadiest figure on a shared machine)
  source     every ``Post`` and ``Comment`` of the dumps (``DumpSource``: decode + normalize)
  prepare/1  ``rmbench.prepare.prepare(workers=1)``
  prepare/2  ``rmbench.prepare.prepare(workers=2)``

Reports the median CPU seconds (user + sys of the child) and wall seconds per step and the
ratio new / base (1.0 = no cost), and whether the split files of both versions are byte
for byte the same (clean data must give the same pairs). The machine is shared: CPU time
is the steadier figure; ``--repeat`` runs alternate A, B, A, B, ...

    python bench/bench_hygiene.py [--dumps ../shared/data/reddit-dumps] [--base fd42692] [--repeat 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DUMPS = REPO.parent / "shared" / "data" / "reddit-dumps"

STEPS = {
    "source": ("from rmbench.sources.dumps import DumpSource\n"
               "s = DumpSource(DUMPS)\nn = sum(1 for _ in s.iter_posts()) + sum(1 for _ in s.iter_comments())\n"),
    "prepare/1": "from rmbench.prepare import prepare\nprepare(DUMPS, OUT, progress=False, workers=1)\n",
    "prepare/2": "from rmbench.prepare import prepare\nprepare(DUMPS, OUT, progress=False, workers=2)\n",
}


def base_tree(commit: str, dest: Path) -> Path:
    """The package of ``commit`` laid out as the import namespace ``rmbench`` (as the install maps it)."""
    raw = dest / "raw"
    raw.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", commit], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(raw)], input=archive, check=True)
    pkg = dest / "src" / "rmbench"
    pkg.parent.mkdir(parents=True)
    subprocess.run(["cp", "-r", str(raw / "benchmark"), str(pkg)], check=True)
    for sub in ("tasks", "leaderboard"):
        subprocess.run(["cp", "-r", str(raw / sub), str(pkg / sub)], check=True)
    return dest / "src"


def run_step(code: str, dumps: Path, out: Path, pythonpath: str | None) -> tuple[float, float]:
    """(CPU s, wall s) of one step in a fresh interpreter."""
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    script = f"DUMPS, OUT = {str(dumps)!r}, {str(out)!r}\n" + code
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", script], check=True, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, wall


NORMALIZE = """
import importlib.util, json, sys, time
from rmbench.records import BadInputReport
from rmbench.sources.dumps import DumpSource
from rmbench.sources.lines import iter_lines
spec = importlib.util.spec_from_file_location("base_normalize", BASE)
base = importlib.util.module_from_spec(spec); spec.loader.exec_module(base)
from rmbench.sources import normalize as new
rows = [json.loads(raw) for f in DumpSource(DUMPS).dump_files if f.kind == "comments" for raw in iter_lines(f.path)]
best = {"base": 1e9, "new": 1e9}
for _ in range(5):
    for name, mod in (("base", base), ("new", new)):
        report, t = BadInputReport(), time.process_time()
        for i, d in enumerate(rows):
            mod.comment_from_raw(d, None, "f", i, report)
        best[name] = min(best[name], time.process_time() - t)
print(json.dumps({"comments": len(rows), **best}))
"""


def normalize_only(dumps: Path, base_src: str) -> dict:
    """CPU s of ``comment_from_raw`` alone over the parsed comments, base and new alternating in one
    process (minimum of 5): the normalizer's own cost, without decoding, I/O or the neighbours' noise."""
    script = f"DUMPS, BASE = {str(dumps)!r}, {str(Path(base_src) / 'rmbench' / 'sources' / 'normalize.py')!r}\n"
    out = subprocess.run([sys.executable, "-c", script + NORMALIZE], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def split_bytes(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*.jsonl"))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dumps", type=Path, default=DEFAULT_DUMPS)
    ap.add_argument("--base", default="fd42692", help="commit to compare against (default: the start of issue 12)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    if not args.dumps.is_dir():
        sys.exit(f"no dumps at {args.dumps}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        versions = {"base": str(base_tree(args.base, tmp / "base")), "new": None}
        times: dict = {(v, s): [] for v in versions for s in STEPS}
        same = True
        for k in range(args.repeat):
            for step, code in STEPS.items():
                outs = {}
                for v, path in versions.items():
                    out = tmp / f"out-{v}-{k}-{step.replace('/', '')}"
                    times[(v, step)].append(run_step(code, args.dumps, out, path))
                    outs[v] = out
                if step.startswith("prepare"):
                    same = same and split_bytes(outs["base"]) == split_bytes(outs["new"])
        norm = normalize_only(args.dumps, versions["base"])
        rows = [{"step": "normalize", "base_cpu_s": round(norm["base"], 2), "new_cpu_s": round(norm["new"], 2),
                 "cpu_ratio": round(norm["new"] / norm["base"], 3), "base_wall_s": "-", "new_wall_s": "-",
                 "wall_ratio": "-"}]
        for step in STEPS:
            b_cpu, b_wall = (statistics.median(x[i] for x in times[("base", step)]) for i in (0, 1))
            n_cpu, n_wall = (statistics.median(x[i] for x in times[("new", step)]) for i in (0, 1))
            rows.append({"step": step, "base_cpu_s": round(b_cpu, 2), "new_cpu_s": round(n_cpu, 2),
                         "cpu_ratio": round(n_cpu / b_cpu, 3), "base_wall_s": round(b_wall, 2),
                         "new_wall_s": round(n_wall, 2), "wall_ratio": round(n_wall / b_wall, 3)})
    print(f"{'step':<10} {'base CPU s':>10} {'new CPU s':>10} {'new/base':>9} {'base wall':>10} {'new wall':>9} {'new/base':>9}")
    for r in rows:
        print(f"{r['step']:<10} {r['base_cpu_s']:>10} {r['new_cpu_s']:>10} {r['cpu_ratio']:>9} "
              f"{r['base_wall_s']:>10} {r['new_wall_s']:>9} {r['wall_ratio']:>9}")
    print(f"split files byte-identical between base and new: {same}; load average {os.getloadavg()[0]:.1f}")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "same_splits": same, "repeat": args.repeat,
                                         "base": args.base, "load": os.getloadavg()}, indent=2))


if __name__ == "__main__":
    main()
