"""The ``circuitgrad`` command as a real process, attacked: a closed or full standard output, paths
it cannot write, formulas too big or too deep. Each case ends with exit status 0 or 2 and at most
one line on stderr, never a traceback."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _environment():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def command(*argv, cwd, stdout=subprocess.PIPE):
    """Run ``python -m viz`` with these arguments; returns (exit status, stdout, stderr)."""
    done = subprocess.run([sys.executable, "-m", "viz", *argv], cwd=cwd, env=_environment(),
                          stdout=stdout, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    return done.returncode, done.stdout, done.stderr.decode("utf-8")


def assert_one_line_error(status, err, *words):
    assert status == 2, err
    assert err.count("\n") == 1 and err.startswith("circuitgrad: error: "), err
    assert "Traceback" not in err and "Exception ignored" not in err
    for word in words:
        assert word in err, (word, err)


def closed_pipe_run(*argv, cwd):
    """Run with stdout a pipe whose reading end is already closed (as `| true` that exited)."""
    read, write = os.pipe()
    os.close(read)
    try:
        return command(*argv, cwd=cwd, stdout=write)
    finally:
        os.close(write)


@pytest.mark.parametrize("extra", [[], ["-o", "-", "--format", "dot"], ["--help"]])
def test_a_closed_stdout_is_one_line_and_status_2(tmp_path, extra):
    status, _, err = closed_pipe_run("draw", "x*y", "x=1", "y=2", "--format", "dot", *extra,
                                     cwd=tmp_path)
    assert_one_line_error(status, err, "cannot write to standard output", "Broken pipe")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
@pytest.mark.parametrize("extra", [[], ["-o", "-"]])
def test_a_full_stdout_is_one_line_and_status_2(tmp_path, extra):
    with open("/dev/full", "wb") as full:
        status, _, err = command("draw", "x*y", "x=1", "y=2", "--format", "dot", *extra,
                                 cwd=tmp_path, stdout=full)
    assert_one_line_error(status, err, "cannot write to standard output", "No space left")


def test_options_after_double_dash_and_the_diagram_on_stdout(tmp_path):
    status, out, err = command("draw", "--", "-x*y", "x=1", "y=2", "-o", "f.dot", cwd=tmp_path)
    assert status == 0 and err == "" and out.decode().startswith("-x*y = -2\n")
    assert (tmp_path / "f.dot").read_text().startswith("digraph")
    status, out, err = command("draw", "x*y", "x=1", "y=2", "-o", "-", "--format", "dot",
                               cwd=tmp_path)
    assert status == 0 and out.startswith(b"digraph") and err.startswith("x*y = 2\n")


@pytest.mark.parametrize("output, words", [
    ("nonexistent/dir/t.svg", ["does not exist"]),
    ("a" * 300 + ".svg", ["too long"]),
    ("", ["empty"]),
])
def test_paths_that_cannot_be_written(tmp_path, output, words):
    status, out, err = command("draw", "x*y", "x=1", "y=2", "-o", output, cwd=tmp_path)
    assert_one_line_error(status, err, *words)
    assert out == b"" and list(tmp_path.iterdir()) == []


def test_an_unwritable_directory(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        if os.access(locked, os.W_OK):  # root writes anywhere but where the kernel refuses
            locked = Path("/sys")
            if not locked.is_dir():
                pytest.skip("no unwritable directory available to root")
        status, _, err = command("draw", "x*y", "x=1", "y=2", "-o", str(locked / "t.svg"),
                                 cwd=tmp_path)
        assert_one_line_error(status, err, "cannot write", str(locked / "t.svg"))
        assert any(reason in err for reason in ("not writable", "Permission denied",
                                                "Read-only file system")), err
    finally:
        (tmp_path / "locked").chmod(0o755)


@pytest.mark.parametrize("formula, words", [
    ("+".join(["x"] * 500), ["499 gates", "--max-gates 499"]),
    ("x+" * 60_000 + "x", ["120001 characters", "at most 10000"]),
    ("(" * 4000 + "x" + ")" * 4000, ["too many nested parentheses"]),
    ("x*" + "-" * 9000 + "x", ["nested too deeply", "3,000"]),
    ("exp(" * 1500 + "x" + ")" * 1500, ["nested"]),
    ("x*" + "9" * 5000, ["too long", "digits"]),
    ("x # \x1b]0;owned\x07", ["'#' is not allowed"]),
])
def test_hostile_formulas_end_with_one_line(tmp_path, formula, words):
    status, out, err = command("draw", formula, "x=1", "-o", "c.svg", cwd=tmp_path)
    assert_one_line_error(status, err, *words)
    assert out == b"" and "\x1b" not in err and not (tmp_path / "c.svg").exists()


def test_a_frame_cap_for_the_step_through(tmp_path):
    status, _, err = command("draw", "+".join(["x"] * 150), "x=1", "--steps", "p.html",
                             cwd=tmp_path)
    assert_one_line_error(status, err, "150 frames", "--max-frames 150")


@pytest.mark.parametrize("extra", [[], ["-o", "-"], ["--version"]])
def test_a_stdout_closed_from_the_start(tmp_path, extra):
    argv = ["--version"] if extra == ["--version"] else ["draw", "x*y", "x=1", "y=2",
                                                          "--format", "dot", *extra]
    code = ("import sys; from viz.cli import main; sys.stdout = None; "
            f"raise SystemExit(main({argv!r}))")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=_environment(),
                          capture_output=True, text=True)
    assert_one_line_error(done.returncode, done.stderr, "standard output", "closed")


def test_a_stderr_closed_from_the_start_still_gives_status_2(tmp_path):
    code = ("import sys; from viz.cli import main; sys.stderr = None; "
            "raise SystemExit(main(['draw', 'x*y', 'x=1']))")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=_environment(),
                          capture_output=True, text=True)
    assert done.returncode == 2 and done.stdout == "" and done.stderr == ""
