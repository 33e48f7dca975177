"""The ``circuitgrad`` command: draw the circuit of a formula, with its gradients, from a shell.

::

    circuitgrad draw "1/(1+exp(-(w0*x0+w1*x1+w2)))" w0=2 x0=-1 w1=-3 x1=-2 w2=-3 -o sigmoid.svg
    circuitgrad draw "x*y + z" x=-2 y=5 z=-4 --steps backprop.html
    circuitgrad draw -- "-x*y" x=1 y=2 -o f.svg
    python -m viz draw "tanh(w*x + b)" w=0.5 x=2 b=-1 -o - > neuron.svg

The formula is parsed (never run) by :mod:`viz.expression`, each ``NAME=NUMBER`` becomes a leaf,
the backward pass runs, and the diagram is written. The output value and each variable's gradient
are printed (on stderr when ``-o -`` puts the diagram on stdout). Options may come before or after
the formula and the values; the word after ``--`` is never read as an option, which is how a
formula starting with ``-`` is given.

Every error a user can cause (a bad formula, a missing value, a path that cannot be written, a
closed or full standard output, no Graphviz, a formula over the gate cap) ends the command with
exit status 2 and one line ``circuitgrad: error: ...`` on stderr, checked before any work where it
can be. Nothing the user typed reaches the terminal unescaped.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import autograd
from autograd.steps import format_number
from autograd.walk import backward_order

from .expression import FUNCTIONS, ExpressionError, build, parse_assignments
from .labels import LabelTooLong, printable
from .render import FORMATS, GraphvizFailed, GraphvizNotFound, output_path, save

__all__ = ["main", "build_parser", "MAX_GATES", "MAX_FRAMES"]

PROG = "circuitgrad"
USAGE_ERROR = 2
INTERRUPTED = 130

MAX_GATES = 200
"""The most gates the command draws unless ``--max-gates`` raises it: a bigger diagram is not
readable, and Graphviz's layout time grows fast with it."""

MAX_FRAMES = 50
"""The most frames ``--steps`` and ``--frames`` render unless ``--max-frames`` raises it (one per
gate, plus the forward pass); each frame is a whole diagram."""

STDOUT = "-"
"""``-o -``: the diagram goes to standard output."""

DEFAULT_NAMES = ("f", "out", "output")
"""The output wire's name, the first a variable does not already use (CS231n calls it f)."""

# Stands in for the word after "--" while argparse reads the rest. Command-line arguments cannot
# hold a NUL, so no word a user types is mistaken for it.
_PROTECTED = "\0protected-word\0"

# The arguments that hold text, and how an error message names each.
_TEXT_ARGUMENTS = (("formula", "FORMULA"), ("assignments", "NAME=NUMBER"),
                   ("output", "-o/--output"), ("title", "--title"), ("steps", "--steps"),
                   ("frames", "--frames"), ("name", "--name"))


class CommandError(Exception):
    """A problem the user can fix; reported as one line and exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (``circuitgrad: error: ...``), not usage + error."""

    def error(self, message: str):
        raise CommandError(message)


def _whole_number(low: int, high: Optional[int], what: str):
    def check(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            number = low - 1
        if number < low or (high is not None and number > high):
            span = f"from {low} to {high}" if high is not None else f"of at least {low}"
            raise argparse.ArgumentTypeError(f"must be a whole number {span} ({what}), "
                                             f"got {text!r}")
        return number
    return check


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
        "+ - * / ** and unary minus. Options may come before or after the formula; a formula "
        "starting with '-' goes right after '--' (the word after '--' is never an option).",
        epilog='examples: circuitgrad draw "1/(1+exp(-(w0*x0+w1*x1+w2)))" w0=2 x0=-1 w1=-3 '
        'x1=-2 w2=-3 -o sigmoid.svg --steps sigmoid.html;  circuitgrad draw -- "-x*y" x=1 y=2 '
        '-o f.svg')
    draw.add_argument("formula", metavar="FORMULA", help='e.g. "x*y + z" (quote it)')
    draw.add_argument("assignments", metavar="NAME=NUMBER", nargs="*",
                      help="a value for each variable, e.g. x=-2 y=5 z=-4")
    draw.add_argument("-o", "--output", metavar="FILE",
                      help="diagram file (default: circuit.svg, or circuit.FORMAT with --format), "
                      "in an existing directory; the suffix picks the format: .svg .png .pdf "
                      ".dot; '-' writes the diagram to standard output (SVG unless --format)")
    draw.add_argument("--format", choices=FORMATS,
                      help="diagram format, for an --output without a suffix (it is appended); "
                      "it must agree with a suffix that names a format")
    draw.add_argument("--steps", metavar="PAGE.html",
                      help="also write a self-contained HTML page stepping through the backward "
                      "pass one gate at a time")
    draw.add_argument("--frames", metavar="DIR",
                      help="also write one numbered diagram per step (frame_000.svg ...) to DIR "
                      "(created if missing, in an existing directory)")
    draw.add_argument("--frames-format", choices=FORMATS, default="svg",
                      help="file format of --frames (default: svg)")
    draw.add_argument("--no-grads", action="store_true", help="show values only")
    draw.add_argument("--local-grads", action="store_true",
                      help="also write each wire's local gradient")
    draw.add_argument("--precision", type=_whole_number(1, 17, "significant digits"), default=4,
                      metavar="N", help="significant digits of the numbers (default: 4)")
    draw.add_argument("--title", help="a title above the diagram (and of the --steps page, "
                      "whose title is otherwise the formula)")
    draw.add_argument("--name", help="the name of the output wire (default: f, or out if a "
                      "variable is called f)")
    draw.add_argument("--rankdir", choices=("LR", "TB", "RL", "BT"), default="LR",
                      help="direction of the circuit (default: LR, inputs on the left)")
    draw.add_argument("--no-strict", action="store_true",
                      help="give IEEE inf/nan for log(0), 1/0 ... instead of an error")
    draw.add_argument("--max-gates", type=_whole_number(1, None, "gates"), default=MAX_GATES,
                      metavar="N", help=f"refuse a formula of more than N gates "
                      f"(default: {MAX_GATES})")
    draw.add_argument("--max-frames", type=_whole_number(1, None, "frames"), default=MAX_FRAMES,
                      metavar="N", help=f"refuse --steps or --frames of more than N frames, one "
                      f"per gate plus the forward pass (default: {MAX_FRAMES})")
    _add_serve(commands)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command.

    Args:
        argv: the arguments (default: ``sys.argv[1:]``).

    Returns:
        The exit status: 0 on success, 2 for any error the user can fix (reported on stderr in
        one line), 130 when interrupted with Ctrl-C.
    """
    try:
        status = _run(list(sys.argv[1:] if argv is None else argv))
    except CommandError as error:
        status = _fail(str(error))
    except KeyboardInterrupt:
        _fail("interrupted")
        status = INTERRUPTED
    return _flush_stdout(status)


def _run(argv: List[str]) -> int:
    printed = io.StringIO()  # argparse would drop a write error on the floor
    try:
        with contextlib.redirect_stdout(printed):
            args = _parse(argv)
    except SystemExit as done:  # --help and --version
        _write(sys.stdout, printed.getvalue())
        return done.code if isinstance(done.code, int) else 0
    if args.command == "serve":
        return _serve(args)
    with autograd.strict(not args.no_strict):
        report = _draw(args)
    stream = sys.stderr if args.output == STDOUT else sys.stdout
    _write(stream, "".join(f"{_shown(line)}\n" for line in report))
    return 0


def _parse(argv: List[str]) -> argparse.Namespace:
    """The arguments, options allowed anywhere; the word after the first ``--`` is protected."""
    protected = None
    if "--" in argv:
        at = argv.index("--")
        protected = argv[at + 1] if at + 1 < len(argv) else None
        argv = argv[:at] + ([_PROTECTED] if protected is not None else []) + argv[at + 2:]
    args, extra = build_parser().parse_known_args(argv)
    if args.command == "serve":
        if extra:
            raise CommandError(f"serve: unrecognized arguments: {_short(' '.join(extra))}")
        return args
    options = [word for word in extra if word.startswith("-") and word != _PROTECTED]
    if options:
        raise CommandError(f"unrecognized arguments: {_short(' '.join(options))} (a formula "
                           "that starts with '-' goes right after '--': draw -- \"-x*y\" x=1 "
                           "y=2)")
    args.assignments = list(args.assignments) + extra
    for field in vars(args):
        value = getattr(args, field)
        if value == _PROTECTED:
            setattr(args, field, protected)
        elif isinstance(value, list):
            setattr(args, field, [protected if word == _PROTECTED else word for word in value])
    _check_text(args)
    return args


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
    """Check the outputs, build, differentiate and draw; returns the lines of the report."""
    from .stepthrough import write_frames, write_stepthrough

    diagram, fmt = _diagram_path(args.output, args.format)
    page = _file_path(args.steps, "--steps") if args.steps is not None else None
    frames = _directory_path(args.frames, "--frames") if args.frames is not None else None
    title = _title(args.title)
    try:
        values = parse_assignments(args.assignments)
        circuit = build(args.formula, values)
    except ExpressionError as error:
        message = str(error).replace("autograd.set_strict(False)", "--no-strict")
        raise CommandError(message) from None
    _warn_unused([name for name in values if name not in circuit.variables])
    output = circuit.output
    gates = len(backward_order(output))
    _check_caps(args, gates, page is not None or frames is not None)
    if output.inputs:  # a gate, not a lone variable: its output wire gets a name
        output.label = _output_name(args.name, circuit.variables)
    output.backward()

    precision = args.precision
    options = dict(show_grads=not args.no_grads, local_grads=args.local_grads,
                   precision=precision, rankdir=args.rankdir)
    formula = _one_line(args.formula)
    lines = [f"{formula} = {format_number(output.data, precision)}"]
    if circuit.variables:
        width = max(len(name) for name in circuit.variables) + len(".grad")
        lines += [f"  {name + '.grad':<{width}} = {format_number(leaf.grad, precision)}"
                  for name, leaf in circuit.variables.items()]
    try:
        if diagram is None:
            _diagram_to_stdout(output, fmt, title, options)
        else:
            lines.append(f"wrote {save(output, diagram, title=title, **options)}")
        del options["show_grads"]  # the step-through decides per frame
        if page is not None:
            written = write_stepthrough(output, page, title=title or formula, **options)
            lines.append(f"wrote {written}")
        if frames is not None:
            files = write_frames(output, frames, args.frames_format, title=title, **options)
            lines.append(f"wrote {len(files)} frames to {frames}")
    except (GraphvizNotFound, GraphvizFailed, LabelTooLong) as error:
        raise CommandError(str(error)) from None
    except OSError as error:
        raise CommandError(_cannot_write(error)) from None
    return lines


# The files: every path is checked before any work, so a typo costs no rendering.

def _diagram_path(output: Optional[str], format: Optional[str]) -> Tuple[Optional[Path], str]:
    """The diagram's path (None for standard output) and format, by
    :func:`viz.render.output_path`'s rule (the one :func:`viz.save` follows): the suffix picks the
    format; ``--format`` is appended to a name without one and must agree with a suffix that
    names a format."""
    if output == STDOUT:
        fmt = format or "svg"
        _flush_or_fail(sys.stdout)  # closed from the start: say so before any work
        if fmt in ("png", "pdf") and _is_terminal(sys.stdout):
            raise CommandError(f"will not write {fmt.upper()} to a terminal: redirect standard "
                               "output (-o - > circuit.png) or give a file name")
        return None, fmt
    if output is None:
        output = f"circuit.{format or 'svg'}"
    _file_path(output, "-o/--output")
    try:
        path, fmt = output_path(Path(output), format)
    except ValueError as error:
        raise CommandError(str(error)) from None
    return _file_path(str(path), "-o/--output"), fmt


def _check_file_name(text: str, option: str) -> None:
    if not text:
        raise CommandError(f"the {option} path is empty: give a file name such as "
                           f"{'page.html' if option == '--steps' else 'circuit.svg'}")
    if "\0" in text:
        raise CommandError(f"the {option} path {text!r} contains a null character")
    if text == STDOUT and option != "-o/--output":
        raise CommandError(f"{option} cannot write to standard output ('-'); only -o can: give "
                           "a file name")


def _file_path(text: str, option: str) -> Path:
    """A file to write: not a directory, in a directory that exists and is writable, with a name
    the file system takes."""
    _check_file_name(text, option)
    path = Path(text)
    try:
        if text.endswith(("/", os.sep)) or path.is_dir():
            raise CommandError(f"cannot write {_short(text)}: it is a directory; give a file name "
                               f"such as {_short(str(path / 'circuit.svg'))}")
        _check_parent(path, text)
    except OSError as error:
        raise CommandError(_cannot_write(error, text)) from None
    return path


def _directory_path(text: str, option: str) -> Path:
    """A directory to write into: it exists, or is created in a directory that exists."""
    _check_file_name(text, option)
    path = Path(text)
    try:
        if path.exists():
            if not path.is_dir():
                raise CommandError(f"cannot write frames to {_short(text)}: it is a file, not a "
                                   "directory")
            if not os.access(path, os.W_OK | os.X_OK):
                raise CommandError(f"cannot write frames to {_short(text)}: the directory is "
                                   "not writable")
        else:
            _check_parent(path, text)
    except OSError as error:
        raise CommandError(_cannot_write(error, text)) from None
    return path


def _check_parent(path: Path, text: str) -> None:
    parent = path.parent
    if not parent.is_dir():
        reason = "is not a directory" if parent.exists() else "does not exist"
        raise CommandError(f"cannot write {_short(text)}: directory {_short(str(parent))} "
                           f"{reason} (create it first)")
    longest = _longest_name(parent)
    size = len(os.fsencode(path.name))
    if size > longest:
        raise CommandError(f"cannot write {_short(text)}: the file name is {size} bytes long; "
                           f"the file system takes at most {longest}")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise CommandError(f"cannot write {_short(text)}: directory {_short(str(parent))} is "
                           "not writable")


def _longest_name(directory: Path) -> int:
    try:
        return os.pathconf(directory, "PC_NAME_MAX")
    except (AttributeError, OSError, ValueError):  # not POSIX, or the file system does not say
        return 255


def _cannot_write(error: OSError, text: Optional[str] = None) -> str:
    where = text if text is not None else error.filename
    where = f" {_short(os.fsdecode(where))}" if where else ""
    return f"cannot write{where}: {error.strerror or error}"


def _diagram_to_stdout(output, fmt: str, title: Optional[str], options: dict) -> None:
    """Render through :func:`viz.save` (its errors and checks) into a temporary file, then copy
    it to standard output as bytes."""
    folder = tempfile.mkdtemp(prefix="circuitgrad-")
    try:
        data = save(output, Path(folder) / f"circuit.{fmt}", title=title, **options).read_bytes()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    _flush_or_fail(sys.stdout)
    binary = getattr(sys.stdout, "buffer", None)
    if binary is None:  # a text-only stream (an IDE's console): SVG and DOT are text
        _write(sys.stdout, data.decode("utf-8"))
    else:
        _write(binary, data)


# What the diagram shows.

def _title(text: Optional[str]) -> Optional[str]:
    if text is None:
        return None
    return printable(text).strip() or None


def _output_name(name: Optional[str], variables) -> str:
    if name is None:
        return next(candidate for candidate in DEFAULT_NAMES if candidate not in variables)
    shown = " ".join(printable(name).split())
    if not shown:
        raise CommandError("--name is empty: give the output wire a name, e.g. --name f")
    if shown in variables:
        raise CommandError(f"--name {shown} is also a variable of the formula: give the output "
                           "another name")
    return shown


def _check_caps(args: argparse.Namespace, gates: int, stepping: bool) -> None:
    if gates > args.max_gates:
        raise CommandError(f"the formula has {gates:,} gates, more than the cap of "
                           f"{args.max_gates:,} (a bigger diagram is hard to read and slow to "
                           f"lay out); raise the cap with --max-gates {gates}")
    frames = gates + 1
    if stepping and frames > args.max_frames:
        option = "--steps" if args.steps is not None else "--frames"
        raise CommandError(f"{option} would render {frames:,} frames (one per gate and the "
                           f"forward pass), more than the cap of {args.max_frames:,}; raise the "
                           f"cap with --max-frames {frames}")


def _warn_unused(names: List[str]) -> None:
    if not names:
        return
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5:,} more" if len(names) > 5 else "")
    verb = "is" if len(names) == 1 else "are"
    noun = "variable" if len(names) == 1 else "variables"
    _write(sys.stderr, f"{PROG}: warning: {noun} {_shown(shown)} {verb} not used in the formula\n")


# The terminal: one line per error, nothing unprintable, and a closed or full stdout reported.

def _one_line(text: str) -> str:
    return printable(text.replace("\n", " "))


def _shown(text: str) -> str:
    """``text`` safe for a terminal: every character that is not printable (escape sequences,
    bidirectional overrides, lone surrogates ...) written as a Python escape such as ``\\x1b``."""
    return "".join(c if c.isprintable() or c in " \n" else repr(c)[1:-1] for c in text)


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else f"{text[:limit - 25]}...{text[-22:]}"


def _fail(message: str) -> int:
    _write(sys.stderr, f"{PROG}: error: {' '.join(_shown(message).split())}\n", quiet=True)
    return USAGE_ERROR


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _write(stream, data, quiet: bool = False) -> None:
    """Write to standard output (or its binary buffer) or standard error. On stdout, a closed pipe,
    a full disk or a stream closed from the start (``>&-``) becomes one error line; on stderr
    (or with ``quiet``) nothing can be reported, so nothing is."""
    to_stderr = quiet or stream is sys.stderr
    if stream is None:
        if to_stderr:
            return
        raise CommandError("cannot write to standard output: it is closed")
    try:
        stream.write(data)
    except OSError as error:
        if to_stderr:
            return
        raise CommandError(_stdout_message(error)) from None


def _flush_or_fail(stream) -> None:
    if stream is None:
        raise CommandError("cannot write to standard output: it is closed")
    try:
        stream.flush()
    except OSError as error:
        raise CommandError(_stdout_message(error)) from None


def _stdout_message(error: OSError) -> str:
    _silence_stdout()
    return f"cannot write to standard output: {error.strerror or error}"


def _flush_stdout(status: int) -> int:
    """Flush stdout now, while an error can still be reported (Python would flush it at exit and
    print a traceback-like warning instead)."""
    if sys.stdout is None:
        return status
    try:
        sys.stdout.flush()
    except OSError as error:
        return _fail(_stdout_message(error))
    return status


def _silence_stdout() -> None:
    """Point stdout's file descriptor at /dev/null, so the interpreter's own flush at exit
    finds nothing to complain about."""
    try:
        fd = sys.stdout.fileno()
        null = os.open(os.devnull, os.O_WRONLY)
    except (AttributeError, OSError, ValueError):  # not a real file (a test's capture)
        return
    os.dup2(null, fd)
    os.close(null)


# `circuitgrad serve`: the live editor and playground (viz.serve, needs the "serve" extra).

def _port(text: str) -> int:
    if not (text.isdigit() and 0 <= int(text) <= 65535):
        raise argparse.ArgumentTypeError(f"must be a port number from 0 to 65535 (0: any free "
                                         f"port), got {text!r}")
    return int(text)


def _add_serve(commands: "argparse._SubParsersAction") -> None:
    serve = commands.add_parser(
        "serve", help="serve a live circuit editor and a training playground in the browser",
        description="Start a local web server with the circuit editor (/) and the training "
        "playground (/playground). Needs the serve extra: pip install \"circuitgrad[serve]\".",
        epilog="example: circuitgrad serve --port 8000 --open")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default: 127.0.0.1, this machine only)")
    serve.add_argument("--port", type=_port, default=8000,
                       help="port to listen on (default: 8000; 0 picks a free one)")
    serve.add_argument("--open", action="store_true", help="open the editor in a web browser")


def _serve(args: argparse.Namespace) -> int:
    from .serve import serve

    try:
        serve(args.host, args.port, open_browser=args.open)
    except ImportError as error:
        return _fail(str(error))
    except OSError as error:
        return _fail(f"cannot listen on {args.host}:{args.port}: {error.strerror or error}")
    return 0


