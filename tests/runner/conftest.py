"""Fixtures of the runner tests (see harness.py)."""

from tests.runner.harness import project  # noqa: F401
