"""FieldRow: one parameter of the Generator form — label, value, grid badge, help and problem lines;
its value and how it draws at rest (its live editor: field_editing.py)."""

from __future__ import annotations

import re
from typing import Any

from rich.style import Style
from rich.text import Text
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static, Switch

from pyruns_tui.errors import GridError
from pyruns_tui.params.field_text import value_to_text
from pyruns_tui.params.form_checks import check_text, grid_size
from pyruns_tui.params.form_model import FieldModel, one_line
from pyruns_tui.params.values import same_value
from pyruns_tui.tui.widgets.generator.field_editing import FieldEditing, fits_widget
from pyruns_tui.tui.widgets.generator.field_labels import LABEL_WIDTH, cut_names, label_room

PIN = "⚑"
WARN = "⚠"
_ID_CHARS = re.compile(r"[^A-Za-z0-9_-]")


def row_id(key: str) -> str:
    """A widget id for the row of `key` (`model.depth` -> `row-model_depth`)."""
    return "row-" + _ID_CHARS.sub("_", key)


class FieldRow(FieldEditing, can_focus=True):
    """One field of the form.

    At rest the row draws itself (label, value, badge, notes: one widget, cheap to mount even
    for hundreds of parameters). Focused, it mounts the real editor — an Input, or a Select
    (choices) / Switch (booleans) until `toggle_text_mode` turns it into an Input for grid
    syntax — and goes back to rest when the focus leaves it. The Input's text is selected then, so
    a key typed replaces it, as in a browser's form (a click puts the cursor where it lands).

    Reactive attributes: `pinned` (pin marker), `problem` (why the value is invalid, shown in
    red below), `badge` (`grid ×N` for grid syntax, ✖ when invalid, true/false for switches).
    Component classes: `field-row--label`, `--value`, `--placeholder`, `--grid`, `--invalid`,
    `--help`, `--warning`, `--problem`.
    Messages: `FieldRow.Changed` after every edit.
    """

    COMPONENT_CLASSES = {
        "field-row--label", "field-row--value", "field-row--placeholder", "field-row--grid",
        "field-row--invalid", "field-row--help", "field-row--warning", "field-row--problem",
    }
    DEFAULT_CSS = """
    FieldRow { height: auto; width: 1fr; }
    FieldRow:focus, FieldRow:focus-within { background: $block-cursor-background 30%; }
    FieldRow Select.field-editor:focus > SelectCurrent { background: $block-cursor-background;
        color: $block-cursor-foreground; }
    FieldRow.-editing { layout: grid; grid-size: 3; grid-columns: 18 1fr auto; grid-rows: 1 auto; }
    FieldRow.-editing.-switch { grid-columns: 18 auto 1fr; }
    FieldRow > .field-row--label { color: $text; }
    FieldRow > .field-row--value { color: $text; }
    /* `null`: $text-muted, not the disabled grey (3.2:1 on the form), at rest and in the editors */
    FieldRow > .field-row--placeholder { color: $text-muted; }
    FieldRow Input.field-editor > .input--placeholder { color: $text-muted; }
    FieldRow Select.field-editor > SelectCurrent Static#label { color: $text-muted; }
    FieldRow Select.field-editor > SelectCurrent.-has-value Static#label { color: $foreground; }
    FieldRow Select.field-editor:focus > SelectCurrent Static#label { color: $block-cursor-foreground; }
    FieldRow > .field-row--grid { background: $primary; color: $text; text-style: bold; }
    FieldRow > .field-row--invalid { background: $error; color: $text; text-style: bold; }
    FieldRow > .field-row--help { color: $text-muted; }
    FieldRow > .field-row--warning { color: $text-warning; }
    FieldRow > .field-row--problem { color: $text-error; text-style: bold; }
    FieldRow .field-label { width: 18; height: 1; }
    FieldRow.-pinned .field-label { text-style: bold; }
    /* the cell before the badge is the editor's margin: a margin of the badge came out of its `auto`
       column, one cell short, and the edited row's badge stood a column right of the others' */
    FieldRow .field-editor { width: 1fr; height: 1; margin: 0 1 0 0; }
    FieldRow Switch.field-editor { width: auto; border: none; padding: 0 1; height: 1; margin: 0; }
    FieldRow Switch.field-editor:focus { border: none; background: $block-cursor-background; }
    FieldRow .field-badge { width: auto; min-width: 0; height: 1; }
    FieldRow.-editing.-switch .field-badge { margin: 0 0 0 1; }
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
        self._text = value_to_text(value, field) if self.text_mode else ""
        self._value = value
        self._grid = False
        self._pending = ""  # keys typed before the editor was ready
        self._swapping = False  # the editor is being replaced: a blur then is not leaving
        self._clicked = False  # focused by a click, whose MouseDown is still to come
        self.editing = False
        self._editor: Widget | None = None
        self._label_widget: Label | None = None
        self._badge_widget: Label | None = None
        self._notes_widget: Static | None = None
        self.label_width = LABEL_WIDTH  # the form's label column (ParamForm.fit_labels)
        self._shown_name = cut_names([(field.name, label_room(field, LABEL_WIDTH))])[0]
        self.set_reactive(FieldRow.pinned, pinned)
        self._recompute()
        self.set_class(pinned, "-pinned")

    @property
    def key(self) -> str:
        return self.field.key

    @property
    def editor(self) -> Widget:
        """The live editor (only while the row is being edited)."""
        assert self._editor is not None, f"{self.key} is not being edited (focus the row first)"
        return self._editor

    @property
    def text(self) -> str:
        """What the field shows: its text, or the Select/Switch value as text."""
        return self._text if self.text_mode else value_to_text(self._value, self.field)

    @property
    def value(self) -> Any:
        return self._value

    def read(self) -> tuple[Any, str | None]:
        """(spec value, problem) of the field now."""
        return self._value, self.problem

    # State

    def _recompute(self) -> None:
        """Re-read the value from the text (or widget value) and update problem and badge."""
        if self.text_mode:
            self._value, problem = check_text(self._text, self.field)
        else:
            problem = None
        try:
            size = grid_size(self._value, self.key) if problem is None else None
        except GridError:
            size = None
        self._grid = size is not None and (size[0] != 1 or size[1])
        if problem:
            badge = " ✖ "
        elif self._grid and size is not None:
            badge = f" {'zip' if size[1] else 'grid'} ×{size[0]} "
        elif self.field.kind == "switch" and not self.text_mode:
            badge = "true" if self._value else "false"  # the slider alone is colour-only
        else:
            badge = ""
        self.problem = problem
        self.badge = badge
        self.set_class(self._grid, "-grid")
        self.set_class(bool(problem), "-invalid")
        self.set_class(self.editing and isinstance(self._editor, Switch), "-switch")
        self._style_columns()

    def _changed(self) -> None:
        self._recompute()
        if not self.editing:
            self.refresh(layout=True)
        self.post_message(self.Changed(self))

    def set_value(self, value: Any) -> None:
        """Show `value`; a Select/Switch that cannot hold it becomes a text Input."""
        if not self.text_mode and not fits_widget(self.field, value):
            self.text_mode = True
            if self.editing:
                self._swap_editor()
        if self.text_mode:
            self._text = value_to_text(value, self.field)
        else:
            self._value = value
        editor = self._editor
        # (a Select/Switch that cannot hold the value, which it would refuse, is being replaced)
        if isinstance(editor, Input):
            editor.value = self._text  # (its Changed, which follows, finds the text taken)
        elif isinstance(editor, Select) and not self.text_mode:
            editor.value = Select.NULL if value is None else value
        elif isinstance(editor, Switch) and not self.text_mode:
            editor.value = bool(value)
        self._changed()

    def set_text(self, text: str) -> None:
        """Put `text` in the field as if typed (a Select/Switch field becomes text first)."""
        if not self.text_mode:
            self.text_mode = True
            if self.editing:
                self._swap_editor()
        self._text = text
        if isinstance(self._editor, Input):
            self._editor.value = text
        self._changed()

    def toggle_text_mode(self) -> str | None:
        """Switch a Select/Switch field to a text Input (for grid syntax) and back.

        Returns why it cannot switch back (the text is not a single choice/boolean), or None.
        """
        if self.field.kind not in ("choice", "switch"):
            return "this field is already text: type grid syntax such as 1 | 2 directly"
        if self.text_mode and (self.problem or not fits_widget(self.field, self._value)):
            return "clear the grid syntax first: a single value fits back into the " + (
                "switch" if self.field.kind == "switch" else "choice list")
        if not self.text_mode:
            self._text = value_to_text(self._value, self.field)
        self.text_mode = not self.text_mode
        if self.editing:
            self._swap_editor()
        self._changed()
        return None

    # At rest: the row draws itself

    def set_label(self, width: int, shown_name: str) -> None:
        """Draw the label `width` cells wide, the name as `shown_name` (cut to fit: `cut_names`)."""
        if (width, shown_name) == (self.label_width, self._shown_name):
            return
        self.label_width, self._shown_name = width, shown_name
        if self._label_widget is not None:
            self._label_widget.update(self._label_text())
        self._style_columns()
        self.refresh(layout=True)

    def _style_columns(self) -> None:
        """The edited row's grid columns and label for `label_width` (the CSS holds LABEL_WIDTH's)."""
        if not self.editing:
            return
        tail = "auto 1fr" if isinstance(self._editor, Switch) else "1fr auto"
        self.styles.grid_columns = f"{self.label_width} {tail}"
        if self._label_widget is not None:
            self._label_widget.styles.width = self.label_width

    def _label_text(self) -> Text:
        """The pin slot, the name and ⚠ for an unresolved default, within `label_width` - 1 cells: a
        long name is cut with `…` (keeping the ⚠), so that a space always parts it from the value."""
        mark = f" {WARN}" if self.field.unresolved else ""
        name = Text(self._shown_name)
        name.truncate(label_room(self.field, self.label_width), overflow="ellipsis")
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"{PIN} " if self.pinned else "  ", style="bold")
        text.append_text(name)
        if mark:
            text.append(mark, style="bold")
        return text

    def _notes(self) -> list[Text]:
        """The lines below the value: help (dim), unresolved default (warning), problem (red)."""
        style = self.get_component_rich_style
        lines = []
        if self.field.help:
            lines.append(Text(one_line(self.field.help), style=style("field-row--help")))
        if self.field.unresolved:
            source = one_line(self.field.unresolved, 60)
            lines.append(Text(f"{WARN} unresolved default: {source}", style=style("field-row--warning")))
        if self.problem:
            lines.append(Text(f"✖ {self.problem}", style=style("field-row--problem")))
        return lines

    def render(self) -> Text:
        if self.editing:
            return Text()
        style = self.get_component_rich_style
        width = max(self.size.width, self.label_width + 8)
        label_style = style("field-row--label")
        if self.problem:
            label_style += Style(bold=True, color=style("field-row--invalid").bgcolor)
        elif self._grid:
            label_style += Style(bold=True)
        line = self._label_text()
        line.stylize(label_style)
        line.truncate(self.label_width, overflow="ellipsis", pad=True)
        switch = self.field.kind == "switch" and not self.text_mode
        badge = Text("" if switch else self.badge)  # at rest the value itself says true/false
        if self.problem:
            badge.stylize(style("field-row--invalid"))
        elif self._grid:
            badge.stylize(style("field-row--grid"))
        shown = ("● true" if self._value else "○ false") if switch else self.text
        value = Text(shown, style=style("field-row--value")) if shown else Text("null", style=style("field-row--placeholder"))
        arrow = " ▼" if self.field.kind == "choice" and not self.text_mode else ""
        room = max(1, width - self.label_width - badge.cell_len - len(arrow) - 1)
        value.truncate(room, overflow="ellipsis", pad=True)
        line.append_text(value)
        line.append(arrow + " ")
        line.append_text(badge)
        out = Text("\n").join([line, *(self._indent(note, width) for note in self._notes())])
        out.no_wrap = True
        return out

    @staticmethod
    def _indent(note: Text, width: int) -> Text:
        text = Text("  ") + note
        text.truncate(width, overflow="ellipsis")
        return text

    def get_content_height(self, container: Any, viewport: Any, width: int) -> int:
        if self.editing:
            return super().get_content_height(container, viewport, width)
        return 1 + len(self._notes())

    def watch_badge(self, badge: str) -> None:
        if self._badge_widget is not None:
            self._badge_widget.update(badge)

    def watch_problem(self, problem: str | None) -> None:
        if self._notes_widget is not None:
            notes = self._notes()
            self._notes_widget.update(Text("\n").join(notes))
            self._notes_widget.display = bool(notes)

    def watch_pinned(self, pinned: bool) -> None:
        self.set_class(pinned, "-pinned")
        if self._label_widget is not None:
            self._label_widget.update(self._label_text())
        self.refresh()

    # An editor says Changed when it is mounted with the row's value too (every focus move): only
    # a value that differs from the row's is an edit (else each Tab recomputed the whole preview)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if event.input is self._editor and event.value != self._text:
            self._text = event.value
            self._changed()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.screen.focus_next()  # Enter moves on, as in a form

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        value = None if event.value is Select.NULL else event.value
        if event.select is self._editor and not self.text_mode and not same_value(value, self._value):
            self._value = value
            self._changed()

    def on_switch_changed(self, event: Switch.Changed) -> None:
        event.stop()
        if event.switch is self._editor and not self.text_mode and not same_value(event.value, self._value):
            self._value = event.value
            self._changed()
