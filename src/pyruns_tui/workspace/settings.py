"""Settings of a project (`_pyruns_/_pyruns_settings.yaml`): defaults merged in code (SPEC 8)."""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path

from pyruns_tui.errors import WorkspaceError
from pyruns_tui.logs.output_metrics import DEFAULT_RULES, RuleError, compile_rule

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from typing import Any


@dataclass(frozen=True)
class PauseRule:
    """`pause_after_failures`: pause the queue when `count` tasks fail with one error within
    `within_s` seconds of their start (`count` 0: never)."""

    count: int = 3
    within_s: float = 60.0


@dataclass(frozen=True)
class SlurmSettings:
    """The `slurm:` mapping: how tasks are submitted when `executor: slurm` (docs/slurm.md)."""

    partition: str | None = None
    time: str | None = None  # sbatch --time, e.g. 4:00:00
    mem: str | None = None  # sbatch --mem, e.g. 16G
    cpus_per_task: int | None = None
    gpus_per_task: int | None = None  # None: the task's own / the top-level gpus_per_task
    gres_style: str = "gres"  # gres: --gres=gpu:N; gpus: --gpus-per-task=N
    account: str | None = None
    qos: str | None = None
    constraint: str | None = None
    extra_args: tuple[str, ...] = ()  # literal sbatch arguments
    array_parallelism: int | None = None  # None: max_concurrency


EXECUTORS = ("local", "slurm")


@dataclass(frozen=True)
class Settings:
    """Validated settings; every field has a default, so an empty file is valid."""

    max_concurrency: int = 4
    gpus_per_task: int = 1  # ignored (0) when the machine has no GPU
    gpu_ids: str | tuple[int, ...] = "auto"
    gpu_free_memory_mb: int = 2048  # a GPU with less free memory is busy with foreign work
    gpu_max_util_pct: int = 50  # a GPU busier than this is busy with foreign work
    max_tasks_per_gpu: int = 1  # tasks of ours sharing one GPU
    python: str | None = None  # interpreter for tasks; None = the one running pyr-tui
    refresh_hz: float = 4.0
    log_scrollback: int = 100_000
    max_tasks: int = 10_000
    env: dict[str, str] = field(default_factory=dict)
    stop_grace_s: float = 10.0
    runner_idle_exit_s: float = 60.0
    confirm_stop: bool = True  # the TUI asks before stopping running tasks
    pause_after_failures: PauseRule = PauseRule()
    retries: int = 0  # failed runs retried this many times (`run --retries` overrides per task)
    retry_on: str | None = None  # only failures whose error matches this regex are retried
    executor: str = "local"  # local | slurm
    slurm: SlurmSettings = field(default_factory=SlurmSettings)
    # (name, regex) rules reading metrics from output lines; empty = off (docs/script-api.md)
    output_metrics: tuple[tuple[str, str], ...] = tuple(DEFAULT_RULES.items())
    # not a setting: what the file holds that no field above reads (a typo is ignored, not fatal)
    warnings: tuple[str, ...] = field(default=(), compare=False, metadata={"not_a_setting": True})

    @property
    def python_executable(self) -> str:
        return self.python or sys.executable


_INT_RANGES: dict[str, tuple[int, int]] = {
    "max_concurrency": (1, 4096),
    "gpus_per_task": (0, 1024),
    "gpu_free_memory_mb": (0, 10**7),
    "gpu_max_util_pct": (0, 100),
    "max_tasks_per_gpu": (1, 64),
    "log_scrollback": (100, 10**8),
    "max_tasks": (1, 10**7),
    "retries": (0, 100),
}
_FLOAT_RANGES: dict[str, tuple[float, float]] = {
    "refresh_hz": (0.1, 60.0),
    "stop_grace_s": (0.0, 3600.0),
    "runner_idle_exit_s": (0.0, 10**6),
}
_BOOL_KEYS = {"confirm_stop"}

DEFAULT_SETTINGS_TEXT = """\
# pyruns-tui settings. Every key is optional; the values below are the defaults.
max_concurrency: 4        # tasks running at once
gpus_per_task: 1          # GPUs a task asks for unless it says otherwise (0 = none)
gpu_ids: auto             # auto (all NVML devices) or a list such as [0, 1]
gpu_free_memory_mb: 2048  # a GPU with less free memory is taken to be busy
gpu_max_util_pct: 50      # a GPU more utilised than this is taken to be busy
max_tasks_per_gpu: 1      # tasks of ours that may share one GPU (see gpu_mem_mb in docs/runner.md)
python: null              # interpreter for tasks (null = the one running pyr-tui)
refresh_hz: 4             # TUI refresh rate
log_scrollback: 100000    # lines the log view keeps
max_tasks: 10000          # largest grid that may be created at once
env: {}                   # extra environment variables for every task
stop_grace_s: 10          # seconds between SIGTERM and SIGKILL when stopping
runner_idle_exit_s: 60    # the runner exits after this long with nothing to do
confirm_stop: true        # the TUI asks before stopping running tasks
pause_after_failures: {count: 3, within_s: 60}  # stop starting tasks when 3 fail alike at start-up
retries: 0                # failed runs are retried this many times
retry_on: null            # only errors matching this regex are retried (null = any)
executor: local           # local, or slurm (a cluster: see the slurm mapping and docs/slurm.md)
slurm: {}                 # partition, time, mem, cpus_per_task, gpus_per_task, gres_style,
                          # account, qos, constraint, extra_args, array_parallelism
output_metrics: {}        # extra NAME: regex rules for metrics in output; false = off
"""


def _bad(where: str, key: str, expected: str, value: Any) -> WorkspaceError:
    return WorkspaceError(f"{where}: setting '{key}' must be {expected}, got {value!r}")


def _check(key: str, value: Any, where: str) -> Any:
    if key in _INT_RANGES:
        low, high = _INT_RANGES[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise _bad(where, key, f"an integer from {low} to {high}", value)
        return value
    if key in _FLOAT_RANGES:
        low_f, high_f = _FLOAT_RANGES[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low_f <= value <= high_f:
            raise _bad(where, key, f"a number from {low_f:g} to {high_f:g}", value)
        return float(value)
    if key in _BOOL_KEYS:
        if not isinstance(value, bool):
            raise _bad(where, key, "true or false", value)
        return value
    if key == "gpu_ids":
        if value == "auto":
            return value
        if isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value):
            return tuple(value)
        raise _bad(where, key, "'auto' or a list of GPU indices like [0, 1]", value)
    if key == "python":
        if value is None or (isinstance(value, str) and value.strip()):
            return value
        raise _bad(where, key, "null or the path of a Python interpreter", value)
    if key == "pause_after_failures":
        return _pause_rule(value, where)
    if key == "retry_on":
        if value is None:
            return value
        if isinstance(value, str):
            return check_regex(value, f"{where}: setting 'retry_on'")
        raise _bad(where, key, "null or a regular expression", value)
    if key == "env":
        if isinstance(value, dict) and all(isinstance(k, str) for k in value):
            for name, item in value.items():
                if not name or "=" in name or "\0" in name:
                    raise WorkspaceError(f"{where}: env name {name!r} is not a variable name (no '=', not empty); fix the key")
                if "\0" in str(item):
                    raise WorkspaceError(f"{where}: env value of {name} holds a NUL byte, which no environment can carry")
            if all(isinstance(v, (str, int, float, bool)) for v in value.values()):
                return {k: str(v) for k, v in value.items()}
        raise _bad(where, key, "a mapping of NAME: value", value)
    if key == "executor":
        if value in EXECUTORS:
            return value
        raise _bad(where, key, "local or slurm", value)
    if key == "slurm":
        return slurm_from_dict(value, where)
    if key == "output_metrics":
        return _output_metrics(value, where)
    raise AssertionError(key)


def _pause_rule(value: Any, where: str) -> PauseRule:
    if value is None or value is False:
        return PauseRule(count=0)
    if not isinstance(value, dict) or not set(value) <= {"count", "within_s"}:
        raise _bad(where, "pause_after_failures", "a mapping like {count: 3, within_s: 60} (or null: off)", value)
    count, within = value.get("count", PauseRule.count), value.get("within_s", PauseRule.within_s)
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= 10**6:
        raise _bad(where, "pause_after_failures.count", "an integer from 0 (off) to 1000000", count)
    if isinstance(within, bool) or not isinstance(within, (int, float)) or not 0 < within <= 10**7:
        raise _bad(where, "pause_after_failures.within_s", "a number of seconds above 0", within)
    return PauseRule(count, float(within))


def check_regex(text: str, what: str) -> str:
    """`text` if it is a valid regular expression, else WorkspaceError naming `what`."""
    import re

    try:
        text.encode("utf-8")  # (bytes that are not UTF-8 come from the command line as surrogates)
    except UnicodeEncodeError:
        raise WorkspaceError(f"{what}: {text!r} is not valid UTF-8 text; give it in UTF-8") from None
    try:
        re.compile(text)
    except re.error as exc:
        raise WorkspaceError(f"{what}: {text!r} is not a valid regular expression ({exc})") from exc
    return text


_SLURM_STRINGS = ("partition", "time", "mem", "account", "qos", "constraint")
_SLURM_INTS: dict[str, tuple[int, int]] = {"cpus_per_task": (1, 4096), "gpus_per_task": (0, 1024), "array_parallelism": (1, 100_000)}


# sbatch options the runner sets itself and finds its arrays by (their name, indexes, output file,
# the signal that stops a task in time): given again, the later one wins and the runner loses them
RUNNER_SBATCH_OPTIONS = {"--job-name": "-J", "--array": "-a", "--output": "-o", "--signal": None, "--wrap": None}


def sbatch_arg_problem(arg: str) -> str | None:
    """Why an sbatch argument given by the user cannot be passed (one the runner sets), or None."""
    for long, short in RUNNER_SBATCH_OPTIONS.items():
        if arg == long or arg.startswith(long + "=") or (short and (arg == short or arg.startswith(short) and not arg.startswith("--"))):
            return (f"{arg!r} sets {long}, which the runner sets itself to find its job arrays; "
                    "leave it out")
    return None


def slurm_from_dict(value: Any, where: str = "settings") -> SlurmSettings:
    """The `slurm:` mapping validated (None or {} = the defaults)."""
    if value is None:
        return SlurmSettings()
    if not isinstance(value, dict):
        raise _bad(where, "slurm", "a mapping such as {partition: gpu, time: '4:00:00'}", value)
    known = {f.name for f in fields(SlurmSettings)}
    values: dict[str, Any] = {}
    for key, item in value.items():
        name = f"slurm.{key}"
        if key not in known:
            raise WorkspaceError(f"{where}: unknown setting '{name}' (known: {', '.join(sorted(known))})")
        if item is None:
            continue
        if key in _SLURM_STRINGS:
            if isinstance(item, bool) or not isinstance(item, (str, int)) or not str(item).strip() or "\n" in str(item):
                raise _bad(where, name, "a one-line text", item)
            values[key] = str(item).strip()
        elif key in _SLURM_INTS:
            low, high = _SLURM_INTS[key]
            if isinstance(item, bool) or not isinstance(item, int) or not low <= item <= high:
                raise _bad(where, name, f"an integer from {low} to {high}", item)
            values[key] = item
        elif key == "gres_style":
            if item not in ("gres", "gpus"):
                raise _bad(where, name, "gres or gpus", item)
            values[key] = item
        elif key == "extra_args":
            if not isinstance(item, list) or not all(isinstance(a, str) and a and "\n" not in a for a in item):
                raise _bad(where, name, "a list of sbatch arguments such as ['--exclusive']", item)
            for arg in item:
                problem = sbatch_arg_problem(arg)
                if problem:
                    raise WorkspaceError(f"{where}: {name}: {problem}")
            values[key] = tuple(item)
    return SlurmSettings(**values)


def _output_metrics(value: Any, where: str) -> tuple[tuple[str, str], ...]:
    """The default rules, plus the file's (`NAME: regex`), less those set to null; false: none."""
    if value is False:
        return ()
    if value is None or value is True:
        return tuple(DEFAULT_RULES.items())
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise _bad(where, "output_metrics", "false or a mapping of NAME: regex", value)
    rules = dict(DEFAULT_RULES)
    for name, pattern in value.items():
        if pattern is None:
            rules.pop(name, None)
            continue
        if not isinstance(pattern, str):
            raise _bad(where, f"output_metrics.{name}", "a regex string (or null to drop the rule)", pattern)
        try:
            compile_rule(name, pattern)
        except RuleError as exc:
            raise WorkspaceError(f"{where}: {exc}") from exc
        rules[name] = pattern
    return tuple(rules.items())


def known_keys() -> list[str]:
    """The keys a settings file may hold: the fields of `Settings`, so a new field is known at once."""
    return [f.name for f in fields(Settings) if not f.metadata.get("not_a_setting")]


def _unknown_key_warning(key: Any, known: list[str], where: str) -> str:
    import difflib

    close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(known)}"
    return f"{where}: unknown setting {str(key)!r} is ignored ({hint})"


def settings_from_dict(data: Any, where: str = "settings") -> Settings:
    """Validate a mapping of settings; unknown keys are kept on disk, ignored here, and named in
    `Settings.warnings` with the nearest known key."""
    if data is None:
        return Settings()
    if not isinstance(data, dict):
        raise WorkspaceError(f"{where}: settings must be a mapping of key: value, got {type(data).__name__}")
    known = known_keys()
    values = {key: _check(key, value, where) for key, value in data.items() if key in known}
    warnings = tuple(_unknown_key_warning(key, known, where) for key in data if key not in known)
    return Settings(**values, warnings=warnings)


def load_settings(path: Path) -> Settings:
    """Settings from `path` (defaults when it does not exist); bad values raise WorkspaceError."""
    from pyruns_tui.workspace.fsio import read_text

    try:
        text = read_text(path)
    except FileNotFoundError:
        return Settings()
    except (OSError, UnicodeDecodeError) as exc:
        raise _unreadable(path, exc) from None
    return _settings_of(path, text)


class SettingsInFlux(WorkspaceError):
    """The settings file is being written: open for writing by some process, or changed while
    it was read. What it holds now may be half of what is being written."""


def load_settings_settled(path: Path) -> Settings:
    """`load_settings` for a reader that acts on the settings while users edit them (the runner):
    a file being written is not taken for what it holds half-way (`echo ... > file`, an editor or
    `Path.write_text` truncate it first, and an empty file is all defaults). SettingsInFlux when a
    process has it open for writing (Linux: a read lease cannot be had), or when it changed
    (inode, size, mtime) while it was read, in two reads."""
    import stat

    from pyruns_tui.workspace.fsio import MAX_READ_BYTES, open_regular, read_fd

    for _ in range(2):
        try:
            fd = open_regular(path)
        except FileNotFoundError:
            return Settings()
        except OSError as exc:
            raise _unreadable(path, exc) from None
        try:
            before = os.fstat(fd)
            writer = being_written(fd)
            data = read_fd(fd, MAX_READ_BYTES + 1)
            after = os.stat(path)  # by path: a file replaced by a rename meanwhile has another inode
        except OSError as exc:
            raise _unreadable(path, exc) from None
        finally:
            os.close(fd)
        if writer:
            raise SettingsInFlux(f"{path}: settings are being written (a process has the file open for "
                                 "writing)")
        same = all(getattr(before, f) == getattr(after, f) for f in ("st_ino", "st_size", "st_mtime_ns"))
        if same and stat.S_ISREG(after.st_mode) and len(data) == before.st_size:
            try:
                return _settings_of(path, data.decode("utf-8"))
            except UnicodeDecodeError as exc:
                raise _unreadable(path, exc) from None
    raise SettingsInFlux(f"{path}: settings changed while being read, twice in a row")


def being_written(fd: int) -> bool:
    """Whether some process has the file of `fd` (open for reading) open for writing: a read
    lease is refused then (Linux; elsewhere, on a file of another owner, or on a filesystem
    without leases: False). The lease is let go at once; its break signal, should a writer open
    the file in between, is SIGURG, which is ignored (SIGIO, the default, would kill us)."""
    import errno
    import fcntl
    import signal

    setlease = getattr(fcntl, "F_SETLEASE", None)
    if setlease is None:
        return False
    try:
        fcntl.fcntl(fd, fcntl.F_SETSIG, signal.SIGURG)
        fcntl.fcntl(fd, setlease, fcntl.F_RDLCK)
    except OSError as exc:
        return exc.errno == errno.EAGAIN
    with contextlib.suppress(OSError):
        fcntl.fcntl(fd, setlease, fcntl.F_UNLCK)
    return False


def _unreadable(path: Path, exc: BaseException) -> WorkspaceError:
    from pyruns_tui.workspace.fsio import NotRegularFile

    if isinstance(exc, NotRegularFile):
        return WorkspaceError(str(exc))
    return WorkspaceError(f"{path}: cannot read settings: {getattr(exc, 'strerror', None) or exc}")


def _settings_of(path: Path, text: str) -> Settings:
    cache = path.with_name(SETTINGS_CACHE)
    cached = _read_cache(cache)
    if cached is not None and cached.get("text") == text and "data" in cached:
        return settings_from_dict(cached["data"], where=str(path))
    data = _parse_yaml(path, text)
    settings = settings_from_dict(data, where=str(path))
    _write_cache(cache, text, data)  # valid settings only: a command that fails writes nothing
    return settings


# Importing PyYAML costs ~11 ms, a tenth of a `pyr-tui run`: the settings as last parsed are kept
# next to their file with the text they came from, and used while the file holds that very text
# (compared whole: no timestamp or hash to fool)
SETTINGS_CACHE = ".settings_cache.json"
_CACHE_MAX = 1 << 20


def _write_cache(cache: Path, text: str, data: Any) -> None:
    from pyruns_tui.workspace.fsio import atomic_write, dump_json, json_exact

    if len(text) < _CACHE_MAX // 4 and json_exact(data):  # else (a date, an int key) parsed each time
        with contextlib.suppress(OSError, ValueError):  # read-only, full: parsed next time too
            # 0600: the settings' env may hold secrets, whatever the settings file's mode
            atomic_write(cache, dump_json({"text": text, "data": data}), fsync=False, mode=0o600)


def _read_cache(cache: Path) -> dict[str, Any] | None:
    """The settings cache when it is ours: a regular file we own that no one else may write
    (another user's could pair our text with settings of their choosing); None otherwise."""
    from pyruns_tui.workspace.fsio import read_own_json

    value = read_own_json(cache, _CACHE_MAX)
    return value if type(value) is dict else None


def _parse_yaml(path: Path, text: str) -> Any:
    import yaml

    try:
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml: ~13x faster
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise WorkspaceError(f"{path}{line}: settings are not valid YAML; fix or delete the file") from exc


def save_setting(path: Path, key: str, value: bool | int | float) -> None:
    """Set one scalar setting in the file, keeping every other line (comments included) as it is."""
    if key not in known_keys():
        raise WorkspaceError(f"{path}: '{key}' is not a setting")
    _check(key, value, str(path))
    import re

    from pyruns_tui.workspace.fsio import atomic_write_text, read_text

    shown = ("true" if value else "false") if isinstance(value, bool) else repr(value)
    try:
        text = read_text(path)
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError) as exc:
        raise WorkspaceError(f"{path}: cannot read settings: {exc}") from exc
    line = re.compile(rf"^{re.escape(key)}:[ \t]*(?P<value>[^#\n]*?)(?P<gap>[ \t]*)(?P<comment>#.*)?$", re.MULTILINE)
    found = line.search(text)
    if found is None:
        text += ("" if not text or text.endswith("\n") else "\n") + f"{key}: {shown}\n"
    else:
        comment = found["comment"] or ""  # kept in its column
        gap = " " * max(1, len(found["value"]) + len(found["gap"]) - len(shown)) if comment else ""
        text = text[:found.start()] + f"{key}: {shown}{gap}{comment}" + text[found.end():]
    try:
        atomic_write_text(path, text)
    except OSError as exc:
        raise WorkspaceError(f"{path}: cannot write settings: {exc}") from exc
