"""Live chat on the web: the agents' workspace, the two chat sockets, the widget demo page."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request, WebSocket
from fastapi.responses import HTMLResponse, Response

from consigndesk.adapters.channels.chat.agent import AgentSocket
from consigndesk.adapters.channels.chat.channel import chat_channel
from consigndesk.adapters.channels.chat.customer import CustomerSocket
from consigndesk.adapters.http.deps import AppDep, session_agent
from consigndesk.adapters.http.guard import CheckedRoute
from consigndesk.adapters.http.web.common import not_found, redirect
from consigndesk.adapters.http.web.templating import locale_of, render
from consigndesk.bootstrap import App
from consigndesk.services.auth import CustomerIdentity, sign_customer_token

router = APIRouter(include_in_schema=False, route_class=CheckedRoute)
DEMO_CUSTOMER = CustomerIdentity(
    external_id="demo-widget-buyer", role="buyer", tier="regular", name="演示买家 Demo buyer"
)


@router.websocket("/ws/chat")
async def customer_socket(websocket: WebSocket) -> None:
    core: App = websocket.app.state.core
    await CustomerSocket(websocket, chat_channel(core.extras)).run()


@router.websocket("/ws/agent")
async def agent_socket(websocket: WebSocket) -> None:
    core: App = websocket.app.state.core
    await AgentSocket(websocket, chat_channel(core.extras)).run()


@router.get("/chats", response_class=HTMLResponse)
def workspace(request: Request, core: AppDep) -> Response:
    """Live chats: the list on the left, the conversation on the right, over `/ws/agent`."""
    agent = session_agent(request, core)
    if agent is None:
        return redirect("/login?" + urlencode({"next": "/chats"}))
    locale = locale_of(request, agent["language"])
    return render(
        request, "chat/workspace.html", {"agent": agent, "wide_page": True}, locale=locale
    )


@router.get("/widget-demo", response_class=HTMLResponse)
def widget_demo(
    request: Request, core: AppDep, lang: str = "", customer: str = "", anonymous: bool = False
) -> Response:
    """A pretend shop page carrying the one script tag, signed for a demo customer
    (only with CONSIGNDESK_CHAT_DEMO_PAGE=1: it hands out identities)."""
    locale = "en" if lang == "en" else ("zh_CN" if lang == "zh" else locale_of(request))
    if not core.settings.chat_demo_page:
        return not_found(request, locale)
    token = ""
    if not anonymous and core.platform_secret:
        who = DEMO_CUSTOMER
        if customer:
            who = CustomerIdentity(external_id=customer[:100], role="buyer", tier="regular")
        token = sign_customer_token(core.platform_secret, who, ttl_seconds=4 * 3600)
    return render(
        request,
        "chat/widget_demo.html",
        {"token": token, "widget_lang": "en" if locale == "en" else "zh"},
        locale=locale,
    )
