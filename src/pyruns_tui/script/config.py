"""A task's parameters as a script sees them, and where `pr.load()` finds them.

Imported by `pyruns_tui.script.api`, so it stays import-light: YAML and the error types are
imported only when a config is actually loaded.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping

from pyruns_tui.contracts import CONFIG_DEFAULT, CONFIG_ENV, PYRUNS_DIR

TYPE_CHECKING = False  # `typing` and `pathlib` cost milliseconds at import; see api.py
if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path
    from typing import Any


class Config(MutableMapping):
    """A config mapping with attribute access: `cfg.model.depth == cfg["model"]["depth"]`.

    Nested mappings become `Config`s and lists are walked, so mutation through either
    access style changes the same data; `to_dict()` gives plain dicts and lists back.
    Keys that shadow a method (`get`, `items`, `to_dict`, ...) or are not identifiers
    are reached with item access.
    """

    __slots__ = ("_data",)

    def __init__(self, data: Any = None, /, **values: Any) -> None:
        source: dict[Any, Any] = dict(data or {})
        source.update(values)
        object.__setattr__(self, "_data", {k: _wrap(v) for k, v in source.items()})

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "_data":
            raise AttributeError(name)
        try:
            return self._data[name]
        except KeyError:
            raise AttributeError(_missing_key_message(name, self._data)) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self._data[name] = _wrap(value)

    def __delattr__(self, name: str) -> None:
        try:
            del self._data[name]
        except KeyError:
            raise AttributeError(_missing_key_message(name, self._data)) from None

    def __getitem__(self, key: Any) -> Any:
        try:
            return self._data[key]
        except KeyError:
            raise KeyError(_missing_key_message(key, self._data)) from None

    def __setitem__(self, key: Any, value: Any) -> None:
        self._data[key] = _wrap(value)

    def __delitem__(self, key: Any) -> None:
        del self._data[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Config):
            return self._data == other._data
        if isinstance(other, dict):
            return self.to_dict() == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like dict

    def __repr__(self) -> str:
        return f"Config({self.to_dict()!r})"

    def __dir__(self) -> list[str]:
        keys = [k for k in self._data if isinstance(k, str) and k.isidentifier()]
        return sorted(set(super().__dir__()) | set(keys))

    def __reduce__(self) -> tuple[Any, ...]:
        return (Config, (self.to_dict(),))

    def get(self, key: Any, default: Any = None) -> Any:
        """The value of `key`, or `default` when it is absent."""
        return self._data.get(key, default)

    def to_dict(self) -> dict[Any, Any]:
        """A deep copy as plain dicts and lists (what `yaml.safe_dump`/`json.dumps` take)."""
        return {k: _unwrap(v) for k, v in self._data.items()}


def _wrap(value: Any) -> Any:
    if isinstance(value, Config):
        return value
    if isinstance(value, dict):
        return Config(value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


def _unwrap(value: Any) -> Any:
    if isinstance(value, Config):
        return value.to_dict()
    if isinstance(value, list):
        return [_unwrap(v) for v in value]
    return value


def _missing_key_message(key: Any, data: dict[Any, Any]) -> str:
    available = ", ".join(str(k) for k in data) or "none: the config is empty"
    return f"config has no key {key!r} (available: {available})"


def find_config(path: str | os.PathLike[str] | None = None) -> Path:
    """The config file `pr.load(path)` reads.

    `path` if given; else `$__PYRUNS_CONFIG__` (set by the runner for every task); else,
    outside a task, the workspace default `_pyruns_/<script_stem>/config_default.yaml`
    found walking up from the running script's folder; else `<script_stem>.yaml` (or
    `.yml`) next to the script. Raises ParamsError when none exists.
    """
    from pathlib import Path

    from pyruns_tui.errors import ParamsError

    if path is not None:
        # a path the script names is the user's choice: its symlinks are followed (a FIFO is still
        # refused by the reader); the task's own config ($__PYRUNS_CONFIG__) never is
        explicit = Path(os.path.realpath(Path(path).expanduser()))
        if not os.path.lexists(explicit):
            raise ParamsError(f"pr.load(): config file not found: {explicit}")
        return explicit
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        env_path = Path(from_env)
        if not os.path.lexists(env_path):
            raise ParamsError(
                f"pr.load(): {CONFIG_ENV} points to {env_path}, which does not exist; "
                "was the task deleted or moved?"
            )
        return env_path
    script = _running_script()
    if script is None:
        raise ParamsError(
            "pr.load(): no config: not inside a pyruns-tui task and no script to look "
            "beside; pass a path, e.g. pr.load('config.yaml')"
        )
    found = _default_config_for(script)
    if found is None:
        raise ParamsError(
            f"pr.load(): no config for {script.name}: not inside a pyruns-tui task, no "
            f"{PYRUNS_DIR}/{script.stem}/{CONFIG_DEFAULT} above {script.parent} and no "
            f"{script.stem}.yaml beside it; run `pyr-tui {script.name}` once, or pass a "
            "path: pr.load('config.yaml')"
        )
    return found


def _running_script() -> Path | None:
    from pathlib import Path

    argv0 = sys.argv[0] if sys.argv else ""
    if not argv0 or argv0 in ("-c", "-m", "-"):
        return None
    return Path(argv0).resolve()


def _default_config_for(script: Path) -> Path | None:
    for folder in (script.parent, *script.parent.parents):
        candidate = folder / PYRUNS_DIR / script.stem / CONFIG_DEFAULT
        if candidate.is_file():
            return candidate
    for suffix in (".yaml", ".yml"):
        sibling = script.with_suffix(suffix)
        if sibling.is_file():
            return sibling
    return None


def read_config(path: Path) -> Config:
    """Parse the YAML file at `path` (YAML 1.2 core schema) into a Config."""
    from pyruns_tui.errors import ParamsError

    try:
        data = _load_yaml(path)
    except ParamsError:
        raise
    except OSError as exc:
        raise ParamsError(f"pr.load(): cannot read {path}: {exc.strerror or exc}") from None
    except Exception as exc:  # a YAML syntax error: say where, keep it to one line
        detail = " ".join(str(exc).split())
        raise ParamsError(f"pr.load(): {path} is not valid YAML: {detail}") from None
    if data is None:
        return Config()
    if not isinstance(data, dict):
        raise ParamsError(
            f"pr.load(): {path} must hold a mapping of parameters at the top level, "
            f"not a {type(data).__name__}"
        )
    return Config(data)


def _load_yaml(path: Path) -> Any:
    try:
        from pyruns_tui.params.yamlio import load_file
    except ImportError:  # params room not installed: PyYAML gives a close-enough reading
        import yaml

        from pyruns_tui.safefile import MAX_READ_BYTES, read_text

        return yaml.safe_load(read_text(path, MAX_READ_BYTES))
    return load_file(path)
