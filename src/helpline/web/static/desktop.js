// The agent desktop: presence, offers with a countdown and a beep, conversations in tabs, and the
// Customer 360 panel beside each. State comes from GET /api/v1/me/desktop and then follows the
// event stream (/api/v1/events); after a reconnect the stream replays what was missed, and a
// `reset` event (too far behind, or a server restart) reloads everything. No inline script (CSP).
(function () {
  "use strict";

  var desk = document.getElementById("desk");
  if (!desk) return;

  var ME = Number(desk.getAttribute("data-user-id"));
  var MY_NAME = desk.getAttribute("data-user-name") || "";
  var CSRF = desk.getAttribute("data-csrf") || "";
  var live = window.HelplineLive;
  var http = live.client(CSRF);
  var api = http.api, ApiError = live.ApiError, toast = live.toast, clock = live.clock, pad = live.pad;
  var AWAY_LABELS = { break: "Break", lunch: "Lunch", training: "Training", meeting: "Meeting", missed: "Missed offer" };
  var PHASE_LABELS = { offered: "Offered", active: "Active", wrap_up: "Wrap-up", left: "Left" };
  var TYPING_SHOWN_MS = 5000;
  var TYPING_SEND_EVERY_MS = 3000;

  var tenantNames = {}; // slug -> name, from the desktop data
  var state = {
    presence: null,
    reason: null,
    agentState: null,
    offers: new Map(), // interaction id -> offer
    convs: new Map(), // interaction id -> conversation
    order: [], // conversation ids in tab order
    active: null,
    loaded: false,
  };

  // --- small helpers -------------------------------------------------------------------------------

  function $(id) { return document.getElementById(id); }
  function slot(root, name) { return root.querySelector('[data-slot="' + name + '"]'); }
  function pick(obj, names, fallback) {
    if (!obj) return fallback;
    for (var i = 0; i < names.length; i++) {
      var v = obj[names[i]];
      if (v !== undefined && v !== null) return v;
    }
    return fallback;
  }
  function clone(id) { return $(id).content.firstElementChild.cloneNode(true); }
  function serverNow() { return Date.now() + http.skewMs; }
  function hhmm(iso) {
    var d = new Date(iso);
    return isNaN(d) ? "" : pad(d.getHours()) + ":" + pad(d.getMinutes());
  }
  function humanSize(n) {
    if (typeof n !== "number") return "";
    if (n < 1024) return n + " B";
    if (n < 1048576) return Math.round(n / 1024) + " KB";
    return (n / 1048576).toFixed(1) + " MB";
  }
  function channelLabel(ch) { return live.channelLabel(ch, "contact"); }
  function isTyping(el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  function failed(what) {
    return function (error) {
      var message = error && error.message ? error.message : "Could not reach the server.";
      if (error instanceof TypeError) message = "Could not reach the server. Check your connection.";
      toast(what + ": " + message, "error");
      throw error;
    };
  }

  function tenantApi(conv, rest) {
    return "/api/v1/tenants/" + encodeURIComponent(conv.tenant) + "/interactions/" + conv.id + rest;
  }

  // --- sound: a short two-tone beep made with WebAudio (no audio file) -------------------------------------

  var audio = null;
  function unlockAudio() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    if (!audio) {
      try { audio = new Ctx(); } catch (e) { audio = null; return; }
    }
    if (audio.state === "suspended") audio.resume();
  }
  document.addEventListener("pointerdown", unlockAudio, { capture: true });
  document.addEventListener("keydown", unlockAudio, { capture: true });

  function beep() {
    if (!audio || audio.state !== "running") return;
    [0, 0.22].forEach(function (offset, i) {
      var t = audio.currentTime + offset;
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = i === 0 ? 880 : 1175;
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.18, t + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.18);
      osc.connect(gain).connect(audio.destination);
      osc.start(t);
      osc.stop(t + 0.2);
    });
  }

  // --- presence ------------------------------------------------------------------------------------------------

  function applyPresence(presence, reason, agentState) {
    if (presence) state.presence = presence;
    state.reason = presence === "away" ? (reason || state.reason) : null;
    if (agentState) state.agentState = agentState;
    var buttons = desk.querySelectorAll(".presence .pres");
    Array.prototype.forEach.call(buttons, function (b) {
      var mine = b.classList.contains("pres-" + state.presence);
      b.setAttribute("aria-pressed", mine ? "true" : "false");
    });
    $("away-reason").textContent = state.presence === "away" && state.reason ? " · " + (AWAY_LABELS[state.reason] || state.reason) : "";
    var chip = $("agent-state");
    var shown = state.agentState || state.presence || "offline";
    chip.setAttribute("data-state", shown);
    var held = state.order.length;
    var text = {
      available: "Ready for work",
      busy: "Busy",
      wrap_up: "In wrap-up",
      away: "Away",
      offline: "Offline: no offers",
    }[shown] || shown;
    if ((shown === "busy" || shown === "available") && held) text += " · " + held + (held === 1 ? " conversation" : " conversations");
    chip.textContent = text;
    renderEmpty();
  }

  function setPresence(presence, reason) {
    closeAwayMenu();
    var body = { presence: presence };
    if (presence === "away") body.reason = reason || "break";
    var before = { presence: state.presence, reason: state.reason };
    applyPresence(presence, body.reason || null, null);
    return api("PUT", "/api/v1/me/presence", body)
      .then(function (data) {
        if (data) applyPresence(pick(data, ["presence"], presence), pick(data, ["reason", "away_reason"], body.reason), pick(data, ["state"], null));
      })
      .catch(function (error) {
        applyPresence(before.presence, before.reason, null);
        failed("Presence not changed")(error);
      });
  }

  function openAwayMenu(focusFirst) {
    var menu = $("away-menu");
    menu.hidden = false;
    $("away-button").setAttribute("aria-expanded", "true");
    if (focusFirst) menu.querySelector("button").focus();
  }
  function closeAwayMenu() {
    var menu = $("away-menu");
    if (menu.hidden) return;
    menu.hidden = true;
    $("away-button").setAttribute("aria-expanded", "false");
  }

  desk.querySelector(".presence").addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button) return;
    if (button.id === "away-button") {
      if ($("away-menu").hidden) openAwayMenu(event.detail === 0); else closeAwayMenu();
      return;
    }
    var presence = button.getAttribute("data-presence");
    if (presence) setPresence(presence, button.getAttribute("data-reason"));
  });
  $("away-menu").addEventListener("keydown", function (event) {
    var items = Array.prototype.slice.call(this.querySelectorAll("button"));
    var index = items.indexOf(document.activeElement);
    if (event.key === "ArrowDown") { event.preventDefault(); items[(index + 1) % items.length].focus(); }
    else if (event.key === "ArrowUp") { event.preventDefault(); items[(index - 1 + items.length) % items.length].focus(); }
    else if (/^[1-9]$/.test(event.key) && items[Number(event.key) - 1]) { event.preventDefault(); items[Number(event.key) - 1].click(); }
    else if (event.key === "Escape") { event.preventDefault(); closeAwayMenu(); $("away-button").focus(); }
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest(".away-wrap")) closeAwayMenu();
  });

  // --- offers ----------------------------------------------------------------------------------------------

  function normalizeOffer(raw) {
    var id = Number(pick(raw, ["interaction_id", "id"]));
    var expires = Date.parse(pick(raw, ["expires_at"], ""));
    var explanation = pick(raw, ["explanation"], null);
    return {
      id: id,
      tenant: pick(raw, ["tenant_slug", "tenant"], ""),
      tenantName: pick(raw, ["tenant_name"], null),
      channel: pick(raw, ["channel"], "chat"),
      queue: pick(raw, ["queue_name"], ""),
      customer: pick(raw, ["customer_name"], "Customer"),
      customerId: pick(raw, ["customer_id"], null),
      subject: pick(raw, ["subject"], ""),
      expires: isNaN(expires) ? null : expires,
      why: explanation && typeof explanation === "object" ? (explanation.reason || "") : "",
    };
  }

  function addOffer(raw, fresh) {
    var offer = normalizeOffer(raw);
    if (!offer.id || state.convs.has(offer.id)) return;
    var existing = state.offers.get(offer.id);
    if (existing) {
      existing.expires = offer.expires || existing.expires;
      return;
    }
    // The ring shows the share of the offer's whole time left (known from offered_at after a reload).
    var offeredAt = Date.parse(pick(raw, ["offered_at"], ""));
    var total = offer.expires ? Math.max(1, (offer.expires - (isNaN(offeredAt) ? serverNow() : offeredAt)) / 1000) : 20;
    offer.total = total;
    offer.el = clone("tpl-offer");
    offer.el.setAttribute("data-interaction-id", String(offer.id));
    offer.el.setAttribute("aria-label", "Incoming " + channelLabel(offer.channel) + " from " + offer.customer);
    var ch = slot(offer.el, "channel");
    ch.classList.add("ch-" + offer.channel);
    ch.textContent = channelLabel(offer.channel);
    slot(offer.el, "customer").textContent = offer.customer;
    slot(offer.el, "tenant").textContent = offer.tenantName || tenantNames[offer.tenant] || offer.tenant;
    slot(offer.el, "queue").textContent = offer.queue ? "Queue " + offer.queue : "";
    slot(offer.el, "subject").textContent = offer.subject && offer.subject !== offer.queue ? "· " + offer.subject : "";
    slot(offer.el, "why").textContent = offer.why ? "Why you: " + offer.why : "";
    state.offers.set(offer.id, offer);
    $("offers").appendChild(offer.el);
    tickOffer(offer);
    renderEmpty();
    if (fresh) {
      beep();
      announce("Incoming " + channelLabel(offer.channel) + " from " + offer.customer + ". Press Enter to accept.");
      if (!isTyping(document.activeElement)) offer.el.focus({ preventScroll: true });
    }
  }

  function removeOffer(id, why) {
    var offer = state.offers.get(id);
    if (!offer) return;
    state.offers.delete(id);
    offer.el.classList.add("leaving");
    window.setTimeout(function () { if (offer.el.parentNode) offer.el.parentNode.removeChild(offer.el); }, 180);
    if (why) toast(why, "info");
    renderEmpty();
  }

  function tickOffer(offer) {
    if (!offer.expires) {
      slot(offer.el, "secs").textContent = "";
      return;
    }
    var left = Math.max(0, (offer.expires - serverNow()) / 1000);
    slot(offer.el, "secs").textContent = Math.ceil(left) + "s";
    var fill = offer.el.querySelector(".ring-fill");
    fill.style.strokeDashoffset = String(100 - Math.max(0, Math.min(100, (100 * left) / offer.total)));
    offer.el.classList.toggle("urgent", left <= 5);
    offer.el.classList.toggle("expired", left <= 0);
  }

  function firstOffer() {
    var first = null;
    state.offers.forEach(function (o) { if (!first && !o.busy) first = o; });
    return first;
  }

  function acceptOffer(offer) {
    if (!offer || offer.busy) return;
    offer.busy = true;
    offer.el.classList.add("busy");
    var conv = { id: offer.id, tenant: offer.tenant };
    api("POST", tenantApi(conv, "/accept"), {})
      .then(function () {
        state.offers.delete(offer.id);
        if (offer.el.parentNode) offer.el.parentNode.removeChild(offer.el);
        ensureConv({
          id: offer.id, tenant: offer.tenant, tenantName: offer.tenantName, channel: offer.channel, queue: offer.queue,
          customer: offer.customer, customerId: offer.customerId, subject: offer.subject, phase: "active",
          since: serverNow(),
        }, true);
        scheduleReload();
      })
      .catch(function (error) {
        offer.busy = false;
        offer.el.classList.remove("busy");
        if (error && (error.status === 404 || error.status === 409)) removeOffer(offer.id, null);
        failed("Could not accept")(error);
      })
      .catch(function () {});
  }

  function rejectOffer(offer) {
    if (!offer || offer.busy) return;
    offer.busy = true;
    api("POST", tenantApi({ id: offer.id, tenant: offer.tenant }, "/reject"), {})
      .then(function () { removeOffer(offer.id, null); })
      .catch(function (error) {
        offer.busy = false;
        if (error && (error.status === 404 || error.status === 409)) removeOffer(offer.id, null);
        failed("Could not reject")(error);
      })
      .catch(function () {});
  }

  $("offers").addEventListener("click", function (event) {
    var button = event.target.closest("button[data-act]");
    if (!button) return;
    var id = Number(button.closest(".offer").getAttribute("data-interaction-id"));
    var offer = state.offers.get(id);
    if (button.getAttribute("data-act") === "accept") acceptOffer(offer); else rejectOffer(offer);
  });

  // A screen reader hears offers even while focus is in a reply.
  var announcer = document.createElement("div");
  announcer.className = "visually-hidden";
  announcer.setAttribute("aria-live", "assertive");
  document.body.appendChild(announcer);
  function announce(text) {
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = text; }, 50);
  }

  // --- conversations -------------------------------------------------------------------------------------

  function normalizeHeld(raw) {
    var since = Date.parse(pick(raw, ["accepted_at", "since"], ""));
    var ended = Date.parse(pick(raw, ["ended_at", "phase_since"], ""));
    return {
      id: Number(pick(raw, ["interaction_id", "id"])),
      tenant: pick(raw, ["tenant_slug", "tenant"], ""),
      tenantName: pick(raw, ["tenant_name"], null),
      channel: pick(raw, ["channel"], "chat"),
      queue: pick(raw, ["queue_name"], ""),
      customer: pick(raw, ["customer_name"], "Customer"),
      customerId: pick(raw, ["customer_id"], null),
      subject: pick(raw, ["subject"], ""),
      phase: pick(raw, ["phase"], "active"),
      since: isNaN(since) ? null : since,
      endedAt: isNaN(ended) ? null : ended,
      wrapUpEndsAt: Date.parse(pick(raw, ["wrap_up_ends_at", "wrap_up_until"], "")) || null,
    };
  }

  function ensureConv(info, focus) {
    var conv = state.convs.get(info.id);
    if (conv) {
      updateConv(conv, info);
      if (focus) activate(conv.id, true);
      return conv;
    }
    conv = {
      id: info.id, tenant: info.tenant, tenantName: info.tenantName, channel: info.channel, queue: info.queue,
      customer: info.customer, customerId: info.customerId, subject: info.subject, phase: null, since: info.since,
      unread: 0, seen: new Set(), typingTimer: null, lastTypingSent: 0, ended: false, dispositions: [],
      wrapUpSeconds: 0, wrapSince: null, wrapUpEndsAt: info.wrapUpEndsAt,
    };
    conv.tab = clone("tpl-tab");
    conv.tab.id = "tab-" + conv.id;
    conv.tab.setAttribute("aria-controls", "conv-" + conv.id);
    conv.tab.setAttribute("data-interaction-id", String(conv.id));
    conv.tab.querySelector("[data-slot=icon]").className = "tab-ch ch-dot ch-" + conv.channel;
    slot(conv.tab, "name").textContent = conv.customer;
    conv.el = clone("tpl-conv");
    conv.el.id = "conv-" + conv.id;
    conv.el.setAttribute("aria-labelledby", conv.tab.id);
    conv.el.setAttribute("data-interaction-id", String(conv.id));
    slot(conv.el, "name").textContent = conv.customer;
    var ch = slot(conv.el, "channel");
    ch.classList.add("ch-" + conv.channel);
    ch.textContent = channelLabel(conv.channel);
    slot(conv.el, "tenant").textContent = conv.tenantName || tenantNames[conv.tenant] || conv.tenant;
    slot(conv.el, "queue").textContent = conv.queue ? "via " + conv.queue : "";
    slot(conv.el, "subject").textContent = conv.subject && conv.subject !== conv.queue ? "· " + conv.subject : "";
    slot(conv.el, "transcript").href = "/t/" + encodeURIComponent(conv.tenant) + "/interactions/" + conv.id;
    var textarea = conv.el.querySelector(".composer textarea");
    textarea.id = "reply-" + conv.id;
    slot(conv.el, "reply-label").setAttribute("for", textarea.id);
    slot(conv.el, "reply-label").textContent = "Reply to " + conv.customer;
    var select = slot(conv.el, "dispositions");
    select.id = "disp-" + conv.id;
    slot(conv.el, "disp-label").setAttribute("for", select.id);
    state.convs.set(conv.id, conv);
    state.order.push(conv.id);
    $("tabs").appendChild(conv.tab);
    $("workspace").appendChild(conv.el);
    updateConv(conv, info);
    loadMessages(conv);
    loadPanel(conv);
    if (focus || state.active === null) activate(conv.id, !!focus);
    renderEmpty();
    applyPresence(state.presence, state.reason, null);
    return conv;
  }

  function updateConv(conv, info) {
    if (info.customer) conv.customer = info.customer;
    if (info.since) conv.since = info.since;
    if (info.endedAt && conv.phase === "wrap_up") conv.wrapSince = info.endedAt;
    if (info.wrapUpEndsAt) conv.wrapUpEndsAt = info.wrapUpEndsAt;
    if (info.phase && info.phase !== conv.phase) {
      conv.phase = info.phase;
      if (conv.phase === "wrap_up" && !conv.wrapSince) conv.wrapSince = info.endedAt || serverNow();
    }
    var wrapping = conv.phase === "wrap_up";
    var phase = slot(conv.el, "phase");
    phase.textContent = PHASE_LABELS[conv.phase] || conv.phase || "";
    phase.className = "badge phase-" + (conv.phase || "active");
    slot(conv.tab, "phase").textContent = wrapping ? "wrap-up" : "";
    conv.tab.classList.toggle("is-wrapping", wrapping);
    conv.el.classList.toggle("is-wrapping", wrapping);
    conv.el.querySelector(".composer").hidden = wrapping;
    conv.el.querySelector(".wrapup").hidden = !wrapping;
    conv.el.querySelector('[data-act="end"]').hidden = wrapping;
    conv.el.querySelector('[data-act="show-transfer"]').hidden = wrapping;
    if (wrapping) {
      fillDispositions(conv);
      if (state.active === conv.id && !isTyping(document.activeElement)) slot(conv.el, "dispositions").focus();
    }
    tickConv(conv);
  }

  function removeConv(id, why) {
    var conv = state.convs.get(id);
    if (!conv) return;
    state.convs.delete(id);
    state.order = state.order.filter(function (x) { return x !== id; });
    if (conv.tab.parentNode) conv.tab.parentNode.removeChild(conv.tab);
    if (conv.el.parentNode) conv.el.parentNode.removeChild(conv.el);
    try { window.sessionStorage.removeItem(noteKey(conv)); } catch (e) { /* storage may be off */ }
    if (state.active === id) {
      state.active = null;
      if (state.order.length) activate(state.order[state.order.length - 1], false);
    }
    if (why) toast(why, "info");
    renderEmpty();
    updateTitle();
    applyPresence(state.presence, state.reason, null);
  }

  function activate(id, focus) {
    var conv = state.convs.get(id);
    if (!conv) return;
    state.active = id;
    state.convs.forEach(function (c) {
      var on = c.id === id;
      c.tab.setAttribute("aria-selected", on ? "true" : "false");
      c.tab.tabIndex = on ? 0 : -1;
      c.el.hidden = !on;
    });
    conv.unread = 0;
    renderUnread(conv);
    scrollThread(conv, true);
    if (focus) {
      var target = conv.phase === "wrap_up" ? slot(conv.el, "dispositions") : conv.el.querySelector(".composer textarea");
      if (target) target.focus();
    }
  }

  function renderUnread(conv) {
    var badge = slot(conv.tab, "unread");
    badge.hidden = conv.unread === 0;
    badge.textContent = conv.unread > 9 ? "9+" : String(conv.unread);
    badge.setAttribute("aria-label", conv.unread + " unread");
    updateTitle();
  }

  function updateTitle() {
    var total = 0;
    state.convs.forEach(function (c) { total += c.unread; });
    var base = document.title.replace(/^\(\d+\+?\) /, "");
    document.title = (total ? "(" + total + ") " : "") + base;
  }

  $("tabs").addEventListener("click", function (event) {
    var tab = event.target.closest(".tab");
    if (tab) activate(Number(tab.getAttribute("data-interaction-id")), false);
  });
  $("tabs").addEventListener("keydown", function (event) {
    var index = state.order.indexOf(state.active);
    var next = null;
    if (event.key === "ArrowRight") next = state.order[(index + 1) % state.order.length];
    else if (event.key === "ArrowLeft") next = state.order[(index - 1 + state.order.length) % state.order.length];
    else if (event.key === "Home") next = state.order[0];
    else if (event.key === "End") next = state.order[state.order.length - 1];
    if (next === null || next === undefined) return;
    event.preventDefault();
    activate(next, false);
    state.convs.get(next).tab.focus();
  });

  function renderEmpty() {
    var empty = $("desk-empty");
    if (!state.loaded) return;
    var nothing = state.convs.size === 0;
    empty.hidden = !nothing;
    if (!nothing) return;
    var title, text;
    if (state.offers.size) {
      title = "An offer is waiting";
      text = "Accept it above (Enter) and the conversation opens here.";
    } else if (state.presence === "available") {
      title = "You are available";
      text = "Offers appear here with a sound as soon as a customer needs you.";
    } else if (state.presence === "away") {
      title = "You are away";
      text = "No offers while you are away. Choose Available (Alt+A) when you are back.";
    } else {
      title = "You are offline";
      text = "Choose Available (Alt+A) to start taking conversations.";
    }
    empty.setAttribute("data-state", state.presence || "offline");
    $("desk-empty-title").textContent = title;
    $("desk-empty-text").textContent = text;
  }

  // --- messages ------------------------------------------------------------------------------------------

  function loadMessages(conv) {
    var url = tenantApi(conv, "/messages?limit=200");
    return api("GET", url)
      .then(function (page) {
        var items = (page && page.items) || [];
        if (page && page.total > items.length) {
          return api("GET", tenantApi(conv, "/messages?limit=200&offset=" + (page.total - 200))).then(function (last) {
            return (last && last.items) || items;
          });
        }
        return items;
      })
      .then(function (items) {
        items.forEach(function (m) { appendMessage(conv, m, false); });
        scrollThread(conv, true);
      })
      .catch(function (error) {
        notice(conv, "The messages could not be loaded: " + (error.message || "network error") + ".");
      });
  }

  function appendMessage(conv, m, live) {
    if (!m || m.id === undefined || conv.seen.has(m.id)) return;
    conv.seen.add(m.id);
    var li = clone("tpl-msg");
    var kind = m.author_kind || "system";
    var internal = m.visibility === "agents";
    // Live events carry no staff ids: there, our own messages are known by our name.
    var mine = kind === "agent" && (m.author_user_id === undefined ? m.author_name === MY_NAME : m.author_user_id === ME);
    li.classList.add("msg-" + kind);
    if (mine) li.classList.add("msg-mine");
    if (internal) li.classList.add("msg-internal");
    li.id = "m-" + conv.id + "-" + m.id;
    slot(li, "author").textContent = mine ? "You" : m.author_name || kind;
    var time = slot(li, "time");
    time.textContent = hhmm(m.at);
    if (m.at) time.setAttribute("datetime", m.at);
    if (internal) {
      var badge = document.createElement("span");
      badge.className = "badge badge-internal";
      badge.textContent = mine ? "Internal" : "Whisper · only you see this";
      slot(li, "time").after(badge);
    }
    var body = slot(li, "body");
    var files = m.attachments || [];
    // A file sent on its own has its name as the body: the link below says it already.
    var onlyFile = files.some(function (a) { return a.filename === m.body; });
    if (m.body && !onlyFile) body.textContent = m.body; else body.remove();
    // Another staff member in the chat (a barging supervisor, a second agent): not blue like our own.
    if (kind === "agent" && !mine && !internal && body.parentNode) body.classList.add("colleague");
    if (files.length) {
      var ul = document.createElement("ul");
      ul.className = "attachments";
      files.forEach(function (a) {
        var item = document.createElement("li");
        var label = a.filename || "attachment";
        if (a.id) {
          var link = document.createElement("a");
          link.href = tenantApi(conv, "/attachments/" + encodeURIComponent(a.id));
          link.target = "_blank";
          link.rel = "noopener";
          link.textContent = label;
          item.appendChild(link);
        } else {
          var span = document.createElement("span");
          span.textContent = label;
          item.appendChild(span);
        }
        var size = document.createElement("span");
        size.className = "faint";
        size.textContent = " " + humanSize(a.size);
        item.appendChild(size);
        ul.appendChild(item);
      });
      li.appendChild(ul);
    }
    var thread = slot(conv.el, "thread");
    var stick = nearBottom(thread);
    thread.appendChild(li);
    if (live) {
      if (kind === "customer") showTyping(conv, null);
      var watching = state.active === conv.id && !document.hidden;
      if (!mine && !watching) {
        conv.unread += 1;
        renderUnread(conv);
      }
      if (internal && !mine) announce("Whisper from " + (m.author_name || "a supervisor") + ": " + (m.body || ""));
    }
    scrollThread(conv, stick || mine);
  }

  function systemLine(conv, text) {
    var li = document.createElement("li");
    li.className = "msg msg-event";
    li.textContent = text;
    slot(conv.el, "thread").appendChild(li);
    scrollThread(conv, true);
  }

  function notice(conv, text) {
    var box = slot(conv.el, "notice");
    box.textContent = text;
    box.hidden = !text;
  }

  function nearBottom(el) { return el.scrollHeight - el.scrollTop - el.clientHeight < 80; }
  function scrollThread(conv, force) {
    var thread = slot(conv.el, "thread");
    if (force) thread.scrollTop = thread.scrollHeight;
  }

  function showTyping(conv, name) {
    var box = slot(conv.el, "typing");
    window.clearTimeout(conv.typingTimer);
    box.textContent = name ? name + " is typing…" : "";
    if (name) conv.typingTimer = window.setTimeout(function () { box.textContent = ""; }, TYPING_SHOWN_MS);
  }

  function sendMessage(conv, textarea) {
    var body = textarea.value.trim();
    if (!body) return;
    textarea.disabled = true;
    api("POST", tenantApi(conv, "/messages"), { author_kind: "agent", body: body })
      .then(function (message) {
        textarea.value = "";
        if (message) appendMessage(conv, message, true);
      })
      .catch(failed("Message not sent"))
      .catch(function () {})
      .then(function () {
        textarea.disabled = false;
        textarea.focus();
      });
  }

  function sendTyping(conv) {
    var now = Date.now();
    if (now - conv.lastTypingSent < TYPING_SEND_EVERY_MS) return;
    conv.lastTypingSent = now;
    api("POST", tenantApi(conv, "/typing"), {}).catch(function () {});
  }

  // --- the side panel (Customer 360, case, notes, transfer) --------------------------------------------

  function loadPanel(conv) {
    var side = slot(conv.el, "side");
    var url = "/t/" + encodeURIComponent(conv.tenant) + "/desktop/interactions/" + conv.id + "/panel";
    return fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 401) {
          window.location.href = "/login?next=" + encodeURIComponent("/desktop");
          return null;
        }
        if (!response.ok) throw new ApiError(response.status, "The customer panel could not be loaded (" + response.status + ").");
        return response.text();
      })
      .then(function (html) {
        if (html === null) return;
        // Our own server's rendering (autoescaped by Jinja), never text from the event stream.
        side.innerHTML = html;
        var panel = side.querySelector("[data-panel]");
        if (!panel) return;
        try { conv.dispositions = JSON.parse(panel.getAttribute("data-dispositions") || "[]"); } catch (e) { conv.dispositions = []; }
        conv.wrapUpSeconds = Number(panel.getAttribute("data-wrap-up-seconds")) || 0;
        conv.caseId = Number(panel.getAttribute("data-case-id")) || null;
        conv.customerId = Number(panel.getAttribute("data-customer-id")) || conv.customerId;
        var note = panel.querySelector("[data-role=note]");
        try { note.value = window.sessionStorage.getItem(noteKey(conv)) || ""; } catch (e) { /* storage may be off */ }
        fillDispositions(conv);
      })
      .catch(function (error) {
        side.textContent = "";
        var div = document.createElement("div");
        div.className = "alert alert-error";
        div.textContent = (error && error.message) || "The customer panel could not be loaded.";
        var retry = document.createElement("button");
        retry.type = "button";
        retry.className = "btn btn-small";
        retry.textContent = "Try again";
        retry.addEventListener("click", function () { loadPanel(conv); });
        div.appendChild(document.createTextNode(" "));
        div.appendChild(retry);
        side.appendChild(div);
      });
  }

  function noteKey(conv) { return "helpline.note." + conv.id; }
  function noteText(conv) {
    var note = conv.el.querySelector("[data-role=note]");
    return note ? note.value.trim() : "";
  }

  function fillDispositions(conv) {
    var select = slot(conv.el, "dispositions");
    if (select.getAttribute("data-filled") === String(conv.dispositions.length)) return;
    var chosen = select.value;
    select.textContent = "";
    var codes = conv.dispositions || [];
    var first = document.createElement("option");
    first.value = "";
    first.textContent = codes.length ? "Choose a disposition…" : "No disposition codes for this queue";
    select.appendChild(first);
    codes.forEach(function (code) {
      var option = document.createElement("option");
      option.value = code;
      option.textContent = String(code).replace(/_/g, " ");
      select.appendChild(option);
    });
    select.required = codes.length > 0;
    select.value = chosen;
    select.setAttribute("data-filled", String(codes.length));
  }

  function endConv(conv, button) {
    button.disabled = true;
    api("POST", tenantApi(conv, "/end"), {})
      .then(function () {
        updateConv(conv, { phase: "wrap_up", endedAt: serverNow() });
        scheduleReload();
      })
      .catch(failed("Could not end the conversation"))
      .catch(function () {})
      .then(function () { button.disabled = false; });
  }

  function wrapUp(conv, form) {
    var select = slot(conv.el, "dispositions");
    var code = select.value || null;
    if (select.required && !code) {
      select.focus();
      toast("Choose a disposition first.", "error");
      return;
    }
    var body = { disposition_code: code };
    var note = noteText(conv);
    if (note) body.note = note;
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    api("POST", tenantApi(conv, "/wrap-up"), body)
      .then(function () {
        removeConv(conv.id, null);
        toast("Wrapped up" + (code ? " as " + code.replace(/_/g, " ") : "") + ".", "ok");
        scheduleReload();
      })
      .catch(failed("Wrap-up not saved"))
      .catch(function () {})
      .then(function () { button.disabled = false; });
  }

  function transfer(conv, form) {
    var target = form.elements.target.value;
    if (!target) { form.elements.target.focus(); return; }
    var parts = target.split(":");
    var body = parts[0] === "queue" ? { queue_id: Number(parts[1]) } : { agent_id: Number(parts[1]) };
    var label = form.elements.target.selectedOptions[0].textContent;
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    api("POST", tenantApi(conv, "/transfer"), body)
      .then(function () {
        removeConv(conv.id, "Transferred to " + label + ".");
        scheduleReload();
      })
      .catch(failed("Transfer failed"))
      .catch(function () {})
      .then(function () { button.disabled = false; });
  }

  function casesApi(conv, rest) { return "/api/v1/tenants/" + encodeURIComponent(conv.tenant) + "/cases" + rest; }

  function linkCase(conv, caseId) {
    return api("POST", casesApi(conv, "/" + caseId + "/interactions"), { interaction_id: conv.id })
      .then(function () {
        toast("Linked to case #" + caseId + ".", "ok");
        loadPanel(conv);
      })
      .catch(failed("Could not link the case"))
      .catch(function () {});
  }

  function createCase(conv, form) {
    var subject = form.elements.subject.value.trim();
    if (!subject) { form.elements.subject.focus(); return; }
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    api("POST", casesApi(conv, ""), { customer_id: conv.customerId, subject: subject, priority: form.elements.priority.value })
      .then(function (created) { return linkCase(conv, created.id); })
      .catch(failed("Case not created"))
      .catch(function () {})
      .then(function () { button.disabled = false; });
  }

  function noteToCase(conv, button) {
    var text = noteText(conv);
    if (!text || !conv.caseId) { conv.el.querySelector("[data-role=note]").focus(); return; }
    button.disabled = true;
    api("POST", casesApi(conv, "/" + conv.caseId + "/notes"), { body: text })
      .then(function () { toast("Note added to case #" + conv.caseId + ".", "ok"); })
      .catch(failed("Note not added"))
      .catch(function () {})
      .then(function () { button.disabled = false; });
  }

  function convOf(el) {
    var section = el.closest(".conv");
    return section ? state.convs.get(Number(section.getAttribute("data-interaction-id"))) : null;
  }

  $("workspace").addEventListener("submit", function (event) {
    var form = event.target;
    var conv = convOf(form);
    if (!conv) return;
    event.preventDefault();
    var kind = form.getAttribute("data-form");
    if (kind === "send") sendMessage(conv, form.elements.body);
    else if (kind === "wrap-up") wrapUp(conv, form);
    else if (kind === "transfer") transfer(conv, form);
    else if (kind === "create-case") createCase(conv, form);
  });
  $("workspace").addEventListener("click", function (event) {
    var button = event.target.closest("[data-act]");
    if (!button) return;
    var conv = convOf(button);
    if (!conv) return;
    var act = button.getAttribute("data-act");
    if (act === "end") endConv(conv, button);
    else if (act === "link-case") linkCase(conv, Number(button.getAttribute("data-case-id")));
    else if (act === "note-to-case") noteToCase(conv, button);
    else if (act === "show-transfer") {
      var select = conv.el.querySelector("[data-form=transfer] select");
      if (select) { select.scrollIntoView({ block: "nearest" }); select.focus(); }
    }
  });
  $("workspace").addEventListener("keydown", function (event) {
    var target = event.target;
    if (target.tagName !== "TEXTAREA" || !target.closest(".composer")) return;
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      target.form.requestSubmit();
    }
  });
  $("workspace").addEventListener("input", function (event) {
    var conv = convOf(event.target);
    if (!conv) return;
    if (event.target.closest(".composer") && event.target.value.trim()) sendTyping(conv);
    if (event.target.getAttribute("data-role") === "note") {
      try { window.sessionStorage.setItem(noteKey(conv), event.target.value); } catch (e) { /* storage may be off */ }
    }
  });

  // --- timers ------------------------------------------------------------------------------------------------

  function tickConv(conv) {
    var timer = slot(conv.el, "timer");
    if (conv.phase === "wrap_up") {
      var since = conv.wrapSince || serverNow();
      var limit = conv.wrapUpEndsAt ? (conv.wrapUpEndsAt - since) / 1000 : conv.wrapUpSeconds;
      var elapsed = (serverNow() - since) / 1000;
      var text;
      if (limit > 0) {
        var left = limit - elapsed;
        text = left > 0 ? clock(left) + " left" : "time is up";
        timer.classList.toggle("over", left <= 0);
      } else {
        text = clock(elapsed);
      }
      timer.textContent = text;
      slot(conv.el, "wrap-timer").textContent = limit > 0 ? text + " of " + clock(limit) : clock(elapsed) + " so far";
    } else if (conv.since) {
      timer.textContent = clock((serverNow() - conv.since) / 1000);
      timer.classList.remove("over");
    }
  }

  window.setInterval(function () {
    state.offers.forEach(tickOffer);
    state.convs.forEach(tickConv);
  }, 250);

  // --- loading and reconciling with the server ------------------------------------------------------------

  var reloadTimer = null;
  var reloading = null;
  function scheduleReload() {
    window.clearTimeout(reloadTimer);
    reloadTimer = window.setTimeout(loadDesktop, 150);
  }

  function loadDesktop() {
    if (reloading) return reloading;
    reloading = api("GET", "/api/v1/me/desktop")
      .then(function (data) {
        applyDesktop(data || {});
        hideAlert();
      })
      .catch(function (error) {
        showAlert("Your desktop could not be loaded: " + ((error && error.message) || "network error") + ". Retrying…");
        window.setTimeout(loadDesktop, 3000);
      })
      .then(function () { reloading = null; });
    return reloading;
  }

  function applyDesktop(data) {
    var agent = data.presence !== undefined ? data : data.agent || {};
    applyPresence(pick(agent, ["presence"], "offline"), pick(agent, ["reason", "away_reason"], null), pick(agent, ["state"], null));
    (data.tenants || []).forEach(function (t) { if (t && t.slug) tenantNames[t.slug] = t.name; });
    var offers = data.offers || [];
    var held = data.interactions || data.held || data.conversations || [];
    var wanted = new Set();
    offers.forEach(function (raw) {
      var o = normalizeOffer(raw);
      wanted.add(o.id);
      addOffer(raw, !state.loaded);
    });
    state.offers.forEach(function (o, id) { if (!wanted.has(id) && !o.busy) removeOffer(id, null); });
    var holding = new Set();
    held.forEach(function (raw) {
      var info = normalizeHeld(raw);
      if (!info.id || info.phase === "offered" || info.phase === "left") return;
      holding.add(info.id);
      ensureConv(info, false);
    });
    state.convs.forEach(function (conv, id) {
      if (holding.has(id)) return;
      if (conv.phase === "wrap_up") {
        // The wrap-up timer ran out and the router freed the slot: the agent may still finish it.
        conv.detached = true;
        return;
      }
      removeConv(id, conv.phase === "active" ? "The conversation with " + conv.customer + " moved on." : null);
    });
    state.loaded = true;
    $("desk-empty").querySelector(".spinner").hidden = true;
    renderEmpty();
  }

  function showAlert(text) { var a = $("desk-alert"); a.textContent = text; a.hidden = false; }
  function hideAlert() { $("desk-alert").hidden = true; }

  // --- the event stream ----------------------------------------------------------------------------------

  var source = null;
  var lastEventId = null;
  var retryMs = 1000;
  var everOpened = false;
  var EVENT_TYPES = ["offer", "offer.withdrawn", "agent.state", "interaction.updated", "message", "typing",
    "chat.joined", "chat.left", "chat.ended", "reset"];

  function setConn(kind, text) {
    var conn = $("conn");
    conn.setAttribute("data-state", kind);
    $("conn-text").textContent = text;
  }

  function connect() {
    var url = "/api/v1/events" + (lastEventId ? "?last_event_id=" + encodeURIComponent(lastEventId) : "");
    source = new EventSource(url);
    source.addEventListener("open", function () {
      retryMs = 1000;
      setConn("live", "Live");
      if (!everOpened) {
        everOpened = true;
        loadDesktop();
      }
    });
    source.addEventListener("error", function () {
      setConn("reconnecting", "Reconnecting…");
      if (source.readyState === EventSource.CLOSED) {
        // The browser gave up (an HTTP error): try again ourselves, resuming from the last id.
        source = null;
        window.setTimeout(connect, retryMs);
        retryMs = Math.min(retryMs * 2, 15000);
        if (!everOpened) loadDesktop();
      }
    });
    EVENT_TYPES.forEach(function (type) {
      source.addEventListener(type, function (event) {
        if (event.lastEventId) lastEventId = event.lastEventId;
        var data;
        try { data = JSON.parse(event.data); } catch (e) { return; }
        handle(type, data);
      });
    });
  }

  function handle(type, data) {
    var id = Number(data.interaction_id);
    var conv = state.convs.get(id);
    switch (type) {
      case "reset":
        loadDesktop();
        state.convs.forEach(function (c) { loadMessages(c); });
        break;
      case "offer":
        addOffer(data, true);
        break;
      case "offer.withdrawn":
        removeOffer(id, {
          timeout: "The offer timed out: you are now away (missed). Choose Available when ready.",
          customer_left: "The customer left before you answered.",
          presence: null,
          transfer: null,
        }[data.reason] || null);
        scheduleReload();
        break;
      case "agent.state":
        if (Number(data.agent_id) === ME) applyPresence(data.presence, data.reason, data.state);
        break;
      case "message":
        if (conv) appendMessage(conv, data.message, true);
        break;
      case "typing":
        if (conv && data.who === "customer") showTyping(conv, data.name || conv.customer);
        break;
      case "chat.joined":
        // A barging supervisor is announced by a system message in the thread already.
        if (conv && data.role !== "supervisor") systemLine(conv, (data.name || "Someone") + " joined the conversation" + (data.role === "supervisor" ? " (supervisor)" : "") + ".");
        break;
      case "chat.left":
        if (conv) systemLine(conv, (data.name || "Someone") + " left the conversation.");
        break;
      case "chat.ended":
        if (conv) {
          systemLine(conv, data.reason === "customer_left" ? "The customer left the chat." : "The conversation ended.");
          notice(conv, data.reason === "customer_left" ? "The customer left. Wrap up when you are ready." : "");
        }
        scheduleReload();
        break;
      case "interaction.updated":
        if (conv || state.offers.has(id)) scheduleReload();
        break;
    }
  }

  // --- keyboard ----------------------------------------------------------------------------------------------

  document.addEventListener("keydown", function (event) {
    var typing = isTyping(event.target);
    if (event.altKey && !event.ctrlKey && !event.metaKey) {
      var code = event.code;
      if (code === "KeyA") { event.preventDefault(); setPresence("available"); return; }
      if (code === "KeyO") { event.preventDefault(); setPresence("offline"); return; }
      if (code === "KeyW") { event.preventDefault(); openAwayMenu(true); return; }
      if (code === "KeyR") { event.preventDefault(); rejectOffer(firstOffer()); return; }
      var digit = /^Digit([1-9])$/.exec(code);
      if (digit) {
        var id = state.order[Number(digit[1]) - 1];
        if (id !== undefined) { event.preventDefault(); activate(id, true); }
        return;
      }
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Enter" && !typing) {
      var onControl = event.target.closest && event.target.closest("button, a, summary");
      var offer = firstOffer();
      var inOffer = event.target.closest && event.target.closest(".offer");
      if (offer && (!onControl || (inOffer && !event.target.closest("[data-act=reject]")))) {
        event.preventDefault();
        acceptOffer(inOffer ? state.offers.get(Number(inOffer.getAttribute("data-interaction-id"))) : offer);
      }
      return;
    }
    if (event.key === "?" && !typing) {
      event.preventDefault();
      toggleShortcuts();
      return;
    }
    if (event.key === "Escape") {
      closeAwayMenu();
      if (!$("shortcuts").hidden) toggleShortcuts();
    }
  });

  function toggleShortcuts() {
    var box = $("shortcuts");
    box.hidden = !box.hidden;
    $("shortcuts-button").setAttribute("aria-expanded", box.hidden ? "false" : "true");
  }
  $("shortcuts-button").addEventListener("click", toggleShortcuts);

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && state.active !== null) {
      var conv = state.convs.get(state.active);
      if (conv) { conv.unread = 0; renderUnread(conv); }
    }
  });

  connect();
  // If the stream cannot open at all, still show what the API knows.
  window.setTimeout(function () { if (!state.loaded) loadDesktop(); }, 2500);
})();
