/*!
 * Helpline web chat widget. Embed with one tag:
 *   <script src="https://HOST/static/widget/helpline-chat.js" data-tenant="acme" defer></script>
 * Optional: data-color="#0b6e4f" (accent), data-title="Chat with us" (launcher label).
 * Vanilla JS, no dependencies, no inline styles or scripts (works under a strict CSP). The widget lives
 * in a shadow root so the host page's CSS cannot break it, and it never touches the page's cookies.
 */
(function () {
  "use strict";

  var script = document.currentScript || document.querySelector('script[src*="helpline-chat.js"][data-tenant]');
  if (!script || window.__helplineChat) return;
  window.__helplineChat = true;

  var ORIGIN = new URL(script.src, document.baseURI).origin;
  var TENANT = script.getAttribute("data-tenant") || "";
  var API = ORIGIN + "/api/v1/chat/" + encodeURIComponent(TENANT);
  var STORE_KEY = "helpline-chat:" + ORIGIN + ":" + TENANT;
  var TYPING_SHOWN_MS = 4000;

  var config = null;
  var chat = null; // {session_id, token, interaction_id, last_event_id}
  var source = null;
  var shown = {}; // message ids already in the log
  var lastTypingSent = 0;
  var typingTimer = null;
  var ended = false;
  var agentJoined = false;

  // --- DOM helpers (no innerHTML: every text from the network goes through textContent) ----------

  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "text") el.textContent = value;
      else if (key === "on") Object.keys(value).forEach(function (ev) { el.addEventListener(ev, value[ev]); });
      else el.setAttribute(key, value === true ? "" : value);
    });
    (children || []).forEach(function (child) { if (child) el.appendChild(child); });
    return el;
  }

  var SVG = "http://www.w3.org/2000/svg";
  var ICONS = {
    chat: "M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z",
    clip: "M21.44 11.05l-9.19 9.19a6 6 0 0 1-8.49-8.49l9.19-9.19a4 4 0 0 1 5.66 5.66l-9.2 9.19a2 2 0 0 1-2.83-2.83l8.49-8.48",
    file: "M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8zM14 2v6h6",
    close: "M18 6L6 18M6 6l12 12",
  };

  // Icons are drawn, not typed: emoji fonts are missing on many machines.
  function icon(name) {
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("class", "hlc-svg");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(SVG, "path");
    path.setAttribute("d", ICONS[name]);
    svg.appendChild(path);
    return svg;
  }

  function show(el, visible) { if (visible) el.removeAttribute("hidden"); else el.setAttribute("hidden", ""); }

  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); }

  function humanSize(bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return Math.round(bytes / 1024) + " KB";
    return (bytes / 1024 / 1024).toFixed(1) + " MB";
  }

  function humanWait(seconds) {
    if (seconds === null || seconds === undefined) return "";
    if (seconds < 60) return "less than a minute";
    var minutes = Math.round(seconds / 60);
    return "about " + minutes + (minutes === 1 ? " minute" : " minutes");
  }

  function timeOf(iso) {
    var d = new Date(iso);
    return isNaN(d.getTime()) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  // --- the widget's elements ---------------------------------------------------------------------

  var host = h("div", { id: "helpline-chat-host", "data-testid": "chat-widget" });
  var color = script.getAttribute("data-color");
  if (color && /^#[0-9a-fA-F]{3,8}$/.test(color)) host.style.setProperty("--hlc-accent", color);
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  root.appendChild(h("link", { rel: "stylesheet", href: ORIGIN + "/static/widget/helpline-chat.css" }));

  var launcher = h("button", {
    type: "button", id: "hlc-launcher", class: "hlc-launcher", "data-testid": "chat-launcher",
    "aria-expanded": "false", "aria-controls": "hlc-panel",
  }, [icon("chat"), h("span", { text: script.getAttribute("data-title") || "Chat with us" })]);

  var title = h("h2", { id: "hlc-title", class: "hlc-title", text: "Chat" });
  var subtitle = h("p", { id: "hlc-subtitle", class: "hlc-subtitle", "data-testid": "chat-status", "aria-live": "polite" });
  var minimize = h("button", {
    type: "button", class: "hlc-icon-button", "data-testid": "chat-minimize", "aria-label": "Close the chat window",
  }, [icon("close")]);
  var errorBox = h("div", { id: "hlc-error", class: "hlc-error", role: "alert", "data-testid": "chat-error", hidden: true });
  var loading = h("p", { class: "hlc-loading", "data-testid": "chat-loading", text: "Loading\u2026" });

  // Pre-chat form.
  function field(id, label, input, hint) {
    var error = h("span", { id: id + "-error", class: "hlc-field-error", hidden: true });
    input.setAttribute("id", id);
    input.setAttribute("aria-describedby", id + "-error");
    return h("div", { class: "hlc-field" }, [h("label", { for: id, text: label }), input, hint || null, error]);
  }
  var nameInput = h("input", { type: "text", name: "name", autocomplete: "name", required: true, maxlength: "100", "data-testid": "chat-name" });
  var emailInput = h("input", { type: "email", name: "email", autocomplete: "email", required: true, maxlength: "254", "data-testid": "chat-email" });
  var languageSelect = h("select", { name: "language", "data-testid": "chat-language" });
  var topicSelect = h("select", { name: "queue_id", required: true, "data-testid": "chat-topic" });
  var firstMessage = h("textarea", { name: "message", rows: "3", maxlength: "5000", "data-testid": "chat-first-message", placeholder: "How can we help? (optional)" });
  var topicClosed = h("p", { class: "hlc-note", "data-testid": "chat-topic-closed", hidden: true,
    text: "Nobody can chat on this topic right now. You can leave us a message and we will get back to you." });
  var startButton = h("button", { type: "submit", class: "hlc-primary", "data-testid": "chat-start", text: "Start chat" });
  var prechat = h("form", { id: "hlc-prechat", class: "hlc-view", "data-testid": "chat-prechat", novalidate: true }, [
    h("p", { class: "hlc-intro", text: "Tell us who you are and what it is about; an agent will be with you shortly." }),
    field("hlc-name", "Your name", nameInput),
    field("hlc-email", "Email", emailInput),
    field("hlc-language", "Language", languageSelect),
    field("hlc-topic", "Topic", topicSelect, topicClosed),
    field("hlc-message", "Message", firstMessage),
    startButton,
  ]);

  // Conversation.
  var waiting = h("div", { class: "hlc-waiting", "data-testid": "chat-waiting", hidden: true }, []);
  var positionText = h("p", { class: "hlc-position", "data-testid": "chat-position" });
  var waitText = h("p", { class: "hlc-wait", "data-testid": "chat-wait" });
  var offerLeave = h("button", { type: "button", class: "hlc-link", "data-testid": "chat-offer-leave", hidden: true,
    text: "Leave a message instead" });
  waiting.appendChild(h("div", { class: "hlc-spinner", "aria-hidden": "true" }));
  waiting.appendChild(positionText);
  waiting.appendChild(waitText);
  waiting.appendChild(offerLeave);
  var log = h("ol", { class: "hlc-log", "data-testid": "chat-log", "aria-live": "polite", "aria-label": "Conversation" });
  var typingLine = h("p", { class: "hlc-typing", "data-testid": "chat-typing", hidden: true });
  var composeInput = h("textarea", { rows: "2", maxlength: "5000", "aria-label": "Your message", placeholder: "Write a message\u2026", "data-testid": "chat-input" });
  var fileInput = h("input", { type: "file", class: "hlc-file", id: "hlc-file", "data-testid": "chat-file",
    accept: ".png,.jpg,.jpeg,.gif,.pdf,.txt,image/png,image/jpeg,image/gif,application/pdf,text/plain" });
  var attachLabel = h("label", { for: "hlc-file", class: "hlc-icon-button hlc-attach", "data-testid": "chat-attach",
    title: "Send a file (PNG, JPEG, GIF, PDF or text, up to 1 MB)" }, [h("span", { class: "hlc-visually-hidden", text: "Attach a file" }),
    icon("clip")]);
  var sendButton = h("button", { type: "submit", class: "hlc-primary hlc-send", "data-testid": "chat-send", text: "Send" });
  var compose = h("form", { class: "hlc-compose", "data-testid": "chat-compose" }, [fileInput, attachLabel, composeInput, sendButton]);
  var endButton = h("button", { type: "button", class: "hlc-link hlc-end", "data-testid": "chat-end", text: "End chat" });
  var conversation = h("div", { id: "hlc-conversation", class: "hlc-view hlc-conversation", "data-testid": "chat-conversation", hidden: true },
    [waiting, log, typingLine, compose, endButton]);

  // Leave a message.
  var leaveBody = h("textarea", { rows: "5", maxlength: "10000", required: true, "data-testid": "chat-leave-body" });
  var leaveForm = h("form", { id: "hlc-leave", class: "hlc-view", "data-testid": "chat-leave-form", hidden: true, novalidate: true }, [
    h("p", { class: "hlc-intro", text: "Leave us a message: it reaches our team as a case and we will reply by email." }),
    field("hlc-leave-body", "Your message", leaveBody),
    h("button", { type: "submit", class: "hlc-primary", "data-testid": "chat-leave-send", text: "Send message" }),
  ]);

  // Done.
  var doneText = h("p", { class: "hlc-done-text", "data-testid": "chat-done-text" });
  var restart = h("button", { type: "button", class: "hlc-primary", "data-testid": "chat-restart", text: "Start a new chat" });
  var done = h("div", { class: "hlc-view hlc-done", "data-testid": "chat-done", hidden: true }, [doneText, restart]);

  var panel = h("section", { id: "hlc-panel", class: "hlc-panel", role: "dialog", "aria-labelledby": "hlc-title",
    "data-testid": "chat-panel", hidden: true }, [
    h("header", { class: "hlc-header" }, [h("div", {}, [title, subtitle]), minimize]),
    errorBox, loading, prechat, conversation, leaveForm, done,
  ]);
  root.appendChild(h("div", { class: "hlc-root" }, [panel, launcher]));

  // --- state and views ----------------------------------------------------------------------------

  function view(which) {
    [prechat, conversation, leaveForm, done, loading].forEach(function (el) { show(el, el === which); });
  }

  function showError(text) {
    errorBox.textContent = text || "";
    show(errorBox, !!text);
  }

  function fieldError(name, text) {
    var ids = { name: "hlc-name", email: "hlc-email", language: "hlc-language", queue_id: "hlc-topic", message: "hlc-message", body: "hlc-leave-body" };
    var id = ids[name];
    if (!id) return false;
    var input = root.getElementById ? root.getElementById(id) : document.getElementById(id);
    var error = root.getElementById ? root.getElementById(id + "-error") : document.getElementById(id + "-error");
    if (!input || !error) return false;
    input.setAttribute("aria-invalid", "true");
    error.textContent = text;
    show(error, true);
    input.focus();
    return true;
  }

  function clearFieldErrors() {
    Array.prototype.forEach.call(panel.querySelectorAll("[aria-invalid]"), function (el) { el.removeAttribute("aria-invalid"); });
    Array.prototype.forEach.call(panel.querySelectorAll(".hlc-field-error"), function (el) { show(el, false); });
  }

  function save() {
    try {
      if (chat) sessionStorage.setItem(STORE_KEY, JSON.stringify(chat));
      else sessionStorage.removeItem(STORE_KEY);
    } catch (e) { /* storage may be disabled: the chat still works in this page */ }
  }

  function restore() {
    try { return JSON.parse(sessionStorage.getItem(STORE_KEY) || "null"); } catch (e) { return null; }
  }

  // --- HTTP ----------------------------------------------------------------------------------------

  function request(method, path, body, isForm) {
    var headers = {};
    if (chat) headers["X-Chat-Token"] = chat.token;
    if (body !== undefined && !isForm) headers["Content-Type"] = "application/json";
    return fetch(API + path, {
      method: method, headers: headers, credentials: "omit", mode: "cors",
      body: body === undefined ? undefined : (isForm ? body : JSON.stringify(body)),
    }).then(function (response) {
      if (response.status === 204) return null;
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var err = new Error(data.detail || ("the chat service answered " + response.status));
          err.status = response.status;
          err.field = data.field;
          err.retryAfter = response.headers.get("Retry-After");
          throw err;
        }
        return data;
      });
    }, function () {
      var err = new Error("We could not reach the chat service. Check your connection and try again.");
      err.status = 0;
      throw err;
    });
  }

  function explain(err) {
    if (err.status === 429) return "Too many attempts. Please wait " + (err.retryAfter || "a few") + " seconds and try again.";
    if (err.status === 404 && chat) return "This chat is no longer available.";
    if (err.status === 413) return "That is too large to send.";
    return err.message;
  }

  // --- configuration and pre-chat form ---------------------------------------------------------------

  function loadConfig() {
    if (config) return Promise.resolve(config);
    view(loading);
    return request("GET", "/config").then(function (data) {
      config = data;
      title.textContent = data.name;
      clear(languageSelect);
      var preferred = (navigator.language || data.default_language || "en").toLowerCase();
      data.languages.forEach(function (code) {
        languageSelect.appendChild(h("option", { value: code, text: languageName(code),
          selected: preferred.indexOf(code.toLowerCase()) === 0 || (code === data.default_language && !matchesAny(data.languages, preferred)) }));
      });
      clear(topicSelect);
      if (!data.topics.length) topicSelect.appendChild(h("option", { value: "", text: "No topics available" }));
      data.topics.forEach(function (topic) {
        topicSelect.appendChild(h("option", { value: String(topic.queue_id), "data-open": topic.open ? "1" : "0",
          text: topic.name + (topic.open ? "" : " (closed now)") }));
      });
      onTopicChange();
      return data;
    });
  }

  function matchesAny(codes, preferred) {
    return codes.some(function (code) { return preferred.indexOf(code.toLowerCase()) === 0; });
  }

  function languageName(code) {
    try {
      var names = new Intl.DisplayNames([code], { type: "language" });
      var name = names.of(code);
      return name ? name.charAt(0).toUpperCase() + name.slice(1) : code;
    } catch (e) { return code; }
  }

  function topicOpen() {
    var option = topicSelect.options[topicSelect.selectedIndex];
    return !option || option.getAttribute("data-open") !== "0";
  }

  function onTopicChange() {
    var open = topicOpen();
    show(topicClosed, !open);
    startButton.textContent = open ? "Start chat" : "Leave a message";
    show(firstMessage.parentNode, open);
  }

  function startChat(event) {
    event.preventDefault();
    clearFieldErrors();
    showError("");
    var body = {
      name: nameInput.value.trim(),
      email: emailInput.value.trim(),
      language: languageSelect.value,
      queue_id: parseInt(topicSelect.value, 10),
    };
    if (!body.name) return fieldError("name", "Please tell us your name.");
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(body.email)) return fieldError("email", "Please enter a valid email address.");
    if (!body.queue_id) return fieldError("queue_id", "Please choose a topic.");
    var first = firstMessage.value.trim();
    if (first && topicOpen()) body.message = first;
    startButton.disabled = true;
    request("POST", "/sessions", body).then(function (started) {
      chat = { session_id: started.session_id, token: started.token, interaction_id: started.interaction_id,
        last_event_id: started.resume_from };
      ended = false;
      agentJoined = false;
      save();
      if (started.status === "closed") {
        view(leaveForm);
        if (first) leaveBody.value = first;
        leaveBody.focus();
        return;
      }
      enterConversation();
      updateQueue(started);
      if (body.message) {
        // The first message is in the transcript: it comes back with the status (deduplicated by id).
        refresh();
      }
    }, function (err) {
      if (!(err.field && fieldError(err.field, err.message))) showError(explain(err));
    }).then(function () { startButton.disabled = false; });
  }

  // --- the conversation --------------------------------------------------------------------------------

  function enterConversation() {
    view(conversation);
    show(compose, true);
    show(endButton, true);
    composeInput.disabled = false;
    sendButton.disabled = false;
    connect();
    composeInput.focus();
  }

  function connect() {
    if (source) source.close();
    var url = API + "/sessions/" + chat.session_id + "/events?token=" + encodeURIComponent(chat.token);
    if (chat.last_event_id) url += "&last_event_id=" + encodeURIComponent(chat.last_event_id);
    source = new EventSource(url);
    ["message", "typing", "chat.queue", "chat.joined", "chat.left", "chat.ended", "reset"].forEach(function (type) {
      source.addEventListener(type, function (e) {
        if (e.lastEventId) { chat.last_event_id = e.lastEventId; save(); }
        var data;
        try { data = JSON.parse(e.data); } catch (err) { return; }
        handle(type, data);
      });
    });
    source.addEventListener("open", function () { showError(""); });
    source.addEventListener("error", function () {
      // EventSource reconnects by itself (sending Last-Event-ID); a closed one means the session is gone.
      if (source && source.readyState === EventSource.CLOSED && !ended) {
        refresh().catch(function () { showError("The connection to the chat was lost."); });
      } else if (!ended) {
        showError("Reconnecting\u2026");
      }
    });
  }

  function handle(type, data) {
    if (type === "message") addMessage(data.message);
    else if (type === "typing") agentTyping(data.name);
    else if (type === "chat.queue") updateQueue(data);
    else if (type === "chat.joined") joined(data);
    else if (type === "chat.left") left(data);
    else if (type === "chat.ended") finish(data.reason);
    else if (type === "reset") refresh();
  }

  function updateQueue(data) {
    if (ended || agentJoined) return;
    show(waiting, true);
    if (data.position !== null && data.position !== undefined) {
      positionText.textContent = data.position === 1 ? "You are next in line." : "You are number " + data.position + " in line.";
      waitText.textContent = data.estimated_wait_seconds !== null && data.estimated_wait_seconds !== undefined
        ? "Estimated wait: " + humanWait(data.estimated_wait_seconds) + "." : "";
      subtitle.textContent = "Waiting for an agent";
    } else {
      positionText.textContent = "Connecting you to an agent\u2026";
      waitText.textContent = "";
    }
    show(offerLeave, !!data.leave_message);
  }

  function joined(data) {
    if (data.role !== "supervisor") agentJoined = true;
    show(waiting, false);
    // A supervisor's arrival is also a system message of the transcript, which shows it already.
    if (data.role !== "supervisor") {
      subtitle.textContent = "Chatting with " + (data.name || "an agent");
      systemLine((data.name || "An agent") + " joined the chat.");
    }
  }

  function left(data) {
    systemLine((data.name || "The agent") + " has left the chat.", "chat-notice");
    if (data.role !== "supervisor") {
      agentJoined = false; // transferred: the customer waits for the next agent
      subtitle.textContent = "Waiting for an agent";
    }
  }

  function addMessage(message) {
    if (!message || shown[message.id]) return;
    shown[message.id] = true;
    var mine = message.author_kind === "customer";
    var item = h("li", { class: "hlc-msg hlc-" + (mine ? "mine" : message.author_kind), "data-testid": "chat-message",
      "data-author": message.author_kind, "data-id": String(message.id) });
    if (message.author_kind === "system") {
      item.appendChild(h("p", { class: "hlc-system", text: message.body }));
    } else {
      item.appendChild(h("p", { class: "hlc-meta" }, [
        h("span", { class: "hlc-author", text: mine ? "You" : message.author_name }),
        h("time", { datetime: message.at, text: timeOf(message.at) })]));
      var files = message.attachments || [];
      if (!files.length || files.every(function (f) { return f.filename !== message.body; })) {
        item.appendChild(h("p", { class: "hlc-body", text: message.body }));
      }
      files.forEach(function (file) {
        var href = API + "/sessions/" + chat.session_id + "/attachments/" + file.id + "?token=" + encodeURIComponent(chat.token);
        item.appendChild(h("a", { class: "hlc-file-link", href: href, target: "_blank", rel: "noopener noreferrer",
          "data-testid": "chat-attachment" }, [icon("file"), h("span", { text: file.filename + " (" + humanSize(file.size) + ")" })]));
      });
    }
    if (!mine) { show(typingLine, false); }
    appendSorted(item, message.id);
  }

  function appendSorted(item, id) {
    // Messages arrive by event and by request: keep them in id order whatever the arrival order.
    var after = null;
    Array.prototype.some.call(log.children, function (child) {
      var childId = parseInt(child.getAttribute("data-id") || "0", 10);
      if (childId && childId > id) { after = child; return true; }
      return false;
    });
    log.insertBefore(item, after);
    log.scrollTop = log.scrollHeight;
  }

  function systemLine(text, testid) {
    var item = h("li", { class: "hlc-msg hlc-system", "data-testid": testid || "chat-system" }, [h("p", { text: text })]);
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }

  function agentTyping(name) {
    typingLine.textContent = (name || "The agent") + " is typing\u2026";
    show(typingLine, true);
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { show(typingLine, false); }, TYPING_SHOWN_MS);
  }

  function refresh() {
    return request("GET", "/sessions/" + chat.session_id).then(function (status) {
      (status.messages || []).forEach(addMessage);
      if (status.closed) { finish("ended"); return; }
      if (status.agent_name) {
        agentJoined = true;
        show(waiting, false);
        subtitle.textContent = "Chatting with " + status.agent_name;
      }
      else if (status.queue) updateQueue(Object.assign({ status: status.status }, status.queue));
      else if (status.status === "offered") updateQueue({ status: "offered" });
    }, function (err) {
      if (err.status === 404) { chat = null; save(); finish("gone"); }
      else showError(explain(err));
      throw err;
    });
  }

  function send(event) {
    event.preventDefault();
    var text = composeInput.value.trim();
    if (!text || ended) return;
    sendButton.disabled = true;
    request("POST", "/sessions/" + chat.session_id + "/messages", { body: text }).then(function (message) {
      composeInput.value = "";
      showError("");
      addMessage(message);
    }, function (err) { showError(explain(err)); }).then(function () {
      sendButton.disabled = ended;
      composeInput.focus();
    });
  }

  function typed() {
    var now = Date.now();
    var every = ((config && config.limits.typing_interval_seconds) || 3) * 1000;
    if (!chat || ended || now - lastTypingSent < every || !composeInput.value.trim()) return;
    lastTypingSent = now;
    request("POST", "/sessions/" + chat.session_id + "/typing").catch(function () { /* a lost signal is harmless */ });
  }

  function attach() {
    var file = fileInput.files && fileInput.files[0];
    fileInput.value = "";
    if (!file || !chat) return;
    var limits = (config && config.limits) || { attachment_bytes: 1048576, attachment_extensions: ["png", "jpg", "jpeg", "gif", "pdf", "txt"] };
    var ext = (file.name.split(".").pop() || "").toLowerCase();
    if (limits.attachment_extensions.indexOf(ext) < 0) {
      showError("Only " + limits.attachment_extensions.join(", ") + " files can be sent.");
      return;
    }
    if (file.size > limits.attachment_bytes) {
      showError("That file is " + humanSize(file.size) + "; files can be at most " + humanSize(limits.attachment_bytes) + ".");
      return;
    }
    var form = new FormData();
    form.append("file", file, file.name);
    showError("");
    attachLabel.classList.add("hlc-busy");
    request("POST", "/sessions/" + chat.session_id + "/attachments", form, true).then(addMessage, function (err) {
      showError(explain(err));
    }).then(function () { attachLabel.classList.remove("hlc-busy"); });
  }

  function finish(reason) {
    if (ended) return;
    ended = true;
    if (source) { source.close(); source = null; }
    show(waiting, false);
    show(typingLine, false);
    composeInput.disabled = true;
    sendButton.disabled = true;
    show(compose, false);
    show(endButton, false);
    var texts = {
      agent_ended: "The agent has ended the chat.",
      customer_left: "You have ended the chat.",
      left_message: "Thank you: your message has been sent.",
      timeout: "The chat has ended.",
    };
    systemLine(texts[reason] || "The chat has ended.", "chat-ended");
    subtitle.textContent = "Chat ended";
    doneText.textContent = "Thank you for chatting with us. A copy of this conversation is kept with your account.";
    show(done, true);
    chat = null;
    save();
  }

  function endChat() {
    if (!chat || ended) return;
    var current = chat;
    request("POST", "/sessions/" + current.session_id + "/close").then(function () { finish("customer_left"); },
      function (err) { showError(explain(err)); });
  }

  function leaveMessage(event) {
    event.preventDefault();
    clearFieldErrors();
    var text = leaveBody.value.trim();
    if (!text) return fieldError("body", "Please write your message.");
    if (!chat) return;
    request("POST", "/sessions/" + chat.session_id + "/leave-message", { body: text }).then(function (result) {
      ended = true;
      if (source) { source.close(); source = null; }
      chat = null;
      save();
      view(done);
      doneText.textContent = "Thank you: we have your message (reference " + result.case_reference + ") and will reply by email.";
      restart.focus();
    }, function (err) {
      if (!(err.field && fieldError(err.field, err.message))) showError(explain(err));
    });
  }

  function newChat() {
    clear(log);
    shown = {};
    ended = false;
    agentJoined = false;
    chat = null;
    save();
    subtitle.textContent = "";
    leaveBody.value = "";
    composeInput.value = "";
    show(done, false);
    view(prechat);
    nameInput.focus();
  }

  // --- opening and closing -------------------------------------------------------------------------------

  function open() {
    show(panel, true);
    launcher.setAttribute("aria-expanded", "true");
    host.classList.add("hlc-open");
    if (chat) {
      if (!ended && !source) { enterConversation(); refresh().catch(function () {}); }
      else composeInput.focus();
      return;
    }
    loadConfig().then(function () {
      if (!chat) { view(prechat); (nameInput.value ? topicSelect : nameInput).focus(); }
    }, function (err) { view(null); showError(explain(err)); });
  }

  function close() {
    show(panel, false);
    launcher.setAttribute("aria-expanded", "false");
    host.classList.remove("hlc-open");
    launcher.focus();
  }

  launcher.addEventListener("click", function () { if (panel.hasAttribute("hidden")) open(); else close(); });
  minimize.addEventListener("click", close);
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") { e.preventDefault(); close(); } });
  prechat.addEventListener("submit", startChat);
  topicSelect.addEventListener("change", onTopicChange);
  compose.addEventListener("submit", send);
  composeInput.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); compose.requestSubmit ? compose.requestSubmit() : send(e); }
  });
  composeInput.addEventListener("input", typed);
  fileInput.addEventListener("change", attach);
  endButton.addEventListener("click", endChat);
  offerLeave.addEventListener("click", function () { show(waiting, false); view(leaveForm); leaveBody.focus(); });
  leaveForm.addEventListener("submit", leaveMessage);
  restart.addEventListener("click", newChat);

  // Closing the page ends the chat (a page kept in the back-forward cache is not closed).
  window.addEventListener("pagehide", function (e) {
    if (e.persisted || !chat || ended || !navigator.sendBeacon) return;
    navigator.sendBeacon(API + "/sessions/" + chat.session_id + "/close?token=" + encodeURIComponent(chat.token));
  });

  function mount() {
    document.body.appendChild(host);
    var saved = restore();
    if (saved && saved.session_id && saved.token) {
      chat = saved;
      loadConfig().then(function () { return refresh(); }).then(function () {
        if (chat && !ended) { show(panel, true); launcher.setAttribute("aria-expanded", "true"); enterConversation(); }
      }).catch(function () { chat = null; save(); });
    }
  }

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
