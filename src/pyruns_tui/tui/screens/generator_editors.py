"""The Generator's two editors of one spec, the form and its YAML text: switching between them
(edits carry over), back to the defaults, and the keys of the form's focused field (pin, grid text)."""

from __future__ import annotations

from textual.dom import DOMNode
from textual.widget import Widget
from textual.widgets import ContentSwitcher

from pyruns_tui.errors import USER_ERRORS, ParamsError, error_line
from pyruns_tui.params.spec_text import parse_spec
from pyruns_tui.tui.screens.generator_spec import GeneratorSpec
from pyruns_tui.tui.widgets.generator.fields import FieldRow
from pyruns_tui.workspace import edits


class EditorSwitching(GeneratorSpec):
    """The form and the YAML text of the Generator (ctrl+y), reset, and the focused field's ctrl+t
    (pin) and ctrl+j (a choice or switch field as grid text)."""

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
        self.toggle_pin(row.key if row is not None else None)

    def toggle_pin(self, key: str | None) -> None:
        """Pin or unpin the parameter `key` (ctrl+t, or the palette for the field focused when it
        opened: a browser tab keeps ctrl+t); None: no field was focused, say what to do."""
        if key is None:
            self.notify("focus a field of the form first (Tab, ctrl+f), then ctrl+t or the palette's "
                        "\"Generator: pin parameter\" pins it", severity="warning")
            return
        try:
            pinned = edits.toggle_param(self.pyruns.state.store, key)
        except USER_ERRORS as exc:
            self.notify(error_line(exc), severity="error")
            return
        self.pinned = pinned
        self.pyruns.state.reload_script_info()
        self.form.set_pinned(pinned)
        state = "pinned (a Manager column)" if key in pinned else "unpinned"
        self.notify(f"{key} {state}", markup=False)

    async def action_reset(self) -> None:
        """Back to config_default.yaml."""
        self.yaml_base = self.base_text
        if self.yaml_mode:
            self.yaml_editor.load_text(self.base_text)
        elif self.shell:
            self.shell_form.set_text(self.base_text)
        else:
            await self.show_spec(self.defaults)
