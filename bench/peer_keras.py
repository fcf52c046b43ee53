#!/usr/bin/env python3
"""Peer: the seed's Keras model itself (TensorFlow/Keras on the CPU), for bench/peer_torch.sh.
Builds configs/fashion_mnist.yaml (--model seed) or configs/fashion_mnist_best.yaml (--model best,
without the augmentation, which Keras would run as layers on the host) layer for layer, Adam,
sparse categorical cross-entropy, and times training steps on random data after a warm-up, as
clcnn-bench --model does. Prints one line in the PyTorch peer's format:
  keras VERSION threads=T batch=B train_img_per_s=X train_ms_per_step=Y infer_img_per_s=Z
TensorFlow is not a Debian package: run this with the python of a venv holding tensorflow-cpu and
keras from PyPI (bench/peer_torch.sh --python PATH). Nothing in the build or tests needs it.
Usage: peer_keras.py [--model seed|best] [--batch B] [--steps N] [--threads T] [--infer-batch B]"""
import argparse
import os
import time

import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("--model", choices=["seed", "best"], default="seed")
for k, v in dict(batch=32, steps=40, threads=2, infer_batch=32, warmup=5).items():
    ap.add_argument("--" + k.replace("_", "-"), dest=k, type=int, default=v)
a = ap.parse_args()
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf  # noqa: E402  (after the log level)
import keras  # noqa: E402
from keras import layers  # noqa: E402

if a.threads:
    tf.config.threading.set_intra_op_parallelism_threads(a.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
keras.utils.set_random_seed(0)


def seed_model():
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(64, 3, activation="relu"),
        layers.Conv2D(64, 3, activation="relu"),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax")]), keras.optimizers.Adam(1e-3)


def best_model():
    net = [keras.Input((28, 28, 1))]
    for filters, drop in ((32, 0.2), (64, 0.3)):
        for _ in range(2):
            net += [layers.Conv2D(filters, 3, padding="same", use_bias=False),
                    layers.BatchNormalization(), layers.ReLU()]
        net += [layers.MaxPooling2D(2), layers.Dropout(drop)]
    net += [layers.Flatten(), layers.Dense(256, use_bias=False), layers.BatchNormalization(),
            layers.ReLU(), layers.Dropout(0.4), layers.Dense(10, activation="softmax")]
    return keras.Sequential(net), keras.optimizers.AdamW(2e-3, weight_decay=0.005)


model, opt = seed_model() if a.model == "seed" else best_model()
model.compile(optimizer=opt, loss="sparse_categorical_crossentropy")
rng = np.random.default_rng(0)
n = (a.warmup + a.steps) * a.batch
x = rng.random((n, 28, 28, 1), dtype=np.float32)
y = rng.integers(0, 10, n).astype("int64")


class StepClock(keras.callbacks.Callback):
    """Wall time from the end of the warm-up steps to the end of the last step."""
    def on_train_batch_end(self, batch, logs=None):
        if batch == a.warmup - 1:
            self.t0 = time.perf_counter()
        self.t1 = time.perf_counter()


clock = StepClock()
model.fit(x, y, batch_size=a.batch, epochs=1, shuffle=False, verbose=0, callbacks=[clock])
step = (clock.t1 - clock.t0) / a.steps
xi = x[:a.infer_batch]
model.predict_on_batch(xi)
reps, t0 = 0, time.perf_counter()
while reps < 5 or time.perf_counter() - t0 < 1.0:
    model.predict_on_batch(xi)
    reps += 1
infer_rate = reps * len(xi) / (time.perf_counter() - t0)
print(f"keras {keras.__version__} (tensorflow {tf.__version__}) model={a.model} "
      f"threads={a.threads} batch={a.batch} train_img_per_s={a.batch / step:.1f} "
      f"train_ms_per_step={step * 1e3:.2f} infer_img_per_s={infer_rate:.1f}")
