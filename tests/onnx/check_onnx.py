"""tests/onnx/check_onnx.py: checks an ONNX file that `clcnn export` wrote against clcnn itself.

  check_onnx.py subset IMAGES.idx[.gz] N OUT.idx      the first N images as a raw IDX file
  check_onnx.py check MODEL.onnx IMAGES.idx PROBS.csv the model passes onnx.checker, has clcnn's
                                                      interface and metadata, and onnxruntime's
                                                      probabilities for the images, in batches of
                                                      1 and of 37, are within 1e-5 of PROBS.csv
                                                      (`clcnn predict --probs`)

Runs in the test's own virtual environment (onnx and onnxruntime from PyPI). Exits non-zero with
a message on the first failed check.
"""
import gzip
import json
import struct
import sys

import numpy as np

TOLERANCE = 1e-5


def read_idx_images(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic, n = struct.unpack(">II", data[:8])
    if magic != 0x803:
        sys.exit(f"{path}: not an IDX image file (magic {magic:#x})")
    h, w = struct.unpack(">II", data[8:16])
    return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(n, h, w)


def subset(src, n, out):
    images = read_idx_images(src)[:n]
    with open(out, "wb") as f:
        f.write(struct.pack(">IIII", 0x803, len(images), images.shape[1], images.shape[2]))
        f.write(images.tobytes())


def fail(msg):
    print(f"FAIL: {msg}")
    sys.exit(1)


def check_interface(model, n_classes_csv):
    graph = model.graph
    if [i.name for i in graph.input] != ["input"] or [o.name for o in graph.output] != ["probabilities"]:
        fail(f"inputs {[i.name for i in graph.input]} / outputs {[o.name for o in graph.output]}")
    dims = graph.input[0].type.tensor_type.shape.dim
    if len(dims) != 4 or not dims[0].dim_param or dims[0].dim_value:
        fail(f"input is not NCHW with a dynamic batch: {dims}")
    ops = [n.op_type for n in graph.node]
    if ops[-1] != "Softmax" or "Dropout" in ops:
        fail(f"ops {ops}: want Softmax last and no Dropout")
    meta = {p.key: p.value for p in model.metadata_props}
    for key in ("clcnn.version", "clcnn.config", "clcnn.classes", "clcnn.input"):
        if not meta.get(key):
            fail(f"metadata lacks {key}: {sorted(meta)}")
    classes = json.loads(meta["clcnn.classes"])
    if len(classes) != n_classes_csv:
        fail(f"{len(classes)} class names, {n_classes_csv} probabilities per image")
    if "layers:" not in meta["clcnn.config"]:
        fail("clcnn.config holds no layers")
    print(f"ok: interface: input {[d.dim_param or d.dim_value for d in dims]}, {len(ops)} ops "
          f"({', '.join(sorted(set(ops)))}), classes {classes}")


def run_batches(session, x, batch):
    out = [session.run(["probabilities"], {"input": x[i:i + batch]})[0]
           for i in range(0, len(x), batch)]
    return np.concatenate(out)


def check(onnx_path, images_path, probs_path):
    import onnx
    import onnxruntime as ort

    model = onnx.load(onnx_path)
    onnx.checker.check_model(model, full_check=True)
    print(f"ok: onnx.checker (onnx {onnx.__version__}), opset "
          f"{model.opset_import[0].version}, IR {model.ir_version}")
    want = np.loadtxt(probs_path, delimiter=",", skiprows=1, ndmin=2)[:, 2:].astype(np.float32)
    check_interface(model, want.shape[1])
    images = read_idx_images(images_path)
    if len(images) != len(want):
        fail(f"{len(images)} images but {len(want)} rows of clcnn probabilities")
    c = model.graph.input[0].type.tensor_type.shape.dim[1].dim_value
    x = images.reshape(len(images), c, images.shape[1], images.shape[2]).astype(np.float32)
    session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    for batch in (1, 37):
        got = run_batches(session, x, batch)
        if got.shape != want.shape:
            fail(f"batch {batch}: onnxruntime gives {got.shape}, clcnn {want.shape}")
        diff = float(np.max(np.abs(got - want)))
        agree = float(np.mean(got.argmax(1) == want.argmax(1)))
        if not diff <= TOLERANCE:
            fail(f"batch {batch}: max |onnxruntime - clcnn| = {diff:.3g} > {TOLERANCE} "
                 f"(argmax agreement {agree:.4f})")
        print(f"ok: onnxruntime {ort.__version__}, batch {batch}: {len(x)} images, max |diff| "
              f"{diff:.3g} <= {TOLERANCE}, argmax agreement {agree:.4f}")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "subset":
        subset(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif len(sys.argv) == 5 and sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)
