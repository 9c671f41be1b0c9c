"""A task that reads its terminal (stdin, `/dev/tty`, getpass) gets end-of-file, never hangs its slot;
its stdin is the terminal, as in one."""

from __future__ import annotations

import pytest

from pyruns_tui.runner import control
from pyruns_tui.workspace.model import Status
from tests.runner.harness import Project

GETPASS = (
    "import getpass\n"
    "try:\n    getpass.getpass('password: ')\nexcept EOFError:\n    print('EOF from getpass')\n"
    "with open('/dev/tty') as tty:\n    print('second read:', repr(tty.readline()))\n"
)
# kuangliu/pytorch-cifar's utils.py (copied into many repos) reads the terminal's width from stdin
# at import; with stdin on /dev/null, `stty: 'standard input': Inappropriate ioctl for device`
# and every run failed at once with `ValueError: not enough values to unpack`
STTY_SIZE = (
    "import os\n"
    "_, term_width = os.popen('stty size', 'r').read().split()\n"
    "print('term_width', int(term_width))\n"
    "try:\n    input('continue? ')\nexcept EOFError:\n    print('EOF from input')\n"
)


def completed_log(project: Project, name: str) -> bytes:
    """Run the task `name` to its end; its log, once it completed (it would hang on a read else)."""
    control.queue(project.store, [name])
    task = project.wait(name, timeout=60)[name]
    assert task.status is Status.COMPLETED, (task.reason, project.log(name))
    return project.log(name)


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("read x < /dev/tty; echo \"read returned $?\"", b"read returned 1"),
        ("for i in 1 2 3; do read x < /dev/tty; done; echo three reads done", b"three reads done"),
    ],
)
def test_a_shell_task_reading_dev_tty_gets_eof(project: Project, command: str, expected: bytes) -> None:
    assert expected in completed_log(project, project.add("reader", command=command))


def test_getpass_gets_eof_and_nothing_is_echoed(project: Project) -> None:
    log = completed_log(project, project.add("secret", GETPASS))
    assert b"EOF from getpass" in log and b"second read: ''" in log
    assert b"^D" not in log and b"\x04" not in log


def test_stdin_is_the_terminal_its_size_is_read_and_a_read_gets_eof(project: Project) -> None:
    log = completed_log(project, project.add("cifar", STTY_SIZE))
    assert b"term_width 160" in log and b"EOF from input" in log
