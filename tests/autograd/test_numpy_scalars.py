"""Numpy scalars are numbers: optimizers, losses and checks take them as they take floats, and
the settings that cannot work (Adam with eps = 0) are refused at construction, with the reason."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Tensor, Value, losses
from autograd.optim import SGD, Adam


@pytest.mark.parametrize("number", [np.float32(0.1), np.float64(0.1), np.int64(1), 0.1, 1])
def test_sgd_and_adam_take_numpy_scalars(number):
    p = Value(1.0)
    p.grad = 2.0
    SGD([p], lr=number, momentum=number if number < 1 else 0.5,
        weight_decay=number).step()
    q = Tensor([1.0])
    q.grad = np.array([2.0])
    Adam([q], lr=number, betas=(np.float32(0.9), np.float64(0.999)), eps=np.float32(1e-8),
         weight_decay=number).step()
    assert p.data < 1.0 and q.data[0] < 1.0


def test_numpy_scalar_settings_match_float_ones():
    a, b = Tensor([1.0, -2.0]), Tensor([1.0, -2.0])
    opt_a = Adam([a], lr=np.float64(0.1), betas=(np.float64(0.9), np.float64(0.99)))
    opt_b = Adam([b], lr=0.1, betas=(0.9, 0.99))
    for _ in range(3):
        for t, opt in ((a, opt_a), (b, opt_b)):
            opt.zero_grad()
            (t * t).sum().backward()
            opt.step()
    assert np.array_equal(a.data, b.data)


@pytest.mark.parametrize("bad, words", [
    (True, "invalid learning rate"), (np.bool_(True), "invalid learning rate"),
    ("0.1", "invalid learning rate"), (np.float32("nan"), "invalid learning rate"),
    (-np.float64(0.1), "invalid learning rate"),
])
def test_bad_learning_rates_are_still_refused(bad, words):
    with pytest.raises(ValueError, match=words):
        SGD([Value(1.0)], lr=bad)


def test_adam_betas_out_of_range_or_not_numbers_are_refused():
    for betas in [(np.float32(1.0), 0.999), ("0.9", 0.999), (True, 0.9)]:
        with pytest.raises(ValueError, match="Adam needs 0 <= beta1 < 1"):
            Adam([Value(1.0)], betas=betas)


def test_adam_with_eps_zero_is_refused_at_construction_with_the_reason():
    with pytest.raises(ValueError, match=r"Adam needs eps > 0: .*divides by zero"):
        Adam([Value(1.0)], eps=0)
    with pytest.raises(ValueError, match="Adam needs eps > 0"):
        Adam([Tensor([1.0])], eps=np.float32(0.0))


@pytest.mark.parametrize("delta", [np.int64(1), np.float32(1.0), 1, 1.0])
def test_svm_loss_takes_a_numpy_delta(delta):
    scores = Tensor(np.array([[1.0, 2.0, 0.5], [0.0, 0.2, 0.1]]))
    reference = losses.svm_loss(Tensor(scores.data), np.array([0, 2]), delta=1.0)
    assert losses.svm_loss(scores, np.array([0, 2]), delta=delta).item() == reference.item()
    with pytest.raises(ValueError, match="delta must be a finite number"):
        losses.svm_loss(scores, np.array([0, 2]), delta=np.bool_(True))


def test_elastic_net_and_gradcheck_take_numpy_scalars():
    w = Tensor([1.0, -2.0])
    assert losses.elastic_net(w, l1_ratio=np.float32(0.5)).item() == losses.elastic_net(
        w, 0.5).item()
    report = autograd.gradcheck_sparse(lambda t: (t * t).sum(), [w], num_checks=np.int64(2),
                                       h=np.float64(1e-6), tol=np.float32(1e-6))
    assert report.ok
