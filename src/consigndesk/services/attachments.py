"""Storing attachments: sniffed types, safe names, size limits; messages keep a reference."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import filetype

from consigndesk.domain.attachments import AttachmentPolicy, content_type_for, safe_filename
from consigndesk.domain.events import utcnow
from consigndesk.services.unit_of_work import UnitOfWork


def store_attachment(
    uow: UnitOfWork,
    *,
    ticket_id: int,
    filename: str | None,
    data: bytes,
    declared_type: str | None = None,
    policy: AttachmentPolicy | None = None,
) -> dict[str, Any]:
    """Store inside the caller's transaction (written at its commit); returns the reference a
    Message keeps."""
    (policy or AttachmentPolicy()).check(data)
    kind = filetype.guess(data)
    row = {
        "id": uuid.uuid4().hex,
        "ticket_id": ticket_id,
        "filename": safe_filename(filename),
        "content_type": content_type_for(kind.mime if kind else None, declared_type, data),
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "created_at": utcnow(),
    }
    uow.attachments.add({**row, "data": data})
    return {k: row[k] for k in ("id", "filename", "content_type", "size", "sha256")}
