"""PyTorch timings for the standard tiny model, printed as one JSON object on stdout.

Usage: /usr/bin/python3 scripts/torch_reference/bench.py engine|model [--threads 2] [--runs N] [--warmup N]

Standard tiny config: Qwen2-style (q/k/v bias, untied lm_head), vocab 512, hidden 256, 4 layers,
4 heads (4 kv heads), intermediate 688, float32, random init normal(0, 0.02). The model is
reference_model.py (transformers' eager math).

engine: batch 16 x 128 tokens; torch_forward_ms (no_grad forward to logits) and
        torch_train_step_ms (forward + mean next-token cross-entropy + backward + AdamW step), medians.
model:  generation tokens/s with an eager KV-cache decode loop (greedy and temperature-1 sampling)
        at batch 1 and 32, 128 new tokens after a --prompt-len prompt, and scoring tokens/s
        (no_grad forward + per-token logprobs) for batch 16 x 128.
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_model import Config, forward, generate, init_params, next_token_loss  # noqa: E402

STANDARD_CONFIG = {
    "model_type": "qwen2",
    "vocab_size": 512,
    "hidden_size": 256,
    "intermediate_size": 688,
    "num_hidden_layers": 4,
    "num_attention_heads": 4,
    "num_key_value_heads": 4,
    "rms_norm_eps": 1e-6,
    "rope_theta": 1000000.0,
    "tie_word_embeddings": False,
    "hidden_act": "silu",
}


def median_ms(fn, runs, warmup):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def bench_engine(cfg, params, args):
    gen = torch.Generator().manual_seed(1)
    ids = torch.randint(0, cfg.vocab_size, (args.batch, args.seq), generator=gen)
    mask = torch.ones_like(ids)

    def fwd():
        with torch.no_grad():
            forward(cfg, params, ids, mask)

    for p in params.values():
        p.requires_grad_(True)
    opt = torch.optim.AdamW(list(params.values()), lr=1e-4, weight_decay=0.01)

    def train_step():
        opt.zero_grad(set_to_none=True)
        next_token_loss(forward(cfg, params, ids, mask), ids, mask).backward()
        opt.step()

    forward_ms = median_ms(fwd, args.runs, args.warmup)
    train_ms = median_ms(train_step, args.runs, args.warmup)
    tokens = args.batch * args.seq
    return {
        "batch": args.batch,
        "seq": args.seq,
        "torch_forward_ms": forward_ms,
        "torch_train_step_ms": train_ms,
        "torch_forward_tokens_per_s": tokens / forward_ms * 1000,
        "torch_train_tokens_per_s": tokens / train_ms * 1000,
    }


def bench_model(cfg, params, args):
    gen = torch.Generator().manual_seed(1)
    result = {"prompt_len": args.prompt_len, "new_tokens": args.new_tokens}
    with torch.no_grad():
        for batch in (1, 32):
            prompt = torch.randint(0, cfg.vocab_size, (batch, args.prompt_len), generator=gen)
            mask = torch.ones_like(prompt)
            for mode in ("greedy", "sampled"):
                ms = median_ms(
                    lambda: generate(cfg, params, prompt, mask, args.new_tokens, sample=mode == "sampled", gen=gen),
                    args.gen_runs,
                    1,
                )
                result[f"torch_generate_{mode}_b{batch}_tokens_per_s"] = batch * args.new_tokens / ms * 1000
        ids = torch.randint(0, cfg.vocab_size, (args.batch, args.seq), generator=gen)
        mask = torch.ones_like(ids)

        def score():
            logits = forward(cfg, params, ids, mask)
            torch.log_softmax(logits[:, :-1], dim=-1).gather(-1, ids[:, 1:, None])

        ms = median_ms(score, args.runs, args.warmup)
        result["score_batch"], result["score_seq"] = args.batch, args.seq
        result["torch_score_ms"] = ms
        result["torch_score_tokens_per_s"] = args.batch * args.seq / ms * 1000
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["engine", "model"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--prompt-len", type=int, default=16)
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--gen-runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cfg = Config(STANDARD_CONFIG)
    params = init_params(cfg, torch.Generator().manual_seed(args.seed))
    result = {
        "mode": args.mode,
        "torch_version": torch.__version__,
        "threads": args.threads,
        "config": STANDARD_CONFIG,
        "params": sum(p.numel() for p in params.values()),
    }
    result.update(bench_engine(cfg, params, args) if args.mode == "engine" else bench_model(cfg, params, args))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
