"""What we accept as an attachment: size limits, safe file names, types we trust."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from consigndesk.domain.errors import InvalidInput

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
_UNSAFE = re.compile(r"[^\w.\- ()\[\]]+", re.UNICODE)
# Shown inline in a browser only when sniffing agrees; everything else is a download.
INLINE_TYPES = {
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "audio/x-wav",
    "audio/wav",
    "audio/mpeg",
    "audio/ogg",
    "application/pdf",
    "text/plain",
}


def safe_filename(name: str | None, fallback: str = "attachment") -> str:
    """A name that cannot climb directories, hide an extension or break a header."""
    base = unicodedata.normalize("NFC", (name or "").replace("\\", "/").split("/")[-1])
    base = _UNSAFE.sub("_", base).strip(" ._")[:120]
    return base or fallback


@dataclass(frozen=True)
class AttachmentPolicy:
    max_bytes: int = MAX_ATTACHMENT_BYTES

    def check(self, data: bytes) -> None:
        if not data:
            raise InvalidInput("the attachment is empty", code="empty_attachment")
        if len(data) > self.max_bytes:
            raise InvalidInput(
                f"the attachment is larger than {self.max_bytes} bytes",
                code="attachment_too_large",
            )


def content_type_for(sniffed: str | None, declared: str | None, data: bytes) -> str:
    """Trust what the bytes say; fall back to text/plain for readable text, else a download."""
    if sniffed:
        return sniffed
    if declared == "text/plain" or declared is None:
        try:
            data[:4096].decode("utf-8")
            return "text/plain"
        except UnicodeDecodeError:
            pass
    return "application/octet-stream"


@dataclass(frozen=True)
class Upload:
    """A file that arrived with a customer message (email part, call recording, form upload)."""

    filename: str | None
    data: bytes
    content_type: str | None = None
