"""Prepare throughput and memory on the real dumps (1x), the same comments in the 2024 schema
(``make_schema2024``: 71 fields a comment, as today's Arctic Shift dumps; when the shared schema
sample is there) and a synthetic dump 4x larger.

For each size, in the same run and each in its own subprocess (so peak RSS is that
step's alone):
  parse      plain zstd decompression + json.loads of every line of the same files
  parse/scan the same, calling the json module's C scanner directly as prepare's reader
             does on its json path (rmbench.sources.dumps: no per-call encoding detection
             or regexes; most lines now take the typed decoder instead):
             the same parser without json.loads' overhead, a stricter baseline
  read       prepare's reader alone: every post and comment of the files as records
             (``DumpSource.iter_posts`` + ``iter_comments``: decompress, decode,
             normalise), nothing judged, stored or paired
  prepare/1  ``rmbench.prepare.prepare(workers=1)``: everything in one process
  prepare/1, json path  the same with ``RMBENCH_DECODER=json``: the reader's stdlib json
             path instead of its typed msgspec decoder (rmbench.sources.typed), to show
             what the decoder buys in the same run
  prepare/N  ``rmbench.prepare.prepare()`` with its default workers (one process per
             subreddit, at most the CPU count at a time)
  phases     prepare/1 once more, with the CPU seconds of each stage (importing it, the task
             registry, posts, comments, pairing, writing, the rest): where the gap to parse is
Reports objects/s of each, the ratio to parse (issue 23's goal: >= 1.0 in CPU seconds for
prepare/1), and peak RSS (goal: nearly flat from 1x to 4x); for prepare/N the parent's
and the largest worker's.

The 4x dump is the real dumps replicated four times with every id rewritten
(``id`` -> ``r<k><id>``, and ``link_id``/``parent_id`` to match), so it has 4x the
threads, not 4x bigger threads; each replica keeps time order, and the replicas are
concatenated one after another. Written once to a temporary directory (zstd level 3).

With ``--repeat N`` every step runs N times (interleaved) and the medians are reported:
the machine is shared, so one run measures the neighbours too.

    python bench/bench_prepare.py [--dumps ../shared/data/reddit-dumps] [--scale 4] [--repeat 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DUMPS = REPO.parent / "shared" / "data" / "reddit-dumps"


def _lines(path: Path):
    import zstandard

    with open(path, "rb") as fh:
        reader = zstandard.ZstdDecompressor(max_window_size=2**31).stream_reader(fh)
        yield from io.BufferedReader(reader, 1 << 20)


def make_scaled(src: Path, dst: Path, scale: int, distinct_text: bool = False) -> None:
    """Replicate every dump file ``scale`` times with rewritten ids (see the module doc).

    ``distinct_text``: every replica after the first also gets " (copy k)" after each title,
    selftext and body that says something (not empty, "[deleted]" or "[removed]"), so a
    scorer that remembers (post, response) texts sees k times the inputs
    (``bench/bench_memory.py --scale``); prepare's own figures use plain copies."""
    import zstandard

    dst.mkdir(parents=True, exist_ok=True)
    for f in sorted(src.glob("*.zst")):
        cctx = zstandard.ZstdCompressor(level=3)
        with open(dst / f.name, "wb") as out, cctx.stream_writer(out) as w:
            for k in range(scale):
                for raw in _lines(f):
                    d = json.loads(raw)
                    d["id"] = f"r{k}{d['id']}"
                    for key in ("link_id", "parent_id", "name"):
                        if isinstance(d.get(key), str) and d[key][:3] in ("t1_", "t3_"):
                            d[key] = f"{d[key][:3]}r{k}{d[key][3:]}"
                    if distinct_text and k:
                        for key in ("title", "selftext", "body"):
                            v = d.get(key)
                            if isinstance(v, str) and v.strip() not in ("", "[deleted]", "[removed]"):
                                d[key] = f"{v} (copy {k})"
                    w.write((json.dumps(d) + "\n").encode())


SCHEMA_SAMPLE = REPO.parent / "shared" / "data" / "schema-samples" / "arctic_shift_comments_2024.ndjson"


def make_schema2024(src: Path, dst: Path, sample: Path = SCHEMA_SAMPLE) -> None:
    """The real dumps with every comment in the 71-field 2024 Arctic Shift schema, as today's
    dumps are: the fields of the schema sample's first record, the real comment's own values
    where it has them, ``created_utc``/``created`` as floats (as the sample writes them) and
    ``_meta.retrieved_2nd_on`` one day after the real ``retrieved_on``. Submissions are copied
    unchanged (there is no 2024 submission sample)."""
    import zstandard

    template = json.loads(sample.read_text(encoding="utf-8").splitlines()[0])
    dst.mkdir(parents=True, exist_ok=True)
    for f in sorted(src.glob("*.zst")):
        if "_comments" not in f.name:
            shutil.copy(f, dst / f.name)
            continue
        with open(dst / f.name, "wb") as out, zstandard.ZstdCompressor(level=3).stream_writer(out) as w:
            for raw in _lines(f):
                d = json.loads(raw)
                r = {**template, **d, "created_utc": float(d["created_utc"]), "created": float(d["created_utc"]),
                     "ups": d.get("score"), "subreddit_name_prefixed": f"r/{d['subreddit']}",
                     "_meta": {"retrieved_2nd_on": int(d["retrieved_on"]) + 86_400}}
                w.write((json.dumps(r, ensure_ascii=False) + "\n").encode())


# -- the two measured steps, each run in a child process ---------------------------------------
def step_parse(dumps: str) -> dict:
    n = 0
    t = time.perf_counter()
    for f in sorted(Path(dumps).glob("*.zst")):
        for raw in _lines(f):
            json.loads(raw)
            n += 1
    return {"objects": n, "seconds": time.perf_counter() - t}


def step_parse_scan(dumps: str) -> dict:
    scan = json.JSONDecoder().scan_once  # what json.loads ends up calling, minus its wrappers
    n = 0
    t = time.perf_counter()
    for f in sorted(Path(dumps).glob("*.zst")):
        for raw in _lines(f):
            s = raw.decode("utf-8", "surrogatepass")
            obj, end = scan(s, 0)
            if end != len(s) and s[end:].strip(" \t\n\r"):
                raise ValueError(f"{f}: extra data after a JSON object")
            n += 1
    return {"objects": n, "seconds": time.perf_counter() - t}


def step_read(dumps: str) -> dict:
    from rmbench.sources.dumps import DumpSource

    t = time.perf_counter()
    src = DumpSource(dumps)
    n = sum(1 for _ in src.iter_posts()) + sum(1 for _ in src.iter_comments())
    return {"objects": n, "seconds": time.perf_counter() - t}


def step_prepare(dumps: str, workers: int | None) -> dict:
    from rmbench.prepare import prepare

    out = Path(tempfile.mkdtemp(prefix="bench-prepare-")) / "out"
    t = time.perf_counter()
    m = prepare(dumps, out, progress=False, workers=workers)
    dt = time.perf_counter() - t
    shutil.rmtree(out.parent)
    n = m["source"]["records"]["posts"] + m["source"]["records"]["comments"]
    n += sum(m["source"]["records"]["other_subreddits"].values())
    pairs = {name: {s: v["pairs"] for s, v in t_["splits"].items()} for name, t_ in m["tasks"].items()}
    return {"objects": n, "seconds": dt, "pairs": pairs}


def _cpu() -> float:
    import resource

    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


# The stages of prepare/1 that step_phases times, as (label, module, owner, attribute): each
# call of the attribute is charged to the label. Comments are read while they are judged and
# stored (one stream), so "comments" holds their reading too; "pairing" holds reading the
# kept comments back, the pair rules and building the rows.
PHASES = (("posts: read, store", "rmbench.prepare.store", "ThreadStore", "add_posts"),
          ("comments: read, judge, store", "rmbench.prepare.store", "ThreadStore", "add_comment_rows"),
          ("pairing and rows", "rmbench.prepare.load", None, "_pair_all"),
          ("writing the splits", "rmbench.prepare.build", None, "write_splits"))


def phase_holder(module: str, owner: str | None):
    """The module or class a ``PHASES`` entry's attribute lives on."""
    import importlib

    holder = importlib.import_module(module)
    return getattr(holder, owner) if owner else holder


def step_phases(dumps: str) -> dict:
    """prepare/1 again, with the CPU seconds of each of its stages (``PHASES``), of importing
    it and of loading the task registry; "other" is the rest (opening the source, hashing
    its files, the manifest, temporary directories)."""
    import importlib

    c0 = _cpu()
    importlib.import_module("rmbench.prepare").prepare  # what step_prepare imports, timed here
    from rmbench.registry import all_tasks

    c1 = _cpu()
    all_tasks()  # what resolve_tasks does first, timed on its own
    spent = {"import rmbench.prepare": c1 - c0, "task registry": _cpu() - c1}
    originals = []
    for label, module, owner, attr in PHASES:
        holder = phase_holder(module, owner)
        originals.append((holder, attr, getattr(holder, attr)))
        spent[label] = 0.0

        def timed(*a, _f=getattr(holder, attr), _label=label, **kw):
            t = _cpu()
            try:
                return _f(*a, **kw)
            finally:
                spent[_label] += _cpu() - t

        setattr(holder, attr, timed)
    try:
        result = step_prepare(dumps, 1)
    finally:
        for holder, attr, f in originals:
            setattr(holder, attr, f)
    total = _cpu() - c0
    spent["other"] = total - sum(spent.values())
    return {**result, "phases_cpu_s": spent}


def _child(step: str, dumps: str) -> None:
    import resource

    c0 = _cpu()
    if step == "parse":
        result = step_parse(dumps)
    elif step == "parse_scan":
        result = step_parse_scan(dumps)
    elif step == "read":
        result = step_read(dumps)
    elif step == "phases":
        result = step_phases(dumps)
    else:
        if step == "prepare1_json":
            os.environ["RMBENCH_DECODER"] = "json"
        result = step_prepare(dumps, None if step == "prepareN" else 1)
    # CPU seconds (this process and its workers): on a shared machine wall time measures the
    # neighbours too; CPU time is what the step itself costs.
    result["cpu_seconds"] = _cpu() - c0
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    result["worker_rss_mib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # largest child
    print(json.dumps(result))


def run_child(step: str, dumps: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", step, str(dumps)], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{step} on {dumps} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _median_runs(steps: list[str], dumps: Path, repeat: int) -> dict[str, dict]:
    """Every step ``repeat`` times, interleaved (so a busy spell on the shared machine hits
    every step alike); per step, the run with the median wall time, and the median CPU time."""
    runs: dict[str, list[dict]] = {step: [] for step in steps}
    for _ in range(repeat):
        for step in steps:
            runs[step].append(run_child(step, dumps))
    out = {}
    for step, rs in runs.items():
        rs.sort(key=lambda r: r["seconds"])
        out[step] = dict(rs[len(rs) // 2])
        out[step]["cpu_seconds"] = sorted(r["cpu_seconds"] for r in rs)[len(rs) // 2]
        out[step]["all_seconds"] = [round(r["seconds"], 2) for r in rs]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dumps", type=Path, default=DEFAULT_DUMPS)
    ap.add_argument("--scale", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=1, help="runs per step; medians are reported")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    ap.add_argument("--child", nargs=2, metavar=("STEP", "DUMPS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(*args.child)
        return
    if not args.dumps.is_dir():
        raise SystemExit(f"no dumps at {args.dumps}")
    from rmbench.prepare.shards import default_workers

    workers = default_workers()
    steps = (("parse", "parse"), ("parse_scan", "parse/scan"), ("read", "read (reader only)"),
             ("prepare1", "prepare, 1 process"),
             ("prepare1_json", "prepare, 1 process, json path"), ("prepareN", f"prepare, {workers} workers"))
    rows, phase_rows = [], []
    loads = [os.getloadavg()[0]] if hasattr(os, "getloadavg") else []
    with tempfile.TemporaryDirectory(prefix="bench-scaled-") as tmp:
        scaled, modern = Path(tmp) / f"x{args.scale}", Path(tmp) / "schema2024"
        t = time.perf_counter()
        make_scaled(args.dumps, scaled, args.scale)
        print(f"built the {args.scale}x dump in {time.perf_counter() - t:.1f}s", file=sys.stderr)
        inputs = [("1x (real)", args.dumps), (f"{args.scale}x (replicated)", scaled)]
        if SCHEMA_SAMPLE.is_file():
            make_schema2024(args.dumps, modern)
            inputs.insert(1, ("1x, 2024 schema", modern))
        for label, path in inputs:
            res = _median_runs([step for step, _ in steps] + ["phases"], path, args.repeat)
            phase_rows.append({"input": label, "parse_cpu_s": res["parse"]["cpu_seconds"],
                               "prepare1_cpu_s": res["prepare1"]["cpu_seconds"], **res["phases"]["phases_cpu_s"]})
            if loads:
                loads.append(os.getloadavg()[0])
            base = res["parse"]
            rate, cpu_rate = base["objects"] / base["seconds"], base["objects"] / base["cpu_seconds"]
            lean = res["parse_scan"]
            lean_rate, lean_cpu_rate = lean["objects"] / lean["seconds"], lean["objects"] / lean["cpu_seconds"]
            for step, name in steps:
                r = res[step]
                obj_s = r["objects"] / r["seconds"]
                rows.append({"input": label, "step": name, "objects": r["objects"], "seconds": r["seconds"],
                             "all_seconds": r["all_seconds"], "obj_s": obj_s, "ratio": obj_s / rate,
                             "cpu_s": r["cpu_seconds"], "cpu_ratio": r["objects"] / r["cpu_seconds"] / cpu_rate,
                             "ratio_scan": obj_s / lean_rate,
                             "cpu_ratio_scan": r["objects"] / r["cpu_seconds"] / lean_cpu_rate,
                             "rss_mib": r["peak_rss_mib"],
                             "worker_rss_mib": r["worker_rss_mib"] if step == "prepareN" else None,
                             "pairs": r.get("pairs")})
    load = ", ".join(f"{x:.1f}" for x in loads) if loads else "unknown"
    print(f"{os.cpu_count()} CPUs, {args.repeat} run(s) per step (medians), 1-min load average {load} "
          "(at the start and after each input)")
    print("| input | step | objects | wall s | objects/s (wall) | ratio to parse (wall) | CPU s | ratio to parse (CPU) "
          "| ratio to parse/scan (wall / CPU) | peak RSS MiB | largest worker RSS MiB |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        w = "-" if r["worker_rss_mib"] is None else f"{r['worker_rss_mib']:.0f}"
        print(f"| {r['input']} | {r['step']} | {r['objects']:,} | {r['seconds']:.1f} | {r['obj_s']:,.0f} "
              f"| {r['ratio']:.2f} | {r['cpu_s']:.1f} | {r['cpu_ratio']:.2f} "
              f"| {r['ratio_scan']:.2f} / {r['cpu_ratio_scan']:.2f} | {r['rss_mib']:.0f} | {w} |")
    print()
    print(phase_table(phase_rows))
    if args.json:
        args.json.write_text(json.dumps({"steps": rows, "prepare1_phases": phase_rows}, indent=2))


def phase_table(phase_rows: list[dict]) -> str:
    """Where prepare/1's CPU goes (step_phases, a run of its own), beside parse's CPU: the
    gap to close for a ratio of 1.0."""
    labels = ["import rmbench.prepare", "task registry"] + [p[0] for p in PHASES] + ["other"]
    out = ["Where prepare/1's CPU seconds go (one more prepare/1 run, timed by stage; median of the repeats)",
           "| input | " + " | ".join(labels) + " | total | prepare/1 | parse |",
           "|---|" + "---:|" * (len(labels) + 3)]
    for r in phase_rows:
        cells = [f"{r[k]:.2f}" for k in labels]
        out.append(f"| {r['input']} | " + " | ".join(cells) + f" | {sum(r[k] for k in labels):.2f} "
                   f"| {r['prepare1_cpu_s']:.2f} | {r['parse_cpu_s']:.2f} |")
    return "\n".join(out)


if __name__ == "__main__":
    main()
