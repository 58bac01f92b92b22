// The supervisor wallboard: queues, agents and live interactions of one tenant, kept live by the
// `wallboard` event (pushed every 2 s when something changed) plus agent.state and
// interaction.updated. Supervisors also change agents' states, edit overflow weights, and monitor,
// whisper or barge into a chat; client managers get the same board without controls. No inline
// script or style (CSP): charts are SVG elements built here.
(function () {
  "use strict";

  var root = document.getElementById("wallboard");
  if (!root) return;

  var TENANT = root.getAttribute("data-tenant");
  var SUPERVISING = root.getAttribute("data-supervising") === "true";
  var CSRF = root.getAttribute("data-csrf") || "";
  var live = window.HelplineLive;
  var http = live.client(CSRF);
  var api = http.api, toast = live.toast, clock = live.clock, pad = live.pad;
  var SVG = "http://www.w3.org/2000/svg";
  var STATES = [
    ["available", "Available"], ["busy", "Busy"], ["wrap_up", "Wrap-up"], ["away", "Away"], ["offline", "Offline"],
  ];
  var STATE_LABEL = {};
  STATES.forEach(function (s) { STATE_LABEL[s[0]] = s[1]; });
  var AWAY = [["break", "Break"], ["lunch", "Lunch"], ["training", "Training"], ["meeting", "Meeting"]];

  var board = null; // the last wallboard JSON
  var receivedAt = 0; // when it arrived (ms, our clock): waits tick from here

  // --- helpers -----------------------------------------------------------------------------------------------

  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = String(text);
    return node;
  }
  function pct(v) { return v === null || v === undefined ? "–" : (Math.round(v * 10) / 10) + "%"; }
  function channelLabel(ch) { return live.channelLabel(ch, "Any channel"); }
  function failed(what) {
    return function (error) {
      var message = error instanceof TypeError ? "Could not reach the server." : (error && error.message) || "It failed.";
      toast(what + ": " + message, "error");
    };
  }
  var base = "/api/v1/tenants/" + encodeURIComponent(TENANT);

  // --- rendering ---------------------------------------------------------------------------------------------

  function render(data) {
    board = data;
    receivedAt = Date.now();
    var t = data.totals || {};
    setStat("t-waiting", t.waiting, t.waiting > 0 ? "warn" : "");
    setStat("t-answered", t.answered_today, "");
    setStat("t-abandoned", t.abandoned_today, t.abandoned_today > 0 ? "bad" : "");
    setStat("t-occupancy", data.occupancy_percent === null || data.occupancy_percent === undefined ? "–" : pct(data.occupancy_percent), "");
    var target = overallTarget(data.queues || []);
    var sl = t.service_level_today;
    setStat("t-sl", sl === null || sl === undefined ? "–" : pct(sl), sl === null || sl === undefined ? "" : sl >= target ? "good" : "bad");
    $("t-sl").querySelector(".sub").textContent = "today · target " + target + "%";
    renderQueues(data.queues || []);
    renderWaitChart(data.queues || []);
    renderAgentChart(data.agents_by_state || {}, data.occupancy_percent);
    renderAgents(data.agents || []);
    tick();
    $("wb-updated").textContent = "Updated " + new Date().toLocaleTimeString();
  }

  function overallTarget(queues) {
    var best = null;
    queues.forEach(function (q) {
      var v = q.service_level_target_percent;
      if (typeof v === "number" && (best === null || v > best)) best = v;
    });
    return best === null ? 80 : best;
  }

  function setStat(id, value, tone) {
    var box = $(id);
    box.querySelector(".value").textContent = value === undefined || value === null ? "–" : String(value);
    box.classList.remove("warn", "bad", "good");
    if (tone) box.classList.add(tone);
  }

  function renderQueues(queues) {
    var host = $("queues");
    host.textContent = "";
    $("queues-count").textContent = queues.length ? queues.length + (queues.length === 1 ? " queue" : " queues") : "";
    if (!queues.length) {
      var empty = el("div", { class: "empty" });
      empty.appendChild(el("strong", null, "No queues yet."));
      empty.appendChild(document.createTextNode("An administrator creates queues with their channel, skills and service level."));
      host.appendChild(empty);
      return;
    }
    var table = el("table", { class: "table wb-queues" });
    table.appendChild(el("caption", { class: "visually-hidden" }, "Queues right now and today"));
    var head = el("tr");
    ["Queue", "Waiting", "Longest wait", "Service level", "Answered", "Abandoned", "Agents free"].forEach(function (h, i) {
      head.appendChild(el("th", { scope: "col", class: i ? "num" : "" }, h));
    });
    if (SUPERVISING) head.appendChild(el("th", { scope: "col" }, ""));
    var thead = el("thead");
    thead.appendChild(head);
    table.appendChild(thead);
    var tbody = el("tbody");
    queues.forEach(function (q) {
      var tr = el("tr", { "data-queue-id": String(q.queue_id) });
      var name = el("td", { class: "primary" });
      name.appendChild(el("span", { class: "qname" }, q.name));
      var sub = channelLabel(q.channel) + " · " + (q.offered || 0) + " offered, " + (q.active || 0) + " active";
      if (q.overflow && q.overflow.length) sub += " · overflow to " + q.overflow.map(function (o) { return o.name; }).join(", ");
      name.appendChild(el("span", { class: "sub" }, sub));
      tr.appendChild(name);
      tr.appendChild(el("td", { class: "num" + (q.waiting > 0 ? " wait-hot" : "") , "data-col": "waiting" }, q.waiting));
      tr.appendChild(el("td", { class: "num mono", "data-wait": String(q.longest_wait_seconds || 0), "data-waiting": String(q.waiting || 0) }, ""));
      tr.appendChild(slCell(q));
      tr.appendChild(el("td", { class: "num" }, q.answered_today));
      tr.appendChild(el("td", { class: "num" }, q.abandoned_today));
      tr.appendChild(el("td", { class: "num" }, (q.available_agents || 0) + " of " + (q.eligible_agents || 0)));
      if (SUPERVISING) {
        var cell = el("td", { class: "actions" });
        var button = el("button", { type: "button", class: "btn btn-small", "data-act": "overflow", "data-queue-id": String(q.queue_id) }, "Overflow");
        cell.appendChild(button);
        tr.appendChild(cell);
      }
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    host.appendChild(table);
  }

  function slCell(q) {
    var td = el("td", { class: "num" });
    var value = q.service_level_today;
    var target = q.service_level_target_percent;
    var wrap = el("span", { class: "sl" + (value !== null && value !== undefined && value < target ? " below" : "") });
    var bar = el("span", { class: "sl-bar", "aria-hidden": "true" });
    var fill = el("span");
    fill.style.width = (value === null || value === undefined ? 0 : Math.max(0, Math.min(100, value))) + "%";
    bar.appendChild(fill);
    wrap.appendChild(bar);
    wrap.appendChild(el("span", { class: "sl-value" }, value === null || value === undefined ? "–" : pct(value)));
    td.appendChild(wrap);
    td.appendChild(el("span", { class: "sl-target sub" }, "target " + target + "% in " + q.service_level_target_seconds + " s"));
    return td;
  }

  function renderWaitChart(queues) {
    var host = $("chart-waiting");
    host.textContent = "";
    if (!queues.length) { host.appendChild(el("p", { class: "muted" }, "No queues.")); return; }
    var rowH = 26, labelW = 120, width = 360, barW = width - labelW - 40;
    var max = Math.max(1, Math.max.apply(null, queues.map(function (q) { return q.waiting || 0; })));
    var chart = svg("svg", { viewBox: "0 0 " + width + " " + (queues.length * rowH), role: "img",
      "aria-label": queues.map(function (q) { return q.name + ": " + q.waiting + " waiting"; }).join("; ") });
    queues.forEach(function (q, i) {
      var y = i * rowH;
      chart.appendChild(svg("text", { x: 0, y: y + 16, class: "bar-label" }, q.name.length > 18 ? q.name.slice(0, 17) + "…" : q.name));
      chart.appendChild(svg("rect", { x: labelW, y: y + 6, width: barW, height: 12, rx: 3, class: "track" }));
      var w = Math.round((barW * (q.waiting || 0)) / max);
      if (w > 0) chart.appendChild(svg("rect", { x: labelW, y: y + 6, width: w, height: 12, rx: 3, class: "fill" + (q.waiting > 0 && q.available_agents === 0 ? " hot" : "") }));
      chart.appendChild(svg("text", { x: labelW + barW + 8, y: y + 16, class: "bar-value" }, q.waiting || 0));
    });
    host.appendChild(chart);
  }

  function renderAgentChart(byState, occupancy) {
    var host = $("chart-agents");
    host.textContent = "";
    var total = 0;
    STATES.forEach(function (s) { total += byState[s[0]] || 0; });
    $("agents-total").textContent = total ? total + (total === 1 ? " agent" : " agents") : "";
    if (!total) { host.appendChild(el("p", { class: "muted" }, "No agent serves this client yet.")); return; }
    var width = 360, height = 22, x = 0;
    var chart = svg("svg", { viewBox: "0 0 " + width + " " + height, role: "img",
      "aria-label": STATES.map(function (s) { return (byState[s[0]] || 0) + " " + s[1].toLowerCase(); }).join(", ") });
    chart.appendChild(svg("rect", { x: 0, y: 0, width: width, height: height, rx: 4, class: "track" }));
    STATES.forEach(function (s) {
      var n = byState[s[0]] || 0;
      if (!n) return;
      var w = (width * n) / total;
      chart.appendChild(svg("rect", { x: x, y: 0, width: w, height: height, class: "st-" + s[0] }));
      if (w > 18) chart.appendChild(svg("text", { x: x + w / 2, y: 15, "text-anchor": "middle", class: "on-bar" }, n));
      x += w;
    });
    host.appendChild(chart);
    var legend = el("div", { class: "legend" });
    STATES.forEach(function (s) {
      var item = el("span");
      item.appendChild(el("i", { class: "st-" + s[0], "aria-hidden": "true" }));
      item.appendChild(document.createTextNode(s[1] + " " + (byState[s[0]] || 0)));
      legend.appendChild(item);
    });
    host.appendChild(legend);
  }

  function renderAgents(agents) {
    var host = $("agents");
    host.textContent = "";
    if (!agents.length) {
      var empty = el("div", { class: "empty" });
      empty.appendChild(el("strong", null, "No agents."));
      empty.appendChild(document.createTextNode("Agents who serve this client appear here with their state."));
      host.appendChild(empty);
      return;
    }
    var table = el("table", { class: "table wb-agents" });
    var head = el("tr");
    ["Agent", "State", "Holding"].forEach(function (h) { head.appendChild(el("th", { scope: "col" }, h)); });
    if (SUPERVISING) head.appendChild(el("th", { scope: "col" }, "Set state"));
    var thead = el("thead");
    thead.appendChild(head);
    table.appendChild(thead);
    var tbody = el("tbody");
    agents.forEach(function (a) {
      var tr = el("tr", { "data-agent-id": String(a.id) });
      var name = el("td", { class: "primary" });
      name.appendChild(el("span", null, a.name));
      if (a.site && a.site !== "main") name.appendChild(el("span", { class: "sub" }, "site " + a.site));
      tr.appendChild(name);
      var st = el("td");
      var label = STATE_LABEL[a.state] || a.state;
      if (a.state === "away" && a.reason) label += " · " + a.reason;
      st.appendChild(el("span", { class: "state-badge s-" + a.state }, label));
      if (a.state_since) st.appendChild(el("span", { class: "sub mono", "data-since": a.state_since }, ""));
      tr.appendChild(st);
      tr.appendChild(el("td", { class: "num" }, a.holding || 0));
      if (SUPERVISING) {
        var cell = el("td", { class: "agent-control" });
        var select = el("select", { "aria-label": "Set the state of " + a.name, "data-agent-id": String(a.id) });
        var options = [["available", "Available"]].concat(AWAY.map(function (r) { return ["away:" + r[0], "Away · " + r[1]]; })).concat([["offline", "Offline"]]);
        var current = a.presence === "away" ? "away:" + (a.reason || "break") : a.presence;
        if (a.presence === "away" && !AWAY.some(function (r) { return r[0] === a.reason; })) {
          options.splice(1, 0, [current, "Away · " + (a.reason || "")]);
        }
        options.forEach(function (o) {
          var option = el("option", { value: o[0] }, o[1]);
          if (o[0] === current) option.selected = true;
          select.appendChild(option);
        });
        cell.appendChild(select);
        tr.appendChild(cell);
      }
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    host.appendChild(table);
  }

  // Longest waits and "for" times tick every second between updates.
  function tick() {
    var elapsed = (Date.now() - receivedAt) / 1000;
    var longest = 0;
    Array.prototype.forEach.call(document.querySelectorAll("[data-wait]"), function (cell) {
      var waiting = Number(cell.getAttribute("data-waiting"));
      var secs = waiting > 0 ? Number(cell.getAttribute("data-wait")) + elapsed : 0;
      longest = Math.max(longest, secs);
      cell.textContent = waiting > 0 ? clock(secs) : "–";
      cell.classList.toggle("wait-hot", secs >= 60);
    });
    if (board) {
      var value = $("t-longest").querySelector(".value");
      value.textContent = longest > 0 ? clock(longest) : "–";
      $("t-longest").classList.toggle("bad", longest >= 60);
    }
    var now = Date.now() + http.skewMs;
    Array.prototype.forEach.call(document.querySelectorAll("[data-since]"), function (cell) {
      var since = Date.parse(cell.getAttribute("data-since"));
      if (!isNaN(since)) cell.textContent = (cell.classList.contains("sub") ? "for " : "") + clock((now - since) / 1000);
    });
  }
  window.setInterval(tick, 1000);

  // --- loading ----------------------------------------------------------------------------------------------

  var loadTimer = null, liveTimer = null;
  function loadBoard() {
    return api("GET", base + "/wallboard")
      .then(function (data) {
        render(data);
        $("wb-alert").hidden = true;
      })
      .catch(function (error) {
        var alert = $("wb-alert");
        alert.textContent = "The wallboard could not be loaded: " + (error.message || "network error") + " Retrying…";
        alert.hidden = false;
        window.clearTimeout(loadTimer);
        loadTimer = window.setTimeout(loadBoard, 5000);
      });
  }
  function scheduleBoard() {
    window.clearTimeout(loadTimer);
    loadTimer = window.setTimeout(loadBoard, 300);
  }
  function loadLive() {
    var host = $("live");
    return fetch(host.getAttribute("data-src"), { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 401) { window.location.href = "/login"; return null; }
        if (!response.ok) throw new Error("status " + response.status);
        return response.text();
      })
      .then(function (html) {
        if (html === null) return;
        host.innerHTML = html; // our own server's rendering, autoescaped by Jinja
        var rows = host.querySelectorAll("tbody tr").length;
        $("live-count").textContent = rows ? String(rows) : "";
        tick();
      })
      .catch(function () {
        host.textContent = "";
        host.appendChild(el("div", { class: "card-body" }, "")).appendChild(el("div", { class: "alert alert-error" }, "Live interactions could not be loaded; retrying."));
        window.clearTimeout(liveTimer);
        liveTimer = window.setTimeout(loadLive, 5000);
      });
  }
  function scheduleLive() {
    window.clearTimeout(liveTimer);
    liveTimer = window.setTimeout(loadLive, 250);
  }

  // --- the event stream -----------------------------------------------------------------------------------

  var source = null, lastEventId = null, retryMs = 1000;
  function setConn(kind, text) {
    $("conn").setAttribute("data-state", kind);
    $("conn-text").textContent = text;
  }
  function connect() {
    var url = "/api/v1/events?tenant=" + encodeURIComponent(TENANT) + (lastEventId ? "&last_event_id=" + encodeURIComponent(lastEventId) : "");
    source = new EventSource(url);
    source.addEventListener("open", function () {
      retryMs = 1000;
      setConn("live", "Live");
    });
    source.addEventListener("error", function () {
      setConn("reconnecting", "Reconnecting…");
      if (source.readyState === EventSource.CLOSED) {
        window.setTimeout(connect, retryMs);
        retryMs = Math.min(retryMs * 2, 15000);
      }
    });
    ["wallboard", "agent.state", "interaction.updated", "reset"].forEach(function (type) {
      source.addEventListener(type, function (event) {
        if (event.lastEventId) lastEventId = event.lastEventId;
        var data;
        try { data = JSON.parse(event.data); } catch (e) { return; }
        if (type === "wallboard") { render(data); scheduleLive(); }
        else if (type === "agent.state") { patchAgent(data); scheduleBoard(); }
        else if (type === "interaction.updated") { scheduleLive(); scheduleBoard(); }
        else { loadBoard(); loadLive(); }
      });
    });
  }

  function patchAgent(data) {
    if (!board || !board.agents) return;
    board.agents.forEach(function (a) {
      if (a.id === data.agent_id) {
        a.state = data.state;
        a.presence = data.presence;
        a.reason = data.reason;
      }
    });
    renderAgents(board.agents);
  }

  // --- supervisor controls ------------------------------------------------------------------------------

  if (SUPERVISING) {
    $("agents").addEventListener("change", function (event) {
      var select = event.target.closest("select[data-agent-id]");
      if (!select) return;
      var parts = select.value.split(":");
      var body = { presence: parts[0] };
      if (parts[0] === "away") body.reason = parts[1] || "break";
      select.disabled = true;
      api("PUT", base + "/agents/" + select.getAttribute("data-agent-id") + "/presence", body)
        .then(function () { toast("State changed.", "ok"); loadBoard(); })
        .catch(function (error) { failed("State not changed")(error); loadBoard(); })
        .then(function () { select.disabled = false; });
    });
  }

  root.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-act]");
    if (!button) return;
    var act = button.getAttribute("data-act");
    if (act === "overflow") openOverflow(Number(button.getAttribute("data-queue-id")));
    else if (act === "routing") openRouting(Number(button.getAttribute("data-interaction-id")), button.getAttribute("data-customer"));
    else if (act === "monitor") openMonitor(Number(button.getAttribute("data-interaction-id")), button.getAttribute("data-customer"), button.getAttribute("data-agent"));
  });

  // --- dialogs: overflow editor and routing explanation ----------------------------------------------------

  var lastFocus = null;
  function openDialog(title, body) {
    lastFocus = document.activeElement;
    $("dialog-title").textContent = title;
    var host = $("dialog-body");
    host.textContent = "";
    host.appendChild(body);
    $("dialog").hidden = false;
    var first = host.querySelector("input, select, textarea, button") || $("dialog").querySelector("[data-close]");
    first.focus();
  }
  function closeDialog() {
    $("dialog").hidden = true;
    if (lastFocus && lastFocus.focus) lastFocus.focus();
  }
  $("dialog").addEventListener("click", function (event) {
    if (event.target === this || event.target.closest("[data-close]")) closeDialog();
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !$("dialog").hidden) closeDialog();
  });

  function openOverflow(queueId) {
    var queue = (board && board.queues || []).filter(function (q) { return q.queue_id === queueId; })[0];
    if (!queue) return;
    var form = el("form", { class: "overflow-editor" });
    form.appendChild(el("p", { class: "muted" }, "Share of new arrivals sent to other sites or partner centers. Weights are relative; the rest stays here only if you add this site as a target."));
    var table = el("table");
    var head = el("tr");
    ["Target", "Kind", "Weight", "Share", ""].forEach(function (h) { head.appendChild(el("th", null, h)); });
    table.appendChild(head);
    var tbody = el("tbody");
    table.appendChild(tbody);
    form.appendChild(table);
    function share() {
      var rows = Array.prototype.slice.call(tbody.querySelectorAll("tr"));
      var total = rows.reduce(function (sum, r) { return sum + (Number(r.querySelector("[name=weight]").value) || 0); }, 0);
      rows.forEach(function (r) {
        var w = Number(r.querySelector("[name=weight]").value) || 0;
        r.querySelector(".share").textContent = total ? Math.round((100 * w) / total) + "%" : "–";
      });
    }
    function addRow(target) {
      var tr = el("tr");
      var name = el("input", { name: "name", type: "text", maxlength: "40", required: "required", "aria-label": "Target name", placeholder: "lisbon" });
      name.value = target ? target.name : "";
      var kind = el("select", { name: "kind", "aria-label": "Kind" });
      [["site", "Site"], ["partner", "Partner"]].forEach(function (k) {
        var o = el("option", { value: k[0] }, k[1]);
        if (target && target.kind === k[0]) o.selected = true;
        kind.appendChild(o);
      });
      var weight = el("input", { name: "weight", type: "number", min: "0", max: "100", step: "1", required: "required", "aria-label": "Weight" });
      weight.value = target ? String(target.weight) : "10";
      var remove = el("button", { type: "button", class: "btn btn-small", "aria-label": "Remove this target" }, "Remove");
      remove.addEventListener("click", function () { tr.remove(); share(); });
      [name, kind, weight].forEach(function (input) {
        var td = el("td");
        td.appendChild(input);
        tr.appendChild(td);
      });
      tr.appendChild(el("td", { class: "share" }, ""));
      var td = el("td");
      td.appendChild(remove);
      tr.appendChild(td);
      tbody.appendChild(tr);
      share();
      return name;
    }
    (queue.overflow || []).forEach(addRow);
    tbody.addEventListener("input", share);
    var actions = el("div", { class: "form-actions" });
    var add = el("button", { type: "button", class: "btn" }, "Add target");
    add.addEventListener("click", function () { addRow(null).focus(); });
    var save = el("button", { type: "submit", class: "btn btn-primary" }, "Save");
    actions.appendChild(add);
    actions.appendChild(save);
    var error = el("div", { class: "field-error", role: "alert" });
    form.appendChild(error);
    form.appendChild(actions);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var targets = Array.prototype.map.call(tbody.querySelectorAll("tr"), function (r) {
        return { name: r.querySelector("[name=name]").value.trim(), kind: r.querySelector("[name=kind]").value,
          weight: Number(r.querySelector("[name=weight]").value) };
      });
      save.disabled = true;
      error.textContent = "";
      api("PUT", base + "/queues/" + queueId + "/overflow", { targets: targets })
        .then(function () { closeDialog(); toast("Overflow saved for " + queue.name + ".", "ok"); loadBoard(); })
        .catch(function (e) { error.textContent = e.message || "Not saved."; })
        .then(function () { save.disabled = false; });
    });
    openDialog("Overflow · " + queue.name, form);
  }

  function openRouting(interactionId, customer) {
    var box = el("div", { class: "routing-view" });
    box.appendChild(el("p", { class: "muted" }, "Loading…"));
    openDialog("Routing · " + (customer || "#" + interactionId), box);
    api("GET", base + "/interactions/" + interactionId + "/routing")
      .then(function (data) {
        var entries = Array.isArray(data) ? data : (data && (data.items || data.decisions)) || [];
        box.textContent = "";
        if (!entries.length) { box.appendChild(el("p", { class: "muted" }, "No routing decision yet.")); return; }
        var list = el("ol", { class: "decisions" });
        entries.forEach(function (d) {
          var li = el("li");
          var row = el("div", { class: "row" });
          var title = String(d.kind || "decision").replace(/_/g, " ");
          if (d.agent_name || d.agent_id) title += " → " + (d.agent_name || agentName(d.agent_id));
          row.appendChild(el("strong", { class: "grow" }, title.charAt(0).toUpperCase() + title.slice(1)));
          if (d.at) row.appendChild(el("time", { datetime: d.at }, new Date(d.at).toLocaleTimeString()));
          li.appendChild(row);
          if (d.reason) {
            var reason = String(d.reason);
            if (reason.indexOf(" ") < 0) reason = reason.replace(/_/g, " "); // a code such as agent_ended
            li.appendChild(el("div", { class: "reason" }, reason.charAt(0).toUpperCase() + reason.slice(1)));
          }
          var meta = [];
          if (d.kind === "queued" && d.queue_id) meta.push("queue " + queueName(d.queue_id));
          if (d.to_queue_id) meta.push("to queue " + queueName(d.to_queue_id));
          if (d.target) meta.push("to " + d.target);
          if (d.strategy) meta.push(String(d.strategy).replace(/_/g, " "));
          if (typeof d.candidates === "number") meta.push(d.candidates + " considered");
          if (Array.isArray(d.preferred)) {
            var wanted = d.preferred.filter(function (p) { return Array.isArray(p) && p.length === 2; })
              .map(function (p) { return agentName(p[0]) + " (" + p[1] + ")"; });
            if (wanted.length) meta.push("waits first for " + wanted.join(", "));
          } else if (d.preferred) {
            meta.push(d.preferred + " agent");
          }
          if (d.interpreter_needed) meta.push("interpreter needed");
          if (d.code) meta.push("disposition " + d.code);
          if (d.by !== undefined && d.by !== null && d.by !== d.agent_id) meta.push("by " + (typeof d.by === "number" ? agentName(d.by) : d.by));
          if (d.detail) meta.push(d.detail);
          if (meta.length) li.appendChild(el("div", { class: "meta" }, meta.join(" · ")));
          (d.relaxed || []).forEach(function (r) { li.appendChild(el("div", { class: "meta relaxed" }, "Relaxed: " + r)); });
          if (d.passed_over && d.passed_over.length) {
            var details = el("details", { class: "passed" });
            details.appendChild(el("summary", null, d.passed_over.length + " passed over"));
            var ul = el("ul");
            d.passed_over.forEach(function (p) { ul.appendChild(el("li", null, agentName(p.id) + ": " + p.reason)); });
            details.appendChild(ul);
            li.appendChild(details);
          }
          list.appendChild(li);
        });
        box.appendChild(list);
        var foot = el("p", { class: "dialog-foot" });
        foot.appendChild(el("a", { href: "/t/" + encodeURIComponent(TENANT) + "/interactions/" + interactionId }, "Open the transcript"));
        box.appendChild(foot);
      })
      .catch(function (error) {
        box.textContent = "";
        box.appendChild(el("div", { class: "alert alert-error" }, "Could not load the routing: " + (error.message || "network error")));
      });
  }

  function queueName(id) {
    var found = (board && board.queues || []).filter(function (q) { return q.queue_id === id; })[0];
    return found ? found.name : "#" + id;
  }

  function agentName(id) {
    var found = (board && board.agents || []).filter(function (a) { return a.id === id; })[0];
    return found ? found.name : "agent #" + id;
  }

  // --- monitor, whisper, barge ------------------------------------------------------------------------------

  var monitor = { id: null, source: null, seen: new Set(), barged: false, typingTimer: null, lastId: null };

  function openMonitor(id, customer, agent) {
    closeMonitor();
    monitor.id = id;
    monitor.seen = new Set();
    monitor.barged = false;
    $("monitor-title").textContent = (customer || "Chat #" + id) + (agent ? " · " + agent : "");
    $("monitor-mode").textContent = "Listening";
    $("monitor-thread").textContent = "";
    $("monitor-typing").textContent = "";
    $("whisper-form").hidden = false;
    $("barge-form").hidden = true;
    $("barge-row").hidden = false;
    $("monitor").hidden = false;
    var url = "/api/v1/events?tenant=" + encodeURIComponent(TENANT) + "&interaction=" + id;
    monitor.source = new EventSource(url);
    var conn = $("monitor-conn");
    monitor.source.addEventListener("open", function () {
      conn.setAttribute("data-state", "live");
      conn.querySelector(".conn-label").textContent = "Live";
    });
    monitor.source.addEventListener("error", function () {
      conn.setAttribute("data-state", "reconnecting");
      conn.querySelector(".conn-label").textContent = "Reconnecting…";
    });
    ["message", "typing", "chat.joined", "chat.left", "chat.ended", "reset"].forEach(function (type) {
      monitor.source.addEventListener(type, function (event) {
        var data;
        try { data = JSON.parse(event.data); } catch (e) { return; }
        if (type !== "reset" && Number(data.interaction_id) !== monitor.id) return;
        if (type === "message") addMessage(data.message);
        else if (type === "typing") showTyping(data.name || data.who);
        else if (type === "chat.joined" && data.role !== "supervisor") eventLine((data.name || "Someone") + " joined.");
        else if (type === "chat.left") eventLine((data.name || "Someone") + " left.");
        else if (type === "chat.ended") eventLine(data.reason === "customer_left" ? "The customer left the chat." : "The conversation ended.");
        else if (type === "reset") loadHistory(id);
      });
    });
    loadHistory(id);
    $("whisper-body").focus();
  }

  function loadHistory(id) {
    return api("GET", base + "/interactions/" + id + "/messages?limit=200")
      .then(function (page) {
        if (monitor.id !== id) return;
        ((page && page.items) || []).forEach(addMessage);
      })
      .catch(failed("Could not load the conversation"));
  }

  function addMessage(m) {
    if (!m || m.id === undefined || monitor.seen.has(m.id)) return;
    monitor.seen.add(m.id);
    var li = $("tpl-msg").content.firstElementChild.cloneNode(true);
    li.classList.add("msg-" + (m.author_kind || "system"));
    if (m.visibility === "agents") li.classList.add("msg-internal");
    li.querySelector("[data-slot=author]").textContent = m.author_name || m.author_kind;
    var time = li.querySelector("[data-slot=time]");
    var at = new Date(m.at);
    time.textContent = isNaN(at) ? "" : pad(at.getHours()) + ":" + pad(at.getMinutes());
    if (m.visibility === "agents") time.after(el("span", { class: "badge badge-internal" }, "Whisper"));
    var body = li.querySelector("[data-slot=body]");
    var onlyFile = (m.attachments || []).some(function (a) { return a.filename === m.body; });
    if (m.body && !onlyFile) body.textContent = m.body; else body.remove();
    (m.attachments || []).forEach(function (a) {
      var line = el("div", { class: "attachments" });
      if (a.id) {
        line.appendChild(el("a", { href: base + "/interactions/" + monitor.id + "/attachments/" + encodeURIComponent(a.id), target: "_blank", rel: "noopener" }, a.filename || "attachment"));
      } else {
        line.appendChild(el("span", null, a.filename || "attachment"));
      }
      li.appendChild(line);
    });
    var thread = $("monitor-thread");
    thread.appendChild(li);
    thread.scrollTop = thread.scrollHeight;
    if (m.author_kind === "customer") showTyping(null);
  }

  function eventLine(text) {
    var thread = $("monitor-thread");
    thread.appendChild(el("li", { class: "msg msg-event" }, text));
    thread.scrollTop = thread.scrollHeight;
  }

  function showTyping(who) {
    window.clearTimeout(monitor.typingTimer);
    $("monitor-typing").textContent = who ? who + " is typing…" : "";
    if (who) monitor.typingTimer = window.setTimeout(function () { $("monitor-typing").textContent = ""; }, 5000);
  }

  function closeMonitor() {
    if (monitor.source) monitor.source.close();
    monitor.source = null;
    monitor.id = null;
    if ($("monitor")) $("monitor").hidden = true;
  }

  if (SUPERVISING) {
    $("monitor-close").addEventListener("click", closeMonitor);
    $("whisper-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var box = $("whisper-body");
      var body = box.value.trim();
      if (!body || monitor.id === null) return;
      box.disabled = true;
      api("POST", base + "/interactions/" + monitor.id + "/whisper", { body: body })
        .then(function (message) { box.value = ""; if (message && message.id !== undefined) addMessage(message); })
        .catch(failed("Whisper not sent"))
        .then(function () { box.disabled = false; box.focus(); });
    });
    $("barge-button").addEventListener("click", function () {
      if (monitor.id === null) return;
      var button = this;
      button.disabled = true;
      api("POST", base + "/interactions/" + monitor.id + "/barge", {})
        .then(function () {
          monitor.barged = true;
          $("monitor-mode").textContent = "In the chat";
          $("monitor-hint").textContent = "You joined the chat: the customer sees what you write. Whispers still reach only the agent.";
          $("barge-form").hidden = false;
          $("barge-row").hidden = true;
          $("barge-body").focus();
        })
        .catch(failed("Could not barge in"))
        .then(function () { button.disabled = false; });
    });
    $("barge-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var box = $("barge-body");
      var body = box.value.trim();
      if (!body || monitor.id === null) return;
      box.disabled = true;
      api("POST", base + "/interactions/" + monitor.id + "/messages", { author_kind: "agent", body: body })
        .then(function (message) { box.value = ""; if (message) addMessage(message); })
        .catch(failed("Message not sent"))
        .then(function () { box.disabled = false; box.focus(); });
    });
    ["whisper-body", "barge-body"].forEach(function (id) {
      $(id).addEventListener("keydown", function (event) {
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          this.form.requestSubmit();
        }
      });
    });
  }

  connect();
  loadBoard();
  loadLive();
})();
