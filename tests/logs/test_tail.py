"""LogFile: tail, paging backwards, ranges and following huge or changing log files."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from pyruns_tui.logs.tail import LogFile
from pyruns_tui.logs.terminal import TerminalModel


def write_lines(path: Path, count: int, width: int = 20) -> bytes:
    data = b"".join((b"line %07d" % i).ljust(width, b".") + b"\n" for i in range(count))
    path.write_bytes(data)
    return data


def test_missing_file_reads_as_empty(tmp_path: Path) -> None:
    log = LogFile(tmp_path / "run_logs" / "run1.log")
    assert not log.exists and log.size == 0
    assert log.read_tail() == (0, b"")
    assert log.read_new() == b""
    assert log.read_before(100) == (0, b"")
    assert log.read_range(0, 10) == b""


def test_queued_task_log_appears_later(tmp_path: Path) -> None:
    path = tmp_path / "run1.log"
    log = LogFile(path)
    assert log.read_tail() == (0, b"")
    path.write_bytes(b"started\n")
    assert log.read_new() == b"started\n"
    assert not log.restarted


def test_small_file_tail_is_the_whole_file(tmp_path: Path) -> None:
    data = write_lines(tmp_path / "a.log", 10)
    assert LogFile(tmp_path / "a.log").read_tail(10_000) == (0, data)


def test_tail_starts_at_a_line_start(tmp_path: Path) -> None:
    data = write_lines(tmp_path / "a.log", 1000)
    start, tail = LogFile(tmp_path / "a.log").read_tail(1000)
    assert start + len(tail) == len(data) and len(tail) <= 1000
    assert data[start - 1:start] == b"\n"
    assert tail == data[start:]
    assert start == 21 * 953  # the first whole line inside the last 1000 bytes


def test_tail_window_exactly_on_a_line_start_keeps_that_line(tmp_path: Path) -> None:
    data = write_lines(tmp_path / "a.log", 100)  # 21-byte lines
    start, tail = LogFile(tmp_path / "a.log").read_tail(21 * 5)
    assert (start, tail) == (len(data) - 105, data[-105:])


def test_one_gigabyte_log_tail_reads_only_the_end(tmp_path: Path) -> None:
    path = tmp_path / "huge.log"
    with open(path, "wb") as f:
        f.truncate(1 << 30)  # sparse: costs no disk
        f.seek(1 << 30)
        f.write(b"\n" + b"".join(b"final line %d\r\n" % i for i in range(100)))
    log = LogFile(path)
    assert log.size > 1 << 30
    start, tail = log.read_tail(64 * 1024)
    assert log.bytes_read <= 64 * 1024 + 1
    assert tail.endswith(b"final line 99\r\n")
    model = TerminalModel()
    model.feed(tail)
    assert model.plain_line(model.end_line - 2) == "final line 99"
    assert log.read_new() == b""
    assert log.bytes_read <= 64 * 1024 + 1


def test_paging_backwards_covers_the_file_in_line_aligned_pages(tmp_path: Path) -> None:
    data = write_lines(tmp_path / "a.log", 5000, width=33)
    log = LogFile(tmp_path / "a.log")
    offset, page = log.read_tail(4096)
    pages = [page]
    while offset > 0:
        new_offset, page = log.read_before(offset, 4096)
        assert new_offset < offset and len(page) == offset - new_offset <= 4096
        assert new_offset == 0 or data[new_offset - 1:new_offset] == b"\n"
        pages.append(page)
        offset = new_offset
    assert b"".join(reversed(pages)) == data
    assert log.bytes_read < 2 * len(data)


def test_paging_through_a_line_longer_than_a_page_makes_progress(tmp_path: Path) -> None:
    data = b"short\n" + b"x" * 10_000 + b"\nend\n"
    (tmp_path / "a.log").write_bytes(data)
    log = LogFile(tmp_path / "a.log")
    offset, page = log.read_tail(1000)
    assert page == b"end\n"
    pages = [page]
    while offset > 0:
        offset, page = log.read_before(offset, 1000)
        pages.append(page)
    assert b"".join(reversed(pages)) == data


def test_read_range(tmp_path: Path) -> None:
    data = write_lines(tmp_path / "a.log", 100)
    log = LogFile(tmp_path / "a.log")
    assert log.read_range(21, 42) == data[21:42]
    assert log.read_range(len(data) - 5, len(data) + 100) == data[-5:]
    assert log.read_range(-5, 3) == data[:3]


def test_follow_returns_only_appended_bytes(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    path.write_bytes(b"one\n")
    log = LogFile(path)
    assert log.read_tail() == (0, b"one\n")
    assert log.read_new() == b""
    with open(path, "ab") as f:
        f.write(b"two\nthr")
    assert log.read_new() == b"two\nthr"
    with open(path, "ab") as f:
        f.write(b"ee\n")
    assert log.read_new() == b"ee\n"
    assert not log.restarted


def test_follow_in_bounded_steps(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    path.write_bytes(b"x" * 1000)
    log = LogFile(path)
    got = [log.read_new(max_bytes=300) for _ in range(5)]
    assert [len(g) for g in got] == [300, 300, 300, 100, 0]


def test_truncated_file_restarts_from_the_beginning(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    path.write_bytes(b"a long first version\n")
    log = LogFile(path)
    log.read_tail()
    path.write_bytes(b"short\n")
    assert log.read_new() == b"short\n"
    assert log.restarted
    assert log.read_new() == b"" and not log.restarted


def test_replaced_file_restarts_even_when_longer(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    path.write_bytes(b"old\n")
    log = LogFile(path)
    log.read_tail()
    other = tmp_path / "new.log"
    other.write_bytes(b"a completely new and longer log\n")
    os.replace(other, path)
    assert log.read_new() == b"a completely new and longer log\n"
    assert log.restarted


def test_deleted_file_reads_empty_then_restarts(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    path.write_bytes(b"data\n")
    log = LogFile(path)
    log.read_tail()
    path.unlink()
    assert log.read_new() == b"" and log.restarted
    path.write_bytes(b"again\n")
    assert log.read_new() == b"again\n"


def test_follow_a_live_writer_process(tmp_path: Path) -> None:
    path = tmp_path / "run1.log"
    code = ("import sys, time\n"
            "with open(sys.argv[1], 'ab', buffering=0) as f:\n"
            "    for i in range(50):\n"
            "        f.write(b'\\r progress %d%%' % (2 * i)); time.sleep(0.002)\n"
            "    f.write(b'\\r\\ndone\\r\\n')\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(path)])
    log = LogFile(path)
    model = TerminalModel()
    deadline = time.monotonic() + 30
    while "done" not in model.plain_text() and time.monotonic() < deadline:
        model.feed(log.read_new())
        time.sleep(0.005)
    proc.wait(timeout=30)
    model.feed(log.read_new())
    assert model.plain_text() == " progress 98%\ndone"
    assert log.bytes_read == path.stat().st_size
