"""clcnn from Python: train, tune, evaluate and predict with libclcnn on any OpenCL device.

    import clcnn
    clcnn.devices()                                     # every OpenCL device
    h = clcnn.train("fashion_mnist", overrides={"train.epochs": 3}, out="out/run1")
    model = clcnn.load("out/run1/model.safetensors")
    probs = model.predict(x_test)                       # (N, classes) float32
    model.evaluate(x_test, y_test)                      # {"loss": ..., "accuracy": ...}
    trials = clcnn.tune("fashion_mnist_tune_quick", out="out/search")

A config is a YAML file's path, YAML text, or the name of a config embedded in the library
("fashion_mnist", "fashion_mnist_tune", ...: the files of configs/). Overrides are the
`clcnn train --set` key paths. Every library failure raises clcnn.Error with the library's
message (a config error names file:line:column). The library is libclcnn.so: next to this
package, at $CLCNN_LIBRARY, or on the system's library path.
"""

import ctypes
import json
import math
import os
import struct

import numpy as np

from . import _lib

__all__ = ["Error", "Model", "History", "TuneResult", "version", "devices", "train", "load",
           "tune"]

_handle = None


def _c():
    global _handle
    if _handle is None:
        _handle = _lib.load()
    return _handle


class Error(RuntimeError):
    """A libclcnn failure: .status is the status name, str() the library's message."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def _check(status):
    if status != _lib.STATUS_OK:
        lib = _c()
        raise Error(lib.clcnn_status_name(status).decode(),
                    lib.clcnn_last_error().decode(errors="replace"))


def version():
    """The loaded libclcnn's version, "MAJOR.MINOR.PATCH"."""
    return _c().clcnn_version().decode()


def devices():
    """Every OpenCL device, as dicts (index, platform, name, type, compute_units, global_memory,
    is_default...), in the order `clcnn devices` prints and --device / device= number them."""
    lib = _c()
    arr = ctypes.POINTER(_lib.DeviceInfo)()
    n = ctypes.c_int()
    _check(lib.clcnn_devices_list(ctypes.byref(arr), ctypes.byref(n)))
    try:
        out = []
        for i in range(n.value):
            d = arr[i]
            out.append({name: (v.decode() if isinstance(v, bytes) else v)
                        for name, v in ((f, getattr(d, f)) for f, _ in d._fields_)})
            out[-1]["is_default"] = bool(d.is_default)
        return out
    finally:
        ctypes.CDLL(None).free(arr)


class _Context:
    """An open device (clcnn_context); closed when collected."""

    def __init__(self, device=None):
        lib = _c()
        opt = lib.clcnn_context_options_default()
        if device is not None:
            opt.device = str(device).encode()
        self._ptr = ctypes.c_void_p()
        _check(lib.clcnn_context_create(ctypes.byref(opt), ctypes.byref(self._ptr)))

    def __del__(self):
        if getattr(self, "_ptr", None) and _handle is not None:
            _handle.clcnn_context_destroy(self._ptr)
            self._ptr = None


def _format_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(_format_value(x) for x in v) + "]"
    return str(v)


class _Spec:
    """A clcnn_spec and its search space on the heap, loaded from a config and the overrides."""

    def __init__(self, config, overrides, default_name):
        lib = _c()
        self._ptr = lib.clcnn_spec_create()
        self._space = lib.clcnn_search_space_create()
        if not self._ptr or not self._space:
            raise MemoryError("clcnn_spec_create")
        if config is None:
            config = default_name
        config = os.fspath(config)
        if os.path.isfile(config):
            _check(lib.clcnn_config_load_file(config.encode(), self._ptr, self._space))
        elif "\n" in config or ":" in config:
            _check(lib.clcnn_config_load_string(config.encode(), b"<config>", self._ptr,
                                                self._space))
        else:
            text = lib.clcnn_config_embedded(config.encode())
            if text is None:
                raise Error("CLCNN_STATUS_NOT_FOUND",
                            f"config '{config}' is neither a file, YAML text, nor an embedded "
                            "config (fashion_mnist, fashion_mnist_tune, ...)")
            _check(lib.clcnn_config_load_string(text, (config + ".yaml").encode(), self._ptr,
                                                self._space))
        for key, value in (overrides or {}).items():
            _check(lib.clcnn_config_set(self._ptr, self._space,
                                        f"{key}={_format_value(value)}".encode()))

    def __del__(self):
        if _handle is not None:
            _handle.clcnn_spec_destroy(getattr(self, "_ptr", None))
            _handle.clcnn_search_space_destroy(getattr(self, "_space", None))
            self._ptr = self._space = None


class _Callback:
    """Wraps a Python progress function for C: an exception in it (or Ctrl-C) asks the library to
    stop after the current step, and is raised again once the C call returns."""

    def __init__(self, fn):
        self.fn = fn
        self.error = None
        self.stop = ctypes.c_int(0)
        self.c_fn = _lib.PROGRESS_FN(self._call) if fn else _lib.PROGRESS_FN()

    def _call(self, p, _user):
        if self.error is not None:
            return
        q = p.contents
        info = {"epoch": q.epoch, "epochs": q.epochs, "step": q.step, "steps": q.steps,
                "loss": q.loss, "accuracy": q.accuracy,
                "images_per_second": q.images_per_second, "elapsed": q.elapsed, "eta": q.eta,
                "final": bool(q.final)}
        if q.final and q.metrics:
            m = q.metrics.contents
            info.update(val_loss=m.val_loss, val_accuracy=m.val_accuracy, seconds=m.seconds)
        try:
            self.fn(info)
        except BaseException as e:  # noqa: B902 - KeyboardInterrupt must stop training too
            self.error = e
            self.stop.value = 1

    def reraise(self):
        if self.error is not None:
            raise self.error


class History:
    """What train() returns: .history as Keras has it ({"loss": [...], "accuracy": [...],
    "val_loss": [...], "val_accuracy": [...]}, NaN without a validation split), .epochs,
    .test_loss and .test_accuracy (NaN when not evaluated), .seconds, and .model_path (the saved
    model, when out was given)."""

    def __init__(self, result, model_path):
        rows = [result.history[i] for i in range(result.epochs_done)]
        self.history = {k: [getattr(r, k) for r in rows]
                        for k in ("loss", "accuracy", "val_loss", "val_accuracy")}
        self.epochs = result.epochs_done
        self.test_loss = result.test_loss
        self.test_accuracy = result.test_accuracy
        self.seconds = result.seconds
        self.stopped_early_epoch = result.stopped_early_epoch
        self.model_path = model_path

    def __repr__(self):
        return (f"History(epochs={self.epochs}, test_accuracy={self.test_accuracy:.4f}, "
                f"model_path={self.model_path!r})")


def train(config=None, overrides=None, out=None, progress=None, device=None, evaluate_test=True):
    """Trains a config's model on its data (clcnn train). config: a YAML path, YAML text or an
    embedded config's name (default "fashion_mnist"); overrides: {"train.epochs": 3, ...};
    out: the folder for model.safetensors, history.csv and the optimizer state (None: nothing
    is written); progress: called with a dict (epoch, step, steps, loss, accuracy, eta,
    final...) about twice a second and at the end of every epoch. Returns a History."""
    lib = _c()
    spec = _Spec(config, overrides, "fashion_mnist")
    ctx = _Context(device)
    cb = _Callback(progress)
    opt = lib.clcnn_fit_options_default()
    if out is not None:
        out = os.fspath(out)
        opt.out_dir = out.encode()
    opt.evaluate_test = 1 if evaluate_test else 0
    opt.stop = ctypes.pointer(cb.stop)
    opt.progress = cb.c_fn
    result = _lib.FitResult()
    status = lib.clcnn_fit(ctx._ptr, spec._ptr, ctypes.byref(opt), ctypes.byref(result))
    cb.reraise()
    _check(status)
    return History(result, os.path.join(out, "model.safetensors") if out is not None else None)


def _model_classes(path):
    """The class names in a model file's safetensors metadata (clcnn.classes)."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
    return json.loads(header.get("__metadata__", {}).get("clcnn.classes", "[]"))


class Model:
    """A trained model on a device (clcnn.load). .input_shape is (h, w, c), .classes the class
    names. predict and evaluate take images as (N, H, W, C), (N, C, H, W) or, for one channel,
    (N, H, W) arrays: uint8 pixels (scaled by the config's data.scale as in training) or floats
    already scaled (pixel / data.scale). uint8 NCHW, and NHWC with one channel, are used in
    place; other layouts and float64 are converted (copied) first."""

    def __init__(self, path, device=None, batch_size=0):
        lib = _c()
        self.path = os.fspath(path)
        self._ctx = _Context(device)
        self._ptr = ctypes.c_void_p()
        _check(lib.clcnn_model_open(self._ctx._ptr, self.path.encode(), int(batch_size),
                                    ctypes.byref(self._ptr)))
        c, h, w, k = (ctypes.c_int() for _ in range(4))
        lib.clcnn_model_io(self._ptr, ctypes.byref(c), ctypes.byref(h), ctypes.byref(w),
                           ctypes.byref(k))
        self._chw = (c.value, h.value, w.value)
        self.input_shape = (h.value, w.value, c.value)
        self.n_classes = k.value
        self.classes = _model_classes(self.path) or [str(i) for i in range(k.value)]

    def __del__(self):
        if getattr(self, "_ptr", None) and _handle is not None:
            _handle.clcnn_model_destroy(self._ptr)
            self._ptr = None

    def _nchw(self, x):
        """x as a C-contiguous NCHW array of uint8 or float32, without a copy where possible."""
        if not isinstance(x, np.ndarray):
            raise TypeError(f"clcnn: images must be a numpy array, not {type(x).__name__}")
        if x.dtype == np.uint8:
            pass
        elif x.dtype in (np.float32, np.float64):
            x = x.astype(np.float32, copy=False)
        else:
            raise TypeError(f"clcnn: images must be uint8 pixels or float32/float64 scaled "
                            f"values, not {x.dtype}")
        c, h, w = self._chw
        if x.ndim == 3 and c == 1 and x.shape[1:] == (h, w):
            x = x.reshape(x.shape[0], 1, h, w)
        if x.ndim == 4 and x.shape[1:] == (c, h, w):
            pass
        elif x.ndim == 4 and x.shape[1:] == (h, w, c):
            x = x.reshape(x.shape[0], 1, h, w) if c == 1 else x.transpose(0, 3, 1, 2)
        else:
            raise ValueError(f"clcnn: images of shape {x.shape} do not fit the model's input "
                             f"{h}x{w}x{c}: give (N, {h}, {w}, {c}) or (N, {c}, {h}, {w})"
                             + (f" or (N, {h}, {w})" if c == 1 else ""))
        return np.ascontiguousarray(x)

    def predict(self, x):
        """Class probabilities, an (N, n_classes) float32 array."""
        x = self._nchw(x)
        n = x.shape[0]
        probs = np.empty((n, self.n_classes), dtype=np.float32)
        if n == 0:
            return probs
        fn = (_c().clcnn_model_predict if x.dtype == np.uint8
              else _c().clcnn_model_predict_float)
        _check(fn(self._ptr, x.ctypes.data, n, probs.ctypes.data))
        return probs

    def evaluate(self, x, y):
        """Loss and accuracy on labelled images: {"loss", "accuracy", "per_class_accuracy",
        "confusion" (rows true, columns predicted)}. uint8 images are evaluated by the library
        as `clcnn eval` does; for floats the same numbers come from predict's probabilities."""
        x = self._nchw(x)
        y = np.asarray(y)
        if y.shape != (x.shape[0],) or y.dtype.kind not in "iu":
            raise ValueError(f"clcnn: labels must be {x.shape[0]} integers, one per image; got "
                             f"shape {y.shape} of {y.dtype}")
        if y.size and (y.min() < 0 or y.max() >= self.n_classes):
            raise ValueError(f"clcnn: labels must lie in [0, {self.n_classes})")
        k = self.n_classes
        if x.dtype == np.uint8:
            labels = np.ascontiguousarray(y, dtype=np.uint8)
            c, h, w = self._chw
            ds = _lib.Dataset(x.shape[0], c, h, w, x.ctypes.data, labels.ctypes.data)
            r = _lib.EvalResult()
            _check(_c().clcnn_evaluate(self._ptr, ctypes.byref(ds), ctypes.byref(r)))
            conf = np.ctypeslib.as_array(r.confusion)[:k, :k].copy()
            return {"loss": r.loss, "accuracy": r.accuracy,
                    "per_class_accuracy": list(r.per_class_accuracy[:k]), "confusion": conf}
        p = self.predict(x)
        pred = p.argmax(axis=1)
        conf = np.zeros((k, k), dtype=np.int64)
        np.add.at(conf, (y, pred), 1)
        per_class = [float(conf[i, i] / conf[i].sum()) if conf[i].sum() else math.nan
                     for i in range(k)]
        picked = np.maximum(p[np.arange(len(y)), y].astype(np.float64), np.finfo(np.float32).tiny)
        return {"loss": float(-np.log(picked).mean()) if len(y) else math.nan,
                "accuracy": float((pred == y).mean()) if len(y) else math.nan,
                "per_class_accuracy": per_class, "confusion": conf}


def load(path, device=None, batch_size=0):
    """Opens a model file (model.safetensors from train or tune) on a device."""
    return Model(path, device, batch_size)


class TuneResult(list):
    """What tune() returns: the trials, in id order, each the dict its trial.json holds (id,
    status, score, hyperparameters {name: value}, history, seconds...); plus .best (the best
    completed trial, or None), .best_config (the path of best.yaml, or None) and .out."""

    best = None
    best_config = None
    out = None


def _read_trials(out, best_id):
    result = TuneResult()
    for name in sorted(os.listdir(out)):
        path = os.path.join(out, name, "trial.json")
        if name.startswith("trial_") and os.path.isfile(path):
            with open(path) as f:
                result.append(json.load(f))
    result.sort(key=lambda t: t["id"])
    result.best = next((t for t in result if t["id"] == best_id), None)
    best_yaml = os.path.join(out, "best.yaml")
    result.best_config = best_yaml if os.path.exists(best_yaml) else None
    result.out = out
    return result


def tune(config=None, out="tune_out", overrides=None, overwrite=False, progress=None,
         device=None):
    """Runs (or resumes) a hyperparameter search (clcnn tune) into the folder out. config: a
    search config with hp declarations (default "fashion_mnist_tune_quick"); overrides such as
    {"tune.max_trials": 2}; progress is forwarded to every trial's training. Returns a
    TuneResult, the list of trials."""
    lib = _c()
    spec = _Spec(config, overrides, "fashion_mnist_tune_quick")
    ctx = _Context(device)
    cb = _Callback(progress)
    out = os.fspath(out)
    opt = lib.clcnn_tune_options_default()
    opt.out_dir = out.encode()
    opt.overwrite = 1 if overwrite else 0
    opt.stop = ctypes.pointer(cb.stop)
    opt.progress = cb.c_fn
    buf = ctypes.create_string_buffer(_lib.TUNE_RESULT_BYTES)
    try:
        status = lib.clcnn_tune_run(ctx._ptr, spec._ptr, spec._space, ctypes.byref(opt), buf)
        best_id = _lib.TuneResultHead.from_buffer(buf).best_trial_id
    finally:
        lib.clcnn_tune_result_free(buf)
    cb.reraise()
    _check(status)
    return _read_trials(out, best_id)
