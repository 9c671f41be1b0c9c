"""config_default.yaml: a script's parameters and their defaults, help text as comments.

Keys are flat, in declaration order (main parser, then the chosen sub-command). A default
that could not be resolved statically is written as null with the comment
`unresolved default: <source>`; a default read from the environment (`os.getenv("RANK", 0)`)
holds the fallback with the comment `from environment: RANK`; required parameters, keys only `set_defaults()` creates
and a parameter naming a YAML file of defaults (timm's `--config`, params/defaults_file.py) are marked as such.
The text reads back (yamlio.load_text) to exactly `ScriptParams.defaults()`.
"""

from __future__ import annotations

from typing import Any

from pyruns_tui.errors import ParamsError
from pyruns_tui.params import yamlio
from pyruns_tui.params.param_spec import ScriptParams
from pyruns_tui.params.yaml_scalars import SpelledFloat, source_float, yaml_float

__all__ = ["config_default_text", "defaults_from_text", "key_comment"]


def key_comment(sp: ScriptParams, key: str) -> str | None:
    """The one-line comment for `key`: its help, then notes on how its default was found."""
    specs = sp.specs_for(key)
    parts = []
    help_text = next((s.help for s in specs if s.help), None)
    first = specs[0]
    if help_text:  # (required) after the help's own words, its full stop kept: `saved. (required)`
        parts.append(" ".join(help_text.split()) + (" (required)" if first.required else ""))
    elif first.required:
        parts.append("required")
    if not first.default_resolved:
        source = " ".join(str(first.default_source).split())
        parts.append(f"unresolved default: {source}")
    if first.env_vars:
        parts.append(f"from environment: {', '.join(first.env_vars)}")
    if first.action == "set_defaults":
        parts.append("set by set_defaults(), not a command-line option")
    if first.defaults_file:
        parts.append("a YAML file of defaults: a task setting it records the file's values")
    # a note after a help that ends its sentence drops the full stop: `saved; unresolved default: …`
    return "; ".join([part.rstrip(".;") for part in parts[:-1]] + parts[-1:]) or None


def config_default_text(sp: ScriptParams) -> str:
    """YAML text of `sp.defaults()` with each key's help as a comment."""
    from pyruns_tui.params.yaml_roundtrip import dump_commented  # ruamel: only `init` writes this file

    comments = {}
    defaults = sp.defaults()
    for key in sp.keys():
        comment = key_comment(sp, key)
        if comment:
            comments[key] = comment
        spelled = source_float(defaults.get(key), sp.specs_for(key)[0].default_source)
        if spelled is not None:  # `1e10` as the script wrote it, not `10000000000.0`
            defaults[key] = SpelledFloat(defaults[key], yaml_float(spelled))
    return dump_commented(defaults, comments)


def defaults_from_text(text: str, where: str = "config_default.yaml") -> dict[str, Any]:
    """The mapping in a config_default.yaml text (an empty file is an empty mapping)."""
    data = yamlio.load_text(text, where=where)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ParamsError(f"{where}: expected a mapping of parameter: value, got "
                          f"{type(data).__name__} (fix the file)")
    return data
