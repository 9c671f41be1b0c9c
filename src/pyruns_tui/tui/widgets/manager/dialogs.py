"""Small modal dialogs of the Manager: confirm a deletion, edit notes."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static, TextArea

from pyruns_tui.printable import printable

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 90%; max-width: 90; height: auto; max-height: 90%; border: round $accent;
    background: $surface; padding: 0 1; }}
{name} .dialog-title {{ text-style: bold; width: 100%; }}
{name} .dialog-buttons {{ height: auto; align-horizontal: right; margin-top: 1; }}
{name} .dialog-buttons Button {{ margin-left: 1; min-width: 10; }}
"""


def names_text(names: Sequence[str], limit: int = 8) -> str:
    """`a, b, c` or `a, b, ... and 12 more`."""
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown} … and {len(names) - limit} more"


class ConfirmDialog(ModalScreen[bool]):
    """Asks yes/no; dismisses with True on y/Enter/the confirm button, False on n/Esc.

    With `remember`, a third button (key `a`) confirms and sets `always` (don't ask again).
    Bindings: y or enter confirms, a confirms and remembers, n or escape cancels.
    """

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("enter", "answer(True)", "Yes", show=False),
        Binding("a", "always", "Yes, don't ask again", show=False),
        Binding("n", "answer(False)", "No"),
        Binding("escape", "answer(False)", "Cancel"),
    ]
    DEFAULT_CSS = DIALOG_CSS.format(name="ConfirmDialog")

    def __init__(self, title: str, body: str, confirm: str = "Yes", *, remember: bool = False) -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.confirm = confirm
        self.remember = remember
        self.always = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(printable(self.title_text), classes="dialog-title", markup=False)
            yield Static(printable(self.body, multiline=True), markup=False, id="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.confirm} (y)", variant="error", id="confirm")
                if self.remember:
                    yield Button("Always (a)", variant="warning", id="always")
                yield Button("Cancel (n)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "always":
            self.action_always()
        else:
            self.dismiss(event.button.id == "confirm")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    def action_always(self) -> None:
        if self.remember:
            self.always = True
            self.dismiss(True)


class NotesDialog(ModalScreen["str | None"]):
    """A multi-line editor for a task's notes; dismisses with the text (ctrl+s) or None (Esc).

    With `save`, ctrl+s hands it the text first: a save it refuses (it returns why) is said and
    the editor stays open with the text, to be shortened or kept; nothing typed is lost.

    Bindings: ctrl+s saves, escape cancels.
    """

    BINDINGS = [
        Binding("ctrl+s", "save", "Save notes"),
        Binding("escape", "cancel", "Cancel"),
    ]
    DEFAULT_CSS = DIALOG_CSS.format(name="NotesDialog") + """
    NotesDialog TextArea { height: 10; }
    """

    def __init__(self, title: str, text: str, save: Callable[[str], str | None] | None = None) -> None:
        """A note holding control characters is edited with them shown as `\\x1b`-style text
        (saved unchanged, it keeps them; edited, the visible text is what is saved)."""
        super().__init__()
        self.save = save
        self.title_text = title
        self.original = text
        self.text = printable(text, multiline=True)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(printable(self.title_text), classes="dialog-title", markup=False)
            yield TextArea(self.text, id="notes", soft_wrap=True, show_line_numbers=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="save")
                yield Button("Cancel (Esc)", id="cancel")

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        area.move_cursor(area.document.end)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def action_save(self) -> None:
        text = self.query_one(TextArea).text
        notes = self.original if text == self.text else text  # (the engine drops whitespace at the end)
        refused = self.save(notes) if self.save is not None else None
        if refused is not None:
            self.notify(refused, title="Notes not saved", severity="error", timeout=10, markup=False)
            return
        self.dismiss(notes)

    def action_cancel(self) -> None:
        self.dismiss(None)
