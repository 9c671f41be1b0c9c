"""`pyr-tui`: the command line. Sub-commands live in `cli/commands/`, one module per command.

`pyr-tui [SCRIPT.py [CONFIG.yaml]]` (no sub-command) opens the TUI.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
from pathlib import Path

from pyruns_tui.cli import commands
from pyruns_tui.errors import PyrunsError, error_line, shortened
from pyruns_tui.printable import printable
from pyruns_tui.program import defer

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from typing import TextIO

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with one line (`pyr-tui: error: ...`) on usage errors.

    A command with a `query` positional takes a negated term (`-status:failed`) as a query term:
    any `-word` that is not exactly one of its options (attached values like `-fmd` are not
    options there)."""

    command = ""  # the sub-command this top-level parser was built for (its help is the one to see)
    given: list[str] = []  # what it was asked to parse

    def error(self, message: str) -> None:  # type: ignore[override]
        prog = f"{self.prog} {self.command}" if self.command and " " not in self.prog else self.prog
        hint = f"see `{prog} --help`"
        unknown = self._unknown_option() if message.startswith("the following arguments are required") else None
        if unknown is not None:  # `run -x`: argparse names the TASK it then lacks, not the -x it did not know
            message = f"unrecognized option {unknown}"
        if unknown is not None or "ignored explicit argument" in message or "unrecognized arguments: -" in message:
            hint += "; a value that starts with - goes after --, as in `pyr-tui note TASK -- -text`"
        if message.startswith("argument -") and message.endswith(": expected one argument"):
            # `run --sbatch-arg --exclusive`: argparse takes a value starting with - for an option
            names = message[len("argument "):].split(":")[0].split("/")
            given = self.given
            if any(arg in names and i + 1 < len(given) and given[i + 1].startswith("-") for i, arg in enumerate(given)):
                hint += f"; a value that starts with - is joined to its option by =, as in `{names[-1]}=-VALUE`"
        sys.stderr.write(f"{prog}: error: {shortened(message)} ({hint})\n")
        raise SystemExit(EXIT_USAGE)

    def _unknown_option(self) -> str | None:
        """The first `-word` given that is no option of this parser (nor a negative number)."""
        for arg in self.given:
            if arg == "--":
                return None
            if arg.startswith("-") and len(arg) > 1 and not self._negative_number_matcher.match(arg) \
                    and arg.split("=", 1)[0] not in self._option_string_actions:
                return arg
        return None

    def _get_formatter(self) -> argparse.HelpFormatter:
        return self.formatter_class(prog=self.prog, width=_help_width())  # type: ignore[call-arg]

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[no-untyped-def, override]
        self.given = list(sys.argv[1:] if args is None else args)
        if args is not None and any(action.dest == "query" for action in self._actions):
            args = _query_terms_last(self, list(args))
        return super().parse_known_args(args, namespace)


def _help_width() -> int:
    """The width argparse's HelpFormatter gets from `shutil.get_terminal_size()` (the terminal's
    columns less 2), found as shutil finds it (COLUMNS, then stdout's terminal, else 80) without
    importing shutil: argparse does that each time an argument is added, and shutil brings its
    compression modules (~3 ms here, in every command)."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return (columns if columns > 0 else 80) - 2


def _defer_inspect() -> None:
    """Import `inspect` only when something reads from it. `dataclasses` imports it (with ast,
    dis and tokenize: ~6 ms here, in every command) only to write a signature docstring for a
    class that has none, and every dataclass of ours has one (tests/cli/test_startup_imports.py
    checks that a command runs without loading it). Not for the TUI and `serve`, which import
    it on start anyway (Textual)."""
    defer("inspect")


def _query_terms_last(parser: argparse.ArgumentParser, args: list[str]) -> list[str]:
    """`args` with the query terms, negated ones included, moved behind `--` in their order."""
    options: list[str] = []
    terms: list[str] = []
    takes_value = False
    for i, arg in enumerate(args):
        if arg == "--":
            return options + ["--"] + terms + args[i + 1:]
        action = parser._option_string_actions.get(arg)
        if action is None and arg.startswith("--") and "=" not in arg:  # an abbreviation: --so for --sort
            matches = {a for option, a in parser._option_string_actions.items() if option.startswith(arg)}
            action = matches.pop() if len(matches) == 1 else None
        if takes_value or action is not None or arg.startswith("--"):
            options.append(arg)
            takes_value = action is not None and action.nargs != 0
        else:
            terms.append(arg)
    return options + (["--", *terms] if terms else [])


class _ChainedDirectory(argparse.Action):
    """`-C a -C b` is `-C a/b`, as with git: each DIR is relative to the one before (an absolute
    one starts over, an empty one changes nothing)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object,
                 option_string: str | None = None) -> None:
        given = os.path.expanduser(str(values))
        previous = getattr(namespace, self.dest, None)
        setattr(namespace, self.dest, os.path.join(previous, given) if previous and given else given or previous)


def _add_globals(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-C", dest="directory", metavar="DIR", action=_ChainedDirectory,
                        help="run as if started in DIR (several: each relative to the one before, as with git)")
    parser.add_argument("-w", "--workspace", metavar="WORKSPACE", help="workspace name (script stem or _shell_)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every sub-command, or with `only` of that one (its module alone is imported)."""
    parser = _Parser(
        prog="pyr-tui",
        description="A terminal experiment manager for Python training scripts.",
        epilog="Without a command, opens the TUI: pyr-tui [SCRIPT.py [CONFIG.yaml]] [--shell]",
    )
    _add_globals(parser)
    parser.command = only or ""
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in (only,) if only else commands.NAMES:
        commands.load(name).add_parser(sub)
    for each in sub.choices.values():
        _add_after_command(each)
    return parser


def _add_after_command(parser: argparse.ArgumentParser) -> None:
    """`-w` and `--debug` after the sub-command too (`pyr-tui ls -w train`), where a user puts
    them after an error says "choose one with -w NAME": `ls` took `-w train` for search terms,
    `serve -w train` was refused. Not given there, they leave what came before the command
    (SUPPRESS: argparse copies a sub-command's defaults over its parent's values). `-C` stays
    before the command, as with git: each `-C` is relative to the one before."""
    parser.add_argument("-w", "--workspace", metavar="WORKSPACE", default=argparse.SUPPRESS,
                        help="workspace name, as before the command")
    parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")


def build_tui_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="pyr-tui", description="Open the pyruns-tui terminal UI.")
    _add_globals(parser)
    parser.add_argument("script", nargs="?", help="training script (bootstraps its workspace)")
    parser.add_argument("config", nargs="?", help="YAML config to use as the default parameters")
    parser.add_argument("--shell", action="store_true", help="open the shell workspace (_shell_)")
    return parser


def _command_word(argv: list[str]) -> str | None:
    """The sub-command `argv` names; "" for a help request without one; None for the TUI form."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg in ("-C", "-w", "--workspace"):
            skip = True
            continue
        if arg in ("-h", "--help"):
            return ""
        if arg.startswith("-"):
            continue
        return arg if arg in commands.NAMES else None
    return None


class OutputError(OSError):
    """Standard output refused a write (a full device, a descriptor not open for writing): said
    as such, never blamed on a file of the workspace. A reader that left (EPIPE) is not one."""

    def __init__(self, exc: OSError) -> None:
        super().__init__(exc.errno, exc.strerror)

    def __str__(self) -> str:
        return f"cannot write to standard output: {self.strerror}"


class _Output:
    """sys.stdout for a command: its OSErrors (but a reader leaving) become OutputError, also
    those of its binary `buffer` (`log` writes a run's bytes there)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, data: str) -> int:
        try:
            return self._stream.write(data)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(exc) from exc

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(exc) from exc

    def isatty(self) -> bool:
        return self._stream.isatty()

    @property
    def buffer(self) -> _Output:
        return _Output(self._stream.buffer)  # type: ignore[arg-type]

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


class _Errors:
    """sys.stderr for a command: a write it refuses (closed with `2>&-`, a full device, a reader
    gone) is dropped, as there is nowhere left to say so; the exit code still tells. A closed
    standard error (None) never turns a command that worked into a failure."""

    def __init__(self, stream: TextIO | None) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        if self._stream is not None:
            with contextlib.suppress(OSError, ValueError):
                self._stream.write(text)
        return len(text)

    def flush(self) -> None:
        if self._stream is not None:
            with contextlib.suppress(OSError, ValueError):
                self._stream.flush()

    def isatty(self) -> bool:
        return self._stream is not None and self._stream.isatty()

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


CLOSED_STDOUT = ("cannot write to standard output: it is closed; "
                 "redirect it to a file or to /dev/null instead of closing it")


class _PrintableStream:
    """A text stream whose writes pass through `printable`: whatever a command prints (task
    names, notes, values, reasons, errors quoting them) can never act on the terminal."""

    def __init__(self, stream: TextIO | _Output | _Errors) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(printable(text, multiline=True))

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


# commands the `pyr-tui` program leaves without the interpreter's teardown, once their output is
# flushed (they start no thread and leave no file open): `ls` may hold 100,000 tasks when done,
# which the teardown freed one by one (~0.1 s after they were printed); for the rest it is ~9 ms
# of every `run --wait` of a sweep between its last task's end and the shell prompt
QUICK_EXIT = frozenset({"ls", "run", "wait"})
NO_GC = frozenset({"ls"})  # run and wait may wait for hours: the cyclic GC stays on for them
_left_to_exit: list[object] | None = None  # what a quick-exit command leaves for os._exit to free


def keep_until_exit(*objects: object) -> None:
    """Let the end of the process free `objects` when the command ends with the quick exit:
    `ls` freeing its 100,000 rows and views one by one cost 0.35 s after its output was
    written. For in-process callers (`main`) nothing changes: they are freed as usual."""
    if _left_to_exit is not None:
        _left_to_exit.append(objects)


def console() -> None:
    """The `pyr-tui` program (and `python -m pyruns_tui`): `main`, then exit. In-process callers
    (tests, the TUI) use `main`, which always returns."""
    global _left_to_exit
    _fill_closed_descriptors()
    argv = sys.argv[1:]
    word = _command_word(argv)
    quick = word in QUICK_EXIT
    if word is not None and word != "serve":
        _defer_inspect()
    if quick:
        _left_to_exit = []
    if word in NO_GC:
        # nor a collection: re-enabled after loading 100,000 tasks, the cyclic GC walked them all
        # once more (0.2 s) on the way to an exit that frees everything anyway
        gc.disable()
    code = _flushed(main(argv))
    if not quick:
        raise SystemExit(code)
    os._exit(code)


def _fill_closed_descriptors() -> None:
    """/dev/null on each standard descriptor the shell closed (`>&-`, `<&-`, `2>&-`; Python then
    made its stream None): else the next file opened takes that number, and what is printed, or
    what a runner started here inherits as its output, lands in that file. The streams stay None:
    `main` refuses a closed standard output, reads a closed standard input as nothing (`-`), and
    writes to a closed standard error nothing."""
    for fd, stream in enumerate((sys.__stdin__, sys.__stdout__, sys.__stderr__)):
        if stream is not None:
            continue
        null = os.open(os.devnull, os.O_RDWR)
        if null == fd:  # the lowest free number: the closed one
            os.set_inheritable(fd, True)
        else:
            os.dup2(null, fd)
            os.close(null)


def _flushed(code: int) -> int:
    """`code`, once standard output and error are flushed: a flush refused (a full device) with
    the command's exit 0 is the failure to report (once, as `main` does); what stays buffered
    then goes to /dev/null, so the interpreter's exit says nothing more (nor exits 120)."""
    for fd, stream in ((1, sys.stdout), (2, sys.stderr)):
        if stream is None:
            continue
        try:
            stream.flush()
        except (OSError, ValueError) as exc:
            with contextlib.suppress(OSError):
                null = os.open(os.devnull, os.O_WRONLY)
                os.dup2(null, fd)
                os.close(null)
            if fd == 1 and code == 0 and isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError):
                _Errors(sys.stderr).write(f"pyr-tui: error: {OutputError(exc)}\n")
                code = EXIT_FAILURE
    return code


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    word = _command_word(argv)
    if sys.stdout is None:  # closed (`pyr-tui ls >&-`): said before anything is done
        _Errors(sys.stderr).write(f"pyr-tui: error: {CLOSED_STDOUT}\n")
        return EXIT_FAILURE
    if word is None:  # the TUI: Textual renders (and cleans, see tui/compositor.safe_update) every frame
        return _main(argv, word)
    streams = sys.stdout, sys.stderr
    out = _Output(sys.stdout)
    # `log` prints task output through its own renderer (colours kept, other escapes dropped); a
    # pipe gets the data as is (export's JSON escapes C1/bidi itself); errors never carry escapes
    sys.stdout = _PrintableStream(out) if word != "log" and out.isatty() else out  # type: ignore[assignment]
    sys.stderr = _PrintableStream(_Errors(sys.stderr))  # type: ignore[assignment]
    try:
        return _main(argv, word)
    finally:
        sys.stdout, sys.stderr = streams


def _failure_line(exc: PyrunsError | OSError | UnicodeEncodeError | MemoryError) -> str:
    """The one line of a command that failed: its error's words; the filesystem's refusal (EROFS,
    EACCES, ENOSPC, a planted FIFO) as `error_line` says it; bytes that are not UTF-8 in a value
    bound for a record (`note x$'\\xff'`); an input far too large for this machine."""
    if isinstance(exc, UnicodeEncodeError):
        return _not_utf8(exc)
    if isinstance(exc, MemoryError):
        return "out of memory; is an input given (a file, standard input) far larger than meant? (--debug shows where)"
    return str(exc) if isinstance(exc, OutputError) else error_line(exc)


def _not_utf8(exc: UnicodeEncodeError) -> str:
    """One line for text that came in as bytes that are not UTF-8 (Python keeps them as surrogates)."""
    bad = exc.object[exc.start:exc.end]
    shown = " ".join(f"0x{ord(ch) - 0xDC00:02x}" if 0xDC80 <= ord(ch) <= 0xDCFF else repr(ch) for ch in bad[:4])
    return f"a value given is not valid UTF-8 text (bytes {shown}): give it in UTF-8"


def _task_names(args: argparse.Namespace, word: str | None) -> tuple[str, ...]:
    """The tasks a command names (`restore`: in the trash): with several workspaces and no -w, they
    say which one."""
    given = [getattr(args, key, None) for key in ("task", "a", "b")]
    tasks = getattr(args, "tasks", None)
    if isinstance(tasks, list):  # (`runner stop --tasks` is a flag)
        given.extend(tasks)
    return tuple(dict.fromkeys(name for name in given if isinstance(name, str)))


def _main(argv: list[str], word: str | None) -> int:
    is_command = word is not None
    parser = build_parser(only=word) if is_command else build_tui_parser()
    args = parser.parse_args(argv)
    try:
        cwd = (Path(args.directory).expanduser() if args.directory else Path.cwd()).resolve()
        is_dir = cwd.is_dir()
    except (OSError, ValueError) as exc:  # ENAMETOOLONG, NUL, a vanished working directory
        is_dir, why = False, getattr(exc, "strerror", None) or str(exc)
    else:
        why = "not a directory" if cwd.exists() else "no such directory"
    if not is_dir:
        shown = repr(args.directory if len(args.directory or "") <= 80 else args.directory[:77] + "...")
        sys.stderr.write(f"pyr-tui: error: -C {shown}: {why}\n")
        return EXIT_USAGE
    from pyruns_tui.cli.context import Context

    ctx = Context(cwd=cwd, workspace=args.workspace, debug=args.debug, named=_task_names(args, word),
                  named_in_trash=word == "restore")
    if not is_command and args.script and not args.script.endswith(".py"):
        import difflib

        names = ", ".join(commands.NAMES)
        close = difflib.get_close_matches(args.script, commands.NAMES, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        sys.stderr.write(f"pyr-tui: error: unknown command {args.script!r} ({hint}commands: {names}; or give SCRIPT.py)\n")
        return EXIT_USAGE
    try:
        if not is_command:
            from pyruns_tui.cli.open_tui import open_tui

            return open_tui(ctx, args)
        code = commands.load(args.command).run(ctx, args)
        sys.stdout.flush()  # a refusal of what stayed buffered (a full device) is this command's to say
        return code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `pyr-tui ls | head`: the reader left; exit quietly like other Unix tools
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except (PyrunsError, OSError, UnicodeEncodeError, MemoryError) as exc:  # one line, never a traceback
        if ctx.debug:
            raise
        sys.stderr.write(f"pyr-tui: error: {_failure_line(exc)}\n")
        return EXIT_FAILURE
    finally:
        with contextlib.suppress(OSError, ValueError):
            ctx.say_notes()
