"""LogFile: one run log on disk, read in pieces (tail, ranges, pages backwards, follow).

Nothing here reads a whole file: the viewer opens a 1 GB log by reading its last screenful,
pages backwards on demand and follows appended bytes. A log that does not exist yet (task
still queued) reads as empty. Every method opens the file afresh, so a log that is replaced
or truncated is noticed by `read_new`, which then starts over from the beginning.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from pyruns_tui.safefile import open_regular

DEFAULT_TAIL_BYTES = 256 * 1024


class LogFile:
    """A log file on disk, read by byte offsets aligned to line starts."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.follow_offset = 0  # where read_new continues
        self.restarted = False  # the last read_new found the file truncated or replaced
        self.bytes_read = 0  # total bytes read from disk (lets tests check reads are bounded)
        self._identity: tuple[int, int] | None = None

    def __repr__(self) -> str:
        return f"LogFile({str(self.path)!r})"

    def _stat(self) -> os.stat_result | None:
        try:
            st = self.path.stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        return st if stat.S_ISREG(st.st_mode) else None  # a FIFO or device would block a read

    @property
    def exists(self) -> bool:
        """Whether the file exists yet."""
        return self._stat() is not None

    @property
    def size(self) -> int:
        """Current size in bytes (0 when the file does not exist yet)."""
        st = self._stat()
        return st.st_size if st is not None else 0

    def _read(self, start: int, end: int) -> bytes:
        if end <= start:
            return b""
        try:
            fd = open_regular(self.path)  # never a planted FIFO, never through a planted or swapped-in link
        except OSError:
            return b""
        with os.fdopen(fd, "rb") as f:
            f.seek(start)
            data = f.read(end - start)
        self.bytes_read += len(data)
        return data

    def read_range(self, start: int, end: int) -> bytes:
        """Bytes [start, end) (fewer if the file is shorter)."""
        return self._read(max(0, start), end)

    def read_before(self, offset: int, max_bytes: int = DEFAULT_TAIL_BYTES) -> tuple[int, bytes]:
        """Page backwards: (start, bytes [start, offset)) with start >= offset - max_bytes at a
        line start (just after a newline, or 0). When no newline falls in the window the
        window is returned unaligned so paging still makes progress."""
        offset = max(0, offset)
        start = max(0, offset - max(1, max_bytes))
        if start == 0:
            return 0, self._read(0, offset)
        raw = self._read(start - 1, offset)  # one byte more: is `start` already a line start?
        cut = raw.find(b"\n")
        if cut < 0 or start + cut >= offset:
            return start, raw[1:]
        return start + cut, raw[cut + 1:]

    def read_tail(self, max_bytes: int = DEFAULT_TAIL_BYTES) -> tuple[int, bytes]:
        """The end of the file: (start, bytes [start, size)) with at most max_bytes starting at
        a line start; following (read_new) continues from the end."""
        st = self._stat()
        size = st.st_size if st is not None else 0
        start, data = self.read_before(size, max_bytes)
        self.follow_offset = start + len(data)
        self._identity = (st.st_dev, st.st_ino) if st is not None else None
        return start, data

    def read_new(self, max_bytes: int | None = None) -> bytes:
        """Bytes appended since the last read_tail/read_new (at most max_bytes when given).
        A file that shrank or was replaced is read again from offset 0 (`restarted` is set)."""
        st = self._stat()
        self.restarted = False
        if st is None:
            if self._identity is not None or self.follow_offset:
                self.restarted = True
            self._identity = None
            self.follow_offset = 0
            return b""
        identity = (st.st_dev, st.st_ino)
        if (self._identity is not None and identity != self._identity) \
                or st.st_size < self.follow_offset:
            self.restarted = True
            self.follow_offset = 0
        self._identity = identity
        end = st.st_size if max_bytes is None else min(st.st_size, self.follow_offset + max_bytes)
        data = self._read(self.follow_offset, end)
        self.follow_offset += len(data)
        return data
