"""Credentials: argon2 agent passwords, hashed API keys, signed customer links."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from consigndesk.domain.errors import Forbidden, InvalidInput, Unauthorized
from consigndesk.domain.people import Agent
from consigndesk.domain.text import storable
from consigndesk.services.unit_of_work import UnitOfWork

_hasher = PasswordHasher()
API_KEY_SCOPES = ("platform", "integration")
_DUMMY_HASH = _hasher.hash("timing-equaliser")


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise InvalidInput("passwords must be at least 8 characters")
    return _hasher.hash(password)


def login(uow: UnitOfWork, email: str, password: str) -> int:
    """The agent id for valid credentials; the same error for unknown email or wrong password."""
    with uow:
        agent: Agent | None = uow.agents.by_email(email)
        stored = agent.password_hash if agent is not None and agent.active else _DUMMY_HASH
        try:
            _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            raise Unauthorized("wrong email or password", code="bad_credentials") from None
        if agent is None or not agent.active:
            raise Unauthorized("wrong email or password", code="bad_credentials")
        assert agent.id is not None
        return agent.id


@dataclass(frozen=True)
class ApiKeyIdentity:
    key_id: int
    name: str
    scope: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_key(uow: UnitOfWork, name: str, scope: str) -> str:
    """Returns the full key once; only its prefix and a hash of the secret are stored."""
    if scope not in API_KEY_SCOPES:
        raise InvalidInput(f"scope must be one of {', '.join(API_KEY_SCOPES)}")
    if not name.strip():
        raise InvalidInput("an API key needs a name")
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with uow:
        uow.api_keys.add(prefix=prefix, secret_hash=_digest(secret), name=name.strip(), scope=scope)
        uow.commit()
    return f"cdk_{prefix}_{secret}"


def authenticate_api_key(uow: UnitOfWork, presented: str) -> ApiKeyIdentity:
    parts = presented.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != "cdk":
        raise Unauthorized("malformed API key", code="bad_api_key")
    with uow:
        row = uow.api_keys.by_prefix(parts[1])
        if row is None or not hmac.compare_digest(row["secret_hash"], _digest(parts[2])):
            raise Unauthorized("unknown API key", code="bad_api_key")
        if row["revoked_at"] is not None:
            raise Unauthorized("this API key was revoked", code="revoked_api_key")
        return ApiKeyIdentity(key_id=row["id"], name=row["name"], scope=row["scope"])


class RecentKeys:
    """API keys verified in the last `ttl` seconds, so a busy integration costs one database read
    per key and interval rather than one per request. A key revoked through another process stops
    working within `ttl`; this process forgets everything when it revokes one (`clear`)."""

    def __init__(self, ttl: float = 5.0, size: int = 1024) -> None:
        self._ttl = ttl
        self._size = size
        self._seen: dict[str, tuple[float, ApiKeyIdentity]] = {}

    def recall(self, presented: str) -> ApiKeyIdentity | None:
        """The key's identity if it was verified within `ttl` (no database read)."""
        hit = self._seen.get(_digest(presented))
        if hit is not None and time.monotonic() - hit[0] < self._ttl:
            return hit[1]
        return None

    def authenticate(self, uow: UnitOfWork, presented: str) -> ApiKeyIdentity:
        remembered = self.recall(presented)
        if remembered is not None:
            return remembered
        identity = authenticate_api_key(uow, presented)
        if len(self._seen) >= self._size:
            self._seen.clear()
        self._seen[_digest(presented)] = (time.monotonic(), identity)
        return identity

    def clear(self) -> None:
        self._seen.clear()


def require_scope(identity: ApiKeyIdentity, scope: str) -> None:
    if identity.scope != scope:
        raise Forbidden(
            f"this key has scope {identity.scope!r}; this endpoint needs {scope!r}",
            code="wrong_scope",
        )


# -- platform-signed customer identity -------------------------------------------------------
# Format: base64url(JSON {"sub", "role", "tier", "exp", optional "name", "email"}) + "." +
# hex HMAC-SHA256 of that base64 text with CONSIGNDESK_PLATFORM_SECRET. Small enough for a
# platform in any language to produce without a JWT library.


@dataclass(frozen=True)
class CustomerIdentity:
    external_id: str
    role: str
    tier: str
    name: str = ""
    email: str | None = None


def sign_customer_token(
    secret: str, identity: CustomerIdentity, ttl_seconds: int = 3600, now: float | None = None
) -> str:
    claims: dict[str, object] = {
        "sub": identity.external_id,
        "role": identity.role,
        "tier": identity.tier,
        "exp": int((now if now is not None else time.time()) + ttl_seconds),
    }
    if identity.name:
        claims["name"] = identity.name
    if identity.email:
        claims["email"] = identity.email
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    mac = hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
    return f"{body}.{mac}"


def verify_customer_token(secret: str, token: str, now: float | None = None) -> CustomerIdentity:
    """The customer a platform-signed token names. A token is text from the outside, so anything
    a signature or a claim could be malformed by is its error, never an exception."""
    body, _, mac = token.strip().partition(".")
    if not body or not body.isascii() or not mac.isascii():
        raise Unauthorized("the customer token is malformed", code="bad_customer_token")
    expected = hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, mac):
        raise Unauthorized("the customer token's signature is wrong", code="bad_customer_token")
    try:
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, RecursionError):
        raise Unauthorized("the customer token is malformed", code="bad_customer_token") from None
    if not isinstance(claims, dict):
        raise Unauthorized("the customer token is malformed", code="bad_customer_token")
    exp = claims.get("exp")
    if not isinstance(exp, int) or exp < (now if now is not None else time.time()):
        raise Unauthorized("the customer token has expired", code="expired_customer_token")
    return CustomerIdentity(
        external_id=_claim(claims, "sub", MAX_EXTERNAL_ID, required=True),
        role=_one_of(claims.get("role"), ("buyer", "seller")),
        tier=_one_of(claims.get("tier", "regular"), ("regular", "vip")),
        name=_claim(claims, "name", MAX_NAME),
        email=_claim(claims, "email", MAX_EMAIL) or None,
    )


MAX_EXTERNAL_ID, MAX_NAME, MAX_EMAIL = 64, 200, 320  # the customers table's columns


def _claim(claims: dict[str, Any], name: str, longest: int, required: bool = False) -> str:
    """A text claim that fits its column and that both databases can store (absent or null is
    empty)."""
    value = claims.get(name) or ""
    if (
        not isinstance(value, str)
        or len(value) > longest
        or (required and not value)
        or not storable(value)
    ):
        raise Unauthorized(f"the customer token's {name} is invalid", code="bad_customer_token")
    return value


def _one_of(value: object, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise Unauthorized("the customer token has invalid claims", code="bad_customer_token")
    return value
