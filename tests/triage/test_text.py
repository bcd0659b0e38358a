"""Normalisation and language detection on the kinds of text customers actually send."""

from __future__ import annotations

import pytest

from consigndesk.triage.lang import detect_language
from consigndesk.triage.rules import KeywordMatcher
from consigndesk.triage.text import MAX_CHARS, clean


def test_full_width_and_case_are_normalised() -> None:
    assert clean("ＷＨＥＲＥ　ＩＳ　ｍｙ　ＰＡＲＣＥＬ？！").text == "where is my parcel?!"


def test_traditional_characters_become_simplified() -> None:
    assert clean("請問我的貨寄出了嗎").text == "请问我的货寄出了吗"


def test_repeats_collapse_to_three() -> None:
    assert clean("急急急急急急！！！！！！！").text == "急急急!!!"
    assert clean("sooooooo slow").text == "sooo slow"


def test_emoji_are_moved_out_of_the_text() -> None:
    cleaned = clean("退款呢😡😡")
    assert cleaned.text == "退款呢"
    assert "😡" in cleaned.emojis


def test_pinyin_shorthand_expands_in_chinese_chat() -> None:
    assert clean("tk什么时候到").text == "退款什么时候到"
    assert clean("kf在吗 fh了没").text == "客服在吗 发货了没"
    assert clean("tk").text == "退款"


def test_pinyin_shorthand_left_alone_in_english() -> None:
    assert clean("the kd tk stuff is in the box").text == "the kd tk stuff is in the box"


def test_email_greeting_and_signature_are_dropped() -> None:
    email = "Hi team,\n\nMy code is invalid.\n\nBest regards,\nM. Chen\nSent from my iPhone"
    assert clean(email).text == "my code is invalid."
    assert clean("您好，\n快递还没到\n\n谢谢！\n王女士").text == "快递还没到"


def test_a_bare_greeting_is_kept() -> None:
    assert clean("你好").text == "你好"
    assert clean("thanks, that solved it").text == "thanks, that solved it"


def test_control_characters_and_bad_bytes_are_dropped() -> None:
    cleaned = clean("退款\x00\x07\ufffd了")
    assert cleaned.text == "退款 了"
    assert cleaned.dropped_chars == 3


def test_long_text_is_truncated() -> None:
    cleaned = clean("a" * (MAX_CHARS * 3))
    assert cleaned.truncated


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我的快递到哪了", "zh"),
        ("where is my parcel", "en"),
        ("我的order还没到，物流一直不更新", "zh"),
        ("my 卡密 doesn't work at all", "en"),
        ("请问这个iphone 13 pro max有没有划痕", "zh"),
        ("退款什么时候到账 thanks", "zh"),
        ("please check the tracking, 谢谢", "en"),
        ("嗯那个就是我的快递一直没到也没人打电话", "zh"),
    ],
)
def test_mixed_text_majority_wins(text: str, expected: str) -> None:
    guess = detect_language(clean(text).text)
    assert (guess.language, guess.supported) == (expected, True)


@pytest.mark.parametrize(
    ("text", "detected"),
    [
        ("注文した商品がまだ届きません", "ja"),
        ("Где моя посылка", "ru"),
        ("배송이 아직 안 왔어요", "ko"),
        ("", "unknown"),
    ],
)
def test_other_languages_fall_back_to_en(text: str, detected: str) -> None:
    guess = detect_language(clean(text).text)
    assert (guess.language, guess.detected, guess.supported) == ("en", detected, False)


def test_a_stray_kana_does_not_make_chinese_japanese() -> None:
    assert detect_language("我の快递怎么还没到啊").language == "zh"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("please refund me", "refund"),
        ("refund", "refund"),  # at both ends of the text
        ("refunded twice", None),  # English keywords are whole words …
        ("prefund", None),
        ("refund2", None),
        ("2refund", None),
        ("no refund, no chargeback", "refund"),  # … the first in the text wins
        ("a charge back then a refund", "charge back"),  # longer keyword listed later still wins
        ("我要退款", "退款"),  # Chinese keywords match inside words
    ],
)
def test_keyword_matcher_finds_whole_english_words_and_chinese_anywhere(
    text: str, found: str | None
) -> None:
    matcher = KeywordMatcher(["refund", "charge", "charge back", "chargeback", "退款"])
    assert matcher.find(text) == found
