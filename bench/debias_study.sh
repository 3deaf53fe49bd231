#!/usr/bin/env bash
# The none-vs-poe study of BENCHMARKS.md ("Confound-debiased training"), on a CPU, one job
# at a time. From the repository root, in the venv:
#   bench/debias_study.sh [OUT]        (default OUT=runs/debias-study)
# AskAcademia and GradSchool each held out (trained on the other three subreddits), once
# with plain Bradley-Terry (--debias none) and once as a product of experts with the frozen
# baseline:confounds logit (--debias poe). Same budget as BENCHMARKS (e): 2000 training
# pairs, 128 tokens, 1 epoch, 1000 post-clustered bootstrap resamples, seed 0. Resumable;
# each cell prints its wall and CPU seconds. bench/debias_table.py prints the table.
set -uo pipefail
OUT=${1:-runs/debias-study}
DUMPS=${DUMPS:-../shared/data/reddit-dumps}
mkdir -p "$OUT"
DATA="$OUT/prepared"
[ -f "$DATA/manifest.json" ] || rmbench prepare --source "$DUMPS" --out "$DATA" --quiet > "$OUT/prepare.log"
COMMON=(--data "$DATA" --set data.max_train_pairs=2000 --max-length 128 --epochs 1 --quiet)
TIMEFMT="%e s wall, %U s user, %S s sys, %M KiB max RSS"
step() { local name=$1; shift; echo "== $name: $*"; /usr/bin/time -f "$name: $TIMEFMT" -a -o "$OUT/times.txt" "$@" \
           > "$OUT/$name.log" 2>&1; echo "$name: exit $?"; tail -1 "$OUT/times.txt"; }
for held in askacademia gradschool; do
  for mode in none poe; do
    run="$OUT/$held-$mode"
    resume=(); [ -f "$run/config.json" ] && resume=(--resume)
    [ -f "$run/results.json" ] || step "$held-$mode" rmbench run --holdout "$held" --debias "$mode" "${COMMON[@]}" \
      --out "$run" "${resume[@]}"
  done
done
python bench/debias_table.py "$OUT"
