"""The README stays true: every Python block runs as pasted (REPL sessions as doctests), its
and its quick start has two commands."""

from __future__ import annotations

import doctest
import pathlib
import re
import shutil

import pytest

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def _fenced_blocks(text: str, language: str) -> list:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def test_the_repl_session_in_the_readme_runs_as_shown():
    sessions = [block for block in _fenced_blocks(README.read_text(), "python") if ">>>" in block]
    assert sessions, "the README should show a REPL session"
    parser, runner = doctest.DocTestParser(), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for number, session in enumerate(sessions):
        runner.run(parser.get_doctest(session, {}, f"README session {number}", str(README), 0))
    assert runner.failures == 0 and runner.tries > 5


def test_the_quick_start_is_two_commands_that_exist():
    text = README.read_text()
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = [line for block in _fenced_blocks(section, "bash") for line in block.splitlines()
                if line.strip()]
    assert commands == ["bash scripts/main.sh", "bash scripts/test.sh"]
    for command in commands:
        assert (README.parent / command.split()[1]).is_file()
    assert "scripts/test.sh" in (README.parent / ".ci" / "run").read_text()


def _scripts() -> list:
    return [block for block in _fenced_blocks(README.read_text(), "python") if ">>>" not in block]


def test_the_readme_has_python_blocks():
    assert len(_scripts()) >= 3


@pytest.mark.parametrize("number", range(len(_scripts())))
def test_every_python_block_in_the_readme_runs_as_pasted(number, tmp_path, monkeypatch):
    block = _scripts()[number]
    if "viz.save(" in block and not shutil.which("dot"):
        pytest.skip("needs the Graphviz dot program")
    monkeypatch.chdir(tmp_path)  # blocks that save files write them here
    exec(compile(block, f"README python block {number}", "exec"), {"__name__": "__readme__"})

