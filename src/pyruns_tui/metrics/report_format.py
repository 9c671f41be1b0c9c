"""Writing a report as text: CSV (formula-injection safe), strict JSON, or a Markdown table.

The rules (see docs/export.md):
- CSV: empty cell for no value; floats in round-trip form (`repr`), non-finite as `nan`,
  `inf`, `-inf`; booleans `true`/`false`; lists and mappings as JSON text. A text cell that
  starts with `=`, `+`, `-`, `@`, tab or carriage return gets a leading `'` so spreadsheets
  never run it as a formula — unless the whole cell is a plain decimal number such as `-1.5`
  or `-2e-05` (which a spreadsheet reads as a number, never a formula).
- JSON: a list of objects, every column in every object, NaN and infinities as `null`.
- Markdown: a GitHub table; `\\`, `|` escaped, line breaks as `<br>`, floats with 6 significant
  digits, numeric columns right-aligned.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import json
import math
import os
import re
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyruns_tui.errors import ExportError, os_error_line
from pyruns_tui.params.number_text import REPORT_DIGITS, number_text
from pyruns_tui.workspace.fsio import indented_json, plain_indented_json

if TYPE_CHECKING:
    from collections.abc import Callable

    from pyruns_tui.metrics.export import Report

FORMATS: tuple[str, ...] = ("csv", "json", "md")
_EXTENSIONS = {".csv": "csv", ".json": "json", ".md": "md", ".markdown": "md"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def format_for_path(path: str | None) -> str | None:
    """The format a file name asks for by its extension (`.csv`, `.json`, `.md`), or None."""
    if not path or path == "-":
        return None
    return _EXTENSIONS.get(Path(path).suffix.lower())


def unknown_extension(path: str | None) -> str | None:
    """The extension of `path` that names no format (`.xlsx`, `.txt`), or None (a known one, no
    extension, or stdout)."""
    if not path or path == "-":
        return None
    suffix = Path(path).suffix
    return None if not suffix or suffix.lower() in _EXTENSIONS else suffix


def extensions_text() -> str:
    """The extensions that name a format, for a message: `.csv, .json, .md, .markdown`."""
    return ", ".join(_EXTENSIONS)


def json_safe(value: Any) -> Any:
    """`value` with NaN and infinities replaced by None, inside lists and mappings too."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


def json_text(data: Any) -> str:
    """The one `--json` rule: strict JSON (NaN and infinities as null), indented, UTF-8, one document."""
    try:  # plain data, which json_safe would give back unchanged, is laid out as it is (`ls --json`: 0.8 s less)
        text = plain_indented_json(data)
    except ValueError:  # a NaN or an infinity somewhere
        text = None
    return (text if text is not None else indented_json(json_safe(data))) + "\n"


def _float_text(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(value)


def safe_cell(text: str) -> str:
    """`text` made safe for a spreadsheet: formula-like text gets a leading `'`."""
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_cell(value: Any) -> str:
    """One value as CSV cell text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value)  # a number: never a formula, even when negative
    if isinstance(value, str):
        return safe_cell(value)
    return safe_cell(json.dumps(json_safe(value), ensure_ascii=False))


class _RowsEndingInNewline:
    """What `csv.writer(..., lineterminator="\\r\\n")` writes into, each row ending in `\\n` instead.

    The writer quotes only the fields holding a character of its line terminator: with `\\n` a
    bare `\\r` went out unquoted, and every reader (the csv module, pandas, spreadsheets) broke the
    row there. With `\\r\\n` every field holding a `\\r` or a `\\n` is quoted (RFC 4180)."""

    def __init__(self) -> None:
        self.rows: list[str] = []

    def write(self, line: str) -> int:
        # (the writer writes one whole row, its terminator included, per call)
        self.rows.append(line[:-2] + "\n" if line.endswith("\r\n") else line)
        return len(line)


def to_csv(report: Report) -> str:
    """The report as CSV text: a header row, then one row per run (`\\n` line ends)."""
    out = _RowsEndingInNewline()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(name) for name in report.header])
    for row in report.rows:
        writer.writerow([csv_cell(value) for value in row])
    return "".join(out.rows)


def to_json(report: Report) -> str:
    """The report as strict JSON: a list of objects keyed by column (no NaN: null)."""
    return json_text(report.records())


def _md_escape(text: str) -> str:
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    return text.replace("\r\n", "<br>").replace("\n", "<br>").replace("\r", "<br>")


def cell_text(value: Any) -> str:
    """One value as text to read in a table (the Markdown report, `ls -c`): numbers as `number_text`
    writes them to 6 significant digits (a whole float keeps its `.0`), booleans `true`/`false`,
    lists and mappings as JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return number_text(value, REPORT_DIGITS)
    if isinstance(value, str):
        return value
    return json.dumps(json_safe(value), ensure_ascii=False)


def markdown_cell(value: Any) -> str:
    """One value as Markdown table cell text: numbers compact, text escaped."""
    return _md_escape(cell_text(value))


def _is_numeric_column(report: Report, i: int) -> bool:
    values = [row[i] for row in report.rows if row[i] is not None]
    return bool(values) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def to_markdown(report: Report) -> str:
    """The report as a GitHub-flavoured Markdown table."""
    header = "| " + " | ".join(_md_escape(name) for name in report.header) + " |"
    rule = "|" + "|".join("---:" if _is_numeric_column(report, i) else "---" for i in range(len(report.columns))) + "|"
    lines = [header, rule]
    for row in report.rows:
        lines.append("| " + " | ".join(markdown_cell(value) for value in row) + " |")
    return "\n".join(lines) + "\n"


def render(report: Report, fmt: str) -> str:
    """The report as text in format `fmt` (one of FORMATS)."""
    if fmt == "csv":
        return to_csv(report)
    if fmt == "json":
        return to_json(report)
    if fmt in ("md", "markdown"):
        return to_markdown(report)
    raise ExportError(f"unknown export format {fmt!r} (use one of: {', '.join(FORMATS)})")


def save_text(path: str | Path, text: str, *, refuse: Callable[[Path], str | None] | None = None) -> None:
    """Write `text` to `path` as a shell's `>` would, never replacing what is not a file there.

    A regular file (or a new one) is written atomically: readers see the old file or the whole new
    one. A device, FIFO or socket at `path` (`/dev/null`, `/dev/stdout`, a named pipe a reader
    waits on) is written into in place: it was replaced by a regular file (as root, /dev/null
    itself). A FIFO nobody reads is refused, not waited on. A symlink there is refused, neither
    followed (someone else may have planted it, and it may lead anywhere) nor replaced (it may
    be the user's own link, which a report must not silently break); one swapped in after that
    check is replaced by the rename, never written through.

    The folder is opened once (its symlinks followed: a folder the user links to is theirs) and
    everything after is done in that open folder: `refuse` (e.g. `save_report`'s rule) is asked
    of where the fd really is, `<its real path>/<name>`, and the file is checked, written and
    renamed relative to it. A folder swapped for a symlink after it was opened cannot redirect
    the write. ExportError, nothing written, on any refusal.
    """
    path = Path(path)
    data = text.encode("utf-8")
    if path.name in ("", ".", ".."):  # `-o /`, `-o out/..`: a folder, not a file name
        raise ExportError(f"cannot write {os.path.realpath(path)}: it is a folder; give a file name in it")
    try:
        folder_fd = _open_folder(path.parent)
    except OSError as exc:
        shown = Path(os.path.realpath(path.parent)) / path.name
        raise ExportError(f"cannot write {os_error_line(exc, str(shown))}") from None
    try:
        target = _folder_of(folder_fd, path) / path.name
        why = refuse(target) if refuse is not None else None
        if why is not None:
            raise ExportError(why)
        _save_in(folder_fd, path.name, target, data)
    finally:
        os.close(folder_fd)


def _open_folder(folder: Path) -> int:
    """An fd of `folder` to write in: readable (its sync makes the rename durable), else, in a
    folder one may write in but not list (mode 0333), an O_PATH one where there is O_PATH."""
    flags = os.O_DIRECTORY | os.O_CLOEXEC
    try:
        return os.open(folder, os.O_RDONLY | flags)
    except PermissionError:
        if not hasattr(os, "O_PATH"):
            raise
        return os.open(folder, os.O_PATH | flags)


def _folder_of(folder_fd: int, path: Path) -> Path:
    """The real path of the open folder `folder_fd` (the folder of `path`): where a file
    written relative to it lands, whatever has been swapped in at `path.parent` since."""
    with contextlib.suppress(OSError):
        where = os.readlink(f"/proc/self/fd/{folder_fd}")  # (Linux: the fd's own path)
        if where.startswith("/") and not where.endswith(" (deleted)"):
            return Path(where)
    real = os.path.realpath(path.parent)  # elsewhere: the path's real folder, if it is still the fd's
    try:
        same = os.path.samestat(os.fstat(folder_fd), os.stat(real))
    except OSError:
        same = False
    if not same:
        raise ExportError(f"cannot write {path}: its folder was moved or replaced while the report was being written; "
                          "try again")
    return Path(real)


def _save_in(folder_fd: int, name: str, target: Path, data: bytes) -> None:
    """`save_text`'s write of `name` in the open folder `folder_fd` (`target` names it in messages)."""
    from pyruns_tui.workspace.fsio import atomic_write

    try:
        mode = os.stat(name, dir_fd=folder_fd, follow_symlinks=False).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise ExportError(f"cannot write {os_error_line(exc, str(target))}") from None
    if mode is not None and stat.S_ISDIR(mode):
        raise ExportError(f"cannot write {target}: it is a folder; give a file name in it")
    if mode is not None and stat.S_ISLNK(mode):
        raise ExportError(f"cannot write {target}: it is a symlink; give the path it points to (or -o - for stdout)")
    try:
        if mode is None:
            atomic_write(name, data, dir_fd=folder_fd)
        elif stat.S_ISREG(mode):  # a report replaced keeps its permissions (a private one stays private)
            atomic_write(name, data, mode=stat.S_IMODE(mode), dir_fd=folder_fd)
        else:
            _write_in_place(folder_fd, name, data)
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a FIFO with no reader
            raise ExportError(f"cannot write {target}: a named pipe nobody reads; start its reader first") from None
        raise ExportError(f"cannot write {os_error_line(exc, str(target))}") from None


def _write_in_place(folder_fd: int, name: str, data: bytes) -> None:
    """Write into a device or pipe: opened without waiting for a reader (ENXIO then), written whole."""
    fd = os.open(name, os.O_WRONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=folder_fd)
    try:
        os.set_blocking(fd, True)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)
