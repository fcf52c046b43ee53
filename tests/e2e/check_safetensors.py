#!/usr/bin/python3
"""Reads a clcnn model file with only json, struct and numpy, checks the names, shapes, dtypes and
metadata that docs/architecture.md documents, then runs the model's forward pass in numpy
(PyTorch layouts: conv weight [out, in, kh, kw], dense [out, in], flatten in C,H,W order) on test
images and compares with the probabilities clcnn wrote. Usage: check_safetensors.py MODEL PROBS_CSV"""
import gzip, json, struct, sys
import numpy as np

path, probs_csv = sys.argv[1], sys.argv[2]
raw = open(path, "rb").read()
(n,) = struct.unpack("<Q", raw[:8])
header = json.loads(raw[8:8 + n])
data = raw[8 + n:]
meta = header.pop("__metadata__")
for key in ("clcnn.version", "clcnn.config", "clcnn.classes"):
    assert isinstance(meta.get(key), str), key
classes = json.loads(meta["clcnn.classes"])
assert len(classes) == 10 and classes[0] == "T-shirt/top", classes
t = {}
for name, info in header.items():
    assert info["dtype"] == "F32", (name, info["dtype"])
    b, e = info["data_offsets"]
    t[name] = np.frombuffer(data[b:e], "<f4").reshape(info["shape"])
expect = {"layers.0.weight": (64, 1, 3, 3), "layers.0.bias": (64,), "layers.1.weight": (64, 64, 3, 3),
          "layers.1.bias": (64,), "layers.3.weight": (128, 64 * 24 * 24), "layers.3.bias": (128,),
          "layers.4.weight": (10, 128), "layers.4.bias": (10,)}
assert {k: v.shape for k, v in t.items()} == expect, {k: v.shape for k, v in t.items()}

def conv_relu(x, w, b):  # x [n, c, h, w], w [o, c, kh, kw], valid padding, stride 1
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    oh, ow = h - kh + 1, wd - kw + 1
    cols = np.stack([x[:, :, i:i + oh, j:j + ow] for i in range(kh) for j in range(kw)], axis=2)
    y = np.einsum("ncrhw,ocr->nohw", cols, w.reshape(o, c, kh * kw)) + b[None, :, None, None]
    return np.maximum(y, 0)

with gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz") as f:
    imgs = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)[:50]
x = imgs.astype(np.float64) / 255.0
x = conv_relu(x, t["layers.0.weight"], t["layers.0.bias"])
x = conv_relu(x, t["layers.1.weight"], t["layers.1.bias"])
x = x.reshape(len(x), -1)  # C,H,W order
x = np.maximum(x @ t["layers.3.weight"].T + t["layers.3.bias"], 0)
z = x @ t["layers.4.weight"].T + t["layers.4.bias"]
p = np.exp(z - z.max(1, keepdims=True))
p /= p.sum(1, keepdims=True)
rows = np.loadtxt(probs_csv, delimiter=",", skiprows=1)[:50]
assert (rows[:, 0] == np.arange(50)).all()
assert (rows[:, 1] == p.argmax(1)).all(), "predicted classes differ"
err = np.abs(rows[:, 2:] - p).max()
assert err < 1e-4, "max probability difference %g" % err
print("model file ok: %d tensors, max |p_numpy - p_clcnn| = %.2e" % (len(t), err))
