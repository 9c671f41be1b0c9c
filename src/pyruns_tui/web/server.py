"""The browser view: the very same Textual app, one real app process per browser session.

textual-serve does the work (an aiohttp server, xterm.js in the page, a websocket per session
that drives an app process started with Textual's web driver). This module adds what a shared
GPU box needs around it:

- a random token required on every HTTP and websocket request (403 otherwise, compared in
  constant time). The printed URL's `?token=` is exchanged at its first load: a redirect to the
  clean page URL sets an HttpOnly, SameSite=Strict cookie, and the page, its assets and its
  websocket use that cookie, so the token stays out of the address bar, the history and every
  URL the page uses. The page lives under a random path segment (`/<page>/`) and the cookie has
  no Path attribute, so the browser scopes it to that folder as it sees it (a proxy's prefix
  included): cookies are not scoped by port, and another local user's server on 127.0.0.1
  never gets a request under that unguessable path, so it never receives the cookie;
- at most `max_sessions` app processes at once (one per tab, ~50 MB each): a tab past the cap
  is told why and how to fix it in the page (its websocket closes with SESSION_REFUSED);
- a Host header that names this server (defence in depth against DNS rebinding: a page of
  another site whose name was pointed at 127.0.0.1 sends its own name): 403 otherwise;
- a page that makes no request outside this server (textual-serve's own loaded Google Fonts, a
  third party told the page's address) and uses relative URLs: it works behind an HTTPS reverse
  proxy (the websocket's `wss://` is computed in the page) and under a path prefix;
- no access log (it would record the token), no download route (the app delivers no files);
- a clean stop: every app process is asked to quit, then killed if it lingers; the tasks keep
  running under the workspace's runner, which is not a child of any app process.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import logging
import secrets
import signal
import socket
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp_jinja2
import jinja2
from aiohttp import WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.server import Server

QUIT_GRACE_S = 5.0
SLOT_WAIT_S = QUIT_GRACE_S + 1.0  # how long a tab opened at the cap waits for an ending session's slot
APP_DRIVER = "pyruns_tui.web.driver:ServedDriver"
TEMPLATES = Path(__file__).with_name("templates")
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
SESSION_REFUSED = 4429  # the websocket close code (private range) of a tab past the cap; the page shows its reason
SERVER_STOPPED = 4503  # the close code of every open tab when serve stops: the page says so, without a Restart
STOPPED_REASON = "pyr-tui serve stopped (tasks keep running): start it again and open the new URL it prints"


class ServedApp(AppService):
    """One browser session's app process, started with the driver that quits when we are gone."""

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        environment = super()._build_environment(width, height)
        environment["TEXTUAL_DRIVER"] = APP_DRIVER
        return environment

    async def _open_app_process(self, width: int = 80, height: int = 24) -> asyncio.subprocess.Process:
        """textual-serve's, but in a session of its own: Ctrl+C in serve's terminal reaches serve
        alone, which closes each tab saying it stopped, then ends the app; the app processes got
        the SIGINT too, ended first, and every tab said only "Session ended."."""
        self._process = process = await asyncio.create_subprocess_shell(
            self.command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self._build_environment(width=width, height=height),
            start_new_session=True,
        )
        assert process.stdin is not None
        self._stdin = process.stdin
        return process


def _harden(headers: Any) -> None:
    """What every answer of the server carries, a refusal and a 404 too: never cached, never sent
    on as a referrer (the URL holds the token), never framed by another page."""
    headers["Cache-Control"] = "no-store"
    headers["Referrer-Policy"] = "no-referrer"
    headers["X-Frame-Options"] = "DENY"


def new_token() -> str:
    """A fresh URL-safe token (256 bits)."""
    return secrets.token_urlsafe(32)


def new_page() -> str:
    """A fresh path segment for the page (64 bits): unguessable, so no other server on this host
    name is ever asked for a URL under it, and the cookie scoped to it reaches none of them."""
    return secrets.token_hex(8)


def over_https(request: web.Request) -> bool:
    """True when the browser reached us over https: directly, or through a proxy that says so."""
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return request.secure or forwarded == "https"


def is_loopback(host: str) -> bool:
    """True when `host` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_unspecified(address: str) -> bool:
    """True for the address that stands for every address of the machine (0.0.0.0, ::)."""
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_unspecified
    except ValueError:
        return False


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (port 0: a free one); OSError if that fails."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def host_name(header: str) -> str:
    """The name in a Host (or Origin without its scheme) header, lower case, without the port."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def is_ip_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def allowed_host_names(host: str, extra: Iterable[str] = (), every_address: bool = False) -> frozenset[str]:
    """The names a browser may use for a server bound to `host`: loopback's, `host`'s own, the
    machine's names when `host` stands for every address (or `every_address`: `--host 0` is
    bound to 0.0.0.0), and `extra` (a proxy's public name)."""
    names = set(LOOPBACK_NAMES) | {host_name(name) for name in extra}
    if every_address or host in ("0.0.0.0", "::", ""):
        names |= {socket.gethostname().lower(), socket.getfqdn().lower()}
    else:
        names.add(host_name(host if ":" not in host or host.startswith("[") else f"[{host}]"))
    return frozenset(names)


class TokenServer(Server):
    """textual-serve's Server behind a token, without logs of URLs, stoppable from the outside."""

    def __init__(self, app_command: str, token: str, page: str, title: str, host_names: frozenset[str],
                 max_sessions: int) -> None:
        super().__init__(app_command, title=title, templates_path=str(TEMPLATES))
        self.token = token
        self.page = page
        self.cookie_name = f"pyruns_{page}"  # named for the page: another server's cookie never shadows it
        self.host_names = host_names
        self.max_sessions = max_sessions
        self.sessions: set[web.WebSocketResponse] = set()
        self.services: set[AppService] = set()
        self.slot_freed = asyncio.Condition()  # notified whenever a session's slot is freed
        self.stopping = False

    def token_matches(self, request: web.Request) -> bool:
        """The URL's `?token=` when it has one (the printed URL, a script), else the page's cookie."""
        given = request.query["token"] if "token" in request.query else request.cookies.get(self.cookie_name, "")
        return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), self.token.encode())

    @web.middleware
    async def require_token(self, request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            response = await self._checked(request, handler)
        except web.HTTPException as exc:  # a 404 of the router, a redirect: their headers too
            _harden(exc.headers)
            raise
        _harden(response.headers)
        return response

    async def _checked(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if not self.host_allowed(request.headers.get("Host", "")):
            return web.Response(status=403, text="403: unknown Host header; open the URL `pyr-tui serve` printed "
                                                 "(behind a proxy that forwards its own name: --allow-host NAME)\n")
        if not self.token_matches(request):
            return web.Response(status=403, text="403: a valid token is required (use the URL `pyr-tui serve` printed)\n")
        if request.headers.get("Upgrade", "").lower() == "websocket" and not self._same_origin(request):
            return web.Response(status=403, text="403: cross-origin websocket refused\n")
        return await handler(request)

    def host_allowed(self, header: str) -> bool:
        """A Host that is an IP address cannot be a rebinding attacker's (that needs a name it
        controls); a name must be one this server was told it goes by."""
        name = host_name(header)
        return bool(name) and (name in self.host_names or is_ip_address(name))

    def _same_origin(self, request: web.Request) -> bool:
        origin = request.headers.get("Origin")
        if origin is None:
            return True
        origin_host = origin.split("://", 1)[-1]
        # a proxy that rewrites Host to ours keeps the browser's Origin: its name, given by --allow-host
        return origin_host == request.host or host_name(origin_host) in self.host_names - LOOPBACK_NAMES

    async def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[self.require_token])
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(self.templates_path))
        app.add_routes(
            [
                web.get("/", self.handle_root),
                web.get(f"/{self.page}", self.handle_unslashed),
                web.get(f"/{self.page}/", self.handle_index, name="index"),
                web.get(f"/{self.page}/ws", self.handle_websocket, name="websocket"),
                web.static(f"/{self.page}/static", self.statics_path, name="static"),
            ]
        )
        app.on_shutdown.append(self.on_shutdown)
        return app

    async def handle_root(self, request: web.Request) -> web.StreamResponse:
        return web.Response(status=404, text=f"404: the page is at {self.page}/ under this address; "
                                             "open the whole URL `pyr-tui serve` printed\n")

    async def handle_unslashed(self, request: web.Request) -> web.StreamResponse:
        """`.../<page>` without its slash (a proxy URL typed short): the page's relative URLs would
        resolve one folder up, so the browser is sent to `.../<page>/`, the query kept."""
        query = request.rel_url.raw_query_string
        return web.Response(status=302, headers={"Location": f"{self.page}/" + (f"?{query}" if query else "")})

    async def handle_index(self, request: web.Request) -> web.StreamResponse:  # type: ignore[override]
        if "token" in request.query:
            return self._exchange_token(request)
        # relative URLs: the page works under a proxy's path prefix (`/proxy/8765/`), and the page
        # itself makes the websocket's absolute URL from its own (`wss://` when it came over https)
        context = {
            "font_size": _int_arg(request.query.get("fontsize"), 16),
            "app_websocket_url": "ws",
            "config": {"static": {"url": "static/"}},
            "application": {"name": self.title},
            "session_refused": SESSION_REFUSED,
            "server_stopped": SERVER_STOPPED,
        }
        return aiohttp_jinja2.render_template("app_index.html", request, context)

    def _exchange_token(self, request: web.Request) -> web.StreamResponse:
        """The printed URL's load (a bookmark's too): a redirect to the same page without the token,
        setting the cookie that lets the page, its assets and its websocket in from then on."""
        kept = [(name, value) for name, value in request.query.items() if name != "token"]
        location = "./" + (f"?{urlencode(kept)}" if kept else "")
        response = web.Response(status=303, headers={"Location": location})
        # no Path attribute (path=""): the browser scopes the cookie to the folder of the URL it
        # used, `/<page>` or a proxy's `/proxy/8765/<page>`, which this server cannot see
        response.set_cookie(self.cookie_name, self.token, path="", httponly=True, samesite="Strict",
                            secure=over_https(request))
        return response

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        websocket = web.WebSocketResponse(heartbeat=15)
        if not await self._wait_for_a_slot():
            return await self._refuse(websocket, request)
        if self.stopping:  # it waited at the cap while serve stopped: no app process now
            await websocket.prepare(request)
            await websocket.close(code=SERVER_STOPPED, message=STOPPED_REASON.encode())
            return websocket
        width = _int_arg(request.query.get("width"), 80)
        height = _int_arg(request.query.get("height"), 24)
        service: AppService | None = None
        self.sessions.add(websocket)
        try:
            await websocket.prepare(request)
            async def close() -> None:
                await websocket.close()

            service = ServedApp(
                self.command,
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=close,
                download_manager=self.download_manager,
                debug=False,
            )
            self.services.add(service)
            await service.start(width, height)
            await self._process_messages(websocket, service)
        except (asyncio.CancelledError, ConnectionResetError):
            pass
        finally:
            if service is not None:
                await _stop_service(service)
                self.services.discard(service)
            self.sessions.discard(websocket)  # its slot is free once its app process has ended
            async with self.slot_freed:
                self.slot_freed.notify_all()
            if websocket.prepared and not websocket.closed:  # not prepared: no upgrade, a 400 goes out
                await websocket.close()
        return websocket

    async def _wait_for_a_slot(self) -> bool:
        """True when a session may start: under the cap at once, at the cap once a session has
        ended within SLOT_WAIT_S. A reloaded tab's new session came while its old one's app
        process was still quitting, and was refused at the cap (`--max-sessions 1`: every reload)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SLOT_WAIT_S
        async with self.slot_freed:
            while len(self.sessions) >= self.max_sessions and not self.stopping:
                try:
                    await asyncio.wait_for(self.slot_freed.wait(), deadline - loop.time())
                except asyncio.TimeoutError:
                    return False
        return True

    async def _refuse(self, websocket: web.WebSocketResponse, request: web.Request) -> web.WebSocketResponse:
        """A tab past the cap: no app process; its page shows the close's reason (what, why, fix)."""
        await websocket.prepare(request)
        await websocket.close(code=SESSION_REFUSED, message=refusal(self.max_sessions).encode())
        return websocket

    async def _process_messages(self, websocket: web.WebSocketResponse, app_service: AppService) -> None:
        """The browser's messages to its app; one that is not the page's (not JSON, not
        `[type, data]`) is dropped (textual-serve's own loop ended the session on it with a
        traceback on the server's terminal), and a size is kept within what `_int_arg` allows."""
        async for message in websocket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                kind, data = json.loads(message.data)
            except (ValueError, TypeError):
                continue
            if kind == "stdin" and isinstance(data, str):
                await app_service.send_bytes(data.encode("utf-8"))
            elif kind == "resize" and isinstance(data, dict):
                await app_service.set_terminal_size(_int_arg(str(data.get("width")), 80),
                                                    _int_arg(str(data.get("height")), 24))
            elif kind == "ping":
                await websocket.send_json(["pong", data])
            elif kind == "blur":
                await app_service.blur()
            elif kind == "focus":
                await app_service.focus()

    async def on_shutdown(self, app: web.Application) -> None:
        # "Session ended." and a Restart that reloads a page this server no longer serves (the
        # next start has a new page and token) told nobody that serve itself had stopped
        self.stopping = True
        async with self.slot_freed:  # a tab waiting at the cap is told, and starts no app process
            self.slot_freed.notify_all()
        for websocket in list(self.sessions):
            await websocket.close(code=SERVER_STOPPED, message=STOPPED_REASON.encode())
        await asyncio.gather(*(_stop_service(s) for s in list(self.services)), return_exceptions=True)

    async def run_until_stopped(self, sock: socket.socket, stop: asyncio.Event, ready: Callable[[], None]) -> None:
        runner = web.AppRunner(await self._make_app(), access_log=None, handle_signals=False)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        ready()
        try:
            await stop.wait()
        finally:
            await runner.cleanup()


async def _stop_service(service: AppService) -> None:
    """Ask the app process to quit; kill it when it has not ended within QUIT_GRACE_S.

    Its end is awaited before any kill: asyncio's child watcher (a thread in waitpid) reads its
    exit status, and `kill()` polls the process first (Popen.send_signal), so a kill just after
    it exited could reap it first and the watcher warned "Unknown child process pid ..."."""
    process = service._process
    loop = asyncio.get_running_loop()
    deadline = loop.time() + QUIT_GRACE_S
    try:
        await asyncio.wait_for(service.stop(), QUIT_GRACE_S)
    except (asyncio.TimeoutError, OSError, RuntimeError):
        pass
    if process is None:
        return
    try:
        await asyncio.wait_for(process.wait(), max(0.0, deadline - loop.time()))
    except asyncio.TimeoutError:
        if process.returncode is None:
            process.kill()
            await process.wait()


def refusal(max_sessions: int) -> str:
    """Why a tab got no session, and what to do; at most 123 bytes (a websocket close's reason)."""
    tabs = "1 tab is" if max_sessions == 1 else f"{max_sessions} tabs are"
    return f"Refused: {tabs} open (this server's limit): close one and Restart, or serve with a higher --max-sessions"


def _int_arg(value: str | None, default: int) -> int:
    try:
        return max(1, min(int(value or default), 1000))
    except ValueError:
        return default


def serve(app_argv: list[str], sock: socket.socket, token: str, page: str, title: str, ready: Callable[[], None],
          host_names: frozenset[str], max_sessions: int) -> None:
    """Serve the app started by `app_argv` on the bound `sock` until SIGINT/SIGTERM/SIGHUP.

    `ready` is called once requests are answered and the signals are handled (print the URL there).
    """
    import shlex

    logging.getLogger("textual-serve").setLevel(logging.WARNING)
    # app processes are our children, their exit read by asyncio: a SIGCHLD ignored by whoever
    # started us (inherited across exec) has the kernel reap them itself, and asyncio warned
    # "Unknown child process pid ..." for every session that ended
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    # `exec`: the shell textual-serve starts it with becomes the app, so a kill of a lingering
    # session reaches the app itself (it killed the shell, and the app ran on, an orphan)
    server = TokenServer("exec " + shlex.join(app_argv), token, page, title, host_names, max_sessions)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            loop.add_signal_handler(signum, stop.set)
        await server.run_until_stopped(sock, stop, ready)

    asyncio.run(main())


def url_of(host: str, port: int, page: str, token: str) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/{page}/?token={token}"

