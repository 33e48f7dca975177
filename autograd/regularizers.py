"""Weight penalties added to a loss: L2, L1 and their mix, built from engine ops.

    l2(W) = sum_ij W_ij^2          (no 1/2, as in CS231n's assignments: d l2 / dW = 2 W)
    l1(W) = sum_ij |W_ij|          (d l1 / dW = sign(W), 0 at 0)
    elastic_net(W, l1_ratio) = l1_ratio * l1(W) + (1 - l1_ratio) * l2(W)

The regularization strength multiplies outside: ``loss = data_loss + reg * l2(W)``.
``elastic_net`` interpolates between pure L1 (``l1_ratio=1``) and pure L2 (``l1_ratio=0``);
unlike scikit-learn's ``ElasticNet`` it has no 1/2 on the L2 part, so ``l1_ratio=0`` gives
exactly ``l2``.

For a Tensor, ``l2`` is one ``Σx²`` gate (:meth:`~autograd.Tensor.sum_of_squares`) rather than
``**`` then ``sum``: same value and gradient, but no array the size of W is kept from the forward
pass and the backward pass makes only the gradient 2 g W, which matters for big weight matrices (a
3073 x 100 layer of CS231n's two-layer net).

Each function takes a :class:`~autograd.Tensor`, a :class:`~autograd.Value`, or a list of them
(e.g. ``model.parameters()``, in which case the penalties are summed). They are re-exported by
:mod:`autograd.losses`.
"""

from __future__ import annotations

import numbers
from typing import Any, Iterable, Union

from .node import Node

__all__ = ["l2", "l1", "elastic_net"]

Weights = Union[Node, Iterable[Node]]


def l2(W: Weights) -> Node:
    """The sum of squares of every entry: ``sum(W ** 2)``.

    Args:
        W: a Tensor, a Value, or a list of them (penalties summed).

    Returns:
        A scalar node (a one-element Tensor or a Value).
    """
    return _penalty(W, "l2", lambda w: w ** 2, lambda w: w.sum_of_squares())


def l1(W: Weights) -> Node:
    """The sum of absolute values of every entry: ``sum(|W|)``.

    Args:
        W: a Tensor, a Value, or a list of them (penalties summed).

    Returns:
        A scalar node.
    """
    return _penalty(W, "l1", lambda w: w.abs(), lambda w: w.abs().sum())


def elastic_net(W: Weights, l1_ratio: float = 0.5) -> Node:
    """``l1_ratio * l1(W) + (1 - l1_ratio) * l2(W)``.

    Args:
        W: a Tensor, a Value, or a list of them.
        l1_ratio: the weight of the L1 part, in [0, 1].

    Returns:
        A scalar node.
    """
    if not (isinstance(l1_ratio, numbers.Real) and not isinstance(l1_ratio, bool)
            and 0.0 <= l1_ratio <= 1.0):
        raise ValueError(f"elastic_net needs 0 <= l1_ratio <= 1, got l1_ratio={l1_ratio!r}")
    W = _as_list(W, "elastic_net")
    return l1_ratio * l1(W) + (1.0 - l1_ratio) * l2(W)


def _penalty(W: Weights, name: str, of_value, of_tensor) -> Node:
    from . import gates
    from .value import Value, sum as value_sum

    weights = _as_list(W, name)
    with gates.gate(name):
        terms = [of_value(w) if isinstance(w, Value) else of_tensor(w) for w in weights]
        if all(isinstance(t, Value) for t in terms):
            return terms[0] if len(terms) == 1 else value_sum(terms)
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return total


def _as_list(W: Any, name: str) -> list:
    if isinstance(W, Node):
        return [W]
    if isinstance(W, (str, bytes)) or not hasattr(W, "__iter__"):
        raise TypeError(f"{name}() needs a Tensor, a Value or a list of them, got "
                        f"{type(W).__name__} {W!r:.60}")
    weights = list(W)
    if not weights:
        raise ValueError(f"{name}() got an empty list of weights")
    for i, w in enumerate(weights):
        if not isinstance(w, Node):
            raise TypeError(f"{name}() needs Tensors or Values; item {i} is {type(w).__name__} "
                            f"{w!r:.60} (wrap arrays as autograd.Tensor)")
    return weights
