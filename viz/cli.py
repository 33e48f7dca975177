"""The ``circuitgrad`` command: draw the circuit of a formula, with its gradients, from a shell.

::

    circuitgrad draw "1/(1+exp(-(w0*x0+w1*x1+w2)))" w0=2 x0=-1 w1=-3 x1=-2 w2=-3 -o sigmoid.svg
    circuitgrad draw "x*y + z" x=-2 y=5 z=-4 --steps backprop.html
    python -m viz draw "tanh(w*x + b)" w=0.5 x=2 b=-1 --format dot

The formula is parsed (never run) by :mod:`viz.expression`, each ``NAME=NUMBER`` becomes a leaf,
the backward pass runs, and the diagram is written. The output value and each variable's gradient
are printed. Every error a user can cause (a bad formula, a missing value, an unwritable path, no
Graphviz) ends the command with exit status 2 and one line ``circuitgrad: error: ...`` on stderr.
A formula starting with ``-`` must come after ``--``: ``circuitgrad draw -- "-x*y" x=1 y=2``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import List, Optional, Sequence

import autograd
from autograd.steps import format_number

from .expression import FUNCTIONS, ExpressionError, build, parse_assignments
from .render import FORMATS, GraphvizFailed, GraphvizNotFound, output_path

__all__ = ["main", "build_parser"]

PROG = "circuitgrad"
USAGE_ERROR = 2

# The arguments that hold text, and how an error message names each.
_TEXT_ARGUMENTS = (("formula", "FORMULA"), ("assignments", "NAME=NUMBER"),
                   ("output", "-o/--output"), ("title", "--title"), ("steps", "--steps"),
                   ("frames", "--frames"))


class CommandError(Exception):
    """A problem the user can fix; reported as one line and exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (``circuitgrad: error: ...``), not usage + error."""

    def error(self, message: str):
        if message.startswith("unrecognized arguments: -"):
            message += " (a formula that starts with '-' goes after '--': draw -- \"-x*y\" x=1 y=2)"
        raise CommandError(message)


def _precision(text: str) -> int:
    try:
        digits = int(text)
    except ValueError:
        digits = 0
    if not 1 <= digits <= 17:
        raise argparse.ArgumentTypeError(f"must be a whole number of significant digits from 1 to "
                                         f"17, got {text!r}")
    return digits


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``circuitgrad`` command."""
    parser = _Parser(prog=PROG, description="Backpropagation you can see: draw the circuit of a "
                     "formula with its values and gradients.")
    parser.add_argument("--version", action="version",
                        version=f"{PROG} {autograd.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    draw = commands.add_parser(
        "draw", help="draw a formula's circuit with its gradients",
        description="Draw the circuit of FORMULA with the given variable values, run the backward "
        f"pass and write the diagram. Functions: {' '.join(FUNCTIONS)}; operators: "
        "+ - * / ** and unary minus. A formula starting with '-' goes after '--'.",
        epilog='example: circuitgrad draw "1/(1+exp(-(w0*x0+w1*x1+w2)))" w0=2 x0=-1 w1=-3 '
        'x1=-2 w2=-3 -o sigmoid.svg --steps sigmoid.html')
    draw.add_argument("formula", metavar="FORMULA", help='e.g. "x*y + z" (quote it)')
    draw.add_argument("assignments", metavar="NAME=NUMBER", nargs="*",
                      help="a value for each variable, e.g. x=-2 y=5 z=-4")
    draw.add_argument("-o", "--output", metavar="FILE",
                      help="diagram file (default: circuit.svg, or circuit.FORMAT with --format); "
                      "the suffix picks the format: .svg .png .pdf .dot")
    draw.add_argument("--format", choices=FORMATS,
                      help="diagram format, for an --output without a suffix (it is appended); "
                      "it must agree with a suffix that names a format")
    draw.add_argument("--steps", metavar="PAGE.html",
                      help="also write a self-contained HTML page stepping through the backward "
                      "pass one gate at a time")
    draw.add_argument("--frames", metavar="DIR",
                      help="also write one numbered diagram per step (frame_000.svg ...) to DIR")
    draw.add_argument("--frames-format", choices=FORMATS, default="svg",
                      help="file format of --frames (default: svg)")
    draw.add_argument("--no-grads", action="store_true", help="show values only")
    draw.add_argument("--local-grads", action="store_true",
                      help="also write each wire's local gradient")
    draw.add_argument("--precision", type=_precision, default=4, metavar="N",
                      help="significant digits of the numbers (default: 4)")
    draw.add_argument("--title", help="a title above the diagram (and of the --steps page)")
    draw.add_argument("--rankdir", choices=("LR", "TB", "RL", "BT"), default="LR",
                      help="direction of the circuit (default: LR, inputs on the left)")
    draw.add_argument("--no-strict", action="store_true",
                      help="give IEEE inf/nan for log(0), 1/0 ... instead of an error")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command.

    Args:
        argv: the arguments (default: ``sys.argv[1:]``).

    Returns:
        The exit status: 0 on success, 2 for any error the user can fix (reported on stderr).
    """
    try:
        args = build_parser().parse_args(argv)
        _check_text(args)
    except SystemExit as done:  # --help and --version
        return done.code if isinstance(done.code, int) else 0
    except CommandError as error:
        return _fail(str(error))
    try:
        with autograd.strict(not args.no_strict):
            for line in _draw(args):
                print(line)
    except CommandError as error:
        return _fail(str(error))
    return 0


def _fail(message: str) -> int:
    message = message.encode("utf-8", "backslashreplace").decode("utf-8")  # no lone surrogates
    print(f"{PROG}: error: {' '.join(message.split())}", file=sys.stderr)
    return USAGE_ERROR


def _check_text(args: argparse.Namespace) -> None:
    """Every text argument must be valid UTF-8 (Python keeps undecodable bytes as surrogates)."""
    for field, name in _TEXT_ARGUMENTS:
        value = getattr(args, field, None)
        for text in value if isinstance(value, list) else [value]:
            if text is None:
                continue
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                shown = os.fsencode(text) if os.name == "posix" else text.encode(
                    "utf-8", "backslashreplace")
                raise CommandError(f"{name} {shown!r} is not valid UTF-8 text") from None


def _draw(args: argparse.Namespace) -> List[str]:
    """Build, differentiate and draw; returns the lines to print."""
    from .render import save
    from .stepthrough import write_frames, write_stepthrough

    try:
        values = parse_assignments(args.assignments)
        circuit = build(args.formula, values)
    except ExpressionError as error:
        message = str(error).replace("autograd.set_strict(False)", "--no-strict")
        raise CommandError(message) from None
    for name in values:
        if name not in circuit.variables:
            print(f"{PROG}: warning: variable {name} is not used in the formula", file=sys.stderr)
    output, path = circuit.output, _output_path(args.output, args.format)
    output.backward()

    precision = args.precision
    options = dict(show_grads=not args.no_grads, local_grads=args.local_grads,
                   precision=precision, rankdir=args.rankdir)
    formula = args.formula.replace("\r", " ").replace("\n", " ")
    lines = [f"{formula} = {format_number(output.data, precision)}"]
    if circuit.variables:
        width = max(len(name) for name in circuit.variables) + len(".grad")
        lines += [f"  {name + '.grad':<{width}} = {format_number(leaf.grad, precision)}"
                  for name, leaf in circuit.variables.items()]
    try:
        lines.append(f"wrote {save(output, path, title=args.title, **options)}")
        del options["show_grads"]  # the step-through decides per frame
        if args.steps:
            page = write_stepthrough(output, args.steps, title=args.title or args.formula,
                                     **options)
            lines.append(f"wrote {page}")
        if args.frames:
            files = write_frames(output, args.frames, args.frames_format, title=args.title,
                                 **options)
            lines.append(f"wrote {len(files)} frames to {args.frames}")
    except (GraphvizNotFound, GraphvizFailed) as error:
        raise CommandError(str(error)) from None
    except OSError as error:
        where = f" {error.filename}" if error.filename else ""
        raise CommandError(f"cannot write{where}: {error.strerror or error}") from None
    return lines


def _output_path(output: Optional[str], format: Optional[str]) -> Path:
    """The diagram's path, by :func:`viz.render.output_path`'s rule (the one :func:`viz.save`
    follows): the suffix picks the format; ``--format`` is appended to a name without one and
    must agree with a suffix that names a format."""
    if output is None:
        return Path(f"circuit.{format or 'svg'}")
    if not output:
        raise CommandError("the output path (-o) is empty: give a file name such as circuit.svg")
    path = Path(output)
    if output.endswith(("/", os.sep)) or path.is_dir():
        raise CommandError(f"cannot write {output}: it is a directory; give a file name such as "
                           f"{path / 'circuit.svg'}")
    try:
        return output_path(path, format)[0]
    except ValueError as error:
        raise CommandError(str(error)) from None
