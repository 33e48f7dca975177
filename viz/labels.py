"""The text of a circuit diagram: gate symbols with folded constants, numbers on wires, escaping.

Pure string work (no Graphviz). A gate whose operand is a number shows that number in its symbol,
as in the CS231n notes: ``x + 1`` is the gate ``+1``, ``2 * x`` is ``*2``, ``1 / x`` is ``1/x``,
``x ** 2`` is ``**2``. Numbers are written compactly by :func:`autograd.steps.format_number`;
arrays show their shape, plus their entries when there are only a few.
"""

from __future__ import annotations

import html
import numbers
import re
from typing import Any, Iterable, Iterator, Sequence

from autograd import Constant
from autograd.steps import format_number

__all__ = ["is_constant", "gate_symbol", "format_quantity", "format_gradient", "escape_html",
           "printable", "quote", "check_dot_strings", "LabelTooLong", "LABEL_LIMIT",
           "SMALL_ARRAY"]

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


# What no output can carry: C0 control characters (a tab becomes a space, a newline is kept), DEL
# and the C1 controls (some terminals act on them), lone surrogates (not Unicode: Python decodes
# undecodable bytes of a command line to them, and they cannot be written as UTF-8) and the
# noncharacters U+FDD0..U+FDEF and U+xFFFE/U+xFFFF (XML forbids U+FFFE and U+FFFF).
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef"
                          + "".join(f"{chr(plane + 0xFFFE)}{chr(plane + 0xFFFF)}"
                                    for plane in range(0, 0x110000, 0x10000)) + "]")

LABEL_LIMIT = 16381
"""The most bytes of label text Graphviz's DOT reader takes in one run: in an HTML-like label
(a title, a wire's numbers) between two tags or line breaks, in a quoted one between two
backslash escapes. One line of a title, or a label without escapes, is one run.

Measured with Graphviz 2.43 by bisection on the DOT :mod:`viz.layout` writes: a title or label of
16,381 ASCII letters renders and 16,382 fail with "syntax error ... longer than 16384?"; the count
is of UTF-8 bytes after escaping, so it is 3,276 ``&`` signs (each written ``&amp;``) or 5,460
``€`` signs. A title of several lines may have this many in each line."""


class LabelTooLong(ValueError):
    """A label or title is longer than Graphviz can read (see :data:`LABEL_LIMIT`)."""


def printable(text: str) -> str:
    """``text`` as every output shows it: without the characters no output can carry (C0 and C1
    control characters, lone surrogates, noncharacters such as U+FFFE); a tab becomes a space, a
    carriage return a newline, and newlines are kept. Everything else (quotes, ``&``, ``<``,
    right-to-left marks ...) is kept as typed; escaping it is the job of :func:`quote` and
    :func:`escape_html`."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return _UNPRINTABLE.sub("", text)


def escape_html(text: str) -> str:
    """``text`` (see :func:`printable`) inside a Graphviz HTML-like label, shown as typed.

    Graphviz decodes entities and then, even in HTML-like labels, expands ``\\N`` (the node's
    name), ``\\G`` (the graph's) ...: ``& < > "`` become entities and a backslash is doubled."""
    return (printable(text).replace("\\", "\\\\").replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;").replace('"', "&quot;"))


def quote(text: str) -> str:
    """``text`` (see :func:`printable`) as a double-quoted DOT string, shown as typed.

    Graphviz reads ``\\`` escapes (``\\n``, ``\\N`` ...) and, in every label, HTML entities
    (``&amp;``, ``&#1;``): a backslash is doubled and ``&`` written ``&amp;``, so a label such as
    ``&#xD800;`` or ``\\N`` is drawn as those characters, never decoded."""
    text = printable(text).replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;")
    return '"' + text.replace("\n", "\\n") + '"'


def check_dot_strings(lines: Iterable[str]) -> None:
    """Raise :class:`LabelTooLong` if a run of label text in these DOT statements is longer than
    Graphviz reads (:data:`LABEL_LIMIT`), instead of letting ``dot`` fail with a syntax error.
    Only a statement longer than the limit as a whole is looked into."""
    for line in lines:
        if len(line) <= LABEL_LIMIT // 4 or len(line.encode("utf-8", "replace")) <= LABEL_LIMIT:
            continue
        for run in _runs(line):
            size = len(run.encode("utf-8", "replace"))
            if size > LABEL_LIMIT:
                what = "the title" if line.lstrip().startswith("graph [") else "a label"
                raise LabelTooLong(
                    f"{what} is too long for Graphviz: one line of it is {size:,} bytes of DOT "
                    f"text, and Graphviz reads at most {LABEL_LIMIT:,} (as many plain letters, "
                    f"3,276 '&' or 5,460 '€'); shorten it or break it into lines (it starts "
                    f"{_text_of(run)!r})")


_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')


def _runs(line: str) -> Iterator[str]:
    """The runs of text Graphviz's reader takes one at a time: a quoted string between its
    backslash escapes, anything else (HTML-like labels) between ``<``, ``>`` and line breaks."""
    last = 0
    for quoted in _QUOTED.finditer(line):
        yield from re.split(r"[<>\n]", line[last:quoted.start()])
        yield from re.split(r"\\.", quoted.group()[1:-1])
        last = quoted.end()
    yield from re.split(r"[<>\n]", line[last:])


def _text_of(run: str) -> str:
    """The first words of a run of DOT label text as the user typed them, for a message."""
    text = " ".join(html.unescape(run.replace("\\\\", "\\")).split())
    return text if len(text) <= 30 else text[:27] + "..."
