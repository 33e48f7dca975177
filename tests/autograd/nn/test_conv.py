"""Conv nets on the engine: functional forms and modules against PyTorch float64 and centered
differences; initialisation; batch norm's running statistics; dropout; errors; a torch CNN's
weights loaded into ours giving the same logits and gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd
from autograd import Tensor, gradcheck
from autograd.losses import softmax_loss
from autograd.nn import (AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, Dropout, Flatten, Linear,
                         MaxPool2d, ReLU, Sequential)
from autograd.nn import functional as F

RTOL, ATOL = 1e-12, 1e-13


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def leaf(shape, seed=0) -> Tensor:
    return Tensor(rng(seed).standard_normal(shape))


# --- centered differences through the engine -------------------------------------------------

def test_conv_with_bias_passes_gradcheck():
    x, w, b = leaf((2, 2, 5, 4), 1), leaf((3, 2, 3, 2), 2), leaf((3,), 3)
    g = rng(4).standard_normal((2, 3, 3, 3))
    assert gradcheck(lambda x, w, b: (F.conv2d(x, w, b, stride=(2, 1), padding=(1, 0)) * g).sum(),
                     [x, w, b], h=1e-5).ok


@pytest.mark.parametrize("pool", [F.max_pool2d, F.avg_pool2d])
def test_pooling_passes_gradcheck(pool):
    x = leaf((2, 2, 6, 5), 5)
    g = rng(6).standard_normal(pool(x, 3, 2).shape)
    assert gradcheck(lambda x: (pool(x, 3, 2) * g).sum(), [x]).ok


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 3, 2)])
def test_batch_norm_training_passes_gradcheck(shape):
    x, w, b = leaf(shape, 7), leaf((3,), 8), leaf((3,), 9)
    g = rng(10).standard_normal(shape)
    assert gradcheck(lambda x, w, b: (F.batch_norm(x, None, None, w, b, training=True)
                                      * g).sum(), [x, w, b], tol=1e-6).ok


# --- against PyTorch float64 -------------------------------------------------------------------

@pytest.mark.parametrize("stride, padding, kernel", [(1, 1, (3, 3)), ((2, 1), (0, 2), (2, 3)),
                                                     (3, 0, (1, 1))])
def test_functional_conv_matches_torch(stride, padding, kernel):
    torch = pytest.importorskip("torch")
    x, w, b = leaf((2, 3, 7, 6), 1), leaf((4, 3) + kernel, 2), leaf((4,), 3)
    out = F.conv2d(x, w, b, stride, padding)
    g = rng(4).standard_normal(out.shape)
    out.backward(g)
    tx, tw, tb = (torch.tensor(t.data, requires_grad=True) for t in (x, w, b))
    t_out = torch.nn.functional.conv2d(tx, tw, tb, stride, padding)
    t_out.backward(torch.tensor(g))
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=RTOL, atol=ATOL)
    for ours, theirs in ((x, tx), (w, tw), (b, tb)):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(8, 3), (5, 3, 4), (4, 3, 5, 6)])
def test_batch_norm_matches_torch(shape, training):
    torch = pytest.importorskip("torch")
    x, w, b = leaf(shape, 11), leaf((3,), 12), leaf((3,), 13)
    mean, var = rng(14).standard_normal(3), rng(15).uniform(0.5, 2.0, 3)
    t_mean, t_var = torch.tensor(mean), torch.tensor(var)
    out = F.batch_norm(x, mean, var, w, b, training=training, momentum=0.2, eps=1e-4)
    g = rng(16).standard_normal(shape)
    out.backward(g)
    tx, tw, tb = (torch.tensor(t.data, requires_grad=True) for t in (x, w, b))
    t_out = torch.nn.functional.batch_norm(tx, t_mean, t_var, tw, tb, training=training,
                                           momentum=0.2, eps=1e-4)
    t_out.backward(torch.tensor(g))
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(mean, t_mean.numpy(), rtol=1e-14, atol=1e-15)  # updated in place
    np.testing.assert_allclose(var, t_var.numpy(), rtol=1e-14, atol=1e-15)  # unbiased
    for ours, theirs in ((x, tx), (w, tw), (b, tb)):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-10, atol=1e-11)


def test_softmax_family_linear_and_cross_entropy_match_torch():
    torch = pytest.importorskip("torch")
    scores = rng(1).standard_normal((5, 4)) * 1e3  # large scores: the stable forms stay finite
    y = np.array([0, 3, 1, 2, 3])
    t = torch.tensor(scores)
    np.testing.assert_allclose(F.softmax(scores, dim=1).data, torch.softmax(t, 1).numpy(),
                               rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(F.log_softmax(scores).data, torch.log_softmax(t, -1).numpy(),
                               rtol=1e-13)
    loss = F.cross_entropy(scores, y)
    assert loss.item() == pytest.approx(softmax_loss(scores, y).item(), rel=0, abs=0)
    assert loss.item() == pytest.approx(torch.nn.functional.cross_entropy(
        t, torch.tensor(y)).item(), rel=1e-13)
    x, w, b = leaf((3, 4)), leaf((2, 4), 1), leaf((2,), 2)
    np.testing.assert_allclose(F.linear(x, w, b).data, torch.nn.functional.linear(
        torch.tensor(x.data), torch.tensor(w.data), torch.tensor(b.data)).numpy(), rtol=1e-14)
    np.testing.assert_array_equal(F.relu(np.array([-1.0, 2.0])).data, [0.0, 2.0])


# --- modules -------------------------------------------------------------------------------------

def test_conv2d_default_init_is_pytorchs_kaiming_uniform():
    autograd.manual_seed(0)
    conv = Conv2d(8, 16, (3, 2))
    bound = 1 / math.sqrt(8 * 3 * 2)  # kaiming_uniform(a=sqrt(5)) = U(-1/sqrt(fan_in), ..)
    assert conv.weight.shape == (16, 8, 3, 2) and conv.bias.shape == (16,)
    assert np.abs(conv.weight.data).max() <= bound and np.abs(conv.bias.data).max() <= bound
    assert conv.weight.data.std() == pytest.approx(bound / math.sqrt(3), rel=0.05)
    assert [p.label for p in conv.parameters()] == ["weight", "bias"]
    assert Conv2d(1, 2, 3, bias=False).parameters()[0].shape == (2, 1, 3, 3)
    assert repr(Conv2d(3, 4, 3, stride=2, padding=1)) == \
        "Conv2d(3, 4, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))"


def test_batch_norm_module_tracks_statistics_and_switches_with_eval():
    bn = BatchNorm2d(3)
    x = rng(1).standard_normal((4, 3, 2, 2)) * 3 + 1
    bn(x)
    assert int(bn.num_batches_tracked) == 1
    np.testing.assert_allclose(bn.running_mean, 0.1 * x.mean(axis=(0, 2, 3)), rtol=1e-14)
    np.testing.assert_allclose(bn.running_var, 0.9 + 0.1 * x.var(axis=(0, 2, 3), ddof=1),
                               rtol=1e-14)
    before = bn.running_mean.copy()
    out = bn.eval()(x)
    np.testing.assert_array_equal(bn.running_mean, before)  # eval never updates
    expected = (x - before.reshape(1, 3, 1, 1)) / np.sqrt(bn.running_var.reshape(1, 3, 1, 1)
                                                          + 1e-5)
    np.testing.assert_allclose(out.data, expected, rtol=1e-14)
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3\) expects input \(N, C, H, W\) with "
                                         r"C = 3, got shape \(4, 3\)"):
        bn(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="more than one value per channel"):
        BatchNorm1d(3)(np.zeros((1, 3)))


def test_dropout_is_seeded_inverted_and_off_in_eval():
    x = Tensor(np.ones((200, 50)))
    autograd.manual_seed(3)
    first = F.dropout(x, 0.25).data
    autograd.manual_seed(3)
    np.testing.assert_array_equal(F.dropout(x, 0.25).data, first)
    assert set(np.unique(first)) == {0.0, 1 / 0.75}
    assert (first == 0).mean() == pytest.approx(0.25, abs=0.02)
    layer = Dropout(0.25)
    out = layer(x)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, out.data)  # the gradient is the scaled mask
    assert layer.eval()(x) is x
    assert F.dropout(x, 0.5, training=False) is x
    np.testing.assert_array_equal(F.dropout(x, 1.0).data, 0.0)
    for bad in (-0.1, 1.5, True):
        with pytest.raises(ValueError, match=r"in \[0, 1\]"):
            Dropout(bad)


def test_pool_and_flatten_modules():
    x = leaf((2, 3, 6, 6))
    assert MaxPool2d(2)(x).shape == (2, 3, 3, 3)
    assert AvgPool2d(3, stride=1)(x).shape == (2, 3, 4, 4)
    assert Flatten()(x).shape == (2, 108)
    assert repr(MaxPool2d(2)) == "MaxPool2d(kernel_size=(2, 2), stride=(2, 2))"


def test_errors_name_the_problem():
    x, w = leaf((2, 3, 5, 5)), leaf((4, 2, 3, 3))
    with pytest.raises(ValueError, match=r"input has 3 channels .* weight expects 2"):
        F.conv2d(x, w)
    with pytest.raises(ValueError, match=r"kernel 3x3 is larger than the padded input 2x2"):
        F.conv2d(leaf((1, 2, 2, 2)), w)
    with pytest.raises(TypeError, match=r"stride must be an int or a pair of ints.*2\.0"):
        F.conv2d(x, leaf((4, 3, 3, 3)), stride=2.0)
    with pytest.raises(ValueError, match=r"must be 4-D \(N, C, H, W\), got shape \(3, 5, 5\)"):
        Conv2d(3, 4, 3)(np.zeros((3, 5, 5)))
    with pytest.raises(ValueError, match=r"bias must have shape \(4,\)"):
        F.conv2d(x, leaf((4, 3, 3, 3)), leaf((3,)))
    with pytest.raises(ValueError, match=r"must be 4-D"):
        F.max_pool2d(leaf((3, 5, 5)), 2)


# --- a torch CNN's weights in our model ----------------------------------------------------------

def small_cnn() -> Sequential:
    return Sequential(Conv2d(1, 4, 3, padding=1), BatchNorm2d(4), ReLU(), MaxPool2d(2),
                      Conv2d(4, 6, (2, 3), stride=(1, 2)), ReLU(), AvgPool2d(2, stride=1),
                      Flatten(), Linear(12, 5), Dropout(0.3))


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_torch_cnn_weights_give_the_same_logits_and_gradients(mode):
    torch = pytest.importorskip("torch")
    nn = torch.nn
    torch.manual_seed(0)
    theirs = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                           nn.MaxPool2d(2), nn.Conv2d(4, 6, (2, 3), stride=(1, 2)), nn.ReLU(),
                           nn.AvgPool2d(2, stride=1), nn.Flatten(), nn.Linear(12, 5),
                           nn.Dropout(0.3)).double()
    with torch.no_grad():  # make the running statistics non-trivial
        theirs[1].running_mean.uniform_(-1, 1)
        theirs[1].running_var.uniform_(0.5, 2)
    ours = small_cnn()
    torch_state = {k: v.numpy().copy() for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(torch_state)
    ours.load_state_dict(torch_state)
    getattr(ours, mode)()
    getattr(theirs, mode)()
    if mode == "train":  # dropout draws differ between libraries: compare without it
        ours.layers[-1].p = theirs[-1].p = 0.0
    x, y = rng(1).standard_normal((3, 1, 8, 10)), np.array([0, 4, 2])
    loss = softmax_loss(ours(x), y)
    loss.backward()
    t_logits = theirs(torch.tensor(x))
    t_loss = nn.functional.cross_entropy(t_logits, torch.tensor(y))
    t_loss.backward()
    assert loss.item() == pytest.approx(t_loss.item(), rel=1e-12)
    for key, value in ours.state_dict().items():  # running statistics moved the same way
        np.testing.assert_allclose(value, theirs.state_dict()[key].numpy(), rtol=1e-12,
                                   atol=1e-14, err_msg=key)
    t_params = dict(theirs.named_parameters())
    ours_grads = {"0.weight": ours[0].weight.grad, "0.bias": ours[0].bias.grad,
                  "1.weight": ours[1].weight.grad, "4.weight": ours[4].weight.grad,
                  "8.weight": ours[8].W.grad.T, "8.bias": ours[8].b.grad}
    for key, grad in ours_grads.items():
        np.testing.assert_allclose(grad, t_params[key].grad.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=key)


# --- engine integration --------------------------------------------------------------------------

@pytest.mark.parametrize("make", [lambda x, w: F.conv2d(x, w), lambda x, w: F.max_pool2d(x, 2),
                                  lambda x, w: F.avg_pool2d(x, 2)])
def test_create_graph_through_a_conv_row_names_the_row(make):
    x, w = leaf((1, 1, 4, 4)), leaf((1, 1, 2, 2), 1)
    out = make(x, w)
    with pytest.raises(NotImplementedError, match=rf"the '{out._op.name}' gate has no "
                                                  r"differentiable gradient rule"):
        autograd.grad((out * out).sum(), [x], create_graph=True)


def test_no_grad_builds_no_graph_and_eval_needs_none():
    model = small_cnn().eval()
    with autograd.no_grad():
        out = model(leaf((2, 1, 8, 10)))
    assert not out.requires_grad and not out.inputs


def test_rows_have_their_math_and_captions():
    from autograd import ops
    for op in ops.CONVOLUTION:
        assert op.math and op.formula and not op.higher_order
    x, w = Tensor(np.ones((1, 1, 3, 3)), label="x"), Tensor(np.ones((1, 1, 2, 2)), label="w")
    node = F.conv2d(x, w, stride=1, padding=(1, 0))
    assert node.op == "conv2d" and node.params == ((1, 1), (1, 0))
    assert ops.CONV2D.describe(["x", "w"], node.params) == "conv2d(x, w)"
