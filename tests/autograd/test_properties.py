"""Random expression graphs with shared nodes, checked against two independent oracles.

A *program* is a list of ``(op name, operand indices)``: each new node picks its operands from the
leaves and the nodes made before it, with repetition, so graphs have fan-out (``x * x``), diamonds
and long reuse chains. The root sums every node nothing else consumed. Operations come from a safe
set; when an operation's preconditions fail at the drawn values (a denominator near 0, relu near
its kink, log of a small number, a value leaving [-20, 20]) the node becomes ``tanh`` instead, so
centered differences stay meaningful.

Oracles: centered differences (CS231n's relative error) and forward-mode differentiation, whose
derivative rules below are written independently of :mod:`autograd.ops`.
"""

from __future__ import annotations

import math
import random
from types import SimpleNamespace
from typing import Callable, Dict, List, Sequence, Tuple

from hypothesis import given, settings, strategies as st

import autograd
from autograd import Value

Program = List[Tuple[str, Tuple[int, ...]]]

# How a Value graph (or any object with the same operators, such as a torch tensor) is built.
# ``lib`` provides the variadic gates: autograd.sum / autograd.linear for Values.
BUILD: Dict[str, Callable] = {
    "add": lambda lib, a, b: a + b,
    "sub": lambda lib, a, b: a - b,
    "mul": lambda lib, a, b: a * b,
    "div": lambda lib, a, b: a / b,
    "neg": lambda lib, a: -a,
    "scale": lambda lib, a: 2.5 * a,
    "rsub": lambda lib, a: 1 - a,
    "rdiv": lambda lib, a: 1 / a,
    "square": lambda lib, a: a ** 2,
    "tanh": lambda lib, a: a.tanh(),
    "sigmoid": lambda lib, a: a.sigmoid(),
    "exp": lambda lib, a: a.exp(),
    "log": lambda lib, a: a.log(),
    "relu": lambda lib, a: a.relu(),
    "abs": lambda lib, a: abs(a),
    "sqrt": lambda lib, a: a.sqrt(),
    "pow_value": lambda lib, a, b: a ** b,
    "sum3": lambda lib, a, b, c: lib.sum([a, b, c]),
    "linear": lambda lib, w0, w1, x0, x1, b: lib.linear([w0, w1], [x0, x1], b),
}

VALUE_LIB = SimpleNamespace(sum=autograd.sum, linear=autograd.linear)


def _sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


# Forward-mode rules, independent of the engine's op table: floats -> (out, d out / d each input).
RULES: Dict[str, Callable[..., Tuple[float, Tuple[float, ...]]]] = {
    "add": lambda a, b: (a + b, (1.0, 1.0)),
    "sub": lambda a, b: (a - b, (1.0, -1.0)),
    "mul": lambda a, b: (a * b, (b, a)),
    "div": lambda a, b: (a / b, (1.0 / b, -a / b ** 2)),
    "neg": lambda a: (-a, (-1.0,)),
    "scale": lambda a: (2.5 * a, (2.5,)),
    "rsub": lambda a: (1.0 - a, (-1.0,)),
    "rdiv": lambda a: (1.0 / a, (-1.0 / a ** 2,)),
    "square": lambda a: (a * a, (2.0 * a,)),
    # The textbook forms from the rounded output, as the engine (and PyTorch) use them: near
    # saturation 1 - t^2 keeps only eps / (1 - t^2) relative precision, whichever way it is summed.
    "tanh": lambda a: (math.tanh(a), (1.0 - math.tanh(a) ** 2,)),
    "sigmoid": lambda a: (_sig(a), (_sig(a) * (1.0 - _sig(a)),)),
    "exp": lambda a: (math.exp(a), (math.exp(a),)),
    "log": lambda a: (math.log(a), (1.0 / a,)),
    "relu": lambda a: (max(a, 0.0), (1.0 if a > 0 else 0.0,)),
    "abs": lambda a: (abs(a), (math.copysign(1.0, a),)),
    "sqrt": lambda a: (math.sqrt(a), (0.5 / math.sqrt(a),)),
    "pow_value": lambda a, b: (a ** b, (b * a ** (b - 1.0), a ** b * math.log(a))),
    "sum3": lambda a, b, c: (a + b + c, (1.0, 1.0, 1.0)),
    "linear": lambda w0, w1, x0, x1, b: (w0 * x0 + w1 * x1 + b, (x0, x1, w0, w1, 1.0)),
}

ARITY = {"add": 2, "sub": 2, "mul": 2, "div": 2, "pow_value": 2, "sum3": 3, "linear": 5}
OP_NAMES = sorted(BUILD)
BOUND = 20.0


def _allowed(name: str, args: Sequence[float]) -> bool:
    """Whether ``name`` is safe at ``args``, with margins wide enough for a step of 1e-6."""
    a = args[0]
    if name == "div" and abs(args[1]) < 0.5:
        return False
    if name == "rdiv" and abs(a) < 0.5:
        return False
    if name in ("log", "sqrt") and a < 0.1:
        return False
    if name in ("relu", "abs") and abs(a) < 0.1:
        return False
    if name == "exp" and abs(a) > 3.0:
        return False
    if name == "pow_value" and (a < 0.1 or abs(args[1]) > 3.0):
        return False
    value = RULES[name](*args)[0]
    return math.isfinite(value) and abs(value) <= BOUND


def make_program(draw_int: Callable[[int, int], int], draw_float: Callable[[], float],
                 draw_op: Callable[[], str]) -> Tuple[List[float], Program]:
    """A random program from three sources of choices (hypothesis draws or a seeded generator)."""
    leaves = [draw_float() for _ in range(draw_int(1, 4))]
    values = list(leaves)
    program: Program = []
    for _ in range(draw_int(1, 12)):
        name = draw_op()
        operands = tuple(draw_int(0, len(values) - 1) for _ in range(ARITY.get(name, 1)))
        args = [values[i] for i in operands]
        if not _allowed(name, args):
            name, operands = "tanh", operands[:1]
        program.append((name, operands))
        values.append(RULES[name](*[values[i] for i in operands])[0])
    return leaves, program


@st.composite
def programs(draw) -> Tuple[List[float], Program]:
    return make_program(lambda lo, hi: draw(st.integers(lo, hi)),
                        lambda: draw(st.floats(-2.0, 2.0, allow_nan=False, allow_subnormal=False)),
                        lambda: draw(st.sampled_from(OP_NAMES)))


def seeded_program(seed: int) -> Tuple[List[float], Program]:
    """The same kind of program from ``random.Random(seed)``, for comparisons without hypothesis."""
    rng = random.Random(seed)
    return make_program(rng.randint, lambda: rng.uniform(-2.0, 2.0), lambda: rng.choice(OP_NAMES))


def run(program: Program, leaves: Sequence, lib=VALUE_LIB):
    """Build the graph on the given leaf objects; return every node and the root (sum of sinks)."""
    nodes = list(leaves)
    used = set()
    for name, operands in program:
        nodes.append(BUILD[name](lib, *[nodes[i] for i in operands]))
        used.update(operands)
    sinks = [node for i, node in enumerate(nodes) if i not in used and i >= len(leaves)]
    root = sinks[0] if len(sinks) == 1 else lib.sum(sinks)
    return nodes, root


def forward_mode(program: Program, leaves: Sequence[float]):
    """Root value, d root / d leaf by forward mode, and the sum over paths of |products of locals|.

    The last bounds the rounding error of any order of summing the paths: a gradient that cancels
    to nearly 0 from large paths can only be expected to agree to eps times that sum.
    """
    n = len(leaves)
    values = list(leaves)
    tangents = [[1.0 if j == i else 0.0 for j in range(n)] for i in range(n)]
    sizes = [list(t) for t in tangents]
    used = set()
    for name, operands in program:
        out, partials = RULES[name](*[values[i] for i in operands])
        values.append(out)
        tangents.append([sum(p * tangents[i][j] for p, i in zip(partials, operands))
                         for j in range(n)])
        sizes.append([sum(abs(p) * sizes[i][j] for p, i in zip(partials, operands))
                      for j in range(n)])
        used.update(operands)
    sinks = [i for i in range(n, len(values)) if i not in used]
    value = sum(values[i] for i in sinks)
    grads = [sum(tangents[i][j] for i in sinks) for j in range(n)]
    scale = [sum(sizes[i][j] for i in sinks) for j in range(n)]
    return value, grads, scale


def engine_gradient(program: Program, leaves: Sequence[float]) -> Tuple[Value, List[float]]:
    values = [Value(x) for x in leaves]
    _, root = run(program, values)
    root.backward()
    return root, [v.grad for v in values]


@settings(max_examples=60, deadline=None)
@given(case=programs())
def test_random_graphs_against_centered_differences(case, numeric_grad, rel_error):
    leaves, program = case
    root, grads = engine_gradient(program, leaves)
    numeric = numeric_grad(lambda *xs: run(program, xs)[1], leaves, 1e-6)
    for analytic, estimate in zip(grads, numeric):
        assert rel_error(analytic, estimate, floor=1e-2) < 1e-6, (analytic, estimate)


@settings(max_examples=60, deadline=None)
@given(case=programs())
def test_random_graphs_against_dual_numbers(case, rel_error):
    leaves, program = case
    root, grads = engine_gradient(program, leaves)
    value, expected, path_sizes = forward_mode(program, leaves)
    assert rel_error(root.data, value, floor=1.0) < 1e-13
    for analytic, exact, size in zip(grads, expected, path_sizes):
        assert abs(analytic - exact) <= 1e-12 * size, (analytic, exact, size)


@settings(max_examples=40, deadline=None)
@given(case=programs())
def test_random_graphs_stepped_equal_walked(case):
    leaves, program = case
    walked_nodes, walked = run(program, [Value(x) for x in leaves])
    stepped_nodes, stepped = run(program, [Value(x) for x in leaves])
    walked.backward()
    steps = list(stepped.backward_steps())
    assert [n.grad for n in walked_nodes] == [n.grad for n in stepped_nodes]
    assert walked.grad == stepped.grad == 1.0
    gates = {id(n) for n in stepped_nodes + [stepped] if n.inputs}  # every node feeds the root
    assert len(steps) == len(gates)


def test_generator_makes_fan_out_and_all_ops():
    """The strategy really produces reuse (a node used twice) and reaches every operation."""
    seen_ops, reuse = set(), 0
    for seed in range(300):
        _, program = seeded_program(seed)
        counts: Dict[int, int] = {}
        for name, operands in program:
            seen_ops.add(name)
            for i in operands:
                counts[i] = counts.get(i, 0) + 1
        reuse += any(c > 1 for c in counts.values())
    assert seen_ops == set(OP_NAMES)
    assert reuse > 100
