"""Reading a file that a user or a task could have replaced: never block on a FIFO, never follow a
symlink in place of the file or of the folder holding it, never read more than asked. Stdlib only, so every room (the script side, params,
the Slurm launcher) reads workspace files the same way; workspace/fsio re-exports these."""

from __future__ import annotations

import errno
import os
import stat

_KINDS = {stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a device", stat.S_IFBLK: "a device",
          stat.S_IFSOCK: "a socket", stat.S_IFDIR: "a directory", stat.S_IFLNK: "a symlink"}

# O_PATH: no read permission on the folder needed, as for a plain open of a file in it
_FOLDER_FLAGS = getattr(os, "O_PATH", os.O_RDONLY) | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_MADE = os.O_CREAT | os.O_EXCL  # an open with both made the file it opens
MAX_READ_BYTES = 256 << 20  # a workspace JSON/YAML file larger than this is refused, not loaded into memory


def kind_of(mode: int) -> str:
    """What an `st_mode` is, in words: `a regular file`, `a symlink`, `a directory`, `a FIFO`, ..."""
    kind = stat.S_IFMT(mode)
    return "a regular file" if kind == stat.S_IFREG else _KINDS.get(kind, "a special file")


class NotRegularFile(OSError):
    """A workspace file that is a FIFO, device, socket, directory or symlink, or a folder that is
    a symlink: never opened."""

    def __init__(self, path: str | os.PathLike[str], kind: str, expected: str = "a regular file") -> None:
        super().__init__(f"{os.fspath(path)} is {kind}, not {expected}; remove it")
        self.filename = os.fspath(path)
        self.kind = kind

    def __str__(self) -> str:
        return str(self.args[0])


def open_regular(path: str | os.PathLike[str], flags: int = os.O_RDONLY, mode: int = 0o644,
                 *, dir_fd: int | None = None) -> int:
    """An fd of the regular file `path` (relative to `dir_fd` if given): never blocks on a FIFO and
    never follows a symlink, neither the file nor the folder holding it (NotRegularFile names
    it instead), so a planted or swapped-in file or folder cannot hang or redirect us."""
    return _open_regular(path, flags, mode, dir_fd)[0]


def open_regular_stat(path: str | os.PathLike[str], flags: int = os.O_RDONLY, mode: int = 0o644,
                      *, dir_fd: int | None = None) -> tuple[int, os.stat_result]:
    """`open_regular`, with the fstat that found the file regular: a caller that wants its size
    asks no second fstat (one system call less per task file read or index row appended)."""
    fd, st = _open_regular(path, flags, mode, dir_fd)
    return fd, os.fstat(fd) if st is None else st


def _open_regular(path: str | os.PathLike[str], flags: int, mode: int,
                  dir_fd: int | None) -> tuple[int, os.stat_result | None]:
    """`open_regular_stat`, but no stat (None) of a file that O_CREAT | O_EXCL made: that open
    fails on anything already there (a link, a FIFO), so what it opens is a new regular file."""
    if dir_fd is None:
        folder, name = os.path.split(os.fspath(path))
        # the folder is opened O_NOFOLLOW and the file relative to it: swapping the folder for a
        # symlink between a check and this open cannot lead outside
        try:
            folder_fd = os.open(folder or ".", _FOLDER_FLAGS)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOTDIR) and os.path.islink(folder):
                raise NotRegularFile(folder, "a symlink", "a folder") from None
            raise
        try:
            return _open_in(name, flags, mode, folder_fd, path)
        finally:
            os.close(folder_fd)
    return _open_in(path, flags, mode, dir_fd, path)


def _open_in(path: str | os.PathLike[str], flags: int, mode: int, dir_fd: int | None,
             shown: str | os.PathLike[str]) -> tuple[int, os.stat_result | None]:
    try:
        fd = os.open(path, flags | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC, mode, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENXIO, errno.EISDIR):  # a symlink; a FIFO opened for writing
            try:
                kind = os.lstat(path, dir_fd=dir_fd).st_mode
            except OSError:
                kind = 0
            raise NotRegularFile(shown, _KINDS.get(stat.S_IFMT(kind), "not a file")) from None
        if exc.filename is not None:
            exc.filename = os.fspath(shown)  # the error names the whole path, not the name in its folder
        raise
    if flags & _MADE == _MADE:
        return fd, None
    st = os.fstat(fd)
    kind = stat.S_IFMT(st.st_mode)
    if kind != stat.S_IFREG:
        os.close(fd)
        raise NotRegularFile(shown, _KINDS.get(kind, "a special file"))
    return fd, st  # O_NONBLOCK does nothing to a regular file: no need to clear it


def read_bytes(path: str | os.PathLike[str], limit: int | None = None, *, dir_fd: int | None = None) -> bytes:
    """The content of the regular file `path` (see `open_regular`); ValueError when it holds more
    than `limit` bytes."""
    fd, st = open_regular_stat(path, dir_fd=dir_fd)
    try:  # the fstat that found it regular sizes the first read (no second fstat)
        data = read_fd(fd, None if limit is None else limit + 1, size=st.st_size)
    finally:
        os.close(fd)
    if limit is not None and len(data) > limit:
        raise ValueError(f"{os.fspath(path)} is larger than {limit >> 20} MiB")
    return data


def read_fd(fd: int, cap: int | None = None, *, size: int | None = None) -> bytes:
    """What the open regular file `fd` holds from its offset on, at most `cap` bytes: plain reads
    sized by the file (a buffered stream asked for `cap` bytes allocates that much first: 256 MiB
    mapped and unmapped for every small JSON file). `size`: its size from an fstat just made, the
    fd at offset 0: a first read that returns that many bytes, fewer than asked, read it all (no
    second read to find the end)."""
    cap = (1 << 62) if cap is None else cap
    ask = (os.fstat(fd).st_size if size is None else size) + 1  # one more: the end is seen in the next read
    parts = []
    got = 0
    while got < cap:
        chunk = os.read(fd, min(ask, cap - got))
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
        if got == size and len(chunk) < ask:  # the whole file the fstat saw (one that grew returns more)
            break
        ask = max(ask, 1 << 16)  # it grew while we read
    return parts[0] if len(parts) == 1 else b"".join(parts)


def read_text(path: str | os.PathLike[str], limit: int | None = None) -> str:
    """The UTF-8 text of the regular file `path` (UnicodeDecodeError is a ValueError)."""
    return read_bytes(path, limit).decode("utf-8")
