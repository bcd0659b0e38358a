"""Hand-written text pools (names, places, items, ticket scripts) for the demo data set."""

from __future__ import annotations

from dataclasses import dataclass

# --- people -------------------------------------------------------------------------------------

# (汉字, pinyin) pairs; combined by the builder, so every seed yields a different cast.
ZH_SURNAMES: tuple[tuple[str, str], ...] = (
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
    ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"),
    ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("林", "lin"),
    ("罗", "luo"), ("高", "gao"), ("郑", "zheng"), ("梁", "liang"), ("谢", "xie"), ("宋", "song"),
    ("唐", "tang"), ("韩", "han"), ("冯", "feng"), ("邓", "deng"), ("曹", "cao"), ("彭", "peng"),
    ("曾", "zeng"), ("田", "tian"), ("董", "dong"), ("潘", "pan"), ("袁", "yuan"), ("蔡", "cai"),
    ("蒋", "jiang"), ("余", "yu"), ("杜", "du"), ("叶", "ye"), ("程", "cheng"), ("魏", "wei"),
    ("苏", "su"), ("丁", "ding"), ("沈", "shen"), ("姚", "yao"), ("方", "fang"), ("钟", "zhong"),
)  # fmt: skip

ZH_GIVEN: tuple[tuple[str, str], ...] = (
    ("子涵", "zihan"), ("雨桐", "yutong"), ("浩然", "haoran"), ("思远", "siyuan"),
    ("欣怡", "xinyi"), ("俊杰", "junjie"), ("佳琪", "jiaqi"), ("宇航", "yuhang"),
    ("梓萱", "zixuan"), ("明轩", "mingxuan"), ("诗雨", "shiyu"), ("一鸣", "yiming"),
    ("晓东", "xiaodong"), ("丽华", "lihua"), ("建国", "jianguo"), ("海燕", "haiyan"),
    ("志强", "zhiqiang"), ("婷婷", "tingting"), ("文博", "wenbo"), ("嘉怡", "jiayi"),
    ("天佑", "tianyou"), ("若曦", "ruoxi"), ("振宇", "zhenyu"), ("慧敏", "huimin"),
    ("子墨", "zimo"), ("梦瑶", "mengyao"), ("家豪", "jiahao"), ("静怡", "jingyi"),
    ("磊", "lei"), ("敏", "min"), ("鹏", "peng"), ("倩", "qian"), ("凯", "kai"),
    ("超", "chao"), ("晨", "chen"), ("琳", "lin"), ("博", "bo"), ("瑶", "yao"),
    ("小龙", "xiaolong"), ("春梅", "chunmei"), ("国庆", "guoqing"), ("雪", "xue"),
)  # fmt: skip

EN_FIRST: tuple[str, ...] = (
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Ethan", "Sophia", "Lucas", "Mia", "Mason",
    "Chloe", "Daniel", "Grace", "Henry", "Isla", "Jack", "Zoe", "Samuel", "Hannah", "Leo",
    "Ruby", "Owen", "Nora", "Caleb", "Priya", "Arjun", "Sofia", "Mateo", "Aisha", "Omar",
    "Freya", "Tom", "Lena", "Marcus",
)  # fmt: skip

EN_LAST: tuple[str, ...] = (
    "Thompson", "Walker", "Bennett", "Hughes", "Foster", "Reid", "Murphy", "Patel", "Nguyen",
    "Kim", "Tanaka", "Garcia", "Rossi", "Schmidt", "O'Brien", "Clarke", "Morgan", "Hayes",
    "Porter", "Sullivan", "Okafor", "Silva", "Larsen", "Dubois", "Fischer", "Novak",
)  # fmt: skip

ZH_EMAIL_DOMAINS: tuple[str, ...] = ("example.cn", "example.com", "mail.example.cn", "example.net")
EN_EMAIL_DOMAINS: tuple[str, ...] = ("example.com", "example.org", "example.net")

# Mobile prefixes used for the +86 numbers (the rest of the number is random).
ZH_MOBILE_PREFIXES: tuple[str, ...] = (
    "130", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "157", "158",
    "159", "166", "177", "180", "181", "183", "185", "186", "187", "188", "189", "191", "199",
)  # fmt: skip


@dataclass(frozen=True)
class AgentSpec:
    email: str
    name: str
    role: str
    team: str
    groups: tuple[str, ...]
    capacity: int
    vip: bool
    language: str


ALL_GROUPS: tuple[str, ...] = (
    "logistics", "after_sales", "finance", "seller_services", "disputes", "account_security",
    "general",
)  # fmt: skip

AGENTS: tuple[AgentSpec, ...] = (
    AgentSpec("admin@consigndesk.local", "系统管理员 Admin", "admin", "in_house", ALL_GROUPS, 3,
              False, "zh"),
    AgentSpec("chen.jing@consigndesk.local", "陈静", "supervisor", "in_house", ALL_GROUPS, 10,
              False, "zh"),
    AgentSpec("li.na@consigndesk.local", "李娜", "agent", "in_house",
              ("logistics", "after_sales"), 8, False, "zh"),
    AgentSpec("zhou.tao@consigndesk.local", "周涛", "agent", "in_house",
              ("finance", "disputes"), 6, True, "zh"),
    AgentSpec("sun.yue@consigndesk.local", "孙悦", "agent", "in_house",
              ("account_security", "disputes"), 6, False, "zh"),
    AgentSpec("he.jun@consigndesk.local", "何军", "agent", "in_house",
              ("seller_services", "finance"), 7, False, "zh"),
    AgentSpec("emily.carter@consigndesk.local", "Emily Carter", "agent", "in_house",
              ("finance", "disputes", "seller_services", "account_security"), 6, True, "en"),
    AgentSpec("wang.fang@partner.consigndesk.local", "王芳", "agent", "outsourced",
              ("logistics", "after_sales", "general"), 12, False, "zh"),
    AgentSpec("liu.yang@partner.consigndesk.local", "刘洋", "agent", "outsourced",
              ("logistics", "account_security", "general"), 12, False, "zh"),
    AgentSpec("ryan.brooks@partner.consigndesk.local", "Ryan Brooks", "agent", "outsourced",
              ("logistics", "after_sales", "general", "seller_services"), 10, False, "en"),
)  # fmt: skip

# --- places -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class City:
    zh: str
    en: str
    district_zh: str
    district_en: str


# Buyers' cities (destinations).
CITIES: tuple[City, ...] = (
    City("杭州", "Hangzhou", "西湖", "Xihu"),
    City("深圳", "Shenzhen", "南山", "Nanshan"),
    City("上海", "Shanghai", "浦东", "Pudong"),
    City("广州", "Guangzhou", "天河", "Tianhe"),
    City("北京", "Beijing", "朝阳", "Chaoyang"),
    City("武汉", "Wuhan", "洪山", "Hongshan"),
    City("南京", "Nanjing", "鼓楼", "Gulou"),
    City("西安", "Xi'an", "雁塔", "Yanta"),
    City("苏州", "Suzhou", "工业园区", "SIP"),
    City("重庆", "Chongqing", "渝北", "Yubei"),
    City("厦门", "Xiamen", "思明", "Siming"),
    City("长沙", "Changsha", "岳麓", "Yuelu"),
    City("郑州", "Zhengzhou", "金水", "Jinshui"),
    City("青岛", "Qingdao", "市南", "Shinan"),
)

# The platform's consignment warehouses (origins of every physical parcel).
WAREHOUSES: tuple[City, ...] = (
    City("东莞", "Dongguan", "松山湖", "Songshan Lake"),
    City("嘉兴", "Jiaxing", "南湖", "Nanhu"),
    City("天津", "Tianjin", "武清", "Wuqing"),
    City("成都", "Chengdu", "双流", "Shuangliu"),
)


@dataclass(frozen=True)
class Carrier:
    code: str
    zh: str
    en: str
    prefix: str  # tracking number prefix
    digits: int  # random digits after the prefix


CARRIERS: tuple[Carrier, ...] = (
    Carrier("SF", "顺丰速运", "SF Express", "SF", 12),
    Carrier("ZTO", "中通快递", "ZTO Express", "78", 12),
    Carrier("YTO", "圆通速递", "YTO Express", "YT", 13),
    Carrier("JD", "京东物流", "JD Logistics", "JDV", 12),
)
CARRIER_WEIGHTS: tuple[int, ...] = (5, 2, 2, 2)

COURIER_SURNAMES: tuple[str, ...] = ("李", "王", "张", "赵", "陈", "刘", "黄", "吴")

SIGN_OFFS_ZH: tuple[str, ...] = ("本人签收", "丰巢智能柜", "门卫代收", "菜鸟驿站代收")
SIGN_OFFS_EN: tuple[str, ...] = (
    "signed by recipient", "left in parcel locker", "received by building reception",
    "collected at pick-up point",
)  # fmt: skip

PAYMENT_METHODS: tuple[str, ...] = ("alipay", "wechat_pay", "bank_card", "balance")
PAYMENT_WEIGHTS: tuple[int, ...] = (5, 4, 2, 1)

# --- items --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogueItem:
    key: str
    title: str
    lang: str  # language the title is written in
    kind: str  # physical | digital
    sku: str  # stem for physical (a listing number is appended), full SKU for digital
    low: int  # price range in CNY; digital items use `low` as the fixed price
    high: int
    fee_rate: str  # consignment fee as a decimal string


def _p(key: str, title: str, lang: str, sku: str, low: int, high: int, fee: str) -> CatalogueItem:
    return CatalogueItem(key, title, lang, "physical", sku, low, high, fee)


def _d(key: str, title: str, lang: str, sku: str, price: int) -> CatalogueItem:
    return CatalogueItem(key, title, lang, "digital", sku, price, price, "0.05")


ITEMS: tuple[CatalogueItem, ...] = (
    # electronics — 6 %
    _p("iphone14pro", "二手 iPhone 14 Pro 256G 暗紫色 95新 电池健康91%", "zh", "IP14P-256-PUR",
       4800, 5600, "0.06"),
    _p("iphone13", "二手 iPhone 13 128G 星光色 9成新 国行", "zh", "IP13-128-STL", 2600, 3100,
       "0.06"),
    _p("iphone15pm", "iPhone 15 Pro Max 256GB Natural Titanium, battery 94%", "en",
       "IP15PM-256-NAT", 6800, 7600, "0.06"),
    _p("mate60", "华为 Mate 60 Pro 12+512G 雅川青 99新 在保", "zh", "HW-M60P-512-GRN", 4600,
       5300, "0.06"),
    _p("mi14u", "小米14 Ultra 16+512G 黑色 国行 配件齐全", "zh", "MI14U-512-BLK", 4300, 4900,
       "0.06"),
    _p("ipadair5", "iPad Air 5 64G WiFi 星光色 带原装充电器", "zh", "IPAD-AIR5-64-STL", 2700,
       3200, "0.06"),
    _p("mba_m2", "MacBook Air M2 13寸 8+256G 午夜色 循环45次", "zh", "MBA-M2-256-MID", 5200,
       5900, "0.06"),
    _p("mbp14", 'MacBook Pro 14" M1 Pro 16GB/512GB Space Gray, 120 cycles', "en", "MBP14-M1P-512",
       7200, 8200, "0.06"),
    _p("airpods", "AirPods Pro 第二代 USB-C 国行 仅拆封", "zh", "APP2-USBC", 1150, 1400, "0.06"),
    _p("xm5", "Sony WH-1000XM5 Noise Cancelling Headphones, Silver, like new", "en",
       "SONY-XM5-SLV", 1500, 1900, "0.06"),
    _p("mini3", "大疆 DJI Mini 3 Pro 带屏遥控器 畅飞套装", "zh", "DJI-MINI3P-RC", 3600, 4300,
       "0.06"),
    _p("eosr6", "佳能 Canon EOS R6 单机身 快门1.2万次", "zh", "CANON-R6-BODY", 8600, 9800,
       "0.06"),
    _p("x100v", "富士 X100V 银色 95新 全套包装", "zh", "FUJI-X100V-SLV", 8800, 10500, "0.06"),
    _p("kindle", "Kindle Paperwhite 5 8GB Black, with cover", "en", "KPW5-8G-BLK", 520, 680,
       "0.06"),
    _p("dyson", "戴森 V12 Detect Slim 无线吸尘器 9成新", "zh", "DYSON-V12", 2100, 2600, "0.06"),
    # games and collectables — 6 %
    _p("switch_oled", "Nintendo Switch OLED 白色 国行 99新", "zh", "NS-OLED-WHT", 1750, 2050,
       "0.06"),
    _p("switch_zelda", "Nintendo Switch OLED (Zelda Edition), boxed", "en", "NS-OLED-ZELDA", 2300,
       2700, "0.06"),
    _p("ps5", "PS5 光驱版 国行 带双手柄", "zh", "PS5-DISC-CN", 2900, 3400, "0.06"),
    _p("steamdeck", "Steam Deck OLED 512GB, barely used", "en", "SDECK-OLED-512", 3300, 3800,
       "0.06"),
    _p("totk", "塞尔达传说 王国之泪 实体卡带 中文版", "zh", "NS-TOTK-CART", 260, 320, "0.06"),
    _p("lego_atat", "乐高 LEGO 75313 AT-AT 全新未拆", "zh", "LEGO-75313", 4900, 5600, "0.06"),
    _p("lego_galaxy", "LEGO 10497 Galaxy Explorer, sealed box", "en", "LEGO-10497", 680, 820,
       "0.06"),
    _p("pokemon", "宝可梦卡牌 皮卡丘 PSA 10 评级卡", "zh", "PKM-PSA10-PIKA", 1800, 2600, "0.06"),
    _p("labubu", "泡泡玛特 Labubu 心动马卡龙 整盒 全新", "zh", "POPMART-LBB-MAC", 1100, 1500,
       "0.06"),
    # apparel, bags and watches — 8 %
    _p("beta_ar", "始祖鸟 Beta AR 夹克 男款 M码 黑色", "zh", "ARC-BETAAR-M-BLK", 3600, 4400,
       "0.08"),
    _p("atom_lt", "Arc'teryx Atom LT Hoody, women's S, Black Sapphire", "en", "ARC-ATOMLT-S",
       1500, 1900, "0.08"),
    _p("retro_x", "Patagonia Retro-X 抓绒外套 L码 燕麦色", "zh", "PATA-RETROX-L", 950, 1250,
       "0.08"),
    _p("aj1", 'Nike Air Jordan 1 High OG "Chicago" 42.5码 附鞋盒', "zh", "NIKE-AJ1-CHI-425",
       2600, 3400, "0.08"),
    _p("nb990", "New Balance 990v6 Grey, US 10, worn twice", "en", "NB-990V6-10", 1100, 1400,
       "0.08"),
    _p("align", "Lululemon Align 高腰瑜伽裤 4码 仅试穿", "zh", "LULU-ALIGN-4", 420, 560, "0.08"),
    _p("tabby", "COACH Tabby 26 手袋 黑色 附专柜小票", "zh", "COACH-TABBY26", 2400, 2900,
       "0.08"),
    _p("longines", "浪琴 名匠系列 自动机械表 38.5mm 2022年保卡", "zh", "LONG-MASTER-385",
       9800, 11800, "0.08"),
    _p("bb58", "Tudor Black Bay 58, 2021, full set", "en", "TUDOR-BB58", 21000, 24500, "0.08"),
    _p("marmont", "Gucci GG Marmont Small Shoulder Bag, black leather", "en", "GUCCI-MARMONT-S",
       8200, 9500, "0.08"),
    # books, records, furniture — 5 %
    _p("santi", "《三体》三部曲 签名版 首印", "zh", "BOOK-3BODY-SIGN", 560, 900, "0.05"),
    _p("fantasy_lp", "周杰伦《范特西》黑胶唱片 首版", "zh", "VINYL-JAY-FANT", 1500, 2100, "0.05"),
    _p("aeron", "Herman Miller Aeron Chair, size B, graphite", "en", "HM-AERON-B", 5200, 6400,
       "0.05"),
    # digital goods — 5 %, fixed prices
    _d("steam100", "Steam 充值卡 100元", "zh", "STEAM-CNY-100", 96),
    _d("steam200", "Steam 充值卡 200元", "zh", "STEAM-CNY-200", 191),
    _d("steam_usd20", "Steam Wallet Code $20 (US)", "en", "STEAM-USD-20", 142),
    _d("psn50", "PSN $50 Gift Card (US)", "en", "PSN-USD-50", 352),
    _d("psn_hk500", "PSN 港服 500港币 点卡", "zh", "PSN-HKD-500", 438),
    _d("appstore500", "App Store 充值卡 500元", "zh", "APPLE-CNY-500", 486),
    _d("apple25", "Apple Gift Card $25 (US)", "en", "APPLE-USD-25", 176),
    _d("eshop35", "Nintendo eShop $35 Card (US)", "en", "ESHOP-USD-35", 246),
    _d("gamepass", "Xbox Game Pass Ultimate 3个月 兑换码", "zh", "XGPU-3M", 258),
    _d("eldenring", "《艾尔登法环》Steam 激活码 国区", "zh", "KEY-ELDENRING-CN", 218),
    _d("bg3", "Baldur's Gate 3 Steam Key (Global)", "en", "KEY-BG3-GLOBAL", 268),
    _d("m365", "Microsoft 365 个人版 12个月 兑换码", "zh", "MS365-PERSONAL-12M", 268),
    _d("netease100", "网易一卡通 100点", "zh", "NETEASE-100", 98),
    _d("gplay25", "Google Play Gift Card $25 (US)", "en", "GPLAY-USD-25", 178),
)  # fmt: skip

CARD_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

# --- fixed phrases ------------------------------------------------------------------------------

CANCEL_REASONS: dict[str, tuple[str, ...]] = {
    "timeout": ("买家超时未支付，系统自动取消", "Payment not received in time, cancelled"),
    "buyer": ("买家主动取消：拍错了", "Cancelled by the buyer: ordered by mistake"),
    "stock": ("卖家寄售商品已下架，无法发货", "The consigned item was withdrawn by the seller"),
}  # fmt: skip

REFUND_REASONS: dict[str, tuple[str, ...]] = {
    "return": ("退货退款：退货已入库质检通过", "Return received and inspected, refund issued"),
    "refused": ("收件人拒收，快件退回后退款", "Parcel refused by the recipient and returned"),
    "cancel": ("订单取消，原路退款", "Order cancelled, refunded to the original payment method"),
}  # fmt: skip

# --- tickets ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketScript:
    """One hand-written conversation; `{placeholders}` are filled from the linked order.

    order: the plan variant the linked order must be in (None: no order). link "field" sets
    order_ref on the ticket, "text" only mentions the order number in the body.
    """

    intent: str
    language: str
    channel: str
    role: str
    status: str
    subject: str
    body: str
    order: str | None = None
    link: str = "field"
    item: str | None = None
    digital: bool = False
    vip: bool = False
    reply: str | None = None
    note: str | None = None
    rating: int | None = None
    rating_comment: str | None = None
    agent: str | None = None  # force a particular agent (email)


TICKET_SCRIPTS: tuple[TicketScript, ...] = (
    # ---- logistics ----
    TicketScript(
        "logistics", "zh", "chat", "buyer", "new", "我的快递到哪了？",
        "你好，我买的「{title}」，{carrier}已经发货了，但物流一直停在{location}不动，"
        "请问大概什么时候能送到？",
        order="in_transit",
    ),
    TicketScript(
        "logistics", "zh", "chat", "buyer", "open", "物流好几天没更新了！！",
        "订单 {order_ref} 的快递在{location}卡了好几天了，电话也打不通，你们到底管不管？"
        "再不给个说法我就去12315投诉！",
        order="exception_lost", link="text",
        reply="非常抱歉让您久等了。我们已联系{carrier}核查运单 {tracking_no}，48 小时内给您答复；"
        "如确认丢件，平台会为您全额退款，请您放心。",
        note="已向承运商提交丢件核查工单，客户情绪激动，跟进时请先致歉。",
    ),
    TicketScript(
        "logistics", "en", "email", "buyer", "pending", "Where is my parcel?",
        "Hello, I ordered the {title} and the tracking page hasn't changed for a while. "
        "The last scan says {location}. Could you tell me when it will arrive?",
        order="in_transit",
        reply="Hi {first_name}, your parcel ({carrier} {tracking_no}) is moving normally; the "
        "last scan was at {location}. The carrier currently expects delivery by {eta}. "
        "Could you confirm the delivery address is still correct?",
    ),
    TicketScript(
        "logistics", "en", "chat", "buyer", "solved", "Delivery today?",
        "Hi! The app says my order is out for delivery but I'm leaving the office at 6. "
        "Can the courier drop it at reception instead?",
        order="out_for_delivery", vip=True,
        reply="Hi {first_name}, I've asked {carrier} to leave it with your building reception. "
        "You'll get a pickup notice with the code once it's dropped off.",
        rating=5, rating_comment="Quick answer, thanks!",
    ),
    TicketScript(
        "logistics", "zh", "voice", "buyer", "solved", "显示已签收但没收到",
        "喂你好，我那个订单显示已经签收了，但是我根本没收到东西，快递柜里也没有，"
        "门卫那边也说没见过，你们帮我查一下吧。",
        order="delivered",
        reply="您好，已联系{carrier}派送员核实，包裹被误放在相邻的快递柜，取件码已通过短信重新发送给您，"
        "请查收。给您带来不便非常抱歉。",
        rating=4, rating_comment="找到了，就是电话等得有点久",
    ),
    TicketScript(
        "logistics", "zh", "email", "buyer", "pending", "快递延误，能加急吗",
        "您好，订单里的「{title}」是送人的生日礼物，现在显示快递延误，请问能不能催一下？"
        "最晚周末前要收到。",
        order="exception_delayed",
        reply="您好，受天气影响{carrier}部分线路延误，我们已为您的运单 {tracking_no} 申请优先派送，"
        "目前预计 {eta} 前送达，如有变化会第一时间通知您。",
    ),
    # ---- digital delivery ----
    TicketScript(
        "digital_delivery", "zh", "chat", "buyer", "new", "付款半小时了卡密还没发",
        "我半小时前买了「{title}」，钱已经扣了，但订单里一直没有卡密，着急用，麻烦快点处理！",
        order="paid", digital=True,
    ),
    TicketScript(
        "digital_delivery", "zh", "chat", "buyer", "open", "卡密显示已被使用",
        "刚买的卡密（尾号{last4}）一输入就提示已被兑换，我根本没用过！订单号{order_ref}。"
        "你们是不是卖二手卡？马上给我换一张或者退钱！",
        order="digital_delivered_redeemed", link="text", item="steam100", digital=True,
        reply="您好，非常抱歉。系统显示该卡密在发放时已是已兑换状态，我们已冻结该订单的卖家结算并为您补发，"
        "新卡密将在 30 分钟内发到订单详情页。",
        note="卡密发放前已被兑换，疑似卖家重复出售，已冻结结算，转纠纷组复核卖家。",
    ),
    TicketScript(
        "digital_delivery", "en", "email", "buyer", "pending", "Gift card code already redeemed",
        "Hi, the {title} code I received (ending {last4}) says it has already been redeemed. "
        "I have not used it. Please send a working code or refund me.",
        order="digital_delivered_redeemed", digital=True,
        reply="Hi {first_name}, sorry about this. Our records show the code ending {last4} was "
        "already redeemed when it was issued. We've opened a claim with the seller; could you send "
        "us a screenshot of the error message so we can attach it?",
    ),
    TicketScript(
        "digital_delivery", "en", "chat", "buyer", "solved", "Key doesn't work",
        "The key from order {order_ref} keeps saying 'invalid code' on Steam. Did you send me the "
        "wrong one?",
        order="digital_delivered", link="text", digital=True, item="bg3",
        reply="Hi {first_name}, the key is region-locked and has to be activated in the desktop "
        "client rather than the mobile app. I've sent you the steps; it should work now.",
        rating=4, rating_comment="Worked after using the desktop app.",
    ),
    TicketScript(
        "digital_delivery", "zh", "email", "buyer", "closed", "卡密面额发错了",
        "我买的是「{title}」，但卡密兑换后只到账了一半的面额，是不是发错卡了？请核实后补差价。",
        order="digital_delivered", digital=True,
        reply="您好，经核实卖家上传的卡密面额有误，差额已退回您的原支付账户，"
        "预计 1-3 个工作日到账。",
        rating=2, rating_comment="问题解决了，但是处理了三天，太慢",
    ),
    # ---- return / refund ----
    TicketScript(
        "return_refund", "zh", "chat", "buyer", "open", "退货寄回去了，退款什么时候到？",
        "你好，「{title}」已经按要求退回仓库了，快递显示已签收，但退款还没到，请问多久能退？",
        order="returned",
        reply="您好，退货已于仓库签收，正在质检，质检通过后 24 小时内原路退款，请您耐心等待。",
    ),
    TicketScript(
        "return_refund", "zh", "email", "buyer", "closed", "显示已退款但没收到钱",
        "订单{order_ref}显示已退款，但是我银行卡上还没看到钱，麻烦查一下。",
        order="refunded_return", link="text",
        reply="您好，退款已于平台侧完成，退回银行卡一般需要 1-3 个工作日，请以银行入账为准；"
        "如超过 3 个工作日仍未到账，可凭退款单号向银行查询。",
        rating=5, rating_comment="已经到账了，谢谢",
    ),
    TicketScript(
        "return_refund", "en", "email", "buyer", "pending", "Refund status for my return",
        "Hello, I sent the {title} back last week and tracking shows it arrived at your "
        "warehouse. When will I get my refund?",
        order="returned",
        reply="Hi {first_name}, the return reached our warehouse and is queued for inspection. "
        "Once it passes, the refund goes back to your original payment method within 24 hours.",
    ),
    TicketScript(
        "return_refund", "zh", "voice", "buyer", "new", "申请退货",
        "你好，我前两天收到的「{title}」，穿上尺码不太合适，想申请七天无理由退货，要怎么操作？",
        order="delivered", item="retro_x",
    ),
    TicketScript(
        "return_refund", "en", "chat", "buyer", "solved", "Headphones crackling, want to return",
        "The headphones from order {order_ref} make a crackling sound in the left ear. "
        "Can I return them for a refund?",
        order="delivered", link="text", item="xm5",
        reply="Hi {first_name}, I'm sorry about that. I've opened a return for you; a courier "
        "will collect the parcel tomorrow, and the refund is issued once the warehouse checks it.",
        rating=4, rating_comment="Easy process.",
    ),
    # ---- cancel / change order ----
    TicketScript(
        "cancel_order", "zh", "chat", "buyer", "open", "拍错了，想取消订单",
        "刚才手滑拍错了，这个订单还没发货，能帮我取消吗？",
        order="paid",
        reply="您好，已为您提交取消申请并通知仓库拦截，取消成功后款项会原路退回。",
    ),
    TicketScript(
        "cancel_order", "zh", "chat", "buyer", "open", "能改一下收货地址吗",
        "订单{order_ref}还没发货，我想把收货地址改成 杭州市西湖区文三路 88 号 2 幢 301，"
        "电话不变，谢谢！",
        order="paid", link="text",
        reply="您好，新地址已备注给仓库，发货前会按新地址打单，请在订单详情中确认。",
        note="仓库已确认改址，发货时复核面单。",
    ),
    TicketScript(
        "cancel_order", "en", "email", "buyer", "pending", "Please change my shipping address",
        "Hi, I've just moved. Could you ship order {order_ref} to Room 1203, 88 Xinhua Road, "
        "Pudong, Shanghai instead? It hasn't shipped yet.",
        order="paid",
        reply="Hi {first_name}, we can update it before dispatch. Please confirm the recipient "
        "name and phone number for the new address and we'll pass it to the warehouse.",
    ),
    TicketScript(
        "cancel_order", "zh", "email", "buyer", "new", "订单不想要了",
        "下了单还没付款，现在不想要了，这个订单怎么取消？会影响我的信用吗？",
        order="created",
    ),
    # ---- payment ----
    TicketScript(
        "payment", "zh", "chat", "buyer", "new", "重复扣款！！",
        "我买「{title}」被扣了两次钱！{amount}元扣了两笔，银行短信都在，赶紧退给我！",
        order="paid", vip=True,
    ),
    TicketScript(
        "payment", "en", "email", "buyer", "open", "Paid but order still shows unpaid",
        "I paid for order {order_ref} with Alipay about 20 minutes ago. The money has left my "
        "account but the order still says 'awaiting payment'. Please fix this before it gets "
        "cancelled.",
        order="created", link="text",
        reply="Hi {first_name}, we've asked the payment provider to confirm the transaction. "
        "Once confirmed the order updates automatically; it will not be cancelled meanwhile.",
        note="支付渠道回调延迟，已提交补单。",
    ),
    TicketScript(
        "payment", "zh", "chat", "buyer", "solved", "付款一直失败",
        "付款的时候一直提示“支付失败，请稍后重试”，换了微信也一样，是怎么回事？",
        reply="您好，您的银行卡单笔限额不足导致支付失败，建议分开支付或更换支付方式，现在可以正常付款了。",
        rating=5, rating_comment="解释得很清楚",
    ),
    TicketScript(
        "payment", "en", "chat", "buyer", "solved", "Charged twice?",
        "My card statement shows two charges of {amount} for the same order. Was I charged twice?",
        order="paid",
        reply="Hi {first_name}, only one payment went through; the second line is a temporary "
        "authorisation hold that your bank releases within 3-5 working days.",
        rating=4, rating_comment="OK, makes sense.",
    ),
    # ---- seller payout ----
    TicketScript(
        "seller_payout", "zh", "chat", "seller", "open", "买家签收好几天了，货款什么时候结算",
        "我寄售的「{title}」买家已经签收了，但一直没确认收货，货款什么时候能结算给我？",
        order="delivered",
        reply="您好，买家签收后有 7 天确认期，超时未确认会自动确认，确认后次日安排结算到您的账户。",
    ),
    TicketScript(
        "seller_payout", "zh", "email", "seller", "solved", "结算已安排，何时到账？",
        "订单 {order_ref} 显示结算已安排，请问具体什么时候到账？金额是 {settle_amount} 元对吗？",
        order="settlement_scheduled", link="text",
        reply="您好，该笔结算金额为 {settle_amount} 元（已扣除寄售服务费 {fee} 元），"
        "预计 {scheduled} 打款到您绑定的账户。",
        rating=4, rating_comment="清楚了",
    ),
    TicketScript(
        "seller_payout", "en", "email", "seller", "closed", "Why is my payout below the price?",
        "Hi, my {title} sold for {amount} but I only received {settle_amount}. "
        "Where did the rest go?",
        order="settled",
        reply="Hi {first_name}, the difference of {fee} is the consignment fee for this category "
        "(inspection, storage, photography and payment handling). The full breakdown is on the "
        "settlement page.",
        rating=5, rating_comment="Thanks for the breakdown.",
    ),
    TicketScript(
        "seller_payout", "zh", "chat", "seller", "pending", "结算款能不能提前？急用",
        "你好，我的结算显示还在排期，最近急需用钱，能不能提前打款？我是老客户了。",
        order="settlement_scheduled", vip=True,
        reply="您好，已为您申请加急结算，财务审核通过后当天打款，请留意到账短信。",
        note="VIP 卖家，已向财务申请加急，需主管审批。",
    ),
    # ---- listing ----
    TicketScript(
        "listing", "zh", "chat", "seller", "open", "寄售商品审核被拒",
        "我提交的寄售商品「佳能 EOS R6 机身」审核没通过，说图片不清晰，"
        "我重新拍了三次还是被拒，到底要怎么拍？",
        reply="您好，审核要求需包含机身序列号和快门数截图，您补充这两张照片后重新提交即可。",
    ),
    TicketScript(
        "listing", "en", "email", "seller", "solved", "Listing rejected as 'suspected replica'",
        "My Arc'teryx jacket listing was rejected as a suspected replica. I bought it at the "
        "official store and still have the receipt. How can I appeal?",
        reply="Hi {first_name}, please upload the receipt and a photo of the inner care label "
        "with the serial number. Our authenticators will re-review it within 2 working days.",
        rating=3, rating_comment="Took a while, but approved in the end.",
    ),
    TicketScript(
        "listing", "zh", "email", "seller", "new", "寄售费率和定价咨询",
        "想寄售一台九成新的戴森吸尘器，请问寄售服务费是多少？定价多少比较容易卖出去？",
    ),
    TicketScript(
        "listing", "en", "chat", "seller", "closed", "How to consign game keys in bulk",
        "I have 20 Steam keys I'd like to consign. Is there a bulk upload, and how are they "
        "verified?",
        reply="Hi {first_name}, yes, use 'Bulk consign' under Seller Center with the CSV template. "
        "Keys are checked automatically before they go live.",
    ),
    # ---- dispute ----
    TicketScript(
        "dispute", "zh", "email", "buyer", "open", "收到假货，要求平台介入",
        "收到的「{title}」序列号在官网查不到，做工也明显不对，这是假货！"
        "卖家不回消息，我要求平台介入处理并全额退款。",
        order="delivered", item="airpods",
        reply="您好，已为您发起平台仲裁，并暂停该笔订单的卖家结算。"
        "请在 48 小时内上传商品照片和序列号截图。",
        note="已冻结卖家结算，等待买家举证。",
    ),
    TicketScript(
        "dispute", "en", "email", "buyer", "pending", "Counterfeit Arc'teryx received",
        "The jacket from order {order_ref} is fake: the stitching is off and the label code "
        "doesn't exist on Arc'teryx's site. I expect a full refund and I'll post about this "
        "if it isn't resolved.",
        order="delivered", link="text", item="atom_lt", vip=True,
        reply="Hi {first_name}, I'm sorry. We've opened a dispute and put the seller's payout on "
        "hold. Please send photos of the labels; our authenticators will decide within 3 days.",
        note="VIP; seller payout frozen. Escalated to authentication team.",
    ),
    TicketScript(
        "dispute", "zh", "chat", "buyer", "new", "货不对板",
        "商品描述写的95新，收到的「{title}」屏幕有明显划痕，边框还有磕碰，和图片完全不一样，怎么处理？",
        order="delivered", item="iphone14pro",
    ),
    # ---- account ----
    TicketScript(
        "account", "zh", "voice", "buyer", "new", "账号被盗",
        "喂，我的账号好像被盗了，刚收到短信说有人用我的余额下了单，我自己没买东西啊，赶紧帮我冻结！",
    ),
    TicketScript(
        "account", "en", "chat", "buyer", "open", "Account hacked, email changed",
        "Someone changed the email on my account and I can't log in any more. I had saved cards "
        "on it. Please lock it now!",
        reply="Hi {first_name}, I've locked the account and removed the saved cards from it. To "
        "restore access we need to verify your identity; I've sent a link to your phone.",
        note="已冻结账户，待身份核验。",
    ),
    TicketScript(
        "account", "zh", "chat", "seller", "solved", "实名认证一直失败",
        "实名认证上传身份证后一直提示“信息不一致”，我确认填的都是对的，怎么办？",
        reply="您好，是身份证照片反光导致识别失败，请在光线均匀处重新拍摄上传，已为您重置认证次数。",
        rating=5, rating_comment="重拍就通过了",
    ),
    TicketScript(
        "account", "en", "email", "seller", "closed", "Account frozen after new login",
        "My seller account was frozen after I logged in from my new phone. I have listings going "
        "live this week, please unfreeze it.",
        reply="Hi {first_name}, the freeze was a security check for the new device. After the SMS "
        "verification your account is active again.",
    ),
    # ---- product question ----
    TicketScript(
        "product_question", "zh", "chat", "buyer", "solved", "Switch 是国行还是日版？",
        "请问那台 Switch OLED 是国行还是日版？有没有维修过？价格能不能再便宜一点？",
        reply="您好，这台是国行版本，无维修记录，寄售价由卖家设定，您可以在商品页使用“议价”功能给卖家出价。",
        rating=5, rating_comment="回复很快",
    ),
    TicketScript(
        "product_question", "en", "chat", "buyer", "new", "iPhone 15 Pro Max listing question",
        "Is the iPhone 15 Pro Max listing unlocked for all carriers? And is the battery health "
        "in the description current?",
    ),
    TicketScript(
        "product_question", "zh", "chat", "buyer", "closed", "相机快门数多少",
        "想问下那台富士 X100V 快门数多少？有没有进灰？包装配件齐全吗？",
        reply="您好，质检报告显示快门数约 8000 次，镜头无进灰，原包装和配件齐全，"
        "详见商品页质检报告。",
    ),
    # ---- complaint ----
    TicketScript(
        "complaint", "zh", "email", "buyer", "open", "投诉客服态度",
        "前天联系你们工号1032的客服，问了三遍都是复制粘贴的回答，最后直接把对话关了！"
        "这就是你们的服务态度？我要投诉！",
        reply="您好，非常抱歉给您带来不好的体验，主管已调取对话记录核查，"
        "会在 24 小时内给您回复处理结果。",
        note="已调取对话记录，涉及外包坐席，需与外包供应商沟通。",
        agent="chen.jing@consigndesk.local",
    ),
    TicketScript(
        "complaint", "en", "email", "buyer", "pending", "Third time asking - terrible support",
        "This is the THIRD time I'm writing and nobody has answered properly. Every reply is a "
        "template. If I don't hear from a real person today I'm posting this everywhere.",
        vip=True,
        reply="Hi {first_name}, I'm sorry you've had to chase us. I'm now your single point of "
        "contact and will update you personally by the end of today.",
        note="VIP complaint; owner assigned, follow up today.",
    ),
    TicketScript(
        "complaint", "zh", "voice", "buyer", "closed", "电话等了四十分钟",
        "你们客服电话我等了四十分钟才接通，转了三次人工，每个人都让我重新说一遍，太浪费时间了。",
        reply="您好，非常抱歉让您久等。我们已针对高峰时段增加人手，并优化了转接流程，感谢您的反馈。",
        rating=1, rating_comment="道歉有什么用",
        agent="chen.jing@consigndesk.local",
    ),
    # ---- other ----
    TicketScript(
        "other", "zh", "chat", "buyer", "solved", "可以开发票吗",
        "请问在你们平台买的东西可以开发票吗？公司报销需要。",
        reply="您好，平台可为您开具服务费电子发票，商品发票需由卖家提供，您可在订单详情中申请。",
    ),
    TicketScript(
        "other", "en", "email", "buyer", "new", "Business partnership enquiry",
        "Hello, I run a small camera shop and would like to discuss a partnership. Who is the "
        "right person to talk to?",
    ),
    TicketScript(
        "other", "zh", "chat", "seller", "closed", "客服工作时间",
        "请问你们人工客服的工作时间是几点到几点？周末有人吗？",
        reply="您好，人工客服服务时间为每天 9:00-22:00，周末和节假日照常服务。",
        rating=4, rating_comment="好的",
    ),
)  # fmt: skip
