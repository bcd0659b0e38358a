"""Behaviour of the shipped engine: confusable intents, signals, priority and its reasons."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from consigndesk.domain.triage import TriageInput, TriageResult
from consigndesk.triage import TriageEngine, load_rules


def _triage(engine: TriageEngine, text: str, **kwargs: object) -> TriageResult:
    return engine.triage(TriageInput(text, **kwargs))  # type: ignore[arg-type]


def _has(result: TriageResult, fragment: str) -> bool:
    return any(fragment in reason for reason in result.reasons)


@pytest.mark.parametrize(
    ("text", "role", "intent"),
    [
        ("where is my money? i sold my camera here two weeks ago", "seller", "seller_payout"),
        ("where is my money? i sent the return back two weeks ago", "buyer", "return_refund"),
        ("我的钱呢？寄售的相机卖出去半个月了", "seller", "seller_payout"),
        ("我的钱呢？退货寄回去半个月了", "buyer", "return_refund"),
        (
            "your agent was rude to me when i asked about my refund, i want to complain about him",
            "buyer",
            "complaint",
        ),
        ("我问退款进度，客服态度极差还挂我电话，我要投诉这个客服", "buyer", "complaint"),
        ("the bag is counterfeit, it came by fedex in a fake box", "buyer", "dispute"),
        ("收到的是假货，顺丰寄来的，我要申请平台介入", "buyer", "dispute"),
        ("i was charged twice for one order", "buyer", "payment"),
        ("the gift card code says already redeemed", "buyer", "digital_delivery"),
        ("卡密显示已被使用", "buyer", "digital_delivery"),
        ("my listing was rejected in review", "seller", "listing"),
    ],
)
def test_confusable_pairs(engine: TriageEngine, text: str, role: str, intent: str) -> None:
    assert _triage(engine, text, role=role).intent == intent


def test_group_follows_intent_and_can_be_remapped(engine: TriageEngine) -> None:
    assert _triage(engine, "卡密无效").group == "logistics"
    remapped = TriageEngine(engine.model, intent_to_group={"digital_delivery": "digital_goods"})
    assert remapped.triage(TriageInput("卡密无效")).group == "digital_goods"


def test_every_fired_signal_is_a_reason(engine: TriageEngine) -> None:
    result = _triage(engine, "YOU CHARGED ME TWICE!!! i will report you to 12315 and my lawyer")
    for name in ("shouting", "repeated_punctuation", "threat_public", "threat_legal"):
        assert _has(result, f"signal {name}"), name
    assert (result.sentiment, result.emotion) == ("negative", "anger")


def test_police_and_media_threats_in_chinese(engine: TriageEngine) -> None:
    result = _triage(engine, "再不处理我就报警，还要发微博曝光你们")
    assert _has(result, "signal threat_police") and _has(result, "signal threat_public")
    assert result.priority in ("P1", "P2")


def test_urgency_and_money_loss_mean_anxiety(engine: TriageEngine) -> None:
    result = _triage(engine, "提现到现在还没到，我的钱呢，急用")
    assert result.emotion == "anxiety"
    assert _has(result, "signal urgency") and _has(result, "signal money_loss")


def test_calm_question_is_neutral_and_low_priority(engine: TriageEngine) -> None:
    result = _triage(engine, "请问这个相机的快门次数是多少")
    assert (result.intent, result.sentiment, result.emotion) == (
        "product_question",
        "neutral",
        "none",
    )
    assert result.priority == "P4"


@pytest.mark.parametrize(
    ("text", "factor"),
    [
        ("我的账号被盗了，有人在用我的余额买东西", "money_at_risk"),
        ("you charged me twice for the same order", "money_at_risk"),
        ("my withdrawal went to a card that isn't mine", "money_at_risk"),
        ("this seller is a scammer, he sent a counterfeit", "fraud"),
        ("if this is not fixed i'm going to the media and the regulator", "threat"),
    ],
)
def test_taxonomy_p1_p2_cases(engine: TriageEngine, text: str, factor: str) -> None:
    result = _triage(engine, text)
    assert result.priority in ("P1", "P2"), result.reasons
    assert _has(result, f"priority factor {factor}")


def test_vip_anger_is_at_least_p2(engine: TriageEngine) -> None:
    text = "this is the THIRD TIME i have asked, absolutely unacceptable"
    regular = _triage(engine, text)
    vip = _triage(engine, text, tier="vip")
    assert vip.priority in ("P1", "P2")
    assert _has(vip, "priority factor vip_anger")
    assert int(vip.priority[1]) <= int(regular.priority[1])


def test_order_value_repeat_contacts_and_sla_raise_priority(engine: TriageEngine) -> None:
    base = _triage(engine, "where is my parcel")
    raised = _triage(
        engine,
        "where is my parcel",
        order_value="3999.00",
        repeat_contacts_72h=2,
        sla_seconds_left=600,
    )
    assert int(raised.priority[1]) < int(base.priority[1])
    for factor in ("order_value", "repeat_contact", "sla_soon"):
        assert _has(raised, f"priority factor {factor}"), factor
    breached = _triage(engine, "where is my parcel", sla_seconds_left=-5)
    assert _has(breached, "priority factor sla_breached")


def test_rules_file_can_be_overridden(engine: TriageEngine, tmp_path: Path) -> None:
    custom = tmp_path / "rules.toml"
    custom.write_text(
        "[thresholds]\nP1 = 1\nP2 = 1\nP3 = 1\n[intent_weights]\nproduct_question = 1\n",
        encoding="utf-8",
    )
    strict = TriageEngine(engine.model, rules=load_rules(custom))
    assert strict.triage(TriageInput("is this still available?")).priority == "P1"


def test_low_confidence_needs_a_human(engine: TriageEngine) -> None:
    cautious = TriageEngine(engine.model, confidence_threshold=0.999999)
    result = cautious.triage(TriageInput("hmm so about the thing from before"))
    assert result.needs_human
    assert _has(result, "below threshold")


BAD_INPUTS = {
    "empty": ("", "text empty"),
    "whitespace": ("   \n\t ", "text empty"),
    "only_emoji": ("😡😡😡🙏", "only emoji"),
    "binary": (os.urandom(400).decode("latin-1"), "unreadable"),
    "invalid_utf8": (
        b"\xff\xfe\xfa\x80\x81 \xc3\x28".decode("utf-8", errors="replace"),
        "unreadable",
    ),
    "japanese": ("注文した商品がまだ届きません。どうなっていますか", "language not zh/en (ja)"),
    "russian": ("Где моя посылка? Жду уже две недели", "language not zh/en (ru)"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_gets_a_sensible_result(engine: TriageEngine, case: str) -> None:
    text, reason = BAD_INPUTS[case]
    result = _triage(engine, text)
    assert result.intent == "other"
    assert result.intent_confidence == 0.0
    assert result.needs_human
    assert result.language in ("zh", "en")
    assert _has(result, reason), result.reasons


def test_only_angry_emoji_still_reads_as_anger(engine: TriageEngine) -> None:
    assert _triage(engine, "😡😡😡").emotion == "anger"


def test_huge_text_is_truncated_not_fatal(engine: TriageEngine) -> None:
    result = _triage(engine, "我的快递到哪了？" * 20_000)
    assert result.intent == "logistics"
    assert _has(result, "truncated")


def test_raw_bytes_passed_by_mistake_are_decoded(engine: TriageEngine) -> None:
    result = engine.triage(TriageInput("卡密无效".encode() + b"\xff"))  # type: ignore[arg-type]
    assert result.intent == "digital_delivery"
