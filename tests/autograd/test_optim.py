"""Optimizers: one step by hand for SGD, momentum, Nesterov and Adam, on Values and Tensors."""

import math

import numpy as np
import pytest

from autograd import Value
from autograd.nn import MLP
from autograd.optim import SGD, Adam


def tensor_class():
    return pytest.importorskip("autograd.tensor").Tensor


def value_param(data, grad):
    p = Value(data)
    p.grad = grad
    return p


# SGD -------------------------------------------------------------------------------------------

def test_sgd_plain_step_on_values():
    p, q = value_param(1.0, 0.5), value_param(-2.0, -3.0)
    SGD([p, q], lr=0.1).step()
    assert p.data == 1.0 - 0.1 * 0.5
    assert q.data == -2.0 - 0.1 * -3.0
    assert isinstance(p.data, float)


def test_sgd_momentum_two_steps_by_hand():
    p = value_param(1.0, 0.5)
    opt = SGD([p], lr=0.1, momentum=0.9)
    opt.step()                                   # first step: buffer = g
    assert p.data == 1.0 - 0.1 * 0.5
    p.grad = 0.25
    opt.step()                                   # buffer = 0.9 * 0.5 + 0.25
    assert p.data == (1.0 - 0.1 * 0.5) - 0.1 * (0.9 * 0.5 + 0.25)
    assert opt.state[0]["momentum_buffer"] == 0.9 * 0.5 + 0.25


def test_sgd_nesterov_dampening_weight_decay_by_hand():
    p = value_param(2.0, 1.0)
    opt = SGD([p], lr=0.05, momentum=0.8, weight_decay=0.1, nesterov=True)
    opt.step()
    g1 = 1.0 + 0.1 * 2.0
    b1 = g1
    x1 = 2.0 - 0.05 * (g1 + 0.8 * b1)
    assert p.data == x1
    p.grad = -0.5
    opt.step()
    g2 = -0.5 + 0.1 * x1
    b2 = 0.8 * b1 + g2
    assert p.data == x1 - 0.05 * (g2 + 0.8 * b2)

    q = value_param(1.0, 1.0)
    damped = SGD([q], lr=1.0, momentum=0.5, dampening=0.5)
    damped.step()                                # the first buffer is g, undamped (as PyTorch)
    q.grad = 2.0
    damped.step()
    assert q.data == 1.0 - 1.0 - (0.5 * 1.0 + 0.5 * 2.0)


def test_sgd_on_tensor_updates_in_place():
    Tensor = tensor_class()
    w = Tensor(np.array([[1.0, -2.0], [0.5, 3.0]]))
    view = w.data
    w.grad = np.array([[0.1, 0.2], [-0.3, 0.4]])
    opt = SGD([w], lr=0.5, momentum=0.9)
    opt.step()
    expected = np.array([[1.0, -2.0], [0.5, 3.0]]) - 0.5 * np.array([[0.1, 0.2], [-0.3, 0.4]])
    np.testing.assert_array_equal(w.data, expected)
    assert w.data is view                        # in place
    w.grad = np.array([[1.0, 1.0], [1.0, 1.0]])
    opt.step()
    buffer = 0.9 * np.array([[0.1, 0.2], [-0.3, 0.4]]) + 1.0
    np.testing.assert_array_equal(w.data, expected - 0.5 * buffer)


def test_params_without_grad_are_skipped():
    Tensor = tensor_class()
    w = Tensor(np.ones(3))
    w.zero_grad()
    if w.grad is not None:
        pytest.skip("Tensor.zero_grad() keeps an array, not None")
    SGD([w], lr=1.0).step()
    Adam([w], lr=1.0).step()
    np.testing.assert_array_equal(w.data, np.ones(3))


def test_zero_grad_resets_every_parameter():
    p, q = value_param(1.0, 0.5), value_param(2.0, 7.0)
    opt = SGD([p, q], lr=0.1)
    opt.zero_grad()
    assert p.grad == 0.0 and q.grad == 0.0


def test_sgd_trains_a_scalar_mlp():
    import autograd
    autograd.manual_seed(0)
    model = MLP(1, [8, 1], nonlinearity="tanh")
    xs, ys = [-1.0, -0.5, 0.0, 0.5, 1.0], [1.0, 0.25, 0.0, 0.25, 1.0]

    def loss():
        return autograd.sum([(model([x]) - y) ** 2 for x, y in zip(xs, ys)])

    opt = SGD(model.parameters(), lr=0.05, momentum=0.9)
    start = loss().data
    for _ in range(60):
        opt.zero_grad()
        total = loss()
        total.backward()
        opt.step()
    assert loss().data < 0.2 * start


# Adam ------------------------------------------------------------------------------------------

def adam_by_hand(x, grads, lr, beta1, beta2, eps, weight_decay=0.0):
    m = v = 0.0
    for t, g in enumerate(grads, 1):
        g = g + weight_decay * x
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
        x = x - lr * m_hat / (math.sqrt(v_hat) + eps)
    return x


def test_adam_first_step_moves_by_lr():
    # m_hat = g and v_hat = g^2 after one step, so the step is lr * sign(g) (up to eps)
    p = value_param(1.0, 0.3)
    Adam([p], lr=0.01).step()
    assert p.data == pytest.approx(1.0 - 0.01 * 0.3 / (0.3 + 1e-8), rel=1e-15)


@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_adam_three_steps_by_hand(weight_decay):
    grads = [0.3, -1.2, 0.05]
    p = value_param(0.7, grads[0])
    opt = Adam([p], lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=weight_decay)
    for g in grads:
        p.grad = g
        opt.step()
    expected = adam_by_hand(0.7, grads, 0.02, 0.8, 0.99, 1e-6, weight_decay)
    assert p.data == pytest.approx(expected, rel=1e-14)
    assert opt.state[0]["step"] == 3


def test_adam_on_tensor_matches_values():
    Tensor = tensor_class()
    rng = np.random.default_rng(3)
    start, grads = rng.normal(size=4), rng.normal(size=(3, 4))
    w = Tensor(start.copy())
    values = [Value(float(s)) for s in start]
    opt_t, opt_v = Adam([w], lr=0.1), Adam(values, lr=0.1)
    for g in grads:
        w.grad = g.copy()
        for v, gi in zip(values, g):
            v.grad = float(gi)
        opt_t.step()
        opt_v.step()
    np.testing.assert_allclose(w.data, [v.data for v in values], rtol=1e-15, atol=0)


# against PyTorch, where it is installed ---------------------------------------------------------

@pytest.mark.parametrize("make, torch_make", [
    (lambda ps: SGD(ps, lr=0.1), lambda t, ps: t.optim.SGD(ps, lr=0.1)),
    (lambda ps: SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
     lambda t, ps: t.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01)),
    (lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
     lambda t, ps: t.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True)),
    (lambda ps: Adam(ps, lr=0.01), lambda t, ps: t.optim.Adam(ps, lr=0.01)),
    (lambda ps: Adam(ps, lr=0.01, betas=(0.5, 0.9), weight_decay=0.1),
     lambda t, ps: t.optim.Adam(ps, lr=0.01, betas=(0.5, 0.9), weight_decay=0.1)),
])
def test_matches_torch(make, torch_make):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    start, grads = rng.normal(size=5), rng.normal(size=(4, 5))
    values = [Value(float(s)) for s in start]
    ours = make(values)
    theirs_param = torch.tensor(start.copy(), dtype=torch.float64, requires_grad=True)
    theirs = torch_make(torch, [theirs_param])
    for g in grads:
        for v, gi in zip(values, g):
            v.grad = float(gi)
        ours.step()
        theirs_param.grad = torch.tensor(g, dtype=torch.float64)
        theirs.step()
    np.testing.assert_allclose([v.data for v in values], theirs_param.detach().numpy(),
                               rtol=1e-13, atol=1e-15)


# validation ------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, message", [
    (dict(lr=-0.1), "invalid learning rate lr: -0.1"),
    (dict(lr=float("nan")), "invalid learning rate lr: nan"),
    (dict(lr="0.1"), "invalid learning rate lr: '0.1'"),
    (dict(lr=0.1, momentum=-0.5), "invalid momentum: -0.5"),
    (dict(lr=0.1, weight_decay=-1.0), "invalid weight_decay: -1.0"),
    (dict(lr=0.1, nesterov=True), "Nesterov momentum needs momentum > 0"),
])
def test_sgd_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SGD([Value(1.0)], **kwargs)


@pytest.mark.parametrize("kwargs, message", [
    (dict(lr=-1e-3), "invalid learning rate"),
    (dict(betas=(1.0, 0.999)), r"0 <= beta1 < 1, got betas=\(1.0, 0.999\)"),
    (dict(betas=(0.9, -0.1)), "0 <= beta2 < 1"),
    (dict(betas=0.9), "betas must be a pair"),
    (dict(eps=-1e-8), "invalid eps"),
])
def test_adam_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Adam([Value(1.0)], **kwargs)


def test_parameter_list_errors():
    model = MLP(2, [3, 1])
    with pytest.raises(TypeError, match=r"takes the parameters, not the model: "
                                        r"SGD\(model.parameters\(\), ...\)"):
        SGD(model, lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        Adam([], lr=0.1)
    with pytest.raises(TypeError, match="parameter 1 is float"):
        SGD([Value(1.0), 2.0], lr=0.1)
    p = Value(1.0)
    with pytest.raises(ValueError, match="parameter 1 .* appears more than once"):
        SGD([p, p], lr=0.1)


def test_lr_can_change_between_steps():
    p = value_param(1.0, 1.0)
    opt = SGD([p], lr=0.1)
    opt.lr = 0.5
    opt.step()
    assert p.data == 0.5
