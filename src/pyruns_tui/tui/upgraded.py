"""UpgradeSafe: an App that outlives `pip install --upgrade pyruns-tui` run while it is open.

Much of pyruns-tui is imported when first needed (a screen, a dialog, a key's engine verb). After
an upgrade such an import reads the new files, which may not fit the old modules already loaded:
an ImportError (a name the new code needs that the old module lacks, a module moved away) or an
AttributeError while the new module runs. Textual would end the app with a traceback, or drop it
unsaid for a worker that does not exit on error. Here each one is said in one line, `UPGRADED` and
what failed, and the app stays open; any other exception, or one of these while the package's files
are the ones the app started with (a bug, not an upgrade), goes Textual's way.

Where Textual (8.x) meets an exception it did not expect, all handled here:
- `App._handle_exception`: a worker that exits on error (`WorkerFailed`), a timer, a callback
  (`call_later`, a dialog's result), a compose or a mount;
- a message handler's exception also ends its message loop (`MessagePump._process_messages_loop`):
  the widget is pruned, and for the app's own loop (where key bindings run) the app no longer
  reacts; `MessagePump._dispatch_message` is wrapped, once, so that the loop goes on;
- a worker with `exit_on_error=False`: its `Worker.StateChanged` to ERROR, seen in the same wrapper.
"""

from __future__ import annotations

import os
import time
from types import ModuleType, TracebackType

from textual.app import App
from textual.message import Message
from textual.message_pump import MessagePump
from textual.worker import Worker, WorkerFailed, WorkerState

import pyruns_tui

UPGRADED = "pyruns-tui was upgraded while open; restart it"
PACKAGE = pyruns_tui.__name__
NOTE_S = 30.0  # the note stays this long, and the same failure (a refresh every second) is not said again meanwhile


def package_stamp() -> tuple[int, int, int] | None:
    """Which file the package's `__init__.py` is now (an upgrade writes every file anew); None when gone."""
    try:
        st = os.stat(pyruns_tui.__file__ or "")
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def _ours(module: object) -> bool:
    return isinstance(module, str) and (module == PACKAGE or module.startswith(PACKAGE + "."))


def _importing_ours(tb: TracebackType | None) -> bool:
    """Whether the traceback passes through the top-level code of one of our modules (its import)."""
    while tb is not None:
        if tb.tb_frame.f_code.co_name == "<module>" and _ours(tb.tb_frame.f_globals.get("__name__")):
            return True
        tb = tb.tb_next
    return False


def import_failure(error: BaseException) -> str | None:
    """`error` in one line when it is our code not fitting our code: an ImportError naming one of
    our modules, an AttributeError that one of them lacks a name, or either raised while one of
    our modules was being imported; None for any other error."""
    if isinstance(error, WorkerFailed):
        error = error.error
    if isinstance(error, ImportError):
        named = error.name
    elif isinstance(error, AttributeError):
        obj = getattr(error, "obj", None)
        named = obj.__name__ if isinstance(obj, ModuleType) else None
    else:
        return None
    if _ours(named) or _importing_ours(error.__traceback__):
        return " ".join(str(error).split())
    return None


class UpgradeSafe(App[None]):
    """An App that says `UPGRADED` (with what failed) and stays open when its own code, changed on
    disk since it started, fails to import (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self._started_as = package_stamp()
        self._upgrade_said: dict[str, float] = {}
        _keep_message_loops()

    def upgrade_failure(self, error: BaseException) -> str | None:
        """What failed (`import_failure`) when the package's files changed since the app started."""
        what = import_failure(error)
        if what is None or package_stamp() == self._started_as:
            return None
        return what

    def say_upgraded(self, what: str) -> None:
        """Say `UPGRADED` and what failed, in one line; the same failure once per NOTE_S."""
        now = time.monotonic()
        if now - self._upgrade_said.get(what, -NOTE_S) < NOTE_S:
            return
        self._upgrade_said[what] = now
        self.notify(f"{UPGRADED} ({what})", title="pyruns-tui", severity="error", markup=False, timeout=NOTE_S)

    def _handle_exception(self, error: Exception) -> None:
        what = self.upgrade_failure(error)
        if what is None:
            super()._handle_exception(error)
        else:
            self.say_upgraded(what)


def _keep_message_loops() -> None:
    """Wrap `MessagePump._dispatch_message` (once): in an UpgradeSafe app, an upgrade failure out of
    a handler is said and its widget's message loop goes on; everything else is as Textual's."""
    dispatch = MessagePump._dispatch_message
    if getattr(dispatch, "keeps_loops", False):
        return

    async def dispatch_message(self: MessagePump, message: Message) -> None:
        _rich_traceback_omit = True  # noqa: F841 - a traceback Textual prints shows no frame of this wrapper
        if isinstance(message, Worker.StateChanged) and message.state is WorkerState.ERROR \
                and not message.worker.exit_on_error and message.worker.error is not None:
            _say(self, message.worker.error)
        try:
            await dispatch(self, message)
        except Exception as error:
            if not _say(self, error):
                raise

    dispatch_message.keeps_loops = True  # type: ignore[attr-defined]
    MessagePump._dispatch_message = dispatch_message  # type: ignore[method-assign]


def _say(pump: MessagePump, error: BaseException) -> bool:
    """Say `error` when it is an upgrade failure in an UpgradeSafe app; whether it was."""
    app = pump.app
    if not isinstance(app, UpgradeSafe):
        return False
    what = app.upgrade_failure(error)
    if what is not None:
        app.say_upgraded(what)
    return what is not None
