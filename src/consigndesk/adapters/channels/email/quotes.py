"""Quoted history and signatures come off an email body, so the ticket shows only what is new."""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser

# A line that starts the quoted earlier message: everything from it on is history.
_QUOTE_HEADERS = [
    re.compile(r"^\s*On\b.{0,300}\bwrote:\s*$", re.IGNORECASE),
    re.compile(r"^\s*在.{0,300}(写道|寫道)\s*[:：]?\s*$"),
    re.compile(
        r"^\s*-{2,}\s*(Original Message|Forwarded message|原始邮件|原始郵件)\s*-{2,}\s*$", re.I
    ),
    re.compile(r"^\s*_{10,}\s*$"),  # Outlook's rule above its "From:" block
    re.compile(r"^\s*(发件人|寄件者|發件人)\s*[:：]"),
]
_OUTLOOK_FROM = re.compile(r"^\s*From:\s*\S", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(r"^\s*(Sent|Date|To|发送时间|日期)\s*[:：]", re.IGNORECASE)
_SIGNATURE_LINES = re.compile(
    r"^\s*(--\s*|发自我的\s*\S+|發自我的\s*\S+|Sent from my \S+.*|Get Outlook for \S+.*|"
    r"发自网易邮箱.*|来自\s*QQ\s*邮箱.*)$",
    re.IGNORECASE,
)
_SKIP_TAGS = {"script", "style", "head", "title"}
_BLOCK_TAGS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "table", "ul", "ol", "hr"}
_VOID_TAGS = {"br", "img", "hr", "meta", "link", "input", "wbr", "col", "area", "base"}
_QUOTE_MARKERS = ("gmail_quote", "yahoo_quoted", "moz-cite-prefix", "divrplyfwdmsg", "appendonsend")


def strip_quoted_text(text: str) -> str:
    """Drop `>` lines, everything from a quote header on, and a trailing signature."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        two = f"{line} {nxt.strip()}"
        if any(p.match(line) for p in _QUOTE_HEADERS) or (
            line.strip().startswith("On ") and _QUOTE_HEADERS[0].match(two)
        ):
            break
        if _OUTLOOK_FROM.match(line) and _OUTLOOK_NEXT.match(nxt):
            break
        if _SIGNATURE_LINES.match(line):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    return "\n".join(kept).strip()


class _Cutter(HTMLParser):
    """Re-emits the HTML without quoted sub-trees, stopping at the first quote header."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.html: list[str] = []
        self.text: list[str] = []
        self._skip_depth = 0  # inside <blockquote>, a quote container or <script>
        self._stack: list[str] = []
        self.stopped = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.stopped:
            return
        marks = " ".join(v or "" for k, v in attrs if k in {"class", "id"}).lower()
        void = tag in _VOID_TAGS
        if not void:
            self._stack.append(tag)
        if self._skip_depth or tag in _SKIP_TAGS or tag == "blockquote":
            self._skip_depth += 0 if void else 1
            return
        if any(m in marks for m in _QUOTE_MARKERS):
            self._skip_depth += 0 if void else 1
            return
        rendered = "".join(f' {k}="{escape(v or "")}"' for k, v in attrs)
        self.html.append(f"<{tag}{rendered}>")
        if tag in _BLOCK_TAGS:
            self.text.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self.stopped or tag not in self._stack:
            return
        while self._stack:
            open_tag = self._stack.pop()
            if self._skip_depth:
                self._skip_depth -= 1
            else:
                self.html.append(f"</{open_tag}>")
            if open_tag == tag:
                break
        if tag in _BLOCK_TAGS and not self._skip_depth:
            self.text.append("\n")

    def handle_data(self, data: str) -> None:
        if self.stopped or self._skip_depth:
            return
        for line in data.splitlines() or [data]:
            if any(p.match(line) for p in _QUOTE_HEADERS) or _SIGNATURE_LINES.match(line):
                self.stopped = True
                return
        self.html.append(escape(data, quote=False))
        self.text.append(data)


def strip_quoted_html(html: str) -> tuple[str, str]:
    """(HTML without quoted history, its text); the caller sanitizes the HTML before storing."""
    cutter = _Cutter()
    cutter.feed(html)
    cutter.close()
    text = re.sub(r"[ \t\xa0]+", " ", "".join(cutter.text))
    text = re.sub(r"\n\s*\n+", "\n\n", text)
    return "".join(cutter.html).strip(), strip_quoted_text(text)
