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


# Issue 8: where options go, the files, the terminal, the caps.

def test_options_after_the_formula_and_after_double_dash(tmp_path, capsys):
    status, out, _ = run(capsys, "draw", "--", "-x*y", "x=1", "y=2", "-o", str(tmp_path / "f.dot"))
    assert status == 0 and out.startswith("-x*y = -2\n")
    assert (tmp_path / "f.dot").exists()
    status, out, _ = run(capsys, "draw", "x*y", "x=1", "-o", str(tmp_path / "g.dot"), "y=2",
                         "--precision", "3")
    assert status == 0 and out.splitlines()[:3] == ["x*y = 2", "  x.grad = 2", "  y.grad = 1"]
    # The word after -- may also be an option's value that starts with '-'.
    status, _, _ = run(capsys, "draw", "x*2", "x=1", "-o", str(tmp_path / "t.dot"), "--title",
                       "--", "-1 to 1")
    assert status == 0 and "-1 to 1" in (tmp_path / "t.dot").read_text()


def test_a_formula_starting_with_minus_says_where_it_goes(capsys):
    assert_one_line_error(*run(capsys, "draw", "-x*y", "x=1", "y=2"), "unrecognized arguments",
                          "'--'", 'draw -- "-x*y"')


def test_a_missing_directory_is_refused_not_created(tmp_path, capsys):
    target = tmp_path / "nonexistent" / "dir" / "t.svg"
    assert_one_line_error(*run(capsys, "draw", "x*2", "x=1", "-o", str(target)),
                          "cannot write", "does not exist", "create it first")
    assert not (tmp_path / "nonexistent").exists()
    for option in ("--steps", "--frames"):
        assert_one_line_error(*run(capsys, "draw", "x*2", "x=1", "-o", str(tmp_path / "c.dot"),
                                   option, str(target)), "does not exist")
    assert not (tmp_path / "nonexistent").exists() and not (tmp_path / "c.dot").exists()


def test_frames_directory_is_created_in_an_existing_one(tmp_path, capsys):
    status, out, _ = run(capsys, "draw", "x*2", "x=1", "-o", str(tmp_path / "c.dot"),
                         "--frames", str(tmp_path / "new"), "--frames-format", "dot")
    assert status == 0 and f"wrote 2 frames to {tmp_path / 'new'}" in out
    (tmp_path / "file").write_text("")
    assert_one_line_error(*run(capsys, "draw", "x*2", "x=1", "-o", str(tmp_path / "c.dot"),
                               "--frames", str(tmp_path / "file")), "is a file")


def test_a_file_name_too_long_is_one_line(tmp_path, capsys):
    name = "a" * 300 + ".svg"
    status, out, err = run(capsys, "draw", "x*2", "x=1", "-o", str(tmp_path / name))
    assert_one_line_error(status, out, err, "cannot write", "too long")
    assert len(err) < 300  # the path is shortened in the message


def test_an_unwritable_directory_is_refused_before_any_work(tmp_path, capsys, monkeypatch):
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: False if Path(path) == tmp_path
                        else real_access(path, mode))
    assert_one_line_error(*run(capsys, "draw", "x*2", "x=1", "-o", str(tmp_path / "c.svg")),
                          "cannot write", "not writable")


def test_a_failing_write_is_one_line(tmp_path, capsys, monkeypatch):
    def refuse(self, data):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "write_bytes", refuse)
    assert_one_line_error(*run(capsys, "draw", "x*2", "x=1", "-o", str(tmp_path / "c.dot")),
                          "cannot write", "c.dot", "Permission denied")


@pytest.mark.parametrize("option", ["--steps", "--frames", "-o"])
def test_empty_paths_are_errors(capsys, option):
    assert_one_line_error(*run(capsys, "draw", "x*2", "x=1", option, ""), "empty")


@pytest.mark.parametrize("option", ["--steps", "--frames"])
def test_only_the_diagram_goes_to_standard_output(capsys, option):
    assert_one_line_error(*run(capsys, "draw", "x*2", "x=1", option, "-"), "standard output")


def test_dash_o_dash_writes_the_diagram_to_stdout(capsys):
    status, out, err = run(capsys, "draw", "x*y", "x=3", "y=-2", "-o", "-", "--format", "dot")
    assert status == 0 and out.startswith("digraph") and out.rstrip().endswith("}")
    assert err.splitlines() == ["x*y = -6", "  x.grad = -2", "  y.grad = 3"]


@pytest.mark.needs_dot
@requires_dot
def test_dash_o_dash_writes_svg_by_default(capsysbinary):
    status = main(["draw", "x*y", "x=3", "y=-2", "-o", "-"])
    out, err = capsysbinary.readouterr()
    assert status == 0 and ET.fromstring(out).tag == f"{SVG}svg"
    assert b"x*y = -6" in err


def test_png_is_not_written_to_a_terminal(capsys, monkeypatch):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert_one_line_error(*run(capsys, "draw", "x*2", "x=1", "-o", "-", "--format", "png"),
                          "terminal")


def test_unknown_name_message_puts_the_column_first(capsys):
    _, _, err = run(capsys, "draw", "x*y", "x=1")
    assert err == ("circuitgrad: error: at column 3: unknown name 'y' (give it a value, e.g. "
                   "y=1.5)\n")


def test_a_comment_is_refused_and_nothing_unprintable_reaches_the_terminal(tmp_path, capsys):
    status, out, err = run(capsys, "draw", "x*2 # \x1b[31mred", "x=1")
    assert_one_line_error(status, out, err, "column 5", "'#'")
    assert "\x1b" not in err
    status, out, err = run(capsys, "draw", "x*2", "x=1", "-o", str(tmp_path / "e\x1b[31m" / "c"))
    assert_one_line_error(status, out, err, "e\\x1b[31m")
    assert "\x1b" not in err


def test_the_title_passes_the_printable_filter_everywhere(tmp_path, capsys):
    page, diagram = tmp_path / "p.html", tmp_path / "c.dot"
    status, _, _ = run(capsys, "draw", "x*2", "x=1", "-o", str(diagram), "--steps", str(page),
                       "--title", "a\x1b[31m\x07b\u202e\ufffe", "--max-frames", "5")
    if status == 2:  # no Graphviz: the page cannot be drawn
        pytest.skip("needs Graphviz for the page")
    text = page.read_text(encoding="utf-8")
    assert "<title>a[31mb\u202e</title>" in text and "\x1b" not in text and "\ufffe" not in text
    assert "a[31mb\u202e" in diagram.read_text(encoding="utf-8")


def test_the_output_wire_is_named(tmp_path, capsys):
    assert run(capsys, "draw", "x*y", "x=1", "y=2", "-o", str(tmp_path / "a.dot"))[0] == 0
    assert output_name(tmp_path / "a.dot") == "f"
    assert run(capsys, "draw", "x*y", "x=1", "y=2", "-o", str(tmp_path / "b.dot"),
               "--name", "L")[0] == 0
    assert output_name(tmp_path / "b.dot") == "L"
    # A variable called f keeps its name; the output becomes out.
    assert run(capsys, "draw", "f*y", "f=1", "y=2", "-o", str(tmp_path / "c.dot"))[0] == 0
    assert output_name(tmp_path / "c.dot") == "out"
    assert_one_line_error(*run(capsys, "draw", "f*y", "f=1", "y=2", "--name", "y"),
                          "--name y is also a variable")
    assert_one_line_error(*run(capsys, "draw", "f*y", "f=1", "y=2", "--name", "\x01 "),
                          "--name is empty")


def output_name(path):
    """The label of the output wire's end in a diagram written by the command."""
    return re.search(r'^\s*out \[label="([^"]*)"', Path(path).read_text(encoding="utf-8"),
                     re.M).group(1)


def test_a_formula_over_the_gate_cap_names_the_cap_and_the_option(tmp_path, capsys):
    formula = "+".join(["x"] * 500)
    status, out, err = run(capsys, "draw", formula, "x=1", "-o", str(tmp_path / "c.dot"))
    assert_one_line_error(status, out, err, "499 gates", "cap of 200", "--max-gates 499")
    assert not (tmp_path / "c.dot").exists()
    status, out, _ = run(capsys, "draw", formula, "x=1", "-o", str(tmp_path / "c.dot"),
                         "--max-gates", "499")
    assert status == 0 and out.startswith(f"{formula} = 500\n")


def test_step_frames_have_their_own_cap(tmp_path, capsys):
    formula = "+".join(["x"] * 150)
    assert_one_line_error(*run(capsys, "draw", formula, "x=1", "-o", str(tmp_path / "c.dot"),
                               "--steps", str(tmp_path / "p.html")),
                          "--steps would render 150 frames", "cap of 50", "--max-frames 150")
    assert_one_line_error(*run(capsys, "draw", "x*2", "x=1", "--max-gates", "0"),
                          "--max-gates", "at least 1")


def test_unused_variables_are_one_warning_line(tmp_path, capsys):
    names = [f"v{k}=1" for k in range(1000)]
    status, _, err = run(capsys, "draw", "x*2", "x=1", *names, "-o", str(tmp_path / "c.dot"))
    assert status == 0
    assert err == ("circuitgrad: warning: variables v0, v1, v2, v3, v4 and 995 more are not "
                   "used in the formula\n")


def test_a_title_over_graphvizs_limit_is_one_line(tmp_path, capsys):
    assert_one_line_error(*run(capsys, "draw", "x*2", "x=1", "-o", str(tmp_path / "c.dot"),
                               "--title", "&" * 4000), "title is too long for Graphviz",
                          "at most 16,381")
    assert not (tmp_path / "c.dot").exists()


def test_ctrl_c_is_one_line_and_status_130(capsys, monkeypatch):
    import viz.cli

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(viz.cli, "build", interrupted)
    status, out, err = run(capsys, "draw", "x*2", "x=1")
    assert status == 130 and out == "" and err == "circuitgrad: error: interrupted\n"
