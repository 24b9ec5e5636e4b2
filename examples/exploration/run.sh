#!/usr/bin/env bash
# Systematic exploration: train a small character model to list every distinct arrangement of a
# multiset of letters (sizes 2-5), then evaluate it on sizes 2-6 and fit the decay of success with
# size. Run from the repository root: bash examples/exploration/run.sh  (about 20 min on 2 cores)
set -euo pipefail
rlvr() { node bin/rlvr.mjs "$@"; }
rm -rf runs/exploration
mkdir -p runs/exploration
rlvr gen-data permutations --n 3000 --seed 1 --min-size 2 --max-size 5 --with-solutions --out runs/exploration/perm-train.jsonl
rlvr gen-data permutations --n 200 --seed 3 --min-size 2 --max-size 6 --out runs/exploration/perm-test.jsonl
rlvr init-model --config examples/exploration/model-config.json --tokenizer char --seed 0 --out runs/exploration/init
rlvr train --config examples/exploration/sft.yaml --out runs/exploration/sft
rlvr eval --dataset runs/exploration/perm-test.jsonl --model runs/exploration/sft/checkpoints/step-300 --template none --max-new-tokens 700 --out runs/exploration/eval
