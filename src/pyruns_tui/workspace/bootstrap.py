"""Creating and refreshing a workspace from a script (`pyr-tui init`, `pyr-tui train.py`)."""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pyruns_tui.errors import PyrunsError, WorkspaceError
from pyruns_tui.workspace import layout as L
from pyruns_tui.workspace.fsio import NotRegularFile, atomic_write_json, atomic_write_text, read_json, read_text
from pyruns_tui.workspace.layout import SCRIPT_IN_PROJECT, Layout, find_root, script_here, script_in_project
from pyruns_tui.workspace.model import SCHEMA_VERSION, now_iso
from pyruns_tui.workspace.names import is_plain_entry
from pyruns_tui.workspace.settings import DEFAULT_SETTINGS_TEXT

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from typing import Any

    from pyruns_tui.params.param_spec import ScriptParams
    from pyruns_tui.workspace.model import Task

SHELL_DEFAULT_TEXT = """\
# Shell workspace: `command` is a template whose {key} placeholders are filled from `params`.
# Every substituted value is shell-quoted, so a value can never inject shell syntax.
command: python train.py --lr {lr} --seed {seed}
params:
  lr: 0.01 | 0.001
  seed: 0
"""


PREFIX_CHARS = "prefix_chars"  # script_info.json key: the parser's prefix characters, where not "-"
ARGV_STYLE = "argv_style"  # script_info.json key: how values go on the command line, where not argparse's


@dataclass
class ScriptInfo:
    """The content of script_info.json: which script a workspace runs and what it accepts."""

    script: str | None
    kind: str  # argparse | pyruns_load | plain | shell
    created_at: str = field(default_factory=now_iso)
    params: list[dict[str, Any]] = field(default_factory=list)
    subcommand: str | None = None
    pinned_params: list[str] = field(default_factory=list)
    generated_sha: str | None = None  # sha256 of the config_default.yaml we last generated
    warnings: list[str] = field(default_factory=list)  # what extraction did not understand, or read elsewhere
    files_read: list[str] = field(default_factory=list)  # modules read besides the script
    extra: dict[str, Any] = field(default_factory=dict)

    def task_kind(self) -> str:
        """The kind of this workspace's tasks, the one word `init`, `show`, the Manager and a task's
        task_info.json say: `kind`, except "configurator" for an argparse-kind script whose values go on
        the command line as nanoGPT's `--key=value` items (argv_style, params/configurator.py)."""
        return "configurator" if self.kind == "argparse" and _argv_style(self) == "configurator" else self.kind

    def script_at(self, layout: Layout) -> str | None:
        """The workspace's script where its project is now (`layout.script_here`)."""
        return script_here(self.script, self.extra, layout.project_dir)

    def to_dict(self) -> dict[str, Any]:
        data = {
            "schema_version": SCHEMA_VERSION,
            "script": self.script,
            "kind": self.kind,
            "created_at": self.created_at,
            "params": self.params,
            "subcommand": self.subcommand,
            "pinned_params": self.pinned_params,
            "generated_sha": self.generated_sha,
            "warnings": self.warnings,
            "files_read": self.files_read,
        }
        return {**self.extra, **data}

    @classmethod
    def from_dict(cls, data: Any) -> ScriptInfo:
        """The info `data` holds; ValueError saying what is wrong when it is not a script_info."""
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        for key, valid in _FIELD_CHECKS.items():
            if key not in data:
                if key in ("script", "kind"):
                    raise ValueError(f"no {key!r}")
            elif not valid(data[key]):
                raise ValueError(f"{key!r} has the wrong type")
        extra = {k: v for k, v in data.items() if k not in _FIELD_CHECKS and k != "schema_version"}
        return cls(**{k: v for k, v in data.items() if k in _FIELD_CHECKS}, extra=extra)


def _text_or_none(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _texts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


_FIELD_CHECKS: dict[str, Callable[[Any], bool]] = {
    "script": _text_or_none,
    "kind": lambda value: isinstance(value, str),
    "created_at": lambda value: isinstance(value, str),
    "params": lambda value: isinstance(value, list) and all(isinstance(item, dict) for item in value),
    "subcommand": _text_or_none,
    "pinned_params": _texts,
    "generated_sha": _text_or_none,
    "warnings": _texts,
    "files_read": _texts,
}


class DamagedScriptInfo(WorkspaceError):
    """script_info.json is a regular file whose content is unusable (`init` writes a new one)."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"{problem}; run `pyr-tui init SCRIPT.py` again (it writes a new one)")
        self.problem = problem  # what is wrong, without the advice


def read_script_info(layout: Layout) -> ScriptInfo:
    try:
        return ScriptInfo.from_dict(read_json(layout.script_info))
    except FileNotFoundError as exc:
        if not os.path.lexists(layout.workspace_dir):  # the whole workspace, not its file
            raise WorkspaceError(f"{layout.workspace_dir} is gone (moved, renamed or deleted); run pyr-tui where "
                                 "the project is now") from exc
        raise WorkspaceError(f"{layout.script_info} is missing; run `pyr-tui init SCRIPT.py`") from exc
    except NotRegularFile as exc:
        raise WorkspaceError(str(exc)) from None
    except json.JSONDecodeError as exc:
        raise DamagedScriptInfo(f"{layout.script_info} is not valid JSON") from exc
    except (ValueError, TypeError) as exc:
        raise DamagedScriptInfo(f"{layout.script_info} is damaged ({exc})") from exc


def plain_script_problem(script: str | None) -> str:
    """What a `plain` workspace's tasks get of their parameters: nothing (a script reading `sys.argv`
    by itself, as nanoGPT's train.py was before its configurator was read, made a grid of identical runs)."""
    name = script.replace("\\", "/").rsplit("/", 1)[-1] if script else "the script"
    return (f"{name} has no argparse parser pyr-tui can read and does not call pyruns_tui.load(): its tasks "
            f"run `python {name}` with no arguments, so their parameters do not reach it (read them with "
            "pyruns_tui.load(), see docs/script-api.md, or put them on a command line of your own in "
            "`pyr-tui --shell`)")


_INSTALLED = re.compile(r"^[^:]*/(?:site|dist)-packages/")  # where an installed package's files lie


def warning_shown(warning: str, project: str) -> str:
    """An extraction warning as `init` prints it and the Generator shows it: a file of the `project`
    folder named from there (`train.py:99: ...`), an installed package's from the package
    (`transformers/training_args.py:1039: ...`, not the environment's path, which filled the line; also
    for an environment inside the project, `.venv/`)."""
    shortened, installed = _INSTALLED.subn("", warning, count=1)
    if installed:
        return shortened
    prefix = project.rstrip("/") + "/" if project else ""
    return warning[len(prefix):] if prefix and warning.startswith(prefix) else warning


def task_script(layout: Layout, task: Task) -> str | None:
    """The script a task runs, where its project is now (`layout.script_here`). A task recorded
    before scripts were recorded within their project, whose script is gone from its old place,
    runs the workspace's script of the same name (`init` in the moved project records it there)."""
    script = script_here(task.script, task.extra, layout.project_dir)
    if script and SCRIPT_IN_PROJECT not in task.extra and not os.path.exists(script):
        with contextlib.suppress(OSError, ValueError, PyrunsError):
            current = read_script_info(layout).script_at(layout)
            if current and Path(current).name == Path(script).name:
                return current
    return script


def write_script_info(layout: Layout, info: ScriptInfo) -> None:
    atomic_write_json(layout.script_info, info.to_dict())


def check_workspace_name(name: str) -> str:
    """`name` unchanged, or WorkspaceError when it is not one plain folder name (`-w ../x`)."""
    if not is_plain_entry(name) or name != name.strip():
        raise WorkspaceError(f"invalid workspace name {name!r}: use a plain folder name such as the script's stem")
    return name


def _sha(text: str) -> str:
    import hashlib  # ~3.5 ms, paid only when a script is (re)scanned, not on every command

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def project_root(cwd: Path) -> Path:
    """The `_pyruns_` dir for work started in `cwd`: the nearest existing one, else `cwd/_pyruns_`."""
    return find_root(cwd) or (cwd.resolve() / L.PYRUNS_DIR)


def _sibling_config(script: Path, source: str) -> Path | None:
    """`train.yaml` beside a `pr.load()` script `train.py`: its default config, if there is one."""
    if "pyruns_tui" not in source:
        return None
    for suffix in (".yaml", ".yml"):
        candidate = script.with_suffix(suffix)
        if candidate.is_file():
            return candidate
    return None


def _ensure_dirs(layout: Layout) -> None:
    layout.tasks_dir.mkdir(parents=True, exist_ok=True)
    layout.check_folders()  # an existing tasks/ that is a symlink: refused as by every other command
    if not layout.settings_file.exists():
        atomic_write_text(layout.settings_file, DEFAULT_SETTINGS_TEXT)


def init_workspace(
    cwd: Path,
    script: Path,
    config: Path | None = None,
    *,
    name: str | None = None,
    subcommand: str | None = None,
) -> Layout:
    """Create (or refresh) the workspace of `script` and return its layout.

    config_default.yaml is regenerated from the script only while nobody edited it by hand;
    an explicit CONFIG.yaml always replaces it.
    """
    from pyruns_tui.params import yamlio
    from pyruns_tui.params.config_default import config_default_text

    script = script.expanduser()
    if script.suffix == ".py" and not script.exists():
        raise WorkspaceError(f"{script}: no such file (give the path of an existing .py file)")
    if script.suffix != ".py" or not script.is_file():
        raise WorkspaceError(f"{script}: not a Python script (give the path of a .py file)")
    try:
        source = script.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WorkspaceError(f"{script}: cannot read the script: {exc}") from exc
    config_text: str | None = None
    explicit = config is not None
    if config is None:
        config = _sibling_config(script, source)
    if config is not None:
        try:
            config_text = config.expanduser().read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise WorkspaceError(f"{config}: no such file (give the path of an existing YAML file, "
                                 "or leave it out to start from the script's defaults)") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise WorkspaceError(f"{config}: cannot read the config file: {getattr(exc, 'strerror', None) or exc}") from exc
        data = yamlio.load_text(config_text, where=str(config))
        if data is not None and not isinstance(data, dict):
            raise WorkspaceError(f"{config}: the config must be a mapping of key: value")

    layout = Layout(root=project_root(cwd), name=check_workspace_name(name or script.stem))
    if layout.is_shell:
        raise WorkspaceError("'_shell_' is reserved for the shell workspace; pick another name with -w")
    existing: ScriptInfo | None = None
    damaged: str | None = None
    if layout.script_info.exists():
        try:
            existing = read_script_info(layout)
        except DamagedScriptInfo as exc:  # written anew below; a symlink or FIFO in its place is refused
            damaged = exc.problem
        owner = existing.script_at(layout) if existing else None  # (in a copied project: the copy's)
        if owner and Path(owner) != script.resolve() and Path(owner).exists():
            raise WorkspaceError(f"workspace {layout.name!r} belongs to {owner}; name this one with -w NAME")
    shown = os.path.relpath(script, cwd) if script.is_absolute() else str(script)
    params = _script_params(source, script, shown, layout, subcommand, existing.subcommand if existing else None)
    _ensure_dirs(layout)

    generated = config_default_text(params) if config_text is None else config_text
    info = existing or ScriptInfo(script=None, kind=params.kind)
    info.script = str(script.resolve())
    inside = script_in_project(info.script, layout.project_dir)
    if inside is None:
        info.extra.pop(SCRIPT_IN_PROJECT, None)
    else:
        info.extra[SCRIPT_IN_PROJECT] = inside
    info.kind = params.kind
    info.params = [p.to_dict() for p in params.params]
    info.subcommand = params.subcommand
    if params.prefix_chars != "-":  # (an unusual parser: kept only where it is one)
        info.extra[PREFIX_CHARS] = params.prefix_chars
    else:
        info.extra.pop(PREFIX_CHARS, None)
    if params.argv_style != "argparse":  # (nanoGPT's configurator: `--key=value` items)
        info.extra[ARGV_STYLE] = params.argv_style
    else:
        info.extra.pop(ARGV_STYLE, None)
    info.warnings = list(params.warnings)
    if damaged:
        info.warnings.append(f"{damaged}; wrote a new one (pinned columns are reset)")
    info.files_read = list(params.files_read)
    current = read_text(layout.config_default) if layout.config_default.exists() else None
    edited_by_hand = current is not None and info.generated_sha != _sha(current)
    if explicit or current is None or (not edited_by_hand and current != generated):
        atomic_write_text(layout.config_default, generated)
        info.generated_sha = _sha(generated)
    write_script_info(layout, info)
    return layout


def _script_params(source: str, script: Path, shown: str, layout: Layout, asked: str | None,
                   recorded: str | None) -> ScriptParams:
    """The script's parameters for the workspace: of the sub-command `asked`, else of the one the
    workspace was made for (a refresh, `pyr-tui train.py` opening it, keeps it: falling back to the
    first sub-command broke the reruns of every task of another). A workspace holding tasks does
    not change its sub-command: they would be run with the other sub-command's parameters."""
    from pyruns_tui.params.argparse_ast import extract_params
    from pyruns_tui.workspace.module_files import ModuleFiles

    def extract(subcommand: str | None) -> ScriptParams:
        return extract_params(source, filename=str(script), subcommand=subcommand, finder=ModuleFiles(script),
                              script_path=str(script.resolve()), run_dir=str(layout.project_dir.resolve()))

    if asked is not None or recorded is None:
        params = extract(asked)
    else:
        params = extract(None)
        if recorded in params.subcommands:
            params = extract(recorded)
    if recorded is not None and params.subcommand not in (None, recorded) and _has_tasks(layout):
        new = params.subcommand
        raise WorkspaceError(
            f"workspace {layout.name!r} holds tasks of the sub-command {recorded!r} (their reruns would get "
            f"the parameters of {new!r}); give {new!r} a workspace of its own: "
            f"pyr-tui -w {script.stem}_{new} init {shown} --subcommand {new}")
    return params


def _has_tasks(layout: Layout) -> bool:
    try:
        with os.scandir(layout.tasks_dir) as entries:
            return any(not e.name.startswith(".") and e.is_dir(follow_symlinks=False) for e in entries)
    except OSError:
        return False


def init_shell_workspace(cwd: Path) -> Layout:
    """Create (or open) the shell workspace `_shell_`, whose tasks are command lines."""
    layout = Layout(root=project_root(cwd), name=L.SHELL_WORKSPACE)
    _ensure_dirs(layout)
    if not layout.config_default.exists():
        atomic_write_text(layout.config_default, SHELL_DEFAULT_TEXT)
    if not layout.script_info.exists():
        write_script_info(layout, ScriptInfo(script=None, kind="shell"))
    return layout


def _prefix_chars(info: ScriptInfo) -> str | None:
    chars = info.extra.get(PREFIX_CHARS)
    return chars if isinstance(chars, str) and chars else None  # (a hand-edited value: the usual "-")


def _argv_style(info: ScriptInfo) -> str | None:
    style = info.extra.get(ARGV_STYLE)
    return style if isinstance(style, str) and style else None  # (a hand-edited value: argparse's)


def params_of(layout: Layout, info: ScriptInfo | None = None) -> Any:
    """The ScriptParams recorded for a workspace (what argv building needs); `info`: its
    script_info.json, when the caller has read it already."""
    from pyruns_tui.params.argparse_ast import ScriptParams

    info = read_script_info(layout) if info is None else info
    try:
        # prefix_chars: the launch passes a value starting with one (`name: +x` of a `-+` parser) as `--name=+x`
        return ScriptParams.from_dict({"params": info.params, "kind": info.kind, "subcommand": info.subcommand,
                                       "prefix_chars": _prefix_chars(info),
                                       "argv_style": _argv_style(info)})
    except (KeyError, TypeError, ValueError, PyrunsError) as exc:
        raise WorkspaceError(f"{layout.script_info}: parameters are unreadable; run `pyr-tui init` again") from exc
