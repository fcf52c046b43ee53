#!/usr/bin/python3
"""Times the seed model's operations in PyTorch on the CPU, shape for shape with clcnn-bench
--model configs/fashion_mnist.yaml: conv forward, conv backward data and filter, dense forward
and both backward products, at a batch size. Prints CSV rows in clcnn-bench's format with
device "torch-cpu". Needs Debian's python3-torch. Usage: peer_torch_ops.py [--batch B] [--threads T]"""
import argparse, time
import torch
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("--batch", type=int, default=32)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--target-ms", type=float, default=300)
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
B = a.batch

def timeit(fn):
    fn(); fn()
    reps, t = 1, 0.0
    while True:
        t0 = time.perf_counter()
        for _ in range(reps): fn()
        t = time.perf_counter() - t0
        if t * 1e3 >= a.target_ms or reps >= 1 << 16: break
        reps *= 2
    samples = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(reps): fn()
        samples.append((time.perf_counter() - t0) / reps)
    samples.sort()
    return samples[2]

rows = []
def report(kernel, shape, flops, fn):
    s = timeit(fn)
    rows.append("torch-cpu,%s,torch,%s,%d,%.4f,%.2f,," % (kernel, shape, B, s * 1e3, flops / s / 1e9))

for name, cin, h, cout in (("conv1", 1, 28, 64), ("conv2", 64, 26, 64)):
    x = torch.randn(B, cin, h, h, requires_grad=True)
    w = torch.randn(cout, cin, 3, 3, requires_grad=True)
    oh = h - 2
    fl = 2.0 * B * cout * oh * oh * cin * 9
    y = F.conv2d(x, w)
    g = torch.randn_like(y)
    shape = "%dx%dx%d->%dx%dx%d" % (cin, h, h, cout, oh, oh)
    report(name + "/forward", shape, fl, lambda: F.conv2d(x, w))
    report(name + "/backward_data", shape, fl,
           lambda: torch.nn.grad.conv2d_input(x.shape, w, g))
    report(name + "/backward_filter", shape, fl,
           lambda: torch.nn.grad.conv2d_weight(x, w.shape, g))

for name, i, o in (("dense1", 36864, 128), ("dense2", 128, 10)):
    x = torch.randn(B, i)
    w = torch.randn(o, i)
    g = torch.randn(B, o)
    fl = 2.0 * B * i * o
    report(name + "/forward", "%d->%d" % (i, o), fl, lambda: x @ w.t())
    report(name + "/backward_data", "%d->%d" % (i, o), fl, lambda: g @ w)
    report(name + "/backward_filter", "%d->%d" % (i, o), fl, lambda: g.t() @ x)

print("device,kernel,route,shape,batch,ms,gflops,gbps,pct_peak")
print("\n".join(rows))
