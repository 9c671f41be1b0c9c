"""The supervisor of one run: holds the task's pseudo-terminal, pumps it to the run log, ends it.

A supervisor supervises one run at a time. Normally it is a pooled worker of the spawner
(`serve_runs`, see spawner.py): forked once, it takes run after run, each with a control channel
on which the runner asks it to stop and sees the run's end (and, from the worker, `output` when
the task prints after a pause: `OUTPUT_QUIET_S`). A run with no such channel (a one-run supervisor,
a run whose runner went away and a new one adopted, a Slurm run) says it on the workspace's
wake-up FIFO instead (the spec's `wake`: `output "NAME"`, wake.py), when a runner reads it on
this host. Without a spawner the runner forks a
one-run supervisor from itself (`run_forked`), or, when forking is unsafe (threads), starts
`python -I -S supervisor.py STATE_FILE` with the launch spec (JSON) on stdin; this file is
stdlib-only for that reason. It lives in its own session with SIGHUP ignored, so neither a
closed terminal nor a dead runner stops it: the task keeps running, its output keeps reaching
the log, and its end is written to STATE_FILE for whichever runner comes next. It holds an
flock on `STATE_FILE.lock` for the whole run (how a later runner knows it is alive). The
runner tells it to stop on the control channel, or with SIGTERM (one-run supervisors, and
the runs a later runner adopted).

The pty is the task's controlling terminal (fixed size; output processing off so the log holds
the program's bytes exactly; stdin, stdout and stderr are the pty, as in a terminal: `stty size`
reads its size from stdin, and a reader of stdin gets the end-of-file sent every TTY_EOF_S). On
Linux a supervisor that leads its session (a pooled worker, a one-run supervisor: `detach`) runs
the task as a shell runs a job: the pty becomes the supervisor's controlling terminal, the task
the leader of a new process group in that session and the terminal's foreground group (a
SIGCONT right after, for a task that touched its terminal in the microseconds before). With the
kernel's autogroup scheduling (a scheduling group per session, on by default) the task then
shares the supervisor's group: a 200 MB flood moved 115 MB/s instead of 101 (docs/benchmarks.md,
session 31). Otherwise (a supervisor in another's session) the task leads a new session of its
own, as it always did elsewhere. Between runs the supervisor gives the terminal up (TIOCNOTTY),
so a pooled worker takes the next run's. It also
becomes a child subreaper so descendants that escape the process group come back to it and are
killed too: when the task ends or is stopped, nothing it started survives.

STATE_FILE (JSON, replaced atomically): `{"version", "task", "run", "supervisor_pid",
"child_pid", "started_at", "state": "running" | "exited", "exit_code", "signal", "stopped",
"finished_at", "duration_s", "error"}`, plus `"log_cut": {"size", "why"}` from the moment a write of
the log failed (it is cut there: runner/log_cut.py), and `"deadline": true` when the spec's `stop_at` (a time
since the epoch: a Slurm job's end less the grace, slurm/launcher.py) came and stopped the task
as a stop request would. A `deadline` fd (the Slurm launcher's) brings a new `stop_at` when the
job's time limit changes: one line each, a time or `none`; the run log gets one line saying so
(`[pyruns] time limit changed: ...`). When `stop_at` comes, the supervisor first writes `?` on
that fd (a socket) and waits up to CONFIRM_S for the answer of a fresh squeue (a line, moved or
not): a limit raised since the last re-read moves the stop, and the task runs on; an answer that
keeps the stop, no answer in time, or no fd to ask stops the task then. In the exec mode the child pid is also written as one
line to stdout (a forked supervisor has no report fd: the runner reads the state file).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import select
import signal
import stat
import struct
import sys
import termios
import time
from typing import Any


def open_regular(path: str, flags: int, mode: int, dir_fd: int | None = None) -> int:
    """An fd of the regular file `path`, never through a symlink, never blocking on a FIFO (this
    file is stdlib-only, so it has its own copy of workspace.fsio.open_regular)."""
    fd = os.open(path, flags | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC, mode, dir_fd=dir_fd)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, "not a regular file; remove it", path)
    return fd  # O_NONBLOCK does nothing to a regular file: no need to clear it

STATE_VERSION = 1
LINGER_S = 0.5  # after the task's main process exits, how long leftovers may finish on their own
DRAIN_S = 2.0  # how long to wait for the pty to close once every process is gone
LOCK_WAIT_S = 1.0  # how long a lock held by someone else is waited for before the run is refused
LOCK_RETRY_S = 0.005
READ_SIZE = 1 << 16  # per read of the pty (one returns at most a few KiB)
PUMP_MAX = 1 << 18  # bytes moved per wake-up at most: under a flood, stops and timers are still seen
TTY_EOF_S = 1.0  # how often a reader of the task's terminal is given an end-of-file
OUTPUT_QUIET_S = 0.2  # output after a pause this long is told to the runner (its progress may have moved)
OUTPUT_MESSAGE = b"output"  # what a pooled worker sends on the control channel then
CONFIRM_S = 2.0  # at stop_at, how long the launcher's last look at the time limit is waited for at most
WAKE_RETRY_S = 5.0  # after the wake-up FIFO could not be written (no runner reads it here), it is left alone this long
_PR_SET_CHILD_SUBREAPER = 36
_PR_SET_NAME = 15


STATE_SIZE = 2048  # state files are padded to this size: the final record then fits in place on a full disk
STATE_RETRY_S = 24 * 3600.0  # how long the final record is retried (e.g. until space is freed)


def encode_state(state: dict[str, Any]) -> bytes:
    """The state as one JSON line padded with spaces to STATE_SIZE bytes (error texts are cut)."""
    if isinstance(state.get("error"), str) and len(state["error"]) > 400:
        state = dict(state, error=state["error"][:400])
    data = json.dumps(state, ensure_ascii=False).encode("utf-8")
    return data + b" " * max(0, STATE_SIZE - 1 - len(data)) + b"\n"


def make_dirs(path: str) -> None:
    """Make the folder `path` and, when it is missing too, its parent (`.runner/runs` after a
    user deleted `.runner/`), never more: a workspace moved or deleted meanwhile is not made
    again at its old place (FileNotFoundError then)."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        return
    except FileNotFoundError:
        with contextlib.suppress(FileExistsError):
            os.mkdir(os.path.dirname(path), 0o700)
        with contextlib.suppress(FileExistsError):
            os.mkdir(path, 0o700)


def _open_dir(path: str) -> int:
    return os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)


class Folder:
    """A state file's folder, held open from the run's start: the record is written relative to
    it, so it lands there even when the workspace was moved or renamed meanwhile (its old path
    then leads nowhere, or into another workspace). One deleted under us (`rm -r .runner`) is
    made again at its path, under a workspace that is still there."""

    def __init__(self, path: str) -> None:
        self.path = path
        make_dirs(path)
        self.fd = _open_dir(path)

    def fd_now(self) -> int:
        """Our fd of the folder; the folder at its path again when the one held was deleted."""
        if os.fstat(self.fd).st_nlink == 0:
            make_dirs(self.path)
            fd = _open_dir(self.path)
            os.close(self.fd)
            self.fd = fd
        return self.fd

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


def write_state(path: str, state: dict[str, Any], folder: Folder | None = None) -> None:
    """Replace the state file atomically (temp file + rename; no fsync: it is on the critical
    path of every task end, and after a power loss the runner's recovery decides anyway), in
    `folder` when given (`path`'s name there). When no new file fits (full disk), the existing
    one is overwritten in place: it was padded to the same size, so that needs no new block."""
    data = encode_state(state)
    dir_fd = folder.fd_now() if folder is not None else None
    name = os.path.basename(path) if dir_fd is not None else path
    tmp = f"{name}.{os.getpid()}.tmp"
    try:
        fd = open_regular(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600, dir_fd)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=dir_fd)
        if not _overwrite_in_place(name, data, dir_fd):
            raise


def _overwrite_in_place(path: str, data: bytes, dir_fd: int | None = None) -> bool:
    """Write `data` over an existing state file at least as long; False when there is none."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW, dir_fd=dir_fd)
    except OSError:
        return False
    try:
        return os.fstat(fd).st_size >= len(data) and os.pwrite(fd, data, 0) == len(data)
    except OSError:
        return False
    finally:
        os.close(fd)


def write_state_retrying(path: str, state: dict[str, Any], give_up_s: float, folder: Folder | None = None) -> bool:
    """`write_state`, retried with back-off for up to `give_up_s` (a full disk, a deleted
    `.runner/runs/`, which is made again); False when it never succeeded, at once when the
    workspace itself is gone (deleted, or moved while no folder was held)."""
    deadline = time.monotonic() + give_up_s
    delay = 0.05
    while True:
        try:
            write_state(path, state, folder)
            return True
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                try:
                    make_dirs(os.path.dirname(path))
                except FileNotFoundError:
                    return False
                except OSError:
                    pass
            if time.monotonic() + delay > deadline:
                return False
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


_prctl: Any = None


def preload() -> None:
    """Load prctl (ctypes) in this process: the runner calls it before forking supervisors, so
    each of them does not import ctypes again (a few ms of CPU per task)."""
    global _prctl
    if _prctl is None and sys.platform.startswith("linux"):
        _prctl = False
        with contextlib.suppress(Exception):
            import ctypes

            _prctl = ctypes.CDLL(None, use_errno=True).prctl


def become_subreaper() -> None:
    """Linux: orphaned descendants are re-parented to us instead of init, so none can escape."""
    preload()
    if _prctl:
        with contextlib.suppress(Exception):
            _prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def name_process(name: bytes) -> None:
    """Linux: the process's short name (`comm`, at most 15 bytes), as top and pgrep show it."""
    preload()
    if _prctl:
        with contextlib.suppress(Exception):
            _prctl(_PR_SET_NAME, name[:15], 0, 0, 0)


def own_children() -> list[int]:
    """Pids whose parent is this process (Linux /proc; empty elsewhere)."""
    me = os.getpid()
    found = []
    with contextlib.suppress(OSError):
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", "rb") as fh:
                    stat = fh.read()
            except OSError:
                continue
            fields = stat[stat.rfind(b")") + 2 :].split()
            if len(fields) > 1 and int(fields[1]) == me:
                found.append(int(entry))
    return found


def signal_tree(pgid: int, sig: int) -> None:
    """Send `sig` once to the task's process group and to every other child of ours (escapees)."""
    with contextlib.suppress(OSError):
        os.killpg(pgid, sig)
    for pid in own_children():
        try:
            group = os.getpgid(pid)
        except OSError:
            continue
        if group == pgid:
            continue  # the group signal reached it: a second one would be seen twice by a handler
        with contextlib.suppress(OSError):
            if group == pid:
                os.killpg(pid, sig)  # an escapee that made itself a group leader takes its group along
            else:
                os.kill(pid, sig)


def group_exists(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


TASK_DEFAULT_SIGNALS = (signal.SIGHUP, signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE, signal.SIGQUIT)


def take_terminal(slave: int) -> bool:
    """Make the pty `slave` our controlling terminal, when we lead our session and have none
    (Linux); whether it is: the task then runs in our session (`spawn_child`, module doc)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        if os.getsid(0) != os.getpid():
            return False  # (another's session: the tests' and the benchmarks' in-process supervisors)
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    except OSError:
        return False  # (one still held: a run given up without its terminal dropped)
    return True


def drop_terminal(slave: int) -> None:
    """Give up the controlling terminal `take_terminal` took (its foreground group, the task's,
    gets SIGHUP, as when a session leader exits: nothing of it lives by now)."""
    with contextlib.suppress(OSError):
        fcntl.ioctl(slave, termios.TIOCNOTTY)


def spawn_child(spec: dict[str, Any], slave: int, master: int, shared: bool = False) -> int:
    """Start the task with the pty as controlling terminal and stdin/stdout/stderr: `shared` (the
    pty is ours: `take_terminal`), the leader of a new process group of our session, made the
    terminal's foreground group; else the leader of a new session of its own.

    posix_spawn (vfork-like: no copy of our page tables, 2-3 ms less CPU per task than fork +
    exec from an interpreter) where it can do the whole set-up; a fork otherwise, and whenever
    the spawn fails, so the reason reaches the log (`pyruns: cannot start ...`, exit code 127).
    """
    pid = _posix_spawn(spec, slave, shared)
    if pid is None:
        return _fork_child(spec, slave, master, shared)
    if shared:
        # the task runs already (posix_spawn returns after its exec): one that read its terminal
        # or set its modes in the microseconds before this, from a background group, was stopped
        # (SIGTTIN, SIGTTOU); the SIGCONT resumes it and drops a stop still pending
        with contextlib.suppress(OSError):
            os.tcsetpgrp(slave, pid)
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGCONT)
    return pid


def _posix_spawn(spec: dict[str, Any], slave: int, shared: bool) -> int | None:
    """The task started by posix_spawn, or None when it cannot be (then fork reports why)."""
    if not hasattr(os, "POSIX_SPAWN_OPEN") or not sys.platform.startswith("linux"):
        return None  # the controlling terminal is taken by opening the pty after setsid (Linux)
    argv = [str(a) for a in spec["argv"]]
    env = spec.get("env") or dict(os.environ)
    program = _find_program(argv[0], env)
    if program is None:
        return None
    try:
        tty = os.ttyname(slave)
        # the supervisor's own working directory does not matter (its paths are absolute)
        os.chdir(spec["cwd"])
        return os.posix_spawn(
            program,
            argv,
            env,
            file_actions=[
                # opened without O_NOCTTY by a new session's leader: it becomes the controlling tty
                # (`shared`: ours already); stdin too, as in a terminal (kuangliu/pytorch-cifar's
                # `stty size` reads fd 0)
                (os.POSIX_SPAWN_OPEN, 0, tty, os.O_RDWR, 0),
                (os.POSIX_SPAWN_DUP2, 0, 1),
                (os.POSIX_SPAWN_DUP2, 0, 2),
            ],
            **({"setpgroup": 0} if shared else {"setsid": True}),
            setsigdef=TASK_DEFAULT_SIGNALS,
            setsigmask=(),
        )
    except (OSError, ValueError, NotImplementedError):
        return None


def _find_program(name: str, env: dict[str, str]) -> str | None:
    """`name` looked up like execvpe does (the task's PATH), or None."""
    if os.sep in name:
        return name
    for directory in os.get_exec_path(env):
        path = os.path.join(directory, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def _fork_child(spec: dict[str, Any], slave: int, master: int, shared: bool) -> int:
    """Fork the task (the fallback of spawn_child); a failure is written to the pty."""
    argv = [str(a) for a in spec["argv"]]
    pid = os.fork()
    if pid:
        if shared:
            with contextlib.suppress(OSError):
                os.setpgid(pid, pid)  # (also done by the child: whichever comes first)
        return pid
    try:
        if shared:
            os.setpgid(0, 0)
            signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTTOU])  # (a background group's tcsetpgrp)
            os.tcsetpgrp(slave, os.getpid())
        else:
            os.setsid()
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        os.dup2(slave, 0)
        os.dup2(slave, 1)
        os.dup2(slave, 2)
        os.close(master)
        for sig in TASK_DEFAULT_SIGNALS:
            signal.signal(sig, signal.SIG_DFL)
        signal.set_wakeup_fd(-1)
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        os.chdir(spec["cwd"])
        os.execvpe(argv[0], argv, spec.get("env") or dict(os.environ))
    except BaseException as exc:  # noqa: BLE001 - the child must never return into our loop
        with contextlib.suppress(Exception):
            os.write(2, f"pyruns: cannot start {argv[0]!r}: {exc}\n".encode())
    os._exit(127)


class Supervisor:
    """The pump-and-wait loop of one run."""

    def __init__(self, state_path: str, spec: dict[str, Any], report_fd: int = 1, control: int = -1,
                 deadline: int = -1) -> None:
        self.state_path = os.path.abspath(state_path)
        spec = dict(spec, log=os.path.abspath(spec["log"]))
        self.report_fd = report_fd
        self.spec = spec
        self.grace_s = float(spec.get("grace_s", 10.0))
        stop_at = spec.get("stop_at")
        self.stop_at = float(stop_at) if isinstance(stop_at, (int, float)) else None  # wall clock
        self.deadline = deadline  # where a new stop_at comes from (not ours: the launcher closes it)
        self.deadline_open = deadline >= 0  # until its end-of-file
        self.confirm_by: float | None = None  # wall clock: the answer to our `?` at stop_at is awaited until then
        self.stop_sure = False  # stop_at was said by a squeue asked at or after it: no need to ask again
        self.state: dict[str, Any] = {
            "version": STATE_VERSION,
            "task": spec.get("task"),
            "run": spec.get("run"),
            "supervisor_pid": os.getpid(),
            "child_pid": None,
            "started_at": None,
            "state": "running",
            "exit_code": None,
            "signal": None,
            "stopped": False,
            "finished_at": None,
            "duration_s": None,
            "error": None,
            **spec.get("record", {}),  # what a launcher adds (the Slurm one: node, job id, attempt)
        }
        self.stop_requested = False
        self.stopped_while_running = False
        self.child = 0
        self.child_status: int | None = None
        self.main_exit: float | None = None  # monotonic time the main process was reaped
        self.pty_open = True
        self.term_sent = False
        self.kill_at = 0.0  # when SIGKILL follows the SIGTERM
        self.seen_children: set[int] = set()
        self.all_gone_at: float | None = None
        self.slave = -1  # our fd of the task's terminal while the task lives
        self.shared_terminal = False  # it is our controlling terminal too (`take_terminal`)
        self.control = control  # a pooled worker's channel to the runner: "stop" in, closed at the end
        self.runner_gone = False  # the runner closed its end of `control` (it stopped or died)
        self.held: list[int] = []  # fds that live as long as the run: closed by release()
        self.folder: Folder | None = None  # the state file's folder, held open for the run
        self.signals_set = False
        self.log_error: OSError | None = None  # the first failure to write the log: it is cut there
        self.lost = 0  # bytes of output not written to the log
        self.output_at = -OUTPUT_QUIET_S  # monotonic time output last reached the log
        self.line_open = False  # the log's last byte is not a newline
        wake = spec.get("wake")  # the runner's wake-up FIFO: `output` goes there when no channel takes it
        self.wake = wake if isinstance(wake, str) else None
        self.wake_retry_at = 0.0  # monotonic time before which the FIFO is not tried again

    def _on_term(self, signum: int, frame: Any) -> None:
        self.stop_requested = True
        if self.child_status is None:
            self.stopped_while_running = True

    def run(self) -> None:
        wake_r, wake_w = os.pipe()
        self.held += [wake_r, wake_w]
        os.set_blocking(wake_r, False)
        os.set_blocking(wake_w, False)
        self.signals_set = True
        signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
        signal.signal(signal.SIGTERM, self._on_term)
        signal.signal(signal.SIGHUP, lambda s, f: None)  # a handler, not SIG_IGN: the task must not inherit it
        signal.signal(signal.SIGINT, lambda s, f: None)
        signal.signal(signal.SIGCHLD, lambda s, f: None)
        become_subreaper()
        self.folder = Folder(os.path.dirname(self.state_path))  # (`.runner/` may have been deleted)
        # both locks are released by the kernel when we are gone, however
        deadline = time.monotonic() + LOCK_WAIT_S
        lock_fd = _lock_file(lock_path(self.state_path), deadline)
        if lock_fd is None:
            raise Refused("another supervisor of this run is still alive", owns_state=False)
        self.held.append(lock_fd)
        # the task's run_logs folder is locked too: no two runs of one task folder ever live at once
        logs_fd = os.open(os.path.dirname(self.spec["log"]), os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        self.held.append(logs_fd)
        if not _flock_by(logs_fd, deadline):
            raise Refused("another run of this task still has a live process", owns_state=True)
        record = self.spec.get("task_info")
        if isinstance(record, str) and not _record_says_running(record, self.spec.get("run")):
            # a runner killed before it handed us the run, whose successor found no log of it
            # under this same flock and queued the task again (recovery.py): not ours to start
            raise Refused("this run is not the task's running one any more (queued again)", owns_state=True)

        # O_NOFOLLOW: a link planted as runN.log must not lead the output out of the task.
        # A new run's log starts empty: one left there is a run whose start record a power loss
        # undid (no run of this task is alive: we hold the folder's lock). A Slurm requeue
        # continues its run's log instead (slurm/launcher.py).
        truncate = os.O_TRUNC if self.spec.get("new_log") else 0
        log_fd = open_regular(self.spec["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT | truncate, 0o644)
        self.held.append(log_fd)
        master, slave = os.openpty()
        self.held.append(master)
        self.slave = slave
        cols, rows = int(self.spec.get("cols", 160)), int(self.spec.get("rows", 50))
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        attrs = termios.tcgetattr(slave)
        # no output processing (ONLCR would turn "\n" into "\r\n"): the log holds the program's
        # bytes exactly, and the kernel copies them in bulk (2-3x the throughput)
        attrs[1] &= ~(termios.OPOST | termios.ONLCR)
        attrs[3] &= ~termios.ECHO  # nobody types here: the end-of-file characters we send are not echoed
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        eof_char = attrs[6][termios.VEOF]

        self.shared_terminal = take_terminal(slave)
        started = time.time()
        started_mono = time.monotonic()
        self.child = spawn_child(self.spec, slave, master, self.shared_terminal)
        # our end of the terminal stays open until every process of the task is gone: the last
        # close of the pty is then ours, after the task's last write. (When the task's exit was
        # the last close, Linux could report the pty closed (EIO) while that write was still on
        # its way to us: a run lost its final "\n" about once in 2,000 on a loaded machine.)
        self.state.update(child_pid=self.child, started_at=started)
        write_state_retrying(self.state_path, self.state, 1.0, self.folder)  # the task runs on even if the disk is full
        if self.report_fd >= 0:
            with contextlib.suppress(OSError):
                os.write(self.report_fd, f"{self.child}\n".encode())
            with contextlib.suppress(OSError):  # EOF for the runner's reader (stdout: /dev/null)
                os.dup2(os.open(os.devnull, os.O_WRONLY), self.report_fd)

        os.set_blocking(master, False)
        poller = select.poll()
        poller.register(master, select.POLLIN)
        poller.register(wake_r, select.POLLIN)
        if self.control >= 0:
            poller.register(self.control, select.POLLIN)
        if self.deadline >= 0:
            os.set_blocking(self.deadline, False)
            poller.register(self.deadline, select.POLLIN)
        view = memoryview(bytearray(READ_SIZE))  # reused: no bytes object per read
        eof_at = 0.0
        signalled = True  # children are reaped only after a signal (SIGCHLD wakes us) or a timeout

        while True:
            if signalled or self.child_status is not None:
                self._reap()
            now = time.monotonic()
            if now >= eof_at and self.child_status is None:
                eof_at = now + TTY_EOF_S
                _send_eof(master, eof_char)
            self._advance_kills(now)
            if self._finished(now):
                break
            try:
                events = poller.poll(self._timeout_ms(now))
            except InterruptedError:
                signalled = True
                continue
            signalled = not events
            for fd, _ in events:
                if fd == wake_r:
                    signalled = True
                    with contextlib.suppress(OSError):
                        while os.read(wake_r, 512):
                            pass
                    continue
                if fd == self.control:
                    if not self._on_control():
                        poller.unregister(fd)
                    continue
                if fd == self.deadline:
                    if not self._on_deadline(log_fd):
                        self.deadline_open = False
                        poller.unregister(fd)
                    continue
                self._pump(master, log_fd, view)
                if not self.pty_open:
                    poller.unregister(master)

        status = self.child_status if self.child_status is not None else 0
        self.state.update(
            state="exited",
            exit_code=os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
            signal=os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
            stopped=self.stopped_while_running,
            finished_at=time.time(),
            duration_s=round((self.main_exit or time.monotonic()) - started_mono, 3),
            error=None if self.log_error is None else log_problem(self.log_error, self.lost),
        )
        self._close(log_fd)
        self._close(master)
        write_state_retrying(self.state_path, self.state, STATE_RETRY_S, self.folder)

    def _on_control(self) -> bool:
        """A message from the runner on the control channel (non-blocking): any is a stop
        request (after the run: too late, and harmless); False once the runner closed its end
        (it stopped or died: the run goes on, as it does without one)."""
        try:
            message = os.read(self.control, 64)
        except BlockingIOError:
            return True
        except OSError:
            message = b""
        if not message:
            self.runner_gone = True
            return False
        self._on_term(signal.SIGTERM, None)
        return True

    def _on_deadline(self, log_fd: int) -> bool:
        """A new `stop_at` on the deadline fd (the last line read counts: a time, or `none` for
        no limit; each is a fresh squeue's, an answer to our `?` among them); the run log gets one
        line when it moved. False at its end-of-file."""
        try:
            data = os.read(self.deadline, 4096)
        except BlockingIOError:
            return True
        except OSError:
            data = b""
        if not data:
            return False
        lines = data.split()
        word = lines[-1].decode("ascii", "replace") if lines else ""
        try:
            stop_at = None if word == "none" else float(word)
        except ValueError:
            return True
        self.confirm_by = None
        self.stop_sure = stop_at is not None and stop_at <= time.time()  # due now: nothing to ask
        if stop_at == self.stop_at or self.term_sent or self.child_status is not None:
            return True
        was, self.stop_at = self.stop_at, stop_at
        line = (f"[pyruns] time limit changed: {'no stop' if stop_at is None else 'stop at ' + _clock(stop_at)}"
                f" (was {'none' if was is None else _clock(was)})\r\n")
        self._write_log(log_fd, memoryview((("\r\n" if self.line_open else "") + line).encode()))
        return True

    def _close_slave(self) -> None:
        """Close our fd of the task's terminal, given up as our controlling terminal first: a
        pooled worker takes the next run's (`take_terminal`)."""
        if self.shared_terminal:
            drop_terminal(self.slave)
            self.shared_terminal = False
        self._close(self.slave)
        self.slave = -1

    def _close(self, fd: int) -> None:
        if fd in self.held:
            self.held.remove(fd)
        with contextlib.suppress(OSError):
            os.close(fd)

    def release(self) -> None:
        """Give back everything the run held (its locks among them) and the signal set-up: what
        a pooled worker does before it takes the next run. (A one-run supervisor exits instead.)"""
        if self.signals_set:
            idle_signals()  # the wake-up fd unset before its pipe closes: the number may be reused
            self.signals_set = False
        if self.slave >= 0:
            self._close_slave()
        for fd in list(self.held):
            self._close(fd)
        if self.folder is not None:
            self.folder.close()
            self.folder = None

    def _pump(self, master: int, log_fd: int, view: memoryview) -> None:
        """Copy what the pty holds to the log until a read would block or PUMP_MAX bytes moved
        (then the loop looks at stops and timers, and comes back); notes the pty's end in
        `pty_open`. Each read is written at once: gathering reads into 256 KiB writes let the
        pty fill while a large write was under way and held the task up (a flood moved at
        76 MB/s, at 86 with single reads; docs/benchmarks.md, issue 21 session 10)."""
        moved = 0
        while moved < PUMP_MAX:
            try:
                got = os.readv(master, [view])
            except BlockingIOError:
                return
            except OSError as exc:
                if exc.errno != errno.EIO:
                    raise
                got = 0
            if not got:
                self.pty_open = False
                return
            moved += got
            self._write_log(log_fd, view[:got])
            if moved == got:  # the first bytes of this wake-up are in the log
                self._tell_output()

    def _tell_output(self) -> None:
        """Output is coming: after a pause, say so on the control channel, so the runner reads the
        log now rather than at its next look (once a second); while output flows the runner keeps
        looking on its own. Never blocks: a runner that does not read loses only this hint."""
        now = time.monotonic()
        quiet, self.output_at = now - self.output_at >= OUTPUT_QUIET_S, now
        if not quiet:
            return
        if self.control >= 0 and not self.runner_gone:
            with contextlib.suppress(OSError):  # (the channel is non-blocking: serve_runs)
                os.write(self.control, OUTPUT_MESSAGE)
        elif self.wake is not None and now >= self.wake_retry_at and not tell_fifo(
                self.wake, OUTPUT_MESSAGE + b" " + json.dumps(self.spec.get("task")).encode() + b"\n"):
            self.wake_retry_at = now + WAKE_RETRY_S

    def _write_log(self, log_fd: int, chunk: memoryview) -> None:
        if self.log_error is not None:  # the log is cut at the first failure: no gap inside it
            self.lost += len(chunk)
            return
        try:
            self.line_open = chunk[-1] != 10  # (a chunk is never empty)
            while chunk:
                chunk = chunk[os.write(log_fd, chunk) :]
        except OSError as exc:  # a full disk must not block the task: keep draining
            self.log_error = exc
            self.lost += len(chunk)
            self._record_cut(log_fd, exc)

    def _record_cut(self, log_fd: int, exc: OSError) -> None:
        """Say in the state file, now, that the log was cut and where (`log_cut`): the faces show
        it while the task runs on (runner/log_cut.py). Written once, in place on the full disk;
        a failure to write it is no reason to stop the task."""
        try:
            size: int | None = os.fstat(log_fd).st_size
        except OSError:
            size = None
        self.state["log_cut"] = {"size": size, "why": log_why(exc)}
        with contextlib.suppress(OSError):
            write_state(self.state_path, self.state, self.folder)

    def _reap(self) -> bool:
        """Reap exited children (noting the main one); True while any child is still alive."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return False
            if pid == 0:
                return True
            if pid == self.child and self.child_status is None:
                self.child_status = status
                self.main_exit = time.monotonic()

    def _advance_kills(self, now: float) -> None:
        """SIGTERM on a stop request or to leftovers after the main process ended; SIGKILL after grace."""
        if not self.term_sent:
            if self.stop_at is not None and self.child_status is None and not self.stop_requested \
                    and time.time() >= self.stop_at and self._stop_stands():
                self.state["deadline"] = True
                self._on_term(signal.SIGTERM, None)
            lingered = self.main_exit is not None and now - self.main_exit >= LINGER_S
            if self.stop_requested or (lingered and self._anything_left()):
                self.term_sent = True
                self.kill_at = now + self.grace_s
                signal_tree(self.child, signal.SIGTERM)
                signal_tree(self.child, signal.SIGCONT)  # a stopped process cannot act on SIGTERM
                self.seen_children = set(own_children())
            return
        if now >= self.kill_at:
            if self._anything_left():
                signal_tree(self.child, signal.SIGKILL)
            return
        arrived = set(own_children()) - self.seen_children  # orphans re-parented to us since
        if arrived:
            self.seen_children |= arrived
            for pid in arrived:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGTERM)

    def _stop_stands(self) -> bool:
        """At stop_at, before the stop: one last look at the time limit, so that a limit raised
        after the launcher's last re-read is not missed. True when the stop stands: a fresh
        squeue said so, or its answer did not come within CONFIRM_S, or there is none to ask."""
        if self.stop_sure or not self.deadline_open:
            return True
        if self.confirm_by is None:
            try:
                os.write(self.deadline, b"?\n")
            except OSError:  # (a pipe's read end: a launcher that cannot be asked)
                return True
            self.confirm_by = time.time() + CONFIRM_S
            return False
        return time.time() >= self.confirm_by

    def _anything_left(self) -> bool:
        return self._reap() or group_exists(self.child)

    def _finished(self, now: float) -> bool:
        if self.child_status is None:
            return False
        if self._anything_left():
            self.all_gone_at = None
            return False
        if self.slave >= 0:
            self._close_slave()  # the pty closes (EIO) once what it holds is read
            return False
        if not self.pty_open:
            return True
        # every process is gone yet the pty is open: something outside our tree holds it
        if self.all_gone_at is None:
            self.all_gone_at = now
        return now - self.all_gone_at >= DRAIN_S

    def _timeout_ms(self, now: float) -> int:
        if self.child_status is None and not self.term_sent:
            # SIGCHLD or SIGTERM wake us through the wake-up pipe; the deadline, this timeout
            due = self.stop_at if self.confirm_by is None else self.confirm_by
            wait_s = TTY_EOF_S if due is None else min(TTY_EOF_S, max(0.0, due - time.time()))
            return int(wait_s * 1000) + 1
        return 50  # shutting down: look again soon


def tell_fifo(path: str, line: bytes) -> bool:
    """Write `line` into the FIFO `path` if someone reads it, never blocking, never through a
    symlink, never into anything but a FIFO (wake.send's rules); False when it could not be."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:  # ENXIO: no reader (none on this host), EACCES: another member's runner
        return False
    try:
        if not stat.S_ISFIFO(os.fstat(fd).st_mode):
            return False
        os.write(fd, line)
        return True
    except BlockingIOError:
        return True  # full of unread wake-ups: the runner is behind, and looks anyway
    except OSError:
        return False
    finally:
        os.close(fd)


def _clock(at: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(at))


def _record_says_running(path: str, run: Any) -> bool:
    """False only when task_info.json at `path` is read and says run `run` is not the task's
    running one; an unreadable record (being moved to the trash, a full disk's leftovers) does not
    refuse a run the runner just asked for."""
    try:
        fd = open_regular(path, os.O_RDONLY, 0)
        try:
            data = json.loads(os.read(fd, os.fstat(fd).st_size + 1))
        finally:
            os.close(fd)
        runs = data["runs"]
        return bool(data["status"] == "running" and runs and runs[-1]["index"] == run and
                    runs[-1].get("status", "running") == "running")
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return True


class Refused(Exception):
    """This run must not start (its message is the run's error). `owns_state`: whether the
    state file is ours to write (not when another supervisor of the same run holds it)."""

    def __init__(self, message: str, *, owns_state: bool) -> None:
        super().__init__(message)
        self.owns_state = owns_state


def _flock_by(fd: int, deadline: float) -> bool:
    """Take the exclusive flock on `fd`, retried until `deadline` (monotonic): a liveness probe
    (the runner's, `ls`'s) holds it for an instant; a live supervisor holds it for good."""
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(LOCK_RETRY_S)


def _lock_file(path: str, deadline: float) -> int | None:
    """An fd holding the flock on the file `path`, or None. The file locked must still be the
    one at `path`: a runner removes a stale lock file while holding it, and a lock taken on the
    removed file would make this run look dead to everyone (then a new file is locked)."""
    while True:
        fd = open_regular(path, os.O_RDWR | os.O_CREAT, 0o600)
        if not _flock_by(fd, deadline):
            os.close(fd)
            return None
        try:
            if os.path.samestat(os.fstat(fd), os.stat(path, follow_symlinks=False)):
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)
        if time.monotonic() >= deadline:
            return None


def _send_eof(master: int, eof_char: bytes) -> None:
    """An end-of-file for whatever reads the terminal (stdin, `/dev/tty`, getpass): one per call, so
    a reader gets EOF within TTY_EOF_S instead of waiting forever for a keyboard."""
    with contextlib.suppress(OSError):
        os.write(master, eof_char)


def log_why(exc: OSError) -> str:
    """Why the log could not be written, in words: `disk full`, `cannot write the log: ...`."""
    return "disk full" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else f"cannot write the log: {exc.strerror}"


def log_problem(exc: OSError, lost: int) -> str:
    """The run's error when its log could not be written."""
    return f"log truncated: {log_why(exc)} ({lost} bytes not written)"


def lock_path(state_path: str) -> str:
    """The file a live supervisor keeps locked."""
    return state_path + ".lock"


def supervise(state_path: str, spec: dict[str, Any], report_fd: int, control: int = -1, deadline: int = -1) -> int:
    """Run one supervisor to the end in this process; the exit code for `os._exit`.
    `report_fd`: where the task's pid is written (-1: nowhere, the state file has it);
    `deadline`: where new `stop_at` times come from (-1: none, see module doc)."""
    return _supervise(Supervisor(state_path, spec, report_fd, control, deadline))


def _supervise(supervisor: Supervisor) -> int:
    try:
        supervisor.run()
    except BaseException as exc:  # noqa: BLE001 - record the failure for the runner, end the task
        if supervisor.child:
            signal_tree(supervisor.child, signal.SIGKILL)
        error = str(exc) if isinstance(exc, Refused) else f"supervisor failed: {exc!r}"
        supervisor.state.update(state="exited", error=error, finished_at=time.time())
        if not isinstance(exc, Refused) or exc.owns_state:  # never overwrite a live supervisor's record
            with contextlib.suppress(Exception):
                write_state_retrying(supervisor.state_path, supervisor.state, STATE_RETRY_S, supervisor.folder)
        with contextlib.suppress(Exception):
            sys.stderr.write(f"pyruns supervisor {os.getpid()}: {exc!r}\n")
        return 1
    finally:
        supervisor.release()
    return 0


def idle_signals() -> None:
    """The signal set-up between runs: SIGTERM ends the process, SIGHUP and SIGINT are ignored."""
    signal.set_wakeup_fd(-1)
    for sig in (signal.SIGTERM, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    for sig in (signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, signal.SIG_IGN)  # until run() installs its handlers


def detach(keep: int = -1) -> None:
    """Leave what the forking process had: a new session, stdin/stdout on /dev/null, every fd
    but 0-2 (stderr, the runner log, stays) and `keep` closed, the signal set-up reset."""
    os.setsid()
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    if keep < 0:
        os.closerange(3, 1 << 20)
    else:
        os.closerange(3, keep)
        os.closerange(keep + 1, 1 << 20)
    idle_signals()


def run_forked(state_path: str, spec: dict[str, Any]) -> int:
    """Become a supervisor in a child just forked from the runner (see module doc); it reports
    the task's pid in its state file only.

    Drops everything inherited from the runner: its files (lock, FIFO, event loop; stderr, the
    runner log, stays) and its signal set-up; a new session detaches it from the runner's.
    """
    import gc

    # the runner's garbage must never be finalised here: a file object closing "its" fd number
    # could close our pty or log, which may reuse that number after the closerange below
    gc.disable()
    detach()
    return supervise(state_path, spec, -1)


MAX_REQUEST = 1 << 17  # the largest request a pooled worker reads (the spawner sends no larger)
MAX_RUNS = 500  # a pooled worker exits after this many runs (whatever it may leak stays bounded)


def serve_runs(pool: int) -> int:
    """A pooled worker (forked by the spawner, which keeps `pool`, a SOCK_SEQPACKET socket, as
    its other end): supervise one run per request, one at a time, until the pool closes.

    A request is the spawner's JSON `{"state", "spec"}` with the run's control channel attached
    (SCM_RIGHTS): the runner's "stop" arrives on it, and the worker closes it once the run's
    record is written and its locks are given back (the runner takes that end-of-file as the
    run's end, as it takes a one-run supervisor's exit). After a run the worker tells the pool
    `idle` and waits for the next request, but only when the run ended normally, the runner
    still holds the channel (a runner that went away may adopt the run: it watches this
    process's exit), and nothing of the run is left open or alive here (`_clean`); otherwise,
    and after MAX_RUNS runs, it exits.
    """
    import gc
    import socket

    gc.freeze()  # what the spawner left is never collected here (a finaliser could close "its" fd)
    detach(pool)
    name_process(b"pyruns-super")  # in top and `ps -o comm` (its command line is the spawner's)
    sock = socket.socket(fileno=pool)
    for runs in range(1, MAX_RUNS + 1):
        try:
            message, fds, _, _ = socket.recv_fds(sock, MAX_REQUEST, 1, socket.MSG_CMSG_CLOEXEC)
        except OSError:
            return 0
        for fd in fds[1:]:
            os.close(fd)
        if not message or not fds:
            for fd in fds[:1]:
                os.close(fd)
            return 0 if not message else 1  # the spawner retired us, or is gone (or sent no channel)
        control = fds[0]
        os.set_blocking(control, False)  # read after a poll in the run, and once more after it
        try:
            request = json.loads(message)
            supervisor = Supervisor(str(request["state"]), dict(request["spec"]), -1, control)
        except (ValueError, KeyError, TypeError) as exc:
            sys.stderr.write(f"pyruns supervisor {os.getpid()}: bad request: {exc!r}\n")
            return 1  # the channel closes as we exit: the runner sees the run end without a record
        code = _supervise(supervisor)  # the record is written, the run's locks are free
        with contextlib.suppress(OSError):
            os.chdir("/")  # (posix_spawn set it to the task's): no mount stays pinned by us
        # `idle` goes out before the channel closes: when the runner learns that the run ended
        # and asks for the next one, the spawner already knows this worker is free
        # (a last look at the channel: the runner may have closed it as the run ended)
        go_on = (not code and not supervisor.runner_gone and supervisor._on_control()
                 and runs < MAX_RUNS and _clean(pool, control))
        if go_on:
            try:
                sock.send(b"idle")
            except OSError:
                go_on = False
        os.close(control)
        if not go_on:
            return code
    return 0


def _clean(*keep: int) -> bool:
    """Whether nothing of the last run is left here: no child, no fd but 0-2 and `keep`."""
    try:
        os.waitpid(-1, os.WNOHANG)
        return False  # a child (of the last run) is alive or unreaped
    except ChildProcessError:
        pass
    try:
        entries = os.listdir("/proc/self/fd")  # (its own fd is among them, closed by now)
    except OSError:
        return False  # no /proc to look at: not reused
    for entry in entries:
        fd = int(entry)
        if fd > 2 and fd not in keep:
            try:
                os.fstat(fd)
            except OSError:
                continue  # the listing's own
            return False
    return True


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write("usage: supervisor.py STATE_FILE < spec.json\n")
        return 2
    spec = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    return supervise(argv[1], spec, 1)


if __name__ == "__main__":
    code = main(sys.argv)
    sys.stderr.flush()
    os._exit(code)  # the record is written: skip interpreter teardown, the runner is waiting
