"""circuitgrad's engine: scalar and tensor autograd where every local gradient can be seen.

>>> from autograd import Value
>>> x, y, z = Value(-2.0, label="x"), Value(5.0, label="y"), Value(-4.0, label="z")
>>> f = (x + y) * z
>>> f.backward()
>>> (x.grad, y.grad, z.grad)
(-4.0, -4.0, 3.0)
"""

from .gates import Gate, gate
from .modes import DomainError, is_strict, set_strict, strict
from .ops import Op
from .steps import BackwardStep
from .value import Constant, Value, dot, linear, sum

__all__ = ["Value", "Constant", "sum", "dot", "linear", "gate", "Gate", "Op", "BackwardStep",
           "DomainError", "is_strict", "set_strict", "strict"]
__version__ = "0.1.0"
