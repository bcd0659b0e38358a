"""What a telephony provider's recording webhook tells us about the caller."""

from __future__ import annotations

from consigndesk.domain.errors import InvalidInput


def normalise_phone(raw: str | None) -> str:
    """`+86 138-0013-8000` → `+8613800138000`; the form customers are matched and created by."""
    text = (raw or "").strip()
    digits = _digits(text)
    if not 5 <= len(digits) <= 20:
        raise InvalidInput(
            "the caller's number (From) is missing or malformed", code="invalid_phone"
        )
    return ("+" if text.startswith(("+", "00")) else "") + digits.removeprefix(
        "00" if text.startswith("00") else ""
    )


def caller_external_id(phone: str) -> str:
    """Callers the platform does not know become customers under their number."""
    return f"phone:{phone}"


def same_number(stored: str | None, phone: str) -> bool:
    """Stored numbers come in any format; compare digits, ignoring a missing country prefix."""
    digits = _digits(stored or "")
    wanted = phone.lstrip("+")
    if digits == wanted:
        return True
    shorter, longer = sorted((digits, wanted), key=len)
    return len(shorter) >= 7 and longer.endswith(shorter)


def _digits(text: str) -> str:
    """Every decimal digit as its ASCII one (a full-width ８ is an 8), so one number, however it
    is written, finds one customer."""
    return "".join(str(int(ch)) for ch in text if ch.isdecimal())
