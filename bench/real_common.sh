# Shared by bench/real_studies.sh and bench/debias_study.sh (sourced, after OUT is set): the
# real dumps prepared once into $OUT/prepared, the budget every real-vote cell uses (2000
# training pairs, 128 tokens, 1 epoch) and `step NAME CMD...`, which runs CMD with its log
# in $OUT/NAME.log and appends its wall/CPU seconds and peak RSS to $OUT/times.txt.
DUMPS=${DUMPS:-../shared/data/reddit-dumps}
mkdir -p "$OUT"
DATA="$OUT/prepared"
[ -f "$DATA/manifest.json" ] || rmbench prepare --source "$DUMPS" --out "$DATA" --quiet > "$OUT/prepare.log"
# --set, not --max-train-pairs: sweep has no such flag (its curves set the size per cell). The
# validation size and learning rate are pinned to the values the studies in BENCHMARKS.md were
# measured with (the demo's defaults were cut to fit the 3-minute main job, issue 23).
COMMON=(--data "$DATA" --set data.max_train_pairs=2000 --set data.max_validation_pairs=160
        --set train.learning_rate=0.0001 --max-length 128 --epochs 1 --quiet)
TIMEFMT="%e s wall, %U s user, %S s sys, %M KiB max RSS"
step() { local name=$1; shift; echo "== $name: $*"; /usr/bin/time -f "$name: $TIMEFMT" -a -o "$OUT/times.txt" "$@" \
           > "$OUT/$name.log" 2>&1; echo "$name: exit $?"; tail -1 "$OUT/times.txt"; }
