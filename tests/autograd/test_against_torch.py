"""Gradients against PyTorch in float64 (skipped where torch is not installed).

PyTorch is never a dependency; where it is installed it is a third, independent oracle: the two
CS231n circuits and seeded random graphs (the generator of ``test_properties``) must give the same
gradients to about 1e-12 relative.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from autograd import Value

torch = pytest.importorskip("torch")

from test_properties import run, seeded_program  # noqa: E402  (after the skip, by design)

TORCH_LIB = SimpleNamespace(
    sum=lambda xs: torch.stack(list(xs)).sum(),
    linear=lambda w, x, b: w[0] * x[0] + w[1] * x[1] + b,
)


def leaf(x: float):
    return torch.tensor(x, dtype=torch.float64, requires_grad=True)


def close(a: float, b: float) -> bool:
    return a == pytest.approx(b, rel=1e-12, abs=1e-14)


def test_simple_circuit():
    ours = [Value(v) for v in (-2.0, 5.0, -4.0)]
    theirs = [leaf(v) for v in (-2.0, 5.0, -4.0)]
    for x, y, z in (ours, theirs):
        ((x + y) * z).backward()
    assert [v.grad for v in ours] == [t.grad.item() for t in theirs]


@pytest.mark.parametrize("gate", [False, True])
def test_sigmoid_neuron(gate):
    numbers = (2.0, -1.0, -3.0, -2.0, -3.0)
    ours = [Value(v) for v in numbers]
    theirs = [leaf(v) for v in numbers]
    outs = []
    for w0, x0, w1, x1, w2 in (ours, theirs):
        dot = w0 * x0 + w1 * x1 + w2
        f = dot.sigmoid() if gate else 1 / (1 + (-dot).exp())
        f.backward()
        outs.append(float(f.data) if isinstance(f, Value) else f.item())
    assert close(outs[0], outs[1])
    for v, t in zip(ours, theirs):
        assert close(v.grad, t.grad.item())


@pytest.mark.parametrize("seed", range(25))
def test_random_graphs(seed):
    leaves, program = seeded_program(seed)
    ours = [Value(x) for x in leaves]
    theirs = [leaf(x) for x in leaves]
    _, root = run(program, ours)
    _, troot = run(program, theirs, TORCH_LIB)
    root.backward()
    troot.backward()
    assert close(root.data, troot.item())
    for v, t in zip(ours, theirs):
        expected = t.grad.item() if t.grad is not None else 0.0
        assert close(v.grad, expected), (program, leaves)
