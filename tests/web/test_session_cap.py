"""`serve --max-sessions N`: at most N tabs (app processes, ~50 MB each) at once; the next one is told why."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import psutil
import pytest

pytest.importorskip("textual_serve", reason="the web extra is not installed: pip install -e '.[dev]'")
from tests.cli.helpers import pyr
from tests.web.test_serve import (  # noqa: F401 (browser, project: fixtures)
    EXPOSE_TERMINAL,
    SCREEN_TEXT,
    Served,
    app_processes,
    browser,
    project,
    start_serve,
    stop_serve,
    wait_until,
)

REFUSED = 4429

# how many lines of the closed dialog's message the first occurrence of a text is drawn on
LINES_OF = """
const message = document.querySelector('.closed-dialog .message'), chars = [];
const walker = document.createTreeWalker(message, NodeFilter.SHOW_TEXT);
while (walker.nextNode()) { for (let i = 0; i < walker.currentNode.length; i++) { chars.push([walker.currentNode, i]); } }
const at = chars.map(([node, i]) => node.data[i]).join('').indexOf(arguments[0]), tops = new Set();
for (let k = at; k < at + arguments[0].length; k++) {
  const range = document.createRange();
  range.setStart(chars[k][0], chars[k][1]);
  range.setEnd(chars[k][0], chars[k][1] + 1);
  tops.add(Math.round(range.getBoundingClientRect().top));
}
return at < 0 ? 0 : tops.size;
"""


def test_a_session_past_the_cap_is_refused_with_why_and_a_closed_one_frees_its_slot(project: Path) -> None:
    import aiohttp

    served = start_serve(project, "--max-sessions", "1")

    async def sessions() -> None:
        async with aiohttp.ClientSession() as client:
            async with client.ws_connect(served.ws_url) as first:
                await asyncio.wait_for(first.receive(), 30)  # its app process drew its first bytes
                async with client.ws_connect(served.ws_url) as second:
                    message = await asyncio.wait_for(second.receive(), 30)
                    assert message.type == aiohttp.WSMsgType.CLOSE and message.data == REFUSED, message
                    assert "1 tab is open" in message.extra and "--max-sessions" in message.extra, message.extra
                    assert "close one" in message.extra and len(message.extra.encode()) <= 123
                assert len([p for p in app_processes(served) if "-m" in p.cmdline()]) == 1  # none for the refused one
            # the first tab is closed: its slot is free once its app process has ended
            deadline = time.monotonic() + 30
            while True:
                async with client.ws_connect(served.ws_url) as again:
                    message = await asyncio.wait_for(again.receive(), 30)
                    if message.type == aiohttp.WSMsgType.BINARY:
                        return
                    assert message.data == REFUSED, message
                assert time.monotonic() < deadline, "the closed session's slot was never freed"
                await asyncio.sleep(0.05)  # (the poll's interval) its app process is still ending

    try:
        asyncio.run(sessions())
    finally:
        assert stop_serve(served) == 0


def test_a_reloaded_tab_at_the_cap_gets_its_session(project: Path) -> None:
    """A reload closes the tab's session and opens a new one at once, while the old app process
    is still quitting: at the cap (`--max-sessions 1`, one tab) the new one was refused."""
    served = start_serve(project, "--max-sessions", "1")

    async def reload() -> object:
        async with aiohttp.ClientSession() as client:
            async with client.ws_connect(served.ws_url) as before:
                await asyncio.wait_for(before.receive(), 30)  # its app process drew its first bytes
            async with client.ws_connect(served.ws_url) as after:  # at once, as a reloaded page does
                message = await asyncio.wait_for(after.receive(), 30)
                return message.type if message.type == aiohttp.WSMsgType.BINARY else message

    import aiohttp

    try:
        assert asyncio.run(reload()) == aiohttp.WSMsgType.BINARY  # drawn by its app: not refused
    finally:
        assert stop_serve(served) == 0


def test_a_tab_waiting_at_the_cap_when_serve_stops_is_told_so_and_starts_no_app(project: Path) -> None:
    """Ctrl+C closed the open sessions, which freed the slot a waiting tab got: an app process
    started while serve stopped, and the stop waited for that session."""
    import aiohttp

    served = start_serve(project, "--max-sessions", "1")

    async def wait_then_stop() -> object:
        async with aiohttp.ClientSession() as client:
            async with client.ws_connect(served.ws_url) as first:
                await asyncio.wait_for(first.receive(), 30)
                waiting = asyncio.ensure_future(client.ws_connect(served.ws_url))  # waits for a slot
                await asyncio.to_thread(wait_until, lambda: len(_connections(served)) >= 2, 30,
                                        "the second tab's connection to the server")
                served.proc.send_signal(signal.SIGINT)
                async with await asyncio.wait_for(waiting, 30) as second:
                    message = await asyncio.wait_for(second.receive(), 30)
                    return message if message.type != aiohttp.WSMsgType.CLOSE else (message.data, message.extra)

    try:
        said = asyncio.run(wait_then_stop())  # no app process started for it, nor a wait for one to end
        assert said == (4503, "pyr-tui serve stopped (tasks keep running): start it again and open the new URL it prints")
    finally:
        assert stop_serve(served) == 0


def _connections(served: Served) -> list[object]:
    """The server's established connections (each tab's websocket)."""
    return [c for c in psutil.Process(served.proc.pid).net_connections() if c.status == psutil.CONN_ESTABLISHED]


def test_max_sessions_out_of_range_is_a_usage_error(project: Path) -> None:
    for value, said in (("0", "out of range 1-1000: 0"), ("-1", "out of range 1-1000: -1"),
                        ("1001", "out of range 1-1000: 1001"), ("x", "not a number of sessions: 'x'")):
        result = pyr(project, "serve", "--port", "0", "--max-sessions", value)
        assert result.code == 2 and "--max-sessions" in result.err and said in result.err, result.err
        assert "Traceback" not in result.err


@pytest.mark.browser
def test_a_refused_tab_says_why_in_the_page_and_restarts_once_a_tab_closed(project: Path, browser: object) -> None:
    """The extra tab hung on the intro screen, or said "Session ended." with no reason."""
    from selenium.webdriver.common.by import By

    driver = browser
    served = start_serve(project, "--max-sessions", "1")
    try:
        driver.get(served.url)  # type: ignore[attr-defined]
        wait_until(lambda: "Generator" in str(driver.execute_script(SCREEN_TEXT)), 60,  # type: ignore[attr-defined]
                   "the first tab's Generator form")
        first = driver.current_window_handle  # type: ignore[attr-defined]
        driver.switch_to.new_window("tab")  # type: ignore[attr-defined]
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": EXPOSE_TERMINAL})  # type: ignore[attr-defined]
        driver.get(served.url)  # type: ignore[attr-defined]
        dialog = driver.find_element(By.CSS_SELECTOR, ".closed-dialog")  # type: ignore[attr-defined]
        wait_until(dialog.is_displayed, 60, "the refused tab's closed dialog")
        said = dialog.find_element(By.CSS_SELECTOR, ".message").text
        assert "Refused" in said and "1 tab is open" in said and "close one" in said and "--max-sessions" in said, said
        # the option's name on one line: it broke at a hyphen, "higher --" then "max-sessions"
        assert driver.execute_script(LINES_OF, "--max-sessions") == 1  # type: ignore[attr-defined]

        second = driver.current_window_handle  # type: ignore[attr-defined]
        driver.switch_to.window(first)  # type: ignore[attr-defined]
        driver.close()  # type: ignore[attr-defined]
        driver.switch_to.window(second)  # type: ignore[attr-defined]

        def started_again() -> bool:
            if "Generator" in str(driver.execute_script(SCREEN_TEXT)):  # type: ignore[attr-defined]
                return True
            restart = driver.find_elements(By.CSS_SELECTOR, ".closed-dialog button")  # type: ignore[attr-defined]
            if restart and restart[0].is_displayed():
                restart[0].click()  # refused again while the closed tab's app process was still ending
            return False

        wait_until(started_again, 60, "the refused tab's Restart, once the other tab closed", interval=0.5)
    finally:
        assert stop_serve(served) == 0
