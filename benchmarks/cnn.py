"""How much does a conv net on circuitgrad's engine cost over hand-written numpy and PyTorch?

One training step of a small CNN at CIFAR-like sizes, float64, three ways:

    x (50, 3, 32, 32) -> conv 16 3x3 pad 1 -> relu -> maxpool 2 -> conv 32 3x3 pad 1 -> relu
      -> maxpool 2 -> flatten -> linear 10 -> softmax loss; backward; SGD update

* **numpy floor**: forward and backward written out by hand: im2col through a strided view and
  one (batched) matrix product per conv (the columns kept for the weight gradient, as CS231n's
  ``conv_forward_im2col`` keeps them), col2im by a loop over the 9 kernel offsets, 2x2 pooling
  by its four strided corners. The same BLAS calls as the engine with nothing around them.
* **circuitgrad**: ``autograd.nn`` modules (``Conv2d``, ``ReLU``, ``MaxPool2d``, ``Flatten``,
  ``Linear``), ``softmax_loss``, ``backward()``, ``optim.SGD``.
* **torch**: the same network in PyTorch CPU float64 (where torch is installed; never required).

All three start from the same weights; before timing, circuitgrad's and torch's loss and
gradients are checked against the floor's. Timing alternates the implementations call by call
after a warm-up and reports medians. BLAS runs on one thread (threadpoolctl for numpy, and the
usual environment variables set before numpy is imported; ``torch.set_num_threads(1)``).

Goals: circuitgrad <= 1.5x torch and <= 1.25x the numpy floor in median time; peak memory traced
by tracemalloc during one step <= 2x the floor's (torch allocates outside Python's allocator, so
its peak is not measured). Run:

    .venv/bin/python benchmarks/cnn.py            # about a minute
    .venv/bin/python benchmarks/cnn.py --quick    # a smoke test
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")  # before numpy is imported

import argparse  # noqa: E402
import gc  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from typing import Callable, Dict, List, Optional  # noqa: E402

import numpy as np  # noqa: E402
from numpy.lib.stride_tricks import sliding_window_view  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from autograd import Tensor  # noqa: E402
from autograd.losses import softmax_loss  # noqa: E402
from autograd.nn import Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential  # noqa: E402
from autograd.optim import SGD  # noqa: E402

try:
    import torch
except ImportError:  # torch is never required
    torch = None

TIME_GOAL_TORCH, TIME_GOAL_FLOOR, MEMORY_GOAL = 1.5, 1.25, 2.0
N, C, SIZE, CLASSES, LR = 50, 3, 32, 10, 1e-2


def initial_weights(seed: int = 0) -> Dict[str, np.ndarray]:
    """PyTorch-layout weights: conv (F, C, 3, 3), linear (10, 32 * 8 * 8)."""
    rng = np.random.default_rng(seed)

    def uniform(shape, fan_in):
        bound = 1 / np.sqrt(fan_in)
        return rng.uniform(-bound, bound, shape)
    return {"w1": uniform((16, C, 3, 3), C * 9), "b1": uniform(16, C * 9),
            "w2": uniform((32, 16, 3, 3), 16 * 9), "b2": uniform(32, 16 * 9),
            "w3": uniform((CLASSES, 32 * 8 * 8), 32 * 8 * 8), "b3": uniform(CLASSES, 32 * 8 * 8)}


# --- the numpy floor --------------------------------------------------------------------------

def floor_conv_forward(x, w, b):
    """3x3, stride 1, pad 1: returns the output and the im2col columns (kept for dw)."""
    n, c, h, width = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    view = sliding_window_view(padded, (3, 3), axis=(2, 3))  # (N, C, H, W, 3, 3)
    cols = view.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * 9, h * width)  # the one copy
    out = np.matmul(w.reshape(len(w), -1), cols).reshape(n, len(w), h, width)
    out += b.reshape(1, -1, 1, 1)
    return out, cols


def floor_conv_backward(g, cols, x_shape, w, need_dx):
    n, f, h, width = g.shape
    g3 = g.reshape(n, f, -1)
    dw = np.matmul(cols, g3.transpose(0, 2, 1)).sum(axis=0).T.reshape(w.shape)
    db = g.sum(axis=(0, 2, 3))
    if not need_dx:
        return None, dw, db
    dcols = np.matmul(w.reshape(f, -1).T, g3).reshape(n, x_shape[1], 3, 3, h, width)
    dpad = np.zeros((n, x_shape[1], h + 2, width + 2))
    for a in range(3):
        for c in range(3):
            dpad[:, :, a:a + h, c:c + width] += dcols[:, :, a, c]
    return dpad[:, :, 1:-1, 1:-1], dw, db


def floor_pool_forward(x):
    corners = [x[:, :, a::2, b::2] for a in (0, 1) for b in (0, 1)]
    out = np.maximum(np.maximum(corners[0], corners[1]), np.maximum(corners[2], corners[3]))
    return out, corners


def floor_pool_backward(g, out, corners):
    won = [corner == out for corner in corners]
    share = g / (won[0].astype(np.int64) + won[1] + won[2] + won[3])
    dx = np.empty(out.shape[:2] + (out.shape[2] * 2, out.shape[3] * 2))
    for (a, b), winners in zip([(0, 0), (0, 1), (1, 0), (1, 1)], won):
        np.multiply(winners, share, out=dx[:, :, a::2, b::2])
    return dx


def floor_step(p: Dict[str, np.ndarray], x: np.ndarray, y: np.ndarray):
    """One SGD step by hand; returns the loss and the gradients."""
    a1, cols1 = floor_conv_forward(x, p["w1"], p["b1"])
    r1 = np.maximum(a1, 0)
    p1, tiles1 = floor_pool_forward(r1)
    a2, cols2 = floor_conv_forward(p1, p["w2"], p["b2"])
    r2 = np.maximum(a2, 0)
    p2, tiles2 = floor_pool_forward(r2)
    flat = p2.reshape(len(x), -1)
    scores = flat @ p["w3"].T + p["b3"]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(len(x)), y].mean()
    dscores = np.exp(log_probs)
    dscores[np.arange(len(x)), y] -= 1
    dscores /= len(x)
    grads = {"w3": dscores.T @ flat, "b3": dscores.sum(axis=0)}
    dp2 = (dscores @ p["w3"]).reshape(p2.shape)
    da2 = floor_pool_backward(dp2, p2, tiles2) * (a2 > 0)
    dp1, grads["w2"], grads["b2"] = floor_conv_backward(da2, cols2, p1.shape, p["w2"], True)
    da1 = floor_pool_backward(dp1, p1, tiles1) * (a1 > 0)
    _, grads["w1"], grads["b1"] = floor_conv_backward(da1, cols1, x.shape, p["w1"], False)
    for name, grad in grads.items():
        p[name] -= LR * grad
    return loss, grads


# --- circuitgrad and torch ----------------------------------------------------------------------

class Ours:
    def __init__(self, weights: Dict[str, np.ndarray]):
        self.model = Sequential(Conv2d(C, 16, 3, padding=1), ReLU(), MaxPool2d(2),
                                Conv2d(16, 32, 3, padding=1), ReLU(), MaxPool2d(2), Flatten(),
                                Linear(32 * 8 * 8, CLASSES))
        self.model.load_state_dict({"0.weight": weights["w1"], "0.bias": weights["b1"],
                                    "3.weight": weights["w2"], "3.bias": weights["b2"],
                                    "7.weight": weights["w3"], "7.bias": weights["b3"]})
        self.optimizer = SGD(self.model.parameters(), lr=LR)

    def step(self, x: Tensor, y: np.ndarray):
        self.optimizer.zero_grad()
        loss = softmax_loss(self.model(x), y)
        loss.backward()
        grads = {"w1": self.model[0].weight.grad, "w2": self.model[3].weight.grad,
                 "w3": self.model[7].W.grad.T, "b3": self.model[7].b.grad}
        self.optimizer.step()
        return loss.item(), grads


class Torch:
    def __init__(self, weights: Dict[str, np.ndarray]):
        nn = torch.nn
        self.model = nn.Sequential(nn.Conv2d(C, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                   nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                   nn.Flatten(), nn.Linear(32 * 8 * 8, CLASSES)).double()
        self.model.load_state_dict({
            "0.weight": torch.tensor(weights["w1"]), "0.bias": torch.tensor(weights["b1"]),
            "3.weight": torch.tensor(weights["w2"]), "3.bias": torch.tensor(weights["b2"]),
            "7.weight": torch.tensor(weights["w3"]), "7.bias": torch.tensor(weights["b3"])})
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=LR)

    def step(self, x, y):
        self.optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(self.model(x), y)
        loss.backward()
        m = self.model
        grads = {"w1": m[0].weight.grad.numpy().copy(), "w2": m[3].weight.grad.numpy().copy(),
                 "w3": m[7].weight.grad.numpy().copy(), "b3": m[7].bias.grad.numpy().copy()}
        self.optimizer.step()
        return loss.item(), grads


# --- measuring ------------------------------------------------------------------------------------

def median_times(calls: Dict[str, Callable[[], object]], repeats: int, warmup: int):
    """Median seconds per call of each callable, calls interleaved round-robin."""
    for _ in range(warmup):
        for call in calls.values():
            call()
    samples: Dict[str, List[float]] = {name: [] for name in calls}
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeats):
            for name, call in calls.items():
                start = time.perf_counter()
                call()
                samples[name].append(time.perf_counter() - start)
            gc.collect()
    finally:
        if gc_was_enabled:
            gc.enable()
    return {name: statistics.median(values) for name, values in samples.items()}


def peak_bytes(call: Callable[[], object], repeats: int = 3) -> int:
    """The smallest tracemalloc peak over a few calls (after one warm-up call)."""
    call()
    peaks = []
    for _ in range(repeats):
        gc.collect()
        tracemalloc.start()
        call()
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    return min(peaks)


def check(name: str, result, want) -> None:
    loss, grads = result
    want_loss, want_grads = want
    np.testing.assert_allclose(loss, want_loss, rtol=1e-10, err_msg=f"{name}: loss")
    for key, grad in grads.items():
        np.testing.assert_allclose(grad, want_grads[key], rtol=1e-8, atol=1e-12,
                                   err_msg=f"{name}: gradient {key} disagrees with the floor")


def limit_blas_threads():
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        print("threadpoolctl is not installed: BLAS threads limited by environment variables "
              "only")
        return None
    return threadpool_limits(limits=1, user_api="blas")


def main(argv: Optional[List[str]] = None) -> int:
    """Check, time, print the table; returns 0 if every goal passes, else 1."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few repetitions (smoke test)")
    args = parser.parse_args(argv)
    limit = limit_blas_threads()
    repeats, warmup = (3, 1) if args.quick else (30, 5)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((N, C, SIZE, SIZE))
    y = rng.integers(0, CLASSES, N)
    weights = initial_weights()

    floor_params = {k: v.copy() for k, v in weights.items()}
    ours = Ours(weights)
    xt = Tensor(x, requires_grad=False)
    want = floor_step({k: v.copy() for k, v in weights.items()}, x, y)
    check("circuitgrad", ours.step(xt, y), want)
    calls = {"numpy floor": lambda: floor_step(floor_params, x, y),
             "circuitgrad": lambda: ours.step(xt, y)}
    if torch is not None:
        torch.set_num_threads(1)
        theirs = Torch(weights)
        x_torch, y_torch = torch.tensor(x), torch.tensor(y)
        check("torch", theirs.step(x_torch, y_torch), want)
        calls["torch"] = lambda: theirs.step(x_torch, y_torch)
        print(f"torch {torch.__version__}, intra-op threads {torch.get_num_threads()}")
    print(f"numpy {np.__version__}; one training step, N={N}, {C}x{SIZE}x{SIZE}, float64; "
          f"{repeats} timed calls each after {warmup} warm-up rounds\n")
    times = median_times(calls, repeats, warmup)
    peaks = {"numpy floor": peak_bytes(lambda: floor_step(floor_params, x, y)),
             "circuitgrad": peak_bytes(lambda: ours.step(xt, y))}
    if limit is not None:
        limit.restore_original_limits()

    floor = times["numpy floor"]
    print(f"{'impl':<12} {'median ms':>10} {'/ floor':>8} {'/ torch':>8} {'peak MiB':>9}")
    for name, seconds in times.items():
        vs_torch = f"{seconds / times['torch']:8.2f}" if "torch" in times else f"{'-':>8}"
        peak = f"{peaks[name] / 2**20:9.1f}" if name in peaks else f"{'-':>9}"
        print(f"{name:<12} {seconds * 1e3:10.1f} {seconds / floor:8.2f} {vs_torch} {peak}")
    ok = True
    results = [("circuitgrad / numpy floor, time", times["circuitgrad"] / floor, TIME_GOAL_FLOOR),
               ("circuitgrad / numpy floor, peak memory",
                peaks["circuitgrad"] / peaks["numpy floor"], MEMORY_GOAL)]
    if "torch" in times:
        results.insert(0, ("circuitgrad / torch, time", times["circuitgrad"] / times["torch"],
                           TIME_GOAL_TORCH))
    print()
    for what, ratio, goal in results:
        passed = ratio <= goal
        ok &= passed
        print(f"goal: {what:<40} {ratio:5.2f}x <= {goal}x  {'PASS' if passed else 'FAIL'}")
    print("\nall goals met" if ok else "\nsome goals FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
