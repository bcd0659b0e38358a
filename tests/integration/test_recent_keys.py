"""Remembered API keys: a busy integration is not one database read per call, and revoking works."""

from __future__ import annotations

import pytest

from consigndesk.bootstrap import App
from consigndesk.domain.errors import Unauthorized
from consigndesk.services.auth import RecentKeys, create_api_key


def revoke_all(core: App) -> None:
    with core.uow() as uow:
        for key in uow.api_keys.list():
            uow.api_keys.revoke(key["id"])
        uow.commit()


def test_a_revoked_key_is_refused_once_the_memory_is_cleared(core: App) -> None:
    key = create_api_key(core.uow(), "shop", "integration")
    keys = RecentKeys(ttl=60)
    assert keys.authenticate(core.read_uow(), key).scope == "integration"
    revoke_all(core)
    assert keys.authenticate(core.read_uow(), key).name == "shop"  # remembered within the ttl
    keys.clear()
    with pytest.raises(Unauthorized, match="revoked"):
        keys.authenticate(core.read_uow(), key)


def test_without_a_ttl_every_call_asks_the_database(core: App) -> None:
    key = create_api_key(core.uow(), "shop", "integration")
    keys = RecentKeys(ttl=0)
    keys.authenticate(core.read_uow(), key)
    revoke_all(core)
    with pytest.raises(Unauthorized, match="revoked"):
        keys.authenticate(core.read_uow(), key)


def test_wrong_secrets_are_never_remembered(core: App) -> None:
    key = create_api_key(core.uow(), "shop", "integration")
    keys = RecentKeys(ttl=60)
    with pytest.raises(Unauthorized):
        keys.authenticate(core.read_uow(), key[:-2] + "xx")
    assert keys.authenticate(core.read_uow(), key).name == "shop"
