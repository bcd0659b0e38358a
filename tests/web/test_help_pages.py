"""The public help center and the knowledge-base editor, through HTTP."""

from __future__ import annotations

from consigndesk.domain.knowledge import Author
from consigndesk.services import knowledge
from tests.web import seed
from tests.web.conftest import Web, csrf_of

REFUND_ZH = "退款多久到账？"
REFUND_EN = "How long does a refund take?"


def publish_refund_article(web: Web) -> int:
    return knowledge.create_article(
        web.core.uow(),
        knowledge.ArticleInput(
            slug="refund-timeline",
            category="returns_refunds",
            intents=["return_refund"],
            translations={
                "zh": knowledge.TranslationInput(
                    REFUND_ZH, "退款在平台发起后 **1-3 个工作日**到账。<script>alert(1)</script>"
                ),
                "en": knowledge.TranslationInput(
                    REFUND_EN, "A refund arrives **1-3 working days** after we start it."
                ),
            },
            publish=True,
        ),
        Author.system("test"),
    )


def test_help_center_home_search_and_article(web_db: Web) -> None:
    web = web_db
    article_id = publish_refund_article(web)
    draft_id = knowledge.create_article(
        web.core.uow(),
        knowledge.ArticleInput(
            slug="secret-draft",
            category="payments",
            translations={"zh": knowledge.TranslationInput("内部草稿退款", "还没写完的退款说明")},
        ),
        Author.system("test"),
    )
    visitor = web.client("zh-CN")  # nobody signed in
    home = visitor.get("/help").text
    assert "退货与退款" in home and f'href="/help/articles/{article_id}"' in home
    assert "内部草稿退款" not in home

    found = visitor.get("/help/search", params={"q": "退款"}).text
    assert f'href="/help/articles/{article_id}"' in found and "<mark>退款</mark>" in found
    assert f"/help/articles/{draft_id}" not in found
    english = web.client("en-US").get("/help/search", params={"q": "refnd"}).text
    assert 'Did you mean <a href="/help/search?q=refund">refund</a>?' in english
    assert f'href="/help/articles/{article_id}"' in english and "<mark>refund</mark>" in english

    page = visitor.get(f"/help/articles/{article_id}").text
    assert REFUND_ZH in page and "<strong>1-3 个工作日</strong>" in page
    assert "<script>alert(1)</script>" not in page  # sanitized when it was saved
    assert web.client("en").get(f"/help/articles/{article_id}").text.count(REFUND_EN) >= 1
    assert visitor.get(f"/help/articles/{draft_id}").status_code == 404


def test_was_this_helpful_counts_once_per_session(web_db: Web) -> None:
    web = web_db
    article_id = publish_refund_article(web)
    reader = web.client("zh-CN")
    page = reader.get(f"/help/articles/{article_id}").text
    assert "这篇文章对您有帮助吗？" in page
    token = csrf_of(page)
    url = f"/help/articles/{article_id}/vote"
    assert reader.post(url, data={"helpful": "yes"}).status_code == 403  # CSRF

    voted = reader.post(url, data={"helpful": "yes", "csrf": token}, follow_redirects=False)
    assert voted.headers["location"] == f"/help/articles/{article_id}#vote"
    reader.post(url, data={"helpful": "yes", "csrf": token})  # the same session again
    after = reader.get(f"/help/articles/{article_id}").text
    assert "感谢您的反馈" in after and "1 位读者中有 1 位认为有帮助" in after
    assert 'name="helpful"' not in after

    other = web.client("zh-CN")
    partial = other.post(
        url,
        data={"helpful": "no", "csrf": csrf_of(other.get(f"/help/articles/{article_id}").text)},
        headers={"HX-Request": "true"},
    )
    assert partial.text.lstrip().startswith('<section class="card vote-card" id="vote">')
    assert "2 位读者中有 1 位认为有帮助" in partial.text


def test_portal_links_to_the_help_center(web: Web) -> None:
    seed.customer_ticket(web.core)
    page = web.customer_client("u-buyer-1").get("/portal/tickets").text
    assert 'href="/help"' in page and 'action="/help/search"' in page
    assert 'href="/portal/tickets"' in web.customer_client("u-buyer-1").get("/help").text


def editor_form(slug: str = "card-code-help", **changes: str) -> dict[str, str]:
    return {
        "slug": slug,
        "category": "digital_goods",
        "tags": "卡密, card code",
        "intents": "digital_delivery",
        "title_zh": "卡密无法使用怎么办？",
        "body_zh": "请先确认面额和地区，再联系客服。",
        "title_en": "My card code does not work",
        "body_en": "Check the value and the region first, then contact us.",
        **changes,
    }


def test_editor_create_publish_and_find_it_in_the_help_center(web_db: Web) -> None:
    web = web_db
    seed.agent(web.core, "chen.jing@desk.test", "陈静", role="supervisor")
    editor, token = web.agent_client("chen.jing@desk.test")
    assert "新建文章" in editor.get("/admin/articles").text
    assert editor.post("/admin/articles", data=editor_form()).status_code == 403  # CSRF

    created = editor.post(
        "/admin/articles", data={**editor_form(), "csrf": token}, follow_redirects=False
    )
    assert created.status_code == 303
    article_id = int(created.headers["location"].rsplit("/", 1)[1])
    page = editor.get(created.headers["location"]).text
    assert "文章已保存" in page and "草稿" in page and 'id="publish"' in page
    assert "卡密无法使用" not in web.client().get("/help/search", params={"q": "卡密"}).text

    preview = editor.post(
        "/admin/articles/preview",
        data={"csrf": token, "title_zh": "标题", "body_zh": "**粗体**<img src=x onerror=alert(1)>"},
    )
    assert "<strong>粗体</strong>" in preview.text and "onerror" not in preview.text

    published = editor.post(
        f"/admin/articles/{article_id}/publication",
        data={"publish": "1", "csrf": token},
        follow_redirects=False,
    )
    assert published.status_code == 303
    assert "已发布：文章现已出现在帮助中心" in editor.get(published.headers["location"]).text
    found = web.client().get("/help/search", params={"q": "卡密"}).text
    assert f'href="/help/articles/{article_id}"' in found
    listing = editor.get("/admin/articles", params={"status": "published"}).text
    assert f'href="/admin/articles/{article_id}"' in listing
    assert (
        f'href="/admin/articles/{article_id}"'
        not in editor.get("/admin/articles", params={"intent": "payment"}).text
    )

    taken = editor.post("/admin/articles", data={**editor_form(), "csrf": token})
    assert taken.status_code == 422 and "已有其他文章使用了这个地址" in taken.text


def test_editor_saves_versions_and_refuses_a_stale_form(web_db: Web) -> None:
    web = web_db
    seed.agent(web.core, "admin@desk.test", "管理员", role="admin")
    editor, token = web.agent_client("admin@desk.test")
    created = editor.post(
        "/admin/articles", data={**editor_form(), "csrf": token}, follow_redirects=False
    )
    article_id = int(created.headers["location"].rsplit("/", 1)[1])
    version = knowledge.get_article(web.core.read_uow(), article_id, published_only=False)[
        "version"
    ]
    form = {**editor_form(), "csrf": token, "version": str(version)}

    saved = editor.post(
        f"/admin/articles/{article_id}",
        data={**form, "body_zh": "新的中文说明。"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    page = editor.get(f"/admin/articles/{article_id}").text
    assert "新的中文说明。" in page
    assert f"/admin/articles/{article_id}/versions/zh/2" in page  # zh changed: version 2
    assert f"/admin/articles/{article_id}/versions/en/2" not in page  # en unchanged
    old = editor.get(f"/admin/articles/{article_id}/versions/zh/1").text
    assert "请先确认面额和地区" in old and "第 1 版" in old

    stale = editor.post(f"/admin/articles/{article_id}", data={**form, "body_en": "Mine."})
    assert stale.status_code == 409
    assert "其他人保存了这篇文章" in stale.text and "Mine." in stale.text  # the draft is kept
    assert (
        "Mine."
        not in knowledge.get_article(web.core.read_uow(), article_id, published_only=False)[
            "translations"
        ]["en"]["body_md"]
    )


def test_editor_is_for_supervisors_and_admins_only(web: Web) -> None:
    seed.agent(web.core, "li.na@desk.test")
    article_id = publish_refund_article(web)
    agent, token = web.agent_client("li.na@desk.test")
    assert 'href="/admin/articles"' not in agent.get("/").text
    for url in ("/admin/articles", "/admin/articles/new", f"/admin/articles/{article_id}"):
        assert agent.get(url).status_code == 403, url
    refused = agent.post(
        f"/admin/articles/{article_id}/publication", data={"publish": "0", "csrf": token}
    )
    assert refused.status_code == 403
    assert knowledge.get_article(web.core.read_uow(), article_id)["status"] == "published"
    anonymous = web.client().get("/admin/articles", follow_redirects=False)
    assert anonymous.headers["location"] == "/login?next=%2Fadmin%2Farticles"
    customer = web.customer_client("u-buyer-1")
    assert customer.get("/admin/articles", follow_redirects=False).status_code == 303
