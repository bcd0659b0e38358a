/* The agents' live-chat workspace (/chats): the chat list and one conversation over /ws/agent.
   Strings come translated from the page (#chat-strings). Plain JS, no build step. */
(function () {
  "use strict";
  var S = JSON.parse(document.getElementById("chat-strings").textContent);
  var el = function (id) { return document.getElementById(id); };
  var list = el("chat-list"), log = el("chat-log"), title = el("chat-title");
  var compose = el("chat-compose"), text = el("chat-text"), typing = el("chat-typing");
  var endButton = el("chat-end"), ticketLink = el("chat-ticket-link"), status = el("chat-status");

  var chats = {};          // ticket id → {summary, unread, last, ended}
  var current = null;      // ticket id on screen
  var seen = {};           // message ids shown for the current chat
  var lastSeen = {};       // ticket id → highest message id received
  var customerRead = {};   // ticket id → the customer has read up to this id
  var ws = null, backoff = 500, typingTimer = null, me = "";

  function send(frame) {
    if (ws && ws.readyState === 1) { ws.send(JSON.stringify(frame)); return true; }
    return false;
  }

  function connect() {
    status.textContent = S.connecting;
    var socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/agent");
    ws = socket;
    socket.onopen = function () { socket.send(JSON.stringify({ type: "hello" })); };
    socket.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      handle(frame);
    };
    socket.onclose = function (event) {
      if (ws !== socket) return;
      ws = null;
      if (event.code === 4401) { location.href = "/login?next=/chats"; return; }
      status.textContent = S.offline;
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 10000);
    };
  }

  // -- the list -----------------------------------------------------------------------------
  function upsert(summary, lastText, unread) {
    var chat = chats[summary.id] || (chats[summary.id] = { unread: 0, last: "", ended: false });
    chat.summary = summary;
    if (lastText !== undefined) chat.last = lastText;
    if (unread) chat.unread += 1;
    if (summary.customer_read_id) customerRead[summary.id] = summary.customer_read_id;
    renderList();
  }

  function renderList() {
    var ids = Object.keys(chats).map(Number).sort(function (a, b) { return b - a; });
    list.textContent = "";
    el("chat-empty").hidden = ids.length > 0;
    ids.forEach(function (id) {
      var chat = chats[id], s = chat.summary;
      var li = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "chat-item" + (id === current ? " current" : "") + (chat.ended ? " ended" : "");
      button.setAttribute("data-ticket", String(id));
      var who = document.createElement("span");
      who.className = "who";
      who.textContent = (s.customer || S.customer) + " · " + s.reference;
      button.appendChild(who);
      if (chat.unread && id !== current) {
        var badge = document.createElement("span");
        badge.className = "unread";
        badge.textContent = String(chat.unread);
        button.appendChild(badge);
      }
      var last = document.createElement("span");
      last.className = "last";
      last.textContent = chat.last || s.subject;
      button.appendChild(last);
      button.addEventListener("click", function () { openChat(id); });
      li.appendChild(button);
      list.appendChild(li);
    });
  }

  // -- the conversation ---------------------------------------------------------------------
  function openChat(id) {
    current = id;
    seen = {};
    log.textContent = "";
    typing.textContent = "";
    var chat = chats[id];
    chat.unread = 0;
    title.textContent = (chat.summary.customer || S.customer) + " · " + chat.summary.subject;
    ticketLink.href = "/tickets/" + id;
    ticketLink.hidden = false;
    compose.hidden = chat.ended;
    endButton.hidden = chat.ended;
    renderList();
    send({ type: "open", ticket_id: id, after_id: 0 });
    text.focus();
  }

  function place(li, id) {
    li.setAttribute("data-id", String(id));
    var items = log.children;
    for (var i = 0; i < items.length; i++) {
      if (Number(items[i].getAttribute("data-id") || Infinity) > id) { log.insertBefore(li, items[i]); return; }
    }
    log.appendChild(li);
  }

  function bubble(m) {
    var li = document.createElement("li");
    var kind = m.visibility === "internal" ? "internal" : m.author_type;
    li.className = "msg msg-" + kind + (m.author_type === "ai" ? " msg-agent" : "");
    if (m.author_type !== "system" || m.visibility === "internal") {
      var who = document.createElement("span");
      who.className = "who";
      who.textContent = m.visibility === "internal" ? S.internal :
        (m.author_name || (m.author_type === "customer" ? S.customer : ""));
      li.appendChild(who);
    }
    var body = document.createElement("span");
    body.className = "text";
    body.textContent = m.text;
    li.appendChild(body);
    if (m.author_type === "agent") {
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
    meta.textContent = !id || id === Infinity ? S.sending : id <= (customerRead[current] || 0) ? S.read : S.sent;
  }

  function show(m) {
    if (seen[m.id]) return;
    seen[m.id] = true;
    var li = null;
    if (m.client_id) li = log.querySelector("li[data-client-id='" + m.client_id + "']");
    if (!li) li = bubble(m);
    place(li, m.id);
    setMeta(li);
    log.scrollTop = log.scrollHeight;
    if (m.author_type === "customer") {
      typing.textContent = "";
      if (!document.hidden) send({ type: "read", ticket_id: current, message_id: m.id });
    }
  }

  function handle(f) {
    switch (f.type) {
      case "welcome":
        backoff = 500;
        status.textContent = S.online;
        me = f.agent.name;
        f.chats.forEach(function (s) { upsert(s); });
        if (current) send({ type: "open", ticket_id: current, after_id: lastSeen[current] || 0 });
        break;
      case "message":
        if (f.id > (lastSeen[f.ticket_id] || 0)) lastSeen[f.ticket_id] = f.id;
        upsert(f.ticket, f.visibility === "public" ? f.text : undefined,
          f.author_type === "customer" && f.ticket_id !== current);
        if (f.ticket_id === current) show(f);
        break;
      case "history":
        if (f.ticket_id !== current) break;
        f.messages.forEach(function (m) {
          if (m.id > (lastSeen[m.ticket_id] || 0)) lastSeen[m.ticket_id] = m.id;
          show(m);
        });
        break;
      case "ack":
        var pending = log.querySelector("li[data-client-id='" + f.client_id + "']:not([data-id])");
        if (pending && seen[f.message_id]) { pending.remove(); }  // the live copy came first
        else if (pending) { seen[f.message_id] = true; place(pending, f.message_id); setMeta(pending); }
        break;
      case "typing":
        if (f.ticket_id === current && f.by === "customer") {
          typing.textContent = f.on ? S.typing : "";
          clearTimeout(typingTimer);
          if (f.on) typingTimer = setTimeout(function () { typing.textContent = ""; }, 6000);
        }
        break;
      case "read":
        if (f.by === "customer") {
          customerRead[f.ticket_id] = Math.max(customerRead[f.ticket_id] || 0, f.message_id);
          if (f.ticket_id === current) Array.prototype.forEach.call(log.querySelectorAll(".msg-agent"), setMeta);
        }
        break;
      case "ended":
        if (chats[f.ticket_id]) { chats[f.ticket_id].ended = true; renderList(); }
        if (f.ticket_id === current) { compose.hidden = true; endButton.hidden = true; typing.textContent = S.ended; }
        break;
      case "error":
        status.textContent = S.error.replace("%(detail)s", f.message);
        break;
    }
  }

  // -- actions ------------------------------------------------------------------------------
  function clientId() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  compose.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = text.value.trim();
    if (!body || !current) return;
    var id = clientId();
    var li = bubble({ author_type: "agent", visibility: "public", text: body, author_name: me });
    li.setAttribute("data-client-id", id);
    log.appendChild(li);
    setMeta(li);
    log.scrollTop = log.scrollHeight;
    text.value = "";
    stopTyping();
    send({ type: "message", ticket_id: current, client_id: id, text: body });
  });
  text.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      compose.requestSubmit();
    }
  });

  var typingOn = false, idle = null;
  function stopTyping() {
    clearTimeout(idle);
    if (typingOn && current) { send({ type: "typing", ticket_id: current, on: false }); }
    typingOn = false;
  }
  text.addEventListener("input", function () {
    if (!typingOn && current && text.value) typingOn = send({ type: "typing", ticket_id: current, on: true });
    clearTimeout(idle);
    idle = setTimeout(stopTyping, 3000);
  });

  endButton.addEventListener("click", function () { if (current) send({ type: "end", ticket_id: current }); });
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && current && lastSeen[current]) {
      send({ type: "read", ticket_id: current, message_id: lastSeen[current] });
    }
  });

  connect();
})();
