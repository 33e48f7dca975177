"""Python's operators and the elementwise methods, written once for Value and Tensor.

The methods are generated from the op table: a row with ``operator="mul"`` gives ``__mul__`` and
``__rmul__``, one with ``method="exp"`` gives ``x.exp()``, each with the row's math as its
docstring. A node kind supplies two hooks: ``_apply(op, inputs, params)`` builds a gate from a
row, and ``_operand(other, symbol)`` turns the other operand (a number, an array) into a node.
The one operator that is not a single row is ``**``: a number exponent is a parameter of the
``pow`` row (d/dx = p x^(p-1)), a node exponent makes the two-input ``pow_value`` row.
"""

from __future__ import annotations

from typing import Any, Callable

from . import ops

__all__ = ["Operators"]


class Operators:
    """Mixin with the operators and elementwise methods shared by Value and Tensor."""

    __slots__ = ()

    def _apply(self, op: ops.Op, inputs: tuple, params: tuple = ()) -> Any:
        raise NotImplementedError

    def _operand(self, other: Any, symbol: str) -> Any:
        raise NotImplementedError

    def _number_exponent(self, exponent: Any) -> Any:
        """``exponent`` as a float when it is a plain number (the ``pow`` row's parameter)."""
        raise NotImplementedError

    def __pos__(self) -> Any:
        return self

    def __pow__(self, exponent: Any) -> Any:
        """``x ** p``: d/dx = p x^(p-1) for a number p; a node exponent also gets d/dp."""
        p = self._number_exponent(exponent)
        if p is not None:
            return self._apply(ops.POW, (self,), (p,))
        return self._apply(ops.POW_VALUE, (self, self._operand(exponent, "**")))

    def __rpow__(self, base: Any) -> Any:
        return self._apply(ops.POW_VALUE, (self._operand(base, "**"), self))


def _documented(function: Callable, name: str, op: ops.Op) -> Callable:
    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"The ``{op.name}`` gate ({op.describe(('a', 'b'))}): {op.math}."
    return function


def _binary(op: ops.Op) -> Callable:
    symbol = op.symbol

    def forward(self, other):
        return self._apply(op, (self, self._operand(other, symbol)))
    return forward


def _reflected(op: ops.Op) -> Callable:
    symbol = op.symbol

    def reflected(self, other):
        return self._apply(op, (self._operand(other, symbol), self))
    return reflected


def _unary(op: ops.Op) -> Callable:
    def method(self):
        return self._apply(op, (self,))
    return method


def _install() -> None:
    for op in ops.ALL_OPS:
        if op.operator is not None:
            if op.arity == 2:
                dunder = f"__{op.operator}__"
                setattr(Operators, dunder, _documented(_binary(op), dunder, op))
                dunder = f"__r{op.operator}__"
                setattr(Operators, dunder, _documented(_reflected(op), dunder, op))
            else:
                dunder = f"__{op.operator}__"
                setattr(Operators, dunder, _documented(_unary(op), dunder, op))
        if op.method is not None and op.arity == 1:
            setattr(Operators, op.method, _documented(_unary(op), op.method, op))


_install()
