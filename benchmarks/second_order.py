"""Second derivatives: what a gradient of a gradient costs in circuitgrad, against PyTorch.

Two workloads, each timed against PyTorch float64 CPU in the same run (torch is required here,
unlike in the other benchmarks, since it is the only reference):

(a) **Hessian, scalar engine.** The 20 x 20 Hessian of

        f(x) = sum_i tanh(x_i x_{i+1}) + sum_i x_i x_{i+2} x_{i+5}    (indices mod 20)

    with :class:`autograd.Value`: ``grad(f, xs, create_graph=True)`` and then one ``grad`` per
    entry of that gradient. Torch builds the same graph from 20 0-dim tensors and does the same
    (``torch.autograd.grad(create_graph=True)``, then 20 more). As a second reference,
    ``torch.autograd.functional.hessian`` of the same function written with vector ops (how one
    would write it in torch) is reported too.

(b) **Gradient-penalty step, tensor engine.** One WGAN-GP critic training step of
    ``examples/gradient_penalty.py``: critic MLP 2 -> 64 -> 64 -> 1 (tanh), batch 256, float64;
    the loss ``mean D(fake) - mean D(real) + 10 mean (||grad_x D(x_hat)|| - 1)^2`` (the gradient
    taken with ``create_graph=True``), ``backward()``, Adam. Torch runs the same step with the
    same weights, and the two losses and weight gradients are checked to agree before timing.
    Goal: ours <= 1.0x torch.

BLAS runs on one thread (``OMP_NUM_THREADS``/``OPENBLAS_NUM_THREADS``/``MKL_NUM_THREADS`` = 1
before numpy is imported, ``torch.set_num_threads(1)``): the ratios measure what each engine
adds around the same matrix products. Timings alternate the libraries call by call, after a
warm-up; the table gives medians. Run::

    .venv/bin/python benchmarks/second_order.py            # about half a minute
    .venv/bin/python benchmarks/second_order.py --quick    # fewer repetitions
    .venv/bin/python benchmarks/second_order.py --profile  # cProfile of our (b) step
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"

import argparse  # noqa: E402
import gc  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from typing import Callable, Dict, List  # noqa: E402

import numpy as np  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "examples"))

import autograd  # noqa: E402
from autograd import Tensor, Value, grad  # noqa: E402
from autograd.optim import Adam  # noqa: E402

import gradient_penalty as gp  # noqa: E402  (examples/gradient_penalty.py)

__all__ = ["f_values", "hessian_ours", "hessian_torch", "PenaltyStep", "main"]

N_VARS = 20
STEP_GOAL = 1.0


# ---------------------------------------------------------------------------------------------
# (a) The Hessian of a 20-variable function.
# ---------------------------------------------------------------------------------------------
def f_values(xs: List) -> object:
    """The function on scalars of either library (Values or 0-dim torch tensors)."""
    n = len(xs)
    total = 0.0
    for i in range(n):
        total = total + (xs[i] * xs[(i + 1) % n]).tanh()
        total = total + xs[i] * xs[(i + 2) % n] * xs[(i + 5) % n]
    return total


def hessian_ours(point: np.ndarray) -> np.ndarray:
    xs = [Value(float(v)) for v in point]
    firsts = grad(f_values(xs), xs, create_graph=True)
    rows = []
    for first in firsts:
        rows.append([0.0 if s is None else s.data for s in grad(first, xs, allow_unused=True)])
    return np.array(rows)


def hessian_torch(point: np.ndarray) -> np.ndarray:
    import torch

    xs = [torch.tensor(float(v), dtype=torch.float64, requires_grad=True) for v in point]
    firsts = torch.autograd.grad(f_values(xs), xs, create_graph=True)
    rows = []
    for first in firsts:
        seconds = torch.autograd.grad(first, xs, retain_graph=True, allow_unused=True)
        rows.append([0.0 if s is None else s.item() for s in seconds])
    return np.array(rows)


def hessian_torch_vectorized(point: np.ndarray) -> np.ndarray:
    import torch

    def f(x):
        return (torch.tanh(x * torch.roll(x, -1)).sum()
                + (x * torch.roll(x, -2) * torch.roll(x, -5)).sum())

    return torch.autograd.functional.hessian(f, torch.tensor(point)).numpy()


# ---------------------------------------------------------------------------------------------
# (b) The gradient-penalty step.
# ---------------------------------------------------------------------------------------------
class PenaltyStep:
    """One WGAN-GP critic step in both libraries, from the same weights and the same batch."""

    def __init__(self, seed: int = 0):
        import torch

        autograd.manual_seed(seed)
        rng = np.random.default_rng(seed)
        self.real = gp.sample_data(rng, gp.BATCH)
        self.fake = rng.standard_normal((gp.BATCH, 2)) * 1.5
        self.mix = rng.uniform(size=(gp.BATCH, 1))
        self.critic = gp.Critic()
        self.ours_opt = Adam(self.critic.parameters(), lr=1e-4, betas=(0.5, 0.9))
        self.torch_params = [torch.tensor(p.data.copy(), requires_grad=True)
                             for p in self.critic.parameters()]
        self.torch_opt = torch.optim.Adam(self.torch_params, lr=1e-4, betas=(0.5, 0.9))
        self.t_real, self.t_fake, self.t_mix = (torch.tensor(a) for a in
                                                (self.real, self.fake, self.mix))

    def ours_loss(self) -> Tensor:
        return gp.critic_loss(self.critic, self.real, self.fake, self.mix)["loss"]

    def ours(self) -> float:
        loss = self.ours_loss()
        self.ours_opt.zero_grad()
        loss.backward()
        self.ours_opt.step()
        return loss.item()

    def _torch_critic(self, x):
        import torch

        W1, b1, W2, b2, W3, b3 = self.torch_params
        return torch.tanh(torch.tanh(x @ W1 + b1) @ W2 + b2) @ W3 + b3

    def torch_loss(self):
        import torch

        wasserstein = self._torch_critic(self.t_real).mean() - self._torch_critic(
            self.t_fake).mean()
        between = (self.t_mix * self.t_real + (1.0 - self.t_mix) * self.t_fake).requires_grad_()
        slopes, = torch.autograd.grad(self._torch_critic(between).sum(), between,
                                      create_graph=True)
        norms = torch.sqrt((slopes * slopes).sum(dim=1) + 1e-12)
        return gp.LAMBDA * ((norms - 1.0) ** 2).mean() - wasserstein

    def torch(self) -> float:
        loss = self.torch_loss()
        self.torch_opt.zero_grad()
        loss.backward()
        self.torch_opt.step()
        return loss.item()

    def check(self) -> None:
        """Same loss, same weight gradients, to 1e-10 (before any step is taken)."""
        ours = self.ours_loss()
        for p in self.critic.parameters():
            p.zero_grad()
        ours.backward()
        theirs = self.torch_loss()
        grads = __import__("torch").autograd.grad(theirs, self.torch_params)
        np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-10)
        for p, g in zip(self.critic.parameters(), grads):
            np.testing.assert_allclose(p.grad, g.numpy(), rtol=1e-9, atol=1e-12)
        for p in self.critic.parameters():
            p.zero_grad()


# ---------------------------------------------------------------------------------------------
# Timing.
# ---------------------------------------------------------------------------------------------
def alternate(functions: Dict[str, Callable[[], object]], repeats: int,
              warmup: int = 2) -> Dict[str, float]:
    """Median seconds per call of each function, the functions called in turn."""
    times: Dict[str, List[float]] = {name: [] for name in functions}
    for _ in range(warmup):
        for f in functions.values():
            f()
    for _ in range(repeats):
        for name, f in functions.items():
            gc.collect()
            started = time.perf_counter()
            f()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(t) for name, t in times.items()}


def profile_step(steps: int = 30) -> None:
    import cProfile
    import pstats

    bench = PenaltyStep()
    bench.ours()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(steps):
        bench.ours()
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(25)


def main(argv: List[str] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--profile", action="store_true", help="cProfile our (b) step")
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("second_order.py compares against PyTorch, which is not installed: nothing to do")
        return 0
    torch.set_num_threads(1)
    if args.profile:
        profile_step()
        return 0
    repeats = 5 if args.quick else 15

    point = np.random.default_rng(0).uniform(-1.0, 1.0, N_VARS)
    ours_h, torch_h = hessian_ours(point), hessian_torch(point)
    np.testing.assert_allclose(ours_h, torch_h, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours_h, hessian_torch_vectorized(point), rtol=1e-10, atol=1e-12)
    hessian_times = alternate({"ours": lambda: hessian_ours(point),
                               "torch": lambda: hessian_torch(point),
                               "torch vectorized": lambda: hessian_torch_vectorized(point)},
                              repeats)

    bench = PenaltyStep()
    bench.check()
    step_times = alternate({"ours": bench.ours, "torch": bench.torch}, repeats * 4)

    print(f"second derivatives: medians of {repeats} (Hessian) and {repeats * 4} (step) runs, "
          f"one BLAS thread, torch {torch.__version__}, numpy {np.__version__}")
    print(f"{'workload':<52} {'ours':>10} {'torch':>10} {'ours/torch':>11}  goal")
    rows = [
        ("(a) 20x20 Hessian, Value, same scalar graph in torch", hessian_times["ours"],
         hessian_times["torch"], None),
        ("(a') the same Hessian, torch.autograd.functional", hessian_times["ours"],
         hessian_times["torch vectorized"], None),
        ("(b) WGAN-GP critic step, batch 256, hidden 64", step_times["ours"],
         step_times["torch"], STEP_GOAL),
    ]
    for name, ours, theirs, goal in rows:
        ratio = ours / theirs
        verdict = "" if goal is None else (
            f"<= {goal:g}x {'PASS' if ratio <= goal else 'FAIL'}")
        print(f"{name:<52} {ours * 1e3:8.2f}ms {theirs * 1e3:8.2f}ms {ratio:10.2f}x  {verdict}")
    nodes = len(autograd.walk.forward_order(bench.ours_loss()))
    print(f"(b) builds {nodes} nodes per step (forward, gradient graph and penalty)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
