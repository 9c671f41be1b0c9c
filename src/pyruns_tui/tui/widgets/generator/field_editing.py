"""FieldEditing: a FieldRow while it has the focus — the real editor it mounts (an Input, or a
Select / Switch for a value that fits one), the keys typed before that editor is ready, a click's
cursor, the Select/Switch <-> Input swap, and the return to rest when the focus leaves."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static, Switch

from pyruns_tui.params.form_model import FieldModel
from pyruns_tui.tui.widgets.generator.choice_select import ChoiceSelect, picks_choice

if TYPE_CHECKING:
    from textual.reactive import reactive


def fits_widget(field: FieldModel, value: Any) -> bool:
    """Whether a Select/Switch can show `value` (else the field is edited as text)."""
    if field.kind == "switch":
        return isinstance(value, bool)
    if field.kind == "choice" and field.choices:
        return value is None or any(value == c and type(value) is type(c) for c in field.choices)
    return False


def index_at_cell(text: str, cells: int) -> int:
    """The index of the character of `text` drawn `cells` cells from its start (past its end: its length)."""
    for index, character in enumerate(text):
        cells -= cell_len(character)
        if cells < 0:
            return index
    return len(text)


class FieldEditing(Widget):
    """The editing half of FieldRow (fields.py), which holds the field's value and draws it at rest."""

    if TYPE_CHECKING:  # what FieldRow sets and defines
        badge: reactive[str]
        field: FieldModel
        text_mode: bool
        editing: bool
        label_width: int
        _text: str
        _value: Any
        _pending: str
        _swapping: bool
        _clicked: bool
        _editor: Widget | None
        _label_widget: Label | None
        _badge_widget: Label | None
        _notes_widget: Static | None

        def _recompute(self) -> None: ...
        def _label_text(self) -> Text: ...
        def _notes(self) -> list[Text]: ...

    def _make_editor(self) -> Widget:
        field = self.field
        if not self.text_mode and field.kind == "switch":
            return Switch(bool(self._value), animate=False, classes="field-editor")
        if not self.text_mode and field.kind == "choice" and field.choices:
            options = [(str(choice), choice) for choice in field.choices]
            blank = self._value is None  # `null` is a choice only for a field that holds null
            return ChoiceSelect(options, value=Select.NULL if blank else self._value,
                                prompt="null", allow_blank=blank, compact=True, classes="field-editor")
        placeholder = "null" if field.kind != "list" else "null  (a, b  or  [a, b])"
        return Input(self._text, placeholder=placeholder, compact=True, select_on_focus=False,
                     classes="field-editor")

    async def on_focus(self, event: events.Focus) -> None:
        await self.start_editing()

    async def start_editing(self) -> None:
        """Mount the real editor and focus it."""
        if self.editing:
            return
        self.editing = True
        self.add_class("-editing")
        self._label_widget = Label(self._label_text(), classes="field-label")
        self._editor = self._make_editor()
        self._badge_widget = Label(self.badge, classes="field-badge")
        self._notes_widget = Static(Text("\n").join(self._notes()), classes="field-notes")
        self._notes_widget.display = bool(self._notes())
        self._recompute()
        await self.mount_all([self._label_widget, self._editor, self._badge_widget, self._notes_widget])
        if not self.is_attached:  # the form was rebuilt while the editor mounted (a task loaded)
            return
        if isinstance(self._editor, Input):
            self._editor.select_all()  # as a browser's form: typing replaces the value (a click: on_mouse_down)
        for character in self._pending:
            self._type(character)
        self._pending = ""
        if self.screen.focused is self:  # (has_focus is updated a message later)
            self.screen.set_focus(self._editor, scroll_visible=False)
            self.can_focus = False  # Tab/shift+Tab now go past the row, not back into it
        else:  # the focus moved on while the editor mounted (Tab held down): back to rest
            await self._stop_if_left()

    def takes(self, character: str | None) -> bool:
        """Whether the row's editor uses a typed `character`: an Input types every one, a choice
        field picks a choice with a letter or digit (`picks_choice`), a Switch none (space toggles
        it, by its binding). A key the editor does not use is the screen's (`q`, `?`, `1`/`2`/`3`), as
        with nothing focused, and the footer shows it."""
        if character is None or not character.isprintable():
            return False
        if self.text_mode:
            return True
        if self.field.kind == "choice" and self.field.choices:
            return character != " " and picks_choice(character, (str(c).lower() for c in self.field.choices))
        return False

    def on_key(self, event: events.Key) -> None:
        # a key that reaches the row itself came before its editor took the focus: the editor's if
        # it uses it, else it goes on up to the screen's bindings (as the editor lets it go)
        if not (event.is_printable and self.takes(event.character)):
            return
        character = event.character or ""
        if self.screen.focused is self:
            event.stop()
            event.prevent_default()
            self._pending += character
        elif self.screen.focused is self._editor is not None:
            # sent to the row while the editor mounted and handled after (before the editor's Focus
            # event: has_focus is not set yet): typed, never a screen key
            event.stop()
            event.prevent_default()
            self._type(character)

    def focus_on_click(self) -> bool:
        # asked by the screen of the row at rest under a click, just before it focuses the row
        self._clicked = True
        return True

    def on_mouse_down(self, event: events.MouseDown) -> None:
        # that click, handled once the editor is mounted (its whole text selected, as for Tab): the
        # cursor goes where it landed, as in the editor itself (on the label: at the end)
        clicked, self._clicked = self._clicked, False
        editor = self._editor
        if clicked and isinstance(editor, Input):
            cells = event.x - self.label_width
            editor.cursor_position = index_at_cell(self._text, cells) if cells >= 0 else len(self._text)

    def check_consume_key(self, key: str, character: str | None) -> bool:
        # focused itself (its editor not mounted yet), the row keeps what its editor will use
        # (on_key): the footer shows then what it shows once the editor has the focus, and is not
        # rebuilt twice per Tab (keys shown, then hidden again)
        return self.screen.focused is self and self.takes(character)

    def _type(self, character: str) -> None:
        if isinstance(self._editor, Input):
            self._editor.replace(character, *self._editor.selection)  # (an empty selection: the cursor)
        elif isinstance(self._editor, ChoiceSelect) and character != " ":
            self._editor.choose_by_letter(character)

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        self.call_after_refresh(self._stop_if_left)

    async def _stop_if_left(self) -> None:
        # a row removed meanwhile (form rebuilt) has nothing to stop; a screen pushed on top
        # (ctrl+o's picker, another mode) took the focus for a while: it comes back to the editor
        if not self.is_attached or not self.editing or self._swapping or not self.screen.is_current:
            return
        if self.has_focus_within or self.screen.focused is self:
            return
        self.editing = False
        self._editor = self._label_widget = self._badge_widget = self._notes_widget = None
        await self.remove_children()
        self.remove_class("-editing")
        self.styles.grid_columns = None
        self.can_focus = True
        self._recompute()
        self.refresh(layout=True)

    def _swap_editor(self) -> None:
        """Replace the live editor (Select/Switch <-> Input) keeping the focus in the row."""
        self._swapping = True
        self.call_later(self._swap)

    async def _swap(self) -> None:
        old = self._editor
        if old is None or not self.editing:
            self._swapping = False
            return
        new = self._make_editor()
        self._editor = new
        await self.mount(new, after=old)
        if not self.is_attached:
            return
        if old.has_focus:
            self.screen.set_focus(new, scroll_visible=False)
        await old.remove()
        self._swapping = False
        self._recompute()
