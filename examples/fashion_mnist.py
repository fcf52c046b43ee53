#!/usr/bin/env python3
"""The seed notebook, in clcnn: load Fashion-MNIST, build the CNN from YAML, fit, evaluate,
predict, then a small hyperparameter search. Cell by cell, as in the Keras + KerasTuner notebook.

    PYTHONPATH=python CLCNN_LIBRARY=build/libclcnn.so python3 examples/fashion_mnist.py
    python3 examples/fashion_mnist.py --full     # all 60000 images, 5 epochs, 10 trials

Without --full it trains on 2000 images for one epoch and tries 2 configurations, to show every
step in a minute or two on a CPU."""

import os
import sys
import tempfile

import numpy as np

import clcnn
from clcnn.datasets import CLASSES, load_fashion_mnist

full = "--full" in sys.argv
out = tempfile.mkdtemp(prefix="clcnn-fashion-mnist-")  # the model and the search go here
print("output in", out)

# %% The devices, and the data as numpy arrays (keras.datasets.fashion_mnist.load_data()).
for d in clcnn.devices():
    print(("* " if d["is_default"] else "  ") + f"{d['index']}: {d['platform']}: {d['name']}")
(x_train, y_train), (x_test, y_test) = load_fashion_mnist()
print("train", x_train.shape, "test", x_test.shape)

# %% The model: the notebook's Sequential model, as a config. The notebook divides pixels by
# 250; data.scale does that on the device, so the uint8 arrays go in as they are.
model_yaml = """
data:
  scale: 250
  validation_split: 0.1
model:
  input_shape: [28, 28, 1]
  layers:
    - conv2d: {filters: 64, kernel_size: 3, activation: relu}
    - conv2d: {filters: 64, kernel_size: 3, activation: relu}
    - flatten: {}
    - dense: {units: 128, activation: relu}
    - dense: {units: 10, activation: softmax}
train:
  epochs: 5
  batch_size: 32
  loss: sparse_categorical_crossentropy
  optimizer: {name: adam, learning_rate: 0.001}
"""
quick = {} if full else {"data.train_limit": 2000, "train.epochs": 1}


# %% fit (model.fit): progress once per epoch.
def show(p):
    if p["final"]:
        print(f"epoch {p['epoch']}/{p['epochs']}: loss {p['loss']:.4f} "
              f"accuracy {p['accuracy']:.4f} val_accuracy {p['val_accuracy']:.4f}")


history = clcnn.train(model_yaml, overrides=quick, out=os.path.join(out, "model"), progress=show,
                      evaluate_test=False)  # evaluated below, from the arrays
print(history.history)

# %% evaluate (model.evaluate) and predict (model.predict) on the test arrays.
model = clcnn.load(history.model_path)
n_test = len(x_test) if full else 1000
result = model.evaluate(x_test[:n_test], y_test[:n_test])
print(f"test loss {result['loss']:.4f}, test accuracy {result['accuracy']:.4f}")
probs = model.predict(x_test[:5])
for i, p in enumerate(probs):
    print(f"image {i}: {CLASSES[int(np.argmax(p))]} ({p.max():.2f}), truly {CLASSES[y_test[i]]}")

# %% The search (kt.BayesianOptimization over the notebook's hyperparameters): the embedded
# fashion_mnist_tune_quick config declares them; see configs/fashion_mnist_tune.yaml.
search = {} if full else {"tune.max_trials": 2, "tune.initial_points": 2,
                          "data.train_limit": 1000}
trials = clcnn.tune("fashion_mnist_tune_quick", out=os.path.join(out, "search"),
                    overrides=search)
for t in trials:
    print(f"trial {t['id']}: {t['status']}, score {t.get('score')}, {t['hyperparameters']}")
print("best:", trials.best["hyperparameters"] if trials.best else None)
print("best config:", trials.best_config, "(clcnn train it for the final model)")
