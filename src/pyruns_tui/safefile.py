"""Reading a file that a user or a task could have replaced: never block on a FIFO, never follow a
final symlink, never read more than asked. Stdlib only, so every room (the script side, params,
the Slurm launcher) reads workspace files the same way; workspace/fsio re-exports these."""

from __future__ import annotations

import errno
import os
import stat

_KINDS = {stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a device", stat.S_IFBLK: "a device",
          stat.S_IFSOCK: "a socket", stat.S_IFDIR: "a directory", stat.S_IFLNK: "a symlink"}

MAX_READ_BYTES = 256 << 20  # a workspace JSON/YAML file larger than this is refused, not loaded into memory


class NotRegularFile(OSError):
    """A workspace file that is a FIFO, device, socket, directory or symlink: never opened."""

    def __init__(self, path: str | os.PathLike[str], kind: str) -> None:
        super().__init__(f"{os.fspath(path)} is {kind}, not a regular file; remove it")
        self.filename = os.fspath(path)
        self.kind = kind

    def __str__(self) -> str:
        return str(self.args[0])


def open_regular(path: str | os.PathLike[str], flags: int = os.O_RDONLY, mode: int = 0o644,
                 *, dir_fd: int | None = None) -> int:
    """An fd of the regular file `path` (relative to `dir_fd` if given): never blocks on a FIFO and
    never follows a final symlink (NotRegularFile names the file instead), so a planted file cannot
    hang or redirect us."""
    try:
        fd = os.open(path, flags | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC, mode, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENXIO, errno.EISDIR):  # a symlink; a FIFO opened for writing
            try:
                kind = os.lstat(path, dir_fd=dir_fd).st_mode
            except OSError:
                kind = 0
            raise NotRegularFile(path, _KINDS.get(stat.S_IFMT(kind), "not a file")) from None
        raise
    kind = stat.S_IFMT(os.fstat(fd).st_mode)
    if kind != stat.S_IFREG:
        os.close(fd)
        raise NotRegularFile(path, _KINDS.get(kind, "a special file"))
    return fd  # O_NONBLOCK does nothing to a regular file: no need to clear it


def read_bytes(path: str | os.PathLike[str], limit: int | None = None, *, dir_fd: int | None = None) -> bytes:
    """The content of the regular file `path` (see `open_regular`); ValueError when it holds more
    than `limit` bytes."""
    fd = open_regular(path, dir_fd=dir_fd)
    with os.fdopen(fd, "rb") as stream:
        if limit is None:
            return stream.read()
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"{os.fspath(path)} is larger than {limit >> 20} MiB")
    return data


def read_text(path: str | os.PathLike[str], limit: int | None = None) -> str:
    """The UTF-8 text of the regular file `path` (UnicodeDecodeError is a ValueError)."""
    return read_bytes(path, limit).decode("utf-8")
