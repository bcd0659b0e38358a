"""The starter knowledge base: one Markdown file per article under `seed/`, both languages inside.

File format (written for people, parsed without a YAML dependency):

    ---
    slug: refund-timing
    category: returns_refunds
    tags: refund, 退款
    intents: return_refund
    ---
    <!-- lang: zh -->
    # 退款多久到账？
    正文 …
    <!-- lang: en -->
    # How long does a refund take?
    Body …
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

_LANG_MARK = re.compile(r"^<!--\s*lang:\s*(\w+)\s*-->\s*$", re.MULTILINE)


class SeedFormatError(ValueError):
    pass


@dataclass(frozen=True)
class SeedArticle:
    slug: str
    category: str
    tags: list[str]
    intents: list[str]
    translations: dict[str, tuple[str, str]]  # lang → (title, body Markdown)


def parse_seed(name: str, source: str) -> SeedArticle:
    if not source.startswith("---\n"):
        raise SeedFormatError(f"{name}: must start with a '---' front-matter block")
    header, sep, rest = source[4:].partition("\n---\n")
    if not sep:
        raise SeedFormatError(f"{name}: front matter is not closed by '---'")
    meta: dict[str, str] = {}
    for line in header.splitlines():
        if line.strip():
            key, colon, value = line.partition(":")
            if not colon:
                raise SeedFormatError(f"{name}: front-matter line {line!r} has no ':'")
            meta[key.strip()] = value.strip()
    parts = _LANG_MARK.split(rest)
    translations: dict[str, tuple[str, str]] = {}
    for lang, block in zip(parts[1::2], parts[2::2], strict=True):
        lines = block.strip().splitlines()
        if not lines or not lines[0].startswith("# "):
            raise SeedFormatError(f"{name}: the {lang} part must start with '# Title'")
        translations[lang] = (lines[0][2:].strip(), "\n".join(lines[1:]).strip() + "\n")
    for key in ("slug", "category"):
        if not meta.get(key):
            raise SeedFormatError(f"{name}: front matter needs {key!r}")

    def listed(key: str) -> list[str]:
        return [v.strip() for v in meta.get(key, "").split(",") if v.strip()]

    return SeedArticle(
        slug=meta["slug"],
        category=meta["category"],
        tags=listed("tags"),
        intents=listed("intents"),
        translations=translations,
    )


def load_seed_articles() -> list[SeedArticle]:
    """Every seed article, in file-name order."""
    folder = resources.files("consigndesk.knowledge").joinpath("seed")
    files = sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(".md")), key=lambda e: e.name
    )
    return [parse_seed(entry.name, entry.read_text(encoding="utf-8")) for entry in files]
