#!/usr/bin/python3
"""Compares two clcnn model files (json, struct and numpy only): the same tensors with the same
shapes, and the difference within RTOL relative. MODE max: max|A - B| <= RTOL x max|B| for each
tensor (every weight, relative to its tensor's scale); MODE norm: ||A - B|| <= RTOL x ||B|| over
the whole model (2-norms). Prints the worst ratio.
Usage: check_same_weights.py A.safetensors B.safetensors RTOL max|norm"""
import json, struct, sys
import numpy as np


def tensors(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    header.pop("__metadata__", None)
    data = raw[8 + n:]
    out = {}
    for name, info in header.items():
        b, e = info["data_offsets"]
        out[name] = np.frombuffer(data[b:e], "<f4").reshape(info["shape"]).astype(np.float64)
    return out


a, b = tensors(sys.argv[1]), tensors(sys.argv[2])
rtol, mode = float(sys.argv[3]), sys.argv[4]
assert sorted(a) == sorted(b), (sorted(a), sorted(b))
for name in a:
    assert a[name].shape == b[name].shape, (name, a[name].shape, b[name].shape)
if mode == "norm":
    d = sum(np.sum((a[k] - b[k]) ** 2) for k in a) ** 0.5
    worst, where = d / sum(np.sum(b[k] ** 2) for k in a) ** 0.5, "the whole model, 2-norm"
else:
    worst, where = max((np.max(np.abs(a[k] - b[k])) / (np.max(np.abs(b[k])) or 1.0), k) for k in a)
print("relative difference %.3g (%s), limit %g" % (worst, where, rtol))
sys.exit(0 if worst <= rtol else 1)
