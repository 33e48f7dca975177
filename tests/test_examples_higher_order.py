"""The higher-order examples run, write their outputs, and print the right numbers.

Each runs in a subprocess (``python examples/<name>.py --out DIR``) as the README runs it.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from example_runs import EXAMPLES, number_after as _number, run_script


@pytest.mark.slow
def test_second_derivatives_example(tmp_path):
    out = run_script(EXAMPLES / "second_derivatives.py", ["--out", str(tmp_path / "pictures")], tmp_path)
    assert "Newton converged: True" in out
    final = float(re.search(r"Newton converged: True \(x = ([0-9.e-]+)", out).group(1))
    assert final == pytest.approx(math.log(2.0), abs=1e-15)
    # quadratic convergence: the error ratio e_k / e_(k-1)^2 tends to f'''/(2 f'') = 1/2
    ratios = [float(r) for r in re.findall(r"e-?[0-9]+\s+([0-9.]+)\n", out)]
    assert ratios and ratios[-1] == pytest.approx(0.5, abs=0.01)
    assert _number(out, r"max \|engine - hand-derived formula\| =") < 1e-12
    second = _number(out, r"d2y/dx2 =")
    by_hand = _number(out, r"d2y/dx2 = [-0-9.]+ \(by hand")
    assert second == pytest.approx(by_hand, abs=1e-9)
    written = re.search(r"wrote (\S+)", out).group(1)
    path = Path(written)
    assert path.is_absolute() or (tmp_path / path).exists()
    path = path if path.is_absolute() else tmp_path / path
    assert path.suffix in (".svg", ".dot") and path.stat().st_size > 500
    text = path.read_text()
    assert "dy/dx" in text and "tanh" in text


@pytest.mark.slow
def test_gradient_penalty_example(tmp_path):
    out = run_script(EXAMPLES / "gradient_penalty.py", ["--steps", "150", "--out", str(tmp_path / "o")],
                      tmp_path)
    png = tmp_path / "o" / "gradient_penalty.png"
    assert "wrote o/gradient_penalty.png" in out  # relative to where it ran, as every example
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    first = _number(out, r"penalty: mean of the first 20 steps")
    last = _number(out, r"penalty: mean of the first 20 steps\s+[-0-9.]+, of the last 20")
    assert last < first / 10, "the gradient penalty drives the critic's slopes toward norm 1"
    start = _number(out, r"at the start")
    distance = _number(out, r"\(distance")
    assert distance < start, "the generator moves toward the data"
