"""Decoding text as Chinese mail really arrives: mislabelled GB2312, Big5, raw 8-bit headers."""

from __future__ import annotations

import base64
import binascii
import codecs
import quopri
import re

# Declared charsets that are subsets of what senders really use.
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "gb_2312-80": "gb18030",
    "euc-cn": "gb18030",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "cp950": "big5hkscs",
    "ks_c_5601-1987": "cp949",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
    "iso-8859-1": "cp1252",
}
_GUESSES = ("utf-8", "gb18030", "big5hkscs")
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")


def _codec(charset: str | None) -> str | None:
    if not charset:
        return None
    name = charset.strip().strip('"').lower()
    name = _SUPERSETS.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_bytes(data: bytes, charset: str | None) -> str:
    """The declared charset (widened to its superset), then UTF-8, GB18030, Big5; never raises."""
    declared = _codec(charset)
    for name in (declared, *_GUESSES):
        if name is None:
            continue
        try:
            return data.decode(name)
        except UnicodeDecodeError:
            continue
    return data.decode(declared or "utf-8", errors="replace")


def decode_header_value(raw: str | None) -> str:
    """RFC 2047 encoded words and raw 8-bit bytes in a header, each with the charset fallbacks.

    Adjacent encoded words in one charset are joined before decoding: Chinese mailers split a
    multi-byte character across two words.
    """
    if not raw:
        return ""
    text = " ".join(raw.split())
    if any("\udc80" <= ch <= "\udcff" for ch in text):  # raw 8-bit, kept by surrogateescape
        text = decode_bytes(text.encode("utf-8", "surrogateescape"), None)
    pieces: list[tuple[str | None, bytes | str]] = []  # (charset of an encoded word, value)
    pos = 0
    for match in _ENCODED_WORD.finditer(text):
        gap = text[pos : match.start()]
        if gap and not (gap.isspace() and pieces and pieces[-1][0] is not None):
            pieces.append((None, gap))
        charset, encoding, payload = match.groups()
        data = _word_bytes(encoding, payload)
        pieces.append(
            (charset.split("*")[0].lower(), data) if data is not None else (None, match[0])
        )
        pos = match.end()
    pieces.append((None, text[pos:]))
    out: list[str] = []
    buffer, current = b"", None
    for charset, value in pieces:
        if charset is not None and charset == current and isinstance(value, bytes):
            buffer += value
            continue
        if current is not None:
            out.append(decode_bytes(buffer, current))
            buffer, current = b"", None
        if charset is not None and isinstance(value, bytes):
            buffer, current = value, charset
        else:
            out.append(str(value))
    if current is not None:
        out.append(decode_bytes(buffer, current))
    return "".join(out).strip()


def _word_bytes(encoding: str, payload: str) -> bytes | None:
    try:
        if encoding in "bB":
            return base64.b64decode(payload + "=" * (-len(payload) % 4))
        return quopri.decodestring(payload.encode("ascii", "replace"), header=True)
    except (ValueError, binascii.Error):
        return None
