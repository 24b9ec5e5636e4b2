#!/usr/bin/env bash
# SFT → GRPO on freshly generated arithmetic word problems, from a random character-level model.
# Run from the repository root: bash examples/arithmetic/run.sh
set -euo pipefail
rlvr() { node bin/rlvr.mjs "$@"; }
rm -rf runs/arithmetic
rlvr init-model --config examples/arithmetic/model-config.json --tokenizer char --seed 0 --out runs/arithmetic/init
rlvr train --config examples/arithmetic/sft.yaml --out runs/arithmetic/sft
rlvr train --config examples/arithmetic/grpo.yaml --out runs/arithmetic/grpo
echo "validation accuracy (greedy pass@1) by step:"
grep -h val_accuracy runs/arithmetic/sft/metrics.jsonl runs/arithmetic/grpo/metrics.jsonl | node -e '
  const lines = require("fs").readFileSync(0, "utf8").trim().split("\n").map(JSON.parse);
  for (const l of lines) console.log(`  step ${l.step}: ${l.val_accuracy}`);'
