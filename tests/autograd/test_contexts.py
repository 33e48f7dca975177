"""Strict mode and named gates are per thread and per task, and survive odd exits (contextvars).

Real threads and generators: a node built in another thread never lands in this thread's gate,
strict mode switched off in one thread stays on in another, blocks left out of order leave the
state right, and a generator suspended inside a gate does not lend it to its caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading

import pytest

import autograd
from autograd import Tensor, Value
from autograd.gates import current_gate


def run_in_thread(target):
    """Run ``target()`` in a new thread; return its result (or raise its exception here)."""
    box = {}

    def main():
        try:
            box["result"] = target()
        except BaseException as error:  # handed back to the test thread
            box["error"] = error

    thread = threading.Thread(target=main)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["result"]


def test_node_built_in_another_thread_is_not_in_this_threads_gate():
    with autograd.gate("mine") as mine:
        theirs = run_in_thread(lambda: Value(2.0) * 3.0)
        ours = Value(2.0) * 3.0
    assert theirs.gate is None
    assert ours.gate is mine


def test_gates_open_in_two_threads_at_once_stay_apart():
    inside, leave = threading.Event(), threading.Event()
    made = {}

    def worker():
        with autograd.gate("worker") as g:
            inside.set()
            leave.wait()
            made["node"], made["gate"] = Value(1.0) + 1.0, g

    thread = threading.Thread(target=worker)
    thread.start()
    inside.wait()
    with autograd.gate("main") as main_gate:
        node = Value(1.0) + 1.0  # the worker's gate is open right now, in its own thread
    leave.set()
    thread.join()
    assert node.gate is main_gate and main_gate.parent is None
    assert made["node"].gate is made["gate"] and made["gate"].parent is None
    assert current_gate() is None


def test_strict_off_in_one_thread_leaves_another_strict():
    switched_off, checked = threading.Event(), threading.Event()
    seen = {}

    def lax():
        with autograd.strict(False):
            switched_off.set()
            checked.wait()
            seen["lax"] = (Value(0.0).log().data, autograd.is_strict())

    thread = threading.Thread(target=lax)
    thread.start()
    switched_off.wait()
    try:
        assert autograd.is_strict()
        with pytest.raises(autograd.DomainError):
            Value(0.0).log()
        with pytest.raises(autograd.DomainError):
            Tensor([0.0]).log()
    finally:
        checked.set()
        thread.join()
    assert seen["lax"] == (float("-inf"), False)
    assert autograd.is_strict()


def test_set_strict_in_a_thread_is_that_threads_setting():
    assert run_in_thread(lambda: (autograd.set_strict(False), autograd.is_strict())) == (True,
                                                                                          False)
    assert autograd.is_strict()
    autograd.set_strict(False)
    try:
        assert run_in_thread(autograd.is_strict)  # a new thread starts strict
    finally:
        autograd.set_strict(True)


def test_threads_leaving_their_blocks_out_of_order_leave_each_state_right():
    # A enters, B enters, A leaves, B leaves: with one global setting B would restore A's False.
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    states = {}

    def worker(name, wait_before_enter, entered, wait_before_leave, left):
        wait_before_enter.wait()
        with autograd.strict(False), autograd.gate(name) as g:
            entered.set()
            wait_before_leave.wait()
            states[name] = (autograd.is_strict(), current_gate() is g)
        states[name + " after"] = (autograd.is_strict(), current_gate())
        left.set()

    go, b_out = threading.Event(), threading.Event()
    a = threading.Thread(target=worker, args=("A", go, a_in, b_in, a_out))
    b = threading.Thread(target=worker, args=("B", a_in, b_in, a_out, b_out))
    a.start()
    b.start()
    go.set()
    a.join()
    b.join()
    assert states["A"] == states["B"] == (False, True)
    assert states["A after"] == states["B after"] == (True, None)
    assert autograd.is_strict() and current_gate() is None


def test_strict_blocks_left_out_of_order_restore_the_setting():
    outer, inner = autograd.strict(False), autograd.strict(True)
    outer.__enter__()
    inner.__enter__()
    outer.__exit__(None, None, None)  # the outer block is left first
    assert autograd.is_strict()  # the inner block is still in force
    inner.__exit__(None, None, None)
    assert autograd.is_strict()  # what was in force before the outer block, not its False
    with autograd.strict(False):
        pass
    assert autograd.is_strict()


def test_gates_left_out_of_order_leave_no_gate_open():
    outer, inner = autograd.gate("outer"), autograd.gate("inner")
    outer.__enter__()
    inner.__enter__()
    outer.__exit__(None, None, None)
    assert current_gate() is inner
    inner.__exit__(None, None, None)
    assert current_gate() is None
    assert (Value(1.0) * 2.0).gate is None


def test_a_gate_or_strict_block_is_entered_once():
    g = autograd.gate("once")
    with g:
        pass
    with pytest.raises(RuntimeError, match="already entered"):
        with g:
            pass
    block = autograd.strict(False)
    with block:
        pass
    with pytest.raises(RuntimeError, match="already entered"):
        with block:
            pass


def test_generator_suspended_inside_a_gate_does_not_leak_it():
    def squares(xs):
        with autograd.gate("square") as g:
            for x in xs:
                yield x * x, g

    gen = squares([Value(2.0), Value(3.0)])
    first, g = next(gen)
    outside = Value(1.0) + 1.0  # made while the generator is suspended inside its gate
    with autograd.gate("caller") as caller:
        in_caller = Value(1.0) + 1.0
    second, _ = next(gen)  # the generator's gate counts again while it runs
    assert first.gate is g and second.gate is g
    assert outside.gate is None
    assert in_caller.gate is caller and caller.parent is None
    gen.close()
    assert current_gate() is None


def test_an_unfinished_generator_leaves_no_gate_behind():
    def numbers():
        with autograd.gate("inside"):
            yield Value(1.0) * 2.0
            yield Value(1.0) * 3.0

    gen = numbers()
    assert next(gen).gate.name == "inside"
    del gen  # closed by the garbage collector: its with block exits
    assert current_gate() is None
    assert (Value(1.0) * 2.0).gate is None


def test_a_contextmanager_generator_may_open_a_gate_for_its_block():
    @contextlib.contextmanager
    def neuron():
        with autograd.gate("neuron") as g:
            yield g

    with neuron() as g:
        node = Value(1.0) * 2.0
    assert node.gate is g


def test_asyncio_tasks_have_their_own_gates_and_strict_mode():
    async def task(name, strict):
        with autograd.strict(strict), autograd.gate(name) as g:
            await asyncio.sleep(0)  # the other task runs inside its own block here
            node = Value(1.0) / 3.0
            return node.gate is g and g.parent is None, autograd.is_strict()

    async def both():
        return await asyncio.gather(task("a", False), task("b", True))

    assert asyncio.run(both()) == [(True, False), (True, True)]
    assert autograd.is_strict() and current_gate() is None


def test_nested_gates_still_nest():
    with autograd.gate("outer") as outer:
        with autograd.gate("inner") as inner:
            node = Value(1.0) * 2.0
        after = Value(1.0) * 2.0
    assert node.gate is inner and inner.parent is outer and after.gate is outer
