"""Create and Create & Run in the Generator: the previewed tasks are written (and queued) in a
worker by the engine's `create_batch`, and the screen says what happened."""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.widgets import Button, Label

from pyruns_tui.errors import USER_ERRORS, error_line
from pyruns_tui.tui.screens.generator_spec import GeneratorSpec
from pyruns_tui.tui.widgets.generator.preview import tasks_phrase
from pyruns_tui.tui.widgets.toggles import Checkbox
from pyruns_tui.workspace.batch import BatchResult, TaskKeys, create_batch, describe
from pyruns_tui.workspace.bootstrap import plain_script_problem
from pyruns_tui.workspace.critical_section import CriticalSection


class CreateFlow(GeneratorSpec):
    """Create (ctrl+s) and Create & Run (ctrl+r): nothing is written for an invalid spec, one batch
    at a time, and the screen is ready for the next one whatever happens."""

    def action_create(self) -> None:
        self.start_create(run=False)

    def action_create_and_run(self) -> None:
        self.start_create(run=True)

    @on(Button.Pressed, "#gen-create")
    def _create_pressed(self) -> None:
        self.start_create(run=False)

    @on(Button.Pressed, "#gen-run")
    def _run_pressed(self) -> None:
        self.start_create(run=True)

    def start_create(self, *, run: bool) -> None:
        """Create the previewed tasks in a worker; nothing is written for an invalid spec."""
        if self.creating:
            self.notify("still creating the previous batch", severity="warning")
            return
        data = self.update_preview()
        if not data.valid:
            self.notify("\n".join(data.problems), title="Nothing created: the spec is invalid", severity="error")
            return
        spec, _ = self.current_spec()
        self.creating = True
        self.query_one("#gen-create", Button).disabled = True
        self.query_one("#gen-run", Button).disabled = True
        # no count: every config exists already (the preview's count after *skip*); the engine
        # creates nothing and says so, as `gen`: the label claims no `creating 0 tasks` meanwhile
        doing = f"creating {tasks_phrase(data)}…" if data.count else "checking which configs exist…"
        self.query_one("#gen-status", Label).update(doing)
        skip = self.query_one("#gen-skip", Checkbox).value
        # ended by the worker: a hang-up from now on waits for the batch (app._hung_up)
        section = CriticalSection(data.count or 0, signals=False).begin()
        self._create(spec, self.prefix, skip, run, TaskKeys(tuple(self.after)).merged(self.yaml_keys), section)

    @work(thread=True, exclusive=True, group="generator-create")
    def _create(self, spec: dict[str, Any], prefix: str, skip: bool, run: bool, keys: TaskKeys,
                section: CriticalSection) -> None:
        """Create (and queue) the batch; whatever happens the screen is given back (`_create_done`).
        An exception other than a user error (an upgrade failure, a bug) goes on to the app, which
        says it, after that."""
        result: BatchResult | None = None
        problem: str | None = None
        try:
            try:
                result = create_batch(self.pyruns.state.store, spec, prefix=prefix, skip_existing=skip,
                                      run=run, max_tasks=self.pyruns.state.settings.max_tasks, keys=keys)
            finally:
                section.end()
        except USER_ERRORS as exc:
            problem = error_line(exc)
        finally:
            if self.app.is_running:
                self.app.call_from_thread(self._create_done, result, problem, bool(spec))

    def _create_done(self, result: BatchResult | None, problem: str | None, keyed: bool = False) -> None:
        """Say what Create did (`problem`: why nothing was created; neither: it failed unexpectedly,
        as the app says; `keyed`: the spec set some key) and make the screen ready for the next
        Create, whatever fails here."""
        self.last_result = result
        try:
            if result is not None:
                self.notify(describe(result), title="Generator")
                info = self.pyruns.state.script_info
                if info.kind == "plain" and result.names and keyed:
                    # YAML mode's keys reach no such script: `pyr-tui gen` warns the same (cli/commands/gen.py)
                    self.notify(plain_script_problem(info.script), severity="warning", timeout=12)
                if result.queue_problem:
                    self.notify(result.queue_problem, severity="warning", timeout=8)
            elif problem is not None:
                self.notify(problem, title="Nothing created", severity="error")
            if problem is None:
                self.pyruns.refresh_tasks()  # (a failure may come after the tasks were written)
            if result is not None and result.outcome is not None and result.outcome.changed:
                self.say_slurm_answer(result.outcome)  # on Slurm: the job array, or why sbatch refused
        finally:
            self.creating = False
            self.update_preview()
