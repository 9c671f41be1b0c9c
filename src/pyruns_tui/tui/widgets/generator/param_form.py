"""ParamForm: the Generator's typed form — one FieldRow per parameter, grouped in sections."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from textual import events
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Collapsible, Static

from pyruns_tui.params.form_model import (
    FieldModel,
    FormModel,
    SectionModel,
    get_path,
    leaf_paths,
    set_path,
)
from pyruns_tui.tui.widgets.generator.field_labels import cut_names, label_room, label_width
from pyruns_tui.tui.widgets.generator.fields import FieldRow
from pyruns_tui.workspace.bootstrap import plain_script_problem


class FormSection(Collapsible, inherit_css=False):
    """A section of the form (an argparse group, a nested mapping): a Collapsible that is tinted
    while the focus is in it, as Collapsible is, at the cost of one node per focus move.

    Collapsible tints itself with a `:focus-within` rule, and for every focus move Textual restyles
    all the nodes under the outermost ancestor that has such a rule: the whole section, each row
    with its eight component classes (with the footer, ~690 style applications per Tab in timm's
    173-field form). Here the tint is the class `-focus-within`, set by `show_focus_within` when
    the focus enters or leaves the section, and only the section is restyled; its rows are
    repainted, and drop the styles they cached with the old background. Collapsible's own CSS is
    not inherited (its `:focus-within` rule would bring the whole-section restyle back);
    DEFAULT_CSS holds what the form used of it.
    """

    DEFAULT_CSS = """
    FormSection { width: 1fr; height: auto; padding: 0; background: $surface; }
    FormSection:ansi { background: $panel; }
    FormSection.-focus-within { background-tint: $foreground 5%; }
    FormSection.-collapsed > Contents { display: none; }
    FormSection > Contents { padding: 0 0 0 1; }
    """

    _quiet = False  # expanded by `expand_quietly`: its next scroll to itself is skipped

    def expand_quietly(self) -> None:
        """Expand the section without Collapsible's scroll to it that follows: the caller scrolls
        to what it opened the section for. Both scrolls are deferred past a refresh, from two message
        queues; under load the section's, computed before its rows were laid out, came last and
        left the form at its title, the field gone to below the view."""
        self._quiet = True
        self.collapsed = False

    def scroll_visible(self, *args: Any, **kwargs: Any) -> None:
        if self._quiet:
            self._quiet = False
            return
        super().scroll_visible(*args, **kwargs)

    def update_focus_within(self) -> None:
        """Tint the section, or not, as the focus is in it or not."""
        inside = self.has_focus_within
        if inside == self.has_class("-focus-within") or not self.is_attached:
            return
        self.set_class(inside, "-focus-within", update=False)
        self.app.stylesheet.update_nodes([self], animate=True)
        for node in self.walk_children():
            node.notify_style_update()  # (a row's text is styled with the background it sits on)


def show_focus_within(*widgets: Widget | None) -> None:
    """After a focus move (from, to): tint the sections the focus entered, untint those it left.
    Called by the screen as the focus moves, before any Focus event is handled, as Textual
    applies `:focus-within`: a row mounting its editor then reads the section's new background."""
    for widget in widgets:
        for node in widget.ancestors if widget is not None else ():
            if isinstance(node, FormSection):
                node.update_focus_within()


def empty_form_hint(kind: str, script: str | None) -> str:
    """What the form of a script without parameters says: where parameters can come from, for
    its kind (a `plain` script gets none of its tasks' values, whatever YAML mode adds)."""
    if kind == "plain":
        return plain_script_problem(script)
    if kind == "argparse":  # (YAML mode's keys would be refused: the parser does not declare them)
        return "The script's argparse parser declares no arguments: its tasks run it with none."
    return "This config has no parameters; add some in YAML mode (ctrl+y)."


class ParamForm(VerticalScroll):
    """The form of a spec. argparse groups and nested mappings are sections (FormSection).

    Messages: `FieldRow.Changed` bubbles up from each row.
    """

    # not a Tab stop of its own (a scroll container is one by default: Tab landed on nothing
    # visible before the first field); a focused field scrolls into view, and the keys that
    # scroll (page up/down) still reach it from the field inside
    can_focus = False

    DEFAULT_CSS = """
    ParamForm { height: 1fr; width: 1fr; padding: 0 1 0 0; }
    ParamForm CollapsibleTitle { padding: 0; text-style: bold; color: $text-accent; }
    ParamForm .form-empty { color: $text-muted; padding: 1 2; }
    """

    def __init__(self, model: FormModel, spec: Mapping[str, Any], pinned: Iterable[str] = (), *,
                 empty: str = empty_form_hint("pyruns_load", None), id: str | None = None) -> None:
        super().__init__(id=id)
        self.empty = empty  # what the form says when it has no field
        self.model = model
        self._initial = spec
        self.pinned = set(pinned)
        self._rows: list[FieldRow] = []

    def compose(self) -> Iterable[Widget]:
        yield from self._widgets(self.model, self._initial)

    def on_resize(self, event: events.Resize) -> None:
        self.fit_labels()

    def fit_labels(self) -> None:
        """Widen the label column with the terminal (`label_width`) and cut the names that still do
        not fit so that no two read the same (`cut_names`)."""
        if not self._rows:
            return
        fields = [row.field for row in self._rows]
        width = label_width(fields, self.app.size.width)
        names = cut_names([(field.name, label_room(field, width)) for field in fields])
        for row, name in zip(self._rows, names, strict=True):
            row.set_label(width, name)

    def _widgets(self, model: FormModel, spec: Mapping[str, Any]) -> list[Widget]:
        if not model.order:
            return [Static(self.empty, classes="form-empty", markup=False)]
        return self._section(model.root, spec)

    def _section(self, section: SectionModel, spec: Mapping[str, Any]) -> list[Widget]:
        out: list[Widget] = []
        for item in section.items:
            if isinstance(item, SectionModel):
                children = self._section(item, spec)
                out.append(FormSection(*children, title=item.title or "", collapsed=False))
            else:
                out.append(self._row(item, spec))
        return out

    def _row(self, field: FieldModel, spec: Mapping[str, Any]) -> FieldRow:
        row = FieldRow(field, get_path(spec, field.path), pinned=field.key in self.pinned)
        self._rows.append(row)
        return row

    @property
    def rows(self) -> list[FieldRow]:
        """The rows in display order (kept in a list: queries are too slow per keystroke)."""
        return list(self._rows)

    def row(self, key: str) -> FieldRow:
        """The row of a dotted key; raises KeyError when the form has no such field."""
        for row in self._rows:
            if row.key == key:
                return row
        raise KeyError(key)

    def spec(self) -> dict[str, Any]:
        """The spec the form holds now, keys in document order (grid order depends on it)."""
        values = {row.field.path: row.value for row in self._rows}
        out: dict[str, Any] = {}
        for path in self.model.order:
            if path in values:
                set_path(out, path, values[path])
        return out

    def problems(self) -> list[tuple[str, str]]:
        """(key, problem) of every field whose text does not fit it, in display order."""
        out = []
        for row in self._rows:
            _, problem = row.read()
            if problem:
                out.append((row.key, problem))
        return out

    def fits(self, spec: Mapping[str, Any]) -> bool:
        """Whether `spec` has exactly this form's fields (so values can be set in place)."""
        return tuple(leaf_paths(spec)) == self.model.order

    def set_spec(self, spec: Mapping[str, Any]) -> None:
        """Show the values of a spec with the same fields (see `fits`)."""
        for row in self._rows:
            row.set_value(get_path(spec, row.field.path))

    async def rebuild(self, model: FormModel, spec: Mapping[str, Any]) -> None:
        """Replace every row: the spec has other fields than the form had."""
        await self.remove_children()
        self.model = model
        self._rows = []
        await self.mount_all(self._widgets(model, spec))
        self.fit_labels()

    def set_pinned(self, keys: Iterable[str]) -> None:
        self.pinned = set(keys)
        for row in self._rows:
            row.pinned = row.key in self.pinned
