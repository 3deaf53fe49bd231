"""What a busy CPU costs a run: training steps alone, and beside a neighbour doing the same.

    python bench/bench_contention.py [--steps 20] [--layers 6] [--vocab 30522]

A "run" here is a MiniLM-L6-shaped encoder in plain torch (random weights, 384 hidden, 12
heads, ``--layers`` layers) training on batches of 8 x 128 tokens: forward, backward and an
AdamW step, fp32, as rmbench's training step is on a CPU. Each case times ``--steps`` steps of one measured process
(after two warm-up steps) and reports seconds per step and the ratio to running alone:

- *alone*: torch's own thread count (one per core), nothing else on the machine;
- *beside one neighbour, N threads each*: the same workload runs in a second process, started
  first and kept busy until the measured one ends, both with torch's own thread count: what a
  run meets when another torch job (a test suite, a second run) shares the cores;
- *beside one neighbour, N/2 threads each*: the same, each process held to half the cores
  (``torch.set_num_threads``): the share a run gets when it does not ask for every core.

Fair sharing of the cores would make each of two equal jobs 2x slower; more than that is the
price of more threads than cores (OpenMP threads wait for each other at every operation, and
a thread the OS has parked holds all of them up). Prints one JSON object; BENCHMARKS.md quotes
it. The machine must be otherwise idle: the script says the 1-minute load it started at.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time


def workload(threads: int, steps: int, layers: int, vocab: int = 30522, forever: bool = False) -> float:
    """Seconds per training step of the encoder, over ``steps`` steps after two warm-ups."""
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    # MiniLM-L6's shape in plain torch (no transformers import: four processes start per run)
    layer = torch.nn.TransformerEncoderLayer(384, 12, 1536, dropout=0.1, activation="gelu", batch_first=True)
    model = torch.nn.Sequential(torch.nn.Embedding(vocab, 384), torch.nn.TransformerEncoder(layer, layers,
                                                                                          enable_nested_tensor=False))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    ids = torch.randint(0, vocab, (8, 128))

    def step():
        loss = model(ids)[:, 0].pow(2).mean()
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    for _ in range(2):
        step()
    if forever:  # the neighbour: busy until it is killed
        print("ready", flush=True)
        while True:
            step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps


def _args(threads: int, layers: int, vocab: int) -> list[str]:
    return [sys.executable, __file__, "--child", str(threads), "--layers", str(layers), "--vocab", str(vocab)]


def _child(threads: int, steps: int, layers: int, vocab: int) -> float:
    out = subprocess.run(_args(threads, layers, vocab) + ["--steps", str(steps)], capture_output=True, text=True,
                         check=True)
    return float(out.stdout.strip().splitlines()[-1])


def case(threads: int, steps: int, layers: int, vocab: int, neighbour: bool) -> float:
    """The measured process's seconds per step, with or without a busy neighbour of ``threads`` threads."""
    if not neighbour:
        return _child(threads, steps, layers, vocab)
    other = subprocess.Popen(_args(threads, layers, vocab) + ["--forever"], stdout=subprocess.PIPE, text=True)
    try:
        other.stdout.readline()  # "ready": its model is built and it is stepping
        return _child(threads, steps, layers, vocab)
    finally:
        other.kill()
        other.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--vocab", type=int, default=30522, help="embedding rows (MiniLM's 30,522; the test uses fewer)")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--forever", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child is not None:
        print(workload(a.child, a.steps, a.layers, a.vocab, forever=a.forever), flush=True)
        return
    import torch

    full = torch.get_num_threads()
    half = max(1, full // 2)
    load = os.getloadavg()[0]
    cases = [("alone", full, False), (f"beside one neighbour, {full} threads each", full, True),
             (f"beside one neighbour, {half} thread{'s' if half > 1 else ''} each", half, True)]
    rows = []
    for name, threads, neighbour in cases:
        seconds = case(threads, a.steps, a.layers, a.vocab, neighbour)
        rows.append({"case": name, "threads": threads, "neighbour": neighbour, "s_per_step": round(seconds, 4)})
        print(f"{name}: {seconds:.3f} s/step", file=sys.stderr, flush=True)
    alone = rows[0]["s_per_step"]
    for r in rows:
        r["vs_alone"] = round(r["s_per_step"] / alone, 2)
    print(json.dumps({"cpu_count": os.cpu_count(), "torch_threads": full, "load_1min_at_start": round(load, 2),
                      "steps": a.steps, "layers": a.layers, "vocab": a.vocab, "torch": torch.__version__, "cases": rows}, indent=1))


if __name__ == "__main__":
    main()
