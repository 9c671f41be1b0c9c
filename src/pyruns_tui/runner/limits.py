"""How many tasks run at once, per executor: the one limit the CLI and the TUI show.

Local tasks: the `run -j N` of the runner session (`control.json`), else `max_concurrency`.
Slurm tasks: each job array runs `slurm.array_parallelism` indices at once (its `%N`), else
`max_concurrency`; `run -j N` sets the %N of that call's arrays only (runner/slurm/submit.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from pyruns_tui.runner.paths import concurrency_override

TYPE_CHECKING = False  # not `from typing`: this is on the command path
if TYPE_CHECKING:
    from pyruns_tui.workspace.layout import Layout
    from pyruns_tui.workspace.model import Task
    from pyruns_tui.workspace.settings import Settings


@dataclass(frozen=True)
class Limits:
    """The limits of a workspace, and which executor new tasks go to."""

    executor: str  # local | slurm: where `run` sends tasks (settings `executor`)
    local: int  # tasks this machine runs at once
    local_by_run_j: bool  # `local` was set by `run -j N`
    slurm_array: int  # indices of one Slurm array running at once (its %N)

    @classmethod
    def of(cls, layout: Layout, settings: Settings) -> Limits:
        override = concurrency_override(layout)
        return cls(settings.executor, override or settings.max_concurrency, override is not None,
                   settings.slurm.array_parallelism or settings.max_concurrency)

    @property
    def applies(self) -> int:
        """The limit of the executor in use."""
        return self.slurm_array if self.executor == "slurm" else self.local

    def text(self, *, other_in_use: bool = False) -> str:
        """`4 at once`, or on Slurm `8 at once per Slurm array ...`; with `other_in_use` (tasks of
        the other executor are queued or running) the other limit too."""
        local = f"{self.local} at once" + (" (set by run -j)" if self.local_by_run_j else "")
        slurm = f"{self.slurm_array} at once per Slurm array (run -j N sets it for that call)"
        if self.executor == "slurm":
            return slurm + (f"; local tasks {local}" if other_in_use else "")
        return local + (f"; Slurm tasks {slurm}" if other_in_use else "")

    def other_in_use(self, tasks: list[Task]) -> bool:
        """Whether some of `tasks` queued or running go to the executor not in use."""
        from pyruns_tui.runner.slurm.records import is_slurm_run
        from pyruns_tui.runner.slurm.submit import Request

        on_slurm = self.executor == "slurm"
        return any(task.status.is_active and (is_slurm_run(task) or Request.of(task) is not None) != on_slurm
                   for task in tasks)

    def to_dict(self) -> dict[str, object]:
        return {"executor": self.executor, "applies": self.applies, "local": self.local,
                "local_set_by_run_j": self.local_by_run_j, "slurm_array": self.slurm_array}
