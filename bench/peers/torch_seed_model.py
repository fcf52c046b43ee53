#!/usr/bin/python3
# Copied from the team's shared peer anchor (peers/torch_seed_model.py, outside this
# repository: the seed's Keras model rebuilt in PyTorch) so that this repository is
# self-contained. One change: --infer-batch (default 1000, the original's value) so that
# inference can be timed at the same batch size as clcnn-bench --model. Run by
# bench/peer_torch.sh.
"""Peer anchor: the seed's Keras model rebuilt in PyTorch (CPU), trained on Fashion-MNIST.
Prints training throughput (images/s, steady state) and test accuracy after the given epochs.
Needs Debian packages python3-torch python3-numpy dataset-fashion-mnist.
Usage: torch_seed_model.py [--epochs E] [--batch B] [--f1 64 --k1 3 --f2 64 --k2 3 --dense 128 --lr 1e-3] [--steps N]"""
import argparse, gzip, time, numpy as np, torch, torch.nn as nn, torch.nn.functional as F

D = "/usr/share/datasets/fashion-mnist/"
def idx(name):
    with gzip.open(D + name) as f:
        b = f.read()
    nd = b[3]; dims = [int.from_bytes(b[4 + 4*i:8 + 4*i], "big") for i in range(nd)]
    return np.frombuffer(b, np.uint8, offset=4 + 4*nd).reshape(dims)

ap = argparse.ArgumentParser()
for k, v in dict(epochs=1, batch=32, f1=64, k1=3, f2=64, k2=3, dense=128, steps=0, threads=0,
                 infer_batch=1000).items():
    ap.add_argument("--" + k.replace("_", "-"), dest=k, type=int, default=v)
ap.add_argument("--lr", type=float, default=1e-3)
a = ap.parse_args()
if a.threads: torch.set_num_threads(a.threads)
torch.manual_seed(0)
xtr = torch.tensor(idx("train-images-idx3-ubyte.gz"), dtype=torch.float32).unsqueeze(1) / 255
ytr = torch.tensor(idx("train-labels-idx1-ubyte.gz"), dtype=torch.long)
xte = torch.tensor(idx("t10k-images-idx3-ubyte.gz"), dtype=torch.float32).unsqueeze(1) / 255
yte = torch.tensor(idx("t10k-labels-idx1-ubyte.gz"), dtype=torch.long)
o1 = 28 - a.k1 + 1; o2 = o1 - a.k2 + 1
m = nn.Sequential(nn.Conv2d(1, a.f1, a.k1), nn.ReLU(), nn.Conv2d(a.f1, a.f2, a.k2), nn.ReLU(),
                  nn.Flatten(), nn.Linear(a.f2 * o2 * o2, a.dense), nn.ReLU(), nn.Linear(a.dense, 10))
opt = torch.optim.Adam(m.parameters(), lr=a.lr)
n = len(xtr); done = 0; t_start = None; warm = 5; timed = 0
for ep in range(a.epochs):
    perm = torch.randperm(n)
    for s in range(0, n, a.batch):
        i = perm[s:s + a.batch]
        if done == warm: t_start = time.perf_counter(); timed = 0
        loss = F.cross_entropy(m(xtr[i]), ytr[i])
        opt.zero_grad(); loss.backward(); opt.step()
        done += 1; timed += len(i)
        if a.steps and done >= a.steps: break
    if a.steps and done >= a.steps: break
el = time.perf_counter() - t_start
m.eval()
with torch.no_grad():
    t0 = time.perf_counter()
    ib = a.infer_batch
    pred = torch.cat([m(xte[s:s+ib]).argmax(1) for s in range(0, len(xte), ib)])
    inf = len(xte) / (time.perf_counter() - t0)
acc = (pred == yte).float().mean().item()
print(f"torch {torch.__version__} threads={torch.get_num_threads()} batch={a.batch} train_img_per_s={timed/el:.1f} infer_img_per_s={inf:.1f} test_acc={acc:.4f} steps={done}")
