"""The README stays true: its REPL session runs as a doctest and its quick start has two commands."""

from __future__ import annotations

import doctest
import pathlib
import re

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
