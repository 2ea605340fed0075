#!/usr/bin/env bash
# The demo: build natgrad, convert the KOS corpus shipped in jobs/data/kos
# (one document in ten held out), fit 20 topics for ten epochs under
# `mpirun -np 2`, then print the top 10 words of each topic and the held-out
# perplexity. Work files go to build/demo/.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
mkdir -p "$ROOT/build/demo"
cd "$ROOT/build/demo"
"$ROOT/build/natgrad" convert uci "$ROOT/jobs/data/kos/docword.kos.txt.gz" "$ROOT/jobs/data/kos/vocab.kos.txt" \
  --out kos.h5 --split-every 10 --heldout-out kos_test.h5
mpirun -np 2 "$ROOT/build/natgrad" fit --config "$ROOT/jobs/kos.ini"
"$NATGRAD_PYTHON" "$ROOT/tools/natgrad_topics.py" kos_model.h5 --top 10
