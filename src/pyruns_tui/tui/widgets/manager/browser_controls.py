"""BrowserControls: what the user changes in the task browser — the search (typed, debounced,
submitted, cleared), the sort and the columns shown — and the tasks a key acts on (`targets`)."""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.widgets import Input

from pyruns_tui.errors import PyrunsError
from pyruns_tui.tui.widgets.manager.browser_view import BrowserView
from pyruns_tui.tui.widgets.manager.metric_chooser import MetricChooser
from pyruns_tui.tui.widgets.manager.search_bar import SearchBar
from pyruns_tui.tui.widgets.manager.task_table import TaskTable
from pyruns_tui.workspace.query import parse_query

SEARCH_DEBOUNCE_S = 0.06


class BrowserControls(BrowserView):
    """The search, sort and column choices of TaskBrowser (browser.py), kept in its prefs."""

    def toggle_varying(self) -> bool:
        """Show the varying parameters as columns, or stop (remembered); whether they are shown now."""
        self.prefs.varying = not self.prefs.varying
        self._rearrange()
        return self.prefs.varying

    def toggle_hidden_param(self, key: str) -> None:
        """Hide the varying parameter `key` (the next one takes its place), or show it again."""
        hidden = self.prefs.hidden_params
        self.prefs.hidden_params = [k for k in hidden if k != key] if key in hidden else [*hidden, key]
        self._rearrange()

    def _rearrange(self) -> None:
        self.prefs.save(self.prefs_path)
        self.rebuild_columns()
        self.refilter()

    def set_pinned_params(self, keys: Sequence[str]) -> None:
        if list(keys) != self.pinned_params:
            self.pinned_params = list(keys)
            self.rebuild_columns()
            self.refilter()

    def set_sort(self, key: str, reverse: bool) -> None:
        """Sort by the column `key` and scroll it into view: at 80 columns most columns are off
        screen, and a sort by one of them would change nothing the user sees but the status line."""
        self.prefs.sort, self.prefs.reverse = key, reverse
        self.prefs.save(self.prefs_path)
        self.table.set_sort(key, reverse)
        self.refilter()
        self.table.scroll_to_column(key)

    def cycle_sort(self) -> None:
        keys = [column.key for column in self.columns]
        current = keys.index(self.sort_column().key)
        following = (current + 1) % len(keys)
        self.set_sort(keys[following], self.prefs.reverse)
        if following == 0:  # round to the start: the table as it opened
            self.table.scroll_to(x=0, animate=False, immediate=True)

    def toggle_error_groups(self) -> bool:
        """Sort by error so failures with one cause sit together, with their counts in the status
        line; again: back to the previous sort. False when no task has an error."""
        if self.sort_column().key == "error":
            self.set_sort(self._sort_before_errors, self._reverse_before_errors)
            return True
        if not self.index.has_errors():
            return False
        self._sort_before_errors, self._reverse_before_errors = self.prefs.sort, self.prefs.reverse
        self.set_sort("error", False)
        return True

    def flip_sort(self) -> None:
        self.set_sort(self.sort_column().key, not self.prefs.reverse)

    def set_metric_columns(self, metrics: list[str] | None) -> None:
        self.prefs.metrics = metrics
        self._rearrange()

    def choose_metrics(self) -> bool:
        """Open the chooser of metric columns (GPU accounting included); False when there is none."""
        names = list(dict.fromkeys([*self.index.metric_names(), *self.index.gpu_fields()]))
        if not names:
            return False
        shown = self.metric_columns()
        others = [name for name in names if name not in shown]

        def chosen(picked: list[str] | None) -> None:
            if picked is not None:  # the shown ones keep their order, new ones go after them
                self.set_metric_columns([m for m in shown if m in picked] + [m for m in picked if m not in shown])

        self.app.push_screen(MetricChooser([*shown, *others], shown), chosen)
        return True

    def toggle_metric(self, name: str) -> None:
        current = self.metric_columns()
        self.set_metric_columns([m for m in current if m != name] if name in current else [*current, name])

    @on(TaskTable.HeaderClicked)
    def _header_clicked(self, event: TaskTable.HeaderClicked) -> None:
        event.stop()
        if event.key == self.prefs.sort:
            self.flip_sort()
        else:
            self.set_sort(event.key, self.prefs.reverse)

    @on(TaskTable.SelectionChanged)
    def _selection_changed(self) -> None:
        self.update_status()

    def open_search(self) -> None:
        self.search_bar.add_class("-shown")
        self.search_bar.focus()

    def set_search(self, text: str) -> None:
        """Filter the table by `text` (the search language of workspace/query.py)."""
        try:
            query = parse_query(text)
        except PyrunsError as exc:
            self.query_error = str(exc)
            self.update_status()
            return
        self.query_text, self.search_query, self.query_error = text.strip(), query, ""
        self.refilter()

    def _stop_search_timer(self) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
            self._search_timer = None

    @on(Input.Changed, "#manager-search")
    def _search_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._stop_search_timer()
        value = event.value
        self._search_timer = self.set_timer(SEARCH_DEBOUNCE_S, lambda: self.set_search(value))

    @on(Input.Submitted, "#manager-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._stop_search_timer()
        self.set_search(event.value)
        self.search_bar.remember()
        if not event.value.strip():
            self.search_bar.remove_class("-shown")
        self.table.focus()

    @on(SearchBar.Cleared)
    def _search_cleared(self) -> None:
        self.clear_search()

    def clear_search(self) -> None:
        self._stop_search_timer()
        bar = self.search_bar
        if bar.value:
            with bar.prevent(Input.Changed):
                bar.value = ""
        bar.remove_class("-shown")
        self.set_search("")
        self.table.focus()

    def targets(self) -> list[str]:
        """The selected tasks in table order (then any selected but hidden), else the highlighted one."""
        table = self.table
        selected = {name for name in table.selected if name in self.index.entries}
        if selected:
            shown = [name for name in table.visible_names() if name in selected]
            return shown + sorted(selected - set(shown))
        return [table.cursor_name] if table.cursor_name else []
