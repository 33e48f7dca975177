"""Drawing benchmark: a capped drawing costs what it shows, not what the graph holds.

Run from the repository root::

    .venv/bin/python benchmarks/draw.py            # a few seconds; exit 1 if a goal is missed

What is measured (medians of 5 runs, the two sizes alternating):

1. ``viz.to_dot`` with the default cap (300 boxes) of a chain of 10^6 ``+`` gates against the same
   drawing of a 20,000-gate chain (both beyond what the "... N more nodes" note counts, 10,000).
   Goal: <= 1.5 x: the cap builds only the part shown and counts a bounded rest, so the cost
   does not grow with the graph. (Before the cap, drawing the 10^6 chain took 50-80 s and 0.8-1.6
   GB more memory.)
2. Peak traced memory of the same two drawings. Goal: <= 1.5 x.
3. Graphviz's ``dot`` on a fan-out ``x + x + ... + x`` of 500 terms drawn whole against 50 terms.
   Goal: <= 20 x the time for 10 x the terms (near-linear; it was quadratic, 80 terms over 2
   minutes, before inputs that fan out widely were drawn again beside each gate). Skipped
   without ``dot``.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import viz  # noqa: E402
from autograd import Value  # noqa: E402


def chain(n: int) -> Value:
    node = Value(1.0, label="x")
    for _ in range(n):
        node = node + 1e-6
    node.backward()
    return node


def fan_out(n: int) -> Value:
    x = Value(2.0, label="x")
    f = x
    for _ in range(n - 1):
        f = f + x
    f.backward()
    return f


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def peak(fn) -> int:
    tracemalloc.start()
    fn()
    peak_bytes = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak_bytes


def main() -> int:
    big, small = chain(10**6), chain(20_000)
    times = {"big": [], "small": []}
    for _ in range(5):
        times["big"].append(timed(lambda: viz.to_dot(big)))
        times["small"].append(timed(lambda: viz.to_dot(small)))
    t_big, t_small = statistics.median(times["big"]), statistics.median(times["small"])
    m_big, m_small = peak(lambda: viz.to_dot(big)), peak(lambda: viz.to_dot(small))
    rows = [("capped to_dot, 10^6 vs 2*10^4 gates: time", t_big / t_small, 1.5),
            ("capped to_dot, 10^6 vs 2*10^4 gates: peak memory", m_big / m_small, 1.5)]
    print(f"to_dot: 10^6-gate chain {t_big * 1e3:.0f} ms, {m_big / 2**20:.1f} MiB; "
          f"20,000-gate chain {t_small * 1e3:.0f} ms, {m_small / 2**20:.1f} MiB")
    if shutil.which("dot"):
        runs = {}
        for n in (50, 500):
            source = viz.to_dot(fan_out(n), max_nodes=None).encode()
            runs[n] = statistics.median(
                timed(lambda: subprocess.run(["dot", "-Tsvg"], input=source, check=True,
                                             capture_output=True)) for _ in range(3))
        print(f"dot on x + ... + x: 50 terms {runs[50]:.2f} s, 500 terms {runs[500]:.2f} s")
        rows.append(("dot, fan-out of 500 vs 50 terms", runs[500] / runs[50], 20.0))
    else:
        print("dot not found: the layout goal is skipped")
    failed = 0
    for name, ratio, goal in rows:
        ok = ratio <= goal
        failed += not ok
        print(f"{name:<48} {ratio:6.2f} x  (goal <= {goal:g} x)  {'PASS' if ok else 'FAIL'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
