"""The numpy conv and pooling kernels: CS231n's published numbers, centered differences, PyTorch.

CS231n assignment 2 (ConvolutionalNetworks.ipynb) prints ``conv_forward_naive`` and
``max_pool_forward_naive`` outputs for ``np.linspace`` inputs to 8 decimals; we match them to that
precision. Gradients are checked against centered differences and, where torch is installed,
against PyTorch float64 over a grid of shapes, strides, paddings and non-square kernels.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from autograd import conv_math as cm

# CS231n: x (2, 3, 4, 4) = linspace(-0.1, 0.5), w (3, 3, 4, 4) = linspace(-0.2, 0.3),
# b = linspace(-0.1, 0.2, 3), stride 2, pad 1.
CS231N_CONV_OUT = np.array([
    [[[-0.08759809, -0.10987781], [-0.18387192, -0.2109216]],
     [[0.21027089, 0.21661097], [0.22847626, 0.23004637]],
     [[0.50813986, 0.54309974], [0.64082444, 0.67101435]]],
    [[[-0.98053589, -1.03143541], [-1.19128892, -1.24695841]],
     [[0.69108355, 0.66880383], [0.59480972, 0.56776003]],
     [[2.36270298, 2.36904306], [2.38090835, 2.38247847]]]])

# CS231n: x (2, 3, 4, 4) = linspace(-0.3, 0.4), 2x2 windows, stride 2.
CS231N_POOL_OUT = np.array([
    [[[-0.26315789, -0.24842105], [-0.20421053, -0.18947368]],
     [[-0.14526316, -0.13052632], [-0.08631579, -0.07157895]],
     [[-0.02736842, -0.01263158], [0.03157895, 0.04631579]]],
    [[[0.09052632, 0.10526316], [0.14947368, 0.16421053]],
     [[0.20842105, 0.22315789], [0.26736842, 0.28210526]],
     [[0.32631579, 0.34105263], [0.38526316, 0.4]]]])


def linspace(low: float, high: float, shape: tuple) -> np.ndarray:
    return np.linspace(low, high, num=int(np.prod(shape))).reshape(shape)


def test_cs231n_conv_forward_naive_numbers():
    x = linspace(-0.1, 0.5, (2, 3, 4, 4))
    w = linspace(-0.2, 0.3, (3, 3, 4, 4))
    b = np.linspace(-0.1, 0.2, num=3)
    out = cm.conv2d(x, w, (2, 2), (1, 1)) + b.reshape(1, 3, 1, 1)
    np.testing.assert_allclose(out, CS231N_CONV_OUT, rtol=0, atol=5e-9)  # printed to 8 places


def test_cs231n_max_pool_forward_naive_numbers():
    x = linspace(-0.3, 0.4, (2, 3, 4, 4))
    out = cm.max_pool2d(x, (2, 2), (2, 2))
    np.testing.assert_allclose(out, CS231N_POOL_OUT, rtol=0, atol=5e-9)
    # the overlapping-window code path gives the same numbers
    np.testing.assert_array_equal(cm.windows(x, (2, 2), (2, 2)).max(axis=(4, 5)), out)


def centered_vjp(f, x: np.ndarray, g: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """d sum(g * f(x)) / dx by centered differences, one entry at a time."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        keep = x[i]
        x[i] = keep + h
        up = np.vdot(g, f(x))
        x[i] = keep - h
        down = np.vdot(g, f(x))
        x[i] = keep
        grad[i] = (up - down) / (2 * h)
    return grad


CONV_CASES = [  # (N, C, H, W), (F, HH, WW), stride, padding
    ((2, 3, 5, 5), (2, 3, 3), (1, 1), (1, 1)),
    ((1, 2, 6, 5), (3, 3, 2), (2, 1), (0, 1)),
    ((2, 1, 7, 4), (2, 1, 3), (3, 2), (2, 0)),
]


@pytest.mark.parametrize("x_shape, kernel, stride, padding", CONV_CASES)
def test_conv_gradients_match_centered_differences(x_shape, kernel, stride, padding):
    rng = np.random.default_rng(231)
    x = rng.standard_normal(x_shape)
    w = rng.standard_normal((kernel[0], x_shape[1]) + kernel[1:])
    g = rng.standard_normal(cm.conv2d(x, w, stride, padding).shape)
    dx = cm.conv2d_grad_x(g, w, x.shape, stride, padding)
    dw = cm.conv2d_grad_w(g, x, w.shape, stride, padding)
    np.testing.assert_allclose(dx, centered_vjp(lambda v: cm.conv2d(v, w, stride, padding), x, g),
                               rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(dw, centered_vjp(lambda v: cm.conv2d(x, v, stride, padding), w, g),
                               rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("kernel, stride", [((2, 2), (2, 2)), ((3, 3), (2, 2)), ((3, 2), (1, 2))])
def test_pool_gradients_match_centered_differences(kernel, stride):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 2, 7, 6))
    g = rng.standard_normal(cm.max_pool2d(x, kernel, stride).shape)
    out = cm.max_pool2d(x, kernel, stride)
    np.testing.assert_allclose(cm.max_pool2d_grad(g, out, x, kernel, stride),
                               centered_vjp(lambda v: cm.max_pool2d(v, kernel, stride), x, g),
                               rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(cm.avg_pool2d_grad(g, x.shape, kernel, stride),
                               centered_vjp(lambda v: cm.avg_pool2d(v, kernel, stride), x, g),
                               rtol=1e-7, atol=1e-8)


def test_max_pool_splits_ties_evenly():
    x = np.zeros((1, 1, 2, 2))
    x[0, 0, 0, 1] = x[0, 0, 1, 0] = 1.0  # two winners in one window
    out = cm.max_pool2d(x, (2, 2), (2, 2))
    dx = cm.max_pool2d_grad(np.array([[[[6.0]]]]), out, x, (2, 2), (2, 2))
    np.testing.assert_array_equal(dx, [[[[0.0, 3.0], [3.0, 0.0]]]])


def test_overlapping_windows_collect_from_each():
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    out = cm.max_pool2d(x, (2, 2), (1, 1))  # the centre 4.0 never wins; 8.0 wins once
    dx = cm.max_pool2d_grad(np.ones_like(out), out, x, (2, 2), (1, 1))
    np.testing.assert_array_equal(dx[0, 0], [[0, 0, 0], [0, 1, 1], [0, 1, 1]])
    avg = cm.avg_pool2d_grad(np.ones((1, 1, 2, 2)), x.shape, (2, 2), (1, 1))
    np.testing.assert_array_equal(avg[0, 0] * 4, [[1, 2, 1], [2, 4, 2], [1, 2, 1]])


def test_full_convolution_with_the_rotated_kernel_is_the_input_gradient():
    """Stride 1, no padding: dx = g zero-padded by (HH-1, WW-1), correlated with w rotated 180."""
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((4, 3, 3, 2))
    g = rng.standard_normal(cm.conv2d(x, w, (1, 1), (0, 0)).shape)
    rotated = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)  # (C, F, HH, WW)
    full = cm.conv2d(g, rotated, (1, 1), (2, 1))
    np.testing.assert_allclose(cm.conv2d_grad_x(g, w, x.shape, (1, 1), (0, 0)), full, atol=1e-13)


# --- against PyTorch float64 ---------------------------------------------------------------------

TORCH_GRID = list(itertools.product(
    [(2, 3, 7, 6), (1, 2, 8, 9)],   # x shape
    [(4, 3, 3), (2, 2, 5), (3, 1, 1)],  # (F, HH, WW): square, non-square, 1x1
    [(1, 1), (2, 2), (2, 3)],       # stride
    [(0, 0), (1, 1), (2, 1)],       # padding
))


@pytest.mark.parametrize("x_shape, kernel, stride, padding", TORCH_GRID)
def test_conv_matches_torch(x_shape, kernel, stride, padding):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(hash((x_shape, kernel, stride, padding)) % 2**32)
    x = rng.standard_normal(x_shape)
    w = rng.standard_normal((kernel[0], x_shape[1]) + kernel[1:])
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    t_out = torch.nn.functional.conv2d(tx, tw, stride=stride, padding=padding)
    g = rng.standard_normal(tuple(t_out.shape))
    t_out.backward(torch.tensor(g))
    np.testing.assert_allclose(cm.conv2d(x, w, stride, padding), t_out.detach().numpy(),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(cm.conv2d_grad_x(g, w, x.shape, stride, padding),
                               tx.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(cm.conv2d_grad_w(g, x, w.shape, stride, padding),
                               tw.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kernel, stride", [((2, 2), (2, 2)), ((3, 3), (2, 2)), ((3, 2), (1, 2)),
                                            ((2, 3), (2, 3)), ((1, 1), (1, 1)), ((3, 3), (3, 3))])
def test_pooling_matches_torch(kernel, stride):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 3, 8, 7))  # continuous random entries: no ties
    for ours, ours_grad, theirs in [
            (cm.max_pool2d, lambda g, out: cm.max_pool2d_grad(g, out, x, kernel, stride),
             torch.nn.functional.max_pool2d),
            (cm.avg_pool2d, lambda g, out: cm.avg_pool2d_grad(g, x.shape, kernel, stride),
             torch.nn.functional.avg_pool2d)]:
        tx = torch.tensor(x, requires_grad=True)
        t_out = theirs(tx, kernel, stride)
        out = ours(x, kernel, stride)
        g = rng.standard_normal(out.shape)
        t_out.backward(torch.tensor(g))
        np.testing.assert_allclose(out, t_out.detach().numpy(), rtol=1e-13, atol=1e-14)
        np.testing.assert_allclose(ours_grad(g, out), tx.grad.numpy(), rtol=1e-13, atol=1e-14)


# --- errors ---------------------------------------------------------------------------------------

def test_errors_name_the_problem():
    x, w = np.zeros((2, 3, 5, 5)), np.zeros((4, 2, 3, 3))
    with pytest.raises(ValueError, match=r"input has 3 channels .* weight expects 2"):
        cm.check_conv(x, w, 1, 0)
    with pytest.raises(ValueError, match=r"kernel 7x7 is larger than the padded input 7x7|"
                                         r"kernel 9x9 is larger than the padded input 7x7"):
        cm.check_conv(x, np.zeros((1, 3, 9, 9)), 1, 1)
    with pytest.raises(TypeError, match=r"stride must be an int or a pair of ints.*1\.5"):
        cm.check_conv(x, np.zeros((1, 3, 3, 3)), 1.5, 0)
    with pytest.raises(ValueError, match=r"must be 4-D \(N, C, H, W\), got shape \(3, 5, 5\).*"
                                         r"batch axis"):
        cm.check_conv(x[0], np.zeros((1, 3, 3, 3)), 1, 0)
    with pytest.raises(ValueError, match=r"padding must be >= 0"):
        cm.check_conv(x, np.zeros((1, 3, 3, 3)), 1, -1)
    with pytest.raises(ValueError, match=r"pooling window 6x6 is larger than the padded input 5x5"):
        cm.check_pool(x, 6, None, "max_pool2d")
    assert cm.check_pool(x, (2, 3), None, "max_pool2d") == ((2, 3), (2, 3))


def test_an_empty_batch_gives_empty_gradients():
    x, w = np.zeros((0, 2, 5, 5)), np.ones((3, 2, 3, 3))
    g = np.zeros(cm.conv2d(x, w, (1, 1), (1, 1)).shape)
    assert g.shape == (0, 3, 5, 5)
    assert cm.conv2d_grad_x(g, w, x.shape, (1, 1), (1, 1)).shape == x.shape
    np.testing.assert_array_equal(cm.conv2d_grad_w(g, x, w.shape, (1, 1), (1, 1)), 0.0)


def naive_conv(x: np.ndarray, w: np.ndarray, stride: tuple, padding: tuple) -> np.ndarray:
    """CS231n's conv_forward_naive: one output pixel at a time."""
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    kh, kw = w.shape[2:]
    ho, wo = cm.conv_output_size(x.shape[2:], (kh, kw), stride, padding)
    out = np.zeros((x.shape[0], w.shape[0], ho, wo))
    for n in range(x.shape[0]):
        for f in range(w.shape[0]):
            for i in range(ho):
                for j in range(wo):
                    window = xp[n, :, i * stride[0]:i * stride[0] + kh,
                                j * stride[1]:j * stride[1] + kw]
                    out[n, f, i, j] = np.sum(window * w[f])
    return out


def naive_max_pool(x: np.ndarray, kernel: tuple, stride: tuple) -> np.ndarray:
    ho, wo = cm.conv_output_size(x.shape[2:], kernel, stride, (0, 0))
    out = np.zeros(x.shape[:2] + (ho, wo))
    for i in range(ho):
        for j in range(wo):
            out[:, :, i, j] = x[:, :, i * stride[0]:i * stride[0] + kernel[0],
                                j * stride[1]:j * stride[1] + kernel[1]].max(axis=(2, 3))
    return out


def test_random_shapes_match_the_naive_loops():
    """Seeded random shapes, strides, paddings and kernels against the one-pixel-at-a-time
    reference; the adjoint identity <g, conv(x)> = <conv_grad_x(g), x> checks dx as well."""
    rng = np.random.default_rng(2024)
    for _ in range(60):
        n, c, f = rng.integers(1, 4, 3)
        kh, kw = rng.integers(1, 5, 2)
        ph, pw = rng.integers(0, 3, 2)
        sh, sw = rng.integers(1, 4, 2)
        h, w_ = max(1, kh - 2 * ph) + rng.integers(0, 6), max(1, kw - 2 * pw) + rng.integers(0, 6)
        x = rng.standard_normal((n, c, h, w_))
        w = rng.standard_normal((f, c, kh, kw))
        stride, padding = (int(sh), int(sw)), (int(ph), int(pw))
        out = cm.conv2d(x, w, stride, padding)
        np.testing.assert_allclose(out, naive_conv(x, w, stride, padding), rtol=1e-12,
                                   atol=1e-12)
        g = rng.standard_normal(out.shape)
        dx = cm.conv2d_grad_x(g, w, x.shape, stride, padding)
        dw = cm.conv2d_grad_w(g, x, w.shape, stride, padding)
        assert np.vdot(g, out) == pytest.approx(np.vdot(dx, x), rel=1e-10, abs=1e-10)
        assert np.vdot(g, out) == pytest.approx(np.vdot(dw, w), rel=1e-10, abs=1e-10)
        if kh <= h and kw <= w_:
            np.testing.assert_array_equal(cm.max_pool2d(x, (int(kh), int(kw)), stride),
                                          naive_max_pool(x, (int(kh), int(kw)), stride))
