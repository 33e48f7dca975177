"""Optimizers that update parameters from their gradients, with PyTorch's formulas and interface.

``opt = SGD(model.parameters(), lr=0.1)``, then per step: ``opt.zero_grad()``, ``loss.backward()``,
``opt.step()``. Parameters may be :class:`~autograd.Value` nodes (``data`` a float, replaced) or
:class:`~autograd.Tensor` nodes (``data`` an array, updated in place, so views of it stay valid).
Parameters whose ``grad`` is None (never reached by a backward pass) are skipped.

With ``g`` the gradient, ``p`` the parameter and ``t`` the step count (from 1):

SGD (``torch.optim.SGD``)::

    g = g + weight_decay * p
    b = g                              on the first step
    b = momentum * b + (1 - dampening) * g   afterwards
    g = g + momentum * b  (nesterov)   or   g = b   (momentum > 0)
    p = p - lr * g

Adam (``torch.optim.Adam``, Kingma & Ba 2015)::

    g = g + weight_decay * p
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g^2
    p = p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Iterable, List, Tuple

import numpy as np

__all__ = ["Optimizer", "SGD", "Adam"]


class Optimizer:
    """Base class: holds the parameters and per-parameter state, and zeroes gradients.

    Args:
        params: an iterable of parameter nodes, e.g. ``model.parameters()``.
        lr: the learning rate (may be changed between steps through ``opt.lr``).
    """

    def __init__(self, params: Iterable[Any], lr: float):
        self.params: List[Any] = _parameter_list(params, type(self).__name__)
        self.lr = _non_negative(lr, "learning rate lr")
        self.state: List[dict] = [{} for _ in self.params]

    def zero_grad(self) -> None:
        """Reset every parameter's gradient (leaves accumulate across ``backward()`` calls)."""
        for p in self.params:
            p.zero_grad()

    def step(self) -> None:
        """Update every parameter that has a gradient."""
        for p, state in zip(self.params, self.state):
            if p.grad is not None:
                self._update(p, p.grad, state)

    def _update(self, p: Any, g: Any, state: dict) -> None:
        raise NotImplementedError(f"{type(self).__name__} must define _update()")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.params)} parameters, lr={self.lr!r})"


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, dampening, Nesterov and weight decay.

    Args:
        params: the parameters to optimize.
        lr: the learning rate.
        momentum: the momentum factor mu (0 for plain SGD).
        dampening: scales the new gradient in the momentum buffer by ``1 - dampening``.
        weight_decay: L2 penalty factor added to the gradient as ``weight_decay * p``.
        nesterov: use Nesterov momentum (needs ``momentum > 0`` and ``dampening == 0``).
    """

    def __init__(self, params: Iterable[Any], lr: float, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False):
        super().__init__(params, lr)
        self.momentum = _non_negative(momentum, "momentum")
        self.dampening = _non_negative(dampening, "dampening")
        self.weight_decay = _non_negative(weight_decay, "weight_decay")
        if nesterov and (self.momentum <= 0.0 or self.dampening != 0.0):
            raise ValueError(f"Nesterov momentum needs momentum > 0 and dampening = 0, got "
                             f"momentum={momentum!r}, dampening={dampening!r}")
        self.nesterov = bool(nesterov)

    def _update(self, p: Any, g: Any, state: dict) -> None:
        if self.weight_decay != 0.0:
            g = g + self.weight_decay * p.data
        if self.momentum != 0.0:
            if "momentum_buffer" not in state:
                buffer = _copy(g)
            else:
                buffer = self.momentum * state["momentum_buffer"] + (1.0 - self.dampening) * g
            state["momentum_buffer"] = buffer
            g = g + self.momentum * buffer if self.nesterov else buffer
        _subtract(p, self.lr * g)


class Adam(Optimizer):
    """Adam: per-entry step sizes from running averages of the gradient and its square.

    Args:
        params: the parameters to optimize.
        lr: the learning rate.
        betas: decay rates ``(beta1, beta2)`` of the first and second moment averages.
        eps: added to the denominator for numerical stability.
        weight_decay: L2 penalty factor added to the gradient (not AdamW's decoupled decay).
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: Tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0):
        super().__init__(params, lr)
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        for k, beta in enumerate(betas):
            if not (_is_real(beta) and 0.0 <= beta < 1.0):
                raise ValueError(f"Adam needs 0 <= beta{k + 1} < 1, got betas={betas!r}")
        self.betas = (float(betas[0]), float(betas[1]))
        self.eps = _non_negative(eps, "eps")
        if self.eps == 0.0:
            raise ValueError("Adam needs eps > 0: the step m / (sqrt(v) + eps) divides by zero "
                             "wherever a gradient has been 0 so far (sqrt(v) = 0); the usual "
                             "eps is 1e-8")
        self.weight_decay = _non_negative(weight_decay, "weight_decay")

    def _update(self, p: Any, g: Any, state: dict) -> None:
        beta1, beta2 = self.betas
        if self.weight_decay != 0.0:
            g = g + self.weight_decay * p.data
        t = state.get("step", 0) + 1
        m = beta1 * state.get("exp_avg", 0.0) + (1.0 - beta1) * g
        v = beta2 * state.get("exp_avg_sq", 0.0) + (1.0 - beta2) * (g * g)
        state["step"], state["exp_avg"], state["exp_avg_sq"] = t, m, v
        step_size = self.lr / (1.0 - beta1 ** t)
        denominator = _sqrt(v) / math.sqrt(1.0 - beta2 ** t) + self.eps
        _subtract(p, step_size * (m / denominator))


def _parameter_list(params: Iterable[Any], owner: str) -> List[Any]:
    from .nn.module import Module
    from .node import Node

    if isinstance(params, Module):
        raise TypeError(f"{owner} takes the parameters, not the model: "
                        f"{owner}(model.parameters(), ...)")
    if isinstance(params, Node):
        params = [params]
    params = list(params)
    if not params:
        raise ValueError(f"{owner} got an empty parameter list")
    seen = set()
    for i, p in enumerate(params):
        if not isinstance(p, Node):
            raise TypeError(f"{owner} parameters must be Values or Tensors; parameter {i} is "
                            f"{type(p).__name__} {p!r:.60}")
        if id(p) in seen:
            raise ValueError(f"{owner}: parameter {i} ({p!r:.60}) appears more than once")
        seen.add(id(p))
    return params


def _is_real(x: Any) -> bool:
    """True for a real number: int, float or a numpy scalar such as np.float32(0.1) (not bool)."""
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _non_negative(x: Any, what: str) -> float:
    if not _is_real(x) or not math.isfinite(x) or x < 0:
        raise ValueError(f"invalid {what}: {x!r} (must be a finite number >= 0)")
    return float(x)


def _copy(g: Any) -> Any:
    return g.copy() if isinstance(g, np.ndarray) else g


def _sqrt(v: Any) -> Any:
    return np.sqrt(v) if isinstance(v, np.ndarray) else math.sqrt(v)


def _subtract(p: Any, delta: Any) -> None:
    """``p.data -= delta``: in place for an array, a new float for a Value."""
    if isinstance(p.data, np.ndarray):
        p.data -= delta
    else:
        p.data = p.data - float(delta)
