"""Second derivatives with ``autograd.grad(..., create_graph=True)``: Newton, a Hessian, a diagram.

``grad(f, x, create_graph=True)`` returns d f / d x as a graph of ordinary gates, built from the
same op rows as ``f`` (the rule ``d tanh(u) = 1 - tanh(u)^2`` becomes the gates ``out * out`` and
``1 - ...``). That graph can be differentiated again. Three uses:

1. **Newton's method** minimizing f(x) = e^x - 2x, whose minimum is at x* = ln 2:
   ``x <- x - f'(x) / f''(x)``. Near x* the error squares each step: e_{k+1} ~ C e_k^2 with
   C = f'''(x*) / (2 f''(x*)) = 1/2, so the ratio e_{k+1} / e_k^2 printed below tends to 0.5.
2. **The Hessian** of f(x, y, z) = x^2 y + y e^z + x z^3, one row per first derivative, checked
   against the hand-derived formula::

       [[2y,    2x,    3z^2         ],
        [2x,    0,     e^z          ],
        [3z^2,  e^z,   y e^z + 6 x z]]

3. **The backward pass is a circuit too**: the graph of dy/dx for y = tanh(x^2), drawn with its
   own backward pass on it, which leaves d^2y/dx^2 in ``x.grad``.

Run from the repository root: ``python examples/second_derivatives.py [--out DIR]``. Writes
``out/gradient_graph.svg`` (``.dot`` when Graphviz is not installed).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import List, Tuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograd import Value, grad  # noqa: E402
from output import wrote  # noqa: E402


# ---------------------------------------------------------------------------------------------
# 1. Newton's method in one dimension.
# ---------------------------------------------------------------------------------------------
def f_newton(x: Value) -> Value:
    return x.exp() - 2.0 * x


def newton(x0: float, steps: int = 8, tol: float = 1e-15) -> List[Tuple[int, float, float]]:
    """Newton iterates ``(k, x_k, f'(x_k))`` for f_newton from x0, until f' is below tol."""
    history = []
    x = x0
    for k in range(steps + 1):
        leaf = Value(x, label="x")
        first, = grad(f_newton(leaf), leaf, create_graph=True)  # f'(x) as a graph
        second, = grad(first, leaf)  # f''(x): the derivative of that graph
        history.append((k, x, first.data))
        if abs(first.data) < tol:
            break
        x = x - first.data / second.data
    return history


def show_newton() -> float:
    print("1. Newton's method on f(x) = e^x - 2x (minimum at x* = ln 2)")
    print(f"{'k':>3}  {'x_k':>22}  {'|x_k - x*|':>11}  {'e_k / e_(k-1)^2':>15}")
    target = math.log(2.0)
    previous = None
    history = newton(2.0)
    for k, x, _ in history:
        error = abs(x - target)
        ratio = (f"{error / previous ** 2:15.4f}" if previous and error > 1e-14
                 else f"{'':>15}")
        print(f"{k:>3}  {x:22.17f}  {error:11.3e}  {ratio}")
        previous = error
    final = history[-1][1]
    converged = abs(final - target) < 1e-14
    print(f"Newton converged: {converged} (x = {final!r}, ln 2 = {target!r}, "
          f"{len(history) - 1} steps)\n")
    return final


# ---------------------------------------------------------------------------------------------
# 2. A Hessian, row by row.
# ---------------------------------------------------------------------------------------------
def f_three(x: Value, y: Value, z: Value) -> Value:
    return x * x * y + y * z.exp() + x * z ** 3


def hessian(point: Tuple[float, float, float]) -> List[List[float]]:
    """d^2 f / dx_i dx_j: each first derivative, kept as a graph, differentiated again."""
    xs = [Value(v, label=name) for v, name in zip(point, "xyz")]
    firsts = grad(f_three(*xs), xs, create_graph=True)
    rows = []
    for first in firsts:
        seconds = grad(first, xs, allow_unused=True)  # None where first does not depend on x_j
        rows.append([0.0 if s is None else s.data for s in seconds])
    return rows


def hessian_by_hand(x: float, y: float, z: float) -> List[List[float]]:
    e = math.exp(z)
    return [[2 * y, 2 * x, 3 * z * z],
            [2 * x, 0.0, e],
            [3 * z * z, e, y * e + 6 * x * z]]


def show_hessian() -> float:
    point = (0.5, -1.2, 0.8)
    print(f"2. Hessian of f(x, y, z) = x^2 y + y e^z + x z^3 at (x, y, z) = {point}")
    ours, hand = hessian(point), hessian_by_hand(*point)
    for row in ours:
        print("   [" + ", ".join(f"{v:12.8f}" for v in row) + "]")
    worst = max(abs(a - b) for ra, rb in zip(ours, hand) for a, b in zip(ra, rb))
    print(f"max |engine - hand-derived formula| = {worst:.3g}\n")
    return worst


# ---------------------------------------------------------------------------------------------
# 3. The gradient's own graph, drawn.
# ---------------------------------------------------------------------------------------------
def show_gradient_graph(out: Path) -> Path:
    import viz

    x = Value(0.8, label="x")
    y = (x * x).tanh()
    y.label = "y"
    dydx, = grad(y, x, create_graph=True)
    dydx.label = "dy/dx"
    dydx.backward()  # the backward pass of the backward pass: d^2y/dx^2 lands in x.grad
    t = math.tanh(0.64)
    by_hand = 2 * (1 - t * t) - 8 * 0.64 * t * (1 - t * t)
    print("3. The backward pass is a circuit too: dy/dx for y = tanh(x^2) at x = 0.8")
    print(f"dy/dx = {dydx.data:.10f} (2x (1 - tanh(x^2)^2) = {2 * 0.8 * (1 - t * t):.10f})")
    print(f"d2y/dx2 = {x.grad:.10f} (by hand {by_hand:.10f})")
    title = "dy/dx for y = tanh(x²): the gradient is a circuit, with its own backward pass"
    try:
        path = viz.save(dydx, out / "gradient_graph.svg", title=title)
    except viz.GraphvizNotFound:
        path = viz.save(dydx, out / "gradient_graph.dot", title=title)
    wrote(path)
    return path


def main(argv: List[str] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out", help="directory for gradient_graph.svg")
    args = parser.parse_args(argv)
    show_newton()
    show_hessian()
    show_gradient_graph(Path(args.out))


if __name__ == "__main__":
    main()
