"""The parameters of a script as read by static argparse extraction.

`ParamSpec` is one `add_argument` (or one `set_defaults` key with no argument); `ScriptParams`
is everything read from one script. Both are frozen and convert to and from plain JSON dicts
(stored in script_info.json).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from pyruns_tui.contracts import JSON_TO_NONFINITE, NONFINITE_TO_JSON
from pyruns_tui.params.values import same_value

__all__ = ["ParamSpec", "ScriptParams", "ACTIONS", "plain_copy", "unresolved_warnings"]

ACTIONS = ("store", "store_true", "store_false", "store_const", "count", "append",
           "append_const", "extend", "boolean_optional", "set_defaults")
KINDS = ("argparse", "pyruns_load", "plain")


def plain_copy(value: Any) -> Any:
    """`value` with tuples turned into lists (recursively), as it reads back from JSON/YAML."""
    if isinstance(value, (list, tuple)):
        return [plain_copy(item) for item in value]
    if isinstance(value, dict):
        return {key: plain_copy(item) for key, item in value.items()}
    return value


def _storable(value: Any) -> bool:
    """Whether `value` is plain JSON data (finite numbers, str keys) that script_info.json can hold."""
    if value is None or isinstance(value, (str, bool, int)):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, (list, tuple)):
        return all(_storable(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(key, str) and _storable(item) for key, item in value.items())
    return False


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a script: what `add_argument` declared, with the default resolved.

    `key` is the namespace attribute (dest). `default` is the value argparse gives for an empty
    command line (after `set_defaults`, string defaults converted by builtin types, sub-parser
    overrides); when it cannot be known statically `default_resolved` is False, `default` is
    None and `default_source` holds the source text for display only. `action` is one of
    ACTIONS or the source text of a custom Action class; "set_defaults" marks a key that only
    `set_defaults()` creates: it has no flag and cannot be changed from the command line.
    `subcommand` names the sub-parser that declares it (None for the main parser).
    `env_vars` names the environment variables its default reads (`os.getenv("RANK", 0)`):
    the default shown is the fallback, what an empty environment gives.
    `exclusive` numbers the mutually exclusive group (`add_mutually_exclusive_group()`) it was
    added to, None for none: argparse refuses two members of one group on a command line;
    `exclusive_required` marks a `required=True` group (argparse refuses a command line with none).
    `defaults_file` marks the parameter whose value names a YAML file the script loads and gives
    to `set_defaults(**...)` before its real parse (timm's `--config`): that file's values are
    the script's defaults then (params/defaults_file.py); `defaults_file_empty_fails` marks a
    script that gives an empty file's None to `set_defaults(**None)` (no `or {}`, no `if cfg:`),
    which fails every run (False in a script_info.json written before it was read: not refused).
    `default_at` is `FILE:LINE` of the default's source (the line that bound the name it reads, when
    that is what cannot be known), for the warning about an unresolved one; it is not stored.
    """

    key: str
    flags: tuple[str, ...] = ()
    default: Any = None
    default_resolved: bool = True
    default_source: str | None = None
    type_name: str | None = None
    choices: tuple[Any, ...] | None = None
    action: str = "store"
    const: Any = None
    nargs: int | str | None = None
    required: bool = False
    help: str | None = None
    group: str | None = None
    positional: bool = False
    subcommand: str | None = None
    env_vars: tuple[str, ...] = ()
    exclusive: int | None = None
    exclusive_required: bool = False
    defaults_file: bool = False
    defaults_file_empty_fails: bool = False
    default_at: str | None = field(default=None, compare=False)

    @property
    def settable(self) -> bool:
        """Whether a command-line value can set this parameter."""
        return self.positional or bool(self.flags)

    def leaves_off(self, value: Any) -> bool:
        """Whether the launch leaves `value` off the command line as the script's own default: an
        optional parameter (not positional, not required) whose default is resolved, and `value`
        equal to it as data (`same_value`). The script gets it without the flag, so such a value
        always fits, whatever it is (timm's `--model-kwargs`, nargs='*', defaults to `{}`): the one
        rule of the launch (`argv`, asked of the key's first spec) and of the form (`form_checks`)."""
        return self.default_resolved and not self.positional and not self.required and same_value(value, self.default)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field: a NaN/inf default is spelled as JSON_TO_NONFINITE
        spells it (`default_nonfinite` marks it), any other non-JSON value is stored unresolved."""
        default, resolved, source, nonfinite = plain_copy(self.default), self.default_resolved, self.default_source, False
        if isinstance(default, float) and not math.isfinite(default):
            default, nonfinite = NONFINITE_TO_JSON[repr(default)], True
        elif not _storable(default):  # a set, bytes, an object...: shown as source text, like any unknown default
            default, resolved, source = None, False, source or repr(default)[:200]
        return {
            "key": self.key, "flags": list(self.flags), "default": default,
            "default_resolved": resolved, "default_source": source, "default_nonfinite": nonfinite,
            "type_name": self.type_name,
            "choices": None if self.choices is None or not _storable(self.choices) else plain_copy(self.choices),
            "action": self.action, "const": plain_copy(self.const) if _storable(self.const) else None, "nargs": self.nargs,
            "required": self.required, "help": self.help, "group": self.group,
            "positional": self.positional, "subcommand": self.subcommand,
            "env_vars": list(self.env_vars),
            "exclusive": self.exclusive, "exclusive_required": self.exclusive_required,
            "defaults_file": self.defaults_file, "defaults_file_empty_fails": self.defaults_file_empty_fails,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ParamSpec:
        """The inverse of `to_dict`; missing fields take defaults (a script_info.json written
        before a field existed loads), unknown ones are ignored."""
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        known["flags"] = tuple(known.get("flags") or ())
        known["env_vars"] = tuple(known.get("env_vars") or ())
        if data.get("default_nonfinite") and known.get("default") in JSON_TO_NONFINITE:
            known["default"] = JSON_TO_NONFINITE[known["default"]]
        if known.get("choices") is not None:
            known["choices"] = tuple(known["choices"])
        return cls(**known)


def unresolved_warnings(specs: list[ParamSpec] | tuple[ParamSpec, ...]) -> list[str]:
    """The warning for each default static extraction cannot know, at the line of its source:
    `train.py:56: could not resolve the default of --dtype: 'bfloat16' if ... else 'float16'` (argparse,
    HfArgumentParser fields and nanoGPT's configurator globals alike)."""
    out = []
    for spec in specs:
        if not spec.default_resolved:
            flag = spec.flags[-1] if spec.flags else spec.key
            where = f"{spec.default_at}: " if spec.default_at else ""
            out.append(f"{where}could not resolve the default of {flag}: {spec.default_source}")
    return out


@dataclass(frozen=True)
class ScriptParams:
    """Everything static extraction read from one script.

    `kind`: "argparse" (values go on the command line), "pyruns_load" (the script reads its
    config with `pyruns_tui.load()`), or "plain" (no parameters). `params` are in declaration
    order: the main parser's, then the chosen sub-command's. Several specs may share a key
    (e.g. a store_const pair); the first one's default is the key's default. `argv_style` says how
    the values go on the command line: "argparse" (the flags the parser reads: params/argv.py) or
    "configurator" (nanoGPT's `--key=value` items, read back by its configurator.py:
    params/configurator.py).
    """

    params: tuple[ParamSpec, ...] = ()
    kind: str = "plain"
    subcommands: tuple[str, ...] = ()
    subcommand: str | None = None
    warnings: tuple[str, ...] = ()
    prefix_chars: str = "-"
    files_read: tuple[str, ...] = ()  # modules read besides the script (imports followed)
    argv_style: str = "argparse"

    def keys(self) -> list[str]:
        """Distinct parameter keys in declaration order."""
        return list(dict.fromkeys(spec.key for spec in self.params))

    def specs_for(self, key: str) -> list[ParamSpec]:
        """Every spec writing `key`, in declaration order."""
        return [spec for spec in self.params if spec.key == key]

    def defaults(self) -> dict[str, Any]:
        """key -> default for an empty command line (None where unresolved)."""
        out: dict[str, Any] = {}
        for spec in self.params:
            if spec.key not in out:
                out[spec.key] = plain_copy(spec.default) if spec.default_resolved else None
        return out

    def with_defaults(self, values: dict[str, Any]) -> ScriptParams:
        """These parameters with `values` as the defaults of their keys (the defaults a YAML file
        of defaults gives the script: params/defaults_file.py); self when `values` is empty."""
        if not values:
            return self
        params = tuple(replace(spec, default=values[spec.key], default_resolved=True)
                       if spec.key in values else spec for spec in self.params)
        return replace(self, params=params)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (for script_info.json)."""
        return {
            "kind": self.kind, "params": [spec.to_dict() for spec in self.params],
            "subcommands": list(self.subcommands), "subcommand": self.subcommand,
            "warnings": list(self.warnings), "prefix_chars": self.prefix_chars,
            "files_read": list(self.files_read), "argv_style": self.argv_style,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScriptParams:
        """The inverse of `to_dict`."""
        return cls(
            params=tuple(ParamSpec.from_dict(p) for p in data.get("params") or ()),
            kind=data.get("kind", "plain"),
            subcommands=tuple(data.get("subcommands") or ()),
            subcommand=data.get("subcommand"),
            warnings=tuple(data.get("warnings") or ()),
            prefix_chars=data.get("prefix_chars") or "-",
            files_read=tuple(data.get("files_read") or ()),
            argv_style=data.get("argv_style") or "argparse",
        )
