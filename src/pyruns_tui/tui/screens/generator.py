"""GeneratorScreen: the parameter form (or YAML text) with a live preview; creates tasks."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.dom import DOMNode
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import (
    Button,
    ContentSwitcher,
    Input,
    Label,
    Static,
    TextArea,
)

from pyruns_tui.errors import USER_ERRORS, GridError, ParamsError, PyrunsError, error_line
from pyruns_tui.params.form_model import build_form, literal_spec, spec_problems
from pyruns_tui.params.spec_text import parse_spec, spec_to_text
from pyruns_tui.params.yaml_comments import eol_comments, typed_into_comments
from pyruns_tui.tui.screens.base import PyrunsScreen
from pyruns_tui.tui.widgets.generator.fields import FieldRow
from pyruns_tui.tui.widgets.generator.name_prefix import PrefixInput
from pyruns_tui.tui.widgets.generator.param_form import ParamForm, empty_form_hint, show_focus_within
from pyruns_tui.tui.widgets.generator.preview import (
    PreviewData,
    PreviewPanel,
    compute_preview,
    tasks_phrase,
)
from pyruns_tui.tui.widgets.generator.shell_form import ShellForm
from pyruns_tui.tui.widgets.generator.task_picker import (
    PickerItem,
    TaskPicker,
    picker_items,
)
from pyruns_tui.tui.widgets.generator.yaml_editor import YamlEditor
from pyruns_tui.tui.widgets.toggles import Checkbox
from pyruns_tui.workspace import edits
from pyruns_tui.workspace.batch import (
    BatchResult,
    TaskKeys,
    create_batch,
    describe,
    exclusive_check,
    existing_config_keys,
    grid_conflicts,
    plan_new,
    split_task_keys,
)
from pyruns_tui.workspace.bootstrap import params_of, plain_script_problem, read_script_info
from pyruns_tui.workspace.file_defaults import RecordedConfig, recorded_config
from pyruns_tui.workspace.fsio import read_text
from pyruns_tui.workspace.generate import merge_defaults

if TYPE_CHECKING:
    from pyruns_tui.params.argv import ExclusiveCheck
    from pyruns_tui.params.grid import GridSpec
    from pyruns_tui.params.param_spec import ScriptParams

PREVIEW_DEBOUNCE_S = 0.05
WIDE_COLUMNS = 100  # from this width on the preview sits beside the form, else below it
TIGHT_COLUMNS = 60  # below this width the buttons and the checkbox get short labels: the status stays readable
LABELS = {  # widget id -> (label, short label)
    "gen-create": ("Create ^s", "Create"),
    "gen-run": ("Create & Run ^r", "Create+Run"),
    "gen-skip": ("skip configs that already exist", "skip existing"),
}


def extraction_notice(warnings: list[str], shown: int = 3, project: str = "") -> str:
    """What parameter extraction did not understand (or read elsewhere), at the top of the form: one
    line each (cut at the screen's edge, so that the `shown` ones and the count of the others fit
    its 4 lines at 80 columns), files named from the `project` folder (`train.py:99: ...`)."""
    prefix = project.rstrip("/") + "/" if project else ""
    lines = [f"⚠ {w[len(prefix):] if prefix and w.startswith(prefix) else w}" for w in warnings[:shown]]
    if len(warnings) > shown:
        lines.append(f"  … {len(warnings) - shown} more: `pyr-tui init SCRIPT.py` prints them all")
    return "\n".join(lines)


class GeneratorScreen(PyrunsScreen):
    """The Generator (SPEC 5): a typed form built from config_default.yaml, a YAML mode, a live
    preview of the expanded tasks, and Create / Create & Run. In the shell workspace the form is
    a command template plus a parameter block.

    Bindings: see BINDINGS (all of them are listed by `?`). Ctrl keys work while typing.
    """

    MODE = "generator"
    AUTO_FOCUS = ""  # nothing focused at first: 1/2/3 and ? work at once (SPEC: screens switch with 1/2/3); Tab enters the form
    BINDINGS = [
        Binding("ctrl+s", "create", "Create", tooltip="Create the previewed tasks", priority=True),
        Binding("ctrl+r", "create_and_run", "Create+Run", tooltip="Create and queue them", priority=True),
        Binding("ctrl+y", "toggle_yaml", "Form/YAML", tooltip="Switch between the form and YAML text", priority=True),
        Binding("ctrl+o", "load_task", "Load", tooltip="Start from an existing task's config"),
        Binding("ctrl+b", "pick_after", "After: tasks the created ones wait for", show=False),
        Binding("ctrl+t", "pin_field", "Pin", tooltip="Pin the focused field (a Manager column)"),
        Binding("ctrl+g", "grid_field", "Choice/switch field as grid text", show=False),
        Binding("ctrl+n", "focus_prefix", "Edit the name prefix", show=False),
        Binding("ctrl+l", "toggle_preview", "Show/hide the preview", show=False),
        Binding("escape", "leave_field", "Leave the field (then 1/2/3 switch screens)", show=False),
    ]
    DEFAULT_CSS = """
    GeneratorScreen #gen-body { height: 1fr; }
    GeneratorScreen #gen-main { width: 3fr; height: 1fr; }
    GeneratorScreen #gen-preview { width: 2fr; min-width: 36; }
    GeneratorScreen.-narrow #gen-body { layout: vertical; }
    GeneratorScreen.-narrow #gen-main { width: 1fr; }
    GeneratorScreen.-narrow #gen-preview { width: 1fr; height: 8; min-width: 0;
        border-left: none; border-top: hkey $primary; }
    GeneratorScreen.-narrow #gen-head { margin: 0; }
    GeneratorScreen.-no-preview #gen-preview { display: none; }
    GeneratorScreen #gen-head { height: 1; margin: 0 0 1 0; }
    GeneratorScreen #gen-warnings { height: auto; max-height: 4; color: $warning; margin: 0 0 1 0;
        text-wrap: nowrap; text-overflow: ellipsis; }
    GeneratorScreen #gen-head Label { width: auto; color: $text-muted; }
    GeneratorScreen #gen-prefix { width: 1fr; margin: 0 1 0 1; }
    GeneratorScreen #gen-skip { width: auto; }
    GeneratorScreen #gen-editors { height: 1fr; }
    GeneratorScreen #gen-actions { height: 1; }
    GeneratorScreen #gen-actions Button { margin: 0 1 0 0; }
    GeneratorScreen #gen-actions Button:disabled { background: $panel; color: $text-muted; text-style: none; }
    GeneratorScreen #gen-actions Button:ansi { border: none !important; text-style: bold reverse; }
    GeneratorScreen #gen-actions Button:ansi:disabled { border: none !important; text-style: dim; }
    GeneratorScreen #gen-status { width: 1fr; color: $text-muted; }
    GeneratorScreen.-tight #gen-actions Button { min-width: 0; }
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

    # Building

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

    def compose_body(self) -> ComposeResult:
        self._load_workspace()
        with Horizontal(id="gen-body"):
            with Vertical(id="gen-main"):
                warnings = self.pyruns.state.script_info.warnings
                if warnings and not self.shell:
                    project = str(self.pyruns.layout.project_dir)
                    yield Static(extraction_notice(warnings, project=project), id="gen-warnings", markup=False)
                with Horizontal(id="gen-head"):
                    yield Label("name")
                    yield PrefixInput(id="gen-prefix")
                    yield Checkbox("skip configs that already exist", id="gen-skip", compact=True)
                    yield Label("", id="gen-after", markup=False)
                with ContentSwitcher(initial="gen-form", id="gen-editors"):
                    if self.shell:
                        yield ShellForm(self.base_text, id="gen-form")
                    else:
                        model = build_form(self.defaults, self.params, script=self.script)
                        info = self.pyruns.state.script_info
                        yield ParamForm(model, self.defaults, self.pinned, id="gen-form",
                                        empty=empty_form_hint(info.kind, info.script))
                    yield YamlEditor(self.base_text, id="gen-yaml")
                with Horizontal(id="gen-actions"):
                    yield Button("Create ^s", id="gen-create", variant="primary", compact=True)
                    yield Button("Create & Run ^r", id="gen-run", variant="primary", compact=True)
                    yield Label("", id="gen-status")
            yield PreviewPanel(id="gen-preview")

    def on_mount(self) -> None:
        super().on_mount()
        self._ready = True
        if self.start_problem:
            self._set_yaml_mode(True)
            self.notify(self.start_problem, title="config_default.yaml", severity="error")
        self.update_preview()
        if self._pending_task:
            name, self._pending_task = self._pending_task, None
            self.load_task_config(name)

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self._refresh_pins()

    def _refresh_pins(self) -> None:
        """Pins may have changed elsewhere (the Manager, `pyr-tui pin`) while this screen was away."""
        if self.shell or not self._ready:
            return
        try:
            pinned = read_script_info(self.pyruns.layout).pinned_params
        except USER_ERRORS:
            return
        if pinned != self.pinned:
            self.pinned = list(pinned)
            self.form.set_pinned(pinned)

    @property
    def focus_chain(self) -> list[Widget]:
        """Textual's order (the layout's), but the *skip configs that already exist* box, drawn
        beside the name prefix, comes after the form, before Create: Tab from the name goes to the
        first parameter, so a value typed right after it is not lost on the box (nor its `q`
        taken for quit, its `2` for the Manager)."""
        chain = super().focus_chain
        box = next((widget for widget in chain if widget.id == "gen-skip"), None)
        if box is not None:
            chain.remove(box)
            create = next((i for i, widget in enumerate(chain) if widget.id == "gen-create"), len(chain))
            chain.insert(create, box)
        return chain

    def set_focus(self, widget: Widget | None, scroll_visible: bool = True, from_app_focus: bool = False) -> None:
        left = self.focused
        super().set_focus(widget, scroll_visible, from_app_focus)
        if self.focused is not left:
            show_focus_within(left, self.focused)

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < WIDE_COLUMNS, "-narrow")
        tight = event.size.width < TIGHT_COLUMNS
        if tight != self.has_class("-tight"):
            self.set_class(tight, "-tight")
            for ident, (label, short) in LABELS.items():
                widget = self.query_one(f"#{ident}")
                if isinstance(widget, (Button, Checkbox)):
                    widget.label = short if tight else label

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
        return self.query_one("#gen-prefix", Input).value.strip()

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
        elif self.shell:
            try:
                return self.shell_form.spec(), []
            except ParamsError as exc:
                return {}, [str(exc)]
        else:
            spec = self.form.spec()
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

    # Create

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
        if not data.count:
            self.notify("the spec makes no task", severity="warning")
            return
        spec, _ = self.current_spec()
        self.creating = True
        self.query_one("#gen-create", Button).disabled = True
        self.query_one("#gen-run", Button).disabled = True
        self.query_one("#gen-status", Label).update(f"creating {data.count} tasks…")
        skip = self.query_one("#gen-skip", Checkbox).value
        self._create(spec, self.prefix, skip, run, TaskKeys(tuple(self.after)).merged(self.yaml_keys))

    @work(thread=True, exclusive=True, group="generator-create")
    def _create(self, spec: dict[str, Any], prefix: str, skip: bool, run: bool, keys: TaskKeys) -> None:
        """Create (and queue) the batch; whatever happens the screen is given back (`_create_done`).
        An exception other than a user error (an upgrade failure, a bug) goes on to the app, which
        says it, after that."""
        result: BatchResult | None = None
        problem: str | None = None
        try:
            result = create_batch(self.pyruns.state.store, spec, prefix=prefix, skip_existing=skip,
                                  run=run, max_tasks=self.pyruns.state.settings.max_tasks, keys=keys)
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

    # Modes and fields

    async def action_toggle_yaml(self) -> None:
        """Switch between the form and the YAML text; edits carry over both ways."""
        if not self.yaml_mode:
            self.yaml_editor.load_text(self.form_text())
            self._set_yaml_mode(True)
            return
        text = self.yaml_editor.text
        try:
            spec = parse_spec(text)
        except ParamsError as exc:
            self.notify(str(exc), title="Fix the YAML to go back to the form", severity="error")
            return
        self.yaml_base = text
        if self.shell:
            self.shell_form.set_text(text)
        else:
            await self.show_spec(spec)
        self._set_yaml_mode(False)

    def _set_yaml_mode(self, on: bool) -> None:
        self.yaml_mode = on
        self.query_one("#gen-editors", ContentSwitcher).current = "gen-yaml" if on else "gen-form"
        target: Widget | None = self.yaml_editor if on else self.query("FieldRow, #shell-command").first()
        if target is not None:
            target.focus()
        self.schedule_preview()

    async def show_spec(self, spec: Mapping[str, Any]) -> None:
        """Show a spec in the form: values in place when the fields match, else a new form."""
        form = self.form
        if form.fits(spec):
            form.set_spec(spec)
        else:
            await form.rebuild(build_form(spec, self.params, self.defaults, self.script), spec)
        self.schedule_preview()

    def focused_row(self) -> FieldRow | None:
        node: DOMNode | None = self.focused
        while node is not None:
            if isinstance(node, FieldRow):
                return node
            node = node.parent
        return None

    def action_grid_field(self) -> None:
        row = self.focused_row()
        if row is None:
            self.notify("focus a choice or switch field first", severity="warning")
            return
        problem = row.toggle_text_mode()
        if problem:
            self.notify(problem, severity="warning")

    def action_pin_field(self) -> None:
        row = self.focused_row()
        if row is None:
            self.notify("focus a field of the form first, then ctrl+t pins it", severity="warning")
            return
        try:
            pinned = edits.toggle_param(self.pyruns.state.store, row.key)
        except USER_ERRORS as exc:
            self.notify(error_line(exc), severity="error")
            return
        self.pinned = pinned
        self.pyruns.state.reload_script_info()
        self.form.set_pinned(pinned)
        state = "pinned (a Manager column)" if row.key in pinned else "unpinned"
        self.notify(f"{row.key} {state}")

    def action_focus_prefix(self) -> None:
        self.query_one("#gen-prefix", Input).focus()

    def action_toggle_preview(self) -> None:
        self.toggle_class("-no-preview")

    def action_leave_field(self) -> None:
        self.set_focus(None)

    def action_toggle_skip(self) -> None:
        self.query_one("#gen-skip", Checkbox).toggle()

    async def action_reset(self) -> None:
        """Back to config_default.yaml."""
        self.yaml_base = self.base_text
        if self.yaml_mode:
            self.yaml_editor.load_text(self.base_text)
        elif self.shell:
            self.shell_form.set_text(self.base_text)
        else:
            await self.show_spec(self.defaults)

    # Loading a task's config

    def _pick_task(self, on_pick: Callable[[str], None], title: str | None = None) -> None:
        """Open the task picker; `on_pick` gets the chosen name (nothing when cancelled)."""
        items = self._picker_items()
        if not items:
            self.notify("no task in this workspace yet", severity="warning")
            return

        def picked(name: str | None) -> None:
            if name:
                on_pick(name)

        picker = TaskPicker(items) if title is None else TaskPicker(items, title)
        self.app.push_screen(picker, picked)

    def action_load_task(self) -> None:
        self._pick_task(self.load_task_config)

    def action_pick_after(self) -> None:
        """Pick a task the created tasks will wait for; picking a chosen one again drops it."""

        def toggle(name: str) -> None:
            self.after = [n for n in self.after if n != name] if name in self.after else [*self.after, name]
            self.query_one("#gen-after", Label).update(f"after: {', '.join(self.after)}" if self.after else "")

        self._pick_task(toggle, "Created tasks wait for (type: filter, Enter: add or drop, Esc)")

    def _picker_items(self) -> list[PickerItem]:
        tasks = list(self.pyruns.state.snapshot.tasks.values()) or self.pyruns.state.store.scan()
        return picker_items(tasks)

    def load_task_config(self, name: str) -> None:
        """Use task `name`'s config.yaml as the starting point (Manager: duplicate into Generator)."""
        if not self._ready:
            self._pending_task = name
            return
        try:
            config = copy.deepcopy(self.pyruns.state.store.load_config(name))  # the store's cached dict stays as read
        except USER_ERRORS as exc:
            self.notify(error_line(exc), title=f"Cannot load {name}", severity="error")
            return
        problems = self.undeclared(config)
        if problems:
            self.notify(f"{problems[0]}; the preview marks it until removed", title=f"{name}'s config",
                        severity="warning", timeout=8, markup=False)
        self.run_worker(self._apply_loaded(name, literal_spec(config)), group="generator-load", exclusive=True)

    async def _apply_loaded(self, name: str, spec: dict[str, Any]) -> None:
        if self.shell:
            if self.yaml_mode:
                command = self.shell_form.command
                self.yaml_editor.load_text(spec_to_text({"command": command, "params": spec}, self.yaml_editor.text))
            self.shell_form.set_params(spec)
            self.notify(f"loaded the params of {name} (command template kept)")
            return
        if self.yaml_mode:
            self.yaml_editor.load_text(spec_to_text(spec, self.yaml_editor.text))
        await self.show_spec(spec)
        self.notify(f"loaded the config of {name}")

    def palette_commands(self) -> Iterable[SystemCommand]:
        yield SystemCommand("Generator: create", "Create the previewed tasks (ctrl+s)", self.action_create)
        yield SystemCommand("Generator: create & run", "Create and queue them (ctrl+r)", self.action_create_and_run)
        yield SystemCommand("Generator: form ⇄ YAML", "Edit the config as YAML text (ctrl+y)", self.action_toggle_yaml)
        yield SystemCommand("Generator: load a task's config", "Start from an existing task (ctrl+o)", self.action_load_task)
        yield SystemCommand("Generator: reset to defaults", "Back to config_default.yaml", self.action_reset)
        yield SystemCommand("Generator: skip existing configs", "Toggle skipping identical configs", self.action_toggle_skip)
