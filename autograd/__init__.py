"""circuitgrad's engine: scalar and tensor autograd where every local gradient can be seen.

>>> from autograd import Value
>>> x, y, z = Value(-2.0, label="x"), Value(5.0, label="y"), Value(-4.0, label="z")
>>> f = (x + y) * z
>>> f.backward()
>>> (x.grad, y.grad, z.grad)
(-4.0, -4.0, 3.0)
"""

from .gates import Gate, gate
from .grad_mode import enable_grad, is_grad_enabled, no_grad
from .gradient_check import (GradcheckError, gradcheck, gradcheck_sparse, numerical_gradient,
                             relative_error)
from .modes import DomainError, is_strict, set_strict, strict
from .ops import Op
from .rng import manual_seed
from .serialization import load, save
from .steps import BackwardStep
from .tensor import Tensor
from .value import Constant, Value, dot, linear, sum
from .walk import grad

__all__ = ["Value", "Tensor", "Constant", "sum", "dot", "linear", "gate", "Gate", "Op",
           "BackwardStep", "DomainError", "is_strict", "set_strict", "strict", "manual_seed",
           "gradcheck", "gradcheck_sparse", "numerical_gradient", "relative_error",
           "GradcheckError", "grad", "no_grad", "enable_grad", "is_grad_enabled"]
__all__ += ["save", "load"]
__version__ = "0.1.0"
