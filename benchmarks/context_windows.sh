#!/usr/bin/env bash
# Which context window pays for its cost? Trains the default config with each window and
# prints real-dev macro-F1 per task next to tag_article sentences/s (2 threads).
# Usage: bash benchmarks/context_windows.sh [WORKDIR]   (about 30 minutes on 2 cores)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/context-windows}
csv=${FAKES_CSV:-$repo/../shared/data/fa-kes/fa-kes-dev.csv}
mkdir -p "$work" && cd "$work"
for spec in "fused 0 0" "fused 1 1" "fused 2 2" "tokens 1 1"; do
  set -- $spec
  name="$1-$2-$3"
  python -m training train --config "$repo/configs/default.yaml" \
    --set model.context_mode=$1 --set model.context_before=$2 --set model.context_after=$3 \
    --set train.output_dir="$work/$name" --set data.eval_splits=[real-dev] \
    --set tracking.experiment=context-windows --set tracking.registered_model=null > "$work/$name.log" 2>&1
  python - "$work/$name" "$csv" <<'PY'
import json, sys
from pathlib import Path
from training.benchmark import run_benchmark
out = Path(sys.argv[1])
report = json.loads((out / "reports" / "real-dev_report.json").read_text())
speed = run_benchmark(str(out / "model"), sys.argv[2], n_articles=100)
print(json.dumps({"window": out.name, **{f"real-dev.{t}.macro_f1": round(r["macro_f1"], 3) for t, r in report.items()},
                  "tag_article_sentences_per_s": speed["tag_article_sentences_per_s"],
                  "tag_articles_sentences_per_s": speed["tag_articles_sentences_per_s"]}))
PY
done
