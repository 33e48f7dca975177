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

import contextlib
import numbers
from typing import Any, Iterator, List, Optional, Tuple, Union

import numpy as np

from . import array_math, gates, modes, ops
from .modes import DomainError
from .node import Node, NodeMeta

__all__ = ["Tensor"]

Axis = Union[None, int, Tuple[int, ...]]

_new = object.__new__
_ndarray = np.ndarray

VJP = "vjp"
"""What a step-through shows as the local gradient of a structural gate's input."""


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


_NUMPY_AS_IS = contextlib.nullcontext()


def _ieee_unless_strict() -> Any:
    """The numpy error state for gate work: unchanged in strict mode (:mod:`autograd.array_math`
    checks what it must), numpy's inf/nan warnings silenced when strict mode is off."""
    return _NUMPY_AS_IS if modes.STRICT.get() else np.errstate(all="ignore")


def _forward(op: ops.Op, *args: Any) -> Any:
    """``op.forward`` on arrays."""
    with _ieee_unless_strict():
        return op.forward(array_math, *args)


def _make(op: ops.Op, inputs: tuple, out: Any, params: tuple = ()) -> "Tensor":
    """The node for ``out = op(*inputs, *params)``; no graph if no input needs a gradient."""
    node = _new(Tensor)
    node.data = out if type(out) is _ndarray else np.asarray(out)
    node.grad = None
    node._owns_grad = False
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


def _binary(op: ops.Op, a: "Tensor", b: "Tensor", symbol: str) -> "Tensor":
    x, y = a.data, b.data
    try:
        out = _forward(op, x, y)
    except ValueError as error:
        if isinstance(error, DomainError) or _broadcasts(x.shape, y.shape):
            raise
        raise ValueError(f"Tensor {symbol}: shapes {x.shape} and {y.shape} do not broadcast "
                         f"together (numpy rules: trailing dimensions must match or be 1)") \
            from None
    return _make(op, (a, b), out)


def _broadcasts(*shapes: Tuple[int, ...]) -> bool:
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        return False
    return True


def _unary(op: ops.Op, a: "Tensor") -> "Tensor":
    return _make(op, (a,), _forward(op, a.data))


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
        out = _forward(ops.MATMUL, x, y)
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


def _times(g: np.ndarray, local: Any) -> Any:
    """g * local, without the multiplication when the local gradient is the number 1 or -1."""
    if type(local) is float:
        if local == 1.0:
            return g
        if local == -1.0:
            return -g
    return g * local


def _fit(product: Any, x: np.ndarray, op: ops.Op) -> np.ndarray:
    """A gradient contribution as an array of input ``x``'s shape and dtype (broadcast axes
    summed away; the float64 product of a float32 input cast to float32).

    Raises:
        RuntimeError: if the product still has another shape: a rule of ``op`` is wrong.
    """
    if type(product) is not _ndarray:
        product = np.asarray(product)
    shape = x.shape
    if product.shape != shape:
        product = array_math.unbroadcast(product, shape)
        if product.shape != shape:
            raise RuntimeError(f"internal error in the {op.name!r} gate: its gradient rule gave "
                               f"an input of shape {shape} a gradient of shape {product.shape} "
                               f"(please report this)")
    if product.dtype != x.dtype:
        product = product.astype(x.dtype)
    return product


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

    __slots__ = ("requires_grad", "_owns_grad")
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
        self._owns_grad = False
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
        with _ieee_unless_strict():
            return ops.local_gradients(op, array_math, self.data, [x.data for x in inputs],
                                       self.params, [x.requires_grad for x in inputs])

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

    # -- elementwise gates: one row of the op table each ------------------------------------------
    def __add__(self, other):
        return _binary(ops.ADD, self, _operand(other, "+", self), "+")

    def __radd__(self, other):
        return _binary(ops.ADD, _operand(other, "+", self), self, "+")

    def __sub__(self, other):
        return _binary(ops.SUB, self, _operand(other, "-", self), "-")

    def __rsub__(self, other):
        return _binary(ops.SUB, _operand(other, "-", self), self, "-")

    def __mul__(self, other):
        return _binary(ops.MUL, self, _operand(other, "*", self), "*")

    def __rmul__(self, other):
        return _binary(ops.MUL, _operand(other, "*", self), self, "*")

    def __truediv__(self, other):
        return _binary(ops.DIV, self, _operand(other, "/", self), "/")

    def __rtruediv__(self, other):
        return _binary(ops.DIV, _operand(other, "/", self), self, "/")

    def __neg__(self):
        return _unary(ops.NEG, self)

    def __pos__(self):
        return self

    def __pow__(self, exponent):
        """``x ** p``: a number p (or a 0-d constant) is a parameter of one ``pow`` gate; any
        other exponent makes a two-input gate that broadcasts as numpy does."""
        if isinstance(exponent, numbers.Real):
            p = float(exponent)
        else:
            other = _operand(exponent, "**", self)
            if other.requires_grad or other.data.ndim:
                return _binary(ops.POW_VALUE, self, other, "**")
            p = float(other.data)
        return _make(ops.POW, (self,), _forward(ops.POW, self.data, p), (p,))

    def __rpow__(self, base):
        return _binary(ops.POW_VALUE, _operand(base, "**", self), self, "**")

    def __abs__(self):
        return _unary(ops.ABS, self)

    def exp(self) -> "Tensor":
        return _unary(ops.EXP, self)

    def log(self) -> "Tensor":
        return _unary(ops.LOG, self)

    def tanh(self) -> "Tensor":
        return _unary(ops.TANH, self)

    def sigmoid(self) -> "Tensor":
        return _unary(ops.SIGMOID, self)

    def relu(self) -> "Tensor":
        return _unary(ops.RELU, self)

    def abs(self) -> "Tensor":
        return _unary(ops.ABS, self)

    def sqrt(self) -> "Tensor":
        return _unary(ops.SQRT, self)

    # -- structural gates ---------------------------------------------------------------------
    def __matmul__(self, other):
        return _matmul(self, _operand(other, "@", self))

    def __rmatmul__(self, other):
        return _matmul(_operand(other, "@", self), self)

    def _reduce(self, op: ops.Op, axis: Any, keepdims: bool) -> "Tensor":
        axis = _axis(axis)
        params = (axis, True) if keepdims else ((axis,) if axis is not None else ())
        return _make(op, (self,), _forward(op, self.data, *params), params)

    def sum(self, axis: Axis = None, keepdims: bool = False) -> "Tensor":
        """The sum over ``axis`` (all entries if None), as in ``np.sum``."""
        return self._reduce(ops.REDUCE_SUM, axis, keepdims)

    def mean(self, axis: Axis = None, keepdims: bool = False) -> "Tensor":
        """The mean over ``axis`` (all entries if None), as in ``np.mean``."""
        return self._reduce(ops.MEAN, axis, keepdims)

    def max(self, axis: Axis = None, keepdims: bool = False) -> "Tensor":
        """The maximum over ``axis``; its gradient goes to the maximum, split evenly among ties."""
        return self._reduce(ops.MAX, axis, keepdims)

    def logsumexp(self, axis: Axis = None, keepdims: bool = False) -> "Tensor":
        """log(sum(exp(x))) over ``axis``, computed stably; its gradient is the softmax of x."""
        return self._reduce(ops.LOGSUMEXP, axis, keepdims)

    def sum_of_squares(self) -> "Tensor":
        """sum(x ** 2) over every entry as one gate (the L2 penalty): no x-sized array is kept
        from the forward pass, and the backward pass makes just the gradient 2 g x."""
        return _make(ops.SUM_SQUARES, (self,), _forward(ops.SUM_SQUARES, self.data))

    def reshape(self, *shape: Any) -> "Tensor":
        """The same entries in a new shape: ``t.reshape(3, 4)`` or ``t.reshape((3, 4))``."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _make(ops.RESHAPE, (self,), _forward(ops.RESHAPE, self.data, shape),
                     (shape,))

    def transpose(self, *axes: Any) -> "Tensor":
        """The axes reversed (no arguments) or permuted: ``t.transpose(1, 0, 2)``."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        params = (_permutation(axes, self.data.ndim),) if axes else ()
        return _make(ops.TRANSPOSE, (self,), _forward(ops.TRANSPOSE, self.data, *params),
                     params)

    @property
    def T(self) -> "Tensor":  # noqa: N802 - numpy's name
        return self.transpose()

    def __getitem__(self, key: Any) -> "Tensor":
        """``t[key]`` with numpy indexing; ``scores[np.arange(N), y]`` picks one entry per row."""
        index = array_math.IndexKey(_index_key(key))
        return _make(ops.INDEX, (self,), _forward(ops.INDEX, self.data, index), (index,))

    # -- how gradients flow through a tensor gate ---------------------------------------------
    def _seed(self, gradient: Any) -> None:
        shape = self.data.shape
        if not self.requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad: it is data "
                               "(requires_grad=False) or was computed only from such tensors")
        if gradient is None:
            if self.data.size != 1:
                raise ValueError(f"backward() on a tensor of shape {shape} needs gradient=, an "
                                 f"array of shape {shape} (d root / d this tensor); only a "
                                 f"one-element tensor such as a loss seeds itself with 1")
            seed = np.ones(shape, dtype=self.data.dtype)
        else:
            seed = np.array(_as_array(gradient, self.data.dtype, "backward(gradient=...)"))
            if seed.shape != shape:
                raise ValueError(f"backward(gradient=...) needs an array of the tensor's shape "
                                 f"{shape}, got shape {seed.shape}")
        if self.inputs:
            self.grad = seed
        else:
            self.grad = seed if self.grad is None else self.grad + seed

    def _contributions(self) -> List[Tuple["Tensor", Any, np.ndarray]]:
        """(input, local, product) for each input that needs a gradient.

        ``local`` is the elementwise partial (an array or a number) or the string ``"vjp"`` for a
        structural gate; ``product`` is the input's share of the gradient, in the input's shape.
        """
        with _ieee_unless_strict():
            return self._chain_rule()

    def _chain_rule(self) -> List[Tuple["Tensor", Any, np.ndarray]]:
        g = self.grad
        if g is None:
            return []
        op = self._op
        inputs = self.inputs
        xs = [x.data for x in inputs]
        params = self.params
        found = []
        if op.partials is not None:
            partials = ops.local_gradients(op, array_math, self.data, xs, params,
                                           [x.requires_grad for x in inputs])
            done = {}  # x * x: both inputs are x with local x, so one product serves both
            for x, local in zip(inputs, partials):
                if x.requires_grad:
                    key = (id(x), id(local))
                    product = done.get(key)
                    if product is None:
                        product = done[key] = _fit(_times(g, local), x.data, op)
                    found.append((x, local, product))
        else:
            out = self.data
            for x, rule in zip(inputs, op.vjp):
                if x.requires_grad:
                    found.append((x, VJP, _fit(rule(g, out, *xs, *params), x.data, op)))
        return found

    def _apply(self, contributions: list) -> None:
        # A step-through keeps each product in its BackwardStep, so none may be added to in place.
        with _ieee_unless_strict():
            self._accumulate(contributions, exclusive=False)

    def _propagate(self) -> None:
        with _ieee_unless_strict():
            self._accumulate(self._chain_rule(), exclusive=True)

    def _accumulate(self, contributions: list, exclusive: bool) -> None:
        """Add each product to its input's grad; in place only into an array the input owns.

        A product is *fresh* when this gate computed it and gives it to one input only; an add
        gate instead passes ``g`` itself on, reshape and transpose pass views of it and a sum a
        read-only broadcast of it. An input
        whose grad is a fresh array owns it (``_owns_grad``) and later contributions are added in
        place, as PyTorch accumulates; otherwise a new array is made, so shared arrays are never
        changed. A leaf's first gradient is always an array of its own, copied unless it is fresh
        and ``exclusive`` (a step-through keeps every product in its step), so that ``W.grad`` is
        never a read-only broadcast, another node's gradient or a step's record.
        """
        g = self.grad
        given = set()
        for x, _, product in contributions:
            fresh = (product is not g and product.flags.writeable and id(product) not in given
                     and not np.may_share_memory(product, g))
            given.add(id(product))
            current = x.grad
            if current is None:
                if not x.inputs and not (fresh and exclusive):
                    x.grad = product.copy()
                    x._owns_grad = True
                else:
                    x.grad = product
                    x._owns_grad = fresh and exclusive
            elif x._owns_grad:
                current += product
            else:
                x.grad = current + product
                x._owns_grad = exclusive
