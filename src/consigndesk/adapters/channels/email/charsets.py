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
# Text codecs that are no charset a mailer writes: they make lone surrogates out of ASCII
# (`\ud800`), or always fail. Bytes-to-bytes codecs (rot13, zlib, base64 …) are not text codecs.
_NOT_CHARSETS = frozenset({"unicode-escape", "raw-unicode-escape", "undefined", "idna", "punycode"})
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_ESCAPED_BYTE = re.compile("[\\udc80-\\udcff]")  # how compat32 keeps a raw 8-bit byte
_NOT_A_BYTE = re.compile("[\\ud800-\\udc7f\\udd00-\\udfff]")


def _codec(charset: str | None) -> str | None:
    """The codec of a declared charset; None for an unknown one or one that is no charset."""
    if not charset:
        return None
    name = charset.strip().strip('"').lower()
    name = _SUPERSETS.get(name, name)
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_CHARSETS:
        return None
    return info.name


def decode_bytes(data: bytes, charset: str | None) -> str:
    """The declared charset (widened to its superset), then UTF-8, GB18030, Big5; never raises.
    UTF-7 can still decode to a lone surrogate: `InboundEmail` makes it U+FFFD."""
    declared = _codec(charset)
    for name in (declared, *_GUESSES):
        if name is None:
            continue
        try:
            return data.decode(name)
        except UnicodeError:
            continue
    return data.decode(declared or "utf-8", errors="replace")


def has_8bit(raw: str) -> bool:
    """Whether a header parsed by compat32 held raw 8-bit bytes (kept as surrogate escapes)."""
    return _ESCAPED_BYTE.search(raw) is not None


def utf8_or_escaped(raw: str) -> str:
    """A compat32 header value with its raw bytes read as UTF-8 (SMTPUTF8 mail); bytes that are
    not UTF-8 stay escaped, so a caller can tell them apart."""
    if not has_8bit(raw):
        return raw
    return _escaped_bytes(raw).decode("utf-8", "surrogateescape")


def _escaped_bytes(text: str) -> bytes:
    """The bytes compat32 read, back from their escapes (a surrogate no byte makes is U+FFFD)."""
    return _NOT_A_BYTE.sub("\ufffd", text).encode("utf-8", "surrogateescape")


def decode_header_value(raw: str | None) -> str:
    """RFC 2047 encoded words and raw 8-bit bytes in a header, each with the charset fallbacks.

    Adjacent encoded words in one charset are joined before decoding: Chinese mailers split a
    multi-byte character across two words.
    """
    if not raw:
        return ""
    text = " ".join(raw.split())
    if has_8bit(text):
        text = decode_bytes(_escaped_bytes(text), None)
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
