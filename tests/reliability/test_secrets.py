"""Secrets redaction: a corpus of real-world secret variables (by name and by value shape) that
must never reach a run record, and ordinary variables that must stay readable."""

from __future__ import annotations

import json

import pytest

from pyruns_tui.runner.daemon.record import REDACTED, redact_env

SECRET = "hunter2Zq9"  # the secret part of every value below
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjaSJ9.c2lnbmF0dXJl"

# (name, value): the value holds a secret, so the recorded value must not contain the secret part
CORPUS = [
    ("MYSQL_PWD", SECRET),
    ("AZURE_STORAGE_CONNECTION_STRING", f"DefaultEndpointsProtocol=https;AccountName=a;AccountKey={SECRET};"),
    ("STORAGE", f"DefaultEndpointsProtocol=https;AccountName=a;AccountKey={SECRET};EndpointSuffix=x"),
    ("JDBC_URL", f"jdbc:postgresql://db:5432/x?user=me&password={SECRET}&ssl=true"),
    ("DB", f"host=db port=5432 dbname=x user=me password={SECRET}"),
    ("DB_QUOTED", f"host=db password='{SECRET} x' user=me"),
    ("ODBC", f"Driver={{x}};Server=db;Uid=me;Pwd={SECRET};"),
    ("SENTRY_DSN", f"https://{SECRET}@o1.ingest.sentry.io/1"),
    ("SLACK_WEBHOOK_URL", f"https://hooks.slack.com/services/T000/B000/{SECRET}"),
    ("NOTIFY", f"https://hooks.slack.com/services/T000/B000/{SECRET}"),
    ("HTTP_HEADERS", f"Authorization: Bearer {SECRET}xyz"),
    ("EXTRA", f"bearer {SECRET}xyz"),
    ("DOCKER_AUTH_CONFIG", json.dumps({"auths": {"r.io": {"auth": SECRET}}})),
    ("REGISTRY_CFG", json.dumps({"auths": {"r.io": {"username": "me", "password": SECRET}}})),
    ("NPM_AUTH", SECRET),
    ("NPM_CONFIG__AUTH", SECRET),
    ("GH_PAT", SECRET),
    ("CI_JOB_JWT", JWT),
    ("ANYTHING", f"x {JWT} y"),
    ("PASSPHRASE", SECRET),
    ("GPG_PASSPHRASE", SECRET),
    ("COOKIE", f"session={SECRET}"),
    ("HTTP_COOKIE", f"a=b; sid={SECRET}"),
    ("DATABASE_URL", f"postgres://me:{SECRET}@db:5432/x"),
    ("DATABASE_URL2", f"postgres://me:p@ss{SECRET}@db:5432/x"),
    ("REDIS_URL", f"redis://:{SECRET}@cache:6379/0"),
    ("PIP_INDEX_URL", f"https://me:{SECRET}@pypi.example.com/simple"),
    ("GITHUB", f"ghp_{SECRET}abcdefghijklmnopqrstu"),
    ("OPENAI", f"sk-{SECRET}abcdefghijklmnopqrstu"),
    ("AWS", "AKIAIOSFODNN7EXAMPLE"),
    ("HF_TOKEN", SECRET),
    ("aws_secret_access_key", SECRET),
    ("PGPASSWORD", SECRET),
    ("SSH_PRIVATE", SECRET),
    ("WANDB_API_KEY", SECRET),
    ("QUERY", f"https://api.example.com/v1?api_key={SECRET}&x=1"),
    ("SAS_URL", f"https://a.blob.core.windows.net/c?sv=2020&sig={SECRET}"),
]
PLAIN = {
    "PATH": "/usr/bin:/bin", "HOME": "/home/me", "PWD": "/work/proj", "OLDPWD": "/work", "LANG": "C.UTF-8",
    "GIT_AUTHOR_NAME": "Ada", "CUDA_VISIBLE_DEVICES": "0,1", "PYTHONPATH": "/src", "TERM": "xterm-256color",
    "HTTP_PROXY": "http://proxy:3128", "MODEL_URL": "https://host/a:b@c", "EMAIL": "me@example.com",
    "SSH_AUTH_SOCK": "/tmp/ssh-x/agent.1", "DISPLAY": ":0", "SPEC": "lr=0.1;bs=32",
}


@pytest.mark.parametrize(("name", "value"), CORPUS, ids=[n for n, _ in CORPUS])
def test_secret_never_recorded(name: str, value: str) -> None:
    recorded = redact_env({name: value})[name]
    for part in (SECRET, JWT, "AKIAIOSFODNN7EXAMPLE"):
        assert part not in recorded or part not in value, (name, recorded)
    assert REDACTED in recorded


def test_ordinary_variables_stay_readable() -> None:
    assert redact_env(PLAIN) == dict(sorted(PLAIN.items()))


def test_the_corpus_covers_every_name_of_the_issue() -> None:
    names = {n for n, _ in CORPUS}
    assert {"MYSQL_PWD", "AZURE_STORAGE_CONNECTION_STRING", "SENTRY_DSN", "SLACK_WEBHOOK_URL", "DOCKER_AUTH_CONFIG",
            "NPM_AUTH", "GH_PAT", "CI_JOB_JWT", "PASSPHRASE", "COOKIE"} <= names
