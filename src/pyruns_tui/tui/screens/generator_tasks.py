"""The Generator and the tasks already made: starting from a task's config (ctrl+o, the Manager's
duplicate; for a nanoGPT-style script also from one of the project's `config/*.py` files, listed
after the tasks) and the tasks the created ones wait for (ctrl+b), both chosen in the task picker."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from textual.widgets import Label

from pyruns_tui.errors import USER_ERRORS, error_line
from pyruns_tui.params.form_model import literal_spec
from pyruns_tui.params.spec_text import spec_to_text
from pyruns_tui.tui.screens.generator_spec import GeneratorSpec
from pyruns_tui.tui.widgets.generator.task_picker import (
    LOAD_FILES_TITLE,
    PickerItem,
    TaskPicker,
    file_items,
    picker_items,
)
from pyruns_tui.workspace.config_files import config_files, read_config_file


class ExistingTasks(GeneratorSpec):
    """A task's config loaded into the form or the YAML text, and the `after` tasks of a batch."""

    def _pick_task(self, on_pick: Callable[[str], None], title: str | None = None,
                   more: list[PickerItem] | None = None) -> None:
        """Open the task picker (the tasks, then the `more` items); `on_pick` gets the chosen name
        (nothing when cancelled)."""
        items = self._picker_items() + (more or [])
        if not items:
            self.notify("no task in this workspace yet", severity="warning")
            return

        def picked(name: str | None) -> None:
            if name:
                on_pick(name)

        picker = TaskPicker(items) if title is None else TaskPicker(items, title)
        self.app.push_screen(picker, picked)

    def action_load_task(self) -> None:
        """Pick a task, or a config file of a nanoGPT-style script, to start from."""
        try:
            files = [] if self.shell else config_files(self.pyruns.layout)
        except USER_ERRORS:
            files = []  # (script_info.json unreadable: the tasks are listed still)
        if not files:
            self._pick_task(self.load_task_config)
            return

        def load(name: str) -> None:
            (self.load_config_file if name in files else self.load_task_config)(name)

        self._pick_task(load, LOAD_FILES_TITLE, file_items(files))

    def action_pick_after(self) -> None:
        """Pick a task the created tasks will wait for; picking a chosen one again drops it."""

        def toggle(name: str) -> None:
            self.after = [n for n in self.after if n != name] if name in self.after else [*self.after, name]
            self.query_one("#gen-after", Label).update(f"after: {', '.join(self.after)}" if self.after else "")

        self._pick_task(toggle, "Created tasks wait for (type: filter, Enter: add or drop, Esc)")

    def _picker_items(self) -> list[PickerItem]:
        tasks = list(self.pyruns.state.snapshot.tasks.values()) or self.pyruns.state.store.scan()
        return picker_items(tasks)

    def load_task_config(self, name: str) -> None:
        """Use task `name`'s config.yaml as the starting point (Manager: duplicate into Generator)."""
        if not self._ready:
            self._pending_task = name
            return
        try:
            config = copy.deepcopy(self.pyruns.state.store.load_config(name))  # the store's cached dict stays as read
        except USER_ERRORS as exc:
            self.notify(error_line(exc), title=f"Cannot load {name}", severity="error")
            return
        problems = self.undeclared(config)
        if problems:
            self.notify(f"{problems[0]}; the preview marks it until removed", title=f"{name}'s config",
                        severity="warning", timeout=8, markup=False)
        self.run_worker(self._apply_loaded(name, literal_spec(config)), group="generator-load", exclusive=True)

    def load_config_file(self, path: str) -> None:
        """Use the values the config file `path` (`config/x.py`, read, never run) sets over the
        workspace's defaults as the starting point: what `pyr-tui gen config/x.py` creates."""
        try:
            values = read_config_file(self.pyruns.layout, path)
        except USER_ERRORS as exc:
            self.notify(error_line(exc), title=f"Cannot load {path}", severity="error", markup=False)
            return
        if values is None:  # (the workspace's script was initialised again as another kind meanwhile)
            self.notify(f"{path}: the script no longer runs nanoGPT's configurator", severity="warning")
            return
        self.run_worker(self._apply_loaded(path, literal_spec({**self.defaults, **values})),
                        group="generator-load", exclusive=True)

    async def _apply_loaded(self, name: str, spec: dict[str, Any]) -> None:
        if self.shell:
            if self.yaml_mode:
                command = self.shell_form.command
                self.yaml_editor.load_text(spec_to_text({"command": command, "params": spec}, self.yaml_editor.text))
            self.shell_form.set_params(spec)
            self.notify(f"loaded the params of {name} (command template kept)")
            return
        if self.yaml_mode:
            self.yaml_editor.load_text(spec_to_text(spec, self.yaml_editor.text))
        await self.show_spec(spec)
        self.notify(f"loaded the config of {name}")
