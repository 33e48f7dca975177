"""How much does circuitgrad's Tensor cost over hand-written numpy? One run, one table.

Three workloads from CS231n assignment 1, each computed four ways:

* **numpy floor**: the forward and backward written out by hand in numpy, as the assignment's
  ``svm_loss_vectorized``, ``softmax_loss_vectorized`` and two-layer ``loss`` do. No engine can
  beat it by much: it is the same BLAS calls with nothing around them.
* **wide floor**: the same, with each weight gradient ``A.T @ g`` computed as ``(g.T @ A).T``
  (same numbers; OpenBLAS writes the wide product faster). circuitgrad's matmul gradient does
  this, so the goals are judged against the faster of the two floors.
* **circuitgrad**: the forward pass only, written with :class:`autograd.Tensor`, the losses of
  :mod:`autograd.losses` and :class:`autograd.optim.SGD`; gradients come from ``backward()``.
* **torch**: PyTorch CPU float64 autograd, where torch is installed (never required).

Workloads (float64 everywhere):

(a) SVM loss + gradient, N=500, D=3073, C=10: ``scores = X @ W``, multiclass hinge loss (margin 1)
    averaged over N, plus ``reg * sum(W**2)``; gradient with respect to W only.
(b) Softmax loss + gradient, same sizes and regularization.
(c) One training step of a two-layer net, batch 200, D=3073, H=100, C=10: affine, ReLU, affine,
    softmax loss + ``reg * (sum(W1**2) + sum(W2**2))``, backward, SGD update of W1, b1, W2, b2.
(d) The peak memory traced by :mod:`tracemalloc` during one step of (c) (numpy registers its
    arrays with tracemalloc; torch does not, so its peak is not measured).

Goals: (a), (b), (c) at most 1.25x the faster floor's median time; (c) no slower than torch; (d) at
most 1.5x the floor's peak. Before timing, every implementation's loss and gradients are checked
against the floor's (``np.testing.assert_allclose``), so a fast wrong answer cannot pass.

Timing alternates the implementations call by call (so a slow spell of the machine hits all of
them alike), after a warm-up, and reports the median of many repetitions.

BLAS runs on ONE thread by default, for numpy (through threadpoolctl) and torch alike: the ratios
are meant to measure what the engine adds around the same matrix products, and on a busy machine
multi-threaded BLAS mostly measures the scheduler (on a shared 2-core box a 500x3073 @ 3073x10
product took 8 ms with 2 threads and 1.9 ms with 1). ``--threads 0`` keeps the libraries'
defaults. ``OPENBLAS_CORETYPE`` is reported, never changed. Run:

    .venv/bin/python benchmarks/vector.py            # about 1.5 minutes
    .venv/bin/python benchmarks/vector.py --quick    # fewer repetitions, for a smoke test
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
import tracemalloc
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from autograd import Tensor  # noqa: E402
from autograd.losses import l2, softmax_loss, svm_loss  # noqa: E402
from autograd.optim import SGD  # noqa: E402

try:  # PyTorch is optional: compared against where installed, never required.
    import torch
except ImportError:  # pragma: no cover - depends on the machine
    torch = None

__all__ = ["numpy_svm_loss", "numpy_softmax_loss", "numpy_two_layer_loss", "numpy_two_layer_step",
           "circuitgrad_linear_loss", "CircuitgradTwoLayer", "main"]

TIME_GOAL = 1.25
MEMORY_GOAL = 1.5


# ---------------------------------------------------------------------------------------------
# The floor: forward and backward by hand, as in CS231n assignment 1.
# ---------------------------------------------------------------------------------------------

def weight_gradient(A: np.ndarray, g: np.ndarray, wide: bool) -> np.ndarray:
    """``A.T @ g`` as CS231n writes it, or (``wide``) as ``(g.T @ A).T``.

    The same numbers, but OpenBLAS is up to twice as fast writing a wide product (10 x 3073) as a
    tall one (3073 x 10); circuitgrad's matmul gradient uses the wide form.
    """
    return (g.T @ A).T if wide else A.T @ g


def numpy_svm_loss(W: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float,
                   wide: bool = False):
    """Multiclass SVM loss and dW, vectorized.

    L = 1/N sum_i sum_{j != y_i} max(0, s_ij - s_iy_i + 1) + reg * sum(W**2)
    dL/ds_ij = 1/N [margin_ij > 0] for j != y_i;  dL/ds_iy_i = -1/N (number of positive margins)

    Args:
        W: (D, C) weights.  X: (N, D) inputs.  y: (N,) labels.  reg: L2 strength.
        wide: compute ``X.T @ dscores`` in the wide form (see :func:`weight_gradient`).

    Returns:
        ``(loss, dW)``.
    """
    n = X.shape[0]
    rows = np.arange(n)
    scores = X @ W
    correct = scores[rows, y][:, None]
    margins = np.maximum(0.0, scores - correct + 1.0)
    margins[rows, y] = 0.0
    loss = margins.sum() / n + reg * np.sum(W * W)
    dscores = (margins > 0).astype(np.float64)
    dscores[rows, y] = -dscores.sum(axis=1)
    dscores /= n
    dW = weight_gradient(X, dscores, wide) + 2.0 * reg * W
    return loss, dW


def numpy_softmax_loss(W: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float,
                       wide: bool = False):
    """Softmax (cross-entropy) loss and dW, vectorized, with the max subtracted for stability.

    L = -1/N sum_i log(exp(s_iy_i) / sum_j exp(s_ij)) + reg * sum(W**2)
    dL/ds = (p - onehot(y)) / N

    Args:
        W: (D, C) weights.  X: (N, D) inputs.  y: (N,) labels.  reg: L2 strength.
        wide: compute ``X.T @ dscores`` in the wide form (see :func:`weight_gradient`).

    Returns:
        ``(loss, dW)``.
    """
    n = X.shape[0]
    rows = np.arange(n)
    scores = X @ W
    scores -= scores.max(axis=1, keepdims=True)
    exp_scores = np.exp(scores)
    probs = exp_scores / exp_scores.sum(axis=1, keepdims=True)
    loss = -np.log(probs[rows, y]).mean() + reg * np.sum(W * W)
    dscores = probs
    dscores[rows, y] -= 1.0
    dscores /= n
    dW = weight_gradient(X, dscores, wide) + 2.0 * reg * W
    return loss, dW


def numpy_two_layer_loss(params: Dict[str, np.ndarray], X: np.ndarray, y: np.ndarray,
                         reg: float, wide: bool = False):
    """Loss and gradients of affine - ReLU - affine - softmax with L2 on the weights.

    Args:
        params: ``W1`` (D, H), ``b1`` (H,), ``W2`` (H, C), ``b2`` (C,).
        X: (N, D) inputs.  y: (N,) labels.  reg: L2 strength on W1 and W2.
        wide: compute the weight gradients in the wide form (see :func:`weight_gradient`).

    Returns:
        ``(loss, grads)`` with ``grads`` keyed like ``params``.
    """
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    n = X.shape[0]
    rows = np.arange(n)
    hidden_in = X @ W1 + b1
    hidden = np.maximum(0.0, hidden_in)
    scores = hidden @ W2 + b2
    scores -= scores.max(axis=1, keepdims=True)
    exp_scores = np.exp(scores)
    probs = exp_scores / exp_scores.sum(axis=1, keepdims=True)
    loss = -np.log(probs[rows, y]).mean() + reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    dscores = probs
    dscores[rows, y] -= 1.0
    dscores /= n
    grads = {"W2": weight_gradient(hidden, dscores, wide) + 2.0 * reg * W2,
             "b2": dscores.sum(axis=0)}
    dhidden = dscores @ W2.T
    dhidden[hidden_in <= 0] = 0.0
    grads["W1"] = weight_gradient(X, dhidden, wide) + 2.0 * reg * W1
    grads["b1"] = dhidden.sum(axis=0)
    return loss, grads


def numpy_two_layer_step(params: Dict[str, np.ndarray], X: np.ndarray, y: np.ndarray,
                         reg: float, lr: float, wide: bool = False):
    """One SGD step of the two-layer net, in place; returns the loss and the gradients."""
    loss, grads = numpy_two_layer_loss(params, X, y, reg, wide)
    for name, grad in grads.items():
        params[name] -= lr * grad
    return loss, grads


# ---------------------------------------------------------------------------------------------
# circuitgrad: the forward pass only; backward() does the rest.
# ---------------------------------------------------------------------------------------------

def circuitgrad_linear_loss(loss_fn: Callable, W: Tensor, X: Tensor, y: np.ndarray, reg: float):
    """``loss_fn(X @ W, y) + reg * l2(W)``, backpropagated; returns the loss and W.grad."""
    W.zero_grad()
    loss = loss_fn(X @ W, y) + reg * l2(W)
    loss.backward()
    return float(loss.data), W.grad


class CircuitgradTwoLayer:
    """The two-layer net as four Tensors and an SGD optimizer."""

    def __init__(self, params: Dict[str, np.ndarray], lr: float):
        self.params = {name: Tensor(value.copy(), label=name) for name, value in params.items()}
        self.optimizer = SGD(list(self.params.values()), lr=lr)
        self.keep_grads = False  # copy the gradients out of each step (for the check only)

    def step(self, X: Tensor, y: np.ndarray, reg: float):
        p = self.params
        self.optimizer.zero_grad()
        hidden = (X @ p["W1"] + p["b1"]).relu()
        scores = hidden @ p["W2"] + p["b2"]
        loss = softmax_loss(scores, y) + reg * (l2(p["W1"]) + l2(p["W2"]))
        loss.backward()
        grads = {name: t.grad.copy() for name, t in p.items()} if self.keep_grads else None
        self.optimizer.step()
        return float(loss.data), grads


# ---------------------------------------------------------------------------------------------
# PyTorch, where installed.
# ---------------------------------------------------------------------------------------------

def torch_svm_loss(W, X, y, reg):
    W.grad = None
    n = X.shape[0]
    rows = torch.arange(n)
    scores = X @ W
    margins = (scores - scores[rows, y][:, None] + 1.0).clamp(min=0.0)
    margins = margins * (1.0 - torch.nn.functional.one_hot(y, scores.shape[1]).double())
    loss = margins.sum() / n + reg * (W * W).sum()
    loss.backward()
    return loss.item(), W.grad


def torch_softmax_loss(W, X, y, reg):
    W.grad = None
    loss = torch.nn.functional.cross_entropy(X @ W, y) + reg * (W * W).sum()
    loss.backward()
    return loss.item(), W.grad


class TorchTwoLayer:
    """The two-layer net in PyTorch autograd with ``torch.optim.SGD``."""

    def __init__(self, params: Dict[str, np.ndarray], lr: float):
        self.params = {name: torch.tensor(value.copy(), requires_grad=True)
                       for name, value in params.items()}
        self.optimizer = torch.optim.SGD(list(self.params.values()), lr=lr)
        self.keep_grads = False

    def step(self, X, y, reg):
        p = self.params
        self.optimizer.zero_grad()
        hidden = torch.relu(X @ p["W1"] + p["b1"])
        scores = hidden @ p["W2"] + p["b2"]
        loss = (torch.nn.functional.cross_entropy(scores, y)
                + reg * ((p["W1"] * p["W1"]).sum() + (p["W2"] * p["W2"]).sum()))
        loss.backward()
        grads = ({name: t.grad.numpy().copy() for name, t in p.items()}
                 if self.keep_grads else None)
        self.optimizer.step()
        return loss.item(), grads


# ---------------------------------------------------------------------------------------------
# Harness
# ---------------------------------------------------------------------------------------------

@dataclass
class Row:
    """One line of the result table."""

    workload: str
    times: Dict[str, float]  # implementation -> median seconds
    goals: List[str]


def _median_times(calls: Dict[str, Callable[[], object]], repeats: int, warmup: int):
    """Median seconds per call of each callable, calls interleaved round-robin."""
    for _ in range(warmup):
        for call in calls.values():
            call()
    samples: Dict[str, List[float]] = {name: [] for name in calls}
    clock = time.perf_counter
    gc_was_enabled = gc.isenabled()
    gc.disable()  # a collection mid-call would land on whichever implementation was running
    try:
        for _ in range(repeats):
            for name, call in calls.items():
                start = clock()
                call()
                samples[name].append(clock() - start)
            gc.collect()
    finally:
        if gc_was_enabled:
            gc.enable()
    return {name: statistics.median(values) for name, values in samples.items()}


def _peak_bytes(call: Callable[[], object], repeats: int = 3) -> int:
    """The smallest tracemalloc peak over a few calls (the first call is a warm-up)."""
    call()
    peaks = []
    for _ in range(repeats):
        gc.collect()
        tracemalloc.start()
        tracemalloc.reset_peak()
        call()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        peaks.append(peak)
    return min(peaks)


def _close(name: str, got, want, what: str) -> None:
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-9, atol=1e-12,
                               err_msg=f"{name}: {what} disagrees with the numpy floor")


def blas_threads() -> str:
    """How many threads numpy's BLAS uses, as reported by threadpoolctl when available."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (threadpoolctl not installed)"
    pools = [f"{p['internal_api']} {p['num_threads']}" for p in threadpool_info()
             if p.get("user_api") == "blas"]
    return ", ".join(pools) or "unknown"


def _numpy_thread_count() -> Optional[int]:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    counts = [p["num_threads"] for p in threadpool_info() if p.get("user_api") == "blas"]
    return counts[0] if counts else None


def _check_and_time_linear(loss_name: str, floor: Callable, ours: Callable, theirs, W0, X, y,
                           reg, repeats, warmup) -> Row:
    W = Tensor(W0.copy(), label="W")
    Xt = Tensor(X, requires_grad=False)
    want_loss, want_dW = floor(W0, X, y, reg)
    got_loss, got_dW = circuitgrad_linear_loss(ours, W, Xt, y, reg)
    _close("circuitgrad", got_loss, want_loss, f"{loss_name} loss")
    _close("circuitgrad", got_dW, want_dW, f"{loss_name} dW")
    _close("wide floor", floor(W0, X, y, reg, wide=True)[1], want_dW, f"{loss_name} dW")
    calls = {"numpy floor": lambda: floor(W0, X, y, reg),
             "wide floor": lambda: floor(W0, X, y, reg, wide=True),
             "circuitgrad": lambda: circuitgrad_linear_loss(ours, W, Xt, y, reg)}
    if torch is not None:
        W_torch = torch.tensor(W0.copy(), requires_grad=True)
        X_torch, y_torch = torch.from_numpy(X), torch.from_numpy(y)
        t_loss, t_dW = theirs(W_torch, X_torch, y_torch, reg)
        _close("torch", t_loss, want_loss, f"{loss_name} loss")
        _close("torch", t_dW.numpy(), want_dW, f"{loss_name} dW")
        calls["torch"] = lambda: theirs(W_torch, X_torch, y_torch, reg)
    times = _median_times(calls, repeats, warmup)
    return Row(f"{loss_name} loss+grad N=500 D=3073 C=10", times,
               [f"circuitgrad <= {TIME_GOAL}x floor"])


def _check_and_time_two_layer(params0, X, y, reg, lr, repeats, warmup):
    Xt = Tensor(X, requires_grad=False)
    floor_params = {k: v.copy() for k, v in params0.items()}
    want_loss, want_grads = numpy_two_layer_loss(floor_params, X, y, reg)

    ours = CircuitgradTwoLayer(params0, lr)
    ours.keep_grads = True
    got_loss, got_grads = ours.step(Xt, y, reg)
    ours.keep_grads = False
    _close("circuitgrad", got_loss, want_loss, "two-layer loss")
    for name in want_grads:
        _close("circuitgrad", got_grads[name], want_grads[name], f"two-layer d{name}")
        _close("circuitgrad", ours.params[name].data, params0[name] - lr * want_grads[name],
               f"two-layer {name} after the SGD step")

    wide_params = {k: v.copy() for k, v in params0.items()}
    _, wide_grads = numpy_two_layer_loss(wide_params, X, y, reg, wide=True)
    for name in want_grads:
        _close("wide floor", wide_grads[name], want_grads[name], f"two-layer d{name}")
    calls = {"numpy floor": lambda: numpy_two_layer_step(floor_params, X, y, reg, lr),
             "wide floor": lambda: numpy_two_layer_step(wide_params, X, y, reg, lr, wide=True),
             "circuitgrad": lambda: ours.step(Xt, y, reg)}
    if torch is not None:
        theirs = TorchTwoLayer(params0, lr)
        theirs.keep_grads = True
        X_torch, y_torch = torch.from_numpy(X), torch.from_numpy(y)
        t_loss, t_grads = theirs.step(X_torch, y_torch, reg)
        theirs.keep_grads = False
        _close("torch", t_loss, want_loss, "two-layer loss")
        for name in want_grads:
            _close("torch", t_grads[name], want_grads[name], f"two-layer d{name}")
        calls["torch"] = lambda: theirs.step(X_torch, y_torch, reg)
    times = _median_times(calls, repeats, warmup)
    goals = [f"circuitgrad <= {TIME_GOAL}x floor"]
    if torch is not None:
        goals.append("circuitgrad <= 1.0x torch")
    row = Row("2-layer SGD step B=200 D=3073 H=100 C=10", times, goals)

    peaks = {"numpy floor": _peak_bytes(lambda: numpy_two_layer_step(floor_params, X, y, reg, lr)),
             "circuitgrad": _peak_bytes(lambda: ours.step(Xt, y, reg))}
    return row, peaks


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _print_report(rows: List[Row], peaks: Dict[str, int]) -> bool:
    all_ok = True
    print(f"{'workload':<42} {'impl':<12} {'median ms':>10} {'/ floor':>8} {'/ torch':>8}")
    print("-" * 84)
    for row in rows:
        floor = min(row.times["numpy floor"], row.times["wide floor"])
        torch_time = row.times.get("torch")
        for name, seconds in row.times.items():
            vs_torch = f"{seconds / torch_time:8.2f}" if torch_time else f"{'-':>8}"
            print(f"{row.workload:<42} {name:<12} {seconds * 1e3:10.3f} {seconds / floor:8.2f} "
                  f"{vs_torch}")
        ours = row.times["circuitgrad"]
        for goal in row.goals:
            if "floor" in goal:
                ok = ours <= TIME_GOAL * floor
                detail = f"{ours / floor:.2f}x"
            else:
                ok = ours <= torch_time
                detail = f"{ours / torch_time:.2f}x"
            all_ok &= ok
            print(f"{'':<42} goal: {goal:<28} {detail:>7}  {_verdict(ok)}")
        print()
    print("/ floor: relative to the faster of the two numpy floors (CS231n's A.T @ g, or the\n"
          "'wide' (g.T @ A).T that circuitgrad's matmul gradient also uses)\n")
    floor_peak = peaks["numpy floor"]
    print("peak traced memory of one 2-layer step (tracemalloc):")
    for name, peak in peaks.items():
        print(f"  {name:<12} {peak / 2**20:8.2f} MiB {peak / floor_peak:6.2f}x floor")
    if torch is not None:
        print(f"  {'torch':<12} not measured: torch allocates its tensors outside Python's "
              f"allocator, where tracemalloc cannot see them")
    ok = peaks["circuitgrad"] <= MEMORY_GOAL * floor_peak
    all_ok &= ok
    print(f"  goal: circuitgrad <= {MEMORY_GOAL}x floor: "
          f"{peaks['circuitgrad'] / floor_peak:.2f}x  {_verdict(ok)}")
    return all_ok


def main(argv: Optional[List[str]] = None) -> int:
    """Check every implementation against the floor, time them, print the table.

    Returns 0 if every goal passes, 1 otherwise.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few repetitions (smoke test)")
    parser.add_argument("--repeats", type=int, default=None, help="timed calls per implementation")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS threads for numpy and torch (0: leave the libraries' defaults)")
    args = parser.parse_args(argv)
    if args.threads:
        limit = _limit_blas_threads(args.threads)
        if limit is None:
            print("threadpoolctl is not installed: cannot limit numpy's BLAS threads")
        try:
            return _run(args)
        finally:
            if limit is not None:
                limit.restore_original_limits()
    return _run(args)


def _limit_blas_threads(threads: int):
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    return threadpool_limits(limits=threads, user_api="blas")


def _run(args) -> int:
    repeats = args.repeats or (5 if args.quick else 200)
    warmup = 2 if args.quick else 20

    rng = np.random.default_rng(0)
    N, D, C, reg = 500, 3073, 10, 2.5e4 * 1e-5  # reg as in a typical CS231n run, O(0.1)
    X = rng.standard_normal((N, D)) * 50.0  # mean-subtracted CIFAR pixels are about this size
    X[:, -1] = 1.0  # the bias trick: a column of ones
    y = rng.integers(0, C, size=N)
    W0 = rng.standard_normal((D, C)) * 1e-4

    B, H, lr, two_layer_reg = 200, 100, 1e-3, 1e-3
    Xb, yb = X[:B] / 50.0, y[:B]
    params0 = {"W1": rng.standard_normal((D, H)) * 1e-2, "b1": np.zeros(H),
               "W2": rng.standard_normal((H, C)) * 1e-2, "b2": np.zeros(C)}

    numpy_threads = _numpy_thread_count()
    print(f"numpy {np.__version__}, BLAS threads: {blas_threads()}; "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")
    if torch is not None:
        torch.set_num_threads(args.threads or numpy_threads or torch.get_num_threads())
        print(f"torch {torch.__version__}, intra-op threads: {torch.get_num_threads()}")
    else:
        print("torch not installed: the torch column and goal are skipped")
    print(f"{repeats} timed calls per implementation after {warmup} warm-up rounds; "
          f"gradients checked against the floor first\n")

    rows = [
        _check_and_time_linear("SVM", numpy_svm_loss, svm_loss, torch_svm_loss if torch else None,
                               W0, X, y, reg, repeats, warmup),
        _check_and_time_linear("softmax", numpy_softmax_loss, softmax_loss,
                               torch_softmax_loss if torch else None, W0, X, y, reg, repeats,
                               warmup),
    ]
    two_layer, peaks = _check_and_time_two_layer(params0, Xb, yb, two_layer_reg, lr, repeats,
                                                 warmup)
    rows.append(two_layer)
    ok = _print_report(rows, peaks)
    print("\nall goals met" if ok else "\nsome goals FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
