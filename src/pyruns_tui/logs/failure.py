"""Why a run failed, read from the final text of its log: tracebacks, crash markers, exit status.

Pure functions over plain lines (what `logs.plain` yields: escapes applied, `\\r` overwrites
done), no I/O. `find_tracebacks` finds every Python traceback block (a chain of `raise ... from`
or "During handling..." exceptions is one block; a traceback may start after a half-drawn
progress bar on the same line); `summarize_failure` names the cause of a failed run in one line;
`error_cause` groups such lines (`CUDA out of memory`, `FileNotFoundError`) and `error_matches`
is the `error:` search term.
"""

from __future__ import annotations

import re
import signal
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

TRACEBACK_HEAD = "Traceback (most recent call last):"
_CHAIN_MARKERS = (
    "During handling of the above exception, another exception occurred:",
    "The above exception was the direct cause of the following exception:",
)
_EXCEPTION_RE = re.compile(r"^([A-Za-z_][\w.]*)(?::(?: (.*))?)?$")
_GROUP_PREFIX_RE = re.compile(r"^\s*[|+](?:-[-+]*[^|]*)?\s?")
_OWN_PREFIX_RE = re.compile(r"\s*(?:\+ )?(?:Exception Group )?")  # a traceback's own indent, not a bar
_ARGPARSE_RE = re.compile(r"^\S+: error: \S")
# a script that does not compile: `  File "x.py", line 5`, the code, a caret, `SyntaxError: ...`; no head
_FILE_LINE_RE = re.compile(r'^  File "[^"]*", line \d+')
_SYNTAX_RE = re.compile(r"^(?:SyntaxError|IndentationError|TabError)(?:: .*)?$")
SYNTAX_LINES = 8
_EXEC_FAILED_RE = re.compile(r"^pyruns: (cannot start .*)$")  # the supervisor's word when the exec failed (127)
_RANK_PREFIX_RE = re.compile(r"^\[rank\d+\]:\s?")  # torchrun (torch >= 2.2) and vLLM prefix each line of a rank's stderr
IGNORED = "Exception ignored in"  # Python's line before a traceback it printed and went on from (atexit, __del__)
LAUNCHER_ERRORS = ("ChildFailedError",)  # torchrun's own traceback, after the failed child's
MAX_FRAME_LINES = 5000  # a traceback longer than this is not followed to its end
MAX_ERROR_CHARS = 300  # the stored error line is cut here
TAIL_LINES = 40  # crash markers without a traceback are looked for in this many last lines

KERNEL_OOM = "out of memory (killed by the kernel)"
CUDA_OOM = "CUDA out of memory"
NCCL = "NCCL error"
_CUDA_OOM_RE = re.compile(r"CUDA out of memory|CUDA error: out of memory|OutOfMemoryError", re.IGNORECASE)
_NCCL_RE = re.compile(r"\bNCCL\b.*\berror\b|\bNCCL(?:Error|error)|DistBackendError", re.IGNORECASE)
_SIGNAL_NAMES = {
    signal.SIGKILL: "Killed",
    signal.SIGSEGV: "Segmentation fault",
    signal.SIGABRT: "Aborted",
    signal.SIGBUS: "Bus error",
    signal.SIGFPE: "Floating point exception",
    signal.SIGILL: "Illegal instruction",
}
_SHELL_MARKERS = tuple(_SIGNAL_NAMES.values())  # what a shell prints when its child dies of these
# bash: `bash: line 1: 12345 Killed    python x.py`; others: `Segmentation fault (core dumped)`
_MARKERS = "|".join(_SHELL_MARKERS)
_SHELL_MARKER_RE = re.compile(rf"^({_MARKERS})(?: \(core dumped\))?$|:\s+\d+ ({_MARKERS})(?:\s|$)")
# `error:` search words that stand for a kind of cause rather than a piece of its text
_ALIASES = {
    "oom": (CUDA_OOM, KERNEL_OOM, "MemoryError"),
    "segfault": ("Segmentation fault",),
    "nccl": (NCCL,),
    "killed": ("Killed", KERNEL_OOM),
}


@dataclass(frozen=True)
class Traceback:
    """One traceback block in a log: lines [start, end) with the exception that ended it."""

    start: int  # the line holding `Traceback (most recent call last):` (the first of a chain)
    end: int
    error: str  # the last exception line, e.g. `ValueError: bad value`
    error_index: int  # the line of `error`
    column: int = 0  # where the traceback starts in its first line (after a half-drawn progress bar)

    def text(self, lines: Sequence[str]) -> list[str]:
        """The traceback's lines alone (what came before it on its first line left out)."""
        block = list(lines[self.start:self.end])
        block[0] = block[0][self.column:]
        return block


@dataclass(frozen=True)
class FailureSummary:
    """The cause of a failed run: one line, and the 1-based log line where its traceback starts."""

    error: str
    line: int | None = None


def _indented(line: str) -> bool:
    return line[:1] in (" ", "\t")


def _exception_at(lines: Sequence[str], start: int, group: bool) -> int | None:
    """The index of the exception line ending the traceback that starts at `start`, or None."""
    limit = min(len(lines), start + 1 + MAX_FRAME_LINES)
    for i in range(start + 1, limit):
        line = lines[i]
        if group:
            if not line.strip() or not _GROUP_PREFIX_RE.match(line):
                return None
            body = _GROUP_PREFIX_RE.sub("", line, count=1)
            if body and not _indented(body) and _EXCEPTION_RE.match(body):
                return i
            continue
        if not line.strip():
            return None
        if _indented(line):
            continue
        return i if _EXCEPTION_RE.match(line) else None
    return None


def _error_text(line: str, group: bool) -> str:
    text = (_GROUP_PREFIX_RE.sub("", line, count=1) if group else line).strip()
    if text.endswith(":") and _EXCEPTION_RE.match(text):  # an empty message: `ChildFailedError:`
        text = text[:-1]
    return _cut(text)


def _cut(text: str) -> str:
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


def _next_chained(lines: Sequence[str], after: int) -> int | None:
    """The start of the next traceback of a chain continuing after line `after`, or None."""
    i = after
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines) or lines[i].strip() not in _CHAIN_MARKERS:
        return None
    i += 1
    while i < len(lines) and not lines[i].strip():
        i += 1
    return i if i < len(lines) and TRACEBACK_HEAD in lines[i] else None


def _block_at(lines: Sequence[str], start: int) -> Traceback | None:
    """The traceback block whose head is line `start`, or None when it does not end in an exception."""
    group = "Exception Group " + TRACEBACK_HEAD in lines[start]
    exception = _exception_at(lines, start, group)
    if exception is None:
        return None
    while True:
        end = exception + 1
        while end < len(lines) and lines[end].strip() and (_indented(lines[end]) or group):
            end += 1  # the message's continuation lines (and the rest of an exception group)
        chained = _next_chained(lines, end)
        following = None if chained is None else _exception_at(lines, chained, group)
        if following is None:
            break
        exception = following
    prefix = lines[start][: lines[start].index(TRACEBACK_HEAD)]
    column = 0 if _OWN_PREFIX_RE.fullmatch(prefix) else len(prefix)
    return Traceback(start, end, _error_text(lines[exception], group), exception, column)


def _syntax_block_at(lines: Sequence[str], start: int) -> Traceback | None:
    """The block Python prints for a script it cannot compile, starting at line `start`: no
    traceback head, `  File "train.py", line 5`, the code and a caret, then `SyntaxError: ...`."""
    if not _FILE_LINE_RE.match(lines[start]):
        return None
    for i in range(start + 1, min(len(lines), start + SYNTAX_LINES)):
        if _SYNTAX_RE.match(lines[i]):
            return Traceback(start, i + 1, _cut(lines[i].strip()), i)
        if not _indented(lines[i]):
            return None
    return None


def _prefixed_block_at(lines: Sequence[str], start: int) -> Traceback | None:
    """A traceback each of whose lines a distributed launcher prefixed with its rank (`[rank0]: `):
    read from the lines of that rank (another rank's may come between them)."""
    prefix = _RANK_PREFIX_RE.match(lines[start])
    if prefix is None:
        return None
    mark = prefix.group(0)
    limit = min(len(lines), start + 4 * MAX_FRAME_LINES)
    kept = [j for j in range(start, limit) if lines[j].startswith(mark)]
    block = _block_at([lines[j][len(mark):] for j in kept], 0)
    if block is None:
        return None
    return Traceback(kept[block.start], kept[block.end - 1] + 1, block.error, kept[block.error_index], len(mark))


def find_tracebacks(lines: Sequence[str]) -> list[Traceback]:
    """Every Python traceback block in `lines`, in order (a chained one is one block; the lines
    of a script that did not compile are one too)."""
    found: list[Traceback] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if TRACEBACK_HEAD in line:
            block = _block_at(lines, i) or _prefixed_block_at(lines, i)
        else:
            block = _syntax_block_at(lines, i) if line.startswith('  File "') else None
        if block is None:
            i += 1
            continue
        found.append(block)
        i = block.end
    return found


class _LazyLines(Sequence[str]):
    """Lines read through `line_at` only when looked at (a viewer's log may be huge)."""

    def __init__(self, line_at: Callable[[int], str], count: int) -> None:
        self._line_at = line_at
        self._count = count
        self._seen: dict[int, str] = {}

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, i):  # type: ignore[no-untyped-def,override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._count))]
        if i not in self._seen:
            self._seen[i] = self._line_at(i)
        return self._seen[i]


def _chain_start(line_at: Callable[[int], str], head: int) -> int:
    """The first traceback of the chain that the traceback starting at line `head` continues."""
    while True:
        j = head - 1
        while j >= 0 and not line_at(j).strip():
            j -= 1
        if j < 0 or line_at(j).strip() not in _CHAIN_MARKERS:
            return head
        earlier = next((k for k in range(j - 1, max(-1, j - 1 - MAX_FRAME_LINES), -1) if TRACEBACK_HEAD in line_at(k)), None)
        if earlier is None:
            return head
        head = earlier


def traceback_near(line_at: Callable[[int], str], count: int, start: int, forward: bool = True) -> Traceback | None:
    """The first traceback block that starts a line at or after `start` (before it when not
    `forward`; a chain counts from its first traceback) among `count` lines read with `line_at`;
    only the lines it needs are read, so a viewer can ask it of a huge log."""
    lines = _LazyLines(line_at, count)
    i = min(max(start, 0), count - 1)
    step = 1 if forward else -1
    while 0 <= i < count:
        if TRACEBACK_HEAD in lines[i]:
            block = _block_at(lines, _chain_start(lines.__getitem__, i)) or _prefixed_block_at(lines, i)
            if block is not None:
                return block
        i += step
    return None


def signal_error(number: int) -> str:
    """The name of a deadly signal as a shell prints it (`Killed`, `Segmentation fault`)."""
    try:
        sig = signal.Signals(number)
    except ValueError:
        return f"killed by signal {number}"
    return _SIGNAL_NAMES.get(sig, f"killed by signal {number} ({sig.name})")


def _last_text(lines: Sequence[str]) -> list[str]:
    tail = [line.strip() for line in lines[-TAIL_LINES:]]
    return [line for line in tail if line]


def summarize_failure(lines: Sequence[str], *, exit_code: int | None, signal_number: int | None,
                      kernel_oom: bool = False, first_line: int = 1) -> FailureSummary:
    """The cause of a failed run from its log's last lines and its exit status.

    `lines` are plain lines whose first is log line `first_line`; `kernel_oom` says the kernel's
    OOM killer killed something while the run lived. A run killed by a crash signal (SIGKILL,
    SIGSEGV, ... also as a shell's exit code 128+N) is named by the signal; otherwise the last
    traceback's final exception, else a CUDA/NCCL or shell crash message near the end, an
    argparse usage error, else `exit code N`.
    """
    if signal_number is None and exit_code is not None and 128 < exit_code < 160:
        shell_signal: int | None = exit_code - 128
    else:
        shell_signal = signal_number
    if shell_signal is not None and shell_signal in _SIGNAL_NAMES:
        if shell_signal == signal.SIGKILL and kernel_oom:
            return FailureSummary(KERNEL_OOM)
        return FailureSummary(signal_error(shell_signal))
    tracebacks = find_tracebacks(lines)
    if tracebacks:
        last = _cause(lines, tracebacks)
        return FailureSummary(last.error, first_line + last.start)
    tail = _last_text(lines)
    for line in reversed(tail):
        exec_failed = _EXEC_FAILED_RE.match(line)
        if exec_failed:  # `settings.python` or a shell missing
            return FailureSummary(_cut(exec_failed.group(1)))
        if _CUDA_OOM_RE.search(line):
            return FailureSummary(CUDA_OOM)
        if _NCCL_RE.search(line):
            return FailureSummary(_cut(line) if line.startswith(NCCL) else f"{NCCL}: {_cut(line)}")
        marker = _SHELL_MARKER_RE.search(line)
        if marker:
            return FailureSummary(marker.group(1) or marker.group(2))
        if _ARGPARSE_RE.match(line):
            return FailureSummary(_cut(line))
    if signal_number is not None:
        return FailureSummary(signal_error(signal_number))
    return FailureSummary(f"exit code {exit_code}" if exit_code is not None else "failed")


def _cause(lines: Sequence[str], tracebacks: Sequence[Traceback]) -> Traceback:
    """The traceback that ended the run: the last one, but not one Python printed and went on from
    (`Exception ignored in atexit callback`: a cleanup failing after the crash), nor a launcher's
    own when the child's is above it (torchrun's `ChildFailedError` after the rank's error)."""
    def ignored(block: Traceback) -> bool:
        return block.start > 0 and lines[block.start - 1].lstrip().startswith(IGNORED)

    kept = [block for block in tracebacks if not ignored(block)] or list(tracebacks)
    children = [block for block in kept if not any(name in block.error for name in LAUNCHER_ERRORS)]
    return (children or kept)[-1]


def error_cause(error: str) -> str:
    """What failures are grouped by: the kind of a known crash, else the exception's type name
    (`FileNotFoundError`), else the error itself."""
    if _CUDA_OOM_RE.search(error):
        return CUDA_OOM
    if error == KERNEL_OOM or error.startswith(NCCL) or error in _SHELL_MARKERS:
        return NCCL if error.startswith(NCCL) else error
    if _NCCL_RE.search(error):
        return NCCL
    if _ARGPARSE_RE.match(error):
        return "usage error"
    match = _EXCEPTION_RE.match(error)
    if match and (match.group(2) is not None or error.endswith(("Error", "Exception", "Interrupt"))):
        return match.group(1).rsplit(".", 1)[-1]
    return error


def group_causes(failures: Iterable[tuple[str, str | None]]) -> list[tuple[str, list[str]]]:
    """(name, error) pairs grouped by cause (`error_cause`): the most frequent cause first (then
    by cause), each with its names in the order given; pairs without an error are left out."""
    groups: dict[str, list[str]] = {}
    for name, error in failures:
        if error:
            groups.setdefault(error_cause(error), []).append(name)
    return sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))


def causes_text(groups: Sequence[tuple[str, list[str]]]) -> str:
    """`12 × CUDA out of memory · 3 × FileNotFoundError`."""
    return " · ".join(f"{len(names)} × {cause}" for cause, names in groups)


def error_matches(term: str, error: str | None) -> bool:
    """Whether an `error:TERM` search matches `error`: TERM is a case-insensitive piece of it,
    or one of the words `oom`, `segfault`, `nccl`, `killed` for that kind of cause."""
    if not error:
        return False
    term = term.lower()
    if term in error.lower():
        return True
    return error_cause(error) in _ALIASES.get(term, ())
