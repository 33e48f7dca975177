"""state_dict / load_state_dict with PyTorch's names and shapes; train() / eval(); save / load."""

from __future__ import annotations

import os

import numpy as np
import pytest

import autograd
from autograd import Tensor
from autograd.losses import softmax_loss
from autograd.nn import MLP, Linear, Module, ReLU, Sequential, TwoLayerNet


def mlp() -> Sequential:
    autograd.manual_seed(0)
    return Sequential(Linear(4, 5), ReLU(), Linear(5, 3))


def test_sequential_keys_and_shapes_are_pytorchs():
    model = mlp()
    state = model.state_dict()
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert state["0.weight"].shape == (5, 4)  # PyTorch's (out, in); ours is W (in, out)
    np.testing.assert_array_equal(state["0.weight"], model[0].W.data.T)
    state["0.bias"][:] = 99.0  # a copy: the model is untouched
    assert not np.any(model[0].b.data == 99.0)


def test_nested_modules_are_prefixed_by_attribute():
    net = TwoLayerNet(3, 4, 2)
    assert list(net.state_dict()) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]


def test_scalar_modules_have_state_too():
    state = MLP(2, [3, 1], seed=0).state_dict()
    assert state["layers.0.neurons.2.w"].shape == (2,) and state["layers.1.neurons.0.b"].shape == ()
    other = MLP(2, [3, 1], seed=1)
    other.load_state_dict(state)
    assert other.layers[0].neurons[2].w[1].data == state["layers.0.neurons.2.w"][1]


def test_load_roundtrip_is_in_place_and_keeps_dtype():
    model, other = mlp(), Sequential(Linear(4, 5), ReLU(), Linear(5, 3))
    weight = other[0].W.data
    other.load_state_dict(model.state_dict())
    assert other[0].W.data is weight  # optimizers holding the array see the new values
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(other.state_dict()[key], value)
        assert other.state_dict()[key].dtype == value.dtype


def test_load_errors_name_the_key_and_both_shapes():
    model = mlp()
    state = model.state_dict()
    bad = dict(state, **{"2.weight": np.zeros((3, 4))})
    with pytest.raises(ValueError, match=r"'2\.weight' has shape \(3, 4\) in the state dict but "
                                         r"the module's '2\.weight' has shape \(3, 5\)"):
        model.load_state_dict(bad)
    before = model[0].W.data.copy()
    missing = {k: v for k, v in state.items() if k != "0.bias"}
    missing["0.weight"] = np.zeros((5, 4))
    with pytest.raises(ValueError, match=r"missing '0\.bias' \(shape \(5,\)\)"):
        model.load_state_dict(missing)
    np.testing.assert_array_equal(model[0].W.data, before)  # nothing written on failure
    with pytest.raises(ValueError, match=r"unexpected 'extra'"):
        model.load_state_dict(dict(state, extra=np.zeros(1)))
    result = model.load_state_dict(dict(missing, extra=np.zeros(1)), strict=False)
    assert result.missing_keys == ["0.bias"] and result.unexpected_keys == ["extra"]
    np.testing.assert_array_equal(model[0].W.data, 0.0)
    with pytest.raises(TypeError, match="dict"):
        model.load_state_dict([("0.weight", 1)])


def test_train_and_eval_switch_every_submodule():
    model = Sequential(mlp(), Linear(3, 2))
    assert model.training and model[0][0].training
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    with pytest.raises(TypeError):
        model.train("no")


def test_save_and_load_roundtrip(tmp_path):
    state = dict(mlp().state_dict(), counter=np.array(3, dtype=np.int64),
                 half=np.ones(2, dtype=np.float32))
    path = tmp_path / "weights.npz"
    autograd.save(state, path)
    loaded = autograd.load(path)
    assert list(loaded) == list(state)
    for key in state:
        np.testing.assert_array_equal(loaded[key], state[key])
        assert loaded[key].dtype == state[key].dtype
    assert os.listdir(tmp_path) == ["weights.npz"]  # no temporary file left behind
    np.testing.assert_array_equal(np.load(path)["0.bias"], state["0.bias"])  # plain numpy reads it


def test_save_is_atomic_when_interrupted(tmp_path, monkeypatch):
    path = tmp_path / "weights.npz"
    autograd.save({"a": np.zeros(3)}, path)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(np.lib.format, "write_array", crash)
    with pytest.raises(KeyboardInterrupt):
        autograd.save({"a": np.ones(3)}, path)
    monkeypatch.undo()
    np.testing.assert_array_equal(autograd.load(path)["a"], np.zeros(3))
    assert os.listdir(tmp_path) == ["weights.npz"]


def test_save_and_load_refuse_bad_input(tmp_path):
    with pytest.raises(ValueError, match=r"must end in \.npz"):
        autograd.save({"a": np.zeros(1)}, tmp_path / "weights.pt")
    with pytest.raises(TypeError, match="keys must be non-empty strings"):
        autograd.save({1: np.zeros(1)}, tmp_path / "w.npz")
    with pytest.raises(TypeError, match="real numbers"):
        autograd.save({"a": np.array(["x"])}, tmp_path / "w.npz")
    np.save(tmp_path / "one.npy", np.zeros(2))
    with pytest.raises(ValueError, match="single array, not a .npz"):
        autograd.load(tmp_path / "one.npy")
    np.savez(tmp_path / "pickled.npz", a=np.array([object()], dtype=object))
    with pytest.raises(ValueError, match="'a' in .* holds pickled Python objects"):
        autograd.load(tmp_path / "pickled.npz")
    (tmp_path / "garbage.npz").write_text("hello")
    with pytest.raises(ValueError, match="is not a .npz archive"):
        autograd.load(tmp_path / "garbage.npz")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        autograd.save({"a": np.zeros(1)}, tmp_path / "missing" / "w.npz")
    (tmp_path / "dir.npz").mkdir()
    with pytest.raises(IsADirectoryError, match="is a directory"):
        autograd.save({"a": np.zeros(1)}, tmp_path / "dir.npz")


def test_saved_tensors_and_modules_share_one_format(tmp_path):
    autograd.save({"t": Tensor(np.arange(3.0))}, tmp_path / "t.npz")
    np.testing.assert_array_equal(autograd.load(tmp_path / "t.npz")["t"], [0.0, 1.0, 2.0])


def test_torch_mlp_weights_give_the_same_logits_and_gradients():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.ReLU(),
                                 torch.nn.Linear(5, 3)).double()
    ours = Sequential(Linear(4, 5), ReLU(), Linear(5, 3))
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x, y = np.random.default_rng(0).standard_normal((6, 4)), np.array([0, 1, 2, 0, 1, 2])
    loss = softmax_loss(ours(x), y)
    loss.backward()
    t_logits = theirs(torch.tensor(x))
    t_loss = torch.nn.functional.cross_entropy(t_logits, torch.tensor(y))
    t_loss.backward()
    np.testing.assert_allclose(ours(x).data, t_logits.detach().numpy(), rtol=1e-13, atol=1e-15)
    assert loss.item() == pytest.approx(t_loss.item(), rel=1e-13)
    np.testing.assert_allclose(ours[0].W.grad.T, theirs[0].weight.grad.numpy(), rtol=1e-12,
                               atol=1e-15)
    np.testing.assert_allclose(ours[2].b.grad, theirs[2].bias.grad.numpy(), rtol=1e-12, atol=1e-15)
    # and back again: our state dict loads into torch
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})


def test_subclass_without_overrides_gets_tensor_attributes():
    class Affine(Module):
        def __init__(self):
            self.scale = Tensor(np.ones(2))
            self.shift = Tensor(np.zeros(2))
    assert list(Affine().state_dict()) == ["scale", "shift"]


def test_torch_tensors_load_directly_and_dtypes_are_checked():
    torch = pytest.importorskip("torch")
    from autograd.nn import BatchNorm1d

    theirs = torch.nn.BatchNorm1d(3)
    ours = BatchNorm1d(3)
    ours.load_state_dict(theirs.state_dict())  # torch tensors, float32: converted
    assert ours.state_dict()["running_var"].dtype == np.float64
    assert ours.state_dict()["num_batches_tracked"].dtype == np.int64
    bad = {k: v.numpy() for k, v in theirs.state_dict().items()}
    bad["num_batches_tracked"] = np.array(1.5)
    with pytest.raises(TypeError, match=r"'num_batches_tracked' holds float64 but the module's "
                                        r"'num_batches_tracked' is int64"):
        ours.load_state_dict(bad)
