"""Running tasks on a Slurm cluster as job arrays (docs/slurm.md).

The runner stays the client: `submit` writes the batch script and the index -> task mapping
into `.runner/slurm/` and calls sbatch once per `run` call; `executor` polls squeue and keeps
the task records true; `launcher` is what the batch script starts on the compute node (the
local supervisor under a pty, with an exit record in the task's run_logs/).
"""
