"""Secrets kept out of what a run records: by the variable's name and by the value's shape."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

REDACTED = "<redacted>"
SECRET_WORDS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "PASSPHRASE", "KEY", "CREDENTIAL", "PRIVATE",
                "COOKIE", "CONNECTION_STRING", "WEBHOOK")
# whole `_`-separated parts of a name that mark a secret (as substrings they would catch OLDPWD, AUTHOR...)
SECRET_PARTS = frozenset(("PWD", "PW", "PASS", "AUTH", "AUTHORIZATION", "PAT", "JWT", "DSN", "SIG", "SAS"))
NOT_SECRET = frozenset(("PWD", "OLDPWD", "SSH_AUTH_SOCK"))  # directories and a socket path

_SHAPES = [
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


@functools.lru_cache(maxsize=4096)  # every run of a runner records (nearly) the same variables
def _redacted(name: str, value: str) -> str:
    return REDACTED if is_secret(name) else redact_value(value)
