// Shared by the agent desktop and the wallboard: the JSON API call (CSRF header, problem+json
// errors, sign-out redirect, server clock skew from the Date header), clocks, channel labels and
// toasts. Loaded before desktop.js or wallboard.js; no inline script (CSP).
(function () {
  "use strict";

  var CHANNELS = { voice: "Voice", email: "Email", chat: "Chat", sms: "SMS", social: "Social", web_form: "Web form",
    letter: "Letter", fax: "Fax", work_item: "Work item" };

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function clock(seconds) {
    seconds = Math.max(0, Math.floor(seconds || 0));
    var m = Math.floor(seconds / 60), s = seconds % 60;
    if (m >= 60) return Math.floor(m / 60) + ":" + pad(m % 60) + ":" + pad(s);
    return m + ":" + pad(s);
  }
  function channelLabel(ch, fallback) { return CHANNELS[ch] || ch || fallback; }

  function toast(message, kind) {
    var box = document.getElementById("toast");
    if (!box) return;
    var div = document.createElement("div");
    div.className = "alert " + (kind === "ok" ? "alert-ok" : kind === "info" ? "alert-info" : "alert-error");
    div.setAttribute("role", kind === "error" ? "alert" : "status");
    div.textContent = message;
    box.appendChild(div);
    window.setTimeout(function () { if (div.parentNode) div.parentNode.removeChild(div); }, 6000);
  }

  function ApiError(status, detail) { this.status = status; this.message = detail; }

  // One client per page: `skewMs` is the server's clock minus ours, so countdowns match the server.
  function client(csrf) {
    var self = { skewMs: 0 };
    self.api = function (method, url, body) {
      var options = { method: method, headers: { Accept: "application/json" }, credentials: "same-origin" };
      if (method !== "GET") options.headers["X-CSRF-Token"] = csrf;
      if (body !== undefined) {
        options.headers["Content-Type"] = "application/json";
        options.body = JSON.stringify(body);
      }
      return fetch(url, options).then(function (response) {
        var date = response.headers.get("Date");
        if (date) {
          var skew = Date.parse(date) - Date.now();
          // The Date header has 1 s resolution: only correct a clock that is clearly off.
          self.skewMs = Math.abs(skew) > 2000 ? skew : 0;
        }
        if (response.status === 401) {
          window.location.href = "/login?next=" + encodeURIComponent(window.location.pathname);
          throw new ApiError(401, "You were signed out.");
        }
        if (response.status === 204) return null;
        return response.text().then(function (text) {
          var data = null;
          try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
          if (!response.ok) {
            var detail = (data && (data.detail || data.title)) || ("The server answered " + response.status + ".");
            if (typeof detail !== "string") detail = "The request was not accepted (" + response.status + ").";
            throw new ApiError(response.status, detail.charAt(0).toUpperCase() + detail.slice(1));
          }
          return data;
        });
      });
    };
    return self;
  }

  window.HelplineLive = { pad: pad, clock: clock, channelLabel: channelLabel, toast: toast, ApiError: ApiError, client: client };
})();
