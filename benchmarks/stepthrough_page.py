"""Step-through page benchmark: page size and memory against the number of gates.

Run from the repository root (needs Graphviz's ``dot``)::

    .venv/bin/python benchmarks/stepthrough_page.py          # about a minute
    .venv/bin/python benchmarks/stepthrough_page.py 1000     # also a 1,000-gate formula

The formula is ``w0*x0 + w1*x1 + ...`` (one ``*`` and one ``+`` gate per term). For each size the
page is written in a fresh process, which reports the page's bytes and the peak memory of Python
and of ``dot``. The page draws the circuit once and stores only the per-frame changes, so its bytes
per gate stay flat. Goal: the largest page costs at most 1.5 x the smallest per gate (an earlier
page, which held one full SVG per frame, grew with the square of the gate count: 4x the gates,
16x the bytes). The script always exits with code 0 (it is a report) and prints PASS or FAIL.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL = 1.5


def measure(terms: int, path: Path) -> dict:
    """Write the page of a ``terms``-term formula (in this process); its numbers as a dict."""
    sys.path.insert(0, str(ROOT))
    from autograd.walk import backward_order
    from viz.expression import build
    from viz.stepthrough import write_stepthrough

    formula = " + ".join(f"w{i}*x{i}" for i in range(terms))
    values = {f"{v}{i}": i % 5 - 2 for i in range(terms) for v in "wx"}
    root = build(formula, values).output
    write_stepthrough(root, path)
    return {"gates": len(backward_order(root)), "bytes": path.stat().st_size,
            "python_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "dot_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def main(sizes: list) -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for gates in sizes:
            terms = gates // 2 + 1
            out = subprocess.run([sys.executable, __file__, "--one", str(terms),
                                  os.path.join(tmp, f"{terms}.html")],
                                 capture_output=True, text=True, check=True)
            rows.append(json.loads(out.stdout))
    print(f"{'gates':>6} {'page bytes':>12} {'bytes/gate':>10} {'python MB':>9} {'dot MB':>7}")
    for row in rows:
        print(f"{row['gates']:>6} {row['bytes']:>12,} {row['bytes'] / row['gates']:>10,.0f} "
              f"{row['python_mb']:>9.0f} {row['dot_mb']:>7.0f}")
    per_gate = [row["bytes"] / row["gates"] for row in rows]
    ratio = per_gate[-1] / per_gate[0]
    verdict = "PASS" if ratio <= GOAL else "FAIL"
    print(f"bytes per gate, largest / smallest: {ratio:.2f} (goal <= {GOAL}) {verdict}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        print(json.dumps(measure(int(sys.argv[2]), Path(sys.argv[3]))))
    else:
        main([50, 200] + [int(n) for n in sys.argv[1:]])
