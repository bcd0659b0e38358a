"""Reaching the real services this machine runs (PostgreSQL …): skip, or fail when required."""

from __future__ import annotations

import os

import pytest


def services_required() -> bool:
    return os.environ.get("CONSIGNDESK_REQUIRE_SERVICES") == "1"


def unavailable(reason: str) -> None:
    """Skip with a clear reason, or fail when CONSIGNDESK_REQUIRE_SERVICES=1."""
    if services_required():
        pytest.fail(f"required service unavailable: {reason}")
    pytest.skip(reason)
