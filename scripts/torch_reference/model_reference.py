"""Generates the tiny Qwen2/Llama fixture models and their golden outputs (see tests/fixtures/model/README.md).

Usage: /usr/bin/python3 scripts/torch_reference/model_reference.py [--out tests/fixtures/model]

For each fixture model it writes config.json and model.safetensors (float32, transformers names),
then reloads them and computes, in float64 from those float32 weights, the golden values in
golden.safetensors: logits, next-token loss and its gradient for every parameter on a right-padded
batch, and greedy generation from a left-padded batch, with and without KV cache (asserted
identical, and identical again when the model runs in float32).
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_model import Config, forward, generate, init_params, load_model, next_token_loss, position_ids_from_mask  # noqa: E402
from safetensors_io import save_file  # noqa: E402

BASE = {
    "vocab_size": 64,
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "hidden_act": "silu",
    "max_position_embeddings": 128,
    "initializer_range": 0.02,
    "rope_scaling": None,
    "attention_dropout": 0.0,
    "use_cache": True,
    "bos_token_id": 1,
    "eos_token_id": 2,
    "torch_dtype": "float32",
    "transformers_version": "4.45.0",
}
MODELS = {
    "qwen2-tiny": {
        **BASE,
        "architectures": ["Qwen2ForCausalLM"],
        "model_type": "qwen2",
        "num_key_value_heads": 2,
        "rms_norm_eps": 1e-6,
        "rope_theta": 1000000.0,
        "tie_word_embeddings": False,
        "use_sliding_window": False,
        "sliding_window": None,
        "max_window_layers": 2,
    },
    "llama-tiny": {
        **BASE,
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "num_key_value_heads": 1,
        "rms_norm_eps": 1e-5,
        "rope_theta": 10000.0,
        "tie_word_embeddings": True,
        "attention_bias": False,
        "mlp_bias": False,
        "pretraining_tp": 1,
    },
}
# Weights drawn wider than initializer_range so that logits are peaked and greedy choices are not
# near-ties that float32 rounding could flip (the script checks the margins).
FIXTURE_STD = 0.3
PAD_ID = 0
SCORE_LENGTHS = [10, 7]
PROMPT_LENGTHS = [3, 5, 8]
NEW_TOKENS = 32
MIN_MARGIN = 1e-3


def right_padded(lengths, vocab, gen):
    width = max(lengths)
    ids = torch.full((len(lengths), width), PAD_ID, dtype=torch.int64)
    mask = torch.zeros((len(lengths), width), dtype=torch.int64)
    for i, n in enumerate(lengths):
        ids[i, :n] = torch.randint(3, vocab, (n,), generator=gen)
        mask[i, :n] = 1
    return ids, mask


def left_padded(lengths, vocab, gen):
    width = max(lengths)
    ids = torch.full((len(lengths), width), PAD_ID, dtype=torch.int64)
    mask = torch.zeros((len(lengths), width), dtype=torch.int64)
    for i, n in enumerate(lengths):
        ids[i, width - n :] = torch.randint(3, vocab, (n,), generator=gen)
        mask[i, width - n :] = 1
    return ids, mask


def make_model(model_dir, config, seed):
    os.makedirs(model_dir, exist_ok=True)
    with open(os.path.join(model_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    params = init_params(Config(config), torch.Generator().manual_seed(seed), std=FIXTURE_STD)
    save_file(params, os.path.join(model_dir, "model.safetensors"))


def golden(model_dir, seed):
    cfg, params = load_model(model_dir, dtype=torch.float64)
    for p in params.values():
        p.requires_grad_(True)
    gen = torch.Generator().manual_seed(seed)
    out = {}

    ids, mask = right_padded(SCORE_LENGTHS, cfg.vocab_size, gen)
    logits = forward(cfg, params, ids, mask)
    loss = next_token_loss(logits, ids, mask)
    loss.backward()
    out["in.input_ids"], out["in.attention_mask"] = ids, mask
    out["in.position_ids"] = position_ids_from_mask(mask)
    out["out.logits"] = logits.detach().float()
    out["out.loss"] = loss.detach().float()
    out.update({f"grad.{name}": p.grad.float() for name, p in params.items()})

    prompt, prompt_mask = left_padded(PROMPT_LENGTHS, cfg.vocab_size, gen)
    with torch.no_grad():
        cached, step_logits = generate(cfg, params, prompt, prompt_mask, NEW_TOKENS, use_cache=True)
        uncached, _ = generate(cfg, params, prompt, prompt_mask, NEW_TOKENS, use_cache=False)
        assert torch.equal(cached, uncached), f"{model_dir}: KV-cache and full-recompute greedy generation differ"
        for i, n in enumerate(PROMPT_LENGTHS):
            alone, _ = generate(cfg, params, prompt[i : i + 1, -n:], prompt_mask[i : i + 1, -n:], NEW_TOKENS)
            assert torch.equal(alone[0], cached[i]), f"{model_dir}: left padding changes the generation of prompt {i}"
        for i, n in enumerate(SCORE_LENGTHS):
            alone = forward(cfg, params, ids[i : i + 1, :n], mask[i : i + 1, :n])
            assert torch.allclose(alone[0], logits[i, :n], rtol=1e-10, atol=1e-10), f"{model_dir}: right padding changes logits"
        _, params32 = load_model(model_dir, dtype=torch.float32)
        cached32, _ = generate(cfg, params32, prompt, prompt_mask, NEW_TOKENS, use_cache=True)
        assert torch.equal(cached, cached32), f"{model_dir}: float32 and float64 greedy generation differ"
        logits32 = forward(cfg, params32, ids, mask)
    top2 = step_logits.topk(2, dim=-1).values
    margin = top2[..., 0] - top2[..., 1]
    assert margin.min() > MIN_MARGIN, f"{model_dir}: greedy near-tie (margin {margin.min():.2e}); pick another seed"
    out["in.gen_prompt_ids"], out["in.gen_attention_mask"] = prompt, prompt_mask
    out["in.gen_position_ids"] = position_ids_from_mask(prompt_mask)
    out["gen.tokens"] = cached
    out["gen.logits"] = step_logits.float()
    out["gen.top2_margin"] = margin.float()
    save_file(out, os.path.join(model_dir, "golden.safetensors"))

    real = mask.bool()
    rel = ((logits32 - logits.detach())[real].abs().max() / logits.detach()[real].abs().max()).item()
    print(
        f"{model_dir}: loss {loss.item():.6f}, gen tokens {tuple(cached.shape)}, min greedy margin {margin.min().item():.4f}, "
        f"float32-vs-float64 logits max rel diff {rel:.2e}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="tests/fixtures/model")
    parser.add_argument("--seed", type=int, default=20240)
    args = parser.parse_args()
    torch.set_num_threads(2)
    for i, (name, config) in enumerate(MODELS.items()):
        model_dir = os.path.join(args.out, name)
        make_model(model_dir, config, args.seed + i)
        golden(model_dir, args.seed + 100 + i)


if __name__ == "__main__":
    main()
