"""Scalar engine benchmark: circuitgrad's Value against micrograd 0.1.0, in the same process.

Run from the repository root (micrograd is the ``bench`` extra)::

    .venv/bin/pip install micrograd==0.1.0
    .venv/bin/python benchmarks/scalar.py

What is measured (each timing is the median of several repetitions, the two libraries alternating
so that a slow moment of the machine hits both):

1. One MLP training step, each library with its own ``nn.MLP(2, [16, 16, 1])``: forward on a batch
   of 100 points, max-margin loss ``mean(relu(1 - y * score)) + alpha * sum(p * p)``, backward,
   SGD update. Goal: ours <= 0.1 x micrograd. circuitgrad's neuron is one ``w·x+b`` gate, so this
   also measures the smaller graph.
2. The same step written with the scalar operators only (``+ * relu``), so that both libraries
   build exactly the same graph. Goal: ours <= 0.3 x micrograd.
3. Memory per node of that same graph (tracemalloc). Goal: ours <= 1/4 of micrograd.
4. Backward through chains of 10^3 .. 10^6 nodes: time per node must stay flat (linear growth;
   goal: the largest chain costs at most 2 x the smallest per node). micrograd's recursive
   topological sort is tried with the default recursion limit and its RecursionError reported.
5. Overhead over plain Python floats computing the same forward pass as step 1 (a factor, no goal).

The script always exits with code 0 (it is a report) and prints PASS/FAIL per goal.
"""

from __future__ import annotations

import gc
import math
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

import autograd  # noqa: E402
from autograd import nn as cg_nn  # noqa: E402
from autograd.walk import forward_order  # noqa: E402

try:
    import micrograd.engine as mg_engine
    import micrograd.nn as mg_nn
except ImportError:
    sys.exit("micrograd is not installed: .venv/bin/pip install micrograd==0.1.0 (the bench extra)")

BATCH = 100
SIZES = [16, 16, 1]
ALPHA = 1e-4
LEARNING_RATE = 0.01
REPEATS = 7
CHAIN_LENGTHS = (10**3, 10**4, 10**5, 10**6)

GOAL_NN_STEP = 0.1
GOAL_SAME_GRAPH = 0.3
GOAL_MEMORY = 1 / 4
GOAL_FLATNESS = 2.0


def make_batch(n: int = BATCH, seed: int = 0) -> Tuple[List[List[float]], List[float]]:
    """Random 2-D points and labels -1/+1 (the data do not matter for timing, only their size)."""
    generator = np.random.default_rng(seed)
    points = generator.normal(size=(n, 2)).tolist()
    labels = np.where(generator.random(n) > 0.5, 1.0, -1.0).tolist()
    return points, labels


def median_times(runs: Sequence[Tuple[str, Callable[[], object]]], repeats: int = REPEATS) -> dict:
    """Median wall time of each function, running them in turn (order alternating each round)."""
    times: dict = {name: [] for name, _ in runs}
    for round_index in range(repeats):
        order = runs if round_index % 2 == 0 else list(reversed(runs))
        for name, function in order:
            gc.collect()
            start = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


# 1. Each library's own nn.MLP ---------------------------------------------------------------------

def ours_nn_step(model: cg_nn.MLP, points, labels) -> float:
    parameters = model.parameters()
    scores = [model(x) for x in points]
    margins = [(1.0 - y * score).relu() for y, score in zip(labels, scores)]
    data_loss = autograd.sum(margins) * (1.0 / len(margins))
    reg_loss = ALPHA * autograd.sum([p * p for p in parameters])
    loss = data_loss + reg_loss
    model.zero_grad()
    loss.backward()
    for p in parameters:
        p.data -= LEARNING_RATE * p.grad
    return loss.data


def micrograd_nn_step(model: mg_nn.MLP, points, labels) -> float:
    parameters = model.parameters()
    inputs = [[mg_engine.Value(v) for v in x] for x in points]
    scores = [model(x) for x in inputs]
    margins = [(1 + -y * score).relu() for y, score in zip(labels, scores)]
    data_loss = sum(margins) * (1.0 / len(margins))
    reg_loss = ALPHA * sum(p * p for p in parameters)
    loss = data_loss + reg_loss
    model.zero_grad()
    loss.backward()
    for p in parameters:
        p.data -= LEARNING_RATE * p.grad
    return loss.data


# 2. The same graph in both libraries --------------------------------------------------------------

def initial_weights(seed: int = 0) -> List[List[Tuple[List[float], float]]]:
    """Weights of an MLP(2, [16, 16, 1]) as nested lists: layer -> neuron -> (w, b)."""
    generator = random.Random(seed)
    layers, fan_in = [], 2
    for size in SIZES:
        bound = 1 / math.sqrt(fan_in)
        layers.append([([generator.uniform(-bound, bound) for _ in range(fan_in)],
                        generator.uniform(-bound, bound)) for _ in range(size)])
        fan_in = size
    return layers


def as_values(weights, value_type) -> List[List[Tuple[list, object]]]:
    return [[([value_type(w) for w in ws], value_type(b)) for ws, b in layer] for layer in weights]


def flat_parameters(layers) -> list:
    return [p for layer in layers for ws, b in layer for p in ws + [b]]


def operator_forward(layers, points, labels):
    """The step's loss with + * relu only; runs unchanged on either library's Value."""
    last = len(layers) - 1
    margins = []
    for x, y in zip(points, labels):
        activations = x
        for index, layer in enumerate(layers):
            outputs = []
            for ws, b in layer:
                act = b
                for w, a in zip(ws, activations):
                    act = act + w * a
                outputs.append(act.relu() if index < last else act)
            activations = outputs
        margins.append((1 + -y * activations[0]).relu())
    data_loss = sum(margins) * (1.0 / len(margins))
    reg_loss = ALPHA * sum(p * p for p in flat_parameters(layers))
    return data_loss + reg_loss


def operator_step(layers, points, labels) -> float:
    parameters = flat_parameters(layers)
    loss = operator_forward(layers, points, labels)
    for p in parameters:
        p.grad = 0.0
    loss.backward()
    for p in parameters:
        p.data -= LEARNING_RATE * p.grad
    return loss.data


def float_forward(weights, points, labels) -> float:
    """Step 1's forward pass (the loss) with plain Python floats: a scalar engine's floor."""
    last = len(weights) - 1
    total = 0.0
    for x, y in zip(points, labels):
        activations = x
        for index, layer in enumerate(weights):
            outputs = []
            for ws, b in layer:
                act = b
                for w, a in zip(ws, activations):
                    act += w * a
                outputs.append(max(act, 0.0) if index < last else act)
            activations = outputs
        total += max(1.0 - y * activations[0], 0.0)
    reg = math.fsum(p * p for layer in weights for ws, b in layer for p in ws + [b])
    return total / len(points) + ALPHA * reg


def ours_nn_forward(model, points, labels) -> float:
    scores = [model(x) for x in points]
    margins = [(1.0 - y * score).relu() for y, score in zip(labels, scores)]
    reg = ALPHA * autograd.sum([p * p for p in model.parameters()])
    return (autograd.sum(margins) * (1.0 / len(margins)) + reg).data


# 3. Memory per node -------------------------------------------------------------------------------

def count_nodes_micrograd(root) -> int:
    seen, stack = {id(root)}, [root]
    while stack:
        node = stack.pop()
        for child in node._prev:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)


def count_nodes_ours(root) -> int:
    return len(forward_order(root))


def graph_memory(build: Callable[[], object], count: Callable[[object], int]) -> Tuple[int, int]:
    """(bytes allocated while building the graph, number of nodes in it)."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    root = build()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return after - before, count(root)


# 4. Long chains -----------------------------------------------------------------------------------

def chain(value_type, n: int):
    """A chain of ``n`` multiply gates: x, x*c, (x*c)*c, ... with one shared leaf c."""
    c = value_type(1.0000001)
    node = value_type(0.5)
    for _ in range(n):
        node = node * c
    return node


def time_backward(root, repeats: int, pause_gc: bool = False) -> float:
    """Median time of ``repeats`` backward passes over one graph, after one warm-up pass."""
    root.backward()
    times = []
    for _ in range(repeats):
        gc.collect()
        if pause_gc:
            gc.disable()
        start = time.perf_counter()
        root.backward()
        times.append(time.perf_counter() - start)
        gc.enable()
    return statistics.median(times)


def largest_micrograd_chain() -> int:
    """The longest multiply chain micrograd's backward handles, by bisection between 1 and 2000."""
    low, high = 1, 2000
    while low < high:
        middle = (low + high + 1) // 2
        try:
            chain(mg_engine.Value, middle).backward()
            low = middle
        except RecursionError:
            high = middle - 1
    return low


# Report -------------------------------------------------------------------------------------------

class Report:
    """Collects the table rows and the goals that failed."""

    def __init__(self) -> None:
        self.rows: list = []
        self.failures: List[str] = []

    def compare(self, name: str, ours: float, theirs: float, goal: Optional[float]) -> None:
        ratio = ours / theirs
        if goal is None:
            self.rows.append((name, ours, theirs, ratio, "(info)", ""))
            return
        ok = ratio <= goal
        self.rows.append((name, ours, theirs, ratio, f"<= {goal:.3g}", verdict(ok)))
        if not ok:
            self.failures.append(name)

    def print_table(self) -> None:
        print(f"{'measurement':<44} {'ours':>10} {'micrograd':>10} {'ratio':>7} {'goal':>8}")
        for name, ours, theirs, ratio, goal, result in self.rows:
            print(f"{name:<44} {ours:>10.4g} {theirs:>10.4g} {ratio:>7.3f} {goal:>8} {result}")


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def bench_steps(report: Report, points, labels) -> Tuple[cg_nn.MLP, float]:
    autograd.manual_seed(0)
    ours_model = cg_nn.MLP(2, SIZES)
    random.seed(0)
    micrograd_model = mg_nn.MLP(2, SIZES)
    times = median_times([
        ("ours", lambda: ours_nn_step(ours_model, points, labels)),
        ("micrograd", lambda: micrograd_nn_step(micrograd_model, points, labels))])
    report.compare("MLP step, each its own nn.MLP [s]", times["ours"], times["micrograd"],
                   GOAL_NN_STEP)
    nn_step_time = times["ours"]

    weights = initial_weights()
    check_ours = operator_forward(as_values(weights, autograd.Value), points, labels).data
    check_micrograd = operator_forward(as_values(weights, mg_engine.Value), points, labels).data
    if abs(check_ours - check_micrograd) > 1e-12 * max(1.0, abs(check_micrograd)):
        print(f"WARNING: the libraries disagree on the loss: {check_ours!r} vs {check_micrograd!r}")
    ours_layers = as_values(weights, autograd.Value)
    micrograd_layers = as_values(weights, mg_engine.Value)
    times = median_times([("ours", lambda: operator_step(ours_layers, points, labels)),
                          ("micrograd", lambda: operator_step(micrograd_layers, points, labels))])
    report.compare("MLP step, same graph (+ * relu) [s]", times["ours"], times["micrograd"],
                   GOAL_SAME_GRAPH)
    return ours_model, nn_step_time


def bench_memory(report: Report, points, labels) -> None:
    weights = initial_weights()
    ours_bytes, ours_nodes = graph_memory(
        lambda: operator_forward(as_values(weights, autograd.Value), points, labels),
        count_nodes_ours)
    micro_bytes, micro_nodes = graph_memory(
        lambda: operator_forward(as_values(weights, mg_engine.Value), points, labels),
        count_nodes_micrograd)
    assert ours_nodes == micro_nodes, (ours_nodes, micro_nodes)
    report.compare(f"bytes per node, same MLP graph ({ours_nodes} nodes)", ours_bytes / ours_nodes,
                   micro_bytes / micro_nodes, GOAL_MEMORY)
    ours_bytes, ours_nodes = graph_memory(lambda: chain(autograd.Value, 10**5), count_nodes_ours)
    micro_bytes, micro_nodes = graph_memory(lambda: chain(mg_engine.Value, 10**5),
                                            count_nodes_micrograd)
    report.compare("bytes per node, chain of 10^5 muls", ours_bytes / ours_nodes,
                   micro_bytes / micro_nodes, None)


def bench_chains(report: Report) -> None:
    print("\nbackward through a chain of n multiply gates (median of 3 passes)")
    print(f"{'n':>9} {'ours [s]':>9} {'ns/node':>8} {'ns/node, gc paused':>19} "
          f"{'micrograd':>28}")
    per_node = []
    for n in CHAIN_LENGTHS:
        root = chain(autograd.Value, n)
        seconds = time_backward(root, 3)
        paused = time_backward(root, 3, pause_gc=True)
        del root
        per_node.append(seconds / n)
        micro_text = "not tried"
        if n <= 10**4:
            try:
                micro_seconds = time_backward(chain(mg_engine.Value, n), 1)
                micro_text = f"{micro_seconds / n * 1e9:.0f} ns/node"
            except RecursionError:
                micro_text = f"RecursionError (limit {sys.getrecursionlimit()})"
        print(f"{n:>9} {seconds:>9.4f} {seconds / n * 1e9:>8.0f} {paused / n * 1e9:>19.0f} "
              f"{micro_text:>28}")
    growth = max(per_node) / min(per_node)
    ok = growth <= GOAL_FLATNESS
    print(f"time per node, largest / smallest: {growth:.2f} (goal <= {GOAL_FLATNESS}: linear "
          f"growth) {verdict(ok)}")
    if not ok:
        report.failures.append("backward time per node flat over chain lengths")
    print(f"micrograd's longest chain before RecursionError: {largest_micrograd_chain()} gates "
          f"(recursion limit {sys.getrecursionlimit()})")
    bench_torch_chain(report, CHAIN_LENGTHS[-1], seconds)


def bench_torch_chain(report: Report, n: int, ours: float) -> None:
    """The same chain as PyTorch 0-dim float64 tensors (its C++ engine walks it), if installed."""
    try:
        import torch
    except ImportError:
        print("PyTorch not installed: the chain is not compared with its 0-dim graph")
        return
    torch.set_num_threads(1)
    c = torch.tensor(1.0000001, dtype=torch.float64)
    x = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    node = x
    for _ in range(n):
        node = node * c
    node.backward(retain_graph=True)
    times = []
    for _ in range(3):
        gc.collect()
        start = time.perf_counter()
        node.backward(retain_graph=True)
        times.append(time.perf_counter() - start)
    theirs = statistics.median(times)
    del node, x
    ratio = ours / theirs
    ok = ratio <= 1.0
    print(f"a chain of {n} gates, backward: ours {ours:.3f} s, PyTorch 0-dim tensors "
          f"{theirs:.3f} s: {ratio:.2f}x (goal <= 1.0) {verdict(ok)}")
    if not ok:
        report.failures.append("10^6 chain backward against PyTorch")


def bench_float_overhead(model: cg_nn.MLP, nn_step_time: float, points, labels) -> None:
    weights = [[([w.data for w in neuron.w], neuron.b.data) for neuron in layer.neurons]
               for layer in model.layers]
    assert math.isclose(float_forward(weights, points, labels),
                        ours_nn_forward(model, points, labels), rel_tol=1e-12)
    times = median_times([("floats", lambda: float_forward(weights, points, labels)),
                          ("ours", lambda: ours_nn_forward(model, points, labels))])
    floats, forward = times["floats"], times["ours"]
    print(f"\nplain Python floats, the same forward pass as the MLP step: {floats * 1e3:.2f} ms; "
          f"ours {forward * 1e3:.2f} ms forward ({forward / floats:.1f}x), "
          f"{nn_step_time * 1e3:.2f} ms whole step ({nn_step_time / floats:.1f}x)")


def main() -> None:
    started = time.perf_counter()
    python = sys.version.split()[0]
    print(f"circuitgrad {autograd.__version__} vs micrograd 0.1.0, Python {python}, "
          f"batch {BATCH}, MLP(2, {SIZES}), timings are medians of {REPEATS} runs\n")
    points, labels = make_batch()
    report = Report()
    model, nn_step_time = bench_steps(report, points, labels)
    bench_memory(report, points, labels)
    report.print_table()
    bench_chains(report)
    bench_float_overhead(model, nn_step_time, points, labels)
    print(f"\ntotal benchmark time {time.perf_counter() - started:.0f} s")
    if report.failures:
        print("GOALS FAILED: " + "; ".join(report.failures))
    else:
        print("all goals PASS")


if __name__ == "__main__":
    main()
