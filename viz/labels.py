"""The text of a circuit diagram: gate symbols with folded constants, numbers on wires, escaping.

Pure string work (no Graphviz). A gate whose operand is a number shows that number in its symbol,
as in the CS231n notes: ``x + 1`` is the gate ``+1``, ``2 * x`` is ``*2``, ``1 / x`` is ``1/x``,
``x ** 2`` is ``**2``. Numbers are written compactly by :func:`autograd.steps.format_number`;
arrays show their shape, plus their entries when there are only a few.
"""

from __future__ import annotations

import numbers
import re
from typing import Any, Sequence

from autograd import Constant
from autograd.steps import format_number

__all__ = ["is_constant", "gate_symbol", "format_quantity", "format_gradient", "escape_html",
           "printable", "quote", "SMALL_ARRAY"]

SMALL_ARRAY = 4
"""Arrays with at most this many entries show their numbers; larger ones only their shape."""

COMMUTATIVE = frozenset({"+", "*"})


def is_constant(node: Any) -> bool:
    """True for a number used as an operand (a :class:`autograd.Constant` or a node flagged so)."""
    return isinstance(node, Constant) or bool(getattr(node, "is_constant", False))


def _param_text(param: Any, precision: int) -> str:
    if isinstance(param, numbers.Real) and not isinstance(param, bool):
        return format_number(param, precision)
    return str(param)


def gate_symbol(node: Any, folded: Sequence[bool], precision: int = 4) -> str:
    """The text inside a gate: its symbol with folded constant operands and parameters written in.

    Args:
        node: the gate.
        folded: for each input, whether it is a constant drawn inside the gate instead of as a wire.
        precision: significant digits of the folded numbers.

    Returns:
        e.g. ``"+1"`` for ``x + 1``, ``"1/x"`` for ``1 / x``, ``"**2"`` for ``x ** 2``.
    """
    op = node.op
    params = node.params
    if params:
        text = ", ".join(_param_text(p, precision) for p in params)
        op = f"{op}{text}" if len(params) == 1 and not op.isalpha() else f"{op}({text})"
    inputs = node.inputs
    if len(inputs) != 2 or not any(folded):
        return op
    a, b = (format_quantity(x.data, precision) if f else "x" for x, f in zip(inputs, folded))
    if folded[0] and folded[1]:
        return f"{a}{op}{b}"
    if folded[1]:
        return f"{op}{_signed_operand(b, op)}"
    return f"{op}{_signed_operand(a, op)}" if op in COMMUTATIVE else f"{a}{op}x"


def _signed_operand(number: str, op: str) -> str:
    """A negative number after ``+`` or ``-`` in parentheses: ``-(-1)``, not ``--1``."""
    return f"({number})" if number.startswith("-") and op in ("+", "-") else number


def _is_array(x: Any) -> bool:
    return getattr(x, "shape", None) is not None and not isinstance(x, numbers.Number)


def _entries(x: Any, precision: int) -> str:
    return "[" + ", ".join(format_number(v, precision) for v in x.reshape(-1).tolist()) + "]"


def format_quantity(x: Any, precision: int = 4) -> str:
    """A value for a wire: a number, a small array's entries, or a large array's shape."""
    if not _is_array(x):
        return format_number(x, precision)
    shape = tuple(x.shape)
    if len(shape) == 0:
        return format_number(x.reshape(()), precision)
    if x.size <= SMALL_ARRAY:
        entries = _entries(x, precision)
        return entries if len(shape) == 1 else f"{shape} {entries}"
    return str(shape)


def format_gradient(g: Any, precision: int = 4) -> str:
    """A gradient for a wire: like :func:`format_quantity`, but a large array shows its norm."""
    if not _is_array(g) or len(g.shape) == 0 or g.size <= SMALL_ARRAY:
        return format_quantity(g, precision)
    norm = float((g.astype(float) ** 2).sum()) ** 0.5
    return f"{tuple(g.shape)} \u2016g\u2016={format_number(norm, precision)}"


# Graphviz's XML parser refuses C0 control characters, and text that is not valid Unicode (a lone
# surrogate, as Python decodes undecodable bytes of a command line) cannot be written as UTF-8.
_UNPRINTABLE = re.compile(r"[\x00-\x09\x0b-\x1f\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` without C0 control characters (a tab becomes a space; newlines are kept) and with
    invalid Unicode (lone surrogates) replaced by U+FFFD, so Graphviz can always read it."""
    return _UNPRINTABLE.sub(_replacement, text.replace("\r\n", "\n").replace("\r", "\n"))


def _replacement(match: "re.Match[str]") -> str:
    char = match.group()
    if char == "\t":
        return " "
    return "\ufffd" if "\ud800" <= char <= "\udfff" else ""


def escape_html(text: str) -> str:
    """``text`` safe inside a Graphviz HTML-like label (see :func:`printable`)."""
    return (printable(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def quote(text: str) -> str:
    """``text`` as a double-quoted DOT string (see :func:`printable`)."""
    text = printable(text)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'

