"""The stable label sets of ../shared/TAXONOMY.md."""

from enum import StrEnum


class Intent(StrEnum):
    LOGISTICS = "logistics"
    DIGITAL_DELIVERY = "digital_delivery"
    RETURN_REFUND = "return_refund"
    CANCEL_ORDER = "cancel_order"
    PAYMENT = "payment"
    SELLER_PAYOUT = "seller_payout"
    LISTING = "listing"
    DISPUTE = "dispute"
    ACCOUNT = "account"
    PRODUCT_QUESTION = "product_question"
    COMPLAINT = "complaint"
    OTHER = "other"


class Language(StrEnum):
    ZH = "zh"
    EN = "en"


class Sentiment(StrEnum):
    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    POSITIVE = "positive"


class Emotion(StrEnum):
    ANGER = "anger"
    ANXIETY = "anxiety"
    NONE = "none"


class Priority(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"

    @property
    def rank(self) -> int:
        """1 for P1 (most urgent) … 4 for P4."""
        return int(self.value[1])


DEFAULT_GROUPS: dict[str, dict[str, object]] = {
    "logistics": {"name_en": "Logistics", "name_zh": "物流", "in_house_only": False},
    "after_sales": {"name_en": "After-sales", "name_zh": "售后", "in_house_only": False},
    "finance": {"name_en": "Finance", "name_zh": "财务", "in_house_only": True},
    "seller_services": {
        "name_en": "Seller services",
        "name_zh": "卖家服务",
        "in_house_only": False,
    },
    "disputes": {"name_en": "Disputes", "name_zh": "纠纷仲裁", "in_house_only": True},
    "account_security": {
        "name_en": "Account security",
        "name_zh": "账号安全",
        "in_house_only": False,
    },
    "general": {"name_en": "General", "name_zh": "综合咨询", "in_house_only": False},
}

DEFAULT_GROUP_FOR_INTENT: dict[Intent, str] = {
    Intent.LOGISTICS: "logistics",
    Intent.DIGITAL_DELIVERY: "logistics",
    Intent.RETURN_REFUND: "after_sales",
    Intent.CANCEL_ORDER: "after_sales",
    Intent.PAYMENT: "finance",
    Intent.SELLER_PAYOUT: "finance",
    Intent.LISTING: "seller_services",
    Intent.DISPUTE: "disputes",
    Intent.ACCOUNT: "account_security",
    Intent.PRODUCT_QUESTION: "general",
    Intent.COMPLAINT: "disputes",
    Intent.OTHER: "general",
}
