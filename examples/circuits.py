"""The two worked circuits of CS231n's backprop notes, computed, tabulated and stepped through.

1. ``f = (x + y) * z`` at x = -2, y = 5, z = -4: q = x + y = 3, f = q * z = -12, and backward
   gives df/dx = df/dy = z = -4, df/dz = q = 3.
2. The 2-D sigmoid neuron ``f = 1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))`` at w0 = 2, x0 = -1,
   w1 = -3, x1 = -2, w2 = -3: the dot product is 1, f = sigmoid(1) = 0.731, and every gradient is
   the input it multiplies times the sigmoid's local gradient (1 - f) f = 0.197.

For each circuit the script prints a table of every node (value, gradient d f / d node, and the
gate's local gradients d node / d input) and then the backward pass one gate at a time, as
``f.backward_steps()`` yields it. The same text goes to ``out/circuits.txt``.

Run from the repository root: ``python examples/circuits.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable, List, Tuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "examples"))

from autograd import Constant, Value  # noqa: E402
from autograd.steps import format_number, node_name  # noqa: E402
from autograd.walk import forward_order  # noqa: E402
from output import wrote  # noqa: E402

OUT = ROOT / "out"
PRECISION = 6


def add_mul_circuit() -> Value:
    """CS231n's first example: f = (x + y) * z."""
    x, y, z = Value(-2.0, label="x"), Value(5.0, label="y"), Value(-4.0, label="z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    return f


def sigmoid_neuron_circuit() -> Value:
    """CS231n's 2-D neuron, one primitive gate per operation: f = 1 / (1 + exp(-(w.x + w2)))."""
    w0, x0 = Value(2.0, label="w0"), Value(-1.0, label="x0")
    w1, x1 = Value(-3.0, label="w1"), Value(-2.0, label="x1")
    w2 = Value(-3.0, label="w2")
    def named(label: str, node: Value) -> Value:
        node.label = label
        return node

    p0 = named("p0", w0 * x0)
    p1 = named("p1", w1 * x1)
    s = named("s", p0 + p1)
    dot = named("dot", s + w2)
    neg = named("neg", -dot)
    e = named("e", neg.exp())
    den = named("den", 1 + e)
    return named("f", 1 / den)


def nodes_in_forward_order(root: Value) -> List[Value]:
    """Every node except constants, each after its inputs, inputs visited in operand order."""
    return [node for node in forward_order(root) if not isinstance(node, Constant)]


def expression(node: Value) -> str:
    """The gate that made ``node``, in the circuit's names: ``x + y``, ``exp(n)``, ``1 / d``."""
    if node.is_leaf:
        return "input"
    names = [node_name(x, PRECISION) for x in node.inputs]
    if node.op == "*-1":
        return f"-{names[0]}"
    if len(names) == 2:
        return f"{names[0]} {node.op} {names[1]}"
    return f"{node.op}({', '.join(names)})"


def node_table(root: Value) -> List[str]:
    """One row per node: name, gate, value, gradient, local gradients d node / d input."""
    fmt = lambda x: format_number(x, PRECISION)  # noqa: E731
    rows = [("node", "gate", "value", "grad", "local grads d node / d input")]
    for node in nodes_in_forward_order(root):
        locals_text = ", ".join(
            f"d {node.label}/d {x.label} = {fmt(local)}"
            for x, local in zip(node.inputs, node.local_grads) if not isinstance(x, Constant))
        rows.append((node.label, expression(node), fmt(node.data), fmt(node.grad), locals_text))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = []
    for index, row in enumerate(rows):
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1]), row[2].rjust(widths[2]),
                 row[3].rjust(widths[3]), row[4]]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("-" * len(lines[0]))
    return lines


def report(title: str, build: Callable[[], Value]) -> List[str]:
    """The table (after ``backward()``) and the step-through (on a fresh copy) of one circuit."""
    lines = [title, "=" * len(title), ""]
    f = build()
    f.backward()
    lines += node_table(f)
    lines += ["", "Backward pass, one gate at a time (for step in f.backward_steps()):"]
    stepped = build()
    lines += [step.describe(PRECISION) for step in stepped.backward_steps()]
    leaves_agree = all(a.grad == b.grad for a, b in zip(nodes_in_forward_order(f),
                                                        nodes_in_forward_order(stepped)))
    lines += [f"(stepping leaves the same gradients as backward(): {leaves_agree})", ""]
    return lines


def one_gate_comparison() -> List[str]:
    """The neuron again with one sigmoid gate: the same gradients, from one local gradient."""
    w0, x0 = Value(2.0, label="w0"), Value(-1.0, label="x0")
    w1, x1 = Value(-3.0, label="w1"), Value(-2.0, label="x1")
    w2 = Value(-3.0, label="w2")
    f = (w0 * x0 + w1 * x1 + w2).sigmoid()
    f.backward()
    primitive = sigmoid_neuron_circuit()
    primitive.backward()
    by_label = {node.label: node for node in nodes_in_forward_order(primitive)}
    fmt = lambda x: format_number(x, PRECISION)  # noqa: E731
    lines = ["The same neuron with ONE sigmoid gate (local gradient (1 - f) f = "
             f"{fmt(f.local_grads[0])}):"]
    pairs: List[Tuple[str, Value]] = [("w0", w0), ("x0", x0), ("w1", w1), ("x1", x1), ("w2", w2)]
    lines += [f"  {label}.grad = {fmt(node.grad):>9}   (8 primitive gates: "
              f"{fmt(by_label[label].grad)})" for label, node in pairs]
    return lines


def main() -> None:
    lines = report("Circuit 1: f = (x + y) * z", add_mul_circuit)
    lines += report("Circuit 2: sigmoid neuron f = 1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))",
                    sigmoid_neuron_circuit)
    lines += one_gate_comparison()
    text = "\n".join(lines) + "\n"
    print(text, end="")
    OUT.mkdir(exist_ok=True)
    (OUT / "circuits.txt").write_text(text)
    print()
    wrote(OUT / "circuits.txt")


if __name__ == "__main__":
    main()
