"""Plain-torch re-implementation of transformers' Qwen2ForCausalLM / LlamaForCausalLM forward pass.

Mirrors transformers' modeling_qwen2.py / modeling_llama.py (eager attention):
- RMSNorm in (at least) float32: x * rsqrt(mean(x^2) + eps), cast back, times weight.
- RoPE rotate-half: inv_freq = 1 / theta^(arange(0, dh, 2) / dh), cos/sin of position * inv_freq,
  q * cos + rotate_half(q) * sin.
- Grouped-query attention via repeat_kv; q/k/v bias for qwen2 (o_proj without); llama uses
  `attention_bias` for q/k/v/o. Additive mask with finfo.min (causal AND key padding); softmax in
  float32 (or the compute dtype if wider).
- SwiGLU MLP: down(silu(gate(x)) * up(x)); tied lm_head when tie_word_embeddings.
- Position ids: cumsum(attention_mask) - 1, pads set to 1, as transformers' generate does; for
  right-padded batches this equals arange.
Parameters are a dict of tensors keyed by transformers' names, so the same safetensors loads here,
in transformers and in RLVR Lab.
"""
import json
import math
import os

import torch
import torch.nn.functional as F

from safetensors_io import load_file


class Config:
    def __init__(self, d):
        if d["model_type"] not in ("qwen2", "llama"):
            raise ValueError(f"unsupported model_type {d['model_type']}")
        self.model_type = d["model_type"]
        self.vocab_size = d["vocab_size"]
        self.hidden_size = d["hidden_size"]
        self.intermediate_size = d["intermediate_size"]
        self.num_hidden_layers = d["num_hidden_layers"]
        self.num_attention_heads = d["num_attention_heads"]
        self.num_key_value_heads = d.get("num_key_value_heads") or d["num_attention_heads"]
        self.head_dim = d.get("head_dim") or self.hidden_size // self.num_attention_heads
        self.rms_norm_eps = d["rms_norm_eps"]
        self.rope_theta = d.get("rope_theta", 10000.0)
        self.tie_word_embeddings = d.get("tie_word_embeddings", False)
        self.qkv_bias = True if self.model_type == "qwen2" else d.get("attention_bias", False)
        self.o_bias = False if self.model_type == "qwen2" else d.get("attention_bias", False)


def param_shapes(cfg):
    """{transformers parameter name: shape}; Linear weights are [out, in]."""
    h, dh = cfg.hidden_size, cfg.head_dim
    q, kv = cfg.num_attention_heads * dh, cfg.num_key_value_heads * dh
    shapes = {"model.embed_tokens.weight": [cfg.vocab_size, h]}
    for i in range(cfg.num_hidden_layers):
        p = f"model.layers.{i}."
        shapes[p + "input_layernorm.weight"] = [h]
        shapes[p + "self_attn.q_proj.weight"] = [q, h]
        shapes[p + "self_attn.k_proj.weight"] = [kv, h]
        shapes[p + "self_attn.v_proj.weight"] = [kv, h]
        if cfg.qkv_bias:
            shapes[p + "self_attn.q_proj.bias"] = [q]
            shapes[p + "self_attn.k_proj.bias"] = [kv]
            shapes[p + "self_attn.v_proj.bias"] = [kv]
        shapes[p + "self_attn.o_proj.weight"] = [h, q]
        if cfg.o_bias:
            shapes[p + "self_attn.o_proj.bias"] = [h]
        shapes[p + "post_attention_layernorm.weight"] = [h]
        shapes[p + "mlp.gate_proj.weight"] = [cfg.intermediate_size, h]
        shapes[p + "mlp.up_proj.weight"] = [cfg.intermediate_size, h]
        shapes[p + "mlp.down_proj.weight"] = [h, cfg.intermediate_size]
    shapes["model.norm.weight"] = [h]
    if not cfg.tie_word_embeddings:
        shapes["lm_head.weight"] = [cfg.vocab_size, h]
    return shapes


def init_params(cfg, gen, std=0.02, dtype=torch.float32):
    """transformers' _init_weights: normal(0, std) for Linear/Embedding weights, zero biases, unit norms."""
    params = {}
    for name, shape in param_shapes(cfg).items():
        if name.endswith("norm.weight"):
            params[name] = torch.ones(shape, dtype=dtype)
        elif name.endswith(".bias"):
            params[name] = torch.zeros(shape, dtype=dtype)
        else:
            params[name] = (torch.randn(shape, generator=gen, dtype=torch.float64) * std).to(dtype)
    return params


def load_model(model_dir, dtype=torch.float32):
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = Config(json.load(f))
    params = {k: v.to(dtype) for k, v in load_file(os.path.join(model_dir, "model.safetensors")).items()}
    expected = param_shapes(cfg)
    if set(params) != set(expected) or any(list(params[k].shape) != s for k, s in expected.items()):
        raise ValueError(f"{model_dir}: parameters do not match config")
    return cfg, params


def rms_norm(x, weight, eps):
    compute = torch.promote_types(x.dtype, torch.float32)
    h = x.to(compute)
    h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + eps)
    return weight * h.to(x.dtype)


def rope_cos_sin(cfg, position_ids, dtype):
    dh = cfg.head_dim
    # float32 exactly as transformers computes it; float64 when the whole model runs in float64.
    compute = torch.float64 if dtype == torch.float64 else torch.float32
    inv_freq = 1.0 / (cfg.rope_theta ** (torch.arange(0, dh, 2, dtype=torch.int64).to(compute) / dh))
    freqs = position_ids[:, :, None].to(inv_freq.dtype) * inv_freq[None, None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos().to(dtype), emb.sin().to(dtype)


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2 :]
    return torch.cat((-x2, x1), dim=-1)


def repeat_kv(x, n_rep):
    if n_rep == 1:
        return x
    b, kvh, s, dh = x.shape
    return x[:, :, None, :, :].expand(b, kvh, n_rep, s, dh).reshape(b, kvh * n_rep, s, dh)


def position_ids_from_mask(attention_mask):
    pos = attention_mask.long().cumsum(-1) - 1
    return pos.masked_fill(attention_mask == 0, 1)


def additive_mask(attention_mask, q_len, dtype):
    """[b, 1, q_len, kv_len] additive mask: 0 where key j is visible to query i (j <= i in absolute terms and key not padding)."""
    b, kv_len = attention_mask.shape
    q_pos = torch.arange(kv_len - q_len, kv_len)[:, None]
    k_pos = torch.arange(kv_len)[None, :]
    visible = (k_pos <= q_pos)[None, None, :, :] & attention_mask[:, None, None, :].bool()
    return torch.zeros(visible.shape, dtype=dtype).masked_fill(~visible, torch.finfo(dtype).min)


def linear(x, params, name):
    return F.linear(x, params[name + ".weight"], params.get(name + ".bias"))


def forward(cfg, params, input_ids, attention_mask, position_ids=None, cache=None):
    """Logits [b, s, vocab] for `input_ids` [b, s]. `attention_mask` [b, past + s] covers cached and new tokens.

    `cache` is a list (one entry per layer) of (k, v) with shape [b, kv_heads, past, head_dim], or None;
    when given it is extended in place with this call's keys and values.
    """
    b, s = input_ids.shape
    dtype = params["model.embed_tokens.weight"].dtype
    if position_ids is None:
        position_ids = position_ids_from_mask(attention_mask)[:, -s:]
    cos, sin = rope_cos_sin(cfg, position_ids, dtype)
    cos, sin = cos[:, None], sin[:, None]
    mask = additive_mask(attention_mask, s, dtype)
    nh, nkv, dh = cfg.num_attention_heads, cfg.num_key_value_heads, cfg.head_dim
    softmax_dtype = torch.promote_types(dtype, torch.float32)

    x = F.embedding(input_ids, params["model.embed_tokens.weight"])
    for i in range(cfg.num_hidden_layers):
        p = f"model.layers.{i}."
        h = rms_norm(x, params[p + "input_layernorm.weight"], cfg.rms_norm_eps)
        q = linear(h, params, p + "self_attn.q_proj").view(b, s, nh, dh).transpose(1, 2)
        k = linear(h, params, p + "self_attn.k_proj").view(b, s, nkv, dh).transpose(1, 2)
        v = linear(h, params, p + "self_attn.v_proj").view(b, s, nkv, dh).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if cache is not None:
            if len(cache) > i:
                k = torch.cat((cache[i][0], k), dim=2)
                v = torch.cat((cache[i][1], v), dim=2)
                cache[i] = (k, v)
            else:
                cache.append((k, v))
        k, v = repeat_kv(k, nh // nkv), repeat_kv(v, nh // nkv)
        scores = q @ k.transpose(2, 3) / math.sqrt(dh) + mask
        weights = torch.softmax(scores, dim=-1, dtype=softmax_dtype).to(dtype)
        a = (weights @ v).transpose(1, 2).reshape(b, s, nh * dh)
        x = x + linear(a, params, p + "self_attn.o_proj")
        h = rms_norm(x, params[p + "post_attention_layernorm.weight"], cfg.rms_norm_eps)
        gate = linear(h, params, p + "mlp.gate_proj")
        up = linear(h, params, p + "mlp.up_proj")
        x = x + linear(F.silu(gate) * up, params, p + "mlp.down_proj")
    x = rms_norm(x, params["model.norm.weight"], cfg.rms_norm_eps)
    head = params["model.embed_tokens.weight"] if cfg.tie_word_embeddings else params["lm_head.weight"]
    return F.linear(x, head)


def next_token_loss(logits, input_ids, attention_mask):
    """Mean cross-entropy of token t+1 given tokens <= t, over positions where both are real tokens."""
    targets = input_ids[:, 1:]
    valid = (attention_mask[:, 1:] * attention_mask[:, :-1]).bool()
    nll = -torch.log_softmax(logits[:, :-1], dim=-1).gather(-1, targets[..., None])[..., 0]
    return nll[valid].mean()


def generate(cfg, params, prompt_ids, attention_mask, max_new_tokens, use_cache=True, sample=False, gen=None):
    """Greedy (or temperature-1 sampling) continuation of a left-padded batch; no EOS stopping.

    Returns (new tokens [b, max_new_tokens], logits of each step [b, max_new_tokens, vocab]).
    """
    ids, mask = prompt_ids, attention_mask
    cache = [] if use_cache else None
    step_input = ids
    tokens, step_logits = [], []
    for _ in range(max_new_tokens):
        if use_cache:
            logits = forward(cfg, params, step_input, mask, cache=cache)[:, -1]
        else:
            logits = forward(cfg, params, ids, mask)[:, -1]
        if sample:
            nxt = torch.multinomial(torch.softmax(logits.float(), dim=-1), 1, generator=gen)[:, 0]
        else:
            nxt = logits.argmax(-1)
        tokens.append(nxt)
        step_logits.append(logits)
        ids = torch.cat((ids, nxt[:, None]), dim=1)
        mask = torch.cat((mask, torch.ones_like(mask[:, :1])), dim=1)
        step_input = nxt[:, None]
    return torch.stack(tokens, dim=1), torch.stack(step_logits, dim=1)
