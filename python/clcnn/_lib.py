"""The ctypes side of clcnn: finding libclcnn.so, the C structs this module reads, and the
signatures of the functions it calls. Nothing here is public; see clcnn/__init__.py."""

import ctypes
import ctypes.util
import os

# Sizes fixed by the C headers (clcnn/spec.h, clcnn/train.h).
MAX_CLASSES = 64
MAX_EPOCHS = 1000
STATUS_OK = 0


class DeviceInfo(ctypes.Structure):
    _fields_ = [("index", ctypes.c_int), ("platform", ctypes.c_char * 128),
                ("platform_version", ctypes.c_char * 128), ("name", ctypes.c_char * 256),
                ("vendor", ctypes.c_char * 128), ("type", ctypes.c_char * 16),
                ("compute_units", ctypes.c_uint), ("global_memory", ctypes.c_uint64),
                ("max_alloc", ctypes.c_uint64), ("version", ctypes.c_char * 128),
                ("driver", ctypes.c_char * 128), ("is_default", ctypes.c_int)]


class ContextOptions(ctypes.Structure):
    _fields_ = [("device", ctypes.c_char_p), ("disk_cache", ctypes.c_int),
                ("profiling", ctypes.c_int)]


class EpochMetrics(ctypes.Structure):
    _fields_ = [("epoch", ctypes.c_int), ("loss", ctypes.c_double), ("accuracy", ctypes.c_double),
                ("val_loss", ctypes.c_double), ("val_accuracy", ctypes.c_double),
                ("seconds", ctypes.c_double), ("images_per_second", ctypes.c_double)]


class Progress(ctypes.Structure):
    _fields_ = [("epoch", ctypes.c_int), ("epochs", ctypes.c_int), ("step", ctypes.c_int),
                ("steps", ctypes.c_int), ("loss", ctypes.c_double), ("accuracy", ctypes.c_double),
                ("images_per_second", ctypes.c_double), ("elapsed", ctypes.c_double),
                ("eta", ctypes.c_double), ("final", ctypes.c_int),
                ("metrics", ctypes.POINTER(EpochMetrics))]


PROGRESS_FN = ctypes.CFUNCTYPE(None, ctypes.POINTER(Progress), ctypes.c_void_p)
TUNE_EVENT_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)


class FitOptions(ctypes.Structure):
    _fields_ = [("out_dir", ctypes.c_char_p), ("init_model", ctypes.c_char_p),
                ("resume", ctypes.c_int), ("initial_epoch", ctypes.c_int),
                ("evaluate_test", ctypes.c_int), ("stop", ctypes.POINTER(ctypes.c_int)),
                ("progress", PROGRESS_FN), ("user", ctypes.c_void_p),
                ("progress_interval", ctypes.c_double)]


class FitResult(ctypes.Structure):
    _fields_ = [("epochs_done", ctypes.c_int), ("history", EpochMetrics * MAX_EPOCHS),
                ("test_loss", ctypes.c_double), ("test_accuracy", ctypes.c_double),
                ("stopped", ctypes.c_int), ("stopped_early_epoch", ctypes.c_int),
                ("restored_epoch", ctypes.c_int), ("seconds", ctypes.c_double)]


class Dataset(ctypes.Structure):
    _fields_ = [("n", ctypes.c_int), ("c", ctypes.c_int), ("h", ctypes.c_int), ("w", ctypes.c_int),
                ("images", ctypes.c_void_p), ("labels", ctypes.c_void_p)]


class EvalResult(ctypes.Structure):
    _fields_ = [("n", ctypes.c_int), ("classes", ctypes.c_int), ("loss", ctypes.c_double),
                ("accuracy", ctypes.c_double),
                ("per_class_accuracy", ctypes.c_double * MAX_CLASSES),
                ("confusion", (ctypes.c_int64 * MAX_CLASSES) * MAX_CLASSES)]


class TuneOptions(ctypes.Structure):
    _fields_ = [("out_dir", ctypes.c_char_p), ("overwrite", ctypes.c_int),
                ("stop", ctypes.POINTER(ctypes.c_int)), ("on_event", TUNE_EVENT_FN),
                ("progress", PROGRESS_FN), ("user", ctypes.c_void_p)]


# clcnn_tune_result: only its first fields are mirrored (their layout does not depend on what
# follows); the trials are read from their trial.json files, a documented format. The buffer
# handed to the library is far larger than the struct.
class TuneResultHead(ctypes.Structure):
    _fields_ = [("n_trials", ctypes.c_int), ("trials", ctypes.c_void_p),
                ("n_completed", ctypes.c_int), ("n_failed", ctypes.c_int),
                ("n_resumed", ctypes.c_int), ("best_trial_id", ctypes.c_int),
                ("best_score", ctypes.c_double)]


TUNE_RESULT_BYTES = 1 << 16

_P = ctypes.c_void_p
_S = ctypes.c_char_p
_I = ctypes.c_int
_SIGNATURES = {
    "clcnn_version": (_S, []),
    "clcnn_last_error": (_S, []),
    "clcnn_status_name": (_S, [_I]),
    "clcnn_devices_list": (_I, [ctypes.POINTER(ctypes.POINTER(DeviceInfo)), ctypes.POINTER(_I)]),
    "clcnn_context_options_default": (ContextOptions, []),
    "clcnn_context_create": (_I, [ctypes.POINTER(ContextOptions), ctypes.POINTER(_P)]),
    "clcnn_context_destroy": (None, [_P]),
    "clcnn_spec_create": (_P, []),
    "clcnn_spec_destroy": (None, [_P]),
    "clcnn_search_space_create": (_P, []),
    "clcnn_search_space_destroy": (None, [_P]),
    "clcnn_config_load_file": (_I, [_S, _P, _P]),
    "clcnn_config_load_string": (_I, [_S, _S, _P, _P]),
    "clcnn_config_set": (_I, [_P, _P, _S]),
    "clcnn_config_embedded": (_S, [_S]),
    "clcnn_fit_options_default": (FitOptions, []),
    "clcnn_fit": (_I, [_P, _P, ctypes.POINTER(FitOptions), ctypes.POINTER(FitResult)]),
    "clcnn_model_open": (_I, [_P, _S, _I, ctypes.POINTER(_P)]),
    "clcnn_model_destroy": (None, [_P]),
    "clcnn_model_io": (None, [_P] + [ctypes.POINTER(_I)] * 4),
    "clcnn_model_predict": (_I, [_P, _P, _I, _P]),
    "clcnn_model_predict_float": (_I, [_P, _P, _I, _P]),
    "clcnn_evaluate": (_I, [_P, ctypes.POINTER(Dataset), ctypes.POINTER(EvalResult)]),
    "clcnn_tune_options_default": (TuneOptions, []),
    "clcnn_tune_run": (_I, [_P, _P, _P, ctypes.POINTER(TuneOptions), _P]),
    "clcnn_tune_result_free": (None, [_P]),
}


def _candidates():
    """Where libclcnn.so may be, in the order the module looks."""
    env = os.environ.get("CLCNN_LIBRARY")
    if env:
        return [env]  # asked for: no fallback that would hide a wrong path
    here = os.path.dirname(os.path.abspath(__file__))
    found = [os.path.join(here, name) for name in sorted(os.listdir(here))
             if name.startswith("libclcnn.so")]
    system = ctypes.util.find_library("clcnn")
    return found + ([system] if system else []) + ["libclcnn.so"]


def load():
    """Loads libclcnn.so and declares the functions used; raises OSError saying where it looked."""
    tried = []
    for path in _candidates():
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            tried.append(f"{path}: {e}")
            continue
        for name, (restype, argtypes) in _SIGNATURES.items():
            fn = getattr(lib, name)
            fn.restype = restype
            fn.argtypes = argtypes
        return lib
    raise OSError("clcnn: cannot load libclcnn.so (set CLCNN_LIBRARY to its path, put it next to "
                  "the clcnn package, or install it on the library path); tried:\n  "
                  + "\n  ".join(tried))
