"""The circuit editor's answers: a formula and its variables' values in, diagrams out.

Everything a page sends is text from a stranger, so it is checked before any work is done:

* the formula goes through :mod:`viz.expression`, the command line's whitelist parser (it is read
  with :func:`ast.parse` and walked, never run), and is capped at :data:`MAX_FORMULA` characters
  and :data:`MAX_GATES` gates, since every gate is one more Graphviz run in the step-through;
* each value must be a finite number of magnitude at most :data:`MAX_MAGNITUDE`;
* at most :data:`MAX_VARIABLES` variables.

A variable without a value in the request gets :data:`DEFAULT_VALUE`, so typing a new formula
draws at once. Every problem is an :class:`EditorError` with a one-line message the page shows.
"""

from __future__ import annotations

import ast
import math
import re
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Mapping, Tuple

from autograd.steps import format_number
from autograd.walk import backward_order

from ..expression import FUNCTIONS, ExpressionError, Formula, build

__all__ = ["EditorError", "MAX_FORMULA", "MAX_GATES", "MAX_VARIABLES", "MAX_MAGNITUDE",
           "DEFAULT_VALUE", "PRECISION", "variable_names", "read_values", "build_checked",
           "circuit_answer", "diagram_bytes", "stepthrough_page"]

MAX_FORMULA = 400
"""The longest formula the page accepts, in characters."""

MAX_GATES = 40
"""The most gates a formula may have on the page (each is one frame of the step-through)."""

MAX_VARIABLES = 12
"""The most variables a formula may have on the page (one field and slider each)."""

MAX_MAGNITUDE = 1e6
"""The largest magnitude of a variable's value."""

DEFAULT_VALUE = 1.0
"""The value of a variable the request gives no value for."""

PRECISION = 4
"""Significant digits of the numbers on the page, as the command line's default."""

_DRAW_OPTIONS = dict(local_grads=True, precision=PRECISION)
_SVG_PROLOG = re.compile(r"<\?xml.*?\?>|<!DOCTYPE.*?>|<!--.*?-->", re.S)


class EditorError(ValueError):
    """A formula or value the page cannot draw; the message is one line, shown under the box."""


def variable_names(text: str) -> List[str]:
    """The variables of a formula in the order they first appear (``[]`` if it does not parse;
    :func:`build_checked` then reports the syntax error)."""
    if not isinstance(text, str) or len(text) > MAX_FORMULA or "\0" in text:
        return []
    try:
        tree = ast.parse(" ".join(text.split()), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    names = sorted((node.col_offset, node.id) for node in ast.walk(tree)
                   if isinstance(node, ast.Name) and node.id not in FUNCTIONS)
    return list(dict.fromkeys(name for _, name in names))


def read_values(names: List[str], given: Mapping[str, str]) -> Dict[str, float]:
    """The value of each name: from ``given`` (text, as in a URL) or :data:`DEFAULT_VALUE`.

    Raises:
        EditorError: too many variables, or a value that is not a finite number within
            ``+-MAX_MAGNITUDE``.
    """
    if len(names) > MAX_VARIABLES:
        raise EditorError(f"the formula has {len(names)} variables; the page takes at most "
                          f"{MAX_VARIABLES}")
    values = {}
    for name in names:
        text = given.get(name)
        if text is None or not str(text).strip():
            values[name] = DEFAULT_VALUE
            continue
        text = str(text).strip()
        try:
            value = float(text) if len(text) <= 40 else math.nan
        except ValueError:
            raise EditorError(f"the value of {name} is not a number: {name}={text[:40]}") from None
        if not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
            raise EditorError(f"the value of {name} must be a number between {-MAX_MAGNITUDE:g} "
                              f"and {MAX_MAGNITUDE:g}, got {name}={text[:40]}")
        values[name] = value
    return values


def build_checked(text: str, given: Mapping[str, str]) -> Formula:
    """Parse a formula with the page's caps and run its backward pass.

    Args:
        text: the formula.
        given: values of the variables as text (other names are ignored).

    Raises:
        EditorError: the formula is empty, too long, not allowed, invalid or too big, or a value
            is out of range; the message is one line.
    """
    if not isinstance(text, str) or not text.strip():
        raise EditorError("type a formula, e.g. (x+y)*z")
    if len(text) > MAX_FORMULA:
        raise EditorError(f"the formula is {len(text)} characters long; the page takes at most "
                          f"{MAX_FORMULA}")
    values = read_values(variable_names(text), given)
    try:
        formula = build(text, values)
    except ExpressionError as error:
        raise EditorError(" ".join(str(error).split())) from None
    except (ArithmeticError, ValueError, RecursionError, MemoryError) as error:
        raise EditorError(" ".join(str(error).split()) or type(error).__name__) from None
    gates = sum(1 for node in backward_order(formula.output) if node.inputs)
    if gates > MAX_GATES:
        raise EditorError(f"the formula has {gates} gates; the page draws at most {MAX_GATES}")
    try:
        formula.output.backward()
    except ArithmeticError as error:
        raise EditorError(" ".join(str(error).split())) from None
    return formula


def _inline(svg: str) -> str:
    """SVG text fit to put into a page's HTML (no XML prolog, DOCTYPE or comments)."""
    return _SVG_PROLOG.sub("", svg).strip()


def circuit_answer(text: str, given: Mapping[str, str]) -> Dict[str, Any]:
    """What the editor shows for a formula: the numbers and the step-through frames.

    Returns:
        A JSON-ready dict: ``expr``; ``variables`` (name, value, gradient, each number also as
        text); ``output`` (value and text); ``frames`` (``svg`` and ``caption`` of each frame:
        frame 0 is the forward pass, the last one shows every gradient).

    Raises:
        EditorError: as :func:`build_checked`; viz.GraphvizNotFound / GraphvizFailed.
    """
    from ..stepthrough import frames

    formula = build_checked(text, given)
    output = formula.output
    shown = frames(output, caption_in_diagram=False, **_DRAW_OPTIONS)
    return {
        "expr": text,
        "output": {"value": output.data, "text": format_number(output.data, PRECISION)},
        "variables": [{"name": name, "value": leaf.data, "grad": leaf.grad,
                       "value_text": format_number(leaf.data, PRECISION),
                       "grad_text": format_number(leaf.grad, PRECISION)}
                      for name, leaf in formula.variables.items()],
        "frames": [{"svg": _inline(frame.svg), "caption": frame.caption,
                    "active": frame.active_id} for frame in shown],
    }


def diagram_bytes(text: str, given: Mapping[str, str], fmt: str) -> Tuple[bytes, str]:
    """The full diagram (every gradient and local gradient) as ``svg`` or ``png`` bytes, and its
    media type."""
    from ..render import render_svg, save

    if fmt not in ("svg", "png"):
        raise EditorError(f"the diagram can be downloaded as svg or png, not {fmt!r}")
    formula = build_checked(text, given)
    if fmt == "svg":
        return render_svg(formula.output, **_DRAW_OPTIONS).encode("utf-8"), "image/svg+xml"
    with tempfile.TemporaryDirectory(prefix="circuitgrad-") as folder:
        path = save(formula.output, Path(folder) / "circuit.png", **_DRAW_OPTIONS)
        return path.read_bytes(), "image/png"


def stepthrough_page(text: str, given: Mapping[str, str]) -> str:
    """The self-contained step-through HTML page of :func:`viz.write_stepthrough`."""
    from ..stepthrough import write_stepthrough

    formula = build_checked(text, given)
    with tempfile.TemporaryDirectory(prefix="circuitgrad-") as folder:
        path = write_stepthrough(formula.output, Path(folder) / "steps.html", title=text,
                                 **_DRAW_OPTIONS)
        return path.read_text(encoding="utf-8")
