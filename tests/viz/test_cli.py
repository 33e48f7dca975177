"""The ``circuitgrad`` command, in-process through ``viz.cli.main`` and once as a real process."""

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import autograd
from viz.cli import main

SIGMOID = "1/(1+exp(-(w0*x0+w1*x1+w2)))"
SIGMOID_ARGS = ["w0=2", "x0=-1", "w1=-3", "x1=-2", "w2=-3"]
SVG = "{http://www.w3.org/2000/svg}"
ROOT = Path(__file__).resolve().parents[2]

requires_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_line_error(status, out, err, *words):
    assert status == 2
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("circuitgrad: error: ")
    assert "Traceback" not in err
    for word in words:
        assert word in err, (word, err)


@pytest.mark.needs_dot
@requires_dot
def test_sigmoid_neuron_prints_value_and_gradients_and_writes_svg(tmp_path, capsys):
    output = tmp_path / "sigmoid.svg"
    status, out, err = run(capsys, "draw", SIGMOID, *SIGMOID_ARGS, "-o", str(output))
    assert status == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == f"{SIGMOID} = 0.7311"
    grads = dict(re.fullmatch(r"\s+(\w+)\.grad\s+= (\S+)", line).groups() for line in lines[1:6])
    assert grads == {"w0": "-0.1966", "x0": "0.3932", "w1": "-0.3932", "x1": "-0.5898",
                     "w2": "0.1966"}
    assert lines[-1] == f"wrote {output}"
    svg = ET.parse(output).getroot()
    assert svg.tag == f"{SVG}svg"
    texts = {t.strip() for t in svg.itertext() if t.strip()}
    assert {"w0", "x0", "w1", "x1", "w2", "exp", "0.7311", "-0.1966", "0.3932"} <= texts


def test_precision_changes_the_printed_digits(tmp_path, capsys):
    status, out, _ = run(capsys, "draw", SIGMOID, *SIGMOID_ARGS, "-o", str(tmp_path / "c.dot"),
                         "--precision", "7")
    assert status == 0
    assert f"{SIGMOID} = 0.7310586" in out and re.search(r"w0\.grad\s+= -0\.1966119\n", out)


def test_dot_output_needs_no_graphviz(tmp_path, capsys, monkeypatch):
    empty = tmp_path / "no-programs"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    output = tmp_path / "circuit"
    status, out, err = run(capsys, "draw", "x*y + z", "x=-2", "y=5", "z=-4", "-o", str(output),
                           "--format", "dot")
    assert status == 0 and err == ""
    written = tmp_path / "circuit.dot"
    assert not output.exists() and written.read_text().startswith("digraph")
    assert out.splitlines()[-1] == f"wrote {written}"
    assert out.splitlines()[:4] == ["x*y + z = -14", "  x.grad = 5", "  y.grad = -2",
                                    "  z.grad = 1"]


def test_missing_graphviz_is_one_line(tmp_path, capsys, monkeypatch):
    empty = tmp_path / "no-programs"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert_one_line_error(*run(capsys, "draw", "x*y", "x=1", "y=2", "-o", str(tmp_path / "c.svg")),
                          "dot", "Graphviz", ".dot")


@pytest.mark.needs_dot
@requires_dot
def test_format_names_the_suffix_and_may_not_contradict_it(tmp_path, capsys):
    # --format is appended to a name without a format suffix; a suffix naming another format is
    # an error, as in viz.save (it used to be renamed silently: c.svg --format png wrote c.png).
    status, out, _ = run(capsys, "draw", "x*y", "x=1", "y=2", "-o", str(tmp_path / "c"),
                         "--format", "png")
    assert status == 0
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert_one_line_error(*run(capsys, "draw", "x*y", "x=1", "y=2", "-o", str(tmp_path / "c.svg"),
                               "--format", "png"), "'c.svg'", "suffix says svg")
    assert not (tmp_path / "c.svg").exists()
    status, _, _ = run(capsys, "draw", "x*y", "x=1", "y=2", "-o", str(tmp_path / "d.pdf"))
    assert status == 0 and (tmp_path / "d.pdf").read_bytes()[:5] == b"%PDF-"


@pytest.mark.needs_dot
@requires_dot
def test_steps_page_and_frames(tmp_path, capsys):
    page, slides = tmp_path / "steps.html", tmp_path / "slides"
    status, out, err = run(capsys, "draw", SIGMOID, *SIGMOID_ARGS, "-o", str(tmp_path / "c.svg"),
                           "--steps", str(page), "--frames", str(slides))
    assert status == 0 and err == ""
    assert f"wrote {page}" in out and f"wrote 9 frames to {slides}" in out
    text = page.read_text(encoding="utf-8")
    assert text.count("<svg") == 1 and 'max="8"' in text and '<h1 id="title">1/(1+exp(' in text
    assert sorted(p.name for p in slides.iterdir()) == [f"frame_{k:03d}.svg" for k in range(9)]
    # The page was made after backward(): the printed gradients are not doubled by it.
    assert re.search(r"w0\.grad\s+= -0\.1966\n", out)


def test_no_grads_and_local_grads_reach_the_diagram(tmp_path, capsys):
    plain, local = tmp_path / "plain.dot", tmp_path / "local.dot"
    assert run(capsys, "draw", "x*y", "x=3", "y=-2", "-o", str(plain), "--no-grads")[0] == 0
    assert run(capsys, "draw", "x*y", "x=3", "y=-2", "-o", str(local), "--local-grads")[0] == 0
    with_grads = tmp_path / "grads.dot"
    assert run(capsys, "draw", "x*y", "x=3", "y=-2", "-o", str(with_grads))[0] == 0
    assert plain.read_text() != with_grads.read_text() != local.read_text()
    assert "-2" in plain.read_text() and "3" in plain.read_text()


def test_title_and_rankdir(tmp_path, capsys):
    output = tmp_path / "t.dot"
    assert run(capsys, "draw", "x*y", "x=3", "y=2", "-o", str(output), "--title", "My circuit",
               "--rankdir", "TB")[0] == 0
    source = output.read_text()
    assert "My circuit" in source and "rankdir=TB" in source.replace('"', "")


def test_formula_starting_with_minus_after_double_dash(tmp_path, capsys):
    status, out, _ = run(capsys, "draw", "-o", str(tmp_path / "c.dot"), "--", "-x*y", "x=2", "y=3")
    assert status == 0 and out.startswith("-x*y = -6\n")


def test_no_strict_gives_ieee_values(tmp_path, capsys):
    assert_one_line_error(*run(capsys, "draw", "log(x)", "x=0", "-o", str(tmp_path / "c.dot")),
                          "log(x) needs x > 0")
    status, out, _ = run(capsys, "draw", "log(x)", "x=0", "-o", str(tmp_path / "c.dot"),
                         "--no-strict")
    assert status == 0 and out.startswith("log(x) = -inf\n")
    assert autograd.is_strict()  # restored


def test_unused_variable_is_a_warning(tmp_path, capsys):
    status, _, err = run(capsys, "draw", "x*2", "x=1", "y=2", "-o", str(tmp_path / "c.dot"))
    assert status == 0 and err == "circuitgrad: warning: variable y is not used in the formula\n"


@pytest.mark.parametrize("argv, words", [
    (["draw", "x*y", "x=1"], ["unknown name 'y'", "y="]),
    (["draw", "foo(x)", "x=1"], ["foo", "exp, log, tanh, sigmoid, relu, abs, sqrt"]),
    (["draw", "__import__('os').system('true')"], ["attribute access"]),
    (["draw", "(lambda: 1)()"], ["lambda"]),
    (["draw", "x +", "x=1"], ["syntax error"]),
    (["draw", "log(x)", "x=-1"], ["log(x) needs x > 0"]),
    (["draw", "1/x", "x=0"], ["division by zero"]),
    (["draw", "x*2", "x"], ["'x' has no value", "x="]),
    (["draw", "x*2", "=2"], ["no name"]),
    (["draw", "x*2", "x=abc"], ["not a number", "x=abc"]),
    (["draw", "x*2", "x=1", "x=2"], ["given twice"]),
    (["draw", "x*2", "x=1", "--precision", "abc"], ["--precision", "'abc'"]),
    (["draw", "x*2", "x=1", "--precision", "0"], ["--precision", "1 to 17"]),
    (["draw", "x*2", "x=1", "--format", "gif"], ["--format", "invalid choice"]),
    (["draw", "x*2", "x=1", "-o", "c.jpg"], ["c.jpg", ".svg"]),
    (["draw", "x*2", "x=1", "--bogus"], ["unrecognized arguments", "--bogus"]),
    (["draw"], ["FORMULA"]),
    ([], ["COMMAND"]),
    (["paint", "x"], ["invalid choice", "paint"]),
])
def test_user_errors_are_one_line_and_status_2(capsys, argv, words):
    assert_one_line_error(*run(capsys, *argv), *words)


def test_unwritable_output_is_one_line(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    assert_one_line_error(*run(capsys, "draw", "x*2", "x=1", "-o", str(blocker / "c.dot")),
                          "cannot write", "a-file")
    assert_one_line_error(*run(capsys, "draw", "x*2", "x=1", "-o", str(tmp_path) + "/",
                               "--format", "dot"), "cannot write", "directory")
    assert_one_line_error(*run(capsys, "draw", "x*2", "x=1", "-o", str(tmp_path)),
                          "cannot write", "directory")


def test_version_and_help(capsys):
    status, out, _ = run(capsys, "--version")
    assert status == 0 and out == f"circuitgrad {autograd.__version__}\n"
    status, out, _ = run(capsys, "draw", "--help")
    assert status == 0 and "--steps" in out and "NAME=NUMBER" in out


def _environment():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.mark.needs_dot
@requires_dot
def test_python_dash_m_viz_as_a_real_process(tmp_path):
    done = subprocess.run([sys.executable, "-m", "viz", "draw", SIGMOID, *SIGMOID_ARGS,
                           "-o", "sigmoid.svg", "--steps", "steps.html"],
                          cwd=tmp_path, env=_environment(), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "w0.grad = -0.1966" in done.stdout and "x1.grad = -0.5898" in done.stdout
    assert (tmp_path / "sigmoid.svg").exists() and (tmp_path / "steps.html").exists()
    failed = subprocess.run([sys.executable, "-m", "viz", "draw", "x.__class__", "x=1"],
                            cwd=tmp_path, env=_environment(), capture_output=True, text=True)
    assert failed.returncode == 2 and failed.stdout == ""
    assert failed.stderr.count("\n") == 1 and failed.stderr.startswith("circuitgrad: error: ")


def test_console_script_when_installed(tmp_path):
    script = Path(sys.executable).with_name("circuitgrad")
    if not script.exists():
        pytest.skip("the circuitgrad console script is not installed next to this Python")
    done = subprocess.run([str(script), "draw", "x*y", "x=3", "y=-2", "--format", "dot"],
                          cwd=tmp_path, env=_environment(), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["x*y = -6", "  x.grad = -2", "  y.grad = 3",
                                        "wrote circuit.dot"]


@pytest.mark.parametrize("argv, words", [
    (["draw", "x\udcff", "x=1"], ["FORMULA", "b'x\\xff'", "not valid UTF-8"]),
    (["draw", "x", "x=1", "--title", "\udcff"], ["--title", "b'\\xff'", "not valid UTF-8"]),
    (["draw", "x", "x\udcfe=1"], ["NAME=NUMBER", "not valid UTF-8"]),
    (["draw", "x", "x=1", "-o", "c\udcff.svg"], ["-o/--output", "not valid UTF-8"]),
])
def test_arguments_that_are_not_utf8_are_one_line(capsys, argv, words):
    assert_one_line_error(*run(capsys, *argv), *words)


def test_not_utf8_as_a_real_process(tmp_path):
    done = subprocess.run([sys.executable, "-m", "viz", "draw", os.fsdecode(b"x\xff"), "x=1"],
                          cwd=tmp_path, env=_environment(), capture_output=True)
    assert done.returncode == 2 and done.stdout == b""
    assert done.stderr.count(b"\n") == 1 and b"Traceback" not in done.stderr
    assert done.stderr.startswith(b"circuitgrad: error: FORMULA")


@pytest.mark.needs_dot
@requires_dot
def test_a_control_character_in_the_title_is_dropped(tmp_path, capsys):
    status, out, err = run(capsys, "draw", "x*2", "x=1", "--title", "a\x01b",
                           "-o", str(tmp_path / "u.svg"))
    assert status == 0 and err == ""
    texts = [t.text for t in ET.parse(tmp_path / "u.svg").getroot().iter(f"{SVG}text")]
    assert "ab" in texts


def test_empty_output_path_and_newlines_in_the_formula(tmp_path, capsys):
    assert_one_line_error(*run(capsys, "draw", "x*2", "x=1", "-o", ""), "output path",
                          "empty")
    status, out, _ = run(capsys, "draw", "x\n+1", "x=1", "-o", str(tmp_path / "c.dot"))
    assert status == 0 and out.startswith("x +1 = 2\n")


def test_default_output_follows_the_format(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out, _ = run(capsys, "draw", "x*2", "x=1", "--format", "dot")
    assert status == 0 and out.splitlines()[-1] == "wrote circuit.dot"
    assert (tmp_path / "circuit.dot").read_text().startswith("digraph")
