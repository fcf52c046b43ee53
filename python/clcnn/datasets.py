"""Fashion-MNIST as numpy arrays, as keras.datasets.fashion_mnist.load_data() gives it, read from
Debian's dataset-fashion-mnist package (or any folder with the four IDX files)."""

import gzip
import os

import numpy as np

DEFAULT_DIR = "/usr/share/datasets/fashion-mnist"
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
           "Bag", "Ankle boot"]


def read_idx(path):
    """An IDX file (raw or gzip'ed) of unsigned bytes as a numpy array of its shape."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    start = 4 + 4 * ndim
    if len(data) != start + int(np.prod(dims)):
        raise ValueError(f"{path}: {len(data) - start} bytes of data for dimensions {dims}")
    return np.frombuffer(data, dtype=np.uint8, offset=start).reshape(dims)


def write_idx(path, array):
    """Writes a uint8 array as an uncompressed IDX file (what `clcnn predict` reads)."""
    a = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, a.ndim]) + b"".join(d.to_bytes(4, "big") for d in a.shape)
    with open(path, "wb") as f:
        f.write(header + a.tobytes())


def _find(folder, stem):
    for name in (stem + ".gz", stem):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            return path
    raise FileNotFoundError(f"no {stem}(.gz) in {folder} (apt-get install dataset-fashion-mnist)")


def load_fashion_mnist(folder=DEFAULT_DIR):
    """((x_train, y_train), (x_test, y_test)): uint8 images (N, 28, 28) and labels (N,)."""
    parts = []
    for prefix in ("train", "t10k"):
        x = read_idx(_find(folder, f"{prefix}-images-idx3-ubyte"))
        y = read_idx(_find(folder, f"{prefix}-labels-idx1-ubyte"))
        parts.append((x, y))
    return tuple(parts)
