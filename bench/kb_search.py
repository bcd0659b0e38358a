"""Help-centre search latency over 1,000 articles (2,000 translations) on SQLite and PostgreSQL.

Builds a throwaway database per backend, loads the bundled seed articles plus synthetic variations
of them up to --articles, then runs a few hundred realistic zh and en queries (with typos and
synonyms) through `services.knowledge.search_help` on a read unit of work, exactly what
`GET /api/v1/help/search` does minus HTTP. Prints p50/p95/p99 per backend and language.

    .venv/bin/python bench/kb_search.py                    # SQLite, and PostgreSQL if reachable
    .venv/bin/python bench/kb_search.py --backends sqlite --articles 1000 --rounds 3

PostgreSQL: CONSIGNDESK_TEST_PG_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres)
is used to create and drop a database named consigndesk_kbbench_<random>.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

from consigndesk.adapters.db.uow import SqlUnitOfWork
from consigndesk.bootstrap import App, build
from consigndesk.config import Settings
from consigndesk.domain.knowledge import Article, Author
from consigndesk.knowledge.seed import load_seed_articles
from consigndesk.services import knowledge as kb

PG_ADMIN_URL = os.environ.get(
    "CONSIGNDESK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)

# Words mixed into synthetic variations so the 1,000 articles do not share one vocabulary.
ITEMS_ZH = [
    "iPhone",
    "华为",
    "小米",
    "相机",
    "耳机",
    "Switch",
    "PS5",
    "乐高",
    "手表",
    "包包",
    "球鞋",
    "外套",
    "图书",
    "黑胶",
    "吸尘器",
    "无人机",
]
ITEMS_EN = [
    "iPhone",
    "Huawei",
    "Xiaomi",
    "camera",
    "headphones",
    "Switch",
    "PS5",
    "LEGO",
    "watch",
    "handbag",
    "sneakers",
    "jacket",
    "books",
    "vinyl",
    "vacuum",
    "drone",
]
CITIES_ZH = ["上海", "北京", "深圳", "广州", "杭州", "成都", "武汉", "南京", "西安", "天津"]
CITIES_EN = [
    "Shanghai",
    "Beijing",
    "Shenzhen",
    "Guangzhou",
    "Hangzhou",
    "Chengdu",
    "Wuhan",
    "Nanjing",
    "Xian",
    "Tianjin",
]

QUERIES_ZH = [
    "退款多久到账",
    "退钱要几天",
    "怎么申请退货",
    "退货运费谁出",
    "可以换货吗",
    "质检不通过怎么办",
    "卡密在哪里看",
    "付款了没收到卡密",
    "激活码无效",
    "卡密已经被用了",
    "港服点卡锁区",
    "卡密能退款吗",
    "顺丰几天到",
    "什么时候发货",
    "快递一直不更新",
    "包裹丢了",
    "显示签收没收到",
    "怎么取消订单",
    "改收货地址",
    "发货了还能取消吗",
    "成色99新什么意思",
    "可以议价吗",
    "自动确认收货",
    "开发票",
    "支付方式有哪些",
    "支付失败",
    "重复扣款",
    "扣了两次钱",
    "付款后还是待付款",
    "寄售流程",
    "寄售手续费多少",
    "手表寄售费",
    "禁止寄售什么",
    "审核被驳回",
    "怎么定价",
    "寄售点卡",
    "商品卖不出去",
    "货款什么时候到账",
    "提现多久到账",
    "绑定银行卡",
    "结算被冻结",
    "申请平台介入",
    "怎么举证",
    "买到假货",
    "货不对板",
    "实名认证失败",
    "账号安全",
    "账号被盗",
    "账号被冻结",
    "忘记密码",
    "VIP 权益",
    "人工客服电话",
    "投诉客服",
]
QUERIES_EN = [
    "how long does a refund take",
    "refund time",
    "how do I return an item",
    "who pays return shipping",
    "can I exchange",
    "return failed inspection",
    "where is my card code",
    "code not received",
    "gift card code invalid",
    "code already redeemed",
    "region locked key",
    "refund for digital code",
    "SF Express delivery time",
    "when will my order ship",
    "tracking not updating",
    "lost parcel",
    "marked delivered but not received",
    "cancel my order",
    "change delivery address",
    "cancel after shipping",
    "condition grades",
    "make an offer",
    "auto confirm receipt",
    "invoice",
    "payment methods",
    "payment failed",
    "charged twice",
    "paid but order not updated",
    "how does consignment work",
    "consignment fee",
    "fee for watches",
    "prohibited items",
    "listing rejected",
    "pricing tips",
    "sell gift cards",
    "item not selling",
    "when do I get paid",
    "withdrawal time",
    "link bank card",
    "settlement on hold",
    "open a dispute",
    "dispute evidence",
    "counterfeit item",
    "not as described",
    "identity verification failed",
    "secure my account",
    "account hacked",
    "account frozen",
    "forgot password",
    "vip benefits",
    "contact support",
    "complaint about agent",
]
TYPOS_EN = ["refnd", "shiping time", "withdrawl", "counterfit", "pasword reset", "dispte", "invoce"]


def synthetic_articles(total: int, rng: random.Random) -> list[Article]:
    """The seed articles, then variations of them (new slug, title and mixed-in words)."""
    seeds = load_seed_articles()
    author = Author.system("bench")
    articles: list[Article] = []
    for n in range(total):
        seed = seeds[n % len(seeds)]
        variant = n // len(seeds)
        article = Article.draft(
            slug=seed.slug if variant == 0 else f"{seed.slug}-v{variant}",
            category=seed.category,
            tags=seed.tags,
            intents=seed.intents,
        )
        for lang, (title, body) in seed.translations.items():
            if variant:
                items, cities = (ITEMS_ZH, CITIES_ZH) if lang == "zh" else (ITEMS_EN, CITIES_EN)
                extra = " ".join(rng.sample(items, 3) + rng.sample(cities, 2))
                title = f"{title} ({rng.choice(items)} #{variant})"
                paragraphs = body.split("\n\n")
                rng.shuffle(paragraphs)
                body = "\n\n".join(paragraphs[: max(2, len(paragraphs) - 1)]) + f"\n\n{extra}\n"
            article.save_translation(
                lang, title=title, body_md=body, body_html=kb.render_markdown(body), author=author
            )
        article.publish()
        articles.append(article)
    return articles


def load(app: App, articles: list[Article]) -> None:
    for start in range(0, len(articles), 200):
        with app.uow() as uow:
            for article in articles[start : start + 200]:
                uow.articles.add(article)
            uow.commit()


def queries(rng: random.Random, count: int) -> list[tuple[str, str]]:
    pool = [(q, "zh") for q in QUERIES_ZH] + [(q, "en") for q in QUERIES_EN + TYPOS_EN]
    chosen = [rng.choice(pool) for _ in range(count)]
    # a few with product words, as people type them
    return [
        (f"{q} {rng.choice(ITEMS_ZH if lang == 'zh' else ITEMS_EN)}", lang)
        if i % 7 == 0
        else (q, lang)
        for i, (q, lang) in enumerate(chosen)
    ]


@contextmanager
def database(backend: str) -> Iterator[str | None]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'kb.db'}"
        return
    name = f"consigndesk_kbbench_{uuid.uuid4().hex[:8]}"
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        print(f"postgresql: skipped ({exc.__class__.__name__}: not reachable)")
        yield None
        return
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run(backend: str, total: int, n_queries: int, rounds: int) -> None:
    rng = random.Random(42)
    with database(backend) as url:
        if url is None:
            return
        app = build(Settings(database_url=url))
        try:
            started = time.perf_counter()
            load(app, synthetic_articles(total, rng))
            loaded = time.perf_counter() - started
            workload = queries(rng, n_queries)
            reader = lambda: SqlUnitOfWork(app.database.read_sessions)  # noqa: E731
            kb.search_help(reader(), "warm up 预热", "zh")  # jieba and the vocabulary cache
            timings: dict[str, list[float]] = {"zh": [], "en": []}
            empty = 0
            for _ in range(rounds):
                for q, lang in workload:
                    t0 = time.perf_counter()
                    result = kb.search_help(reader(), q, lang)
                    timings[lang].append((time.perf_counter() - t0) * 1000)
                    empty += not result["results"]
            everything = timings["zh"] + timings["en"]
            print(
                f"{backend}: {total} articles ({2 * total} translations) loaded in {loaded:.1f} s; "
                f"{len(everything)} searches, {empty} without results"
            )
            for label, values in (
                ("zh", timings["zh"]),
                ("en", timings["en"]),
                ("all", everything),
            ):
                print(
                    f"  {label:>3}: n={len(values):4d}  p50={percentile(values, 50):6.2f} ms  "
                    f"p95={percentile(values, 95):6.2f} ms  p99={percentile(values, 99):6.2f} ms  "
                    f"mean={statistics.fmean(values):6.2f} ms"
                )
        finally:
            app.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; rerun: {' '.join(sys.argv)}")
    for backend in args.backends.split(","):
        run(backend.strip(), args.articles, args.queries, args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
