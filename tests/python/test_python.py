"""The clcnn Python module against the library built here (ctest label python): train a small
model, predict and compare with `clcnn predict --probs` on the same images, evaluate, tune with a
budget of 2, and the errors: a bad config, a wrong array shape or dtype.
Usage: test_python.py CLCNN_BINARY (CLCNN_LIBRARY names libclcnn.so, PYTHONPATH holds python/)."""

import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

import clcnn
from clcnn.datasets import load_fashion_mnist, write_idx

CLI = sys.argv[1]
# Small, so the whole test takes seconds of training: the seed's layout, fewer filters.
CONFIG = """
data: {scale: 255, validation_split: 0.25, train_limit: 256, test_limit: 64}
model:
  input_shape: [28, 28, 1]
  layers:
    - conv2d: {filters: 8, kernel_size: 3, activation: relu}
    - max_pooling2d: {pool_size: 2}
    - flatten: {}
    - dense: {units: 16, activation: relu}
    - dense: {units: 10, activation: softmax}
train: {epochs: 2, batch_size: 32, seed: 7}
"""
# A search over the same small model: two trials of seconds each.
TUNE_CONFIG = CONFIG.replace("filters: 8", "filters: {hp: int, name: filters, min: 4, max: 8, step: 4}") + """
tune: {algorithm: random, max_trials: 2, objective: val_accuracy}
"""
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def raises(exc_type, fn, *words):
    try:
        fn()
    except exc_type as e:
        missing = [w for w in words if w not in str(e)]
        check(not missing, f"{exc_type.__name__} '{e}' names {words}")
        return e
    except Exception as e:  # noqa: BLE001 - the wrong exception is a failure, reported
        check(False, f"expected {exc_type.__name__}, got {type(e).__name__}: {e}")
        return None
    check(False, f"expected {exc_type.__name__}, nothing was raised")
    return None


def main():
    tmp = tempfile.mkdtemp(prefix="clcnn-py-")
    check(clcnn.version().count(".") == 2, f"version() = {clcnn.version()}")
    devs = clcnn.devices()
    check(len(devs) >= 1 and sum(d["is_default"] for d in devs) == 1,
          f"devices(): {[d['name'] for d in devs]}, one default")

    calls = []
    hist = clcnn.train(CONFIG, overrides={"train.epochs": 1, "train.seed": 9},
                       out=os.path.join(tmp, "run"), progress=calls.append)
    check(hist.epochs == 1 and len(hist.history["loss"]) == 1, f"train: {hist}")
    check(any(c["final"] and c["epoch"] == 1 for c in calls), f"progress: {len(calls)} calls")
    check(0 <= hist.test_accuracy <= 1, f"test accuracy {hist.test_accuracy}")
    check(os.path.exists(hist.model_path), "model file written")

    model = clcnn.load(hist.model_path)
    check(model.input_shape == (28, 28, 1) and model.n_classes == 10, f"{model.input_shape}")
    (_, _), (x_test, y_test) = load_fashion_mnist()
    x, y = x_test[:40], y_test[:40]

    # The same images through the CLI: equal probabilities.
    idx = os.path.join(tmp, "images-idx3-ubyte")
    write_idx(idx, x)
    csv_path = os.path.join(tmp, "p.csv")
    subprocess.run([CLI, "predict", hist.model_path, idx, "--probs", csv_path], check=True,
                   stdout=subprocess.DEVNULL)
    cli = np.loadtxt(csv_path, delimiter=",", skiprows=1, ndmin=2)
    cli = cli[:, -10:]  # the probability columns
    p_hw = model.predict(x)                          # (N, H, W)
    p_nhwc = model.predict(x[..., None])             # (N, H, W, C)
    p_nchw = model.predict(x[:, None])               # (N, C, H, W)
    p_float = model.predict(x.astype(np.float32) * np.float32(1.0 / 255))
    check(p_hw.shape == (40, 10) and p_hw.dtype == np.float32, f"predict shape {p_hw.shape}")
    check(cli.shape == (40, 10), f"clcnn predict --probs: {cli.shape}")
    check(np.abs(p_hw - cli).max() <= 1e-6, f"vs clcnn predict: max diff {np.abs(p_hw - cli).max()}")
    check(np.array_equal(p_hw, p_nhwc) and np.array_equal(p_hw, p_nchw), "layouts agree")
    check(np.abs(p_float - p_hw).max() <= 1e-6,
          f"float input: max diff {np.abs(p_float - p_hw).max()}")
    check(np.allclose(p_hw.sum(axis=1), 1, atol=1e-5), "probabilities sum to 1")

    ev = model.evaluate(x, y)
    acc = float((p_hw.argmax(axis=1) == y).mean())
    check(abs(ev["accuracy"] - acc) < 1e-9 and ev["confusion"].sum() == 40,
          f"evaluate: {ev['accuracy']} vs predict's {acc}")
    evf = model.evaluate(x.astype(np.float64) / 255, y)
    check(abs(evf["accuracy"] - acc) < 1e-9 and abs(evf["loss"] - ev["loss"]) < 1e-4,
          f"evaluate on floats: loss {evf['loss']} vs {ev['loss']}")

    raises(ValueError, lambda: model.predict(np.zeros((3, 27, 28), np.uint8)), "(3, 27, 28)",
           "28x28x1")
    raises(TypeError, lambda: model.predict(np.zeros((3, 28, 28), np.int64)), "int64")
    raises(TypeError, lambda: model.predict([[0]]), "numpy array")
    raises(ValueError, lambda: model.evaluate(x, y[:5]), "labels")

    bad = os.path.join(tmp, "bad.yaml")
    with open(bad, "w") as f:
        f.write("model:\n  input_shape: [28, 28, 1]\n  layers:\n    - conv2d: {filtrs: 8}\n")
    err = raises(clcnn.Error, lambda: clcnn.train(bad), f"{bad}:4:")
    check(err is not None and err.status.startswith("CLCNN_STATUS_"), "Error.status")
    raises(clcnn.Error, lambda: clcnn.train(CONFIG, overrides={"train.epochz": 1}), "epochz")
    raises(clcnn.Error, lambda: clcnn.load(bad), "bad.yaml")

    stop_after = []

    def interrupt(p):
        stop_after.append(p)
        raise KeyboardInterrupt

    raises(KeyboardInterrupt, lambda: clcnn.train(CONFIG, progress=interrupt))

    tune_calls = []
    trials = clcnn.tune(TUNE_CONFIG, out=os.path.join(tmp, "search"), progress=tune_calls.append,
                        overrides={"train.epochs": 1})
    check(len(trials) == 2 and all("hyperparameters" in t for t in trials),
          f"tune: {len(trials)} trials")
    check(trials.best is not None and trials.best_config is not None, f"best {trials.best}")
    check(all(t["hyperparameters"]["filters"] in (4, 8) for t in trials),
          f"hyperparameters {[t['hyperparameters'] for t in trials]}")
    check(sum(c["final"] for c in tune_calls) == 2, "tune progress: one final call per trial")
    again = clcnn.tune(TUNE_CONFIG, out=os.path.join(tmp, "search"), overrides={"train.epochs": 1})
    check([t["id"] for t in again] == [t["id"] for t in trials], "tune resumes: no new trial")

    shutil.rmtree(tmp)
    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
