#!/usr/bin/python3
"""Peer: the seed's Keras model itself (TensorFlow/Keras, CPU), for bench/peer_torch.sh. Same
options and output line as torch_seed_model.py, so the two peers read alike. TensorFlow is not a
Debian package and was not installed where clcnn was developed: the script is run only when
`import tensorflow` works.
Usage: keras_seed_model.py [--batch B] [--steps N] [--threads T] [--infer-batch B]"""
import argparse, gzip, time, numpy as np

D = "/usr/share/datasets/fashion-mnist/"
def idx(name):
    with gzip.open(D + name) as f:
        b = f.read()
    nd = b[3]; dims = [int.from_bytes(b[4 + 4*i:8 + 4*i], "big") for i in range(nd)]
    return np.frombuffer(b, np.uint8, offset=4 + 4*nd).reshape(dims)

ap = argparse.ArgumentParser()
for k, v in dict(batch=32, steps=200, threads=0, infer_batch=1000).items():
    ap.add_argument("--" + k.replace("_", "-"), dest=k, type=int, default=v)
a = ap.parse_args()
import tensorflow as tf
if a.threads:
    tf.config.threading.set_intra_op_parallelism_threads(a.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
tf.random.set_seed(0)
xtr = idx("train-images-idx3-ubyte.gz")[..., None].astype("float32") / 255
ytr = idx("train-labels-idx1-ubyte.gz").astype("int64")
xte = idx("t10k-images-idx3-ubyte.gz")[..., None].astype("float32") / 255
yte = idx("t10k-labels-idx1-ubyte.gz").astype("int64")
m = tf.keras.Sequential([
    tf.keras.layers.Conv2D(64, 3, activation="relu", input_shape=(28, 28, 1)),
    tf.keras.layers.Conv2D(64, 3, activation="relu"),
    tf.keras.layers.Flatten(),
    tf.keras.layers.Dense(128, activation="relu"),
    tf.keras.layers.Dense(10, activation="softmax")])
m.compile(optimizer=tf.keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
          metrics=["accuracy"])
warm = 5
m.fit(xtr[:warm * a.batch], ytr[:warm * a.batch], batch_size=a.batch, epochs=1, verbose=0)
t0 = time.perf_counter()
m.fit(xtr[:a.steps * a.batch], ytr[:a.steps * a.batch], batch_size=a.batch, epochs=1, verbose=0)
train = a.steps * a.batch / (time.perf_counter() - t0)
m.predict(xte[:a.infer_batch], batch_size=a.infer_batch, verbose=0)
t0 = time.perf_counter()
probs = m.predict(xte, batch_size=a.infer_batch, verbose=0)
infer = len(xte) / (time.perf_counter() - t0)
acc = float((probs.argmax(1) == yte).mean())
print(f"keras {tf.__version__} threads={a.threads} batch={a.batch} train_img_per_s={train:.1f} "
      f"infer_img_per_s={infer:.1f} test_acc={acc:.4f} steps={warm + a.steps}")
