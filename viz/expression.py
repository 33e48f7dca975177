"""Turn a formula typed on the command line into a circuit of :class:`~autograd.Value` nodes.

>>> from viz.expression import build
>>> values = {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}
>>> formula = build("1/(1+exp(-(w0*x0+w1*x1+w2)))", values)
>>> round(formula.output.data, 4)
0.7311

The text is read with :func:`ast.parse` and never run: the syntax tree is walked against a small
whitelist (numbers, names, ``+ - * / **``, unary minus and plus, parentheses, and calls of the
engine's one-argument functions, :data:`FUNCTIONS`, read from the op table). Everything else (attribute
access, subscripts, strings, lambdas, comprehensions, other calls ...) is refused with an
:class:`ExpressionError` that names it, so a formula can do nothing but build Values.

Each variable becomes one leaf ``Value(number, label=name)`` shared by every occurrence, so
``x*x`` is a ``*`` gate with the same leaf on both inputs (fan-out) and ``x.grad`` sums both paths.
A number in the text becomes a :class:`~autograd.Constant` operand, as it would in Python code;
``-2`` is the number -2 (not a negation gate), and a number exponent (``x**2``) is a parameter
of the ``**`` gate, as ``x ** 2`` is in the engine. An operation on numbers only is computed, not
drawn: ``x*(2*3)`` is ``x*6`` and ``x**(2*1)`` is ``x**2`` (with the engine's strict-mode errors,
so ``1/0`` is still refused). Newlines count as spaces; a ``#`` is refused, since Python would
read the rest of the line as a comment that the printed formula and the page title still show.

Errors say where first (``at column 3: unknown name 'y' (give it a value, e.g. y=1.5)``). Python's
parser stops near 3,000 levels of nesting (each operator of a chain such as ``x+x+...+x`` is a
level); beyond that, or beyond :data:`MAX_LENGTH` characters, the error comes at once.
"""

from __future__ import annotations

import ast
import keyword
import math
import sys
import unicodedata
from dataclasses import dataclass
from typing import Dict, Iterable, List, Mapping, Tuple, Union

from autograd import Constant, Value, ops

__all__ = ["ExpressionError", "Formula", "FUNCTIONS", "MAX_LENGTH", "build", "parse",
           "parse_assignment", "parse_assignments"]

_CALLS = {op.parser: op.method for op in ops.ALL_OPS if op.parser}
FUNCTIONS = tuple(_CALLS)
"""The functions a formula may call: the op table's rows with a ``parser`` name, each one gate
of the engine (a :class:`Value` method)."""

MAX_LENGTH = 10_000
"""The longest formula accepted, in characters; a diagram of more gates is unreadable anyway."""

_ALLOWED_FUNCTIONS = ", ".join(FUNCTIONS)
_SNIPPET = 40

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_OTHER_OPERATORS = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<",
                    ast.RShift: ">>", ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&",
                    ast.Not: "not", ast.Invert: "~"}

# What to call each kind of syntax a formula may not contain.
_FORBIDDEN = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscript",
    ast.Slice: "slice",
    ast.Lambda: "lambda",
    ast.ListComp: "list comprehension",
    ast.SetComp: "set comprehension",
    ast.DictComp: "dict comprehension",
    ast.GeneratorExp: "generator expression",
    ast.Compare: "comparison",
    ast.BoolOp: "boolean operator (and/or)",
    ast.IfExp: "conditional expression (... if ... else ...)",
    ast.NamedExpr: "assignment expression (:=)",
    ast.JoinedStr: "f-string",
    ast.FormattedValue: "f-string",
    ast.List: "list",
    ast.Tuple: "tuple",
    ast.Set: "set",
    ast.Dict: "dict",
    ast.Starred: "starred expression",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}


class ExpressionError(ValueError):
    """A formula or a variable assignment that cannot be turned into a circuit; one-line message."""


@dataclass
class Formula:
    """A parsed formula.

    Attributes:
        text: the formula as typed.
        output: the root node (call ``output.backward()`` for gradients).
        variables: the leaf of each variable the formula uses, in the order the values were given.
    """

    text: str
    output: Value
    variables: Dict[str, Value]


def parse(text: str, variables: Mapping[str, Union[float, int, str, Value]]) -> Value:
    """The circuit for a formula: its output node (see :func:`build` for the named leaves too).

    Args:
        text: a formula such as ``"1/(1+exp(-(w0*x0+w1*x1+w2)))"``.
        variables: a value for each name in the formula: a number, a number as text (``"-1.5"``),
            or a :class:`Value` to use as that leaf.

    Raises:
        ExpressionError: the formula is not allowed or not valid, a name has no value, or an
            operation leaves its domain (``log(-1)``, ``1/0``) in strict mode.
    """
    return build(text, variables).output


def build(text: str, variables: Mapping[str, Union[float, int, str, Value]]) -> Formula:
    """Parse a formula and build its circuit; returns the output and the variables' leaves.

    Args:
        text: the formula.
        variables: a value for each name (see :func:`parse`); names the formula does not use are
            ignored.

    Raises:
        ExpressionError: as for :func:`parse`.
    """
    tree = _syntax_tree(text)
    leaves = {name: _leaf(name, value) for name, value in variables.items()}
    output = _Evaluator(text, leaves).run(tree.body)
    if not isinstance(output, Value):
        raise ExpressionError(f"the formula {_quote(text)} is a single number; use variables "
                              "(e.g. \"x*y\" x=2 y=3) to get a circuit")
    used = _names_used(tree)
    return Formula(text, output, {name: leaf for name, leaf in leaves.items() if name in used})


def parse_assignment(text: str) -> Tuple[str, float]:
    """``"w0=2"`` as ``("w0", 2.0)``.

    Raises:
        ExpressionError: no ``=``, an invalid or reserved name, or a value that is not a finite
            number.
    """
    name, sep, number = text.partition("=")
    name = unicodedata.normalize("NFKC", name.strip())  # as Python normalizes identifiers
    if not sep:
        raise ExpressionError(f"variable {_quote(text)} has no value: write it as NAME=NUMBER, "
                              f"e.g. {name or 'x'}=2")
    if not name:
        raise ExpressionError(f"assignment {_quote(text)} has no name: write it as NAME=NUMBER, "
                              "e.g. x=2")
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ExpressionError(f"{_quote(name)} is not a valid variable name (in {_quote(text)}): "
                              "use letters, digits and _, e.g. w0=2")
    if name in FUNCTIONS:
        raise ExpressionError(f"{name} is a function, not a variable (in {_quote(text)}); "
                              f"the functions are {_ALLOWED_FUNCTIONS}")
    return name, _number(name, number.strip())


def parse_assignments(items: Iterable[str]) -> Dict[str, float]:
    """Several ``NAME=NUMBER`` texts as a dict, in the order given; no name may come twice."""
    values: Dict[str, float] = {}
    for item in items:
        name, value = parse_assignment(item)
        if name in values:
            raise ExpressionError(f"variable {name} is given twice ({name}={values[name]:g} and "
                                  f"{item.strip()})")
        values[name] = value
    return values


def _number(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ExpressionError(f"the value of {name} is not a number: {name}={text}") from None
    if not math.isfinite(value):
        raise ExpressionError(f"the value of {name} must be a finite number, got {name}={text}")
    return value


def _leaf(name: str, value: Union[float, int, str, Value]) -> Value:
    if isinstance(value, Value):
        return value
    if isinstance(value, str):
        return Value(_number(name, value.strip()), label=name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ExpressionError(f"the value of {name} must be a number, got "
                              f"{type(value).__name__} {value!r:.40}")
    if not math.isfinite(value):
        raise ExpressionError(f"the value of {name} must be a finite number, got {value!r}")
    return Value(float(value), label=name)


def _syntax_tree(text: str) -> ast.Expression:
    if not isinstance(text, str):
        raise ExpressionError(f"the formula must be a string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the formula is {len(text)} characters long; at most {MAX_LENGTH} "
                              "are accepted")
    if not text.strip():
        raise ExpressionError("the formula is empty")
    if "\0" in text:
        raise ExpressionError("the formula contains a null character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:  # a lone surrogate: bytes that were not valid UTF-8
        bad = text[error.start:error.end].encode("utf-8", "surrogateescape")
        raise ExpressionError(f"the formula {_quote(text)} is not valid UTF-8 text (bytes "
                              f"{bad!r} at character {error.start + 1})") from None
    text = _one_line(text)
    if "#" in text:  # Python would drop the rest of the line as a comment, unseen
        raise ExpressionError(f"at column {text.index('#') + 1}: '#' is not allowed in a formula "
                              "(a Python comment would hide the rest of it)")
    try:
        return ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        reason = (error.msg or "invalid syntax").split(" (")[0]
        if reason.startswith("Exceeds the limit"):  # Python's cap on int digits
            raise ExpressionError(f"a number in the formula {_quote(text)} is too long: at most "
                                  f"{_max_int_digits()} digits") from None
        column = error.offset or 0  # 1-based; 0 when the formula ended too early
        indent = len(text) - len(text.lstrip())
        where = f" at column {column + indent}" if column else " at the end"
        raise ExpressionError(f"syntax error{where} in {_quote(text)}: {reason}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError("the formula is nested too deeply to parse: Python's parser allows "
                              "about 3,000 levels, and each operator of a chain such as x+x+...+x "
                              "is one") from None


def _one_line(text: str) -> str:
    """The formula with each line break as a space (column numbers stay the same)."""
    return text.replace("\r", " ").replace("\n", " ")


def _max_int_digits() -> int:
    limit = getattr(sys, "get_int_max_str_digits", lambda: 4300)()
    return limit or 4300


def _names_used(tree: ast.AST) -> set:
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= _SNIPPET else text[:_SNIPPET - 3] + "...")


class _Evaluator:
    """Checks each syntax node against the whitelist and builds its Value, without recursion.

    The walk is post-order with an explicit stack: a node is expanded (checked, its operands
    pushed), then combined once its operands are built. ``ast.parse`` already caps the nesting
    depth; an explicit stack means nothing here adds a second cap.
    """

    def __init__(self, text: str, leaves: Mapping[str, Value]):
        text = _one_line(text)
        self.text = text.strip()
        self.indent = len(text) - len(text.lstrip())
        self.leaves = leaves

    def run(self, root: ast.expr) -> Union[Value, float]:
        built: Dict[int, Union[Value, float]] = {}
        stack: List[Tuple[ast.expr, bool]] = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                operands = [built.pop(id(x)) for x in self._operands(node)]
                built[id(node)] = self._combine(node, operands)
                continue
            self._check(node)
            stack.append((node, True))
            stack.extend((x, False) for x in reversed(self._operands(node)))
        return built[id(root)]

    # What a node is allowed to be.
    def _check(self, node: ast.AST) -> None:
        if isinstance(node, ast.Constant):
            self._number(node)
        elif isinstance(node, ast.Name):
            self._variable(node)
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                self._fail(node, f"operator {_OTHER_OPERATORS.get(type(node.op), '?')!r} is not "
                           "supported (use + - * / **)")
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                self._fail(node, f"operator {_OTHER_OPERATORS.get(type(node.op), '?')!r} is not "
                           "supported (use + - * / **)")
        elif isinstance(node, ast.Call):
            self._call(node)
        else:
            what = _FORBIDDEN.get(type(node), type(node).__name__)
            self._fail(node, f"{what} is not allowed in a formula")

    def _number(self, node: ast.Constant) -> float:
        value = node.value
        kind = type(value)
        if kind is bool:
            self._fail(node, f"{value} is a boolean, not a number")
        if kind is complex:
            self._fail(node, "complex numbers are not supported")
        if kind is str:
            self._fail(node, "a string is not allowed in a formula")
        if kind not in (int, float):
            self._fail(node, f"{value!r:.20} is not a number")
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            self._fail(node, "the number is too large for float64 (at most about 1.8e308)")
        return number

    def _variable(self, node: ast.Name) -> Value:
        name = node.id
        if name in self.leaves:
            return self.leaves[name]
        if name in FUNCTIONS:
            self._fail(node, f"{name} is a function: call it as {name}(...)")
        self._fail(node, f"unknown name {name!r} (give it a value, e.g. {name}=1.5)")

    def _call(self, node: ast.Call) -> None:
        func = node.func
        if not isinstance(func, ast.Name):
            what = _FORBIDDEN.get(type(func), "a call of something other than a function name")
            self._fail(func, f"{what} is not allowed in a formula (only the functions "
                       f"{_ALLOWED_FUNCTIONS} can be called)")
        name = func.id
        if name not in FUNCTIONS:
            kind = "a variable, not a function" if name in self.leaves else "an unknown function"
            self._fail(node, f"{name} is {kind}; the functions are {_ALLOWED_FUNCTIONS}")
        if node.keywords:
            self._fail(node, f"keyword arguments are not allowed: call {name}(x) with one value")
        if any(isinstance(arg, ast.Starred) for arg in node.args):
            self._fail(node, f"starred arguments are not allowed: call {name}(x) with one value")
        if len(node.args) != 1:
            self._fail(node, f"{name}() takes exactly one argument, got {len(node.args)}")

    # How a node's operands are found and combined.
    @staticmethod
    def _operands(node: ast.AST) -> list:
        if isinstance(node, ast.BinOp):
            return [node.left, node.right]
        if isinstance(node, ast.UnaryOp):
            return [node.operand]
        if isinstance(node, ast.Call):
            return list(node.args)
        return []

    def _combine(self, node: ast.AST, operands: list) -> Union[Value, float]:
        try:
            return self._build(node, operands)
        except ExpressionError:
            raise
        except (ArithmeticError, ValueError) as error:  # strict mode: log(-1), 1/0, overflow
            message = " ".join(str(error).split())
            self._fail(node, f"{type(error).__name__}: {message}")

    def _build(self, node: ast.AST, operands: list) -> Union[Value, float]:
        if isinstance(node, ast.Constant):
            return self._number(node)
        if isinstance(node, ast.Name):
            return self._variable(node)
        if not any(isinstance(x, Value) for x in operands):
            return self._fold(node, operands)
        if isinstance(node, ast.UnaryOp):
            (x,) = operands
            return x if isinstance(node.op, ast.UAdd) else -x
        if isinstance(node, ast.Call):
            (x,) = operands
            return getattr(x, _CALLS[node.func.id])()
        a, b = operands
        symbol = _BINARY[type(node.op)]
        if symbol == "**":
            return _as_node(a) ** b  # a number exponent stays a parameter of the ** gate
        a = _as_node(a)
        if symbol == "+":
            return a + b
        if symbol == "-":
            return a - b
        if symbol == "*":
            return a * b
        return a / b

    def _fold(self, node: ast.AST, numbers: list) -> float:
        """An operation on numbers only, computed (not drawn) by the engine's own rules, so the
        result and the strict-mode errors (``1/0``, ``log(-1)``, overflow) are the engine's."""
        if isinstance(node, ast.UnaryOp):
            (x,) = numbers
            return x if isinstance(node.op, ast.UAdd) else -x
        if isinstance(node, ast.Call):
            (x,) = numbers
            return getattr(Constant(x), _CALLS[node.func.id])().data
        a, b = numbers
        a = Constant(a)
        symbol = _BINARY[type(node.op)]
        if symbol == "**":
            return (a ** b).data
        if symbol == "+":
            return (a + b).data
        if symbol == "-":
            return (a - b).data
        if symbol == "*":
            return (a * b).data
        return (a / b).data

    def _source(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.text, node) or type(node).__name__

    def _fail(self, node: ast.AST, problem: str) -> None:
        """Raise the error, where first: ``at column 3: unknown name 'y' (...)``, or with the
        part of the formula: ``at column 5, in 'log(-1)': ...``."""
        offset = getattr(node, "col_offset", None)  # in UTF-8 bytes
        where = []
        if offset is not None:
            column = len(self.text.encode()[:offset].decode(errors="ignore")) + self.indent + 1
            where.append(f"at column {column}")
        if not isinstance(node, ast.Name):  # a name is already in the problem
            where.append(f"in {_quote(self._source(node))}")
        raise ExpressionError(f"{', '.join(where)}: {problem}")


def _as_node(x: Union[Value, float]) -> Value:
    """A number operand as a :class:`Constant` leaf, as the engine makes ``2`` in ``2 * x``."""
    return x if isinstance(x, Value) else Constant(x)
