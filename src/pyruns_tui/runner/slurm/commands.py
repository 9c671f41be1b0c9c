"""The Slurm commands the runner uses (sbatch, squeue, scancel), with one-line errors."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from pyruns_tui.errors import RunnerError

TIMEOUT_S = 20.0  # the runner waits for these; a slurmctld slower than this counts as down
# %i: A_i with -r; %V: submit time (job ids restart on a fresh cluster); %j: our job name
SQUEUE_FORMAT = "%i|%T|%r|%N|%V|%j"
SQUEUE_ARGV = ("squeue", "--me", "-r", "-t", "all", "-h", "-o", SQUEUE_FORMAT)


@dataclass(frozen=True)
class JobRow:
    """One line of squeue: an array index (`A_i`) or a plain job."""

    job_id: str
    state: str
    reason: str
    node: str
    submit_time: str
    name: str

    @property
    def array_id(self) -> str:
        return self.job_id.split("_", 1)[0]


class Failed(RunnerError):
    """A Slurm command that ran and said no: `message` is its own words, without its prefixes."""

    def __init__(self, tool: str, message: str) -> None:
        super().__init__(f"{tool} failed: {message}")
        self.message = message


# sbatch's refusals, by words of its message: the options they concern (as sbatch got them, from
# the settings' slurm: or the run's command line) and where to look for what the cluster has
REFUSALS = (
    ("invalid partition", ("--partition", "-p"), "`sinfo -s` lists the partitions"),
    ("node configuration is not available",
     ("--partition", "-p", "--mem", "--cpus-per-task", "-c", "--gres", "--gpus", "-G", "--constraint", "-C"),
     "no node of the partition has that much: `sinfo -N -o '%P %c %m %G %f'` shows what each has"),
    ("generic resource", ("--gres", "--gpus", "-G"),
     "`sinfo -o '%P %G'` lists each partition's; on a CPU partition set slurm.gpus_per_task: 0"),
    ("--time", ("--time", "-t"), "e.g. 30 (minutes), 4:00:00 or 1-00:00:00"),
    ("time limit", ("--time", "-t", "--partition", "-p"), "`sinfo -o '%P %l'` shows each partition's limit"),
    ("feature", ("--constraint", "-C"), "`sinfo -o '%P %f'` lists the features"),
    ("account", ("--account", "-A", "--partition", "-p"), "`sacctmgr show assoc user=$USER` lists yours"),
    ("qos", ("--qos", "-q"), "`sacctmgr show assoc user=$USER format=qos` lists yours"),
    ("invalid --mem", ("--mem", "--mem-per-cpu", "--mem-per-gpu"), "e.g. 16G, 4000M or 4000 (MB)"),
    ("memory", ("--mem",), "`sinfo -o '%P %m'` shows the nodes' memory (MB)"),
)
# what sbatch says when it cannot reach slurmctld (squeue and scancel say the same)
UNREACHABLE = "unable to contact slurm controller"
UNREACHABLE_HINT = "is slurmctld up? `scontrol ping` says; SLURM_CONF names the cluster's slurm.conf"


def _message(tool: str, stderr: str, code: int) -> str:
    # (`Try "sbatch --help" for more information.` follows the line that says what was wrong)
    lines = [line.strip() for line in stderr.splitlines() if line.strip() and not line.strip().startswith("Try ")]
    errors = [line for line in lines if "error" in line.lower()]
    line = (errors or lines or [f"exited with code {code}"])[-1]
    # `sbatch: error: Batch job submission failed: Invalid partition name specified`: the last part says it
    for prefix in (f"{tool}: error:", f"{tool}:", "error:", "Batch job submission failed:"):
        if line.startswith(prefix):
            line = line[len(prefix):].strip()
    return line[:300]


def _given(options: Sequence[str], flags: Sequence[str]) -> list[str]:
    """The items of `options` that set one of `flags` (`--mem=4G`, `-p debug`, `-pdebug`)."""
    found = []
    for position, item in enumerate(options):
        for flag in flags:
            if item == flag and position + 1 < len(options):
                found.append(f"{item} {options[position + 1]}")
            elif item.startswith(flag + "=") or (len(flag) == 2 and item.startswith(flag) and len(item) > 2):
                found.append(item)
            else:
                continue
            break
    return found


def _swallowed(message: str, options: Sequence[str]) -> str | None:
    """Why sbatch did not find its batch script: the last option, given without its value, took
    the script's path as one (`Batch script is empty!`, sbatch then read standard input), or a
    word that is no option was taken for the script (`Unable to open file WORD`)."""
    low = message.lower()
    fix = ("give an option and its value as one argument, e.g. --sbatch-arg=--partition=debug, "
           "or ['--partition=debug'] in slurm.extra_args")
    if low.startswith("batch script is empty") and options:
        return f"{message}: {options[-1]} took the batch script as its value ({fix})"
    opened = "unable to open file "
    if low.startswith(opened) and (word := message[len(opened):].strip()) in options:
        return f"{message}: {word!r} is no sbatch option, so sbatch took it for the batch script ({fix})"
    return None


def refusal(message: str, options: Sequence[str]) -> str:
    """sbatch's refusal in one line: what it said, the options it is about, where to look."""
    low = message.lower()
    swallowed = _swallowed(message, options)
    if swallowed is not None:
        return swallowed
    for words, flags, hint in REFUSALS:
        if words in low:
            given = _given(options, flags)
            return f"{message}: {' '.join(given)} ({hint})" if given else f"{message} ({hint})"
    return message


def run(argv: Sequence[str], timeout_s: float = TIMEOUT_S) -> str:
    """stdout of a Slurm command; RunnerError with its own message when it fails."""
    tool = argv[0]
    conf = os.environ.get("SLURM_CONF")
    if conf is not None and not os.path.isfile(conf):
        # Slurm's own tools retry a missing configuration for 60 s before saying so
        raise RunnerError(f"SLURM_CONF={conf} does not exist: point it at the cluster's slurm.conf, or unset it")
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout_s, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise RunnerError(
            f"Slurm is not installed here: {tool} not found on PATH (install the Slurm client, or set executor: local)"
        ) from None
    except subprocess.TimeoutExpired:
        raise RunnerError(f"{tool} did not answer within {timeout_s:g} s (is slurmctld up? check SLURM_CONF)") from None
    except OSError as exc:
        raise RunnerError(f"cannot run {tool}: {exc.strerror}") from None
    if done.returncode != 0:
        message = _message(tool, done.stderr, done.returncode)
        if UNREACHABLE in message.lower():
            message = f"{message} ({UNREACHABLE_HINT})"
        raise Failed(tool, message)
    return done.stdout


def sbatch_waiting(script: str) -> bool:
    """Whether a process of this user is running sbatch on `script` (found by its command line in
    /proc): an sbatch left behind by a runner killed while it waited for slurmctld, which may still
    submit the array. False where /proc cannot tell."""
    needle, uid = os.fsencode(script), os.getuid()
    try:
        entries = os.scandir("/proc")
    except OSError:
        return False
    with entries:
        for entry in entries:
            if not entry.name.isdigit():
                continue
            try:
                if entry.stat(follow_symlinks=False).st_uid != uid:
                    continue
                with open(f"/proc/{entry.name}/cmdline", "rb") as fh:
                    args = fh.read().split(b"\0")
            except OSError:  # (gone meanwhile)
                continue
            # sbatch itself, or a wrapper script named sbatch run by its shell
            if needle in args and any(os.path.basename(arg) == b"sbatch" for arg in args[:2]):
                return True
    return False


def sbatch(options: Sequence[str], script: str) -> str:
    """Submit `script`; the job id. Options are argv items, never shell syntax."""
    try:
        out = run(["sbatch", "--parsable", *options, script]).strip()
    except Failed as exc:
        raise RunnerError(refusal(exc.message, options)) from None
    job_id = out.splitlines()[-1].split(";", 1)[0].strip() if out else ""
    if not job_id.isdigit():
        raise RunnerError(f"sbatch answered {out[:200]!r} instead of a job id")
    return job_id


def parse_squeue(text: str) -> list[JobRow]:
    rows = []
    for line in text.splitlines():
        parts = line.split("|", 5)
        if len(parts) == 6 and parts[0]:
            rows.append(JobRow(*[p.strip() for p in parts]))
    return rows


def squeue() -> list[JobRow]:
    """Every job of this user that slurmctld still knows (finished ones for MinJobAge s)."""
    return parse_squeue(run(SQUEUE_ARGV))


def parse_time_left(text: str) -> float | None:
    """Seconds in squeue's `%L` (`59`, `4:05`, `1:02:03`, `2-01:02:03`); None for `UNLIMITED`,
    `NOT_SET`, `INVALID` or anything else."""
    days, dash, clock = text.strip().rpartition("-")
    parts = clock.split(":")
    if (dash and not days.isdigit()) or not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        return None
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + int(part)
    return float(seconds + int(days or 0) * 86400)


def time_left(job_id: str) -> float | None:
    """Seconds until the time limit of the running job `job_id` (None: it has none); RunnerError
    when squeue cannot say."""
    return parse_time_left(run(["squeue", "-h", "-j", job_id, "-o", "%L"]))


def scancel(job_ids: Sequence[str], *, batch_signal: str | None = None) -> None:
    """Cancel jobs or array indices; with `batch_signal`, only send it to their batch shells."""
    if not job_ids:
        return
    options = ["--batch", f"--signal={batch_signal}"] if batch_signal else []
    run(["scancel", *options, *job_ids])
