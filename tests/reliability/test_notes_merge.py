"""The TUI's notes editor never overwrites a note written meanwhile (`pyr-tui note -a`)."""

from __future__ import annotations

from pyruns_tui.workspace.notes import NotesMerge, merge_notes
from tests.runner.harness import Project


def test_merge_rules() -> None:
    assert merge_notes("a", "a edited", "a") == ("a edited", NotesMerge.SAVED)
    assert merge_notes("a", "a edited", "a\nfrom cli") == ("a edited\nfrom cli", NotesMerge.MERGED)
    assert merge_notes("", "mine", "from cli") == ("mine\nfrom cli", NotesMerge.MERGED)
    assert merge_notes("a", "a", "a\nfrom cli") == ("a\nfrom cli", NotesMerge.MERGED)
    assert merge_notes("a", "mine", "rewritten") == ("rewritten\nmine", NotesMerge.BOTH_KEPT)
    assert merge_notes("a", "", "a\nb") == ("b", NotesMerge.MERGED)


async def test_the_notes_editor_keeps_a_note_appended_while_it_was_open(project: Project) -> None:
    from textual.widgets import TextArea

    from pyruns_tui.tui.app import PyrunsApp
    from pyruns_tui.tui.widgets.manager.dialogs import NotesDialog

    name = project.add("noted", "print(1)")
    project.store.update(name, lambda t: setattr(t, "notes", "first"))
    app = PyrunsApp(project.layout, start_mode="manager", watch_disk=False)
    async with app.run_test() as pilot:
        await pilot.pause()
        app.screen.set_focus(None)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, NotesDialog)
        assert project.cli("note", "-a", name, "from cli") == 0  # acknowledged "saved"
        app.screen.query_one(TextArea).insert(" edited")
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert project.task(name).notes == "first edited\nfrom cli"
