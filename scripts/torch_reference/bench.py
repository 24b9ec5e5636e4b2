"""PyTorch timings for the standard tiny model, printed as one JSON object on stdout.

Usage: /usr/bin/python3 scripts/torch_reference/bench.py engine|model|train [--threads 2] [--runs N] [--warmup N]
       /usr/bin/python3 scripts/torch_reference/bench.py big --model-dir DIR [--train-steps 3] [--new-tokens 128]

Standard tiny config: Qwen2-style (q/k/v bias, untied lm_head), vocab 512, hidden 256, 4 layers,
4 heads (4 kv heads), intermediate 688, float32, random init normal(0, 0.02). The model is
reference_model.py (transformers' eager math).

engine: batch 16 x 128 tokens; torch_forward_ms (no_grad forward to logits) and
        torch_train_step_ms (forward + mean next-token cross-entropy + backward + AdamW step), medians.
train:  one GRPO step (P prompts x group G, --new-tokens sampled with a KV cache, one clipped
        update with AdamW), split into generate / score / update.
model:  generation tokens/s with an eager KV-cache decode loop (greedy and temperature-1 sampling)
        at batch 1 and 32, 128 new tokens after a --prompt-len prompt, and scoring tokens/s
        (no_grad forward + per-token logprobs) for batch 16 x 128.
big:    the 0.5B-scale rows of `rlvr bench model` on the checkpoint in --model-dir (loaded as float32),
        the same work as src/bench/big-probe.ts: greedy KV-cache decode at batch 1 and 8 (32-token
        prompt, --new-tokens new), scoring 8 x 224 (no_grad forward + target logprobs), and
        --train-steps steps of --train-rows x --train-len (default 4 x 256; forward, token-mean NLL of the completion tokens, backward,
        clip_grad_norm_(1.0), AdamW), with times and the peak RSS after each phase.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_model import Config, forward, generate, init_params, load_model, next_token_loss  # noqa: E402

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


def blas_name():
    """The BLAS library torch's process mapped (Debian's torch uses the libblas.so.3 alternative: OpenBLAS when installed)."""
    with open("/proc/self/maps") as f:
        libs = {line.split()[-1] for line in f if "blas" in line.lower()}
    return sorted(os.path.basename(l) + " (" + os.path.dirname(l) + ")" for l in libs)


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


def bench_train(cfg, params, args):
    """One GRPO step: sample a group of G completions for each of P prompts (KV cache, temperature 1),
    score them (old logprobs come from sampling; the reference is not used: beta = 0), then one
    clipped policy-gradient update (token-mean) with AdamW."""
    gen = torch.Generator().manual_seed(2)
    prompts = torch.randint(0, cfg.vocab_size, (args.prompts, args.prompt_len), generator=gen)
    rows = prompts.repeat_interleave(args.group, dim=0)
    mask = torch.ones_like(rows)
    for p in params.values():
        p.requires_grad_(True)
    opt = torch.optim.AdamW(list(params.values()), lr=1e-5, weight_decay=0.0)
    times = {"generate": [], "score": [], "update": []}

    def step():
        t0 = time.perf_counter()
        with torch.no_grad():
            new, logits = generate(cfg, params, rows, mask, args.new_tokens, sample=True, gen=gen)
            old_lp = torch.log_softmax(logits.float(), -1).gather(-1, new[..., None])[..., 0]
        t1 = time.perf_counter()
        rewards = (torch.rand(rows.shape[0], generator=gen) < 0.5).float().view(args.prompts, args.group)
        adv = ((rewards - rewards.mean(1, keepdim=True)) / (rewards.std(1, keepdim=True) + 1e-6)).view(-1, 1)
        full = torch.cat((rows, new), dim=1)
        full_mask = torch.ones_like(full)
        t2 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        logits = forward(cfg, params, full, full_mask)[:, args.prompt_len - 1 : -1]
        lp = torch.log_softmax(logits, -1).gather(-1, new[..., None])[..., 0]
        ratio = torch.exp(lp - old_lp)
        loss = torch.max(-adv * ratio, -adv * torch.clamp(ratio, 0.8, 1.2)).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(params.values()), 1.0)
        opt.step()
        t3 = time.perf_counter()
        times["generate"].append((t1 - t0) * 1000)
        times["score"].append((t2 - t1) * 1000)
        times["update"].append((t3 - t2) * 1000)

    total = median_ms(step, args.runs, 1)
    for k in times:
        times[k] = statistics.median(times[k][1:])
    return {
        "prompts": args.prompts,
        "group": args.group,
        "new_tokens": args.new_tokens,
        "torch_grpo_step_ms": total,
        "torch_generate_ms": times["generate"],
        "torch_score_ms": times["score"],
        "torch_update_ms": times["update"],
    }


def peak_rss_gb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 2**30


def rss_gb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**30


def greedy_decode(cfg, params, prompt, new_tokens):
    """Greedy KV-cache decode keeping only the last position's logits (no per-step logits are stored)."""
    mask = torch.ones_like(prompt)
    cache = []
    step_input = prompt
    for _ in range(new_tokens):
        logits = forward(cfg, params, step_input, mask, cache=cache)[:, -1]
        nxt = logits.argmax(-1)
        mask = torch.cat((mask, torch.ones_like(mask[:, :1])), dim=1)
        step_input = nxt[:, None]


def bench_big(args):
    cfg, params = load_model(args.model_dir)
    gen = torch.Generator().manual_seed(7)
    tokens = lambda *shape: torch.randint(3, min(cfg.vocab_size, 1000), shape, generator=gen)
    result = {"parameters": sum(p.numel() for p in params.values())}
    phases = []

    def phase(name, fn):
        t0 = time.perf_counter()
        out = fn()
        seconds = time.perf_counter() - t0
        phases.append({"phase": name, "seconds": seconds, "rss_gb": rss_gb(), "peak_rss_gb": peak_rss_gb()})
        print(f"torch big: {name} {seconds:.1f} s, rss {rss_gb():.3f} GB, peak {peak_rss_gb():.3f} GB", file=sys.stderr, flush=True)
        return out, seconds

    phases.append({"phase": "load", "seconds": 0, "rss_gb": rss_gb(), "peak_rss_gb": peak_rss_gb()})
    with torch.no_grad():
        for b in (1, 8):
            prompt = tokens(b, 32)
            phase(f"generate_b{b}_warmup", lambda: greedy_decode(cfg, params, prompt, 2))
            _, s = phase(f"generate_b{b}", lambda: greedy_decode(cfg, params, prompt, args.new_tokens))
            result[f"torch_generate_greedy_b{b}_tokens_per_s"] = b * args.new_tokens / s
        ids = tokens(args.score_rows, args.score_len)
        mask = torch.ones_like(ids)

        def score():
            logits = forward(cfg, params, ids, mask)
            return torch.log_softmax(logits[:, :-1], dim=-1).gather(-1, ids[:, 1:, None])

        phase("score_warmup", score)
        _, s = phase("score", score)
        result["torch_score_tokens_per_s"] = args.score_rows * args.score_len / s
    if args.train_steps > 0:
        for p in params.values():
            p.requires_grad_(True)
        opt = torch.optim.AdamW(list(params.values()), lr=1e-5, weight_decay=0.01)
        ids = tokens(args.train_rows, args.train_len)
        mask = torch.ones_like(ids)
        steps = []
        for i in range(args.train_steps):
            def fwd_bwd():
                opt.zero_grad(set_to_none=True)
                logits = forward(cfg, params, ids, mask)[:, 31:-1]
                loss = -torch.log_softmax(logits, -1).gather(-1, ids[:, 32:, None]).mean()
                loss.backward()
                return loss.item()

            def update():
                torch.nn.utils.clip_grad_norm_(list(params.values()), 1.0)
                opt.step()

            loss, fb = phase(f"train_step{i + 1}_forward_backward", fwd_bwd)
            _, up = phase(f"train_step{i + 1}_optimizer", update)
            steps.append({"forward_backward_s": fb, "optimizer_s": up, "loss": loss, "peak_rss_gb": peak_rss_gb()})
        result["torch_train_steps"] = steps
    result["torch_phases"] = phases
    result["torch_peak_rss_gb"] = peak_rss_gb()
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["engine", "model", "train", "big"])
    parser.add_argument("--model-dir")
    parser.add_argument("--train-steps", type=int, default=3)
    parser.add_argument("--train-rows", type=int, default=4)
    parser.add_argument("--train-len", type=int, default=256)
    parser.add_argument("--score-rows", type=int, default=8)
    parser.add_argument("--score-len", type=int, default=224)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--prompt-len", type=int, default=16)
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--gen-runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--prompts", type=int, default=4)
    parser.add_argument("--group", type=int, default=8)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.mode == "big":
        if not args.model_dir:
            parser.error("big needs --model-dir")
        result = {"mode": "big", "torch_version": torch.__version__, "threads": args.threads, "blas": blas_name()}
        result.update(bench_big(args))
        print(json.dumps(result))
        return
    cfg = Config(STANDARD_CONFIG)
    params = init_params(cfg, torch.Generator().manual_seed(args.seed))
    result = {
        "mode": args.mode,
        "torch_version": torch.__version__,
        "threads": args.threads,
        "config": STANDARD_CONFIG,
        "params": sum(p.numel() for p in params.values()),
    }
    modes = {"engine": bench_engine, "model": bench_model, "train": bench_train}
    result.update(modes[args.mode](cfg, params, args))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
