"""The numpy-backed node: an array that remembers how it was computed, on the same engine as Value.

>>> import numpy as np
>>> from autograd import Tensor
>>> W = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), label="W")
>>> x = Tensor(np.array([1.0, -1.0]), requires_grad=False)
>>> loss = ((W @ x) ** 2).sum()
>>> loss.backward()
>>> W.grad
array([[-2.,  2.],
       [-2.,  2.]])

A Tensor gate is built from a row of :mod:`autograd.ops`, the same row a :class:`~autograd.Value`
uses (``ops.MUL`` for ``*``, ``ops.EXP`` for ``exp`` ...), evaluated with
:mod:`autograd.array_math` instead of :mod:`autograd.scalar_math`. The backward pass is the same
walk (:mod:`autograd.walk`), so ``backward()``, ``backward_steps()`` and diagrams work unchanged.
What differs is how one gate passes its gradient on:

* **Elementwise** gates (``+ - * / **``, ``exp``, ``relu`` ...) compute their local gradients
  when the backward pass reaches them (an ``x * y`` gate stores nothing; at backward time its
  inputs get ``g * y`` and ``g * x``). ``node.local_grads`` computes them on demand too.
  Operands broadcast as in numpy; the engine sums each input's gradient back down to its shape
  (once, here: no rule deals with broadcasting).
* **Structural** gates (``@``, ``sum``, ``mean``, ``max``, indexing, ``reshape``, ``transpose``,
  ``logsumexp``) have a vector-Jacobian product per input instead; their ``local_grads`` are
  None (the Jacobian of ``X @ W`` is never formed) and a step-through shows ``local vjp``.

Gradients follow PyTorch: ``grad`` is None until a backward pass reaches the node; leaves
accumulate over passes (``zero_grad()`` sets None again); a tensor made with
``requires_grad=False`` (data, labels) never gets a gradient and costs no backward work, and a
result computed only from such tensors records no graph at all.

Arrays are float64 by default; ``Tensor(array)`` shares the array's memory when it already is
float64 (as ``torch.from_numpy`` does), so an optimizer's in-place update shows in both.
A Tensor and a scalar Value are never mixed: ``tensor * value`` raises a TypeError.
"""

from __future__ import annotations

import numbers
from typing import Any, Iterator, Optional, Tuple, Union

import numpy as np

from . import array_math, gates, grad_mode, operators, ops
from .modes import DomainError
from .node import Node, NodeMeta

__all__ = ["Tensor"]

Axis = Union[None, int, Tuple[int, ...]]

_new = object.__new__
_ndarray = np.ndarray

def _as_array(data: Any, dtype: Any, where: str) -> np.ndarray:
    """``data`` as a real array of ``dtype`` (no copy when it already is one), or a TypeError."""
    if isinstance(data, Tensor):
        data = data.data.copy()
    elif isinstance(data, Node):
        raise TypeError(f"{where} got a scalar Value ({data!r:.60}); a Tensor and a Value cannot "
                        f"be mixed (use Tensor(value.data) for a constant, or Values throughout)")
    array = np.asarray(data)
    if array.dtype.kind not in "biuf":
        kind = {"c": "complex numbers", "O": "Python objects (e.g. Values)", "U": "strings",
                "S": "bytes"}.get(array.dtype.kind, f"dtype {array.dtype}")
        raise TypeError(f"{where} needs real numbers, got an array of {kind} "
                        f"(dtype {array.dtype}): {data!r:.60}")
    return array.astype(dtype, copy=False)


def _float_dtype(dtype: Any) -> np.dtype:
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"Tensor(dtype=...) needs a numpy float dtype, got {dtype!r}") from None
    if resolved.kind != "f":
        raise TypeError(f"Tensor(dtype=...) needs a float dtype (gradients are real numbers), "
                        f"got {resolved}")
    return resolved


def _forward(op: ops.Op, xs: list, params: tuple) -> Any:
    """``op.forward`` on arrays (numpy's inf/nan warnings off unless strict)."""
    with array_math.quietly():
        if params:
            return op.forward(array_math, *xs, **op.kwargs(params))
        return op.forward(array_math, *xs)


def apply(op: ops.Op, inputs: tuple, **params: Any) -> "Tensor":
    """The gate ``op(*inputs, **params)`` as a Tensor node: how every Tensor gate is made.

    No graph is recorded when no input needs a gradient, or inside :func:`autograd.no_grad`.
    Parameters are given by keyword, under the row's ``params`` names.
    """
    unknown = set(params) - set(op.params)
    if unknown:
        raise TypeError(f"the {op.name!r} gate takes parameters {op.params}, got "
                        f"{sorted(unknown)}")
    values = tuple(params[name] for name in op.params if name in params)
    return _apply(op, tuple(inputs), values)


def _apply(op: ops.Op, inputs: tuple, params: tuple = ()) -> "Tensor":
    xs = [x.data for x in inputs]
    try:
        out = _forward(op, xs, params)
    except ValueError as error:
        if op.vjp is not None or len(xs) != 2 or isinstance(error, DomainError) or _broadcasts(
                xs[0].shape, xs[1].shape):
            raise
        raise ValueError(f"Tensor {op.symbol}: shapes {xs[0].shape} and {xs[1].shape} do not "
                         f"broadcast together (numpy rules: trailing dimensions must match or be "
                         f"1)") from None
    return _make(op, inputs, out, params)


def _make(op: ops.Op, inputs: tuple, out: Any, params: tuple = ()) -> "Tensor":
    """The node for ``out = op(*inputs, *params)``; no graph if no input needs a gradient."""
    node = _new(Tensor)
    node.data = out if type(out) is _ndarray else np.asarray(out)
    node.grad = None
    node.input_grads = ()
    if grad_mode._enabled.get():
        for x in inputs:
            if x.requires_grad:
                node.inputs = inputs
                node._op = op
                node.requires_grad = True
                gate = gates.innermost_gate()
                node._meta = (NodeMeta("", params, gates.live_gate(gate))
                              if (gate is not None or params) else None)
                return node
    node.inputs = ()
    node._op = None
    node._meta = None
    node.requires_grad = False
    return node


def _operand(other: Any, symbol: str, like: "Tensor") -> "Tensor":
    """The other operand of a binary operator as a Tensor (numbers and arrays become constants).

    A Python number takes the dtype of the tensor it meets, so ``0.5 * x`` stays float32 for a
    float32 ``x``; arrays become float64 constants.
    """
    if isinstance(other, Tensor):
        return other
    if isinstance(other, Node):
        raise TypeError(f"cannot combine a Tensor and a scalar {type(other).__name__} with "
                        f"'{symbol}': use Tensor(value.data) for a constant, or Values throughout")
    if isinstance(other, (int, float)) and not isinstance(other, bool):
        return Tensor(other, requires_grad=False, dtype=like.data.dtype)
    return Tensor(other, requires_grad=False)


def _broadcasts(*shapes: Tuple[int, ...]) -> bool:
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        return False
    return True


def _matmul(a: "Tensor", b: "Tensor") -> "Tensor":
    x, y = a.data, b.data
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError(f"matmul needs operands with at least 1 dimension, got shapes {x.shape} "
                         f"@ {y.shape} (use * to multiply by a scalar)")
    inner_b = y.shape[-2] if y.ndim > 1 else y.shape[0]
    if x.shape[-1] != inner_b:
        which = "second-to-last" if y.ndim > 1 else "only"
        raise ValueError(f"matmul shape mismatch: {x.shape} @ {y.shape}: the last dimension of the "
                         f"left operand ({x.shape[-1]}) must equal the {which} dimension of the "
                         f"right operand ({inner_b})")
    try:
        out = _forward(ops.MATMUL, [x, y], ())
    except ValueError:
        raise ValueError(f"matmul shape mismatch: {x.shape} @ {y.shape}: the batch dimensions do "
                         f"not broadcast") from None
    return _make(ops.MATMUL, (a, b), out)


def _axis(axis: Any) -> Axis:
    if axis is None or isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
        return None if axis is None else int(axis)
    if isinstance(axis, (tuple, list)) and all(
            isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axis):
        return tuple(int(a) for a in axis)
    raise TypeError(f"axis must be None, an int or a tuple of ints, got {axis!r}")


def _index_key(key: Any) -> Any:
    """``key`` with lists turned into arrays (numpy's reading of them) and Tensors refused."""
    def part(p: Any) -> Any:
        if isinstance(p, Node):
            raise TypeError("index a Tensor with ints, slices or integer/boolean numpy arrays, "
                            f"not with a {type(p).__name__} (use .data if you mean its values)")
        return np.asarray(p) if isinstance(p, list) else p
    return tuple(part(p) for p in key) if isinstance(key, tuple) else part(key)


def _permutation(axes: Tuple[Any, ...], ndim: int) -> Tuple[int, ...]:
    """``axes`` of ``transpose`` with negative axes counted from the end, checked to be a
    permutation of 0..ndim-1 (the gradient undoes it with the inverse permutation)."""
    if not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axes):
        raise TypeError(f"transpose(axes) needs ints, got {axes!r}")
    normalised = tuple(int(a) + ndim if a < 0 else int(a) for a in axes)
    if sorted(normalised) != list(range(ndim)):
        raise ValueError(f"transpose(axes) needs a permutation of the {ndim} axes 0..{ndim - 1} "
                         f"(negative axes count from the end), got {tuple(axes)} for a tensor "
                         f"with {ndim} dimension{'s' if ndim != 1 else ''}")
    return normalised


class Tensor(Node):
    """A numpy array node of a computational circuit.

    Args:
        data: an array or anything ``np.asarray`` turns into an array of real numbers.
        label: a name for diagrams and step-through text, e.g. ``"W"``.
        requires_grad: whether backward passes compute this tensor's gradient (False for data).
        dtype: a numpy float dtype; the data is converted (copied only if needed).

    Attributes:
        data (np.ndarray): the forward value.
        grad (np.ndarray | None): d root / d self after ``root.backward()``; None before.
        requires_grad (bool): whether a gradient flows to this tensor.
        label (str): the name given, or ``""``.
        op (str): the gate's symbol, ``""`` for a leaf.
        inputs (tuple[Tensor, ...]): the operands, in order (constants included).
        params (tuple): non-differentiable arguments (an exponent, an axis, an index).
    """

    __slots__ = ("requires_grad",)
    __array_ufunc__ = None  # ndarray + Tensor must call Tensor.__radd__, not broadcast into objects

    _zero_grad = None

    def __init__(self, data: Any, label: str = "", requires_grad: bool = True,
                 dtype: Any = np.float64):
        self.data = _as_array(data, _float_dtype(dtype), "Tensor()")
        self.grad = None
        self.inputs = ()
        self._op = None
        self._meta = None
        self.requires_grad = bool(requires_grad)
        self.input_grads = ()
        if label:
            self.label = label

    # -- what a Tensor looks like -----------------------------------------------------------------
    @property
    def shape(self) -> Tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def is_constant(self) -> bool:
        """True for an unlabelled leaf that needs no gradient, such as the ``2`` in ``2 * x``.

        Diagrams fold constants into their gate; label a data tensor (``Tensor(X, label="X",
        requires_grad=False)``) to have it drawn as an input of its own.
        """
        return not self.requires_grad and not self.inputs and not self.label

    @property
    def local_grads(self) -> Optional[tuple]:
        """d self / d input for each input of an elementwise gate (arrays or numbers, computed now).

        ``()`` for a leaf; None for an input with ``requires_grad=False`` where the rule gives
        each input its own partial (``2 ** x`` has no d/d2). For a structural gate (``@``,
        ``sum``, indexing ...) one None per input: its gradient is a vector-Jacobian product, not
        a local derivative to multiply by.
        """
        op = self._op
        if op is None:
            return ()
        inputs = self.inputs
        if op.partials is None:
            return (None,) * len(inputs)
        with array_math.quietly():
            return op.local_grads(array_math, self.data, [x.data for x in inputs], self.params,
                              [x.requires_grad for x in inputs])

    def numpy(self) -> np.ndarray:
        """The data array (not a copy)."""
        return self.data

    def item(self) -> float:
        """The single entry of a one-element tensor as a Python float (a loss, say)."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a one-element tensor, got shape {self.data.shape}")
        return float(self.data.reshape(()))

    def __float__(self) -> float:
        return self.item()

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __bool__(self) -> bool:
        """The truth of a one-element tensor's value, as in numpy and PyTorch; else ambiguous."""
        if self.data.size != 1:
            raise ValueError(f"the truth value of a tensor of shape {self.data.shape} is "
                             f"ambiguous (it has {self.data.size} entries, not one): use "
                             f"(t.data != 0).any() or .all()")
        return bool(self.data.reshape(()))

    def __iter__(self) -> Iterator["Tensor"]:
        """``t[0], t[1], ...`` along the first axis, each an index gate, as PyTorch iterates."""
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor (use t.item() for its value)")
        for i in range(len(self.data)):
            yield self[i]

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, threshold=8, edgeitems=2, separator=", ",
                               prefix="Tensor(")
        extras = [f"shape={self.data.shape}"]
        if self.label:
            extras.append(f"label={self.label!r}")
        if self._op is not None:
            extras.append(f"op={self.op!r}")
        if not self.requires_grad:
            extras.append("requires_grad=False")
        return f"Tensor({body}, {', '.join(extras)})"

    # -- what the engine needs of a tensor node (the operators come from autograd.operators) ----
    _math = array_math
    _apply = staticmethod(_apply)

    @staticmethod
    def _gate_maker(op: ops.Op):
        if op is ops.MATMUL:
            return _matmul  # checks the shapes first, to name them in its error
        return lambda *inputs: _apply(op, inputs)

    def _operand(self, other: Any, symbol: str) -> "Tensor":
        return _operand(other, symbol, self)

    def _number_exponent(self, exponent: Any) -> Optional[float]:
        """A number, or a 0-d constant, is the ``pow`` row's parameter; anything else an input."""
        if isinstance(exponent, numbers.Real):
            return float(exponent)
        other = _operand(exponent, "**", self)
        if other.requires_grad or other.data.ndim:
            return None
        return float(other.data)

    def _seed(self, gradient: Any) -> np.ndarray:
        shape = self.data.shape
        if not self.requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad: it is data "
                               "(requires_grad=False) or was computed only from such tensors")
        if gradient is None:
            if self.data.size != 1:
                raise ValueError(f"backward() on a tensor of shape {shape} needs gradient=, an "
                                 f"array of shape {shape} (d root / d this tensor); only a "
                                 f"one-element tensor such as a loss seeds itself with 1")
            return np.ones(shape, dtype=self.data.dtype)
        if isinstance(gradient, Tensor):
            if gradient.inputs:
                return gradient  # a gradient with a graph of its own (create_graph=True)
            gradient = gradient.data
        seed = np.array(_as_array(gradient, self.data.dtype, "backward(gradient=...)"))
        if seed.shape != shape:
            raise ValueError(f"backward(gradient=...) needs an array of the tensor's shape "
                             f"{shape}, got shape {seed.shape}")
        return seed

    @classmethod
    def _constant(cls, data: Any) -> "Tensor":
        return Tensor(data, requires_grad=False, dtype=np.asarray(data).dtype
                      if np.asarray(data).dtype.kind == "f" else np.float64)

    @classmethod
    def _result(cls, data: Any) -> "Tensor":
        return cls._constant(data)

    # -- structural gates ---------------------------------------------------------------------
    def _reduce(self, op: ops.Op, axis: Any, keepdims: bool, dim: Any, keepdim: Any) -> "Tensor":
        if dim is not None:
            axis = dim  # PyTorch's names
        if keepdim is not None:
            keepdims = keepdim
        axis = _axis(axis)
        params = (axis, True) if keepdims else ((axis,) if axis is not None else ())
        return _apply(op, (self,), params)

    def sum(self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None,
            keepdim: Optional[bool] = None) -> "Tensor":
        """The sum over ``axis`` (all entries if None), as in ``np.sum`` (``dim``, ``keepdim``:
        PyTorch's names for the same)."""
        return self._reduce(ops.REDUCE_SUM, axis, keepdims, dim, keepdim)

    def mean(self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None,
             keepdim: Optional[bool] = None) -> "Tensor":
        """The mean over ``axis`` (all entries if None), as in ``np.mean``."""
        return self._reduce(ops.MEAN, axis, keepdims, dim, keepdim)

    def max(self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None,
            keepdim: Optional[bool] = None) -> "Tensor":
        """The maximum over ``axis``; its gradient goes to the maximum, split evenly among ties."""
        return self._reduce(ops.MAX, axis, keepdims, dim, keepdim)

    def logsumexp(self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None,
                  keepdim: Optional[bool] = None) -> "Tensor":
        """log(sum(exp(x))) over ``axis``, computed stably; its gradient is the softmax of x."""
        return self._reduce(ops.LOGSUMEXP, axis, keepdims, dim, keepdim)

    def sum_of_squares(self) -> "Tensor":
        """sum(x ** 2) over every entry as one gate (the L2 penalty): no x-sized array is kept
        from the forward pass, and the backward pass makes just the gradient 2 g x."""
        return _apply(ops.SUM_SQUARES, (self,))

    def reshape(self, *shape: Any) -> "Tensor":
        """The same entries in a new shape: ``t.reshape(3, 4)`` or ``t.reshape((3, 4))``."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _apply(ops.RESHAPE, (self,), (tuple(shape),))

    view = reshape  # PyTorch's name

    def expand(self, *shape: Any) -> "Tensor":
        """The tensor broadcast to ``shape`` (numpy rules); its gradient sums back down."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _apply(ops.EXPAND, (self,), (tuple(shape),))

    def transpose(self, *axes: Any) -> "Tensor":
        """The axes reversed (no arguments) or permuted: ``t.transpose(1, 0, 2)``."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        params = (_permutation(axes, self.data.ndim),) if axes else ()
        return _apply(ops.TRANSPOSE, (self,), params)

    @property
    def T(self) -> "Tensor":  # noqa: N802 - numpy's name
        return self.transpose()

    def t(self) -> "Tensor":
        """The transpose of a matrix (PyTorch's ``t()``)."""
        if self.data.ndim > 2:
            raise ValueError(f"t() needs a tensor with at most 2 dimensions, got shape "
                             f"{self.data.shape} (use transpose(axes))")
        return self.transpose()

    def __getitem__(self, key: Any) -> "Tensor":
        """``t[key]`` with numpy indexing; ``scores[np.arange(N), y]`` picks one entry per row."""
        index = array_math.IndexKey(_index_key(key))
        return _apply(ops.INDEX, (self,), (index,))

    # -- constructors, as in PyTorch ------------------------------------------------------------
    @classmethod
    def zeros(cls, *shape: Any, requires_grad: bool = True, dtype: Any = np.float64) -> "Tensor":
        """A tensor of zeros: ``Tensor.zeros(3, 4)``."""
        return cls(np.zeros(_shape_args(shape), dtype=dtype), requires_grad=requires_grad,
                   dtype=dtype)

    @classmethod
    def ones(cls, *shape: Any, requires_grad: bool = True, dtype: Any = np.float64) -> "Tensor":
        """A tensor of ones: ``Tensor.ones(3, 4)``."""
        return cls(np.ones(_shape_args(shape), dtype=dtype), requires_grad=requires_grad,
                   dtype=dtype)

    @classmethod
    def randn(cls, *shape: Any, requires_grad: bool = True, dtype: Any = np.float64) -> "Tensor":
        """Standard normal entries from :func:`autograd.rng.numpy_rng` (``manual_seed`` seeds)."""
        from .rng import numpy_rng
        return cls(numpy_rng().standard_normal(_shape_args(shape)), requires_grad=requires_grad,
                   dtype=dtype)


operators.install(Tensor)


def _shape_args(shape: tuple) -> Tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 0
               for n in shape):
        raise TypeError(f"a shape is non-negative ints, got {shape!r}")
    return tuple(int(n) for n in shape)
