"""The Generator and the tasks already made: starting from a task's config (ctrl+o, the Manager's
duplicate) and the tasks the created ones wait for (ctrl+b), both chosen in the task picker."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from textual.widgets import Label

from pyruns_tui.errors import USER_ERRORS, error_line
from pyruns_tui.params.form_model import literal_spec
from pyruns_tui.params.spec_text import spec_to_text
from pyruns_tui.tui.screens.generator_spec import GeneratorSpec
from pyruns_tui.tui.widgets.generator.task_picker import PickerItem, TaskPicker, picker_items


class ExistingTasks(GeneratorSpec):
    """A task's config loaded into the form or the YAML text, and the `after` tasks of a batch."""

    def _pick_task(self, on_pick: Callable[[str], None], title: str | None = None) -> None:
        """Open the task picker; `on_pick` gets the chosen name (nothing when cancelled)."""
        items = self._picker_items()
        if not items:
            self.notify("no task in this workspace yet", severity="warning")
            return

        def picked(name: str | None) -> None:
            if name:
                on_pick(name)

        picker = TaskPicker(items) if title is None else TaskPicker(items, title)
        self.app.push_screen(picker, picked)

    def action_load_task(self) -> None:
        self._pick_task(self.load_task_config)

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
