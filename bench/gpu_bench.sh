#!/usr/bin/env bash
# There, on a lent GPU (the device tool), with the wheels of bench/gpu_wheels.sh carried:
#   run(command="bash bench/gpu_bench.sh", carry=[".whl"], timeout_s=600)
# Installs what the image lacks, then runs bench/bench_gpu.py (issue 23, part 5). Everything it
# prints goes to $OUT/bench_gpu.log too, and bench_gpu.py writes $OUT/gpu.json after every run
# ("complete": false until the last), so a call stopped at its limit still returns what was
# measured. Extra arguments go to bench_gpu.py (e.g. --sizes gpt2-medium --budget-s 300).
set -uo pipefail
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1
OUT=${OUT:-/tmp/gpu-out}; mkdir -p "$OUT"
SITE=/tmp/site
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target $SITE .whl/*.whl || exit 1
# datasets imports pyarrow: the image's must be as new as the carried datasets asks (gpu_wheels.sh).
python3 - <<'PY' || exit 1
import glob, re, sys, zipfile
wheel = zipfile.ZipFile(glob.glob(".whl/datasets-*.whl")[0])
meta = wheel.read(next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))).decode()
need = int(re.search(r"^Requires-Dist: pyarrow>=(\d+)", meta, re.M).group(1))
try:
    import pyarrow
    have = int(pyarrow.__version__.split(".")[0])
except ImportError:
    have = 0
if have < need:
    sys.exit(f"gpu_bench: the image's pyarrow is {have}, the carried datasets needs >= {need}: carry an older datasets")
PY
python3 -m pip install -q --no-index --no-deps --no-build-isolation --target $SITE . || exit 1
export PYTHONPATH=$SITE
{
  nvidia-smi --query-gpu=name,memory.total,clocks.max.sm --format=csv,noheader
  python3 -c "import torch, transformers, trl, datasets; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'transformers', transformers.__version__, 'trl', trl.__version__, 'datasets', datasets.__version__)"
  python3 bench/bench_gpu.py --out "$OUT/gpu.json" "$@"
  echo "bench_gpu: exit $?"
} 2>&1 | tee "$OUT/bench_gpu.log"
