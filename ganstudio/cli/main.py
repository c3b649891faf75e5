"""`ganstudio` entry point: no subcommand (or a model path) opens the desktop app; subcommands work headless."""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from ganstudio import __version__
from ganstudio.errors import GanStudioError
from ganstudio.paths import MODEL_SUFFIXES

SIGPIPE = 13  # signal.SIGPIPE on POSIX; Windows has no such signal, only the error
COMMANDS = (
    "train",
    "resume",
    "export",
    "sample",
    "interpolate",
    "info",
    "evaluate",
    "directions",
    "project",
    "nearest",
    "playground",
    "gui",
)


class CliError(GanStudioError):
    """A failure to report as one line on stderr with a non-zero exit code."""


def build_parser() -> argparse.ArgumentParser:
    from ganstudio.cli import (
        directions_command,
        model_commands,
        nearest_command,
        playground_command,
        project_command,
        train_commands,
    )

    parser = argparse.ArgumentParser(
        prog="ganstudio",
        description="Train GANs on small image datasets and explore what they learned. "
        "Run without a command to open the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"ganstudio {__version__}")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    gui = sub.add_parser("gui", help="open the desktop app (the default)")
    gui.add_argument("model", nargs="?", help="an .onnx model, checkpoint or run folder to open")
    train_commands.add_parsers(sub)
    model_commands.add_parsers(sub)
    directions_command.add_parser(sub)
    project_command.add_parser(sub)
    nearest_command.add_parser(sub)
    playground_command.add_parsers(sub)
    return parser


def _launch_gui(model: str | None) -> int:
    from ganstudio.cli.display_check import display_problem

    problem = display_problem()
    if problem is not None:  # before Qt: without a display it aborts the process instead of raising
        raise CliError(problem)
    try:
        from ganstudio.gui.app import run_app
    except ImportError as exc:
        raise CliError(
            f"the desktop app is not available ({exc}); the headless commands still work (see `ganstudio --help`)"
        ) from exc
    return run_app(sys.argv[:1], model)


def _names_a_model(word: str) -> bool:
    """`ganstudio WORD` opens the app on WORD when it is an existing path or ends in a model suffix."""
    return Path(word).exists() or word.lower().endswith(MODEL_SUFFIXES)


def unknown_command_message(word: str) -> str:
    close = difflib.get_close_matches(word, COMMANDS, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else f"; commands: {', '.join(COMMANDS)}"
    return f"unknown command '{word}'{hint} (a model to open must be an existing path or end in .onnx/.safetensors)"


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and not args_list[0].startswith("-") and args_list[0] not in COMMANDS:
        if not _names_a_model(args_list[0]):  # a typo such as `ganstudio trian` must not open the app
            print(f"ganstudio: error: {unknown_command_message(args_list[0])}", file=sys.stderr)
            return 2
        args_list = ["gui", *args_list]  # `ganstudio path/to/model.onnx` opens that model in the app
    parser = build_parser()
    args = parser.parse_args(args_list)
    try:
        if args.command in (None, "gui"):
            return _launch_gui(getattr(args, "model", None))
        code = int(args.handler(args) or 0)
        sys.stdout.flush()  # here, so that a closed pipe is met inside this try and not at interpreter exit
        return code
    except BrokenPipeError:
        return _reader_went_away()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # every failure is one readable line; --debug shows the traceback
        if args.debug:
            raise
        print(f"error: {_describe(exc)}", file=sys.stderr)
        return 1


def _reader_went_away() -> int:
    """`ganstudio info m.onnx | head -1`: the reader closed the pipe. End quietly, as a command killed by SIGPIPE
    would, with stdout pointed at devnull so that flushing it at exit cannot raise again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 128 + SIGPIPE


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, (GanStudioError, ValueError, FileNotFoundError)):
        return text
    if isinstance(exc, OSError):
        return f"{exc.strerror or text}" + (f": {exc.filename}" if exc.filename else "")
    return f"unexpected {type(exc).__name__}: {text} (run with --debug for the traceback)"


if __name__ == "__main__":
    sys.exit(main())
