"""Secrets kept out of what a run records: by the variable's name and by the value's shape."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from json.encoder import encode_basestring as _json_string  # (json.dumps' own, ensure_ascii=False)

REDACTED = "<redacted>"
SECRET_WORDS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "PASSPHRASE", "KEY", "CREDENTIAL", "PRIVATE",
                "COOKIE", "CONNECTION_STRING", "WEBHOOK")
# whole `_`-separated parts of a name that mark a secret (as substrings they would catch OLDPWD, AUTHOR...)
SECRET_PARTS = frozenset(("PWD", "PW", "PASS", "AUTH", "AUTHORIZATION", "PAT", "JWT", "DSN", "SIG", "SAS"))
NOT_SECRET = frozenset(("PWD", "OLDPWD", "SSH_AUTH_SOCK"))  # directories and a socket path

_SHAPES = [  # (what each needs to match is in _MAYBE_SECRET below)
    # userinfo of a URL; the password may itself hold `@`: up to the last `@` of the authority.
    # A scheme starts where no scheme character precedes it: tried from every letter of a long
    # value instead, the search took quadratic time (a 200 KB variable hung the runner)
    (re.compile(r"(?P<head>(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:)[^/\s]*@(?=[^@/\s]*(?:[/?#\s]|$))"),
     rf"\g<head>{REDACTED}@"),
    # key=value secrets of DSNs, JDBC/ODBC/Azure connection strings and query strings
    (re.compile(r"(?i)(?P<head>(?:^|[\s;&?,])(?:password|passwd|pwd|pass|secret|token|access_token|api_?key"
                r"|account_?key|shared_?access_?key|sig|auth|authorization|client_secret)\s*=\s*)"
                r"(?:'[^']*'|\"[^\"]*\"|[^\s;&,]+)"), rf"\g<head>{REDACTED}"),
    # "password": "..." inside JSON (DOCKER_AUTH_CONFIG and friends)
    (re.compile(r"(?i)(?P<head>\"(?:password|auth|token|secret|identitytoken|registrytoken)\"\s*:\s*)\"[^\"]*\""),
     rf'\g<head>"{REDACTED}"'),
    (re.compile(r"(?i)(?P<head>\b(?:bearer|basic|token)\s+)[A-Za-z0-9._~+/=-]{8,}"), rf"\g<head>{REDACTED}"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), REDACTED),  # a JWT
    (re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{20,}"
                r"|xox[abposr]-[A-Za-z0-9-]{10,}|sk-[A-Za-z0-9_-]{20,}|npm_[A-Za-z0-9]{30,}|AKIA[0-9A-Z]{16})"),
     REDACTED),  # well-known token formats
    (re.compile(r"(?P<head>hooks\.slack\.com/services/)\S+"), rf"\g<head>{REDACTED}"),
]


def is_secret(name: str) -> bool:
    """Whether an environment variable's name says it holds a secret (*TOKEN*, *_PWD, *_AUTH...)."""
    upper = name.upper()
    if upper in NOT_SECRET:
        return False
    return any(word in upper for word in SECRET_WORDS) or not SECRET_PARTS.isdisjoint(re.split(r"[^A-Z0-9]+", upper))


def redact_value(value: str) -> str:
    """`value` with everything shaped like a secret replaced (URL passwords, key=value, tokens)."""
    for pattern, replacement in _SHAPES:
        value = pattern.sub(replacement, value)
    return value


def redact_env(env: Mapping[str, str]) -> dict[str, str]:
    """A copy of `env`, sorted, with secret values replaced and secret-shaped parts masked."""
    return {name: _redacted(name, env[name]) for name in sorted(env)}


def redacted_env_json(env: Mapping[str, str]) -> bytes:
    """`dump_json(redact_env(env))` (a run's `run_logs/runN.env.json`), each variable's line laid
    out once per runner: a run's ~100 variables are its runner's but for two or three, and
    escaping them all again was most of the cost of the file."""
    if not env or not all(type(name) is str and type(value) is str for name, value in env.items()):
        return (json.dumps(redact_env(env), indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
    return ("{\n  " + ",\n  ".join([_env_line(name, env[name]) for name in sorted(env)]) + "\n}\n").encode("utf-8")


@functools.lru_cache(maxsize=4096)
def _env_line(name: str, value: str) -> str:
    return f"{_json_string(name)}: {_json_string(_redacted(name, value))}"


@functools.lru_cache(maxsize=4096)  # every run of a runner records (nearly) the same variables
def _redacted(name: str, value: str) -> str:
    if is_secret(name):
        return REDACTED
    # (a run's own values, its task folder and config path, miss the cache: one search, not seven)
    return redact_value(value) if _MAYBE_SECRET.search(value) else value


# The last part of an option's name that marks its value a secret (`--api-key`, `--hf_token`,
# `--db-password`). The environment's rule (any part, any substring) is too wide for a script's
# options: `--max_tokens`, `--tokenizer`, `--key_dim`, `--sig` (a sigma) and `--pat` (a patience)
# are common parameters, and the command line is recorded for the user to see what was passed.
SECRET_OPTION_ENDS = frozenset(("KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "PASSPHRASE", "PASS", "PWD", "PW",
                                "CREDENTIAL", "CREDENTIALS", "COOKIE", "AUTH", "AUTHORIZATION", "JWT", "DSN", "WEBHOOK"))
_OPTION = re.compile(r"(?<![^\s;&|(])(?P<name>--?[A-Za-z][\w.-]*)(?P<sep>=|\s+)(?P<value>'[^']*'|\"[^\"]*\"|[^\s;&|)]+)")
_ASSIGNMENT = re.compile(r"(?<![^\s;&|(])(?P<name>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>'[^']*'|\"[^\"]*\"|[^\s;&|)]*)")


def secret_option(name: str) -> bool:
    """Whether a command-line option's value is a secret by its name (`--api-key`: yes; `--key_dim`: no)."""
    parts = re.split(r"[^A-Z0-9]+", name.upper().strip("-"))
    return parts[-1] in SECRET_OPTION_ENDS


def redact_argv(argv: Sequence[str]) -> list[str]:
    """A copy of a run's command line with its secrets replaced: the value of an option whose name
    ends in a secret's word (`--api-key V`, `--hf_token=V`), and, in every item, what is shaped
    like a secret (`redact_value`) and, in a shell command, the value of `NAME=...` where NAME is a
    secret's name by the environment's rule (`HF_TOKEN=... python train.py`) and of a secret option."""
    out: list[str] = []
    secret = False  # the next item is the value of a secret option
    for item in argv:
        if secret and not (item.startswith("--") and len(item) > 2):
            out.append(REDACTED)
            secret = False
            continue
        secret = item.startswith("-") and _option_kind(item) == _SECRET_OPTION
        if secret or not _MAYBE_SECRET.search(item):
            out.append(item)
        else:  # (a long item, a shell task's command, is not kept in the cache: each task has its own)
            out.append(_redacted_item(item) if len(item) <= 256 else _redact_item(item))
    return out


_SECRET_OPTION = 2


@functools.lru_cache(maxsize=1024)  # a workspace's options are few
def _option_kind(item: str) -> int:
    """0: not a lone option (`-0.5`, `--x=1`, text); 1: an option; `_SECRET_OPTION`: a secret one."""
    if len(item) < 2 or "=" in item or any(c.isspace() for c in item) or not item.lstrip("-")[:1].isalpha():
        return 0
    return _SECRET_OPTION if secret_option(item) else 1


# What every rule above needs to find something (`_SHAPES`, `_OPTION`, `_ASSIGNMENT`; keep them in
# step): an item without any (`0.0001`, `adam`, `/data/set3/train.jsonl`, most of a grid's values)
# is kept after one search instead of ten (a 12-item command line with a new path: ~6 us, not ~23)
_MAYBE_SECRET = re.compile(r'[\s="]|://|eyJ|gh[pousr]_|github_pat_|glpat-|xox|sk-|npm_|AKIA|hooks\.slack\.com')


@functools.lru_cache(maxsize=4096)  # the same options and values come back run after run
def _redacted_item(item: str) -> str:
    return _redact_item(item)


def _redact_item(item: str) -> str:
    item = _OPTION.sub(_option_value, item)
    if "=" in item:
        item = _ASSIGNMENT.sub(_assigned_value, item)
    return redact_value(item)


def _option_value(match: re.Match[str]) -> str:
    if not secret_option(match["name"]):
        return match[0]
    return f"{match['name']}{match['sep']}{REDACTED}"


def _assigned_value(match: re.Match[str]) -> str:
    return f"{match['name']}={REDACTED}" if is_secret(match["name"]) and match["value"] else match[0]
