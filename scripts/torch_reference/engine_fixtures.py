"""Writes the tensor-engine fixtures: values and gradients of a small MLP and a small attention block.

Usage: /usr/bin/python3 scripts/torch_reference/engine_fixtures.py [--out tests/fixtures/engine]

Each file holds float32 tensors named `in.<name>` (inputs; int64 targets), `out.<name>` (values) and
`grad.<name>` (gradient of the scalar `out.loss` w.r.t. input `<name>`). Inputs are drawn, rounded to
float32, then everything is computed in float64 from those float32 inputs and stored as float32, so
stored outputs are the float32 roundings of the exact results for the stored inputs.
Weights use the x @ W convention (W is [in, out]).
"""
import argparse
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import save_file  # noqa: E402


def to_f32_grid(t):
    """float64 tensor holding exactly the float32-representable value of each element."""
    return t.float().double()


def mlp(gen):
    x = torch.randn(5, 7, generator=gen, dtype=torch.float64)
    w1 = torch.randn(7, 16, generator=gen, dtype=torch.float64) / math.sqrt(7)
    b1 = torch.randn(16, generator=gen, dtype=torch.float64) * 0.1
    w2 = torch.randn(16, 4, generator=gen, dtype=torch.float64) / math.sqrt(16)
    b2 = torch.randn(4, generator=gen, dtype=torch.float64) * 0.1
    targets = torch.randint(0, 4, (5,), generator=gen)
    params = {k: to_f32_grid(v) for k, v in {"x": x, "W1": w1, "b1": b1, "W2": w2, "b2": b2}.items()}
    x, w1, b1, w2, b2 = params.values()
    for p in params.values():
        p.requires_grad_(True)
    h = torch.tanh(x @ w1 + b1)
    z = h @ w2 + b2
    loss = -torch.log_softmax(z, dim=-1)[torch.arange(5), targets].mean()
    loss.backward()
    out = {f"in.{k}": v.detach().float() for k, v in params.items()}
    out["in.targets"] = targets
    out["out.z"] = z.detach().float()
    out["out.loss"] = loss.detach().float()
    out.update({f"grad.{k}": v.grad.float() for k, v in params.items()})
    return out


def attention(gen):
    batch, seq, d, heads = 2, 6, 16, 2
    dh = d // heads
    x = torch.randn(batch, seq, d, generator=gen, dtype=torch.float64)
    ws = {k: torch.randn(d, d, generator=gen, dtype=torch.float64) / math.sqrt(d) for k in ("Wq", "Wk", "Wv", "Wo")}
    r = to_f32_grid(torch.randn(batch, seq, d, generator=gen, dtype=torch.float64))
    params = {k: to_f32_grid(v) for k, v in {"x": x, **ws}.items()}
    x, ws = params["x"], {k: params[k] for k in ws}
    for p in params.values():
        p.requires_grad_(True)

    def split(t):  # [b, s, d] -> [b, heads, s, dh]
        return t.reshape(batch, seq, heads, dh).transpose(1, 2)

    q, k, v = split(x @ ws["Wq"]), split(x @ ws["Wk"]), split(x @ ws["Wv"])
    causal = torch.triu(torch.full((seq, seq), float("-inf"), dtype=torch.float64), diagonal=1)
    a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh) + causal, dim=-1) @ v
    merged = a.transpose(1, 2).reshape(batch, seq, d)
    out = x + merged @ ws["Wo"]
    loss = (out * r).sum()
    loss.backward()
    result = {f"in.{k}": v.detach().float() for k, v in params.items()}
    result["in.r"] = r.float()
    result["out.out"] = out.detach().float()
    result["out.loss"] = loss.detach().float()
    result.update({f"grad.{k}": v.grad.float() for k, v in params.items()})
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="tests/fixtures/engine")
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args()
    torch.set_num_threads(2)
    os.makedirs(args.out, exist_ok=True)
    gen = torch.Generator().manual_seed(args.seed)
    save_file(mlp(gen), os.path.join(args.out, "mlp.safetensors"))
    save_file(attention(gen), os.path.join(args.out, "attention.safetensors"))
    print(f"wrote {args.out}/mlp.safetensors and {args.out}/attention.safetensors")


if __name__ == "__main__":
    main()
