"""How `pyr-tui serve` is reached: the names it answers to, the page's requests, an HTTPS proxy."""

from __future__ import annotations

import asyncio
import http.client
import json
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("textual_serve", reason="the web extra is not installed: pip install -e '.[dev]'")
from tests.web.test_serve import (  # noqa: F401 (browser, project, served: fixtures)
    SCREEN_TEXT,
    Served,
    browser,
    http_status,
    project,
    served,
    start_serve,
    stop_serve,
    wait_until,
    ws_handshake_status,
)


def status_with_host(served: Served, host: str) -> tuple[int, str]:
    """A real GET of the printed URL (the page with the token), its Host header set to `host`."""
    port = int(served.root.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", f"/{served.page}/?token={served.token}", headers={"Host": host})
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def test_a_host_header_of_another_name_is_refused(served: Served) -> None:
    """DNS rebinding: a page of evil.example whose name now points at 127.0.0.1 sends its own
    name as Host. The token stops it already; the name stops it too (defence in depth)."""
    port = served.root.rsplit(":", 1)[1]
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", "localhost:9000", "LOCALHOST"):
        assert status_with_host(served, host)[0] == 303, host  # (the token is exchanged) any port: an ssh tunnel's local one differs
    for host in (f"evil.example:{port}", "evil.example", f"localhost.evil.example:{port}", ""):
        code, text = status_with_host(served, host)
        assert code == 403 and text.count("\n") == 1 and "Host" in text, (host, text)
    assert ws_handshake_status(served.ws_url, origin=None, host=f"evil.example:{port}") == 403


def test_allow_host_accepts_a_proxys_public_name(project: Path) -> None:
    served = start_serve(project, "--allow-host", "box.example.org")
    try:
        port = served.root.rsplit(":", 1)[1]
        assert status_with_host(served, "box.example.org")[0] == 303
        assert status_with_host(served, f"other.example.org:{port}")[0] == 403
        # a proxy that rewrites Host to ours keeps the browser's Origin, the name it was given
        assert ws_handshake_status(served.ws_url, origin="https://box.example.org") == 101
        assert ws_handshake_status(served.ws_url, origin="https://evil.example") == 403
    finally:
        stop_serve(served)


def test_localhost_prints_the_address_it_is_bound_to(project: Path) -> None:
    # `--host localhost` binds the first address the name resolves to (127.0.0.1 or ::1), not
    # both; a printed `http://localhost:P` or `ssh -L P:localhost:P` could reach the other one
    served = start_serve(project, "--host", "localhost")
    try:
        shown = served.root.split("://", 1)[1].rsplit(":", 1)[0].strip("[]")
        assert shown in ("127.0.0.1", "::1"), served.url
        assert http_status(served.url) == 200
        assert served.proc.stdout is not None
        assert f":{shown if shown != '::1' else '[::1]'}:" in served.proc.stdout.readline()
    finally:
        stop_serve(served)


def page_requests(driver: object) -> list[dict[str, object]]:
    """Every request (HTTP and websocket) the browser sent since the last call, from its DevTools log."""
    requests = []
    for entry in driver.get_log("performance"):  # type: ignore[attr-defined]
        message = json.loads(entry["message"])["message"]
        if message["params"].get("request", {}).get("url", "").startswith(("chrome:", "data:", "blob:")):
            continue  # the browser's own pages, and what the page made in memory
        if message["method"] == "Network.requestWillBeSent":
            requests.append({"url": message["params"]["request"]["url"],
                             "headers": message["params"]["request"].get("headers", {})})
        elif message["method"] == "Network.webSocketCreated":
            requests.append({"url": message["params"]["url"], "headers": {}})
    return requests


@pytest.mark.browser
def test_the_page_makes_no_request_outside_the_server(served: Served, browser: object) -> None:
    """textual-serve's page loaded a stylesheet from fonts.googleapis.com: a third party told, at
    every start, that this page was opened (the page's URL holds the token)."""
    driver = browser
    driver.get(served.url)  # type: ignore[attr-defined]
    wait_until(lambda: "Generator" in str(driver.execute_script(SCREEN_TEXT)), 60,  # type: ignore[attr-defined]
               "the Generator form in the browser")
    assert driver.execute_script(  # type: ignore[attr-defined]
        "return document.fonts.check('16px \"Roboto Mono\"') && [...document.fonts].some(f => f.status === 'loaded')")
    requests = page_requests(driver)
    ws_base = served.base.replace("http://", "ws://")
    assert any(str(r["url"]).startswith(f"{ws_base}/ws?") for r in requests), requests
    outside = [r["url"] for r in requests if not str(r["url"]).startswith((served.root + "/", ws_base + "/"))]
    print("REQ", [(r["url"], r["headers"].get("Referer")) for r in requests if "google" in str(r["url"])])
    assert outside == [], outside


class HttpsProxy:
    """An HTTPS reverse proxy that serves `upstream` under `/proxy/<port>/`, as code-server's,
    Codespaces' or jupyter-server-proxy's do: the prefix is stripped, the browser's Host, Origin
    and cookies are passed on with `X-Forwarded-Proto: https`, redirects and cookies come back,
    websockets are relayed. It runs its own event loop in a thread."""

    def __init__(self, upstream: str, certificate: Path, key: Path) -> None:
        self.upstream = upstream
        self.prefix = f"/proxy/{upstream.rsplit(':', 1)[1]}/"
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(certificate, key)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.port = 0

    def __enter__(self) -> HttpsProxy:
        self.thread.start()
        self.port = asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(30)
        return self

    def __exit__(self, *_: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}{self.prefix}"

    async def _stop(self) -> None:
        for websocket in list(self.websockets):  # the browser still holds its session open
            await websocket.close()
        await self.runner.cleanup()

    async def _start(self) -> int:
        from aiohttp import ClientSession, DummyCookieJar, web

        self.websockets: set[web.WebSocketResponse] = set()
        self.session = ClientSession(cookie_jar=DummyCookieJar())  # the browser keeps the cookies, not the proxy
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._handle)
        app.on_cleanup.append(lambda _: self.session.close())
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0, ssl_context=self.context)
        await site.start()
        return int(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]

    async def _handle(self, request):  # type: ignore[no-untyped-def]
        from aiohttp import WSMsgType, web

        if not request.raw_path.startswith(self.prefix):
            return web.Response(status=404, text="not under the proxy's prefix\n")
        target = self.upstream + request.raw_path[len(self.prefix) - 1:]
        headers = {"Host": request.headers["Host"], "X-Forwarded-Proto": "https"}
        if "Cookie" in request.headers:
            headers["Cookie"] = request.headers["Cookie"]
        if request.headers.get("Upgrade", "").lower() != "websocket":
            async with self.session.get(target, headers=headers, allow_redirects=False) as answer:
                passed = {name: answer.headers[name] for name in ("Location", "Set-Cookie") if name in answer.headers}
                return web.Response(status=answer.status, body=await answer.read(), headers=passed,
                                    content_type=answer.content_type)
        if "Origin" in request.headers:
            headers["Origin"] = request.headers["Origin"]
        async with self.session.ws_connect(target.replace("http://", "ws://"), headers=headers) as inner:
            outer = web.WebSocketResponse()
            await outer.prepare(request)
            self.websockets.add(outer)

            async def relay(source, sink) -> None:  # type: ignore[no-untyped-def]
                async for message in source:
                    if message.type == WSMsgType.TEXT:
                        await sink.send_str(message.data)
                    elif message.type == WSMsgType.BINARY:
                        await sink.send_bytes(message.data)
                await sink.close()

            await asyncio.gather(relay(outer, inner), relay(inner, outer), return_exceptions=True)
            return outer


@pytest.fixture
def certificate(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    if not shutil.which("openssl"):
        pytest.skip("no openssl to make the test proxy's certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True, timeout=60)
    yield cert, key


@pytest.mark.browser
def test_the_page_works_behind_an_https_proxy_under_a_path_prefix(served: Served, browser: object,
                                                                  certificate: tuple[Path, Path]) -> None:
    """The page named its websocket `ws://<Host>/<token>/ws` and its assets `/<token>/static/`:
    behind an HTTPS proxy the browser refused the insecure websocket, and under the proxy's path
    prefix every asset was a 404. Now it computes `wss://` and uses relative URLs."""
    driver = browser
    with HttpsProxy(served.root, *certificate) as proxy:
        driver.get(f"{proxy.url}{served.page}/?token={served.token}")  # type: ignore[attr-defined]
        wait_until(lambda: "Generator" in str(driver.execute_script(SCREEN_TEXT)), 60,  # type: ignore[attr-defined]
                   "the Generator form through the HTTPS proxy")
        sockets = [r["url"] for r in page_requests(driver) if str(r["url"]).startswith(("ws", "wss"))]
        wss_base = proxy.url.replace("https://", "wss://")
        assert sockets and all(str(url).startswith(f"{wss_base}{served.page}/ws?") for url in sockets), sockets
