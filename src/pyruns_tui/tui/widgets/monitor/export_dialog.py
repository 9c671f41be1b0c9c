"""ExportDialog: choose a format and a file for exporting the chosen tasks (CSV, JSON, Markdown)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioSet

from pyruns_tui.errors import USER_ERRORS, error_line
from pyruns_tui.metrics.report_format import format_for_path
from pyruns_tui.tui.widgets.toggles import RadioButton

FORMATS = (("csv", "CSV"), ("json", "JSON"), ("md", "Markdown"))


@dataclass(frozen=True)
class ExportRequest:
    """What the user asked for: a format (csv | json | md) and the file to write."""

    format: str
    path: Path


@dataclass(frozen=True)
class ExportDone:
    """What was written: the request and the number of rows."""

    request: ExportRequest
    rows: int


class ExportDialog(ModalScreen[ExportDone | None]):
    """A small modal: format radio buttons, output path, Export / Cancel.

    The format and the file's extension never disagree: typing a path ending in `.csv`, `.json`
    or `.md` picks that format (as `pyr-tui export -o out.json` does), and picking a format renames
    a typed `out.csv` to `out.json` (another extension, `out.txt`, is kept).
    Enter writes through `write` (the screen's call of the engine; it returns the row count).
    A refusal (a folder, a folder that does not exist, no permission) is shown in the dialog,
    which stays open with the path as typed, to be corrected. A path the engine refuses before
    writing (`refusal`: `metrics.export.report_refusal`, inside a `_pyruns_` folder) is refused
    on the first Enter, never asked about as an existing file; a symlink is not asked about
    either (the engine refuses it).
    Bindings: Enter exports, Escape cancels, c/j/m pick CSV/JSON/Markdown.
    Dismisses with an `ExportDone`, or None when cancelled.
    """

    DEFAULT_CSS = """
    ExportDialog { align: center middle; }
    ExportDialog > Vertical { width: 64; max-width: 100%; height: auto; border: thick $accent;
                              background: $surface; padding: 0 1; }
    ExportDialog RadioSet { layout: horizontal; width: 100%; border: none; }
    ExportDialog Horizontal { height: auto; align-horizontal: right; }
    ExportDialog Button { margin-left: 1; }
    ExportDialog #export-exists { color: $text-warning; height: auto; width: 100%; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "export", "Export", show=False),
    ]

    def __init__(self, names: list[str], directory: Path, write: Callable[[ExportRequest], int],
                 default_format: str = "csv", refusal: Callable[[Path], str | None] | None = None) -> None:
        super().__init__()
        self.names = names
        self.directory = directory
        self.write = write
        self.refusal = refusal  # the engine's reason a path is refused before anything is written
        self.format = default_format
        self._overwrite: Path | None = None  # the existing file the user was warned about

    def compose(self) -> ComposeResult:
        count = len(self.names)
        with Vertical():
            yield Label(f"Export {count} task{'s' if count != 1 else ''} (one row per run)")
            with RadioSet(id="export-format"):
                for key, label in FORMATS:
                    yield RadioButton(label, value=key == self.format, id=f"format-{key}")
            yield Input(str(self._default_path(self.format)), id="export-path")
            yield Label("", id="export-exists")
            with Horizontal():
                yield Button("Export", variant="primary", id="export-ok")
                yield Button("Cancel", id="export-cancel")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def _default_path(self, fmt: str) -> Path:
        """`pyruns_export.<fmt>`, or the first `pyruns_export-N.<fmt>` not taken: never an existing file."""
        path = self.directory / f"pyruns_export.{fmt}"
        number = 1
        while path.exists():
            number += 1
            path = self.directory / f"pyruns_export-{number}.{fmt}"
        return path

    @on(RadioSet.Changed)
    def _format_changed(self, event: RadioSet.Changed) -> None:
        old = self._default_path(self.format)
        self.format = (event.pressed.id or "format-csv").removeprefix("format-")
        box = self.query_one(Input)
        typed = format_for_path(box.value.strip())
        if Path(box.value) == old:  # the user kept the suggested name: follow the format
            box.value = str(self._default_path(self.format))
        elif typed is not None and typed != self.format:  # out.csv, JSON picked: out.json, never JSON in a .csv
            box.value = str(Path(box.value.strip()).with_suffix(f".{self.format}"))

    @on(Input.Changed, "#export-path")
    def _path_changed(self, event: Input.Changed) -> None:
        typed = format_for_path(event.value.strip())
        if typed is not None and typed != self.format:  # a typed extension picks the format
            self.query_one(f"#format-{typed}", RadioButton).value = True

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_export()

    @on(Button.Pressed, "#export-ok")
    def _ok(self) -> None:
        self.action_export()

    @on(Button.Pressed, "#export-cancel")
    def _cancel(self) -> None:
        self.action_cancel()

    def action_export(self) -> None:
        path = Path(self.query_one(Input).value.strip() or self._default_path(self.format)).expanduser()
        if not path.is_absolute():
            path = self.directory / path
        note = self.query_one("#export-exists", Label)
        why = self.refusal(path) if self.refusal is not None else None
        if why is not None:  # refused now: no question about overwriting a file it would never write
            self._overwrite = None
            note.update(why)
            return
        if (path.exists() and not path.is_dir() and not path.is_symlink()
                and path != self._overwrite):  # ask once; Enter again overwrites
            self._overwrite = path
            note.update(f"{path.name} exists: Enter again overwrites it")
            return
        request = ExportRequest(format_for_path(str(path)) or self.format, path)
        try:
            rows = self.write(request)
        except USER_ERRORS as error:  # say why here and keep what was typed, to be corrected
            self._overwrite = None
            note.update(error_line(error))
            return
        self.dismiss(ExportDone(request, rows))

    def action_cancel(self) -> None:
        self.dismiss(None)
