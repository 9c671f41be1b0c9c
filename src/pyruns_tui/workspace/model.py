"""Task, Run and Status: the content of task_info.json and the allowed state changes (SPEC 3, 4)."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field, fields
from enum import Enum

from pyruns_tui.errors import WorkspaceError

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from typing import Any

SCHEMA_VERSION = 1


class Status(str, Enum):
    """The state of a task (and of each of its runs)."""

    PENDING = "pending"
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    INTERRUPTED = "interrupted"

    @property
    def is_finished(self) -> bool:
        return self in FINISHED

    @property
    def is_active(self) -> bool:
        return self in ACTIVE


_STATUS_OF: dict[str, Status] = {status.value: status for status in Status}


def _status(value: Any) -> Status:
    """`Status(value)` (ValueError for no status), a dictionary look-up for a known value: the
    Enum call cost a quarter of a µs per task and run read."""
    return _STATUS_OF.get(value) or Status(value) if type(value) is str else Status(value)


FINISHED = frozenset({Status.COMPLETED, Status.FAILED, Status.INTERRUPTED})
ACTIVE = frozenset({Status.QUEUED, Status.RUNNING})

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.PENDING: frozenset({Status.QUEUED}),
    # queued -> pending is a cancel; queued -> failed when the task cannot even be spawned
    Status.QUEUED: frozenset({Status.RUNNING, Status.PENDING, Status.FAILED}),
    # running -> queued: a cluster requeued the job (preemption, node failure, scontrol requeue)
    Status.RUNNING: FINISHED | {Status.QUEUED},
    # a finished task can be rerun (run N+1)
    Status.COMPLETED: frozenset({Status.QUEUED}),
    Status.FAILED: frozenset({Status.QUEUED}),
    Status.INTERRUPTED: frozenset({Status.QUEUED}),
}


def check_transition(name: str, old: Status, new: Status) -> None:
    """Raise WorkspaceError unless `old -> new` is an allowed change for task `name`."""
    if new not in TRANSITIONS[old]:
        raise WorkspaceError(f"task {name!r} is {old.value}; it cannot become {new.value}")


# Times are written with `time`, not `datetime`: importing datetime costs every command ~2-3 ms
# here (the ISO text is the same as datetime's isoformat; tests/workspace/test_times.py compares).


def now_iso() -> str:
    """The current time as an ISO 8601 string with the local UTC offset, to the millisecond."""
    return _local_iso(time.time_ns() // 1000)


def local_iso(seconds: float) -> str:
    """Epoch `seconds` as `now_iso` writes a time (datetime's `fromtimestamp(seconds,
    timezone.utc).astimezone().isoformat(timespec="milliseconds")`)."""
    return _local_iso(_micros(seconds))


def _micros(seconds: float) -> int:
    """Epoch `seconds` in whole microseconds, rounded as datetime rounds them (half to even)."""
    whole = int(seconds)
    return whole * 1_000_000 + round((seconds - whole) * 1_000_000)


_last_second: tuple[Any, str, str] = (None, "", "")  # the last second written: (it, the zone), its text, UTC offset


def _local_iso(micros: int) -> str:
    global _last_second
    seconds, micros = divmod(micros, 1_000_000)
    key = (seconds, time.timezone, time.altzone, time.tzname)  # (time.tzset() changes the zone)
    second, text, zone = _last_second  # (one tuple: another thread swaps it whole)
    if second != key:  # a new second: `gen` asks the time of each of 10,000 tasks in one or two
        local = time.localtime(seconds)
        offset = local.tm_gmtoff
        hours, rest = divmod(abs(offset), 3600)
        zone = f"{'-' if offset < 0 else '+'}{hours:02d}:{rest // 60:02d}" + (f":{rest % 60:02d}" if rest % 60 else "")
        text = time.strftime("%Y-%m-%dT%H:%M:%S", local)
        _last_second = (key, text, zone)
    return f"{text}.{micros // 1000:03d}{zone}"


def _utc_second(second: int) -> str:
    """The whole epoch `second` as ISO 8601 in UTC, without the fraction or the offset."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))


def queue_times(count: int) -> list[str]:
    """`count` queue times from now, 1 µs apart, ISO 8601 in UTC: as text they sort in time order."""
    start = time.time_ns() // 1000
    times = []
    second, prefix = -1, ""
    for micros in range(start, start + count):
        if micros // 1_000_000 != second:
            second = micros // 1_000_000
            prefix = _utc_second(second) + "."
        times.append(f"{prefix}{micros % 1_000_000:06d}+00:00")
    return times


_QUEUE_SECONDS = (0, 253_402_300_800)  # 1970 up to the end of year 9999: text that sorts in time order


def _queue_time(value: Any) -> Any:
    """A `queued_at` read from disk: epoch seconds (files before ISO times) become ISO 8601 UTC, as
    `queue_times` writes them; ValueError for a number that is no such time (a hand edit)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not _QUEUE_SECONDS[0] <= value < _QUEUE_SECONDS[1]:  # (NaN included)
            raise ValueError(f"'queued_at' is not a time: {value!r} epoch seconds")
        seconds, micros = divmod(_micros(value), 1_000_000)
        return f"{_utc_second(seconds)}.{micros:06d}+00:00"
    return value


def parse_iso(text: str | None) -> float | None:
    """Epoch seconds of an ISO time written by `now_iso`, or None."""
    if not text:
        return None
    from datetime import datetime  # (after the first call, a dictionary look-up)

    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


_NUMBER = (int, float)
_NONE = type(None)
# the JSON types of the fields a hand edit could break; anything else makes the file invalid
_TASK_TYPES: dict[str, tuple[type, ...]] = {
    "created_at": (str,), "pinned": (bool,), "notes": (str,), "task_kind": (str,), "script": (str, _NONE),
    "gpus": (int, _NONE), "runs": (list, _NONE), "reason": (str, _NONE), "force": (bool,),
    "stop_requested": (bool,), "queued_at": (str, *_NUMBER, _NONE), "submit": (dict, _NONE),
    "retries": (int, _NONE), "retry_on": (str, _NONE), "retry_pending": (int, _NONE),
    "after": (list,), "priority": (int,), "gpu_mem_mb": (int, _NONE),
}
_RUN_TYPES: dict[str, tuple[type, ...]] = {
    "index": (int,), "start": (str, _NONE), "finish": (str, _NONE), "duration_s": (*_NUMBER, _NONE),
    "pid": (int, _NONE), "exit_code": (int, _NONE), "signal": (int, _NONE), "gpus": (list,),
    "argv": (list, _NONE), "env": (dict,), "log": (str,), "reason": (str, _NONE),
    "error": (str, _NONE), "error_line": (int, _NONE), "retry_of": (int, _NONE),
    "backend": (str, _NONE), "slurm_job_id": (str, _NONE), "node": (str, _NONE), "restarts": (int, _NONE),
    "gpu_mem_peak_mb": (*_NUMBER, _NONE), "gpu_util_mean": (*_NUMBER, _NONE), "gpu_util_p95": (*_NUMBER, _NONE),
    "gpu_devices": (dict, _NONE),
}
# run fields written only when set (a local run's record stays as it was)
_RUN_OPTIONAL = ("argv", "backend", "slurm_job_id", "node", "restarts", "gpu_mem_peak_mb", "gpu_util_mean",
                 "gpu_util_p95", "gpu_devices")


def _exact(types: dict[str, tuple[type, ...]]) -> dict[str, frozenset[type]]:
    """Each field's allowed types as a set of exact types (what JSON gives): one look-up a value
    for `_check_types`, half the time of an isinstance with bool told apart (a record of 15 fields)."""
    return {key: frozenset(allowed) for key, allowed in types.items()}


def _check_types(data: dict[str, Any], exact: dict[str, frozenset[type]],
                 types: dict[str, tuple[type, ...]]) -> None:
    for key, value in data.items():
        allowed = exact.get(key)
        if allowed is not None and type(value) not in allowed:  # (a subclass: by isinstance, below)
            allowed_types = types[key]
            if not isinstance(value, allowed_types) or (value.__class__ is bool and bool not in allowed_types):
                raise TypeError(f"{key!r} has the wrong type ({type(value).__name__})")


_TASK_EXACT = _exact(_TASK_TYPES)
_RUN_EXACT = _exact(_RUN_TYPES)


_FIELD_NAMES: dict[type, dict[str, str]] = {}
# Task fields whose text many tasks share (one script, one kind, a batch's creation time to the ms):
# read from JSON each is a string of its own; interned, 100,000 tasks take 20 MB less (-29 %)
_SHARED_TEXT = ("script", "task_kind", "created_at")


def _split_known(cls: type, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """`data`'s fields of `cls` (keyed by the field names' own, interned, strings) and the others.
    The keys JSON gives are strings of their own: passed as keywords, each is matched against
    the parameters by comparing text, not identity; mapped to the field names (`names.get`, in
    C), they match at the first look (a run of 18 fields: its constructor 3 -> 0.7 us, the whole
    `Run.from_dict` 5.4 -> 4.9 us)."""
    names = _FIELD_NAMES.get(cls)
    if names is None:  # dataclasses.fields() per call was most of the cost of reading 10,000 tasks
        names = _FIELD_NAMES[cls] = {f.name: f.name for f in fields(cls) if f.name != "extra"}
    known = dict(zip(map(names.get, data, data), data.values()))  # (unknown keys: kept as they are)
    others = known.keys() - names.keys()
    if not others:  # the usual case
        return known, {}
    if len(others) == 1:  # a task of a project's script (`script_in_project`): no pass in Python
        (key,) = others
        return known, {key: known.pop(key)}
    return known, {key: known.pop(key) for key in data if key not in names}  # (in their order)


@dataclass(slots=True)  # no __dict__ per object: 100,000 tasks load faster
class Run:
    """One execution of a task: one process, one log file."""

    index: int
    status: Status = Status.RUNNING
    start: str | None = None
    finish: str | None = None
    duration_s: float | None = None
    pid: int | None = None
    exit_code: int | None = None
    signal: int | None = None
    gpus: list[int] = field(default_factory=list)
    host: str | None = None
    git: dict[str, Any] | None = None
    python: str | None = None
    # the command line it was started with (secrets redacted: runner/redact.py), in the project folder
    argv: list[str] | None = None
    env: dict[str, str] = field(default_factory=dict)
    log: str = ""
    reason: str | None = None
    error: str | None = None  # why it failed, from its log (logs.failure)
    error_line: int | None = None  # 1-based log line where the traceback of `error` starts
    retry_of: int | None = None  # the index of the failed run this run retries
    backend: str | None = None  # None: local; "slurm": a job array index on a cluster
    slurm_job_id: str | None = None  # "A_i"
    node: str | None = None
    restarts: int | None = None  # times the cluster requeued it
    # GPU accounting (runner/gpu_accounting.py): sampled once a second while it ran
    gpu_mem_peak_mb: float | None = None  # most GPU memory its processes held at once, all devices
    gpu_util_mean: float | None = None  # utilisation of its devices while it had processes there, %
    gpu_util_p95: float | None = None
    gpu_devices: dict[str, Any] | None = None  # NVML index -> {mem_peak_mb, util_mean, util_p95}
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in _RUN_FIELDS}
        data["status"] = self.status.value
        for name in _RUN_OPTIONAL:
            if data[name] is None:
                del data[name]
        return {**data, **self.extra}

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, trusted: bool = False) -> Run:
        if not isinstance(data, dict):
            raise TypeError(f"a run must be an object, not {type(data).__name__}")
        if not trusted:
            _check_types(data, _RUN_EXACT, _RUN_TYPES)
        known, extra = _split_known(cls, data)
        known["status"] = _status(known.get("status", "failed"))
        return cls(**known, extra=extra)


_RUN_FIELDS = tuple(f.name for f in fields(Run) if f.name != "extra")  # in declaration order, as written


@dataclass(slots=True)
class Task:
    """One task: a folder with config.yaml (or config.sh) and task_info.json."""

    name: str
    status: Status = Status.PENDING
    created_at: str = field(default_factory=now_iso)
    pinned: bool = False
    notes: str = ""
    task_kind: str = "argparse"  # argparse | configurator | pyruns_load | plain | shell (ScriptInfo.task_kind)
    script: str | None = None
    gpus: int | None = None  # requested GPU count; None = the settings default
    runs: list[Run] = field(default_factory=list)
    reason: str | None = None  # why the task is in its state ("waiting for GPU", "runner lost")
    force: bool = False  # start without waiting for a slot or GPU
    stop_requested: bool = False
    queued_at: str | None = None  # ISO 8601 in UTC, to the µs: FIFO order of the queue (sorts as text)
    retries: int | None = None  # failed runs retried this many times; None = the settings default
    retry_on: str | None = None  # only errors matching this regex are retried; None = the settings
    retry_pending: int | None = None  # queued again by the runner to retry this run index
    # how the queued run is to be started when not by the settings' executor: {"executor",
    # "call" (one sbatch per call), "partition", "time", "sbatch_args"}; see runner/slurm
    submit: dict[str, Any] | None = None
    after: list[str] = field(default_factory=list)  # tasks that must complete before this one starts
    priority: int = 0  # higher starts first; FIFO within a priority
    gpu_mem_mb: int | None = None  # GPU memory the task needs on each of its GPUs (memory-aware placement)
    schema_version: int = SCHEMA_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def last_run(self) -> Run | None:
        return self.runs[-1] if self.runs else None

    @property
    def error(self) -> str | None:
        """Why a failed task failed (its last run's `error`); None unless it is failed. A task
        that failed before a run of it started (its script gone, a config the launch refuses, more
        GPUs than there are) has its reason, so `ls --by-error` and `error:` find it too."""
        if self.status is not Status.FAILED:
            return None
        run = self.last_run
        if run is not None and run.status is Status.FAILED and run.error:
            return run.error
        # failed before a run of it started, or a run that never did (a Slurm submission refused)
        own = f"task {self.name!r}: "  # (the launch's words name the task: grouped, they would not be one cause)
        reason = (run.reason if run is not None and run.status is Status.FAILED else None) or self.reason
        return reason[len(own):] if reason and reason.startswith(own) else reason

    def duration_s(self, now: float | None = None) -> float | None:
        """Duration of the last run; a running run counts up to `now`."""
        run = self.last_run
        if run is None:
            return None
        if run.duration_s is not None:
            return run.duration_s
        start = parse_iso(run.start)
        if start is None or self.status is not Status.RUNNING:
            return None
        return max(0.0, (now if now is not None else time.time()) - start)

    def set_status(self, new: Status, reason: str | None = None) -> None:
        check_transition(self.name, self.status, new)
        self.status = new
        self.reason = reason

    def unqueue(self) -> None:
        """Queued -> pending, dropping the request with its options (cancel, stop, a stop the runner sees)."""
        self.set_status(Status.PENDING)
        self.force = False
        self.queued_at = None
        self.stop_requested = False
        self.retry_pending = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "schema_version": self.schema_version,
            "name": self.name,
            "status": self.status.value,
            "created_at": self.created_at,
            "pinned": self.pinned,
            "notes": self.notes,
            "task_kind": self.task_kind,
            "script": self.script,
            "gpus": self.gpus,
            "reason": self.reason,
            "force": self.force,
            "stop_requested": self.stop_requested,
            "queued_at": self.queued_at,
            "runs": [run.to_dict() for run in self.runs],
        }
        for key in ("retries", "retry_on", "retry_pending"):  # written only by tasks that use retries
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        if self.submit is not None:
            data["submit"] = self.submit
        if self.after:
            data["after"] = list(self.after)
        if self.priority:
            data["priority"] = self.priority
        if self.gpu_mem_mb is not None:
            data["gpu_mem_mb"] = self.gpu_mem_mb
        return {**data, **self.extra}

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, trusted: bool = False) -> Task:
        """The task in `data`, its field types checked; `trusted`: `data` is what `to_dict` of a
        Task gave (the store's own write, unchanged since), so the checks are skipped."""
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            raise WorkspaceError("task_info.json is not a task (no 'name')")
        known, extra = _split_known(cls, data)
        for key in _SHARED_TEXT:
            if type(value := known.get(key)) is str:
                known[key] = sys.intern(value)
        try:
            if not trusted:
                _check_types(data, _TASK_EXACT, _TASK_TYPES)
                if (after := known.get("after")) and not all(isinstance(name, str) for name in after):
                    raise TypeError("'after' must list task names")
            known["status"] = _status(known.get("status", "pending"))
            runs = known.get("runs")
            known["runs"] = [Run.from_dict(r, trusted=trusted) for r in runs] if runs else []
            if "queued_at" in known:
                known["queued_at"] = _queue_time(known["queued_at"])
        except (ValueError, TypeError) as exc:
            raise WorkspaceError(f"task {data['name']!r}: task_info.json is invalid: {exc}") from exc
        return cls(**known, extra=extra)
