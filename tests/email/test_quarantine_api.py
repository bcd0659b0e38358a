"""The admin API over quarantined email: list, download, retry."""

from __future__ import annotations

from tests.api.conftest import Api, api  # noqa: F401  (the fixture)
from tests.email.conftest import channel_of
from tests.email.mails import mail

BROKEN = b"Subject: no sender at all\r\n\r\nbody\r\n"


def test_admins_list_download_and_retry_quarantined_mail(api: Api) -> None:  # noqa: F811
    channel = channel_of(api.core)
    broken = channel.ingest(BROKEN)
    newsletter_mail = mail("本周优惠：全场九折", subject="本周优惠", List_Id="<deals.example.cn>")
    newsletter = channel.ingest(newsletter_mail.as_bytes())
    assert broken.action == newsletter.action == "quarantined"

    admin, csrf = api.login("admin@desk.test")
    page = admin.get("/api/v1/email/quarantine", params={"limit": 1})
    assert page.status_code == 200, page.text
    first = page.json()
    assert [i["kind"] for i in first["items"]] == ["automatic"]
    assert first["items"][0]["subject"] == "本周优惠"
    rest = admin.get("/api/v1/email/quarantine", params={"cursor": first["next_cursor"]}).json()
    assert [(i["kind"], i["sender"]) for i in rest["items"]] == [("malformed", "")]
    assert rest["next_cursor"] is None

    raw = admin.get(f"/api/v1/email/quarantine/{broken.quarantine_id}/raw")
    assert raw.content == BROKEN and raw.headers["content-type"] == "message/rfc822"

    headers = {"X-CSRF-Token": csrf}
    still = admin.post(f"/api/v1/email/quarantine/{broken.quarantine_id}/retry", headers=headers)
    assert still.status_code == 200 and still.json()["action"] == "quarantined"

    released = admin.post(
        f"/api/v1/email/quarantine/{newsletter.quarantine_id}/retry", headers=headers
    )
    assert released.status_code == 200, released.text
    assert released.json()["action"] == "created"
    ticket_id = released.json()["ticket_id"]
    detail = api.client.get(f"/api/v1/tickets/{ticket_id}", headers=api.integration).json()
    assert detail["channel"] == "email" and detail["messages"][0]["body"] == "本周优惠：全场九折"

    again = admin.post(
        f"/api/v1/email/quarantine/{newsletter.quarantine_id}/retry", headers=headers
    )
    assert again.status_code == 409
    assert admin.post("/api/v1/email/quarantine/999999/retry", headers=headers).status_code == 404
    held = admin.get("/api/v1/email/quarantine").json()["items"]
    assert [i["id"] for i in held] == [broken.quarantine_id]
    released_rows = admin.get("/api/v1/email/quarantine", params={"status": "released"}).json()
    assert released_rows["items"][0]["ticket_id"] == ticket_id


def test_only_admins_see_the_quarantine(api: Api) -> None:  # noqa: F811
    agent, _ = api.login("li.na@desk.test")
    assert agent.get("/api/v1/email/quarantine").status_code == 403
    assert api.client.get("/api/v1/email/quarantine").status_code == 401
    assert api.client.get("/api/v1/email/quarantine", headers=api.integration).status_code == 403
