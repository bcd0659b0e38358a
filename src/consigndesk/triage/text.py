"""Text clean-up shared by language detection, features and signals."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_CHARS = 5000  # longer messages are cut: the first screen of an email says what it is about

# Common traditional characters seen in customer messages, mapped to simplified forms.
_TRAD = (
    "貨货 換换 訂订 單单 號号 碼码 賬账 帳账 戶户 錢钱 買买 賣卖 運运 遞递 "
    "發发 務务 這这 們们 個个 為为 麼么 說说 話话 還还 沒没 嗎吗 請请 問问 "
    "題题 實实 認认 證证 據据 額额 費费 結结 現现 員员 幫帮 處处 價价 轉转 "
    "銀银 騙骗 詐诈 訴诉 師师 報报 壞坏 東东 時时 間间 給给 無无 啟启 動动 "
    "復复 雙双 機机 區区 與与 從从 後后 裡里 裏里 頭头 點点 聯联 繫系 係系 "
    "網网 線线 經经 當当 開开 關关 閉闭 門门 長长 電电 讓让 應应 該该 對对 "
    "錯错 誤误 導导 將将 進进 達达 遲迟 過过 難难 覺觉 樣样 種种 賠赔 償偿 "
    "標标 準准 質质 滿满 驗验 簽签 擔担 憂忧 氣气 爛烂 盜盗 凍冻 鎖锁 錄录 "
    "護护 寶宝 貝贝 圖图 顏颜 規规 議议 優优 擊击 鬧闹 體体 總总 戲戏 遊游 "
    "歸归 筆笔 紀纪 記记 態态 慮虑 拋抛 棄弃 異异 狀状 況况 數数 車车 郵邮 "
    "紙纸 賺赚 續续 資资 訊讯 罰罚 漲涨 廢废 來来 條条 麗丽 傳传 見见 視视 "
    "聽听 讀读 寫写 靈灵 懷怀 辦办 幾几 萬万 億亿 塊块"
)
TRAD_TO_SIMP = str.maketrans({pair[0]: pair[1] for pair in _TRAD.split()})

# Pinyin initials used as shorthand in Chinese e-commerce chat.
PINYIN_ABBREVIATIONS: dict[str, str] = {
    "tk": "退款",
    "th": "退货",
    "hh": "换货",
    "kf": "客服",
    "fh": "发货",
    "wl": "物流",
    "kd": "快递",
    "dd": "订单",
    "sh": "售后",
    "zfb": "支付宝",
    "wx": "微信",
    "yhk": "银行卡",
    "tx": "提现",
    "km": "卡密",
    "ts": "投诉",
    "xy": "闲鱼",
}

_GREETING = re.compile(
    r"^(?:(?:hi|hello|hey|dear|good (?:morning|afternoon|evening))(?: there| team| folks| all"
    r"| support| sir| madam| support team)?|to whom it may concern|to the support team"
    r"|(?:您好|你好|哈喽)(?:客服|呀|啊)?|客服(?:你好|您好)|亲|在吗|打扰(?:了|一下)|工作人员您好)"
    r"\s*[,，!！:：。?？\-–]\s*",
    re.IGNORECASE,
)
_SIGN_OFF = re.compile(
    r"^[-—–\s]*(?:thanks|thank you|thx|many thanks|regards|best|kind regards|cheers|sincerely"
    r"|sent from"
    r"|--|谢谢|多谢|祝好|此致|发自|来自|辛苦|盼复|麻烦了)",
    re.IGNORECASE,
)
_REPEATS = re.compile(r"(.)\1{3,}", re.DOTALL)
_SPACES = re.compile(r"\s+")
_LATIN_TOKEN = re.compile(r"[a-z]+")
_INVISIBLE = {"\u200b", "\u200c", "\u200d", "\ufeff", "\ufe0f", "\ufe0e", "\ufffd"}


HAN_RANGES = "\u4e00-\u9fff\u3400-\u4dbf"  # CJK unified ideographs and extension A
HAN = re.compile(f"[{HAN_RANGES}]")
# What `_split_symbols` keeps unchanged without looking: printable ASCII, newlines and Han.
_UNUSUAL = re.compile(f"[^\x20-\x7e\n{HAN_RANGES}]")


def is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


@dataclass(frozen=True, slots=True)
class CleanText:
    """The message after clean-up: `text` feeds the model, `cased` keeps capitals for signals."""

    text: str
    cased: str
    emojis: str
    truncated: bool
    dropped_chars: int  # control characters and undecodable bytes removed


def _split_symbols(text: str) -> tuple[str, str, int]:
    """Move emoji and pictographs out of the text; drop control characters."""
    emojis: list[str] = []
    dropped = 0

    def sort_out(match: re.Match[str]) -> str:
        nonlocal dropped
        ch = match.group(0)
        if ch in _INVISIBLE:
            dropped += ch == "\ufffd"
            return ""
        category = unicodedata.category(ch)
        if category in ("So", "Sk", "Cs", "Co", "Cn") and not ch.isascii():
            emojis.append(ch)
            return " "
        if category in ("Cc", "Cf"):
            dropped += ch not in "\n\r\t"
            return "\n" if ch == "\n" else " "
        return ch

    return _UNUSUAL.sub(sort_out, text), "".join(emojis), dropped


def _expand_abbreviations(text: str) -> str:
    """Expand pinyin shorthand only where it is plausibly Chinese chat, not English words."""
    latin_tokens = _LATIN_TOKEN.findall(text)
    has_han = HAN.search(text) is not None
    if not has_han and not (latin_tokens and all(t in PINYIN_ABBREVIATIONS for t in latin_tokens)):
        return text
    return _LATIN_TOKEN.sub(lambda m: PINYIN_ABBREVIATIONS.get(m.group(0), m.group(0)), text)


def strip_boilerplate(text: str) -> str:
    """Drop an email's greeting line and signature block, keeping the message between them."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return text
    body = _GREETING.sub("", lines[0], count=1)
    lines = ([body] if body else []) + lines[1:]
    for i in range(max(1, len(lines) - 4), len(lines)):
        if _SIGN_OFF.match(lines[i]):
            lines = lines[:i]
            break
    return "\n".join(lines) or text


def clean(raw: str) -> CleanText:
    """NFKC, traditional→simplified, emoji out, boilerplate out, repeats, shorthand, lowercase."""
    truncated = len(raw) > MAX_CHARS
    text = unicodedata.normalize("NFKC", raw[:MAX_CHARS])
    text, emojis, dropped = _split_symbols(text)
    text = text.translate(TRAD_TO_SIMP)
    text = _REPEATS.sub(lambda m: m.group(1) * 3, text)
    cased = _SPACES.sub(" ", strip_boilerplate(text)).strip()
    lowered = _expand_abbreviations(cased.lower())
    return CleanText(lowered, cased, emojis, truncated, dropped)
