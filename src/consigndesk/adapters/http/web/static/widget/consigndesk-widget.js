/* ConsignDesk chat widget: one <script src=".../static/widget/consigndesk-widget.js"
   data-token="<platform-signed token>" data-lang="zh|en"> tag. Plain JS, no build step.
   Protocol: docs/decisions/0601-chat-protocol.md. Unacknowledged messages survive reconnects
   and reloads (localStorage) and are resent with the same client id (the server ignores
   repeats); after a reconnect the server replays what came after the last message seen. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.ConsignDeskWidget) return;

  var STRINGS = {
    zh: {
      title: "在线客服", open: "联系客服", minimize: "收起", end: "结束对话",
      placeholder: "请输入您的问题…", send: "发送", connecting: "连接中…", online: "在线",
      offline: "连接已断开，正在重连…", you: "我", agent: "客服", system: "系统通知",
      sending: "发送中", sent: "已送达", read: "已读", typing: "客服正在输入…",
      queue: "您前面还有 {ahead} 位客户，预计等待约 {eta}。",
      queueNoPosition: "已为您分配客服，预计约 {eta} 内回复。",
      queueUnknown: "您前面还有 {ahead} 位客户，请稍候。",
      minutes: "{n} 分钟", lessThanMinute: "不到 1 分钟",
      ended: "对话已结束。您的问题已记录为工单 {ref}，我们会继续跟进。",
      endedNoTicket: "对话已结束。",
      transcript: "把聊天记录发到邮箱", transcriptSend: "发送记录",
      transcriptDone: "聊天记录将发送到 {email}。", newChat: "开始新对话",
      identify: "请留下您的邮箱，以便我们联系您：", email: "邮箱地址", start: "开始咨询",
      errors: {
        rate_limited: "发送太快了，消息稍后会自动重发。",
        message_too_large: "消息太长，请分几条发送。",
        empty_message: "不能发送空消息。",
        bad_customer_token: "身份验证失败，请刷新页面后重试。",
        expired_customer_token: "登录已过期，请刷新页面后重试。",
        bad_email: "请填写有效的邮箱地址。",
        chat_ended: "对话已结束，请开始新对话。",
        unauthorized: "请先留下邮箱地址。",
        other: "出错了，请稍后再试。"
      }
    },
    en: {
      title: "Customer service", open: "Chat with us", minimize: "Minimize", end: "End chat",
      placeholder: "Type your question…", send: "Send", connecting: "Connecting…",
      online: "Online", offline: "Connection lost, reconnecting…", you: "You", agent: "Agent",
      system: "Notice", sending: "Sending", sent: "Delivered", read: "Read",
      typing: "The agent is typing…",
      queue: "{ahead} customers ahead of you; expected wait about {eta}.",
      queueNoPosition: "An agent has been assigned; expect a reply in about {eta}.",
      queueUnknown: "{ahead} customers ahead of you; please hold on.",
      minutes: "{n} min", lessThanMinute: "less than a minute",
      ended: "The chat has ended. Your request is ticket {ref}; we will follow up.",
      endedNoTicket: "The chat has ended.",
      transcript: "Email me the transcript", transcriptSend: "Send transcript",
      transcriptDone: "The transcript will be sent to {email}.", newChat: "Start a new chat",
      identify: "Leave your email address so we can reach you:", email: "Email address",
      start: "Start chat",
      errors: {
        rate_limited: "You are sending too fast; the message will be resent shortly.",
        message_too_large: "That message is too long; please split it.",
        empty_message: "An empty message cannot be sent.",
        bad_customer_token: "We could not verify who you are; reload the page and try again.",
        expired_customer_token: "Your sign-in has expired; reload the page and try again.",
        bad_email: "Please give a valid email address.",
        chat_ended: "This chat has ended; start a new one.",
        unauthorized: "Please leave your email address first.",
        other: "Something went wrong; please try again."
      }
    }
  };
  var lang = script.getAttribute("data-lang") === "en" ? "en" : "zh";
  var T = STRINGS[lang];
  var token = script.getAttribute("data-token") || "";
  var base = new URL(script.src, window.location.href);
  var wsUrl = (base.protocol === "https:" ? "wss:" : "ws:") + "//" + base.host + "/ws/chat";
  var MAX_CHARS = 4000;

  function fmt(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, k) { return values[k]; });
  }

  function tokenSubject(t) {
    try {
      var body = t.split(".")[0].replace(/-/g, "+").replace(/_/g, "/");
      return JSON.parse(atob(body)).sub || "";
    } catch (e) { return ""; }
  }

  // -- storage: per server and per customer, so one browser never mixes two customers -----
  var anonKey = "consigndesk.chat:" + base.host + ":anonymous-email";
  var email = token ? "" : (safeGet(anonKey) || "");
  function storeKey() {
    return "consigndesk.chat:" + base.host + ":" + (token ? tokenSubject(token) : "email:" + email);
  }
  function safeGet(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }
  function safeSet(key, value) {
    try { window.localStorage.setItem(key, value); } catch (e) { /* private mode: memory only */ }
  }
  function load() {
    try { return JSON.parse(safeGet(storeKey()) || "{}"); } catch (e) { return {}; }
  }
  var state = { session_id: null, pending: [] };
  function save() {
    safeSet(storeKey(), JSON.stringify({ session_id: state.session_id, pending: state.pending }));
  }

  // -- the DOM, inside a shadow root so the host page's styles do not leak in -------------
  var host = document.createElement("div");
  host.id = "consigndesk-widget";
  var root = host.attachShadow({ mode: "open" });
  root.innerHTML =
    "<style>" +
    ":host{all:initial;font:14px/1.5 -apple-system,'PingFang SC','Microsoft YaHei','WenQuanYi Micro Hei',sans-serif;color:#1f2933}" +
    ".launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;border-radius:24px;padding:12px 18px;background:#b5472f;color:#fff;font:inherit;font-weight:600;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}" +
    ".panel{position:fixed;right:20px;bottom:20px;z-index:2147483001;width:360px;max-width:calc(100vw - 40px);height:520px;max-height:calc(100vh - 40px);display:flex;flex-direction:column;background:#fff;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.3);overflow:hidden}" +
    ".panel[hidden],[hidden]{display:none!important}" +
    "header{display:flex;align-items:center;gap:8px;padding:10px 12px;background:#b5472f;color:#fff}" +
    "header .title{font-weight:600;flex:1}header .status{font-size:12px;opacity:.85}" +
    "header button{background:transparent;border:1px solid rgba(255,255,255,.6);color:#fff;border-radius:6px;padding:2px 8px;font:inherit;font-size:12px;cursor:pointer}" +
    ".notice{padding:8px 12px;background:#fff7e6;border-bottom:1px solid #f3d9a4;font-size:13px}" +
    ".log{list-style:none;margin:0;padding:12px;flex:1;overflow-y:auto;display:flex;flex-direction:column;gap:8px;background:#f7f7f8}" +
    ".msg{max-width:80%;padding:8px 10px;border-radius:10px;background:#fff;border:1px solid #e4e7eb;white-space:pre-wrap;word-break:break-word}" +
    ".msg .who{display:block;font-size:11px;color:#7b8794}.msg .meta{display:block;font-size:11px;color:#7b8794;text-align:right}" +
    ".msg-customer{align-self:flex-end;background:#fde8e1;border-color:#f5c4b5}" +
    ".msg-system{align-self:center;background:transparent;border:0;color:#52606d;font-size:12px;text-align:center}" +
    ".msg-failed{border-color:#d64545}" +
    ".typing{padding:0 12px 6px;font-size:12px;color:#7b8794;background:#f7f7f8}" +
    ".error{padding:6px 12px;background:#fde8e8;color:#a61b1b;font-size:12px}" +
    "form{display:flex;gap:8px;padding:10px 12px;border-top:1px solid #e4e7eb;align-items:flex-end;flex-wrap:wrap}" +
    "form p{margin:0;width:100%;font-size:13px}" +
    "textarea,input{flex:1;font:inherit;border:1px solid #cbd2d9;border-radius:8px;padding:6px 8px;resize:none;min-width:0}" +
    "form button{border:0;border-radius:8px;padding:7px 12px;background:#b5472f;color:#fff;font:inherit;cursor:pointer}" +
    "form button:disabled{opacity:.5;cursor:default}" +
    "</style>" +
    "<button class='launcher' type='button'></button>" +
    "<section class='panel' role='dialog' hidden>" +
    "<header><span class='title'></span><span class='status'></span>" +
    "<button class='end' type='button'></button><button class='minimize' type='button'>×</button></header>" +
    "<div class='notice' hidden></div>" +
    "<ol class='log' aria-live='polite'></ol>" +
    "<div class='typing' hidden></div>" +
    "<div class='error' role='alert' hidden></div>" +
    "<form class='identify' hidden><p></p><input type='email' required><button type='submit'></button></form>" +
    "<form class='compose'><textarea rows='2'></textarea><button type='submit'></button></form>" +
    "<form class='transcript' hidden><input type='email' required><button type='submit'></button>" +
    "<button class='new-chat' type='button'></button></form>" +
    "</section>";
  function $(sel) { return root.querySelector(sel); }
  var ui = {
    launcher: $(".launcher"), panel: $(".panel"), title: $(".title"), status: $(".status"),
    end: $(".end"), minimize: $(".minimize"), notice: $(".notice"), log: $(".log"),
    typing: $(".typing"), error: $(".error"), identify: $(".identify"),
    compose: $(".compose"), text: $(".compose textarea"), transcript: $(".transcript"),
    newChat: $(".new-chat")
  };
  ui.launcher.textContent = T.open;
  ui.panel.setAttribute("aria-label", T.title);
  ui.title.textContent = T.title;
  ui.end.textContent = T.end;
  ui.minimize.setAttribute("aria-label", T.minimize);
  ui.typing.textContent = T.typing;
  ui.identify.querySelector("p").textContent = T.identify;
  ui.identify.querySelector("input").placeholder = T.email;
  ui.identify.querySelector("button").textContent = T.start;
  ui.text.placeholder = T.placeholder;
  ui.text.maxLength = MAX_CHARS;
  $(".compose button").textContent = T.send;
  ui.transcript.querySelector("input").placeholder = T.email;
  ui.transcript.querySelector("button").textContent = T.transcriptSend;
  ui.newChat.textContent = T.newChat;

  // -- rendering ----------------------------------------------------------------------------
  var seen = {};          // server message ids shown
  var lastSeen = 0;       // highest server message id received in this page's life
  var agentRead = 0;      // the agent has read our messages up to this id
  var reference = null;
  var typingTimer = null;

  function showError(code, fallback) {
    ui.error.textContent = T.errors[code] || fallback || T.errors.other;
    ui.error.hidden = false;
    clearTimeout(showError.timer);
    showError.timer = setTimeout(function () { ui.error.hidden = true; }, 6000);
  }

  function place(li, id) {
    // keep the log in server order: a replayed message may arrive after a newer live one
    li.setAttribute("data-id", String(id));
    var items = ui.log.children;
    for (var i = 0; i < items.length; i++) {
      var other = Number(items[i].getAttribute("data-id") || Infinity);
      if (other > id) { ui.log.insertBefore(li, items[i]); return; }
    }
    ui.log.appendChild(li);
  }

  function bubble(author, text, name) {
    var li = document.createElement("li");
    li.className = "msg msg-" + (author === "customer" ? "customer" : author === "system" ? "system" : "agent");
    if (author !== "system") {
      var who = document.createElement("span");
      who.className = "who";
      who.textContent = author === "customer" ? T.you : (name || T.agent);
      li.appendChild(who);
    }
    var body = document.createElement("span");
    body.className = "text";
    body.textContent = text;
    li.appendChild(body);
    if (author === "customer") {
      var meta = document.createElement("span");
      meta.className = "meta";
      li.appendChild(meta);
    }
    return li;
  }

  function setMeta(li) {
    var meta = li.querySelector(".meta");
    if (!meta) return;
    var id = Number(li.getAttribute("data-id") || 0);
    meta.textContent = !id || id === Infinity ? T.sending : id <= agentRead ? T.read : T.sent;
  }

  function pendingBubble(p) {
    var li = bubble("customer", p.text);
    li.setAttribute("data-client-id", p.client_id);
    ui.log.appendChild(li);
    setMeta(li);
    scroll();
  }

  function findPending(clientId) {
    return ui.log.querySelector("li[data-client-id='" + clientId + "']:not([data-id])") ||
      ui.log.querySelector("li[data-client-id='" + clientId + "'][data-id='Infinity']");
  }

  function showMessage(f) {
    if (seen[f.id]) return;
    seen[f.id] = true;
    var li = f.client_id ? findPending(f.client_id) : null;
    if (li) { li.remove(); } else { li = bubble(f.author_type, f.text, f.author_name); }
    if (f.client_id) li.setAttribute("data-client-id", f.client_id);
    place(li, f.id);
    setMeta(li);
    if (f.client_id) dropPending(f.client_id);
    scroll();
  }

  function scroll() { ui.log.scrollTop = ui.log.scrollHeight; }

  function refreshReadMarks() {
    var items = ui.log.querySelectorAll(".msg-customer");
    for (var i = 0; i < items.length; i++) setMeta(items[i]);
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return null;
    return seconds < 60 ? T.lessThanMinute : fmt(T.minutes, { n: Math.round(seconds / 60) });
  }

  function showQueue(f) {
    var eta = duration(f.eta_seconds);
    var text;
    if (f.position) {
      var ahead = Math.max(0, f.position - 1);
      text = eta ? fmt(T.queue, { ahead: ahead, eta: eta }) : fmt(T.queueUnknown, { ahead: ahead });
    } else {
      text = eta ? fmt(T.queueNoPosition, { eta: eta }) : "";
    }
    ui.notice.textContent = text;
    ui.notice.hidden = !text;
  }

  // -- the connection -----------------------------------------------------------------------
  var ws = null, ready = false, stopped = false, backoff = 500, reconnectTimer = null;

  function setStatus(text) { ui.status.textContent = text; }

  function send(frame) {
    if (ws && ws.readyState === 1) { ws.send(JSON.stringify(frame)); return true; }
    return false;
  }

  function connect() {
    if (ws || stopped || (!token && !email)) return;
    setStatus(T.connecting);
    var socket = new WebSocket(wsUrl);
    ws = socket;
    socket.onopen = function () {
      var hello = { type: "hello", lang: lang, session_id: state.session_id, last_seen_id: lastSeen };
      if (token) { hello.token = token; } else { hello.email = email; }
      socket.send(JSON.stringify(hello));
    };
    socket.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      handle(frame);
    };
    socket.onclose = function (event) {
      if (ws !== socket) return;
      ws = null;
      ready = false;
      if (event.code === 4401) {  // identity refused: reconnecting would not help
        stopped = true;
        if (!token) { email = ""; ui.identify.hidden = false; ui.compose.hidden = true; stopped = false; }
        return;
      }
      setStatus(T.offline);
      reconnectTimer = setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 10000);
    };
  }

  function resendPending() {
    if (!ready) return;
    for (var i = 0; i < state.pending.length; i++) {
      send({ type: "message", client_id: state.pending[i].client_id, text: state.pending[i].text });
    }
  }

  function dropPending(clientId) {
    var before = state.pending.length;
    state.pending = state.pending.filter(function (p) { return p.client_id !== clientId; });
    if (state.pending.length !== before) save();
  }

  function handle(f) {
    switch (f.type) {
      case "welcome":
        if (state.session_id !== f.session_id) { state.session_id = f.session_id; save(); }
        ready = true;
        backoff = 500;
        reference = f.reference;
        agentRead = f.agent_read_id || 0;
        if (f.max_chars) { MAX_CHARS = f.max_chars; ui.text.maxLength = MAX_CHARS; }
        setStatus(T.online);
        resendPending();
        break;
      case "message":
        showMessage(f);
        if (f.id > lastSeen) lastSeen = f.id;
        if (f.author_type !== "customer") { ui.typing.hidden = true; markRead(); }
        if (f.author_type === "agent") ui.notice.hidden = true;
        break;
      case "ack":
        reference = f.reference || reference;
        var li = findPending(f.client_id);
        dropPending(f.client_id);
        if (li && !seen[f.message_id]) { seen[f.message_id] = true; place(li, f.message_id); setMeta(li); }
        break;
      case "queue":
        showQueue(f);
        break;
      case "typing":
        ui.typing.hidden = !f.on;
        clearTimeout(typingTimer);
        if (f.on) typingTimer = setTimeout(function () { ui.typing.hidden = true; }, 6000);
        break;
      case "read":
        if (f.message_id > agentRead) { agentRead = f.message_id; refreshReadMarks(); }
        break;
      case "ended":
        showEnded();
        break;
      case "transcript_requested":
        ui.transcript.querySelector("button[type=submit]").disabled = true;
        appendNotice(fmt(T.transcriptDone, { email: f.email }));
        break;
      case "error":
        if (f.code === "rate_limited") {
          setTimeout(resendPending, Math.max(500, (f.retry_after || 1) * 1000));
        } else if (f.client_id) {
          dropPending(f.client_id);
          var failed = findPending(f.client_id);
          if (failed) failed.className += " msg-failed";
        }
        showError(f.code, f.message);
        break;
    }
  }

  function appendNotice(text) {
    var li = bubble("system", text);
    li.setAttribute("data-id", "Infinity");
    ui.log.appendChild(li);
    scroll();
  }

  function showEnded() {
    ui.compose.hidden = true;
    ui.end.hidden = true;
    ui.notice.hidden = true;
    ui.typing.hidden = true;
    ui.transcript.hidden = !reference;
    ui.transcript.querySelector("input").value = email;
    appendNotice(reference ? fmt(T.ended, { ref: reference }) : T.endedNoTicket);
    state.session_id = null;
    save();
  }

  function markRead() {
    if (ui.panel.hidden || document.hidden) return;
    var newest = 0;
    var items = ui.log.querySelectorAll(".msg-agent, .msg-system");
    for (var i = 0; i < items.length; i++) {
      var id = Number(items[i].getAttribute("data-id"));
      if (id !== Infinity && id > newest) newest = id;
    }
    if (newest > markRead.sent) { markRead.sent = newest; send({ type: "read", message_id: newest }); }
  }
  markRead.sent = 0;

  // -- user actions -------------------------------------------------------------------------
  function newClientId() {
    var bytes = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  ui.compose.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = ui.text.value.trim();
    if (!text) return;
    if (text.length > MAX_CHARS) { showError("message_too_large"); return; }
    var pending = { client_id: newClientId(), text: text };
    state.pending.push(pending);
    save();
    pendingBubble(pending);
    ui.text.value = "";
    stopTyping();
    if (ready) send({ type: "message", client_id: pending.client_id, text: text });
  });
  ui.text.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      ui.compose.requestSubmit();
    }
  });

  var typingOn = false, typingIdle = null;
  function stopTyping() {
    clearTimeout(typingIdle);
    if (typingOn) { typingOn = false; send({ type: "typing", on: false }); }
  }
  ui.text.addEventListener("input", function () {
    if (!typingOn && ui.text.value) { typingOn = send({ type: "typing", on: true }); }
    clearTimeout(typingIdle);
    typingIdle = setTimeout(stopTyping, 3000);
  });

  ui.identify.addEventListener("submit", function (event) {
    event.preventDefault();
    email = ui.identify.querySelector("input").value.trim().toLowerCase();
    if (!email) return;
    safeSet(anonKey, email);
    state = load();
    state.pending = state.pending || [];
    ui.identify.hidden = true;
    ui.compose.hidden = false;
    state.pending.forEach(pendingBubble);
    connect();
  });

  ui.transcript.addEventListener("submit", function (event) {
    event.preventDefault();
    var to = ui.transcript.querySelector("input").value.trim();
    if (to && !send({ type: "transcript", email: to })) showError("other");
  });

  ui.newChat.addEventListener("click", function () {
    ui.transcript.hidden = true;
    ui.compose.hidden = false;
    ui.end.hidden = false;
    ui.log.textContent = "";
    seen = {};
    lastSeen = 0;
    reference = null;
    if (ws) { ws.close(); ws = null; }
    clearTimeout(reconnectTimer);
    connect();
  });

  ui.end.addEventListener("click", function () { send({ type: "end" }); });

  function open() {
    ui.panel.hidden = false;
    ui.launcher.hidden = true;
    if (!token && !email) { ui.identify.hidden = false; ui.compose.hidden = true; }
    else { ui.text.focus(); }
    markRead();
  }
  function close() { ui.panel.hidden = true; ui.launcher.hidden = false; }
  ui.launcher.addEventListener("click", open);
  ui.minimize.addEventListener("click", close);
  document.addEventListener("visibilitychange", markRead);

  function start() {
    document.body.appendChild(host);
    if (token || email) {
      state = load();
      state.pending = state.pending || [];
      state.pending.forEach(pendingBubble);
      connect();
    }
  }
  if (document.body) { start(); } else { document.addEventListener("DOMContentLoaded", start); }

  window.ConsignDeskWidget = { open: open, close: close };
})();
