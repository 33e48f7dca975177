"""examples/backprop_lecture.ipynb runs end to end in a fresh Python kernel, and is kept in git
without outputs (a lecturer runs it; a diff shows only what was written)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "examples" / "backprop_lecture.ipynb"


def test_the_notebook_is_stored_without_outputs():
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(not cell.outputs and cell.execution_count is None for cell in code)
    text = "\n".join(cell.source for cell in notebook.cells)
    for topic in ("(x + y) z", "collapse=True", "viz.frames", "MLP(", "draw_dot"):
        assert topic in text


@pytest.mark.slow
@pytest.mark.needs_dot
def test_the_notebook_runs_end_to_end_with_inline_diagrams(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    if not shutil.which("dot"):
        pytest.skip("needs the Graphviz dot program")
    # A copy in a scratch tree, so the page the notebook writes lands in tmp_path/out; the kernel
    # inherits PYTHONPATH and imports this checkout.
    (tmp_path / "examples").mkdir()
    copy = tmp_path / "examples" / NOTEBOOK.name
    shutil.copy(NOTEBOOK, copy)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT),
                                                                   os.environ.get("PYTHONPATH")])))
    notebook = nbformat.read(copy, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(copy.parent)}})
    client.execute()  # raises CellExecutionError, with the cell and traceback, if a cell fails
    outputs = [output for cell in notebook.cells if cell.cell_type == "code"
               for output in cell.outputs]
    diagrams = [o for o in outputs if "image/svg+xml" in o.get("data", {})]
    assert len(diagrams) >= 9
    text = "".join(o.get("text", "") for o in outputs)
    assert "df/dx = -4.0  df/dy = -4.0  df/dz = 3.0" in text
    assert "step 1/2: f = q * z = -12, upstream grad 1" in text
    assert "dw0 = -0.1966, dx0 = 0.3932, dw1 = -0.3932, dx1 = -0.5898, dw2 = 0.1966" in text
    assert re.search(r"^\d+ frames$", text, flags=re.M)
    assert (tmp_path / "out" / "sigmoid_neuron_steps_notebook.html").is_file()
