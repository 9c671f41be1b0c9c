"""FieldRow: one parameter of the Generator form — label, editor, grid badge, help and problem lines."""

from __future__ import annotations

import re
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static, Switch

from pyruns_tui.errors import GridError
from pyruns_tui.tui.widgets.generator.form_model import (
    FieldModel,
    check_text,
    grid_size,
    one_line,
    value_to_text,
)

PIN = "⚑"
WARN = "⚠"
_ID_CHARS = re.compile(r"[^A-Za-z0-9_-]")


def row_id(key: str) -> str:
    """A widget id for the row of `key` (`model.depth` -> `row-model_depth`)."""
    return "row-" + _ID_CHARS.sub("_", key)


def fits_widget(field: FieldModel, value: Any) -> bool:
    """Whether a Select/Switch can show `value` (else the field is edited as text)."""
    if field.kind == "switch":
        return isinstance(value, bool)
    if field.kind == "choice" and field.choices:
        return value is None or any(value == c and type(value) is type(c) for c in field.choices)
    return False


class FieldRow(Widget):
    """One field of the form. The editor is an Input, or a Select (choices) / Switch (booleans)
    until it is switched to text mode to hold grid syntax (`toggle_text_mode`).

    Reactive attributes: `pinned` (shows the pin marker), `problem` (why the value is invalid,
    shown in red below), `badge` (`grid ×N` when the value is grid syntax).
    Messages: `FieldRow.Changed` after every edit.
    """

    DEFAULT_CSS = """
    FieldRow { layout: grid; grid-size: 3; grid-columns: 18 1fr auto; grid-rows: 1 auto;
        height: auto; width: 1fr; }
    FieldRow.-switch { grid-columns: 18 auto 1fr; }
    FieldRow .field-label { width: 18; height: 1; color: $text; }
    FieldRow.-pinned .field-label { text-style: bold; }
    FieldRow .field-editor { width: 1fr; height: 1; }
    FieldRow Switch.field-editor { width: auto; border: none; padding: 0 1; height: 1; }
    FieldRow Switch.field-editor:focus { border: none; background: $block-cursor-background; }
    FieldRow .field-badge { width: auto; min-width: 0; height: 1; margin: 0 0 0 1; }
    FieldRow.-grid .field-badge { background: $primary; color: $text; text-style: bold; }
    FieldRow.-grid .field-label { color: $text-primary; text-style: bold; }
    FieldRow.-invalid .field-badge { background: $error; color: $text; text-style: bold; }
    FieldRow.-invalid .field-label { color: $text-error; text-style: bold; }
    FieldRow .field-notes { column-span: 3; height: auto; padding-left: 2; }
    """

    pinned: reactive[bool] = reactive(False)
    problem: reactive[str | None] = reactive(None)
    badge: reactive[str] = reactive("")

    class Changed(Message):
        """The field's value changed (typed, selected or switched)."""

        def __init__(self, row: FieldRow) -> None:
            super().__init__()
            self.row = row

    def __init__(self, field: FieldModel, value: Any, *, pinned: bool = False) -> None:
        super().__init__(id=row_id(field.key))
        self.field = field
        self.text_mode = field.kind not in ("choice", "switch") or not fits_widget(field, value)
        self._value = value
        self._editor: Widget | None = None
        self._label_widget: Label | None = None
        self._badge_widget: Label | None = None
        self._notes_widget: Static | None = None
        self.set_reactive(FieldRow.pinned, pinned)

    @property
    def key(self) -> str:
        return self.field.key

    def compose(self) -> ComposeResult:
        self._label_widget = Label(self._label(), classes="field-label")
        self._editor = self._make_editor(self._value)
        self._badge_widget = Label("", classes="field-badge")
        self._notes_widget = Static(self._notes(None), classes="field-notes")
        yield from (self._label_widget, self._editor, self._badge_widget, self._notes_widget)

    def _notes(self, problem: str | None) -> Text:
        """The lines below the editor: help (dim), unresolved default (warning), problem (red)."""
        lines = []
        if self.field.help:
            lines.append(Text(one_line(self.field.help), style="dim"))
        if self.field.unresolved:
            source = one_line(self.field.unresolved, 60)
            lines.append(Text(f"{WARN} unresolved default: {source}", style="yellow"))
        if problem:
            lines.append(Text(f"✖ {problem}", style="bold red"))
        text = Text("\n", no_wrap=True, overflow="ellipsis").join(lines)
        text.no_wrap, text.overflow = True, "ellipsis"
        return text

    def on_mount(self) -> None:
        self.set_class(self.pinned, "-pinned")
        assert self._notes_widget is not None
        self._notes_widget.display = bool(self.field.help or self.field.unresolved)
        self._refresh_state(post=False)

    def _label(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"{PIN} " if self.pinned else "  ", style="bold")
        text.append(self.field.name)
        if self.field.unresolved:
            text.append(f" {WARN}", style="bold")
        return text

    def _make_editor(self, value: Any) -> Widget:
        field = self.field
        if not self.text_mode and field.kind == "switch":
            return Switch(bool(value), animate=False, classes="field-editor")
        if not self.text_mode and field.kind == "choice" and field.choices:
            options = [(str(choice), choice) for choice in field.choices]
            return Select(options, value=Select.NULL if value is None else value, prompt="null",
                          allow_blank=True, compact=True, classes="field-editor")
        placeholder = "null" if field.kind != "list" else "null  (a, b  or  [a, b])"
        return Input(value_to_text(value, field), placeholder=placeholder, compact=True,
                     select_on_focus=False, classes="field-editor")

    @property
    def editor(self) -> Widget:
        assert self._editor is not None, "the row is not composed yet"
        return self._editor

    def read(self) -> tuple[Any, str | None]:
        """(spec value, problem) of what the editor holds now."""
        editor = self._editor
        if editor is None:
            return self._value, None
        if isinstance(editor, Switch):
            return editor.value, None
        if isinstance(editor, Select):
            return (None if editor.value is Select.NULL else editor.value), None
        assert isinstance(editor, Input)
        return check_text(editor.value, self.field)

    @property
    def value(self) -> Any:
        return self.read()[0]

    def set_value(self, value: Any) -> None:
        """Show `value`; a Select/Switch that cannot hold it becomes a text Input."""
        self._value = value
        if not self.text_mode and not fits_widget(self.field, value):
            self._swap_editor(text_mode=True, value=value)
            return
        editor = self.editor
        if isinstance(editor, Switch):
            editor.value = bool(value)
        elif isinstance(editor, Select):
            editor.value = Select.NULL if value is None else value
        elif isinstance(editor, Input):
            editor.value = value_to_text(value, self.field)

    def toggle_text_mode(self) -> str | None:
        """Switch a Select/Switch field to a text Input (for grid syntax) and back.

        Returns why it cannot switch back (the text is not a single choice/boolean), or None.
        """
        if self.field.kind not in ("choice", "switch"):
            return "this field is already text: type grid syntax such as 1 | 2 directly"
        value, problem = self.read()
        if self.text_mode and (problem or not fits_widget(self.field, value)):
            return "clear the grid syntax first: a single value fits back into the " + (
                "switch" if self.field.kind == "switch" else "choice list")
        self._swap_editor(text_mode=not self.text_mode, value=value)
        return None

    def _swap_editor(self, *, text_mode: bool, value: Any) -> None:
        had_focus = self.editor.has_focus
        self.text_mode = text_mode
        self._value = value
        old = self.editor
        new = self._make_editor(value)
        self._editor = new
        self.mount(new, after=old)
        old.remove()
        if had_focus:
            new.focus()
        self._refresh_state()

    def _refresh_state(self, post: bool = True) -> None:
        value, problem = self.read()
        self._value = value
        try:
            size = grid_size(value, self.key)
        except GridError:
            size = None
        grid = problem is None and size is not None and (size[0] != 1 or size[1])
        if problem:
            badge = " ✖ "
        elif grid and size is not None:
            badge = f" {'zip' if size[1] else 'grid'} ×{size[0]} "
        elif isinstance(self.editor, Switch):
            badge = "true" if value else "false"  # the slider alone is colour-only
        else:
            badge = ""
        self.problem = problem
        self.badge = badge
        self.set_class(grid, "-grid")
        self.set_class(isinstance(self._editor, Switch), "-switch")
        self.set_class(bool(problem), "-invalid")
        if post:
            self.post_message(self.Changed(self))

    def watch_badge(self, badge: str) -> None:
        if self._badge_widget is not None:
            self._badge_widget.update(badge)

    def watch_problem(self, problem: str | None) -> None:
        if self._notes_widget is not None:
            notes = self._notes(problem)
            self._notes_widget.update(notes)
            self._notes_widget.display = bool(notes.plain)

    def watch_pinned(self, pinned: bool) -> None:
        self.set_class(pinned, "-pinned")
        if self._label_widget is not None:
            self._label_widget.update(self._label())

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._refresh_state()

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._refresh_state()

    def on_switch_changed(self, event: Switch.Changed) -> None:
        event.stop()
        self._refresh_state()
