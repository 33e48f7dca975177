"""The op table: every operation circuitgrad knows, one row each, forward and gradient side by side.

Each row is an :class:`Op`. Everything the package knows about an operation is on its row or
derived from it: the forward, one gradient rule per input, the math in words, the symbol a
diagram draws, how a caption prints the gate, which Python operator or method makes it (the
operator methods of :class:`~autograd.Value` and :class:`~autograd.Tensor` are generated from
these rows by :mod:`autograd.operators`), and whether the expression command line accepts it.
The backward walk (:mod:`autograd.walk`) never names an op: adding an op means adding a row.

Two kinds of row:

* **Elementwise** rows give ``partials``: one rule per input, ``partial(m, out, *xs, **params)``,
  the local gradient d out / d x_i at the forward values (or just the number, where it is a
  constant: the 1 and -1 of ``a - b``). For a Value these are the floats stored
  on the node as ``.local_grads`` (the numbers a circuit diagram writes on its wires); for a
  Tensor, arrays or numbers that broadcast against ``out`` (the walk sums each product back to its
  input's shape, so no rule deals with broadcasting). A rule is evaluated only for an input that
  needs it, so ``2 ** x`` never asks for d/d2 = 2^x ln 2... of a base that may be negative.
  The variadic scalar rows (``sum``, ``linear``) give ``variadic_partials(m, out, *xs)`` instead:
  one rule for their whole input list.
* **Structural** rows (matrix product, reductions, indexing) give ``vjp``: one vector-Jacobian
  product per input, ``vjp(m, g, out, *xs, **params)``, returning that input's gradient.

``m`` is a math namespace: :mod:`autograd.scalar_math` for floats, :mod:`autograd.array_math` for
arrays, and :mod:`autograd.graph_math` for nodes. The last is how higher-order gradients work:
``autograd.grad(..., create_graph=True)`` evaluates the *same* rules with Values or Tensors in
place of numbers, so the gradient is a graph itself. ``params`` are non-differentiable arguments
(a number exponent, an axis), passed by keyword under the names in ``Op.params``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Optional, Sequence, Tuple

from . import conv_math

__all__ = ["Op", "ELEMENTWISE", "STRUCTURAL", "VARIADIC", "ALL_OPS", "by_name",
           "ADD", "SUB", "MUL", "DIV", "NEG", "POW", "POW_VALUE", "EXP", "LOG", "TANH", "SIGMOID",
           "RELU", "ABS", "SQRT", "SIN", "COS", "SUM", "LINEAR",
           "MATMUL", "TRANSPOSE", "RESHAPE", "REDUCE_SUM", "MEAN", "MAX", "INDEX", "LOGSUMEXP",
           "SUM_SQUARES", "EXPAND", "SCATTER", "CONVOLUTION", "CONV2D", "CONV2D_BIAS",
           "MAX_POOL2D", "AVG_POOL2D"]


@dataclass(frozen=True, eq=False)
class Op:
    """One row of the op table.

    Attributes:
        name: identifier, unique in the table, e.g. ``"mul"``.
        symbol: what the gate shows in a diagram and what ``node.op`` returns, e.g. ``"*"``.
        forward: ``forward(m, *xs, **params) -> out``.
        partials: elementwise rows: one rule per input, ``partial(m, out, *xs, **params)``, or
            the number itself where the local gradient is a constant (1 and -1 for ``a - b``).
        vjp: structural rows: one rule per input, ``vjp(m, g, out, *xs, **params)``.
        variadic_partials: the n-ary scalar rows: ``rule(m, out, *xs) -> one partial per input``.
        math: the local-gradient rule in words (captions, docs, ``help()`` of the method).
        formula: how a caption prints the gate, ``{0}``, ``{1}`` standing for the inputs' names
            and ``{p}`` for a parameter ``p``: ``"{0} * {1}"``, ``"exp({0})"``, ``"-{0}"``.
            Empty: ``symbol(inputs, name=param, ...)``.
        params: the keyword names of the parameters, in the order ``node.params`` holds them.
        operator: a binary row made by ``a <op> b``: the dunder stem (``"add"`` gives ``__add__``
            and ``__radd__``); a unary one by ``<op> a``: ``"neg"`` gives ``__neg__``.
        method: the name of the Value/Tensor method that makes the gate (``x.exp()``).
        parser: the function name the expression command line accepts (``exp(x)``), or None.
        higher_order: whether the rules can be evaluated on graph nodes (``create_graph=True``).
    """

    name: str
    symbol: str
    forward: Callable[..., Any]
    partials: Optional[Tuple[Callable[..., Any], ...]] = None
    vjp: Optional[Tuple[Callable[..., Any], ...]] = None
    variadic_partials: Optional[Callable[..., tuple]] = None
    math: str = ""
    formula: str = ""
    params: Tuple[str, ...] = ()
    operator: Optional[str] = None
    method: Optional[str] = None
    parser: Optional[str] = None
    higher_order: bool = True
    arity: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        rules = self.partials if self.partials is not None else self.vjp
        kinds = sum(r is not None for r in (self.partials, self.vjp, self.variadic_partials))
        if kinds != 1:
            raise TypeError(f"op {self.name!r} needs exactly one of partials, vjp or "
                            f"variadic_partials")
        if rules is not None and type(rules) is not tuple:
            raise TypeError(f"op {self.name!r}: partials and vjp are tuples, one rule per input")
        object.__setattr__(self, "arity", len(rules) if rules is not None else -1)

    @property
    def structural(self) -> bool:
        """Whether the gradient is a vector-Jacobian product (no local derivative to show)."""
        return self.vjp is not None

    def kwargs(self, params: tuple) -> Dict[str, Any]:
        """A node's ``params`` tuple as the keyword arguments of this row's rules."""
        if not params:
            return {}
        if len(params) == 1:
            return {self.params[0]: params[0]}
        return dict(zip(self.params, params))

    def local_grads(self, m: Any, out: Any, xs: Sequence[Any], params: tuple = (),
                    needed: Optional[Sequence[bool]] = None) -> tuple:
        """The local gradients d out / d x_i of an elementwise row, None where not ``needed``."""
        variadic = self.variadic_partials
        if variadic is not None:
            return variadic(m, out, *xs)
        kw = self.kwargs(params)
        if needed is None:
            needed = (True,) * len(self.partials)
        return tuple((rule if type(rule) is float else rule(m, out, *xs, **kw)) if wanted else None
                     for rule, wanted in zip(self.partials, needed))

    def describe(self, names: Sequence[str], params: tuple = (),
                 fmt: Callable[[Any], str] = repr) -> str:
        """The gate as a caption prints it, from its inputs' names: ``q * z``, ``exp(-x)``."""
        kw = self.kwargs(params)
        if self.formula:
            return self.formula.format(*names, **{k: fmt(v) for k, v in kw.items()})
        args = list(names) + [f"{k}={fmt(v)}" for k, v in kw.items()]
        return f"{self.symbol}({', '.join(args)})"

    def __repr__(self) -> str:
        return f"Op({self.name!r}, {self.symbol!r})"

    def __reduce__(self) -> Any:
        if _BY_NAME.get(self.name) is not self:
            raise TypeError(f"cannot pickle {self!r}: only rows of the op table pickle (by name)")
        return by_name, (self.name,)  # a row pickles as its name: its rules are lambdas


def by_name(name: str) -> Op:
    """The row called ``name`` (how pickled graphs find their rows again)."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"no op called {name!r} in the op table") from None


# ---------------------------------------------------------------------------------------------
# Elementwise rows. One rule per input; ``# d ...`` gives the math each rule implements.
# ---------------------------------------------------------------------------------------------
ADD = Op("add", "+", forward=lambda m, a, b: m.add(a, b),
         partials=(1.0,    # d(a+b)/da = 1
                   1.0),   # d(a+b)/db = 1
         math="d(a+b)/da = 1, d(a+b)/db = 1", formula="{0} + {1}", operator="add")
SUB = Op("sub", "-", forward=lambda m, a, b: m.sub(a, b),
         partials=(1.0,     # d(a-b)/da = 1
                   -1.0),   # d(a-b)/db = -1
         math="d(a-b)/da = 1, d(a-b)/db = -1", formula="{0} - {1}", operator="sub")
MUL = Op("mul", "*", forward=lambda m, a, b: m.mul(a, b),
         partials=(lambda m, out, a, b: b,      # d(ab)/da = b
                   lambda m, out, a, b: a),     # d(ab)/db = a
         math="d(ab)/da = b, d(ab)/db = a", formula="{0} * {1}", operator="mul")
DIV = Op("div", "/", forward=lambda m, a, b: m.div(a, b, "a / b"),
         partials=(lambda m, out, a, b: m.div(1.0, b, "1 / b"),            # d(a/b)/da = 1/b
                   lambda m, out, a, b: -m.div(out, b, "(a/b) / b")),      # d(a/b)/db = -a/b^2
         math="d(a/b)/da = 1/b, d(a/b)/db = -a/b^2", formula="{0} / {1}", operator="truediv")
NEG = Op("neg", "*-1", forward=lambda m, x: -x,
         partials=(-1.0,),    # d(-x)/dx = -1
         math="d(-x)/dx = -1", formula="{0} * -1", operator="neg")  # as the *-1 gate reads
POW = Op("pow", "**", forward=lambda m, x, *, p: m.pow(x, p),
         partials=(lambda m, out, x, *, p: m.pow_slope(x, p),),  # d x^p = p x^(p-1)
         math="d(x^p)/dx = p x^(p-1)  (p a number)", formula="{0} ** {p}", params=("p",))
POW_VALUE = Op("pow_value", "**", forward=lambda m, a, b: m.pow(a, b),
               partials=(lambda m, out, a, b: m.pow_slope(a, b),  # d/da a^b = b a^(b-1)
                         # d/db a^b = a^b ln a: exists for a > 0 only, so asked for only if needed
                         lambda m, out, a, b: m.xlogy(out, a, "d(a ** b)/db = a ** b * log(a)")),
               math="d(a^b)/da = b a^(b-1), d(a^b)/db = a^b ln a", formula="{0} ** {1}")
EXP = Op("exp", "exp", forward=lambda m, x: m.exp(x),
         partials=(lambda m, out, x: out,),     # d exp(x) = exp(x)
         math="d exp(x)/dx = exp(x)", method="exp", parser="exp")
LOG = Op("log", "log", forward=lambda m, x: m.log(x),
         partials=(lambda m, out, x: m.div(1.0, x, "1 / x"),),  # d log(x) = 1/x
         math="d log(x)/dx = 1/x", method="log", parser="log")
TANH = Op("tanh", "tanh", forward=lambda m, x: m.tanh(x),
          partials=(lambda m, out, x: 1.0 - out * out,),  # d tanh(x) = 1 - out^2
          math="d tanh(x)/dx = 1 - tanh(x)^2", method="tanh", parser="tanh")
SIGMOID = Op("sigmoid", "sigmoid", forward=lambda m, x: m.sigmoid(x),
             partials=(lambda m, out, x: out * (1.0 - out),),  # d sigmoid(x) = (1 - s) s
             math="d sigmoid(x)/dx = (1 - s) s", method="sigmoid", parser="sigmoid")
RELU = Op("relu", "relu", forward=lambda m, x: m.relu(x),
          partials=(lambda m, out, x: m.step(x),),  # d relu(x) = 1 if x > 0 else 0
          math="d relu(x)/dx = 1 if x > 0 else 0", method="relu", parser="relu")
ABS = Op("abs", "abs", forward=lambda m, x: m.abs(x),
         partials=(lambda m, out, x: m.sign(x),),  # d|x| = sign(x)
         math="d|x|/dx = sign(x)", operator="abs", method="abs", parser="abs")
SQRT = Op("sqrt", "sqrt", forward=lambda m, x: m.sqrt(x),
          partials=(lambda m, out, x: m.sqrt_slope(out),),  # d sqrt(x) = 1 / (2 out)
          math="d sqrt(x)/dx = 1 / (2 sqrt(x))", method="sqrt", parser="sqrt")
SIN = Op("sin", "sin", forward=lambda m, x: m.sin(x),
         partials=(lambda m, out, x: m.cos(x),),  # d sin(x) = cos(x)
         math="d sin(x)/dx = cos(x)", method="sin", parser="sin")
COS = Op("cos", "cos", forward=lambda m, x: m.cos(x),
         partials=(lambda m, out, x: -m.sin(x),),  # d cos(x) = -sin(x)
         math="d cos(x)/dx = -sin(x)", method="cos", parser="cos")

ELEMENTWISE = (ADD, SUB, MUL, DIV, NEG, POW, POW_VALUE, EXP, LOG, TANH, SIGMOID, RELU, ABS, SQRT,
               SIN, COS)

# Variadic rows for the scalar engine: one node instead of a chain of binary gates.
SUM = Op("sum", "sum", forward=lambda m, *xs: m.fsum(xs),
         variadic_partials=lambda m, out, *xs: (1.0,) * len(xs),  # d/dx_i sum = 1
         math="d(x_1 + ... + x_n)/dx_i = 1", formula="")
LINEAR = Op("linear", "w·x+b", forward=lambda m, *wxb: m.affine(wxb),
            variadic_partials=lambda m, out, *wxb: m.affine_partials(wxb),  # x_i, w_i, 1
            math="inputs w_1..w_n, x_1..x_n, b:  d/dw_i = x_i, d/dx_i = w_i, d/db = 1")
VARIADIC = (SUM, LINEAR)


# ---------------------------------------------------------------------------------------------
# Structural rows (Tensor): vector-Jacobian products, one per input. ``g`` is the upstream
# gradient, shaped like ``out``; each rule returns its input's gradient (a batch dimension may be
# left for the walk to sum away). Rules use ``m`` only, so graph_math can run them on nodes.
# ---------------------------------------------------------------------------------------------
_REDUCE = ("axis", "keepdims")

MATMUL = Op("matmul", "@", forward=lambda m, a, b: m.matmul(a, b),
            vjp=(lambda m, g, out, a, b: m.matmul_grad_a(g, a, b),   # dA = g @ B.T
                 lambda m, g, out, a, b: m.matmul_grad_b(g, a, b)),  # dB = A.T @ g
            math="d(A@B): dA = g @ B.T, dB = A.T @ g", formula="{0} @ {1}", operator="matmul")
TRANSPOSE = Op("transpose", "transpose",
               forward=lambda m, x, *, axes=None: m.transpose(x, axes),
               # undo the permutation: axes reversed, or the inverse permutation
               vjp=(lambda m, g, out, x, *, axes=None: m.transpose(g, m.inverse_axes(axes)),),
               math="dx = g with the axes permuted back", params=("axes",))
RESHAPE = Op("reshape", "reshape", forward=lambda m, x, *, shape: m.reshape(x, shape),
             vjp=(lambda m, g, out, x, *, shape: m.reshape(g, m.shape(x)),),
             math="dx = g reshaped to x's shape", params=("shape",))
REDUCE_SUM = Op("reduce_sum", "sum",
                forward=lambda m, x, *, axis=None, keepdims=False: m.reduce_sum(x, axis, keepdims),
                # every summed entry gets the upstream gradient of its sum
                vjp=(lambda m, g, out, x, *, axis=None, keepdims=False: m.broadcast_to(
                    m.expand_reduced(g, axis, keepdims), m.shape(x)),),
                math="d sum(x)/dx_i = 1: dx = g broadcast back over the summed axes",
                params=_REDUCE)
MEAN = Op("mean", "mean",
          forward=lambda m, x, *, axis=None, keepdims=False: m.mean(x, axis, keepdims),
          vjp=(lambda m, g, out, x, *, axis=None, keepdims=False: m.broadcast_to(
              m.expand_reduced(g, axis, keepdims) * (m.size(out) / m.size(x)), m.shape(x)),),
          math="d mean(x)/dx_i = 1/n: dx = g / n broadcast back over the averaged axes",
          params=_REDUCE)
MAX = Op("max", "max",
         forward=lambda m, x, *, axis=None, keepdims=False: m.reduce_max(x, axis, keepdims),
         vjp=(lambda m, g, out, x, *, axis=None, keepdims=False: m.max_grad(
             g, out, x, axis, keepdims),),
         math="d max(x)/dx_i = 1 at the maximum (split evenly between ties), 0 elsewhere",
         params=_REDUCE)
INDEX = Op("index", "index", forward=lambda m, x, *, key: m.index(x, key),
           vjp=(lambda m, g, out, x, *, key: m.scatter(g, key, m.shape(x)),),
           math="dx = g put back where the entries were taken from (repeats add up)",
           formula="{0}{key}", params=("key",))
LOGSUMEXP = Op("logsumexp", "logsumexp",
               forward=lambda m, x, *, axis=None, keepdims=False: m.logsumexp(x, axis, keepdims),
               # d/dx_i log sum_j exp(x_j) = exp(x_i - out): the softmax
               vjp=(lambda m, g, out, x, *, axis=None, keepdims=False: m.softmax(
                   x, axis) * m.expand_reduced(g, axis, keepdims),),
               math="d logsumexp(x)/dx_i = exp(x_i - logsumexp(x)) = softmax(x)_i",
               params=_REDUCE)
SUM_SQUARES = Op("sum_squares", "Σx²", forward=lambda m, x: m.sum_squares(x),
                 vjp=(lambda m, g, out, x: (2.0 * g) * x,),  # d sum(x^2)/dx_i = 2 x_i
                 math="d sum(x^2)/dx_i = 2 x_i: one array the size of x, made in backward only")
# Two rows that gradients of gradients need: broadcasting and its adjoint, and indexing's.
EXPAND = Op("expand", "expand", forward=lambda m, x, *, shape: m.broadcast_to(x, shape),
            vjp=(lambda m, g, out, x, *, shape: m.unbroadcast(g, m.shape(x)),),
            math="dx = g summed over the broadcast axes", params=("shape",))
SCATTER = Op("scatter", "scatter", forward=lambda m, x, *, key, shape: m.scatter(x, key, shape),
             vjp=(lambda m, g, out, x, *, key, shape: m.index(g, key),),
             math="d scatter(x)/dx = g at the entries x was put into", params=("key", "shape"))


# ---------------------------------------------------------------------------------------------
# Convolutional nets (CS231n assignment 2), NCHW with weights (F, C, HH, WW). The rules are
# numpy kernels (:mod:`autograd.conv_math`: im2col and one matrix product; the input gradient by
# col2im), first-order only: create_graph=True through one of these gates raises, naming it.
#   conv2d: dx = full convolution of g with the kernel rotated 180 degrees; dw = correlation of
#     the padded x with g; db = g summed over N, H, W.
#   max_pool2d: g routed to the entry that won each window, split evenly among ties (as the
#     max row splits them; PyTorch gives all to one).   avg_pool2d: g / (kh kw) over each window.
# ---------------------------------------------------------------------------------------------
_CONV_MATH = ("dx = full convolution of g with the 180-degree-rotated kernel (col2im of w^T g); "
              "dw = correlation of the padded x with g")


def _grad_x(m, g, out, x, w, *b, stride, padding):
    return conv_math.conv2d_grad_x(g, w, x.shape, stride, padding)


def _grad_w(m, g, out, x, w, *b, stride, padding):
    return conv_math.conv2d_grad_w(g, x, w.shape, stride, padding)


def _grad_b(m, g, out, x, w, b, *, stride, padding):
    return g.sum(axis=(0, 2, 3))


def _conv_bias(m, x, w, b, *, stride, padding):
    out = conv_math.conv2d(x, w, stride, padding)
    out += b.reshape(1, -1, 1, 1)
    return out


CONV2D = Op("conv2d", "conv2d",
            forward=lambda m, x, w, *, stride, padding: conv_math.conv2d(x, w, stride, padding),
            vjp=(_grad_x, _grad_w),
            math=_CONV_MATH,
            formula="conv2d({0}, {1})",
            params=("stride", "padding"),
            higher_order=False)

CONV2D_BIAS = Op("conv2d_bias", "conv2d",
                 forward=_conv_bias,
                 vjp=(_grad_x, _grad_w, _grad_b),
                 math=_CONV_MATH + "; db = g summed over N, H, W",
                 formula="conv2d({0}, {1}) + {2}",
                 params=("stride", "padding"),
                 higher_order=False)

MAX_POOL2D = Op("max_pool2d", "maxpool",
                forward=lambda m, x, *, kernel, stride: conv_math.max_pool2d(x, kernel, stride),
                vjp=(lambda m, g, out, x, *, kernel, stride: conv_math.max_pool2d_grad(
                    g, out, x, kernel, stride),),
                math="dx = g routed to the maximum of each window (split evenly among ties)",
                formula="maxpool({0})",
                params=("kernel", "stride"),
                higher_order=False)

AVG_POOL2D = Op("avg_pool2d", "avgpool",
                forward=lambda m, x, *, kernel, stride: conv_math.avg_pool2d(x, kernel, stride),
                vjp=(lambda m, g, out, x, *, kernel, stride: conv_math.avg_pool2d_grad(
                    g, x.shape, kernel, stride),),
                math="dx = g / (kh kw) spread over each window's entries",
                formula="avgpool({0})",
                params=("kernel", "stride"),
                higher_order=False)

CONVOLUTION = (CONV2D, CONV2D_BIAS, MAX_POOL2D, AVG_POOL2D)


STRUCTURAL = (MATMUL, TRANSPOSE, RESHAPE, REDUCE_SUM, MEAN, MAX, INDEX, LOGSUMEXP,
              SUM_SQUARES, EXPAND, SCATTER) + CONVOLUTION
ALL_OPS = ELEMENTWISE + VARIADIC + STRUCTURAL

_BY_NAME = {op.name: op for op in ALL_OPS}
