"""GeneratorScreen: the parameter form (or YAML text) with a live preview; creates tasks. Here: its
layout, keys and focus order; the spec and preview, Create, form/YAML and loading tasks are its
bases (generator_spec, generator_create, generator_editors, generator_tasks)."""

from __future__ import annotations

from collections.abc import Iterable

from textual import events
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, ContentSwitcher, Input, Label, Static
from textual.widgets.text_area import Selection

from pyruns_tui.errors import USER_ERRORS
from pyruns_tui.params.form_model import build_form
from pyruns_tui.params.yaml_comments import value_span
from pyruns_tui.tui.screens.generator_create import CreateFlow
from pyruns_tui.tui.screens.generator_editors import EditorSwitching
from pyruns_tui.tui.screens.generator_tasks import ExistingTasks
from pyruns_tui.tui.widgets.generator.field_finder import FieldFinder, field_entries
from pyruns_tui.tui.widgets.generator.fields import FieldRow
from pyruns_tui.tui.widgets.generator.name_prefix import PrefixInput
from pyruns_tui.tui.widgets.generator.param_form import FormSection, ParamForm, empty_form_hint, show_focus_within
from pyruns_tui.tui.widgets.generator.preview import PreviewPanel
from pyruns_tui.tui.widgets.generator.shell_form import ShellForm
from pyruns_tui.tui.widgets.generator.yaml_editor import YamlEditor
from pyruns_tui.tui.widgets.toggles import Checkbox
from pyruns_tui.workspace.bootstrap import read_script_info, warning_shown

WIDE_COLUMNS = 100  # from this width on the preview sits beside the form, else below it
# below the form in a narrow terminal the preview is 8 rows; in a short one (under 24 rows) it
# gives way first, down to 3 (its top border, the task count or first problem, the names): the
# form keeps the 12 rows it has at 80x24 (the top bar, name, buttons and footer take the other 4)
# as long as it can. At 60x15 the 8-row preview left the form one field.
NARROW_PREVIEW_ROWS = 8
MIN_PREVIEW_ROWS = 3
FORM_ROWS = 12
TIGHT_COLUMNS = 60  # below this width the buttons and the checkbox get short labels: the status stays readable
LABELS = {  # widget id -> (label, short label)
    "gen-create": ("Create ^s", "Create"),
    "gen-run": ("Create & Run ^r", "Create+Run"),
    "gen-skip": ("skip configs that already exist", "skip existing"),
}


def extraction_notice(warnings: list[str], shown: int = 3, project: str = "") -> str:
    """What parameter extraction did not understand (or read elsewhere), at the top of the form: one
    line each (cut at the screen's edge, so that the `shown` ones and the count of the others fit
    its 4 lines at 80 columns), files named from the `project` folder (`train.py:99: ...`) and an
    installed package's from the package (`transformers/training_args.py:1039: ...`, not the
    environment's path, which filled the line: `warning_shown`, as `init` prints them)."""
    lines = [f"⚠ {warning_shown(w, project)}" for w in warnings[:shown]]
    if len(warnings) > shown:
        lines.append(f"  … {len(warnings) - shown} more: `pyr-tui init SCRIPT.py` prints them all")
    return "\n".join(lines)


class GeneratorScreen(CreateFlow, ExistingTasks, EditorSwitching):
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
        Binding("ctrl+o", "load_task", "Load", tooltip="Start from an existing task's config", show=False),
        Binding("ctrl+f", "find_field", "Find", tooltip="Go to a field: type part of its name"),
        Binding("ctrl+b", "pick_after", "After: tasks the created ones wait for", show=False),
        Binding("ctrl+t", "pin_field", "Pin", tooltip="Pin the focused field (a Manager column)"),
        # not ctrl+g: that resumes a paused queue on every screen, as the pause banner says
        Binding("ctrl+j", "grid_field", "Choice/switch field as grid text", show=False),
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

    # Building

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
        narrow = event.size.width < WIDE_COLUMNS
        self.set_class(narrow, "-narrow")
        rows = event.size.height - FORM_ROWS - 4
        # (None: the CSS's 8 rows, or beside the form its full height)
        self.query_one("#gen-preview").styles.height = (
            max(MIN_PREVIEW_ROWS, rows) if narrow and rows < NARROW_PREVIEW_ROWS else None)
        tight = event.size.width < TIGHT_COLUMNS
        if tight != self.has_class("-tight"):
            self.set_class(tight, "-tight")
            for ident, (label, short) in LABELS.items():
                widget = self.query_one(f"#{ident}")
                if isinstance(widget, (Button, Checkbox)):
                    widget.label = short if tight else label

    def action_focus_prefix(self) -> None:
        self.query_one("#gen-prefix", Input).focus()

    def action_toggle_preview(self) -> None:
        self.toggle_class("-no-preview")

    def action_leave_field(self) -> None:
        self.set_focus(None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "find_field" and self.shell:
            return False  # the shell workspace's form has no fields to find
        if action == "pin_field" and self.app.is_web:
            return False  # a browser tab keeps ctrl+t (it opens a tab): not offered in the footer; the palette pins
        return super().check_action(action, parameters)

    async def action_find_field(self) -> None:
        """Open the finder of the form's fields; its pick goes to the field (`go_to_field`)."""
        entries = field_entries(self.form.model)
        if not entries:
            self.notify("the form has no fields to find", severity="warning")
            return
        # awaited: the keys typed right after ctrl+f reach the finder's filter, not the form
        await self.app.push_screen(FieldFinder(entries, self.go_to_field))

    def go_to_field(self, key: str) -> None:
        """Focus the field of `key` and scroll it into view (in YAML mode: select its value in the
        text). Done at once, still under the finder: the keys typed right after reach the field."""
        if self.yaml_mode:
            self._select_yaml_value(key)
            return
        try:
            row = self.form.row(key)
        except KeyError:  # (the form was rebuilt meanwhile)
            return
        expanded = False
        for node in row.ancestors:
            if isinstance(node, FormSection) and node.collapsed:
                node.expand_quietly()
                expanded = True
        if row.editing:  # (the field the focus was in): its text selected again, as when it is reached
            if isinstance(row.editor, Input):
                row.editor.select_all()
            self.set_focus(row.editor, scroll_visible=False)
        else:
            self.set_focus(row, scroll_visible=False)
        if expanded:
            self._center_when_laid_out(row)
        else:
            self.form.scroll_to_center(row, animate=False, origin_visible=True)

    def _center_when_laid_out(self, row: FieldRow) -> None:
        """Scroll `row` of a section just expanded to the form's centre once a layout has placed it
        (and grown the form by the section): scrolled at once it is not laid out yet. Waiting a
        number of refreshes (call_after_refresh) was not enough: with no layout pending yet they
        all ran in a row, at once, and the form stayed at the section's title, the field below it
        unseen. The section does not scroll to its title (`expand_quietly`)."""
        signal = self.screen_layout_refresh_signal

        def center(_screen: Screen[object]) -> None:
            if row.region:
                signal.unsubscribe(row)
                self.form.scroll_to_center(row, animate=False, origin_visible=True, immediate=True)

        signal.unsubscribe(row)
        signal.subscribe(row, center)

    def _select_yaml_value(self, key: str) -> None:
        editor = self.yaml_editor
        span = value_span(editor.text, key)
        if span is None:
            self.notify(f"{key} is not in the YAML text", severity="warning", markup=False)
            return
        line, start, end = span
        self.set_focus(editor, scroll_visible=False)
        editor.selection = Selection((line, start), (line, end))
        editor.scroll_cursor_visible(center=True, animate=False)

    def action_toggle_skip(self) -> None:
        self.query_one("#gen-skip", Checkbox).toggle()

    def palette_commands(self) -> Iterable[SystemCommand]:
        yield SystemCommand("Generator: create", "Create the previewed tasks (ctrl+s)", self.action_create)
        yield SystemCommand("Generator: create & run", "Create and queue them (ctrl+r)", self.action_create_and_run)
        yield SystemCommand("Generator: form ⇄ YAML", "Edit the config as YAML text (ctrl+y)", self.action_toggle_yaml)
        if not self.shell:
            yield SystemCommand("Generator: find a field", "Go to a field by name (ctrl+f)", self.action_find_field)
        yield SystemCommand("Generator: load a task's config", "Start from an existing task (ctrl+o)", self.action_load_task)
        # (a browser tab keeps ctrl+n for itself: `pyr-tui serve` reaches the prefix from here)
        yield SystemCommand("Generator: name prefix", "Edit the created tasks' name prefix (ctrl+n)", self.action_focus_prefix)
        if not self.shell:  # the field focused now, as the palette opens: its command acts on that one
            row = self.focused_row()
            if row is None:
                yield SystemCommand("Generator: pin a parameter", "Focus a field of the form first (ctrl+t pins it)",
                                    lambda: self.toggle_pin(None))
            else:
                verb = "unpin" if row.key in self.pinned else "pin"
                yield SystemCommand(f"Generator: {verb} parameter {row.key}",
                                    f"{verb.capitalize()} the focused field {row.key} as a Manager column (ctrl+t)",
                                    lambda key=row.key: self.toggle_pin(key))
        yield SystemCommand("Generator: reset to defaults", "Back to config_default.yaml", self.action_reset)
        yield SystemCommand("Generator: skip existing configs", "Toggle skipping identical configs", self.action_toggle_skip)
