from __future__ import annotations

from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.screens.help import HelpScreen
from pyruns_tui.tui.widgets.topbar import TopBar
from pyruns_tui.workspace.layout import Layout


async def test_number_keys_switch_screens(layout: Layout) -> None:
    app = PyrunsApp(layout, start_mode="manager")
    async with app.run_test() as pilot:
        await pilot.pause()
        assert app.current_mode == "manager"
        for key, mode in (("3", "monitor"), ("1", "generator"), ("2", "manager")):
            app.screen.set_focus(None)
            await pilot.press(key)
            assert app.current_mode == mode
            assert app.screen.query_one(TopBar).mode == mode


async def test_question_mark_opens_help_listing_bindings(layout: Layout) -> None:
    app = PyrunsApp(layout, start_mode="manager")
    async with app.run_test() as pilot:
        app.screen.set_focus(None)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        titles = [title for title, _ in app.screen.sections]
        assert titles[0] == "Manager" and {"Everywhere", "Generator", "Monitor"} <= set(titles)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_top_bar_counts_tasks(layout: Layout) -> None:
    from pyruns_tui.workspace.store import TaskStore
    from tests.conftest import make_tasks

    make_tasks(TaskStore(layout), 3)
    app = PyrunsApp(layout, start_mode="manager")
    async with app.run_test() as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "○3" in app.screen.query_one(TopBar).summary.plain


async def test_leaving_a_screen_dismisses_its_dialog(layout: Layout) -> None:
    from pyruns_tui.tui.widgets.manager.dialogs import ConfirmDialog

    app = PyrunsApp(layout, start_mode="manager")
    async with app.run_test() as pilot:
        await pilot.pause()
        answers: list[bool | None] = []
        app.push_screen(ConfirmDialog("Delete 1 task?", "t1", "Delete"), answers.append)
        await pilot.pause()
        await app.run_action("switch_mode('generator')")  # as the palette's "Generator" does
        await pilot.pause()
        await app.run_action("switch_mode('manager')")
        await pilot.pause()
        assert app.current_mode == "manager" and not isinstance(app.screen, ConfirmDialog)
        assert answers in ([], [None], [False])  # nothing confirmed


async def test_switching_screens_does_not_keep_every_footer_key_it_showed(layout: Layout) -> None:
    # the Footer composes its keys again at every switch; each key stayed in the Footer's watcher
    # list (Textual drops closed ones only when `compact` changes): ~0.4 MB more per switch
    import gc

    from textual.widgets._footer import FooterKey

    def live_keys() -> int:
        gc.collect()
        return sum(1 for o in gc.get_objects() if isinstance(o, FooterKey))

    app = PyrunsApp(layout, start_mode="manager", watch_disk=False)
    async with app.run_test(size=(100, 30)) as pilot:
        for key in "1212":
            await pilot.press(key)
            await pilot.pause()
        before = live_keys()
        for key in "12" * 15:
            await pilot.press(key)
            await pilot.pause()
        assert live_keys() - before < 16  # (one switch composes ~16 keys)


async def test_a_workspace_moved_under_the_app_is_said_and_its_tasks_stay_shown(layout: Layout, notifications) -> None:  # type: ignore[no-untyped-def]
    # the project renamed while the TUI is open: every scan found nothing at the old path and the
    # Manager said "No tasks yet", as if the tasks had been deleted
    from pyruns_tui.tui.widgets.manager.task_table import TaskTable
    from pyruns_tui.workspace.store import TaskStore
    from tests.conftest import make_tasks

    make_tasks(TaskStore(layout), 3)
    app = PyrunsApp(layout, start_mode="manager", watch_disk=False)
    async with app.run_test() as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "○3" in app.screen.query_one(TopBar).summary.plain
        layout.root.rename(layout.root.with_name("moved"))
        app.refresh_tasks()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [n.title for n in notifications] == ["Workspace moved"] and notifications[0].severity == "error"
        assert "○3" in app.screen.query_one(TopBar).summary.plain
        assert len(app.screen.query_one(TaskTable).rows) == 3
        layout.root.with_name("moved").rename(layout.root)
        app.refresh_tasks()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [n.title for n in notifications] == ["Workspace"]
        assert "○3" in app.screen.query_one(TopBar).summary.plain


async def test_the_palette_offers_our_help_and_not_textuals_keys_panel(layout: Layout) -> None:
    # Textual's "Keys" opened a side panel that squeezed the Manager's table and that neither Esc
    # nor `?` closed: our help screen (`?`, "Help" in the palette) is the one way to see the keys
    from textual.command import CommandList, CommandPalette

    from tests.waiting import wait_for

    for mode in ("generator", "manager", "monitor"):
        app = PyrunsApp(layout, start_mode=mode, watch_disk=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+p")
            await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), what="the palette")

            def titles() -> list[str]:
                commands = app.screen.query_one(CommandList)
                return [str(commands.get_option_at_index(i).prompt).split("\n")[0]
                        for i in range(commands.option_count)]

            await wait_for(pilot, lambda: "Help" in titles(), what=f"Help in the {mode} palette")
            assert "Keys" not in titles() and {"Theme", "Quit"} <= set(titles())
