"""A WGAN-GP gradient penalty on a small Tensor critic: a loss that contains a gradient.

A Wasserstein GAN's critic D scores points; its loss is

    L_D = mean D(fake) - mean D(real) + lambda * mean_i (||grad_x D(x_i)|| - 1)^2

where the x_i are random points between a real and a fake sample (Gulrajani et al., 2017, "Improved
Training of Wasserstein GANs"). The penalty keeps D close to 1-Lipschitz, so that
mean D(real) - mean D(fake) estimates the Wasserstein-1 distance between the two distributions.
It needs d/d(weights) of an expression that already contains d D / d x: that is
``autograd.grad(D(x).sum(), x, create_graph=True)``, whose result is a graph of ordinary Tensor
gates that the next ``backward()`` goes through like any other.

Here the real data is a 2-D Gaussian (mean (2, -1), correlated), the generator an affine map
G(z) = z A + c of standard normal noise, and the critic an MLP 2 -> 64 -> 64 -> 1 with tanh.
Five critic steps per generator step (Adam), as in the paper. The generator's mean should end
near the data's.

Run from the repository root: ``python examples/gradient_penalty.py [--steps N] [--out DIR]``.
Writes ``out/gradient_penalty.png``: the critic's loss, the Wasserstein estimate and the penalty
per step, and the real and generated points at the end.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    # 256 x 64 matrices: one BLAS thread is fastest, and several fight on a busy machine
    os.environ.setdefault(_name, "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import autograd  # noqa: E402
from autograd import Tensor, grad  # noqa: E402
from autograd.nn import Linear, Module  # noqa: E402
from autograd.optim import Adam  # noqa: E402
from output import progress, wrote  # noqa: E402

SEED = 0
BATCH = 256
HIDDEN = 64
LAMBDA = 10.0  # the penalty's weight, the paper's choice
N_CRITIC = 5  # critic steps per generator step
DATA_MEAN = np.array([2.0, -1.0])
DATA_FACTOR = np.array([[1.0, 0.0], [0.6, 0.4]])  # data = mean + n @ DATA_FACTOR, n ~ N(0, I)


class Critic(Module):
    """D(x) = tanh(tanh(x W1 + b1) W2 + b2) W3 + b3: one score per row of x."""

    def __init__(self, hidden: int = HIDDEN):
        self.layers = [Linear(2, hidden), Linear(hidden, hidden), Linear(hidden, 1)]

    def forward(self, x: Tensor) -> Tensor:
        first, second, last = self.layers
        return last(second(first(x).tanh()).tanh())


class Generator(Module):
    """G(z) = z A + c: an affine map of standard normal noise (it can match any Gaussian)."""

    def __init__(self):
        self.A = Tensor(np.eye(2), label="A")
        self.c = Tensor(np.zeros(2), label="c")

    def forward(self, z: Tensor) -> Tensor:
        return z @ self.A + self.c


def gradient_penalty(critic: Critic, real: np.ndarray, fake: np.ndarray,
                     mix: np.ndarray) -> Tensor:
    """mean_i (||d D / d x at x_i|| - 1)^2 at x_i = mix_i real_i + (1 - mix_i) fake_i.

    The gradient is taken with ``create_graph=True``: it is a graph of the critic's weights, so
    the penalty can be differentiated with respect to them.
    """
    between = Tensor(mix * real + (1.0 - mix) * fake, label="x_hat")
    slopes, = grad(critic(between).sum(), between, create_graph=True)  # (batch, 2)
    norms = ((slopes * slopes).sum(axis=1) + 1e-12).sqrt()
    return ((norms - 1.0) ** 2).mean()


def critic_loss(critic: Critic, real: np.ndarray, fake: np.ndarray,
                mix: np.ndarray) -> Dict[str, Tensor]:
    """The critic's WGAN-GP loss and its parts (``fake`` is data here: the generator is fixed)."""
    wasserstein = critic(Tensor(real, requires_grad=False)).mean() - critic(
        Tensor(fake, requires_grad=False)).mean()
    penalty = gradient_penalty(critic, real, fake, mix)
    return {"loss": LAMBDA * penalty - wasserstein, "wasserstein": wasserstein,
            "penalty": penalty}


def sample_data(rng: np.random.Generator, n: int) -> np.ndarray:
    return DATA_MEAN + rng.standard_normal((n, 2)) @ DATA_FACTOR


def train(steps: int, show_progress: bool = False) -> Dict[str, List[float]]:
    """``steps`` critic steps (a generator step after every ``N_CRITIC``); the history of each."""
    autograd.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    critic, generator = Critic(), Generator()
    critic_opt = Adam(critic.parameters(), lr=1e-3, betas=(0.5, 0.9))
    generator_opt = Adam(generator.parameters(), lr=5e-2, betas=(0.5, 0.9))
    history: Dict[str, List[float]] = {"loss": [], "wasserstein": [], "penalty": []}
    loop, _ = progress(range(steps), "critic steps", show_progress, unit="step")
    for step in loop:
        real = sample_data(rng, BATCH)
        with autograd.no_grad():
            fake = generator(Tensor(rng.standard_normal((BATCH, 2)))).data
        parts = critic_loss(critic, real, fake, rng.uniform(size=(BATCH, 1)))
        critic_opt.zero_grad()
        parts["loss"].backward()
        critic_opt.step()
        for name, value in parts.items():
            history[name].append(value.item())
        if (step + 1) % N_CRITIC == 0:
            generator_opt.zero_grad()
            fake = generator(Tensor(rng.standard_normal((BATCH, 2)), requires_grad=False))
            (-critic(fake).mean()).backward()  # the generator raises the critic's score
            generator_opt.step()
    history["generator"] = [generator]
    return history


def plot(history: Dict[str, List[float]], generator: Generator, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    steps = np.arange(1, len(history["loss"]) + 1)
    left.plot(steps, history["loss"], color="#444444", lw=1.0, label="critic loss")
    left.plot(steps, history["wasserstein"], color="#2166ac", lw=1.0,
              label="Wasserstein estimate  mean D(real) - mean D(fake)")
    left.plot(steps, LAMBDA * np.array(history["penalty"]), color="#c0392b", lw=1.0,
              label=f"gradient penalty x {LAMBDA:g}")
    left.set_xlabel("critic step")
    left.set_title("WGAN-GP critic on a Tensor MLP")
    left.legend(fontsize=8)
    rng = np.random.default_rng(1)
    real = sample_data(rng, 500)
    with autograd.no_grad():
        fake = generator(Tensor(rng.standard_normal((500, 2)))).data
    right.scatter(real[:, 0], real[:, 1], s=6, c="#2166ac", alpha=0.5, label="real")
    right.scatter(fake[:, 0], fake[:, 1], s=6, c="#c0392b", alpha=0.5, label="generated")
    right.set_title("real and generated points after training")
    right.legend(fontsize=8)
    right.set_aspect("equal")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=400, help="critic steps (default 400)")
    parser.add_argument("--out", default="out", help="directory for gradient_penalty.png")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    history = train(args.steps, show_progress=True)
    generator = history.pop("generator")[0]
    seconds = time.perf_counter() - started
    first, last = slice(0, 20), slice(-20, None)
    for name in ("loss", "wasserstein", "penalty"):
        print(f"{name:>12}: mean of the first 20 steps {np.mean(history[name][first]):9.4f}, "
              f"of the last 20 {np.mean(history[name][last]):9.4f}")
    mean = generator.c.data + 0.0  # G(z) = z A + c has mean c
    print(f"generator mean {np.round(mean, 3)}, data mean {DATA_MEAN} "
          f"(distance {np.linalg.norm(mean - DATA_MEAN):.3f}, at the start "
          f"{np.linalg.norm(DATA_MEAN):.3f})")
    print(f"{args.steps} critic steps in {seconds:.1f} s")
    path = Path(args.out) / "gradient_penalty.png"
    plot(history, generator, path)
    wrote(path)


if __name__ == "__main__":
    main()
