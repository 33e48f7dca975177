"""Scalar nets (Neuron, Layer, MLP): sizes, initialization, forward numbers, gradients, training."""

import math

import pytest

import autograd
from autograd import Constant, Value
from autograd.nn import MLP, Layer, Module, Neuron

ACTIVATIONS = {
    "relu": lambda z: max(z, 0.0),
    "tanh": math.tanh,
    "sigmoid": lambda z: 1.0 / (1.0 + math.exp(-z)),
    "linear": lambda z: z,
}


def float_forward(model: MLP, x):
    """The MLP's outputs computed by hand with floats from its parameters."""
    activations = list(x)
    last = len(model.layers) - 1
    for index, layer in enumerate(model.layers):
        f = ACTIVATIONS[model.nonlinearity if index < last else "linear"]
        activations = [f(sum(w.data * a for w, a in zip(n.w, activations)) + n.b.data)
                       for n in layer.neurons]
    return activations


# Sizes and structure ------------------------------------------------------------------------------

def test_parameter_counts():
    assert len(MLP(2, [16, 16, 1]).parameters()) == 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1 == 337
    assert len(Layer(3, 4).parameters()) == 3 * 4 + 4
    assert len(Neuron(5).parameters()) == 6
    assert all(isinstance(m, Module) for m in (Neuron(1), Layer(1, 1), MLP(1, [1])))


def test_parameters_are_distinct_leaves():
    params = MLP(3, [4, 2]).parameters()
    assert len({id(p) for p in params}) == len(params)
    assert all(isinstance(p, Value) and p.is_leaf for p in params)


def test_hidden_layers_use_the_nonlinearity_and_the_last_layer_is_linear():
    model = MLP(2, [3, 3, 1], "tanh")
    assert [layer.nonlinearity for layer in model.layers] == ["tanh", "tanh", "linear"]
    assert model([0.1, 0.2]).op == "w·x+b"


def test_pre_activation_is_one_linear_gate_then_the_nonlinearity():
    neuron = Neuron(3, "sigmoid", seed=1)
    x = [Value(1.0), Value(2.0), Value(3.0)]
    out = neuron(x)
    assert out.op == "sigmoid"
    (pre,) = out.inputs
    assert pre.op == "w·x+b"
    assert pre.inputs == (*neuron.w, *x, neuron.b)
    assert pre.local_grads == (1.0, 2.0, 3.0, *(w.data for w in neuron.w), 1.0)


def test_labels_name_each_parameter_by_position():
    assert [p.label for p in Neuron(2).parameters()] == ["w0", "w1", "b"]
    assert [p.label for p in Layer(2, 2).parameters()] == ["w0.0", "w0.1", "b0",
                                                           "w1.0", "w1.1", "b1"]
    model = MLP(2, [3, 1])
    assert model.layers[0].neurons[2].w[1].label == "w0.2.1"
    assert model.layers[1].neurons[0].b.label == "b1.0"
    labels = [p.label for p in MLP(2, [16, 16, 1]).parameters()]
    assert len(set(labels)) == 337


def test_output_types():
    assert isinstance(MLP(2, [4, 1])([1.0, 2.0]), Value)
    out = MLP(2, [4, 3])([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 3
    assert isinstance(Layer(2, 1)([1.0, 2.0]), Value)
    assert len(Layer(2, 2)([1.0, 2.0])) == 2
    assert isinstance(Neuron(2)((1, 2)), Value)


def test_repr():
    assert repr(Neuron(3, "tanh")) == "Neuron(3 inputs, tanh)"
    assert repr(Layer(2, 4)) == "Layer(2 -> 4, relu)"
    assert repr(MLP(2, [16, 16, 1])) == "MLP(2 -> 16 -> 16 -> 1, relu hidden, linear output)"


# Initialization -----------------------------------------------------------------------------------

def test_manual_seed_makes_models_reproducible():
    autograd.manual_seed(0)
    first = [p.data for p in MLP(2, [16, 16, 1]).parameters()]
    autograd.manual_seed(0)
    second = [p.data for p in MLP(2, [16, 16, 1]).parameters()]
    autograd.manual_seed(1)
    third = [p.data for p in MLP(2, [16, 16, 1]).parameters()]
    assert first == second
    assert first != third


def test_seed_keyword_uses_a_private_generator():
    autograd.manual_seed(5)
    expected_global = autograd.rng.python_rng().random()
    autograd.manual_seed(5)
    a = [p.data for p in MLP(3, [4, 2], seed=7).parameters()]
    assert autograd.rng.python_rng().random() == expected_global  # global stream untouched
    b = [p.data for p in MLP(3, [4, 2], seed=7).parameters()]
    c = [p.data for p in MLP(3, [4, 2], seed=8).parameters()]
    assert a == b and a != c
    assert [p.data for p in Neuron(4, seed=3).parameters()] == [
        p.data for p in Neuron(4, seed=3).parameters()]


def test_initialization_is_uniform_within_one_over_sqrt_fan_in():
    model = MLP(9, [25, 4], seed=0)
    for layer in model.layers:
        bound = 1.0 / math.sqrt(layer.nin)
        values = [p.data for p in layer.parameters()]
        assert all(-bound <= v <= bound for v in values)
        assert max(values) > 0.8 * bound and min(values) < -0.8 * bound  # spread over the range
        assert len(set(values)) == len(values)


def test_seed_must_be_int_or_generator():
    with pytest.raises(TypeError, match="seed must be an int"):
        Neuron(2, seed=1.5)


# Forward numbers ----------------------------------------------------------------------------------

@pytest.mark.parametrize("nonlinearity", ["relu", "tanh", "sigmoid", "linear"])
def test_neuron_forward_equals_hand_computation(nonlinearity):
    neuron = Neuron(3, nonlinearity)
    for p, v in zip(neuron.parameters(), [0.5, -1.25, 2.0, 0.125]):
        p.data = v
    z = 0.5 * 1.0 + -1.25 * -2.0 + 2.0 * 0.75 + 0.125  # 4.625
    assert neuron([1.0, -2.0, 0.75]).data == pytest.approx(ACTIVATIONS[nonlinearity](z), rel=1e-15)
    for p, v in zip(neuron.parameters(), [-0.5, 1.25, -2.0, 0.125]):
        p.data = v
    z = -0.5 - 2.5 - 1.5 + 0.125  # -4.375, a negative pre-activation (relu gives 0)
    assert neuron([1.0, -2.0, 0.75]).data == pytest.approx(ACTIVATIONS[nonlinearity](z), rel=1e-15)


@pytest.mark.parametrize("nonlinearity", ["relu", "tanh", "sigmoid"])
def test_mlp_forward_equals_hand_computation(nonlinearity):
    model = MLP(3, [5, 4, 2], nonlinearity, seed=11)
    for x in ([0.3, -1.2, 2.5], [0.0, 0.0, 0.0], [-3.0, 1.0, 0.5]):
        got = [v.data for v in model(x)]
        assert got == pytest.approx(float_forward(model, x), rel=1e-14, abs=1e-15)


def test_accepts_numbers_values_and_numpy_rows():
    np = pytest.importorskip("numpy")
    model = MLP(2, [3, 1], seed=2)
    a = model([0.5, -1.5]).data
    assert model((Value(0.5), -1.5)).data == a
    assert model(np.array([0.5, -1.5])).data == a
    assert Neuron(1, seed=0)(2.0).data == Neuron(1, seed=0)([2.0]).data


def test_numbers_become_constants_and_values_get_gradients():
    neuron = Neuron(2, "linear", seed=4)
    x0 = Value(3.0, label="x0")
    out = neuron([x0, 2.0])
    (pre_x0, pre_x1) = out.inputs[2:4]
    assert pre_x0 is x0 and isinstance(pre_x1, Constant) and pre_x1.data == 2.0
    out.backward()
    assert x0.grad == neuron.w[0].data
    assert neuron.w[0].grad == 3.0 and neuron.w[1].grad == 2.0 and neuron.b.grad == 1.0


# Gradients ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("nonlinearity", ["tanh", "sigmoid", "relu"])
def test_gradients_match_centered_differences(nonlinearity):
    model = MLP(3, [4, 4, 2], nonlinearity, seed=3)
    x = [0.7, -0.4, 1.3]

    def loss_value() -> Value:
        a, b = model(x)
        return a * a + 3.0 * b

    loss = loss_value()
    model.zero_grad()
    loss.backward()
    h = 1e-6
    for p in model.parameters():
        original = p.data
        p.data = original + h
        up = loss_value().data
        p.data = original - h
        down = loss_value().data
        p.data = original
        assert p.grad == pytest.approx((up - down) / (2 * h), rel=1e-6, abs=1e-8), p.label


def test_input_gradients_match_centered_differences():
    model = MLP(2, [6, 1], "tanh", seed=9)
    x = [Value(0.25), Value(-0.8)]
    model(x).backward()
    h = 1e-6
    for i in range(2):
        up = [v.data for v in x]
        down = [v.data for v in x]
        up[i] += h
        down[i] -= h
        numeric = (model(up).data - model(down).data) / (2 * h)
        assert x[i].grad == pytest.approx(numeric, rel=1e-6, abs=1e-9)


def test_zero_grad_resets_every_parameter_and_leaves_accumulate_otherwise():
    model = MLP(2, [4, 1], "tanh", seed=1)
    model([1.0, -1.0]).backward()
    first = [p.grad for p in model.parameters()]
    assert any(g != 0.0 for g in first)
    model([1.0, -1.0]).backward()
    assert [p.grad for p in model.parameters()] == pytest.approx([2 * g for g in first])
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_a_short_training_run_decreases_the_loss():
    points = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    targets = [-1.0, 1.0, 1.0, -1.0]  # XOR
    model = MLP(2, [8, 1], "tanh", seed=0)
    parameters = model.parameters()

    def loss_value() -> Value:
        return autograd.sum([(model(x) - t) ** 2 for x, t in zip(points, targets)]) * 0.25

    losses = []
    for _ in range(200):
        loss = loss_value()
        losses.append(loss.data)
        model.zero_grad()
        loss.backward()
        for p in parameters:
            p.data -= 0.1 * p.grad
    assert losses[-1] < 0.1 * losses[0]
    assert all(math.copysign(1.0, model(x).data) == t for x, t in zip(points, targets))


# Errors -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("make", [lambda: Neuron(2, "softplus"), lambda: Layer(2, 3, "softplus"),
                                  lambda: MLP(2, [3, 1], "softplus")])
def test_unknown_nonlinearity_is_a_clear_error(make):
    with pytest.raises(ValueError, match=r"unknown nonlinearity 'softplus'.*'relu'.*'linear'"):
        make()


@pytest.mark.parametrize("model, who, expected", [(Neuron(3), "Neuron", 3),
                                                  (Layer(3, 2), "Layer", 3),
                                                  (MLP(3, [2, 1]), "MLP", 3)])
def test_wrong_input_length_names_expected_and_actual(model, who, expected):
    with pytest.raises(ValueError, match=f"{who} expects {expected} inputs, got 2"):
        model([1.0, 2.0])
    with pytest.raises(ValueError, match=f"{who} expects {expected} inputs, got 4"):
        model([1.0, 2.0, 3.0, 4.0])


def test_non_sequence_input_and_bad_sizes_are_clear_errors():
    with pytest.raises(TypeError, match="MLP expects a sequence of 2 numbers or Values, got float"):
        MLP(2, [1])(3.0)
    with pytest.raises(ValueError, match="nin must be a positive int, got 0"):
        Neuron(0)
    with pytest.raises(ValueError, match="at least one layer size"):
        MLP(2, [])
    with pytest.raises(ValueError, match="every layer size in nouts must be a positive int"):
        MLP(2, [4, 0])
    with pytest.raises(TypeError, match="needs a real number, got str"):
        Neuron(2)(["a", 1.0])
