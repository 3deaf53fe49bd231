"""``prepare --engine ray`` against ``--engine local`` in the same run, 1 and 2 workers, on the
shared real dumps (1x) and a copy 4x larger (bench_prepare.make_scaled: every id rewritten,
so 4x the threads).

    python bench/bench_ray_prepare.py [--dumps DIR] [--scale 4] [--json FILE]

Each step runs in its own process: ``rmbench.prepare.prepare(..., engine=E, workers=W)``.
Wall seconds include starting a local Ray (``ray.init``, measured alone as ``ray start``);
records/s counts every post and comment read. Every step's manifest fingerprint must equal
the local engine's (the script fails otherwise). Figures: BENCHMARKS.md, "Prepare on Ray".
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_prepare import DEFAULT_DUMPS, make_scaled  # noqa: E402

STEPS = [("local", 1), ("local", 2), ("ray", 1), ("ray", 2)]


def _child(engine: str, workers: int, dumps: str) -> None:
    from rmbench.prepare import prepare

    out = Path(tempfile.mkdtemp(prefix="bench-ray-")) / "out"
    t = time.perf_counter()
    m = prepare(dumps, out, progress=False, workers=workers, engine=engine)
    dt = time.perf_counter() - t
    rec = m["source"]["records"]
    n = rec["posts"] + rec["comments"] + sum(rec["other_subreddits"].values())
    print(json.dumps({"seconds": dt, "records": n, "fingerprint": m["fingerprint"]}))


def _ray_start() -> float:
    code = ("import time, ray\nt = time.perf_counter()\n"
            "ray.init(num_cpus=2, include_dashboard=False, logging_level='ERROR', log_to_driver=False)\n"
            "print(time.perf_counter() - t)\nray.shutdown()\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.split()[-1])


def run(engine: str, workers: int, dumps: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", engine, str(workers), str(dumps)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{engine}/{workers} on {dumps} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dumps", type=Path, default=DEFAULT_DUMPS)
    ap.add_argument("--scale", type=int, default=4)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--child", nargs=3, metavar=("ENGINE", "WORKERS", "DUMPS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args.child[0], int(args.child[1]), args.child[2])
        return
    rows = []
    start = _ray_start()
    load0 = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-ray-scaled-") as tmp:
        scaled = Path(tmp) / f"x{args.scale}"
        make_scaled(args.dumps, scaled, args.scale)
        for label, path in (("1x (real)", args.dumps), (f"{args.scale}x (replicated)", scaled)):
            res = {(e, w): run(e, w, path) for e, w in STEPS}
            for (e, w), r in res.items():
                peer = res[("local", w)]
                if r["fingerprint"] != peer["fingerprint"]:
                    raise SystemExit(f"{e}/{w} on {label}: fingerprint {r['fingerprint']} != local {peer['fingerprint']}")
                rows.append({"input": label, "engine": e, "workers": w, "records": r["records"],
                             "seconds": r["seconds"], "records_s": r["records"] / r["seconds"],
                             "vs_local": peer["seconds"] / r["seconds"],
                             "vs_1_worker": res[(e, 1)]["seconds"] / r["seconds"]})
    print(f"{os.cpu_count()} CPUs; 1-min load average {load0:.1f} at start, {os.getloadavg()[0]:.1f} at the end; "
          f"ray start (ray.init, 2 CPUs, alone): {start:.1f} s; every fingerprint equal to the local engine's")
    print("| input | engine | workers | records | wall s | records/s | speed vs local (same workers) | vs 1 worker |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['input']} | {r['engine']} | {r['workers']} | {r['records']:,} | {r['seconds']:.1f} | "
              f"{r['records_s']:,.0f} | {r['vs_local']:.2f} | {r['vs_1_worker']:.2f} |")
    if args.json:
        args.json.write_text(json.dumps({"ray_start_s": start, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
