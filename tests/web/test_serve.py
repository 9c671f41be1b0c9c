"""`pyr-tui serve`: the real server process, real HTTP/websocket clients, a real headless Chromium."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from tests.cli.helpers import pyr

# an older dev venv lacks the web extra: `pip install -e ".[dev]"` again (CI always has it)
pytest.importorskip("textual_serve", reason="the web extra is not installed: pip install -e '.[dev]'")
from tests.conftest import DEMO, require_backend

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


@dataclass
class Served:
    proc: subprocess.Popen[str]
    url: str
    project: Path

    @property
    def base(self) -> str:
        """The page's URL without the token or the trailing slash: `http://127.0.0.1:P/<page>`."""
        return self.url.split("/?", 1)[0]

    @property
    def root(self) -> str:
        return self.base.rsplit("/", 1)[0]

    @property
    def page(self) -> str:
        return self.base.rsplit("/", 1)[1]

    @property
    def token(self) -> str:
        return self.url.rsplit("token=", 1)[1]

    @property
    def ws_url(self) -> str:
        """The websocket of one session, as a script (no cookie) opens it: the token in the query."""
        return self.base.replace("http://", "ws://") + f"/ws?token={self.token}&width=80&height=24"


def wait_until(predicate, timeout: float, what: str, interval: float = 0.05):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def start_serve(project: Path, *args: str) -> Served:
    proc = subprocess.Popen(
        [sys.executable, "-m", "pyruns_tui", "serve", "--port", "0", *args],
        cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # the first line names the URL (or the server failed)
    if "http://" not in line:
        proc.kill()
        raise AssertionError(f"serve did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}")
    return Served(proc, line[line.index("http://"):].strip(), project)


def stop_serve(served: Served) -> int:
    if served.proc.poll() is None:
        served.proc.send_signal(signal.SIGINT)
    try:
        return served.proc.wait(timeout=30)
    finally:
        if served.proc.poll() is None:
            os.killpg(served.proc.pid, signal.SIGKILL)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(DEMO / "train.py", tmp_path / "train.py")
    assert pyr(tmp_path, "init", "train.py").code == 0
    (tmp_path / "spec.yaml").write_text("epochs: 1\nsteps: 2\nstep_time: 0.01\n")
    assert pyr(tmp_path, "gen", "spec.yaml", "-n", "made_by_cli").code == 0
    return tmp_path


@pytest.fixture
def served(project: Path) -> Iterator[Served]:
    served = start_serve(project, "train.py")
    yield served
    stop_serve(served)


def http_status(url: str) -> int:
    """The status of a GET as a browser ends up with it: redirects followed, cookies kept (a fresh jar)."""
    import http.cookiejar

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    try:
        with opener.open(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_every_http_request_needs_the_token(served: Served) -> None:
    token = served.token
    assert http_status(served.url) == 200
    assert http_status(f"{served.base}/static/js/textual.js?token={token}") == 200
    wrong = token[:-1] + ("A" if token[-1] != "A" else "B")
    for path in ("/", f"/?token={wrong}", "/?token=", f"/static/js/textual.js?token={wrong}", "/static/js/textual.js",
                 "/download/x", f"/ws?token={wrong}", "/ws"):
        assert http_status(served.base + path) == 403, path
    for path in ("/", f"/?token={wrong}", f"/{token}/static/js/textual.js", "/static/js/textual.js", "/download/x"):
        assert http_status(served.root + path) == 403, path


def test_every_answer_carries_the_no_store_no_referrer_no_frame_headers(served: Served) -> None:
    """The page had them; a refusal (403), a 404 (the router's: an exception) and a redirect did
    not: each of them can carry the token in its URL, or be framed."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    wrong = served.token[:-1] + ("A" if served.token[-1] != "A" else "B")
    seen = set()
    for url in (served.url, f"{served.base}/?token={wrong}", f"{served.base}/no/such/page?token={served.token}",
                f"{served.base}/static/js/textual.js?token={served.token}"):
        try:
            with opener.open(url, timeout=10) as response:
                status, headers = int(response.status), response.headers
        except urllib.error.HTTPError as exc:
            status, headers = exc.code, exc.headers
        seen.add(status)
        assert (headers.get("Cache-Control"), headers.get("Referrer-Policy"), headers.get("X-Frame-Options")) == (
            "no-store", "no-referrer", "DENY"), (url, status)
    assert {403, 404} <= seen, seen


def test_the_tab_is_named_for_the_workspace(served: Served) -> None:
    # the page had no <title>: every tab read `127.0.0.1:8765/<page>/`, tabs of two servers alike
    import http.cookiejar

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with opener.open(served.url, timeout=10) as response:
        page = response.read().decode()
    assert "<title>pyruns-tui · train</title>" in page


def ws_handshake_status(url: str, origin: str | None = None, host: str | None = None, cookie: str | None = None) -> int:
    import aiohttp

    async def attempt() -> int:
        headers = {"Origin": origin} if origin else {}
        if host:
            headers["Host"] = host
        if cookie:
            headers["Cookie"] = cookie
        async with aiohttp.ClientSession() as session:
            try:
                async with session.ws_connect(url, headers=headers) as ws:
                    await ws.close()
                    return 101
            except aiohttp.WSServerHandshakeError as exc:
                return exc.status

    return asyncio.run(attempt())


def test_a_websocket_without_the_token_is_refused(served: Served) -> None:
    ws_base = served.base.replace("http://", "ws://")
    wrong = "x" * len(served.token)
    assert ws_handshake_status(f"{ws_base}/ws") == 403
    assert ws_handshake_status(f"{ws_base}/ws?token={wrong}") == 403
    assert ws_handshake_status(f"{ws_base}/{wrong}/ws?token={wrong}") == 403
    # a page of another origin holding the token still cannot open the session from a victim's browser
    assert ws_handshake_status(f"{ws_base}/ws?token={served.token}", origin="http://evil.example") == 403


def app_processes(served: Served) -> list[psutil.Process]:
    return [p for p in psutil.Process(served.proc.pid).children(recursive=True) if "pyruns_tui" in " ".join(p.cmdline())]


def test_ctrl_c_ends_app_processes_and_tasks_keep_running(project: Path) -> None:
    (project / "long.yaml").write_text("epochs: 1000\nsteps: 1000\nstep_time: 0.05\n")
    assert pyr(project, "gen", "long.yaml", "-n", "long", "--run").code == 0
    served = start_serve(project)
    import aiohttp

    async def session_then_interrupt() -> int:
        async with aiohttp.ClientSession() as client:
            async with client.ws_connect(served.ws_url) as ws:
                await asyncio.wait_for(ws.receive(), 30)  # the app process drew its first bytes
                apps = app_processes(served)
                assert apps, "no app process started for the browser session"
                served.proc.send_signal(signal.SIGINT)
                code = await asyncio.to_thread(served.proc.wait, 30)
                for app in apps:
                    wait_until(lambda app=app: not app.is_running() or app.status() == psutil.STATUS_ZOMBIE, 10,
                               f"app process {app.pid} to end")
                return code

    try:
        assert asyncio.run(session_then_interrupt()) == 0
    finally:
        stop_serve(served)
    shown = pyr(project, "ls", "--json").json()
    long_task = next(t for t in shown if t["name"] == "long")
    assert long_task["status"] == "running"
    pyr(project, "stop", "long")


def _gone(process: psutil.Process) -> bool:
    try:
        return not process.is_running() or process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _kill_left(processes: list[psutil.Process]) -> None:
    for process in processes:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass


def test_app_processes_end_when_the_server_is_killed(project: Path) -> None:
    """`kill -9` of serve (or its crash, or the OOM killer) left the app process of every open
    tab running for ever, an orphan reading the workspace with nobody to draw for: Textual's
    web driver stopped reading at the end of its stdin and went on. Nothing listens after it."""
    import aiohttp

    served = start_serve(project)
    apps: list[psutil.Process] = []

    async def session_then_kill() -> None:
        async with aiohttp.ClientSession() as client:
            async with client.ws_connect(served.ws_url) as ws:
                await asyncio.wait_for(ws.receive(), 30)  # the app process drew its first bytes
                apps.extend(app_processes(served))
                assert apps, "no app process started for the browser session"
                served.proc.send_signal(signal.SIGKILL)
                await asyncio.to_thread(served.proc.wait, 30)

    try:
        asyncio.run(session_then_kill())
        for app in apps:
            wait_until(lambda app=app: _gone(app), 30, f"app process {app.pid} ({' '.join(app.cmdline())}) to end")
        port = int(served.root.rsplit(":", 1)[1])
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=10).close()
    finally:
        _kill_left(apps)
        stop_serve(served)


def test_a_session_that_does_not_quit_is_killed_app_and_all(served: Served) -> None:
    """A closed tab whose app does not quit within the grace is killed: the app itself. It was
    started through `/bin/sh -c`, the kill reached the shell, and the app ran on, an orphan."""
    import aiohttp

    apps: list[psutil.Process] = []

    async def stuck_session() -> None:
        async with aiohttp.ClientSession() as client:
            async with client.ws_connect(served.ws_url) as ws:
                await asyncio.wait_for(ws.receive(), 30)
                apps.extend(p for p in app_processes(served) if "-m" in p.cmdline())  # the app, not a shell
                assert apps, "no app process started for the browser session"
                for app in apps:
                    app.suspend()  # it cannot quit when asked: the tab closes now

    try:
        asyncio.run(stuck_session())
        for app in apps:
            wait_until(lambda app=app: _gone(app), 30, f"app process {app.pid} to be killed")
    finally:
        _kill_left(apps)


def test_the_websocket_url_opened_as_a_page_is_a_400_without_a_traceback(served: Served) -> None:
    # a GET without the upgrade (the URL pasted into a tab, a proxy that drops the header) was a
    # 500 and a traceback on serve's terminal ("Call .prepare() first")
    assert http_status(f"{served.base}/ws?token={served.token}") == 400
    assert http_status(served.url) == 200
    stop_serve(served)
    assert served.proc.stderr is not None and served.proc.stdout is not None
    output = served.proc.stdout.read() + served.proc.stderr.read()
    assert "Traceback" not in output and "Error handling request" not in output, output


def test_messages_that_are_not_the_pages_leave_the_session_and_the_terminal_alone(served: Served) -> None:
    # textual-serve's loop ended the session with a traceback on serve's terminal on the first
    # text that was not a JSON `[type, data]`
    import aiohttp

    async def odd_messages() -> object:
        async with aiohttp.ClientSession() as client:
            async with client.ws_connect(served.ws_url) as ws:
                await asyncio.wait_for(ws.receive(), 30)
                for odd in ("not json", '{"a": 1}', "[1, 2, 3]", '["resize", {"width": "x", "height": null}]',
                            '["stdin", 5]'):
                    await ws.send_str(odd)
                await ws.send_str('["ping", "still here"]')
                while True:  # the app's screen updates come as bytes; the pong is text
                    message = await asyncio.wait_for(ws.receive(), 30)
                    if message.type != aiohttp.WSMsgType.BINARY:
                        return message.data

    assert asyncio.run(odd_messages()) == '["pong", "still here"]'
    stop_serve(served)
    assert served.proc.stderr is not None and served.proc.stdout is not None
    output = served.proc.stdout.read() + served.proc.stderr.read()
    assert "Traceback" not in output and "Error handling request" not in output, output


def test_a_runner_started_from_the_browser_hands_no_web_settings_to_its_tasks(served: Served) -> None:
    """The Manager's `r` in a browser tab starts the runner from the app process; textual-serve's
    settings for that process (TEXTUAL_DRIVER, TERM_PROGRAM=textual...) went on to every task it
    ran, recorded in each run's environment."""
    import aiohttp

    async def run_from_the_manager() -> None:
        async with aiohttp.ClientSession() as client:
            async with client.ws_connect(served.ws_url) as ws:
                await asyncio.wait_for(ws.receive(), 30)
                await ws.send_json(["stdin", "2"])  # the Manager, its one task selected
                drawn = b""
                while b"made_by_cli" not in drawn:
                    message = await asyncio.wait_for(ws.receive(), 30)
                    drawn += message.data if message.type == aiohttp.WSMsgType.BINARY else b""
                await ws.send_json(["stdin", "r"])
                await asyncio.to_thread(wait_until, lambda: _status(served, "made_by_cli") == "completed", 60,
                                        "the task run by the runner the browser session started")

    asyncio.run(run_from_the_manager())
    env = pyr(served.project, "show", "made_by_cli", "--env").out
    names = {line.split("=", 1)[0] for line in env.splitlines() if "=" in line}
    assert "PYRUNS_TASK_DIR" in names  # (the run's environment is what is shown)
    assert not names & {"TEXTUAL_DRIVER", "TEXTUAL_FPS", "TEXTUAL_COLOR_SYSTEM", "TERM_PROGRAM_VERSION", "ROWS"}, env
    assert "TERM_PROGRAM=textual" not in env.splitlines()


def _status(served: Served, name: str) -> str:
    return str(next(t["status"] for t in pyr(served.project, "ls", "--json").json() if t["name"] == name))


def test_the_token_is_never_written_into_the_workspace(served: Served) -> None:
    import aiohttp

    async def one_session() -> None:
        async with aiohttp.ClientSession() as client:
            async with client.ws_connect(served.ws_url) as ws:
                await asyncio.wait_for(ws.receive(), 30)

    asyncio.run(one_session())
    stop_serve(served)
    token = served.token.encode()
    for path in (served.project / "_pyruns_").rglob("*"):
        if path.is_file() and not path.is_symlink():
            assert token not in path.read_bytes(), path


def test_a_non_loopback_address_warns(project: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "pyruns_tui", "serve", "--host", "0.0.0.0", "--port", "0"],
        cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    try:
        assert proc.stderr is not None
        warning = proc.stderr.readline()
        assert "warning" in warning and "0.0.0.0" in warning
        assert proc.stdout is not None
        url = proc.stdout.readline().split(" at ", 1)[1].strip()  # serving, on every address: loopback too
        assert url.startswith("http://127.0.0.1:") and http_status(url) == 200
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0


@pytest.mark.parametrize("host", ["127.1", "LOCALHOST"])
def test_a_host_that_binds_loopback_gives_no_warning_and_the_tunnel(project: Path, host: str) -> None:
    """`--host $(hostname)` (127.0.1.1 in a Debian /etc/hosts), `127.1`, `LOCALHOST` bind loopback:
    the name was judged, not the address, so they warned "not only this machine" and said to
    open the URL from another machine, where nothing answers."""
    served = start_serve(project, "--host", host)
    try:
        port = served.url.split("//127.0.0.1:", 1)[1].split("/", 1)[0]
        assert served.proc.stdout is not None
        assert f"ssh -L {port}:127.0.0.1:{port} " in served.proc.stdout.readline()
    finally:
        stop_serve(served)
    assert served.proc.stderr is not None and served.proc.stderr.read() == ""


def test_host_0_is_every_address_reached_on_loopback(project: Path) -> None:
    # `--host 0` binds 0.0.0.0 and printed http://0.0.0.0:P/... and no tunnel, and gave no warning of it
    proc = subprocess.Popen(
        [sys.executable, "-m", "pyruns_tui", "serve", "--host", "0", "--port", "0"],
        cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    try:
        assert proc.stderr is not None and proc.stdout is not None
        warning = proc.stderr.readline()
        assert "warning" in warning and "0.0.0.0" in warning
        url = proc.stdout.readline().split(" at ", 1)[1].strip()
        assert url.startswith("http://127.0.0.1:") and http_status(url) == 200
        assert "ssh -L " in proc.stdout.readline()
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0


def test_the_url_and_the_tunnel_printed_name_the_address_it_listens_on(project: Path) -> None:
    # `--host ::1` printed `ssh -L P:127.0.0.1:P`, a tunnel to an address nobody listened on
    try:
        socket.create_server(("::1", 0), family=socket.AF_INET6).close()
    except OSError:
        pytest.skip("no IPv6 loopback here")
    served = start_serve(project, "--host", "::1")
    try:
        assert served.url.startswith("http://[::1]:") and http_status(served.url) == 200
        port = served.url.split("]:", 1)[1].split("/", 1)[0]
        assert served.proc.stdout is not None
        assert f"ssh -L {port}:[::1]:{port} " in served.proc.stdout.readline()
    finally:
        stop_serve(served)


def test_sessions_that_end_leave_no_child_watcher_noise(project: Path) -> None:
    """Browser sessions ending every way (the app quits itself, the tab closes, Ctrl+C while one
    is open) print nothing on stderr; "Unknown child process pid ..., will report returncode
    255" came for each one when serve was started with SIGCHLD ignored (the kernel reaped the app
    processes before asyncio could), and now and then when a kill raced an app's exit."""
    import aiohttp

    proc = subprocess.Popen(
        [sys.executable, "-m", "pyruns_tui", "serve", "--port", "0"], cwd=project, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGCHLD, signal.SIG_IGN),  # as a launcher that ignores it leaves it
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert "http://" in line, line
    served = Served(proc, line[line.index("http://"):].strip(), project)
    ws_url = served.ws_url

    async def sessions() -> None:
        async with aiohttp.ClientSession() as client:
            for _ in range(2):
                async with client.ws_connect(ws_url) as ws:  # the app quits itself (ctrl+q)
                    await asyncio.wait_for(ws.receive(), 30)
                    await ws.send_json(["stdin", "\x11"])
                    await asyncio.wait_for(_until_closed(ws), 30)
                async with client.ws_connect(ws_url) as ws:  # the tab closes
                    await asyncio.wait_for(ws.receive(), 30)
            async with client.ws_connect(ws_url) as ws:  # still open at Ctrl+C
                await asyncio.wait_for(ws.receive(), 30)
                proc.send_signal(signal.SIGINT)
                await asyncio.to_thread(proc.wait, 30)

    try:
        asyncio.run(sessions())
        out, err = proc.communicate(timeout=30)
    finally:
        stop_serve(served)
    assert proc.returncode == 0
    assert "Unknown child process" not in out + err
    assert err == ""


async def _until_closed(ws) -> None:  # type: ignore[no-untyped-def]
    async for _ in ws:
        pass


def test_a_busy_port_is_one_clear_error(project: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = pyr(project, "serve", "--port", str(port))
    assert result.code == 1
    assert result.err.count("\n") == 1 and f"127.0.0.1:{port}" in result.err and "--port" in result.err
    assert "Traceback" not in result.err


# The page draws the terminal on a canvas; xterm.js's own screen buffer is the browser's truth of
# what it shows. This hook keeps a reference to it when textual-serve's client creates it.
EXPOSE_TERMINAL = """
Object.defineProperty(Object.prototype, 'terminal', {
  configurable: true,
  set(value) {
    if (value && value.buffer) { window.__pyrunsTerminal = value; }
    Object.defineProperty(this, 'terminal', {value, writable: true, configurable: true, enumerable: true});
  },
});
"""

SCREEN_TEXT = """
const t = window.__pyrunsTerminal;
if (!t) { return ''; }
const b = t.buffer.active, rows = [];
for (let i = 0; i < t.rows; i++) { const line = b.getLine(b.viewportY + i); rows.push(line ? line.translateToString(true) : ''); }
return rows.join('\\n');
"""


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    require_backend("browser", bool(CHROMIUM and CHROMEDRIVER),
                    "no chromium/chromedriver (Debian: apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-quic", "--window-size=1200,760", f"--user-data-dir={tmp_path / 'chromium-profile'}",
                 "--ignore-certificate-errors"):  # the self-signed certificate of a test's HTTPS proxy
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})  # every request the page makes
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": EXPOSE_TERMINAL})
    try:
        yield driver
    finally:
        driver.quit()


@pytest.mark.browser
def test_the_app_in_a_real_browser(served: Served, browser: object, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    driver = browser
    driver.get(served.url)  # type: ignore[attr-defined]

    def screen() -> str:
        return str(driver.execute_script(SCREEN_TEXT))  # type: ignore[attr-defined]

    # the Generator form of the demo script, drawn by a real app process
    wait_until(lambda: "Generator" in screen() and "lr" in screen() and "optimizer" in screen(), 60,
               "the Generator form in the browser")
    keys = driver.find_element(By.CSS_SELECTOR, ".xterm-helper-textarea")  # type: ignore[attr-defined]
    keys.send_keys("2")
    wait_until(lambda: "made_by_cli" in screen(), 30, "the Manager listing the task created through the CLI")
    shot = tmp_path / "manager.png"
    assert driver.save_screenshot(str(shot)) and shot.stat().st_size > 10_000  # type: ignore[attr-defined]
    if os.environ.get("PYRUNS_DOCS_SCREENSHOT"):
        shutil.copy(shot, os.environ["PYRUNS_DOCS_SCREENSHOT"])
    # without the token (nor the cookie it was exchanged for) the same browser gets nothing
    driver.delete_all_cookies()  # type: ignore[attr-defined]
    driver.get(served.base + "/")  # type: ignore[attr-defined]
    assert "403" in driver.page_source  # type: ignore[attr-defined]


def test_without_the_web_extra_serve_says_how_to_install(project: Path) -> None:
    code = "import sys; sys.modules['textual_serve'] = None; from pyruns_tui.cli import main; sys.exit(main(['serve']))"
    result = subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "pip install 'pyruns-tui[web]'" in result.stderr


def test_the_url_is_not_printed_into_a_file_other_users_can_read(project: Path, tmp_path: Path) -> None:
    """`pyr-tui serve > serve.log &` under umask 022 wrote the token into a 0644 file: anyone on
    the box could read it and drive the app as its owner. Refused, one line; a 0600 file serves."""
    log = tmp_path / "serve.log"
    log.touch()
    log.chmod(0o644)
    with log.open("w") as out:
        refused = subprocess.run([sys.executable, "-m", "pyruns_tui", "serve", "--port", "0"], cwd=project,
                                 stdout=out, stderr=subprocess.PIPE, text=True, timeout=60)
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1 and str(log) in refused.stderr and "chmod 600" in refused.stderr
    assert "token=" not in log.read_text() and "Traceback" not in refused.stderr

    log.chmod(0o600)
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "pyruns_tui", "serve", "--port", "0"], cwd=project,
                                stdout=out, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        url = wait_until(lambda: "token=" in log.read_text() and log.read_text().split(" at ", 1)[1].split()[0], 60,
                         "the URL in the 0600 log")
        assert http_status(url) == 200
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0


@pytest.mark.browser
def test_a_tab_says_when_serve_stopped(served: Served, browser: object) -> None:
    """Ctrl+C of serve left every open tab at "Session ended." and a Restart button that loads a
    page the next start does not serve (a new page and token): nothing said that serve stopped.
    (The terminal's SIGINT reached the app processes too, which ended before serve could say so.)"""
    from selenium.webdriver.common.by import By

    driver = browser
    driver.get(served.url)  # type: ignore[attr-defined]
    wait_until(lambda: "Generator" in str(driver.execute_script(SCREEN_TEXT)), 60,  # type: ignore[attr-defined]
               "the Generator form in the browser")
    apps = app_processes(served)
    assert apps and all(os.getpgid(app.pid) != os.getpgid(served.proc.pid) for app in apps)
    os.killpg(served.proc.pid, signal.SIGINT)  # as Ctrl+C in serve's terminal: to its whole process group
    assert served.proc.wait(timeout=30) == 0
    closed = "return document.body.classList.contains('-closed')"
    wait_until(lambda: driver.execute_script(closed), 30, "the page to see its session closed")  # type: ignore[attr-defined]
    message = driver.find_element(By.CSS_SELECTOR, ".closed-dialog .message").text  # type: ignore[attr-defined]
    assert "pyr-tui serve stopped" in message and "tasks keep running" in message
    assert not driver.find_element(By.CSS_SELECTOR, ".closed-dialog button").is_displayed()  # type: ignore[attr-defined]


@pytest.mark.browser
def test_the_help_in_a_tab_names_what_replaces_the_keys_the_browser_keeps(served: Served, browser: object) -> None:
    # `?` listed ctrl+t (pin) and ctrl+n (name prefix) in a browser tab, where they open a tab and
    # a window, and named no other way to do either
    from selenium.webdriver.common.by import By

    driver = browser
    driver.get(served.url)  # type: ignore[attr-defined]

    def screen() -> str:
        return str(driver.execute_script(SCREEN_TEXT))  # type: ignore[attr-defined]

    wait_until(lambda: "Generator" in screen() and "optimizer" in screen(), 60, "the Generator form in the browser")
    driver.find_element(By.CSS_SELECTOR, ".xterm-helper-textarea").send_keys("?")  # type: ignore[attr-defined]
    wait_until(lambda: "pyruns-tui keys" in screen(), 30, "the help")
    assert "In a browser tab ctrl+n, ctrl+t and ctrl+w stay with the browser" in " ".join(screen().split()), screen()


@pytest.mark.browser
def test_the_footer_in_a_tab_offers_no_key_the_browser_keeps(served: Served, browser: object) -> None:
    # the Generator's footer offered `^t Pin` in a browser tab, where ctrl+t opens a new tab
    driver = browser
    driver.get(served.url)  # type: ignore[attr-defined]

    def footer() -> str:
        return str(driver.execute_script(SCREEN_TEXT)).rstrip("\n").rsplit("\n", 1)[-1]  # type: ignore[attr-defined]

    wait_until(lambda: "^s Create" in footer() and "^f Find" in footer(), 60, "the Generator's footer in the browser")
    assert "^t" not in footer(), footer()
