"""Writes tests/fixtures/model/dtypes.safetensors: the same values stored as F32, F16, BF16 and the
F16/BF16 values decoded back to F32 by PyTorch, plus I64/I32 tensors — an independent reference for
the TypeScript half-float codecs.

Usage: /usr/bin/python3 scripts/torch_reference/dtype_fixture.py [--out tests/fixtures/model/dtypes.safetensors]
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import save_file  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="tests/fixtures/model/dtypes.safetensors")
    args = parser.parse_args()
    gen = torch.Generator().manual_seed(7)
    special = torch.tensor(
        [0.0, -0.0, 1.0, -2.5, 1 / 3, 65504.0, 65519.0, 65520.0, 1e6, 2.0**-24, 2.0**-25, 3 * 2.0**-26, 1e-8,
         float("inf"), float("-inf"), 1.00390625, 1.01171875, 3.4e38, 1e-40],
        dtype=torch.float32,
    )
    values = torch.cat((special, torch.randn(200, generator=gen) * 10.0 ** torch.randint(-6, 6, (200,), generator=gen)))
    values = values.reshape(-1, 1)
    save_file(
        {
            "f32": values,
            "f16": values.half(),
            "bf16": values.bfloat16(),
            "f16_as_f32": values.half().float(),
            "bf16_as_f32": values.bfloat16().float(),
            "f64": values.double(),
            "i64": torch.tensor([[0, 1, -1], [2**40, -(2**40), 151643]], dtype=torch.int64),
            "i32": torch.tensor([0, 1, -1, 2**31 - 1], dtype=torch.int32),
        },
        args.out,
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
