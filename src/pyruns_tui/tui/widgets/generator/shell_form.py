"""ShellForm: the Generator of the shell workspace — a command template plus a parameter block."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Label, TextArea

from pyruns_tui.errors import ParamsError
from pyruns_tui.params.spec_text import parse_spec, spec_to_text, sub_text
from pyruns_tui.tui.widgets.generator.yaml_editor import YamlEditor


class ShellForm(Vertical):
    """`command:` as an Input with `{key}` placeholders, `params:` as YAML in grid syntax.

    Messages: `ShellForm.Changed` after an edit of either part.
    """

    DEFAULT_CSS = """
    ShellForm { height: 1fr; width: 1fr; }
    ShellForm .shell-label { height: 1; color: $text-muted; }
    ShellForm #shell-command { width: 1fr; margin: 0 0 1 0; }
    ShellForm #shell-params { height: 1fr; }
    """

    class Changed(Message):
        """The command template or the parameter block changed."""

    def __init__(self, spec_text: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._initial = spec_text

    def compose(self) -> ComposeResult:
        command, params = split_text(self._initial)
        yield Label("command  ({key} is replaced by the shell-quoted value of params.key)",
                    classes="shell-label")
        yield Input(command, placeholder="python train.py --lr {lr}", id="shell-command",
                    compact=True, select_on_focus=False)
        yield Label("params  (grid syntax: a | b, (a | b) zipped, start:stop:step)", classes="shell-label")
        yield YamlEditor(params, id="shell-params")

    @property
    def command(self) -> str:
        return self.query_one("#shell-command", Input).value

    @property
    def params_text(self) -> str:
        return self.query_one("#shell-params", YamlEditor).text

    def spec(self) -> dict[str, Any]:
        """`{command, params}`; raises ParamsError when the parameter block is not a mapping."""
        return {"command": self.command, "params": parse_spec(self.params_text, where="params")}

    def text(self) -> str:
        """The whole spec as YAML (what YAML mode edits); the parameter block is kept verbatim."""
        lines = self.params_text.rstrip("\n").splitlines()
        body = "".join(f"  {line}\n" if line.strip() else "\n" for line in lines)
        head = spec_to_text({"command": self.command})
        return head + ("params:\n" + body if body.strip() else "params: {}\n")

    def set_text(self, text: str) -> None:
        """Show a whole spec text (from YAML mode or a loaded task)."""
        command, params = split_text(text)
        self.query_one("#shell-command", Input).value = command
        self.query_one("#shell-params", YamlEditor).load_text(params)
        self.post_message(self.Changed())

    def set_params(self, params: Mapping[str, Any]) -> None:
        editor = self.query_one("#shell-params", YamlEditor)
        editor.load_text(spec_to_text(params, editor.text))
        self.post_message(self.Changed())

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Changed())

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        self.post_message(self.Changed())


def split_text(text: str) -> tuple[str, str]:
    """(command template, params YAML text) of a whole shell spec text; lenient on bad YAML."""
    try:
        data = parse_spec(text)
    except ParamsError:
        return "", text
    command = data.get("command")
    return (command if isinstance(command, str) else ""), sub_text(text, "params")
