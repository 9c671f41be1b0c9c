"""FilteredList: a modal of a filter input above the list of the items that match it, the one way
the Generator's task picker (ctrl+o, ctrl+b) and field finder (ctrl+f) behave: typing filters the
list again and highlights its first item, up/down move in it while typing, Enter or a click picks."""

from __future__ import annotations

from typing import Generic, TypeVar

from textual.screen import ModalScreen
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

NO_MATCH = "__none__"  # the id of the one disabled option shown when nothing matches

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")


class FilteredList(ModalScreen[ResultT], Generic[ItemT, ResultT]):
    """Subclasses compose an `Input` and one `OptionList` (of `_options`), and say how items are
    filtered (`_filter`), named (`_item_id`: the option's id) and picked (`_pick`)."""

    shown: list[ItemT]

    def _filter(self, query: str) -> list[ItemT]:
        raise NotImplementedError

    def _options(self, query: str) -> list[Option]:
        raise NotImplementedError

    def _item_id(self, item: ItemT) -> str:
        raise NotImplementedError

    def _pick(self, item_id: str) -> None:
        raise NotImplementedError

    def _filtered(self, query: str) -> None:
        """Called after each new filter (e.g. to say how many match)."""

    def _list(self) -> OptionList:
        return self.query_one(OptionList)

    def _highlight_first(self) -> None:
        self._list().highlighted = 0 if self.shown else None

    def on_input_changed(self, event: Input.Changed) -> None:
        self.shown = self._filter(event.value)
        self._filtered(event.value)
        options = self._list()
        options.clear_options()
        options.add_options(self._options(event.value))
        self._highlight_first()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        highlighted = self._list().highlighted
        if self.shown and highlighted is not None:
            self._pick(self._item_id(self.shown[highlighted]))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id and event.option.id != NO_MATCH:
            self._pick(event.option.id)

    def action_move(self, step: int) -> None:
        if not self.shown:
            return
        options = self._list()
        options.highlighted = max(0, min(len(self.shown) - 1, (options.highlighted or 0) + step))
