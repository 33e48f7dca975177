"""Second derivatives against PyTorch float64, on random graphs.

Each graph is a small program (a list of steps) replayed twice: on our nodes and on torch tensors
of float64 with ``requires_grad``. For each we compare, to about 1e-10 relative:

* the gradient from ``grad(..., create_graph=True)`` with ``torch.autograd.grad(...,
  create_graph=True)``;
* a second ``grad`` of that gradient (a Hessian-vector product) with torch's;
* a small Hessian, built row by row from our gradient graph, with
  ``torch.autograd.functional.hessian``.

Scalar graphs use every elementwise row of the op table (``ops.ELEMENTWISE``, so a new row is in
them automatically once the row maps to torch below), ``Value ** Value`` and the variadic ``sum``.
Tensor graphs use ``@``, ``transpose``, ``reshape``, indexing, ``sum``/``mean``/``max`` and
``logsumexp`` (axis, keepdims), the sum of squares, and the losses ``softmax_loss``, ``svm_loss``
and ``l2``.
"""

from __future__ import annotations

import operator
from typing import Any, Callable, Dict, List, Sequence, Tuple

import numpy as np
import pytest

import autograd
from autograd import Tensor, Value, grad, losses, ops

torch = pytest.importorskip("torch")

RTOL = 1e-10
SKIPPED = (autograd.DomainError, ZeroDivisionError, OverflowError)

POWERS = [2.0, 3.0, -1.0, 0.5, 1.5]
"""Number exponents for the ``pow`` row's parameter ``p``."""

_TORCH_BY_NAME: Dict[str, Callable] = {
    "pow": lambda x, *, p: x ** p,
    "pow_value": lambda a, b: a ** b,
}


def torch_of(op: ops.Op) -> Callable:
    """The torch function of an elementwise row: by its method name, its operator, or by hand."""
    if op.name in _TORCH_BY_NAME:
        return _TORCH_BY_NAME[op.name]
    if op.method is not None and hasattr(torch, op.method):
        return getattr(torch, op.method)
    if op.operator is not None and hasattr(operator, op.operator):
        return getattr(operator, op.operator)
    raise AssertionError(f"row {op.name!r} has no torch counterpart: add it to _TORCH_BY_NAME")


def _assert_close(ours: Any, theirs: Any, what: str, rtol: float = RTOL) -> None:
    ours = np.asarray(ours, dtype=np.float64)
    theirs = np.asarray(theirs, dtype=np.float64)
    scale = max(1.0, float(np.max(np.abs(theirs), initial=0.0)))
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=rtol * scale, err_msg=what)


def _numbers(g: Any, like: Any) -> np.ndarray:
    """A gradient as numbers: 0 for None (unused), the data of a node."""
    if g is None:
        return np.zeros(np.shape(like.data))
    return np.asarray(g.data, dtype=np.float64)


def _torch_numbers(g: Any, like: Any) -> np.ndarray:
    if g is None:
        return np.zeros(tuple(like.shape))
    return g.detach().numpy()


# ---------------------------------------------------------------------------------------------
# Random scalar graphs over the elementwise rows.
# ---------------------------------------------------------------------------------------------
Step = Tuple[ops.Op, Tuple[int, ...], tuple]


def _draw_program(seed: int, n_leaves: int = 3, n_steps: int = 7) -> Tuple[List[float], List[Step]]:
    """Leaves and steps ``(row, operand positions, params)`` valid in strict mode, every operand
    away from 0 (the kinks and poles of the table) and every value moderate in size."""
    rng = np.random.default_rng(seed)
    leaves = [float(x) * rng.choice([-1.0, 1.0]) for x in rng.uniform(0.3, 1.5, n_leaves)]
    values = list(leaves)
    nodes = [Value(x) for x in leaves]
    rows = list(ops.ELEMENTWISE)
    program: List[Step] = []
    for k in range(n_steps * 6):
        if len(program) == n_steps:
            break
        op = rows[(seed + k) % len(rows)] if k < len(rows) else rows[rng.integers(len(rows))]
        picks = tuple(int(i) for i in rng.integers(len(nodes), size=op.arity))
        params = (float(rng.choice(POWERS)),) if op.params else ()
        if any(abs(values[i]) < 0.1 for i in picks):
            continue
        try:
            node = Value._apply(op, tuple(nodes[i] for i in picks), params)
        except SKIPPED:
            continue
        if not 1e-3 < abs(node.data) < 50.0:
            continue
        program.append((op, picks, params))
        nodes.append(node)
        values.append(node.data)
    return leaves, program


def _run_ours(leaves: Sequence[Value], program: Sequence[Step]) -> Value:
    nodes = list(leaves)
    for op, picks, params in program:
        nodes.append(Value._apply(op, tuple(nodes[i] for i in picks), params))
    return autograd.sum(nodes)  # every leaf and step counts


def _run_torch(leaves: Sequence[Any], program: Sequence[Step]) -> Any:
    nodes = list(leaves)
    for op, picks, params in program:
        nodes.append(torch_of(op)(*(nodes[i] for i in picks), **op.kwargs(params)))
    return sum(nodes)


SEEDS = list(range(50))


def test_random_scalar_graphs_cover_every_elementwise_row():
    used = {op.name for seed in SEEDS for op, _, _ in _draw_program(seed)[1]}
    missing = {op.name for op in ops.ELEMENTWISE} - used
    assert not missing, f"no random graph uses the rows {missing}"


@pytest.mark.parametrize("seed", SEEDS)
def test_scalar_graph_second_order_against_torch(seed):
    point, program = _draw_program(seed)
    assert len(program) >= 4, program
    xs = [Value(x) for x in point]
    out = _run_ours(xs, program)
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in point]
    out_t = _run_torch(ts, program)
    _assert_close(out.data, out_t.item(), f"seed {seed}: forward")

    firsts = grad(out, xs, create_graph=True)
    firsts_t = torch.autograd.grad(out_t, ts, create_graph=True)
    _assert_close([g.data for g in firsts], [g.item() for g in firsts_t], f"seed {seed}: grad")

    v = np.random.default_rng(seed).standard_normal(len(xs))
    hvp = grad(autograd.sum([g * float(w) for g, w in zip(firsts, v)]), xs, allow_unused=True)
    hvp_t = torch.autograd.grad(sum(g * float(w) for g, w in zip(firsts_t, v)), ts,
                                allow_unused=True)
    _assert_close([_numbers(g, x) for g, x in zip(hvp, xs)],
                  [_torch_numbers(g, t) for g, t in zip(hvp_t, ts)], f"seed {seed}: H v")


@pytest.mark.parametrize("seed", SEEDS[:10])
def test_scalar_graph_hessian_against_torch(seed):
    point, program = _draw_program(seed)
    xs = [Value(x) for x in point]
    firsts = grad(_run_ours(xs, program), xs, create_graph=True)
    ours = np.array([[_numbers(h, x) for h, x in zip(grad(g, xs, allow_unused=True), xs)]
                     if g.inputs else [0.0] * len(xs) for g in firsts])
    theirs = torch.autograd.functional.hessian(
        lambda v: _run_torch(list(v), program), torch.tensor(point, dtype=torch.float64))
    _assert_close(ours, theirs.numpy(), f"seed {seed}: Hessian")
    np.testing.assert_allclose(ours, ours.T, rtol=1e-12, atol=1e-12)


def test_third_derivative_of_value_pow_value_against_torch():
    a, b = Value(1.3), Value(0.7)
    ta = torch.tensor(1.3, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    ours, theirs = a ** b * b ** a, ta ** tb * tb ** ta
    for _ in range(3):
        ga, = grad(ours, a, create_graph=True)
        ours = grad(ga, b, create_graph=True)[0]
        ta_grad, = torch.autograd.grad(theirs, ta, create_graph=True)
        theirs = torch.autograd.grad(ta_grad, tb, create_graph=True)[0]
        _assert_close(ours.data, theirs.item(), "d/db d/da, repeated")


# ---------------------------------------------------------------------------------------------
# Random tensor graphs over the structural rows and the losses.
# ---------------------------------------------------------------------------------------------
N, D, H, C = 5, 3, 4, 3
_UNARY = [op for op in ops.ELEMENTWISE if op.arity == 1 and not op.params]


def _tensor_program(seed: int) -> Dict[str, Any]:
    rng = np.random.default_rng(seed)
    return {
        "X": rng.standard_normal((N, D)),
        "y": rng.integers(C, size=N),
        "params": {"W": rng.standard_normal((D, H)) * 0.7, "b": rng.standard_normal(H) * 0.3,
                   "V": rng.standard_normal((H, C)) * 0.7},
        # seeds 0..31 give every reduction with every shape step and each axis, both keepdims
        "unary": _UNARY[(seed + seed // 8) % len(_UNARY)],
        "shape": ["transpose", "reshape", "index", "none"][(seed + seed // 8) % 4],
        "reduce": ["sum", "mean", "max", "logsumexp", "sum_squares", "softmax_loss", "svm_loss",
                   "l2"][seed % 8],
        "axis": [None, 0, 1, -1][(seed // 8) % 4],
        "keepdims": bool((seed // 16) % 2),
        "rows": rng.permutation(N)[:4], "cols": rng.integers(C, size=4),
    }


def _safe(op: ops.Op, h: Any) -> Any:
    """Operands a unary row accepts: h where it is defined and smooth, else h^2 + 0.5 > 0."""
    return h * h + 0.5 if op.name in ("log", "sqrt", "abs", "relu") else h


def _tensor_model(p: Dict[str, Any], W: Any, b: Any, V: Any, lib: str) -> Any:
    """The program on our Tensors (lib "ours") or on torch tensors (lib "torch")."""
    ours = lib == "ours"
    X = Tensor(p["X"], requires_grad=False) if ours else torch.tensor(p["X"])
    h = _apply_unary(p["unary"], _safe(p["unary"], X @ W + b), ours)
    s = h @ V  # (N, C) scores
    shape = p["shape"]
    if shape == "transpose":
        t = s.transpose() if ours else s.T  # (C, N)
        s = s + (t * t).transpose() * 0.5 if ours else s + (t * t).T * 0.5
    elif shape == "reshape":
        s = s.reshape(C, N).reshape(N, C) * (s.reshape(N * C).reshape(N, C) + 1.0)
    elif shape == "index":
        picked = s[p["rows"], p["cols"]]
        s = s + (picked.sum() * 0.3)
        s = s[1:, :]
    reduce, axis, keepdims = p["reduce"], p["axis"], p["keepdims"]
    if reduce in ("softmax_loss", "svm_loss"):
        y = p["y"][:s.shape[0]]
        if reduce == "softmax_loss":
            if ours:
                return losses.softmax_loss(s, y)
            rows = torch.arange(s.shape[0])
            return (torch.logsumexp(s, 1) - s[rows, torch.tensor(y)]).mean()
        if ours:
            return losses.svm_loss(s, y) + (s * s).mean()
        rows = torch.arange(s.shape[0])
        correct = s[rows, torch.tensor(y)].reshape(-1, 1)
        offset = np.ones(tuple(s.shape))
        offset[np.arange(s.shape[0]), y] = 0.0
        return torch.relu(s - correct + torch.tensor(offset)).sum() / s.shape[0] + (s * s).mean()
    if reduce == "l2":
        if ours:
            return losses.l2([W, V]) * 0.1 + (s.tanh() * s).sum()
        return ((W * W).sum() + (V * V).sum()) * 0.1 + (torch.tanh(s) * s).sum()
    if reduce == "sum_squares":
        return s.sum_of_squares() if ours else (s * s).sum()
    dims = {} if axis is None else {"axis" if ours else "dim": axis}
    keep = {"keepdims" if ours else "keepdim": keepdims} if axis is not None else {}
    if reduce == "sum":
        r = s.sum(**dims, **keep)
    elif reduce == "mean":
        r = s.mean(**dims, **keep)
    elif reduce == "max":
        r = s.max(**dims, **keep) if ours else (torch.amax(s, **dims, **keep) if dims else s.max())
    else:
        r = s.logsumexp(**dims, **keep) if ours else torch.logsumexp(
            s, **(dims or {"dim": (0, 1)}), **keep)
    return (r * r).sum() + r.sum()


def _apply_unary(op: ops.Op, h: Any, ours: bool) -> Any:
    if ours:
        return autograd.tensor.apply(op, (h,))
    return torch_of(op)(h)


TENSOR_SEEDS = list(range(32))


def _ours_and_torch(p: Dict[str, Any]):
    ours = {k: Tensor(v.copy(), label=k) for k, v in p["params"].items()}
    theirs = {k: torch.tensor(v, requires_grad=True) for k, v in p["params"].items()}
    return ours, theirs


@pytest.mark.parametrize("seed", TENSOR_SEEDS)
def test_tensor_graph_second_order_against_torch(seed):
    p = _tensor_program(seed)
    ours, theirs = _ours_and_torch(p)
    names = list(ours)
    out = _tensor_model(p, *(ours[k] for k in names), "ours")
    out_t = _tensor_model(p, *(theirs[k] for k in names), "torch")
    what = f"seed {seed} ({p['unary'].name}, {p['shape']}, {p['reduce']}, axis {p['axis']})"
    _assert_close(out.data, out_t.item(), f"{what}: forward")

    firsts = grad(out, [ours[k] for k in names], create_graph=True)
    firsts_t = torch.autograd.grad(out_t, [theirs[k] for k in names], create_graph=True)
    for k, g, gt in zip(names, firsts, firsts_t):
        _assert_close(g.data, gt.detach().numpy(), f"{what}: d/d{k}")

    rng = np.random.default_rng(100 + seed)
    directions = [rng.standard_normal(g.shape) for g in firsts]
    zero = Tensor(0.0, requires_grad=False)
    total = sum(((g * v).sum() for g, v in zip(firsts, directions)), zero)
    total_t = sum((g * torch.tensor(v)).sum() for g, v in zip(firsts_t, directions))
    seconds = grad(total, [ours[k] for k in names], allow_unused=True)
    seconds_t = torch.autograd.grad(total_t, [theirs[k] for k in names], allow_unused=True)
    for k, g, gt in zip(names, seconds, seconds_t):
        _assert_close(_numbers(g, ours[k]), _torch_numbers(gt, theirs[k]), f"{what}: H v, {k}")


@pytest.mark.parametrize("seed", TENSOR_SEEDS[:8])
def test_tensor_hessian_against_torch(seed):
    # The Hessian with respect to W (3 x 4 = 12 entries), b and V held fixed.
    p = _tensor_program(seed)
    ours, _ = _ours_and_torch(p)
    W = ours["W"]
    first, = grad(_tensor_model(p, W, ours["b"], ours["V"], "ours"), W, create_graph=True)
    flat = first.reshape(W.size)
    rows = []
    for i in range(W.size):
        row, = grad(flat[i], W, allow_unused=True)
        rows.append(_numbers(row, W).reshape(-1))
    b, V = (torch.tensor(p["params"][k]) for k in ("b", "V"))
    theirs = torch.autograd.functional.hessian(
        lambda w: _tensor_model(p, w.reshape(D, H), b, V, "torch"),
        torch.tensor(p["params"]["W"]).reshape(-1))
    _assert_close(np.array(rows), theirs.numpy(), f"seed {seed}: Hessian in W")


def test_tensor_graphs_cover_the_rows():
    built = set()
    for seed in TENSOR_SEEDS:
        p = _tensor_program(seed)
        ours, _ = _ours_and_torch(p)
        out = _tensor_model(p, ours["W"], ours["b"], ours["V"], "ours")
        built |= {n.row.name for n in autograd.walk.forward_order(out) if n.row is not None}
    wanted = {"matmul", "transpose", "reshape", "index", "reduce_sum", "mean", "max", "logsumexp",
              "sum_squares"} | {op.name for op in _UNARY}
    assert wanted <= built, wanted - built
