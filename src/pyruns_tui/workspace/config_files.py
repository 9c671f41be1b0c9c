"""nanoGPT config files (`config/*.py`) as the starting values of a configurator script's tasks:
the one engine step behind `pyr-tui gen config/x.py` and the Generator's Load (ctrl+o).

`python train.py config/x.py` runs the file over train.py's defaults; here it is read statically
(params/configurator_file.py) into the values it sets, which the faces lay over the workspace's
defaults as any spec. The task's command line passes them as `--key=value` items, as it passes
every value of a configurator script: the task records its values (the Manager's columns, compare,
`--skip-existing` see them) and runs the same whatever the file says later.
"""

from __future__ import annotations

import os

from pyruns_tui.errors import PyrunsError
from pyruns_tui.workspace.bootstrap import params_of, read_script_info

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from typing import Any

    from pyruns_tui.params.param_spec import ScriptParams
    from pyruns_tui.workspace.layout import Layout

CONFIG_DIR = "config"  # nanoGPT's folder of config files, in the project (the tasks' working directory)
MAX_LISTED = 500  # config files the Generator's Load lists


def configurator_params(layout: Layout) -> tuple[ScriptParams, str] | None:
    """(the parameters, the script's file name) of a workspace whose script runs nanoGPT's
    configurator; None for any other workspace."""
    from pyruns_tui.params.configurator import CONFIGURATOR

    if layout.is_shell:
        return None
    info = read_script_info(layout)
    if info.kind != "argparse":
        return None
    params = params_of(layout, info)
    if params.argv_style != CONFIGURATOR:
        return None
    return params, os.path.basename(info.script or "the script")


def config_files(layout: Layout) -> list[str]:
    """The project's `config/*.py` files (as `config/x.py`, sorted) when the workspace's script runs
    nanoGPT's configurator; [] otherwise, or when there are none. Regular files only, as
    `read_config_file` reads them (a symlink or FIFO there, or `config` a symlink, is not listed)."""
    if configurator_params(layout) is None:
        return []
    try:  # a symlink, as the folder or a file in it, is not listed: `read_config_file` never follows one
        fd = os.open(layout.project_dir / CONFIG_DIR, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return []
    try:
        with os.scandir(fd) as entries:
            names = sorted(entry.name for entry in entries
                           if entry.name.endswith(".py") and not entry.name.startswith((".", "_"))
                           and entry.is_file(follow_symlinks=False))
    except OSError:
        return []
    finally:
        os.close(fd)
    return [f"{CONFIG_DIR}/{name}" for name in names[:MAX_LISTED]]


def config_file_values(layout: Layout, source: str, where: str) -> dict[str, Any] | None:
    """The values the config file `source` (named `where` in messages) sets, by parameter; None when
    the workspace's script does not run nanoGPT's configurator (then the file is no such config).
    ParamsError (`where:LINE: ...`) for a file that is not plain assignments of the script's
    parameters to values known without running it."""
    from pyruns_tui.params import yamlio
    from pyruns_tui.params.configurator_file import config_file_values as read_values
    from pyruns_tui.workspace.fsio import read_text

    found = configurator_params(layout)
    if found is None:
        return None
    params, script = found
    try:
        defaults = yamlio.load_text(read_text(layout.config_default), where=str(layout.config_default)) or {}
    except (OSError, ValueError, PyrunsError):  # the spec's own check says what is wrong with config_default.yaml
        defaults = {}
    if not isinstance(defaults, dict):
        defaults = {}
    return read_values(source, where, params, {**params.defaults(), **defaults}, script)


def read_config_file(layout: Layout, path: str) -> dict[str, Any] | None:
    """`config_file_values` of the file `path` (from the project folder, as `config_files` names it);
    WorkspaceError when it cannot be read."""
    from pyruns_tui.errors import WorkspaceError
    from pyruns_tui.params.configurator_file import MAX_SOURCE  # (a larger one is another file)
    from pyruns_tui.workspace.fsio import read_text

    try:
        text = read_text(layout.project_dir / path, MAX_SOURCE)
    except (OSError, ValueError) as exc:  # (too large; UnicodeDecodeError; a FIFO in its place)
        raise WorkspaceError(f"{path}: cannot read the config file: {getattr(exc, 'strerror', None) or exc}") from exc
    return config_file_values(layout, text, path)
