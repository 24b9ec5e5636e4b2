"""AdamW reference: torch.optim.AdamW with weight decay on one parameter group, global-norm clipping
(torch.nn.utils.clip_grad_norm_) and no decay on the bias, for 4 steps with fixed gradients.
Writes tests/fixtures/engine/adamw.json. Run: /usr/bin/python3 scripts/torch_reference/adamw_fixture.py"""
import json
import os

import torch

torch.manual_seed(0)
w = torch.nn.Parameter(torch.randn(3, 4))
b = torch.nn.Parameter(torch.randn(4))
init = {"w": w.detach().flatten().tolist(), "b": b.detach().flatten().tolist()}
opt = torch.optim.AdamW([
    {"params": [w], "weight_decay": 0.1},
    {"params": [b], "weight_decay": 0.0},
], lr=0.05, betas=(0.9, 0.98), eps=1e-6)
steps = []
for step in range(4):
    gw = torch.randn(3, 4) * (3.0 if step == 1 else 0.5)
    gb = torch.randn(4) * 0.5
    steps.append({"gw": gw.flatten().tolist(), "gb": gb.flatten().tolist(), "lr": 0.05 * (step + 1) / 4})
    for group in opt.param_groups:
        group["lr"] = steps[-1]["lr"]
    w.grad = gw.clone()
    b.grad = gb.clone()
    norm = torch.nn.utils.clip_grad_norm_([w, b], max_norm=1.5)
    steps[-1]["grad_norm"] = float(norm)
    opt.step()
    steps[-1]["w"] = w.detach().flatten().tolist()
    steps[-1]["b"] = b.detach().flatten().tolist()
out = os.path.join(os.path.dirname(__file__), "../../tests/fixtures/engine/adamw.json")
with open(out, "w") as f:
    json.dump({"init": init, "config": {"beta1": 0.9, "beta2": 0.98, "eps": 1e-6, "weightDecay": 0.1, "maxGradNorm": 1.5}, "steps": steps}, f)
print("wrote", out)
