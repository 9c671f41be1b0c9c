"""Why a task waits in Slurm's queue, in plain words: what squeue's pending reason (a task's
`Slurm: <Reason>`) means and, where only the user can change it, what to do. The one place
every face reads it from: `show`, `ls` (a note for the tasks that can never start as asked),
`log`, `runner status`, the Manager's detail pane and the Monitor's log pane."""

from __future__ import annotations

PREFIX = "Slurm: "

_AGAIN = "stop it, {}, and run it again"
_NORMAL = {
    "Resources": "waiting for free CPUs, memory or GPUs (normal: it starts when they free up)",
    "Priority": "jobs with a higher priority go first (normal: it starts in its turn)",
    "JobArrayTaskLimit": ("its array runs as many tasks at once as allowed (run -j N, slurm.array_parallelism); "
                          "it starts when one of them ends"),
    "BeginTime": "waiting for the start time its --begin asks for",
    "Dependency": "waiting for the jobs its --dependency names to end",
    "Reservation": "waiting for its reservation to start",
    "Licenses": "waiting for a license it asks for",
    "submitted": "sbatch took it; the runner's next poll says how it waits",
    "pending": "waiting in Slurm's queue",
}
# reasons that do not pass on their own: the job never starts as asked
_NEVER = {
    "PartitionConfig": ("it asks for more than its partition allows (CPUs, memory, GPUs or nodes), so it never "
                        "starts: " + _AGAIN.format("ask for less (slurm.cpus_per_task, mem, gpus_per_task in the "
                                                   "settings, or --sbatch-arg) or another partition (`sinfo -N -o "
                                                   "'%P %c %m %G'` shows what each node has)")),
    "PartitionTimeLimit": ("its time limit is over its partition's, so it never starts: "
                           + _AGAIN.format("ask for less (slurm.time, or run --time; `sinfo -o '%P %l'` shows "
                                           "each partition's limit)")),
    "PartitionNodeLimit": ("it asks for more nodes than its partition allows, so it never starts: "
                           + _AGAIN.format("ask for fewer (slurm.extra_args, --sbatch-arg) or another partition")),
    "InvalidAccount": ("its account is not one Slurm lets you use, so it never starts: "
                       + _AGAIN.format("set slurm.account to one of yours (`sacctmgr show assoc user=$USER "
                                       "format=account`)")),
    "InvalidQOS": ("its QOS is not one its account may use, so it never starts: "
                   + _AGAIN.format("set slurm.qos to one it may (`sacctmgr show assoc user=$USER format=account,qos`)")),
    "BadConstraints": ("no node has the features its constraint asks for, so it never starts: "
                       + _AGAIN.format("fix slurm.constraint (`sinfo -o '%N %f'` lists each node's features)")),
    "DependencyNeverSatisfied": "a job its --dependency waits for did not end as asked, so it never starts: stop it",
}
_BLOCKED = {
    "ReqNodeNotAvail": ("a node it needs is down, drained or reserved (`sinfo -R` says why): it starts once the "
                        "node is back, or stop it and run it on another partition (--partition)"),
    "PartitionDown": ("its partition is down: it starts once the admins bring it up, or stop it and run it on "
                      "another partition (--partition; `sinfo -s` lists them)"),
    "PartitionInactive": ("its partition is inactive: it starts once the admins bring it up, or stop it and run "
                          "it on another partition (--partition; `sinfo -s` lists them)"),
    "JobHeldUser": "held (scontrol hold): `scontrol release` with its job id lets it start",
    "JobHeldAdmin": "held by an administrator: it starts once they release it",
    "launch failed requeued held": ("Slurm could not start it on its node and held it: `scontrol release` with "
                                    "its job id tries again"),
}


def _key(reason: str) -> str:
    """squeue's reason code: `ReqNodeNotAvail, UnavailableNodes:n1` -> `ReqNodeNotAvail`."""
    if reason.startswith("Nodes_required_for_job_are_DOWN"):  # newer Slurm's words for the same
        return "ReqNodeNotAvail"
    return reason.partition(",")[0].strip()


def _limit(code: str) -> tuple[str, bool] | None:
    """A QOS or association limit (`QOSMaxCpuPerUserLimit`, `AssocGrpGRES`...): its words, and
    whether it can never pass (a limit on one job)."""
    if not code.startswith(("QOS", "Assoc")) or code in _NEVER:
        return None
    if "PerJob" in code or "MaxWall" in code or "PerNode" in code:
        return (f"it asks for more than a limit of its QOS or account allows one job ({code}), so it never "
                "starts: " + _AGAIN.format("ask for less or another QOS (slurm.qos; `sacctmgr show qos` lists "
                                           "the limits)"), True)
    return (f"a limit of your QOS or account is reached ({code}): it starts when your other jobs free it up; "
            "if this job alone asks for more than the limit it never does: stop it, ask for less (`sacctmgr "
            "show qos` lists the limits), and run it again", False)


def pending_help(reason: str | None) -> str | None:
    """What a queued task's `Slurm: <Reason>` means and, where the user must act, what to do;
    None for any other reason, or a Slurm reason without words here."""
    if not reason or not reason.startswith(PREFIX):
        return None
    code = _key(reason.removeprefix(PREFIX))
    found = _NORMAL.get(code) or _NEVER.get(code) or _BLOCKED.get(code)
    if found is None and (limit := _limit(code)) is not None:
        found = limit[0]
    return found


def never_starts(reason: str | None) -> bool:
    """Whether a queued task's `Slurm: <Reason>` says its job can never start as asked (it waits
    for ever unless the user changes what it asks for)."""
    if not reason or not reason.startswith(PREFIX):
        return False
    code = _key(reason.removeprefix(PREFIX))
    limit = _limit(code)
    return code in _NEVER or (limit is not None and limit[1])
