"""Help centre and article editor through HTTP."""

from __future__ import annotations

from consigndesk.services.knowledge import seed_knowledge_base
from tests.api.conftest import Api

ARTICLE = {
    "slug": "xss-check",
    "category": "service",
    "tags": ["test"],
    "intents": ["other"],
    "translations": {
        "en": {
            "title": "Scripts are removed",
            "body": "Hello <script>alert(1)</script> <img src=x onerror=alert(2)> "
            "[link](javascript:alert(3)) **bold**",
        },
        "zh": {"title": "脚本会被移除", "body": "你好 <a href='#' onclick='x()'>链接</a>"},
    },
}


def test_public_search_read_and_vote(api: Api) -> None:
    seed_knowledge_base(api.core.uow)
    found = api.client.get("/api/v1/help/search", params={"q": "退款多久到账", "lang": "zh"})
    assert found.status_code == 200
    top = found.json()["results"][0]
    assert top["slug"] == "refund-timing" and top["snippet"]
    article = api.client.get(f"/api/v1/help/articles/{top['id']}", params={"lang": "en"})
    assert article.status_code == 200
    assert article.json()["title"] == "How long does a refund take?"
    assert "<table>" in article.json()["body_html"]

    vote = f"/api/v1/help/articles/{top['id']}/vote"
    first = api.client.post(vote, json={"helpful": True, "lang": "en"})
    second = api.client.post(vote, json={"helpful": False, "lang": "en"})
    assert first.json()["counted"] is True and second.json()["counted"] is False
    assert second.json()["votes"]["en"] == {"helpful": 0, "not_helpful": 1}
    bad = api.client.post(vote, json={"helpful": "maybe", "lang": "fr"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_input"
    missing = api.client.get("/api/v1/help/articles/999999", params={"lang": "zh"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_editor_crud_versions_and_sanitized_html(api: Api) -> None:
    client, csrf = api.login("admin@desk.test")
    headers = {"X-CSRF-Token": csrf}
    created = client.post("/api/v1/articles", json=ARTICLE, headers=headers)
    assert created.status_code == 201, created.text
    article = created.json()
    html = article["translations"]["en"]["body_html"] + article["translations"]["zh"]["body_html"]
    for unsafe in ("<script", "onerror", "onclick", 'href="javascript', "alert(1)"):
        assert unsafe not in html
    assert "<strong>bold</strong>" in html
    article_id = article["id"]
    assert article["status"] == "draft"
    assert api.client.get(f"/api/v1/help/articles/{article_id}").status_code == 404

    published = client.post(f"/api/v1/articles/{article_id}/publish", headers=headers)
    assert published.json()["status"] == "published"
    assert api.client.get(f"/api/v1/help/articles/{article_id}").status_code == 200

    update = {
        "translations": {"en": {"title": "Scripts are removed (v2)", "body": "Second version"}},
        "expected_version": published.json()["version"],
    }
    saved = client.put(f"/api/v1/articles/{article_id}", json=update, headers=headers)
    assert saved.status_code == 200
    assert saved.json()["translations"]["en"]["version"] == 2
    stale = client.put(f"/api/v1/articles/{article_id}", json=update, headers=headers)
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale_version"

    versions = client.get(f"/api/v1/articles/{article_id}/versions", params={"lang": "en"})
    assert [v["version"] for v in versions.json()] == [2, 1]
    old = client.get(f"/api/v1/articles/{article_id}", params={"lang": "en", "version": 1})
    assert old.json()["translations"]["en"]["title"] == "Scripts are removed"
    listed = client.get("/api/v1/articles", params={"status": "published"})
    assert [a["slug"] for a in listed.json()] == ["xss-check"]

    client.post(f"/api/v1/articles/{article_id}/unpublish", headers=headers)
    assert api.client.get(f"/api/v1/help/articles/{article_id}").status_code == 404


def test_only_admins_and_supervisors_edit(api: Api) -> None:
    anonymous = api.client.get("/api/v1/articles")
    assert anonymous.status_code == 401
    agent, csrf = api.login("li.na@desk.test")
    refused = agent.post("/api/v1/articles", json=ARTICLE, headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    by_key = api.client.get("/api/v1/articles", headers=api.integration)
    assert by_key.status_code == 403
    admin, csrf = api.login("admin@desk.test")
    no_csrf = admin.post("/api/v1/articles", json=ARTICLE)
    assert no_csrf.status_code == 403


def test_publishing_needs_both_languages(api: Api) -> None:
    client, csrf = api.login("admin@desk.test")
    one_language = {
        **ARTICLE,
        "slug": "only-en",
        "translations": {"en": ARTICLE["translations"]["en"]},
    }  # type: ignore[index]
    created = client.post("/api/v1/articles", json=one_language, headers={"X-CSRF-Token": csrf})
    refused = client.post(
        f"/api/v1/articles/{created.json()['id']}/publish", headers={"X-CSRF-Token": csrf}
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "translation_missing"
