"""Loss functions for Tensors, built from engine ops so diagrams and step-through show them.

Classification losses take ``scores``, an (N, C) Tensor of class scores, and ``y``, an integer
array of N labels in [0, C). Each is a handful of gates (grouped under one named gate, e.g.
``softmax_loss``), so the gradient comes from the engine, not from a hand-written formula:

* ``svm_loss`` (CS231n's multiclass SVM)::

      L = 1/N sum_i sum_{j != y_i} max(0, s_ij - s_iy_i + delta)

  built as ``relu(scores - correct + delta * not_correct).sum() / N``, where ``correct`` is the
  column of correct-class scores and ``not_correct`` is a constant 0/1 mask that is 0 at each
  row's correct class. There the margin is ``s - s + 0 = 0`` exactly, and relu passes no gradient
  at 0, so the correct class is never counted (neither in the loss nor in the gradient).

* ``softmax_loss`` (mean cross-entropy of the softmax)::

      L = 1/N sum_i (logsumexp_j s_ij - s_iy_i)

  ``logsumexp`` subtracts each row's maximum before exponentiating, so scores of any size
  (1e4, -1e4) give a finite loss; its local gradient is the softmax, giving CS231n's
  ``dscores = (softmax - onehot(y)) / N``.

Regression and binary losses (``pred``, ``probs``, ``logits`` Tensors of any shape, targets of
the same shape)::

    mse_loss                         = mean((pred - target)^2)
    binary_cross_entropy             = -mean(t log p + (1 - t) log(1 - p))
    binary_cross_entropy_with_logits = mean(softplus(x) - x t)
                                     = mean(max(x, 0) - x t + log(1 + exp(-|x|)))

``softplus(x) = log(1 + e^x)`` is taken as ``logsumexp([0, x])``: stable for any x, and its
gradient is exactly ``sigmoid(x)`` everywhere, also at x = 0 where the max/abs form would see
two kinks.

The regularizers ``l2``, ``l1`` and ``elastic_net`` live in :mod:`autograd.regularizers` and are
re-exported here. Arguments are checked first; errors name the shapes and values at fault.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from . import gates
from .regularizers import elastic_net, l1, l2

__all__ = ["svm_loss", "softmax_loss", "mse_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "l2", "l1", "elastic_net"]

_SOFTPLUS_COLUMNS = np.array([0.0, 1.0])


def svm_loss(scores: Any, y: Any, delta: float = 1.0):
    """CS231n's multiclass SVM (hinge) loss, averaged over the N examples.

    Args:
        scores: (N, C) Tensor of class scores.
        y: (N,) integer array of correct classes, each in [0, C).
        delta: the margin the correct class should win by.

    Returns:
        A 0-d Tensor: ``1/N sum_i sum_{j != y_i} max(0, s_ij - s_iy_i + delta)``.
    """
    scores, y = _classification_inputs(scores, y, "svm_loss")
    if not _is_real(delta) or not np.isfinite(delta):
        raise ValueError(f"svm_loss: delta must be a finite number, got {delta!r}")
    n, c = scores.shape
    rows = np.arange(n)
    margin_offset = np.full((n, c), float(delta))
    margin_offset[rows, y] = 0.0
    with gates.gate("svm_loss"):
        correct = scores[rows, y].reshape(n, 1)
        margins = (scores - correct + margin_offset).relu()
        return margins.sum() / n


def _is_real(x: Any) -> bool:
    """True for a real number: int, float or a numpy scalar such as np.int64(1) (not bool)."""
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def softmax_loss(scores: Any, y: Any):
    """Mean cross-entropy of the softmax of ``scores`` against the labels ``y``.

    Args:
        scores: (N, C) Tensor of class scores (logits); any magnitude.
        y: (N,) integer array of correct classes, each in [0, C).

    Returns:
        A 0-d Tensor: ``1/N sum_i (logsumexp_j s_ij - s_iy_i)``.
    """
    scores, y = _classification_inputs(scores, y, "softmax_loss")
    rows = np.arange(scores.shape[0])
    with gates.gate("softmax_loss"):
        return (scores.logsumexp(axis=1) - scores[rows, y]).mean()


def mse_loss(pred: Any, target: Any):
    """Mean squared error ``mean((pred - target)^2)`` over every entry.

    Args:
        pred: a Tensor.
        target: a Tensor or array of the same shape.

    Returns:
        A 0-d Tensor.
    """
    pred = _tensor(pred, "mse_loss", "pred")
    target = _same_shape_target(pred, target, "mse_loss", "pred")
    with gates.gate("mse_loss"):
        return ((pred - target) ** 2).mean()


def binary_cross_entropy(probs: Any, targets: Any):
    """Mean binary cross-entropy of probabilities: ``-mean(t log p + (1 - t) log(1 - p))``.

    Probabilities exactly 0 or 1 make a log infinite: in strict mode (the default) that raises
    ``DomainError``. Prefer :func:`binary_cross_entropy_with_logits` on the pre-sigmoid scores.

    Args:
        probs: a Tensor of probabilities in [0, 1].
        targets: a Tensor or array of the same shape, entries in [0, 1] (usually 0 or 1).

    Returns:
        A 0-d Tensor.
    """
    probs = _tensor(probs, "binary_cross_entropy", "probs")
    targets = _same_shape_target(probs, targets, "binary_cross_entropy", "probs")
    _check_unit_interval(probs.data, "probs", "binary_cross_entropy")
    _check_unit_interval(_data(targets), "targets", "binary_cross_entropy")
    with gates.gate("binary_cross_entropy"):
        return -(targets * probs.log() + (1.0 - targets) * (1.0 - probs).log()).mean()


def binary_cross_entropy_with_logits(logits: Any, targets: Any):
    """Binary cross-entropy of ``sigmoid(logits)``, computed stably from the logits.

    ``mean(softplus(x) - x t)`` with ``softplus(x) = logsumexp([0, x])``; finite for any logit,
    gradient ``(sigmoid(x) - t) / size``.

    Args:
        logits: a Tensor of real scores (any magnitude).
        targets: a Tensor or array of the same shape, entries in [0, 1].

    Returns:
        A 0-d Tensor.
    """
    logits = _tensor(logits, "binary_cross_entropy_with_logits", "logits")
    targets = _same_shape_target(logits, targets, "binary_cross_entropy_with_logits", "logits")
    _check_unit_interval(_data(targets), "targets", "binary_cross_entropy_with_logits")
    with gates.gate("binary_cross_entropy_with_logits"):
        pairs = logits.reshape(logits.shape + (1,)) * _SOFTPLUS_COLUMNS  # [0, x] per entry
        softplus = pairs.logsumexp(axis=-1)
        return (softplus - logits * targets).mean()


# Argument checks ---------------------------------------------------------------------------------

def _tensor(x: Any, loss: str, name: str):
    """``x`` as a Tensor: an array becomes a constant (``requires_grad=False``) Tensor."""
    from .tensor import Tensor
    from .value import Value

    if isinstance(x, Tensor):
        return x
    if isinstance(x, Value):
        raise TypeError(f"{loss}: {name} must be a Tensor, got a Value (the losses work on "
                        f"Tensors; build scalar losses from Value ops)")
    array = np.asarray(x)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{loss}: {name} must be a Tensor or a numeric array, got "
                        f"{type(x).__name__} {x!r:.60}")
    return Tensor(array, requires_grad=False)


def _data(x: Any) -> np.ndarray:
    """The array of a node (Value or Tensor), or ``x`` itself as an array."""
    from .node import Node

    return x.data if isinstance(x, Node) else np.asarray(x)


def _classification_inputs(scores: Any, y: Any, loss: str):
    scores = _tensor(scores, loss, "scores")
    if scores.data.ndim != 2:
        raise ValueError(f"{loss}: scores must be 2-D (N examples, C classes), got shape "
                         f"{scores.shape}")
    n, c = scores.shape
    labels = _data(y)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{loss}: y must hold integer class labels, got dtype {labels.dtype} "
                        f"(convert with y.astype(int))")
    if labels.shape != (n,):
        raise ValueError(f"{loss}: y must have one label per row of scores: y has shape "
                         f"{labels.shape}, scores has shape {scores.shape}")
    if n == 0:
        raise ValueError(f"{loss}: scores has no rows (shape {scores.shape}); the mean over "
                         f"zero examples is undefined")
    if labels.min() < 0 or labels.max() >= c:
        bad = np.flatnonzero((labels < 0) | (labels >= c))
        raise ValueError(f"{loss}: label {labels[bad[0]]} at position {bad[0]} is out of range "
                         f"[0, {c}) for C = {c} classes ({bad.size} bad label"
                         f"{'s' if bad.size != 1 else ''})")
    return scores, labels


def _same_shape_target(pred: Any, target: Any, loss: str, pred_name: str):
    from .node import Node

    if not isinstance(target, Node):
        target = np.asarray(target, dtype=np.float64)
    shape = np.shape(_data(target))
    if shape != pred.shape:
        raise ValueError(f"{loss}: target shape {shape} does not match {pred_name} shape "
                         f"{pred.shape}")
    return target


def _check_unit_interval(values: np.ndarray, name: str, loss: str) -> None:
    values = np.asarray(values)
    inside = (values >= 0.0) & (values <= 1.0)  # False for nan too
    if not np.all(inside):
        index = np.unravel_index(np.flatnonzero(~inside)[0], values.shape)
        where = tuple(int(i) for i in index)
        raise ValueError(f"{loss}: {name} must lie in [0, 1], got {float(values[where])!r} at "
                         f"index {where}")
