"""Masking of personal data for agents who may not see it in full (outsourced teams)."""

import re

_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
# Chinese mobile numbers and "+"-prefixed international numbers; bare digit runs such as
# tracking numbers or order numbers (which follow letters) are left alone.
_PHONE = re.compile(r"(?<![A-Za-z0-9])((?:\+86[ -]?)?1[3-9]\d{9}|\+\d[\d -]{7,}\d)(?!\d)")


def mask_email(email: str | None) -> str | None:
    if not email or "@" not in email:
        return email
    local, domain = email.split("@", 1)
    return f"{local[:1]}***@{domain}"


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return phone
    digits = [c for c in phone if c.isdigit()]
    if len(digits) <= 4:
        return "*" * len(phone)
    return f"{'*' * (len(digits) - 4)}{''.join(digits[-4:])}"


def mask_address(address: str | None) -> str | None:
    """Keep the city-level prefix (first 6 characters), hide street and house number."""
    if not address:
        return address
    return address[:6] + "****"


def mask_text(text: str) -> str:
    """Mask emails and phone numbers appearing inside free text (message bodies)."""
    text = _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)

    return _PHONE.sub(lambda m: mask_phone(m.group(1)) or "", text)
