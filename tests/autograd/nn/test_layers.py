"""Tensor layers: shapes, initialization, forward against numpy, gradients, clear errors."""

import math

import numpy as np
import pytest

import autograd
from autograd import Tensor, gradcheck
from autograd.losses import softmax_loss
from autograd.nn import Linear, Module, ReLU, Sequential, TwoLayerNet


def test_linear_shapes_and_pytorch_init():
    autograd.manual_seed(0)
    layer = Linear(400, 30)
    assert layer.W.shape == (400, 30) and layer.b.shape == (30,)
    assert [p.label for p in layer.parameters()] == ["W", "b"]
    bound = 1 / math.sqrt(400)
    assert np.abs(layer.W.data).max() <= bound and np.abs(layer.b.data).max() <= bound
    # uniform on [-bound, bound]: standard deviation bound / sqrt(3)
    assert layer.W.data.std() == pytest.approx(bound / math.sqrt(3), rel=0.03)


def test_linear_init_is_reproducible_from_manual_seed():
    autograd.manual_seed(7)
    first = Linear(3, 2).W.data.copy()
    autograd.manual_seed(7)
    np.testing.assert_array_equal(Linear(3, 2).W.data, first)
    expected = np.random.default_rng(7).uniform(-1 / math.sqrt(3), 1 / math.sqrt(3), (3, 2))
    np.testing.assert_array_equal(first, expected)


def test_linear_weight_scale_is_cs231n_init():
    autograd.manual_seed(1)
    layer = Linear(3, 4, weight_scale=1e-2)
    np.testing.assert_array_equal(layer.W.data, 1e-2 * np.random.default_rng(1).standard_normal(
        (3, 4)))
    np.testing.assert_array_equal(layer.b.data, np.zeros(4))


def test_linear_forward_equals_numpy_and_accepts_arrays():
    autograd.manual_seed(2)
    layer = Linear(3, 2)
    X = np.arange(12.0).reshape(4, 3)
    out = layer(X)
    np.testing.assert_array_equal(out.data, X @ layer.W.data + layer.b.data)
    assert out.op == "+" and out.inputs[0].op == "@"
    assert not out.inputs[0].inputs[0].requires_grad         # the array became data
    no_bias = Linear(3, 2, bias=False)
    assert no_bias.b is None and len(no_bias.parameters()) == 1
    np.testing.assert_array_equal(no_bias(X).data, X @ no_bias.W.data)


def test_linear_gradients_by_gradcheck():
    autograd.manual_seed(3)
    layer = Linear(4, 3)
    X = Tensor(np.random.default_rng(0).normal(size=(5, 4)))
    report = gradcheck(lambda X, W, b: (layer(X).tanh() ** 2).sum(), [X, layer.W, layer.b])
    assert report.max_error < 1e-7
    g = np.ones((5, 3))
    layer.W.zero_grad()
    layer.b.zero_grad()
    layer(X.data).backward(g)
    np.testing.assert_allclose(layer.W.grad, X.data.T @ g, rtol=1e-15)
    np.testing.assert_allclose(layer.b.grad, g.sum(axis=0), rtol=1e-15)


def test_wrong_input_width_is_a_clear_error():
    layer = Linear(4, 3)
    with pytest.raises(ValueError, match=r"Linear\(4, 3\) expects inputs with 4 features on the "
                                         r"last axis, got shape \(5, 7\)"):
        layer(np.ones((5, 7)))
    with pytest.raises(ValueError, match=r"got shape \(\)"):
        layer(Tensor(1.0))


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="in_features must be a positive int, got 0"):
        Linear(0, 3)
    with pytest.raises(ValueError, match="out_features must be a positive int, got 2.5"):
        Linear(2, 2.5)
    with pytest.raises(TypeError, match="argument 1 is int"):
        Sequential(ReLU(), 3)


def test_relu_layer():
    out = ReLU()(np.array([[-1.0, 2.0]]))
    np.testing.assert_array_equal(out.data, [[0.0, 2.0]])
    assert ReLU().parameters() == []


def test_sequential_order_indexing_and_parameters():
    autograd.manual_seed(4)
    model = Sequential(Linear(3, 5), ReLU(), Linear(5, 2))
    assert len(model) == 3 and isinstance(model[1], ReLU)
    params = model.parameters()
    assert params == [model[0].W, model[0].b, model[2].W, model[2].b]
    assert sum(p.data.size for p in params) == 3 * 5 + 5 + 5 * 2 + 2
    X = np.random.default_rng(1).normal(size=(6, 3))
    hidden = np.maximum(X @ model[0].W.data + model[0].b.data, 0)
    np.testing.assert_allclose(model(X).data, hidden @ model[2].W.data + model[2].b.data,
                               rtol=1e-15)
    assert isinstance(model, Module) and "Linear(3, 5)" in repr(model)


def test_two_layer_net_matches_cs231n_numpy():
    autograd.manual_seed(0)
    net = TwoLayerNet(4, 10, 3, std=1e-1)
    assert [p.label for p in net.parameters()] == ["W1", "b1", "W2", "b2"]
    assert [p.shape for p in net.parameters()] == [(4, 10), (10,), (10, 3), (3,)]
    np.testing.assert_array_equal(net.b1.data, np.zeros(10))
    rng = np.random.default_rng(1)
    X, y, reg = 10 * rng.normal(size=(5, 4)), np.array([0, 1, 2, 2, 1]), 0.05
    net.b1.data[:] = rng.normal(size=10)                       # make the biases matter
    W1, b1, W2, b2 = (p.data for p in net.parameters())

    # CS231n's two-layer net, forward and backward by hand
    hidden = np.maximum(0, X @ W1 + b1)
    scores = hidden @ W2 + b2
    np.testing.assert_allclose(net(X).data, scores, rtol=1e-14)
    shifted = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(5), y]).mean() + reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    dscores = probs.copy()
    dscores[np.arange(5), y] -= 1
    dscores /= 5
    dW2 = hidden.T @ dscores + 2 * reg * W2
    dhidden = dscores @ W2.T * (hidden > 0)
    dW1 = X.T @ dhidden + 2 * reg * W1

    net.zero_grad()
    total = net.loss(X, y, reg=reg)
    total.backward()
    assert total.item() == pytest.approx(loss, rel=1e-13)
    np.testing.assert_allclose(net.W2.grad, dW2, rtol=1e-11, atol=1e-16)
    np.testing.assert_allclose(net.b2.grad, dscores.sum(axis=0), rtol=1e-11, atol=1e-16)
    np.testing.assert_allclose(net.W1.grad, dW1, rtol=1e-11, atol=1e-16)
    np.testing.assert_allclose(net.b1.grad, dhidden.sum(axis=0), rtol=1e-11, atol=1e-16)
    assert net.predict(X).tolist() == np.argmax(scores, axis=1).tolist()


def test_two_layer_net_gradcheck():
    autograd.manual_seed(5)
    net = TwoLayerNet(3, 6, 4, std=0.5)
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(5, 3)), rng.integers(0, 4, 5)
    # entries of b1 near 1e-4 beside a loss near 1.4: rounding limits them to ~1e-6 at h=1e-6
    report = gradcheck(lambda *params: net.loss(X, y, reg=0.1), net.parameters(), tol=1e-5)
    assert report.max_error < 5e-6
    assert report.inputs[2].max_error < 1e-7 and report.inputs[3].max_error < 1e-7  # W2, b2


def test_two_layer_net_sanity_loss_is_log_c():
    autograd.manual_seed(0)
    net = TwoLayerNet(20, 15, 10)                # std = 1e-4: all classes nearly equal
    rng = np.random.default_rng(3)
    loss = softmax_loss(net(rng.normal(size=(40, 20))), rng.integers(0, 10, 40))
    assert loss.item() == pytest.approx(math.log(10), abs=1e-6)


def test_two_layer_net_learns_with_sgd():
    from autograd.optim import SGD

    autograd.manual_seed(0)
    rng = np.random.default_rng(4)
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)      # XOR-like quadrants: needs the hidden layer
    net = TwoLayerNet(2, 32, 2, std=0.5)
    opt = SGD(net.parameters(), lr=0.5, momentum=0.9)
    for _ in range(300):
        opt.zero_grad()
        net.loss(X, y, reg=1e-4).backward()
        opt.step()
    assert (net.predict(X) == y).mean() >= 0.95


def test_parameters_held_in_a_dict_are_found_in_insertion_order():
    class TwoHeads(Module):
        def __init__(self):
            self.trunk = Linear(4, 3)
            self.heads = {"b": Linear(3, 2), "a": Linear(3, 1)}
            self.scale = {"s": Tensor(np.ones(1)), "data": Tensor(np.ones(2), requires_grad=False)}

    model = TwoHeads()
    expected = [model.trunk.W, model.trunk.b, model.heads["b"].W, model.heads["b"].b,
                model.heads["a"].W, model.heads["a"].b, model.scale["s"]]
    assert [id(p) for p in model.parameters()] == [id(p) for p in expected]
