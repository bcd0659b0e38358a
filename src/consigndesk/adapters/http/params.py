"""Numbers in paths that name stored rows. One that no row can have is refused with a 422 by
validation, instead of reaching the database and failing there (an id beyond 64 bits, a version
beyond 32)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from consigndesk.domain.tickets import MAX_ROW_ID

MAX_VERSION = 2**31 - 1
"""Versions (of tickets, articles and their translations) are 32-bit integers in both databases."""

RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
VersionNumber = Annotated[int, Path(ge=1, le=MAX_VERSION)]
