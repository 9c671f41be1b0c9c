"""Atomic file writes and the workspace lock: how every writer touches the disk safely."""

from __future__ import annotations

import _thread  # (the C locks and ids `threading` wraps: importing threading costs a command ~1.5 ms)
import contextlib
import errno
import fcntl
import json
import math
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from pyruns_tui.contracts import MAX_JSON_DEPTH, SCALAR_TYPES
from pyruns_tui.safefile import (
    MAX_READ_BYTES,
    NotRegularFile,
    open_regular,
    open_regular_stat,
    read_bytes,
    read_fd,
    read_text,
)

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from typing import Any

__all__ = ["NotRegularFile", "open_regular", "open_regular_stat", "read_bytes", "read_fd", "read_text"]  # re-exported: the workspace's readers import them here

_syncfs: Any = None


def _reject_constant(token: str) -> Any:
    raise ValueError(f"{token} is not valid JSON")


def json_depth(value: Any) -> int:
    """How deeply lists and dicts nest in `value` (iterative: any depth is measured safely)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def nests_within(value: dict[str, Any] | list[Any], levels: int) -> bool:
    """Whether lists and dicts nest at most `levels` deep in the dict or list `value` (parsed
    JSON: exact types), as `json_depth(value) <= levels` says, but at C speed where a container
    holds only scalars: a task record (its runs, each a dict) costs 3 calls, not a walk of its
    ~60 values in Python (`ls` of 100,000 completed tasks: ~0.2 s less). Recursion is bounded
    by `levels`."""
    if levels <= 0:
        return False
    children = value.values() if type(value) is dict else value
    if SCALAR_TYPES.issuperset(map(type, children)):
        return True
    return all(nests_within(child, levels - 1) for child in children if type(child) is dict or type(child) is list)


# the JSON text of `text_nests_within`: every byte but quotes and brackets dropped, braces made brackets
_BRACKETS = bytes.maketrans(b"{}", b"[]")
_NOT_BRACKETS = bytes(set(range(256)) - set(b'"[]{}'))


def text_nests_within(text: bytes | str, levels: int) -> bool:
    """Whether lists and objects nest at most `levels` deep in the JSON document `text` (one
    that parses), as `json_depth` of its value says, read off the text in a few passes in C:
    the escapes that could hide a quote go, then every byte but quotes and brackets; the
    strings (which may hold brackets) go; each pass then drops the innermost pairs, one level.
    A rest section of the scan index (55 MB: 100,000 completed tasks) in ~0.1 s, where a
    check of each of its parsed records cost ~0.4 s."""
    if isinstance(text, str):
        data = text.encode("utf-8", "surrogatepass")
    else:  # (UTF-16 or -32, which JSON may be in: a byte of a character can be a bracket's or a quote's)
        encoding = json.detect_encoding(text)
        data = text if encoding.startswith("utf-8") else text.decode(encoding, "surrogatepass").encode("utf-8", "surrogatepass")
    if b"\\" in data:
        data = data.replace(b"\\\\", b"").replace(b'\\"', b"")  # (left to right, as a parser pairs them)
    data = data.translate(_BRACKETS, _NOT_BRACKETS).replace(b'""', b"")  # (an adjacent pair: a string's
    if b'"' in data:  # ends, or the end of one and the start of the next: either way only text between)
        data = b"".join(data.split(b'"')[::2])
    for _ in range(max(levels, 0)):
        if not data:
            return True
        shorter = data.replace(b"[]", b"")
        if len(shorter) == len(data):
            return False  # (not a document that parses)
        data = shorter
    return not data


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)  # one for all: json.loads(..., parse_constant=) builds one per call
_SCAN: Callable[[str, int], tuple[Any, int]] = _DECODER.scan_once  # type: ignore[attr-defined]  # the C scanner


def loads_json(data: bytes | str) -> Any:
    """Strict JSON (no NaN/Infinity) nesting at most MAX_JSON_DEPTH levels; ValueError otherwise."""
    try:
        value = _DECODER.decode(data.decode(json.detect_encoding(data), "surrogatepass") if isinstance(data, bytes) else data)
    except RecursionError:
        raise ValueError(f"JSON nests more than {MAX_JSON_DEPTH} levels deep") from None
    opens = data.count(b"[") + data.count(b"{") if isinstance(data, bytes) else data.count("[") + data.count("{")
    if opens > MAX_JSON_DEPTH and not text_nests_within(data, MAX_JSON_DEPTH):  # (fewer cannot nest deeper)
        raise ValueError(f"JSON nests more than {MAX_JSON_DEPTH} levels deep")
    return value


# strict compact JSON text (no NaN or infinity: ValueError), for files only this program reads
# back (`loads_compact_json`); json.dumps with options builds an encoder per call
dumps_compact: Callable[[Any], str] = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode


def loads_compact_json(text: str) -> Any:
    """`loads_json` of compact JSON text this program wrote itself (no surrounding whitespace):
    the C scanner without json's Python-level wrapper, which cost more than the parse."""
    try:
        value, end = _SCAN(text, 0)
    except (StopIteration, RecursionError):
        raise ValueError("not compact JSON") from None
    if end != len(text):
        raise ValueError("not compact JSON")
    if text.count("[") + text.count("{") > MAX_JSON_DEPTH and not text_nests_within(text, MAX_JSON_DEPTH):
        raise ValueError(f"JSON nests more than {MAX_JSON_DEPTH} levels deep")
    return value


def json_exact(value: Any) -> bool:
    """Whether `value` survives a JSON round trip unchanged (YAML may hold dates, int keys, nan)."""
    kind = type(value)
    if kind is dict:
        return all(type(k) is str and json_exact(v) for k, v in value.items())
    if kind is list:
        return all(json_exact(v) for v in value)
    if kind is float:
        return math.isfinite(value)
    return kind in (str, int, bool, type(None))


def read_json(path: str | os.PathLike[str]) -> Any:
    """The JSON document in the regular file `path` (see `open_regular`, `loads_json`)."""
    return loads_json(read_bytes(path, MAX_READ_BYTES))


def read_own_json(path: str | os.PathLike[str], limit: int) -> Any:
    """The JSON document in `path` when it is a regular file of ours that no one else may write
    and holds at most `limit` bytes; None otherwise (missing, another user's, group- or
    world-writable, too large, not JSON). For caches beside the truth: another user's could pair
    our files with values of their choosing."""
    try:
        fd = open_regular(path)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if st.st_uid != os.geteuid() or st.st_mode & 0o022 or st.st_size > limit:
            return None
        data = read_fd(fd, limit + 1, size=st.st_size)  # a file grown past the limit since is cut: no JSON
    except OSError:
        return None
    finally:
        os.close(fd)
    try:
        return loads_json(data)
    except ValueError:
        return None


def write_all(fd: int, data: bytes) -> None:
    """Write all of `data` to `fd` (one call unless the write comes up short)."""
    written = os.write(fd, data)
    if written < len(data):  # rare short write (a full disk raises instead)
        view = memoryview(data)[written:]
        while view:
            view = view[os.write(fd, view) :]


SHARED_MODE = 0o666  # workspace files: the umask decides who else may read and write them (umask 002: the group)


def atomic_write(path: str | os.PathLike[str], data: bytes, *, fsync: bool = True,
                 mode: int = SHARED_MODE, dir_fd: int | None = None) -> os.stat_result:
    """Write `data` to `path` via a temp file + rename: readers see the old or the new file whole.
    With `fsync`, durable on return: the file is synced before the rename, its folder after it
    (without the folder's sync a power loss can undo the rename and bring the old file back).
    Returns the stat of what was written (the rename keeps inode, mtime and size).
    With `dir_fd`, `path` is a name in that open folder: the temp file is created, renamed and
    synced relative to it, so a folder swapped for a symlink after it was opened cannot redirect
    the write. Never through a symlink: the temp file is opened O_NOFOLLOW, and the rename
    replaces a symlink at `path` itself, never what it points to."""
    path = os.fspath(path)  # (the runner writes two records a run: str paths, no Path built)
    folder, name = os.path.split(path)
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.{_thread.get_ident()}.tmp")
    try:
        try:  # a new file: O_EXCL makes it regular, with no fstat to find it so
            fd = open_regular(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode, dir_fd=dir_fd)
        except FileExistsError:  # left by a writer of this pid and thread that died: written over, as ever
            fd = open_regular(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode, dir_fd=dir_fd)
    except OSError as exc:
        if exc.filename == tmp:
            exc.filename = path  # the error names the file it was for, not its temp file (read-only, full)
        raise
    try:
        write_all(fd, data)
        if fsync:
            os.fsync(fd)
        written = os.fstat(fd)
    except BaseException as exc:
        if isinstance(exc, OSError) and exc.filename is None:
            exc.filename = path  # the error names the file it was for
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=dir_fd)
        raise
    os.close(fd)
    try:
        os.replace(tmp, path, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=dir_fd)
        raise
    if fsync:
        if dir_fd is None:
            fsync_dir(folder or ".")
        else:
            fsync_dir_fd(dir_fd)
    return written


def atomic_write_text(path: Path, text: str, *, fsync: bool = True, mode: int = SHARED_MODE) -> None:
    atomic_write(path, text.encode("utf-8"), fsync=fsync, mode=mode)


def dump_json(data: Any) -> bytes:
    """Strict, readable JSON (no NaN), as written to every *.json file of a workspace:
    `indented_json` plus a newline, UTF-8."""
    return (indented_json(data) + "\n").encode("utf-8")


def indented_json(data: Any) -> str:
    """Exactly `json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False)`: plain dicts
    and lists are laid out here around the C encoder, because json's indented output is pure
    Python (~4x slower; `gen` writes 10,000 task files, `ls --json` lists 100,000 tasks)."""
    text = plain_indented_json(data)
    return text if text is not None else json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False)


def plain_indented_json(data: Any) -> str | None:
    """`indented_json` of plain data (str-keyed dicts, lists, and str, int, float, bool or None,
    of those exact types), laid out here; None for anything else; ValueError for NaN or infinity."""
    return _indented(data, "\n")


_string = json.encoder.encode_basestring  # the C function json.dumps uses (ensure_ascii=False)
json_string = _string  # a str as every JSON writer here lays it out, quotes included
_MAX_FAST_DEPTH = 32


def _float(value: float) -> str:
    if value != value or value in (math.inf, -math.inf):
        raise ValueError(f"Out of range float values are not JSON compliant: {value!r}")
    return float.__repr__(value)


_SCALARS: dict[type, Callable[[Any], str]] = {
    str: _string, int: int.__repr__, float: _float,
    bool: lambda b: "true" if b else "false", type(None): lambda _: "null",
}


def _indented(value: Any, newline: str) -> str | None:
    """`value` as json.dumps(indent=2) lays it out, `newline` being the line break plus the
    current indentation; None when it holds anything but str-keyed dicts, lists and scalars."""
    kind = type(value)
    scalar = _SCALARS.get(kind)
    if scalar is not None:
        return scalar(value)
    if kind is not dict and kind is not list:
        return None
    if not value:
        return "{}" if kind is dict else "[]"
    if len(newline) > 2 * _MAX_FAST_DEPTH:  # very deep (or circular): let json decide
        return None
    inner = newline + "  "
    parts = []
    scalars = _SCALARS
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                return None
            scalar = scalars.get(type(item))  # most values: no call of ours (a run's env has ~100)
            text = scalar(item) if scalar is not None else _indented(item, inner)
            if text is None:
                return None
            parts.append(f"{_string(key)}: {text}")
        return "{" + inner + ("," + inner).join(parts) + newline + "}"
    for item in value:
        scalar = scalars.get(type(item))
        text = scalar(item) if scalar is not None else _indented(item, inner)
        if text is None:
            return None
        parts.append(text)
    return "[" + inner + ("," + inner).join(parts) + newline + "]"


def atomic_write_json(path: Path, data: Any, *, fsync: bool = True, mode: int = SHARED_MODE) -> None:
    atomic_write(path, dump_json(data), fsync=fsync, mode=mode)


def sync_filesystem(path: Path) -> None:
    """Flush every dirty page of the filesystem holding `path` (one call instead of N fsyncs)."""
    global _syncfs
    if _syncfs is None:
        _syncfs = False
        if sys.platform.startswith("linux"):
            import ctypes  # only when first needed

            # the C library is already loaded into python: no find_library (which runs ldconfig)
            with contextlib.suppress(OSError, AttributeError):
                _syncfs = ctypes.CDLL(None, use_errno=True).syncfs
    if _syncfs:
        fd = os.open(path, os.O_RDONLY)
        try:
            if _syncfs(fd) != 0:  # e.g. EIO: a write-back failed, so nothing may be called durable
                import ctypes

                err = ctypes.get_errno()
                raise OSError(err, f"syncfs: {os.strerror(err)}", str(path))
        finally:
            os.close(fd)
    else:
        os.sync()


# what a directory's sync may fail with where the filesystem cannot do it (some network and FUSE
# filesystems), or where the folder cannot be opened for reading: nothing to make durable then.
# Anything else (EIO: a write-back failed) is raised: what was written may not be on disk.
_NO_DIR_SYNC = frozenset({errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EBADF, errno.EACCES, errno.EPERM})


def fsync_dir(path: str | os.PathLike[str]) -> None:
    """Make a rename inside directory `path` durable (OSError when its sync fails)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        if exc.errno in _NO_DIR_SYNC:
            return
        raise
    try:
        fsync_dir_fd(fd)
    finally:
        os.close(fd)


def fsync_dir_fd(fd: int) -> None:
    """`fsync_dir` of an open directory."""
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in _NO_DIR_SYNC:
            raise


class WorkspaceLock:
    """An exclusive lock over one workspace, shared by the TUI, the CLI and the runner.

    `flock` serialises processes; an RLock serialises threads of this process, and the
    depth count makes the lock re-entrant so engine functions can nest.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._thread_lock = _thread.RLock()
        self._depth = 0
        self._fd: int | None = None

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        with self._thread_lock:
            if self._depth == 0:
                # read-only is enough for flock: every member of a shared project can take it
                fd = open_regular(self.path, os.O_RDONLY | os.O_CREAT, SHARED_MODE)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                except BaseException:
                    os.close(fd)
                    raise
                self._fd = fd
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0 and self._fd is not None:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)
                    os.close(self._fd)
                    self._fd = None



def moved_from(path: str | os.PathLike[str], known: os.stat_result) -> bool:
    """Whether the directory `known` (its stat, or an fd's) is no longer at `path`: moved, renamed
    or deleted, the path now leading nowhere or to another directory. An error that says nothing
    about where it is (EIO on a network mount) is not a move. The runner and the TUI both ask."""
    try:
        here = os.stat(path, follow_symlinks=False)
    except (FileNotFoundError, NotADirectoryError):
        return True
    except OSError:
        return False
    return not os.path.samestat(here, known)
