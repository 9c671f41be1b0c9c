"""`pyr-tui serve [SCRIPT.py [CONFIG.yaml]]`: the same TUI in a browser, behind a token.

Every browser tab runs its own app process over the same workspace (the disk is the truth, so
browsers and terminals see the same tasks). Binds to 127.0.0.1 by default; reach it from a laptop
with `ssh -L 8765:127.0.0.1:8765 gpu-box` and open the printed URL.
"""

from __future__ import annotations

import argparse
import sys

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from collections.abc import Callable

    from pyruns_tui.cli.context import Context
    from pyruns_tui.workspace.layout import Layout

NAME = "serve"
DEFAULT_PORT = 8765
DEFAULT_MAX_SESSIONS = 8  # an app process per tab, ~50 MB each


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(NAME, help="serve the TUI to a browser (token-protected)", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("script", nargs="?", help="training script (bootstraps its workspace, opens the Generator)")
    p.add_argument("config", nargs="?", help="YAML config to use as the default parameters")
    p.add_argument("--shell", action="store_true", help="serve the shell workspace (_shell_)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="also accept this name in the Host header (a reverse proxy that forwards its public name); "
                        "repeatable")
    p.add_argument("--port", type=_port, default=DEFAULT_PORT, help=f"TCP port (default {DEFAULT_PORT}; 0: any free port)")
    p.add_argument("--max-sessions", type=_max_sessions, default=DEFAULT_MAX_SESSIONS, metavar="N",
                   help=f"browser tabs open at once, each its own app process (default {DEFAULT_MAX_SESSIONS}; 1-1000)")


def _bounded_int(what: str, low: int, high: int) -> Callable[[str], int]:
    """An argparse `type=`: an int within low..high, else one usage line naming `what`."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a {what}: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{what} out of range {low}-{high}: {value}")
        return value

    return parse


_port = _bounded_int("port number", 0, 65535)
_max_sessions = _bounded_int("number of sessions", 1, 1000)


def app_argv(ctx: Context, workspace: str, args: argparse.Namespace) -> list[str]:
    """The command line of one browser session's app process: `pyr-tui` with the same choices."""
    argv = [sys.executable, "-m", "pyruns_tui", "-C", str(ctx.cwd), "-w", workspace]
    if args.shell:
        return [*argv, "--shell"]
    if args.script:
        argv.append(str(ctx.path(args.script)))
        if args.config:
            argv.append(str(ctx.path(args.config)))
    return argv


def _refuse_a_stdout_others_read() -> None:
    """The URL printed holds the token: not into a file other users of the box can read
    (`pyr-tui serve > serve.log &` under umask 022 made a 0644 log). nohup's own nohup.out
    (0600), a terminal, tmux, a pipe are fine."""
    import os
    import stat

    from pyruns_tui.errors import WorkspaceError

    try:
        st = os.fstat(sys.stdout.fileno())
    except (OSError, ValueError):
        return
    if stat.S_ISREG(st.st_mode) and st.st_mode & 0o044:
        try:
            name = os.readlink(f"/proc/self/fd/{sys.stdout.fileno()}")
        except OSError:
            name = "the file"
        raise WorkspaceError(
            f"stdout is {name}, readable by other users (mode {stat.S_IMODE(st.st_mode):04o}), and the URL printed "
            f"there holds the token: chmod 600 {name} (or umask 077 before creating it) and start again"
        )


def run(ctx: Context, args: argparse.Namespace) -> int:
    from pyruns_tui.cli.open_tui import resolve_layout
    from pyruns_tui.errors import WorkspaceError

    try:
        from pyruns_tui.web import server
    except ImportError as exc:
        raise WorkspaceError(
            f"`pyr-tui serve` needs the web extra ({exc.name} is missing): pip install 'pyruns-tui[web]'"
        ) from None
    if args.script and not args.script.endswith(".py"):
        raise WorkspaceError(f"{args.script}: not a Python script (give the path of a .py file)")
    layout: Layout | None
    if not (args.script or args.shell or ctx.workspace):
        layout = ctx.layout()  # one workspace, or a clear error naming them (no picker in a browser)
    else:
        layout = resolve_layout(ctx, args.script, args.config, args.shell)
    assert layout is not None
    _refuse_a_stdout_others_read()
    try:
        sock = server.bind_socket(args.host, args.port)
    except OSError as exc:
        raise WorkspaceError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc} (choose another --port or --host)") from None
    bound, port = sock.getsockname()[:2]
    token, page = server.new_token(), server.new_page()
    # judged by the address bound, not the name given: `--host $(hostname)` (127.0.1.1 in a
    # Debian /etc/hosts), `127.1` or `LOCALHOST` listen on loopback; `--host 0` on every address
    wildcard = server.is_unspecified(bound)
    local = server.is_loopback(bound)
    if not local:
        shown = args.host if args.host == bound else f"{args.host} ({bound})"
        sys.stderr.write(
            f"pyr-tui: warning: listening on {shown}, not only this machine: anyone who can reach it and has the "
            "URL runs code as you; prefer the default 127.0.0.1 with `ssh -L`\n"
        )

    # where a browser reaches it: the address it is bound to; one that stands for every address
    # (0.0.0.0, ::) is reached on loopback too, which an ssh tunnel's far end can use
    at = ("::1" if ":" in bound else "127.0.0.1") if wildcard else bound
    tunnel = (f"from a laptop: ssh -L {port}:{f'[{at}]' if ':' in at else at}:{port} THIS-HOST, then open the URL"
              if wildcard or local else "open the URL from a machine that can reach this host")

    def announce() -> None:
        print(f"pyr-tui: serving workspace {layout.name!r} at {server.url_of(at, port, page, token)}", flush=True)
        print(f"pyr-tui: {tunnel}; Ctrl+C stops", flush=True)

    host_names = server.allowed_host_names(args.host, args.allow_host, every_address=wildcard)
    server.serve(app_argv(ctx, layout.name, args), sock, token, page, f"pyruns-tui · {layout.name}", announce, host_names,
                 args.max_sessions)
    print("pyr-tui: stopped serving (tasks keep running under the runner)", flush=True)
    return 0
