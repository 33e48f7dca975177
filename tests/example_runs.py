"""Running an example or a benchmark script as a user would, for the tests of their output."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Collection, List

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def run_script(path: Path, args: List[str], cwd: Path, ok: Collection[int] = (0,)) -> str:
    """Run ``python path args`` in ``cwd`` (matplotlib without a screen); its standard output,
    or a failure showing both streams unless it exits with a code in ``ok``."""
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, str(path), *args], cwd=cwd, env=env,
                          capture_output=True, text=True)
    assert done.returncode in ok, (f"{path.name} exited with {done.returncode}\n"
                                   f"--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}")
    return done.stdout


def number_after(text: str, pattern: str) -> float:
    """The number following the regular expression ``pattern`` in ``text``."""
    match = re.search(pattern + r"\s*([-+]?[0-9.]+(?:e[-+]?[0-9]+)?)", text)
    assert match, f"no number after {pattern!r} in:\n{text}"
    return float(match.group(1))
