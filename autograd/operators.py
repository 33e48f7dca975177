"""Python's operators and the elementwise methods, written once for Value and Tensor.

The methods are generated from the op table by :func:`install`: a row with ``operator="mul"``
gives ``__mul__`` and ``__rmul__``, one with ``method="exp"`` gives ``x.exp()``, each with the
row's math as its docstring. A node kind supplies the hooks: ``_gate_maker(op)`` (a function that
builds the row's gate from input nodes), ``_apply(op, inputs, params)`` for rows with parameters,
and ``_operand(other, symbol)`` to turn the other operand (a number, an array) into a node.
The one operator that is not a single row is ``**``: a number exponent is a parameter of the
``pow`` row (d/dx = p x^(p-1)), a node exponent makes the two-input ``pow_value`` row.
"""

from __future__ import annotations

from typing import Any, Callable

from . import ops

__all__ = ["Operators", "install"]


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


def _documented(function: Callable, name: str, op: ops.Op, cls: type) -> Callable:
    function.__name__ = name
    function.__module__ = cls.__module__
    function.__qualname__ = f"{cls.__qualname__}.{name}"  # where pickle finds it (Value.relu)
    function.__doc__ = f"The ``{op.name}`` gate ({op.describe(('a', 'b'))}): {op.math}."
    return function


def _binary(op: ops.Op, make: Callable, kind: type) -> Callable:
    symbol = op.symbol

    def forward(self, other):
        if type(other) is not kind:
            other = self._operand(other, symbol)
        return make(self, other)
    return forward


def _reflected(op: ops.Op, make: Callable) -> Callable:
    symbol = op.symbol

    def reflected(self, other):
        return make(self._operand(other, symbol), self)
    return reflected


def install(cls: type) -> type:
    """Give ``cls`` (Value or Tensor) a method for every row with an ``operator`` or ``method``.

    ``cls._gate_maker(op)`` supplies ``make(*inputs) -> node`` for a row, so each kind of node
    can bind a row's rules once (the scalar engine's gates are built by the million).
    """
    for op in ops.ALL_OPS:
        if op.operator is None and op.method is None:
            continue
        make = cls._gate_maker(op)
        if make is None:  # a row this kind of node does not have (@ for scalars)
            continue
        if op.operator is not None:
            if op.arity == 2:
                for name, method in ((f"__{op.operator}__", _binary(op, make, cls)),
                                     (f"__r{op.operator}__", _reflected(op, make))):
                    setattr(cls, name, _documented(method, name, op, cls))
            else:
                name = f"__{op.operator}__"
                setattr(cls, name, _documented(lambda self, make=make: make(self), name, op, cls))
        if op.method is not None and op.arity == 1:
            setattr(cls, op.method,
                    _documented(lambda self, make=make: make(self), op.method, op, cls))
    return cls
