"""A task's YAML file of defaults (timm's `--config`), read where and as its script reads it.

The script opens the file its parameter names from the folder its tasks run in (the project)
and gives the mapping to `set_defaults(**cfg)` (params/defaults_file.py). Creating a task records
those values where the task keeps the script's defaults; launching it passes a flag only for a
value that differs from the file's, so the run gets what the task records.
"""

from __future__ import annotations

import os
import stat

from pyruns_tui.errors import GridError, PyrunsError

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path
    from typing import Any

    from pyruns_tui.params.exclusive_check import ExclusiveCheck
    from pyruns_tui.params.lone_items import LoneItems
    from pyruns_tui.params.param_spec import ScriptParams
    from pyruns_tui.workspace.layout import Layout

MAX_FILE_BYTES = 16 << 20  # a YAML file of defaults is a few kB: more is another file named by mistake


class FileDefaults:
    """The values the YAML files of defaults a workspace's tasks name give its script, each file
    read once (a batch of 10,000 tasks naming one file reads it once). `key` is None for a script
    without such a parameter: then nothing is read and configs stay as they are."""

    def __init__(self, sp: ScriptParams, run_dir: Path) -> None:
        from pyruns_tui.params.defaults_file import defaults_file_key

        self.sp = sp
        self.run_dir = run_dir
        self.key = defaults_file_key(sp) if sp.kind == "argparse" else None
        self.defaults = sp.defaults() if self.key is not None else {}
        self._files: dict[str, dict[str, Any]] = {}

    def path_of(self, config: Mapping[str, Any]) -> str | None:
        """The file a config names, None when it names none (the script skips an empty value)."""
        if self.key is None:
            return None
        name = config.get(self.key)
        return name if isinstance(name, str) and name else None

    def values(self, name: str) -> dict[str, Any]:
        """The defaults the file `name` gives the script's parameters; GridError in one line when
        it cannot be read, is not YAML or not a mapping (every run of the task would fail there)."""
        if name not in self._files:
            self._files[name] = self._read(name)
        return self._files[name]

    def _read(self, name: str) -> dict[str, Any]:
        from pyruns_tui.params.defaults_file import file_values, load_yaml_text

        path = os.path.join(self.run_dir, name)  # an absolute name stays as it is
        where = f"{self.key}: {name}"
        try:
            st = os.stat(path)  # follows a symlink, as the script's open() does
            if not stat.S_ISREG(st.st_mode):
                raise GridError(f"{where} is not a file (the script opens it as its YAML file of defaults)")
            if st.st_size > MAX_FILE_BYTES:
                raise GridError(f"{where} is over {MAX_FILE_BYTES >> 20} MiB; is this the right file?")
            # (swapped for a FIFO since the look: opened without waiting for a writer, and refused)
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
            with open(fd, "rb") as file:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    raise GridError(f"{where} is not a file (the script opens it as its YAML file of defaults)")
                text = file.read(MAX_FILE_BYTES + 1).decode("utf-8")
        except FileNotFoundError:
            raise GridError(f"{where}: no such file in {self.run_dir} (the script opens it from there, "
                            "the folder its tasks run in); fix the path or create the file") from None
        except OSError as exc:
            raise GridError(f"{where}: cannot read it ({exc.strerror or exc})") from None
        except UnicodeDecodeError:
            raise GridError(f"{where} is not UTF-8 text (fix the file)") from None
        try:
            return file_values(self.sp, load_yaml_text(text, where), where)
        except PyrunsError as exc:
            raise GridError(str(exc)) from None

    def lay(self, config: dict[str, Any]) -> dict[str, Any]:
        """`config` as the task records it: the file's values where it holds the script's own default."""
        from pyruns_tui.params.defaults_file import lay_file_values, unconverted_values
        from pyruns_tui.params.values import same_value

        name = self.path_of(config)
        if name is None:
            return config
        values = self.values(name)
        laid = lay_file_values(config, self.defaults, values)
        for key, type_name in unconverted_values(self.sp, values).items():
            if key not in laid or same_value(laid[key], values[key]):  # no flag passed: the file's value is parsed
                raise GridError(f"{self.key}: {name}: {key}: {values[key]!r} is not a valid {type_name} (the script's "
                                f"argparse converts it with type={type_name} and every run stops there); fix the "
                                f"file, or give {key} a value")
        return laid

    def params_for(self, config: Mapping[str, Any]) -> ScriptParams:
        """The script's parameters with the defaults a task's run starts from (the file's, where it
        sets them), what its command line is built against; the script's own when the file cannot
        be read (the run then fails where the script opens it, and says why)."""
        name = self.path_of(config)
        if name is None:
            return self.sp
        try:
            return self.sp.with_defaults(self.values(name))
        except GridError:
            return self.sp

    def exclusive(self, check: ExclusiveCheck) -> ExclusiveCheck:
        """`check` (the script's mutually exclusive groups) asking each config against the defaults
        its file gives: argparse refuses only flags passed together, and a value the file sets is
        not passed."""
        from pyruns_tui.params.exclusive_check import ExclusiveCheck

        files = self

        class FileExclusiveCheck(ExclusiveCheck):
            def __init__(self) -> None:
                super().__init__(files.sp, check.script)
                self.by_file: dict[str, ExclusiveCheck] = {}

            def problems(self, config: Mapping[str, Any]) -> tuple[tuple[int, str], ...]:
                name = files.path_of(config)
                if name is None:
                    return super().problems(config)
                if name not in self.by_file:
                    self.by_file[name] = ExclusiveCheck(files.params_for(config), self.script)
                return self.by_file[name].problems(config)

        return FileExclusiveCheck()


class RecordedConfig:
    """What a task of an argparse workspace records of a planned config: the values of the YAML
    file of defaults it names (`FileDefaults.lay`), then each lone value of a list argument as its
    one-item list (`layers: 64` is `[64]`: params/lone_items.py), asked against the defaults its
    run starts from (the file's). `gen`'s one place for both (`batch._plan`, `--skip-existing`)."""

    def __init__(self, sp: ScriptParams, files: FileDefaults | None) -> None:
        self.sp = sp
        self.files = files
        self._items: dict[str | None, LoneItems] = {}  # by the file of defaults a config names

    def __call__(self, config: dict[str, Any]) -> dict[str, Any]:
        """A planned config as its task records it; GridError when its file cannot be read."""
        if self.files is not None:
            config = self.files.lay(config)
        return self.lists(config)

    def lists(self, config: dict[str, Any]) -> dict[str, Any]:
        """`config` with each lone value of a list argument as its one-item list (an existing
        task's config, compared by `--skip-existing`: recorded before lone values were lists)."""
        from pyruns_tui.params.lone_items import LoneItems

        name = self.files.path_of(config) if self.files is not None else None
        items = self._items.get(name)
        if items is None:
            sp = self.sp if self.files is None else self.files.params_for(config)
            items = self._items[name] = LoneItems(sp)
        return items.listed(config)


def recorded_config(layout: Layout) -> RecordedConfig | None:
    """How a workspace's tasks record their planned configs (with the reader of its YAML files of
    defaults, `.files`, where its script names one), from one read of script_info.json; None where
    tasks record their configs as planned: the shell workspace, a script that is not argparse (it
    reads its config itself: no launch makes a lone value a list, nor reads a file of defaults)."""
    from pyruns_tui.workspace.bootstrap import params_of, read_script_info

    if layout.is_shell or not layout.config_default.exists():  # (tasks are laid over nothing then: batch.checked_spec)
        return None
    info = read_script_info(layout)
    if info.kind != "argparse":
        return None
    sp = params_of(layout, info)
    named = any(p.get("defaults_file") for p in info.params)  # most scripts name none: nothing more is read
    return RecordedConfig(sp, FileDefaults(sp, layout.project_dir) if named else None)
