"""What every example shares about its output: one "wrote out/..." line per file, quiet progress.

* :func:`wrote` prints ``wrote out/xyz_circuit.svg``: the path relative to the current directory
  when it lies inside it, so the main job's log lists exactly what ``ls out`` shows.
* :func:`progress` wraps a loop in a tqdm bar that redraws at most once a second and stays silent
  when the output is not a terminal (a log file, CI, a pipe), where a bar's carriage returns would
  pile up into one enormous line. Without tqdm it is the plain loop.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Iterable, Tuple, Union

__all__ = ["wrote", "progress", "BAR_INTERVAL"]

BAR_INTERVAL = 1.0
"""Seconds between two redraws of a progress bar."""


def wrote(path: Union[str, Path]) -> str:
    """Print (and return) ``wrote <path>``, the path relative to the current directory if inside."""
    path = Path(path)
    try:
        shown = path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        shown = path
    line = f"wrote {shown.as_posix()}"
    print(line, flush=True)
    return line


def progress(iterable: Iterable, desc: str, enabled: bool = True, **options: Any
             ) -> Tuple[Iterable, Any]:
    """``(loop, bar)``: a tqdm bar over ``iterable`` on a terminal, else ``(iterable, None)``.

    Update the bar's numbers with ``bar.set_postfix(..., refresh=False)``: they are then drawn
    with the next redraw, not on every step.
    """
    if not enabled or not sys.stderr.isatty():
        return iterable, None
    try:
        from tqdm import tqdm
    except ImportError:
        return iterable, None
    bar = tqdm(iterable, desc=desc, mininterval=BAR_INTERVAL, maxinterval=10 * BAR_INTERVAL,
               disable=None, dynamic_ncols=True, **options)
    return bar, bar
