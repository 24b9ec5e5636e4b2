"""Minimal safetensors reader/writer for torch tensors (no `safetensors` package needed).

Format: 8-byte little-endian header length N, N bytes of JSON
{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}},
then raw little-endian tensor bytes; offsets are relative to the end of the header.
"""
import json
import os
import struct

import torch

_DTYPES = {
    torch.float64: "F64",
    torch.float32: "F32",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.int64: "I64",
    torch.int32: "I32",
}
_TORCH = {v: k for k, v in _DTYPES.items()}
_SIZES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4}


def _raw_bytes(t):
    t = t.detach().contiguous().cpu()
    # Reinterpret as bytes through an int16/int32/int64 view; numpy has no bfloat16.
    view = {2: torch.int16, 4: torch.int32, 8: torch.int64}[t.element_size()]
    return t.view(view).numpy().tobytes()


def save_file(tensors, path, metadata=None):
    """Writes {name: tensor} in the layout the reference implementation uses (sorted by element size, then name)."""
    items = sorted(tensors.items(), key=lambda kv: (-kv[1].element_size(), kv[0]))
    header = {"__metadata__": {"format": "pt", **(metadata or {})}}
    offset = 0
    blobs = []
    for name, t in items:
        data = _raw_bytes(t)
        header[name] = {"dtype": _DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":"))
    text += " " * ((8 - len(text.encode()) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text.encode())))
        f.write(text.encode())
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def load_file(path):
    """Reads {name: tensor} with the on-disk dtypes."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    header.pop("__metadata__", None)
    out = {}
    for name, e in header.items():
        begin, end = e["data_offsets"]
        dtype = _TORCH[e["dtype"]]
        buf = bytearray(raw[8 + n + begin : 8 + n + end])
        out[name] = torch.frombuffer(buf, dtype=dtype).reshape(e["shape"]) if end > begin else torch.zeros(e["shape"], dtype=dtype)
    return out
