// Helpline pages: keyboard shortcuts and the failure toast. Loaded after htmx; no inline scripts (CSP).
(function () {
  "use strict";

  function isTyping(el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  // "/" focuses the page's search box from anywhere (unless the user is already typing).
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
    var box = document.querySelector("[data-search]");
    if (!box) return;
    event.preventDefault();
    box.focus();
    box.select();
  });

  // Result lists: ArrowUp/ArrowDown move the highlight, Enter opens the highlighted result.
  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-results] [data-href]"));
  }
  function highlighted() {
    return document.querySelector("[data-results] [data-href].is-active");
  }
  function highlight(row) {
    rows().forEach(function (r) { r.classList.remove("is-active"); r.removeAttribute("aria-selected"); });
    if (row) {
      row.classList.add("is-active");
      row.setAttribute("aria-selected", "true");
      row.scrollIntoView({ block: "nearest" });
    }
  }
  function highlightFirst() {
    var all = rows();
    highlight(all.length ? all[0] : null);
  }

  document.addEventListener("keydown", function (event) {
    var box = event.target;
    if (!box || !box.hasAttribute || !box.hasAttribute("data-search")) return;
    var all = rows();
    var current = highlighted();
    var index = current ? all.indexOf(current) : -1;
    if (event.key === "ArrowDown" && all.length) {
      event.preventDefault();
      highlight(all[Math.min(index + 1, all.length - 1)]);
    } else if (event.key === "ArrowUp" && all.length) {
      event.preventDefault();
      highlight(all[Math.max(index - 1, 0)]);
    } else if (event.key === "Enter") {
      // Enter in the search box opens the highlighted customer instead of re-submitting the search.
      if (current) {
        event.preventDefault();
        window.location.href = current.getAttribute("data-href");
      }
    } else if (event.key === "Escape") {
      highlight(null);
    }
  });

  // Fresh results arrive highlighted on their first row, so typing then Enter opens the best match.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.target && event.target.hasAttribute && event.target.hasAttribute("data-results")) highlightFirst();
  });
  document.addEventListener("DOMContentLoaded", function () {
    if (document.querySelector("[data-search]") === document.activeElement) highlightFirst();
  });

  // Clicking anywhere on a result row opens it (the name link inside stays the keyboard target).
  document.addEventListener("click", function (event) {
    var row = event.target.closest && event.target.closest("[data-results] [data-href]");
    if (!row || event.target.closest("a, button, input, select, textarea")) return;
    window.location.href = row.getAttribute("data-href");
  });

  // Filter forms apply a changed drop-down at once; text fields still wait for Enter or Apply.
  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (form && form.hasAttribute("data-autosubmit") && event.target.tagName === "SELECT") form.requestSubmit();
  });

  // Ctrl+Enter (Cmd+Enter) in a text area sends its form: notes without reaching for the mouse.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey) || event.target.tagName !== "TEXTAREA") return;
    var form = event.target.form;
    if (form) { event.preventDefault(); form.requestSubmit(); }
  });

  // HTMX failures must never be silent: show what happened and how to recover.
  function toast(message) {
    var box = document.getElementById("toast");
    if (!box) return;
    box.textContent = "";
    var div = document.createElement("div");
    div.className = "alert alert-error";
    div.setAttribute("role", "alert");
    div.textContent = message;
    box.appendChild(div);
    window.setTimeout(function () { if (div.parentNode) div.parentNode.removeChild(div); }, 8000);
  }
  document.addEventListener("htmx:sendError", function () {
    toast("Could not reach the server. Check your connection and try again.");
  });
  document.addEventListener("htmx:timeout", function () {
    toast("The server took too long to answer. Please try again.");
  });
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail && event.detail.xhr ? event.detail.xhr.status : 0;
    if (status === 403) toast("That action is not allowed, or your page is out of date. Reload and try again.");
    else if (status === 404) toast("That item no longer exists.");
    else toast("Something went wrong on our side (" + status + "). It has been logged; please try again.");
  });
})();
