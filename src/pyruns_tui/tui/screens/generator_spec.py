"""GeneratorSpec: the spec the Generator edits (its form or its YAML text), read back with its
problems, and the live preview of the tasks it makes."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.timer import Timer
from textual.widgets import Button, Input, Label, TextArea

from pyruns_tui.errors import USER_ERRORS, GridError, ParamsError, PyrunsError
from pyruns_tui.params.form_checks import spec_problems
from pyruns_tui.params.form_model import build_form, keep_string_texts
from pyruns_tui.params.spec_text import parse_spec, spec_to_text
from pyruns_tui.params.yaml_comments import eol_comments, typed_into_comments
from pyruns_tui.tui.screens.base import PyrunsScreen
from pyruns_tui.tui.widgets.generator.fields import FieldRow
from pyruns_tui.tui.widgets.generator.param_form import ParamForm
from pyruns_tui.tui.widgets.generator.preview import PreviewData, PreviewPanel, compute_preview, tasks_phrase
from pyruns_tui.tui.widgets.generator.shell_form import ShellForm
from pyruns_tui.tui.widgets.generator.yaml_editor import YamlEditor
from pyruns_tui.tui.widgets.toggles import Checkbox
from pyruns_tui.workspace.batch import (
    BatchResult,
    TaskKeys,
    exclusive_check,
    existing_config_keys,
    grid_conflicts,
    plan_new,
    split_task_keys,
)
from pyruns_tui.workspace.bootstrap import params_of
from pyruns_tui.workspace.file_defaults import RecordedConfig, recorded_config
from pyruns_tui.workspace.fsio import read_text
from pyruns_tui.workspace.generate import merge_defaults

if TYPE_CHECKING:
    from pyruns_tui.params.exclusive_check import ExclusiveCheck
    from pyruns_tui.params.grid import GridSpec
    from pyruns_tui.params.param_spec import ScriptParams

PREVIEW_DEBOUNCE_S = 0.05


class GeneratorSpec(PyrunsScreen):
    """The Generator's state (the workspace's defaults and parameters, the spec's extra task keys)
    and what it reads of the screen: the spec being edited, its problems (the checks `pyr-tui gen`
    applies), and the preview of the tasks it makes, recomputed once typing pauses.
    The Generator is GeneratorScreen (screens/generator.py), which adds its keys and layout.
    """

    def __init__(self) -> None:
        super().__init__()
        self.yaml_mode = False
        self.creating = False
        self.last_result: BatchResult | None = None
        self._preview_timer: Timer | None = None
        self._pending_task: str | None = None
        self._ready = False
        self.after: list[str] = []  # the tasks every created task waits for (ctrl+b)
        self.yaml_keys = TaskKeys()  # the YAML spec's task keys (`after:`, `gpu_mem_mb:`)
        # (change token, existing configs' keys, how a planned config is recorded: batch.recorded_config)
        self._existing: tuple[object, frozenset[Hashable], RecordedConfig | None] | None = None

    # The workspace it starts from (read by compose_body)

    def _load_workspace(self) -> None:
        layout = self.pyruns.layout
        self.shell = layout.is_shell
        try:
            self.base_text = read_text(layout.config_default)
        except (OSError, UnicodeDecodeError):
            self.base_text = ""
        self.yaml_base = self.base_text
        self.help_comments = eol_comments(self.base_text)  # what YAML mode's comments may hold
        self.start_problem: str | None = None
        try:
            self.defaults = parse_spec(self.base_text, where=layout.config_default.name)
        except ParamsError as exc:
            self.defaults, self.start_problem = {}, str(exc)
        info = self.pyruns.state.script_info
        self.params: list[dict[str, Any]] = list(info.params)
        self.script: ScriptParams | None = None  # the launch's checks of each field (gen's)
        self.exclusive: ExclusiveCheck | None = None  # Create's check of exclusive groups, for the preview
        if info.kind == "argparse":
            with contextlib.suppress(PyrunsError):  # unreadable: Create says it, as `gen` does
                self.script = params_of(layout, info)
                self.exclusive = exclusive_check(layout)
        self.pinned: list[str] = list(info.pinned_params)

    # The spec being edited

    @property
    def form(self) -> ParamForm:
        return self.query_one("#gen-form", ParamForm)

    @property
    def shell_form(self) -> ShellForm:
        return self.query_one("#gen-form", ShellForm)

    @property
    def yaml_editor(self) -> YamlEditor:
        return self.query_one("#gen-yaml", YamlEditor)

    @property
    def preview(self) -> PreviewPanel:
        return self.query_one("#gen-preview", PreviewPanel)

    @property
    def prefix(self) -> str:
        """The name prefix as typed: `exp ` is refused as `gen -n 'exp '` is (names.name_problem), not made `exp`."""
        return self.query_one("#gen-prefix", Input).value

    def current_spec(self) -> tuple[dict[str, Any], list[str]]:
        """The spec being edited (form or YAML) and its problems as `key: reason` lines."""
        self.yaml_keys = TaskKeys()
        if self.yaml_mode:
            text = self.yaml_editor.text
            try:
                spec = parse_spec(text)
                spec, self.yaml_keys = split_task_keys(self.pyruns.state.store, spec)  # `gen`'s rule
            except (ParamsError, GridError) as exc:
                return {}, [str(exc)]
            typed = [f"{key}: {problem}" for key, problem in typed_into_comments(self.help_comments, text)]
            if self.shell:
                return spec, typed
            merged = merge_defaults(spec, self.defaults, strict=False)  # whole, as `gen` checks it
            model = build_form(merged, self.params, self.defaults, self.script)
            problems = typed + [f"{key}: {problem}" for key, problem in spec_problems(merged, model)]
            spec = keep_string_texts(spec, model)  # `name: 007 | 7` is two texts, as `gen` reads it
        elif self.shell:
            try:
                return self.shell_form.spec(), []
            except ParamsError as exc:
                return {}, [str(exc)]
        else:
            spec = keep_string_texts(self.form.spec(), self.form.model)
            problems = [f"{key}: {problem}" for key, problem in self.form.problems()]
        return spec, problems + self.undeclared(spec)

    def undeclared(self, spec: Mapping[str, Any]) -> list[str]:
        """Keys an argparse script does not declare, refused as `pyr-tui gen` refuses them."""
        try:
            merge_defaults(spec, self.defaults, strict=self.pyruns.state.script_info.kind == "argparse")
        except GridError as exc:
            return [str(exc)]
        return []

    def form_text(self) -> str:
        """The form's spec as YAML text (comments of the last YAML text kept)."""
        if self.shell:
            return self.shell_form.text()
        return spec_to_text(self.form.spec(), self.yaml_base)

    async def show_spec(self, spec: Mapping[str, Any]) -> None:
        """Show a spec in the form: values in place when the fields match, else a new form."""
        form = self.form
        if form.fits(spec):
            form.set_spec(spec)
        else:
            await form.rebuild(build_form(spec, self.params, self.defaults, self.script), spec)
        self.schedule_preview()

    # Preview

    def schedule_preview(self) -> None:
        """Recompute the preview once typing pauses (debounced)."""
        if self._preview_timer is not None:
            self._preview_timer.stop()
        self._preview_timer = self.set_timer(PREVIEW_DEBOUNCE_S, self.update_preview)

    def update_preview(self) -> PreviewData:
        """Count the tasks now (expanding only the first rows) and show them, or the problems."""
        self._preview_timer = None
        spec, problems = self.current_spec()
        max_tasks = self.pyruns.state.settings.max_tasks
        data = compute_preview(spec, shell=self.shell, max_tasks=max_tasks, prefix=self.prefix,
                               problems=problems, conflict=self._conflict(spec), skip=self._skip(spec, max_tasks))
        self.preview.show(data)
        can_create = data.valid and bool(data.count) and not self.creating
        self.query_one("#gen-create", Button).disabled = not can_create
        self.query_one("#gen-run", Button).disabled = not can_create
        if not self.creating:
            self._set_status(data)
        return data

    def _conflict(self, spec: Mapping[str, Any]) -> Callable[[GridSpec], Sequence[str]] | None:
        """What the preview asks of the grid: Create's exclusive-group check
        (workspace.batch.grid_conflicts: a line per group it refuses), on the configs laid over the defaults the spec leaves
        out (YAML mode), as Create lays them; None for a script without such a group."""
        check = self.exclusive
        if check is None:
            return None
        left_out = {key: value for key, value in self.defaults.items() if key not in spec}
        return lambda grid: grid_conflicts(check, grid, left_out)

    def _skip(self, spec: Mapping[str, Any], max_tasks: int) -> Callable[[], tuple[int, Sequence[dict[str, Any]]]] | None:
        """With *skip configs that already exist* on, what the preview asks: how many configs Create
        would skip and the ones it would make (workspace.batch.plan_new, Create's own skip). The
        existing configs are read once per change of the workspace's tasks (the store's change
        token), not per keystroke."""
        if not self.query_one("#gen-skip", Checkbox).value:
            return None
        store = self.pyruns.state.store
        token = store.change_token()
        if self._existing is None or self._existing[0] != token:
            try:  # each config as its task records it (a YAML file of defaults; `layers: 64` as [64]), as Create compares
                recorded = None if self.shell else recorded_config(store.layout)
                lists = None if recorded is None else recorded.lists
                self._existing = (token, existing_config_keys(store, lists), recorded)
            except USER_ERRORS:  # the workspace moved away: Create will say so
                return None
        _, existing, recorded = self._existing

        def skip() -> tuple[int, Sequence[dict[str, Any]]]:
            return plan_new(spec, self.defaults, existing, shell=self.shell, max_tasks=max_tasks, recorded=recorded)

        return skip

    def _set_status(self, data: PreviewData) -> None:
        status = self.query_one("#gen-status", Label)
        if not data.valid:
            status.update(Text("✖ invalid", style="bold red"), layout=False)
        else:
            skipped = f" ({data.skipped} identical skipped)" if data.skipped else ""
            status.update(f"→ {tasks_phrase(data)}{skipped}", layout=False)

    @on(FieldRow.Changed)
    @on(ShellForm.Changed)
    @on(Checkbox.Changed, "#gen-skip")
    @on(Input.Changed, "#gen-prefix")
    def _edited(self) -> None:
        if self._ready:
            self.schedule_preview()

    @on(TextArea.Changed, "#gen-yaml")
    def _yaml_edited(self) -> None:
        if self._ready and self.yaml_mode:
            self.schedule_preview()
