// Feedback for every htmx action, on every page: while a request is in flight its element and
// target are aria-busy, the button that sent it is disabled and shows a spinner (CSS:
// .htmx-request, styles.css); afterwards a failure says so in place instead of doing nothing,
// and a full page never lands inside a region. Loaded as a file: the CSP forbids inline script.
(function () {
  "use strict";

  // The JavaScript catalog (/<lang>/jsi18n/) defines these; English if it failed to load.
  var gettext = window.gettext || function (s) { return s; };
  var interpolate = window.interpolate || function (f, o, named) {
    return named ? f.replace(/%\(\w+\)s/g, function (m) { return String(o[m.slice(2, -2)]); }) : f;
  };

  var busy = new WeakMap(); // request element → the controls this script disabled

  function controlsOf(elt, submitter) {
    if (submitter) return [submitter];
    if (elt.tagName === "FORM") {
      return Array.prototype.filter.call(elt.elements, function (el) {
        return (el.type === "submit" || el.tagName === "BUTTON") && !el.disabled;
      });
    }
    return elt.tagName === "BUTTON" && !elt.disabled ? [elt] : [];
  }

  // Typing into a search box or the editor's preview must not disable anything.
  function isAction(elt, detail) {
    var verb = (detail.requestConfig && detail.requestConfig.verb) || "get";
    return elt.tagName === "FORM" || elt.tagName === "BUTTON" || verb !== "get";
  }

  function errorBox(elt) {
    var host = elt.tagName === "FORM" ? elt : elt.closest("form") || elt.parentElement;
    if (!host) return null;
    var box = host.querySelector(":scope > [data-htmx-error]");
    if (!box) {
      box = document.createElement("p");
      box.dataset.htmxError = "";
      box.setAttribute("role", "alert");
      box.className = "mt-2 text-sm font-medium text-red-700 dark:text-red-400";
      host.appendChild(box);
    }
    return box;
  }

  function clearError(elt) {
    var host = elt.tagName === "FORM" ? elt : elt.closest("form") || elt.parentElement;
    var box = host && host.querySelector(":scope > [data-htmx-error]");
    if (box) box.remove();
  }

  function messageFor(status) {
    if (status === 0) return gettext("Not sent: there is no connection. Nothing changed; try again when you are back online.");
    if (status === 403) return gettext("Not done: you may not do this, or the page has expired. Reload the page and try again.");
    if (status === 404) return gettext("Not done: this is no longer there. Reload the page to see what changed.");
    if (status === 409) return gettext("Not done: someone else changed this meanwhile. Reload the page to see their change.");
    if (status === 413) return gettext("Not done: what you sent is too large.");
    if (status === 429) return gettext("Not done: too many tries in a short time. Wait a minute, then try again.");
    if (status >= 500) return gettext("Not done: the server had a problem and nothing changed. Try again in a moment.");
    return interpolate(
      gettext("Not done: the server refused this (%(status)s). Reload the page and try again."),
      { status: status },
      true
    );
  }

  function showError(elt, status) {
    var box = errorBox(elt);
    if (box) box.textContent = messageFor(status);
  }

  // A short confirmation when the answer brings no message of its own.
  function toast(text) {
    var region = document.getElementById("htmx-toast");
    if (!region) {
      region = document.createElement("div");
      region.id = "htmx-toast";
      region.setAttribute("role", "status");
      region.className =
        "pointer-events-none fixed inset-x-0 bottom-4 z-50 flex justify-center px-4 empty:hidden";
      document.body.appendChild(region);
    }
    region.innerHTML = "";
    var note = document.createElement("p");
    note.className =
      "rounded-full bg-slate-900 px-4 py-2 text-sm font-medium text-white shadow-lg dark:bg-white dark:text-slate-900";
    note.textContent = text;
    region.appendChild(note);
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () {
      region.innerHTML = "";
    }, 4000);
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    var target = event.detail.target;
    if (!elt || event.defaultPrevented) return;
    elt.setAttribute("aria-busy", "true");
    if (target && target !== elt) target.setAttribute("aria-busy", "true");
    if (!isAction(elt, event.detail)) return;
    var submitter = event.detail.requestConfig && event.detail.requestConfig.triggeringEvent
      ? event.detail.requestConfig.triggeringEvent.submitter
      : null;
    var controls = controlsOf(elt, submitter);
    controls.forEach(function (control) {
      control.disabled = true;
      control.classList.add("htmx-request");
    });
    busy.set(elt, controls);
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    var target = event.detail.target;
    if (!elt) return;
    elt.removeAttribute("aria-busy");
    if (target) target.removeAttribute("aria-busy");
    (busy.get(elt) || []).forEach(function (control) {
      control.disabled = false;
      control.classList.remove("htmx-request");
    });
    busy.delete(elt);
    if (event.detail.successful) clearError(elt);
  });

  // 4xx/5xx: htmx swaps nothing; say what happened where the action was.
  document.addEventListener("htmx:responseError", function (event) {
    if (event.detail.elt && document.contains(event.detail.elt)) {
      showError(event.detail.elt, event.detail.xhr ? event.detail.xhr.status : 0);
    }
  });
  document.addEventListener("htmx:sendError", function (event) {
    if (event.detail.elt) showError(event.detail.elt, 0);
  });

  // A whole page (a login page after the session ended, an error page) never goes into a region.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    var target = event.detail.target;
    if (!xhr || !event.detail.shouldSwap || !target || target === document.body) return;
    if (/^\s*<!doctype html/i.test(xhr.responseText || "")) {
      event.detail.shouldSwap = false;
      showError(event.detail.elt || target, xhr.status === 200 ? 403 : xhr.status);
    }
  });

  // Success: the swapped region usually says what changed; when it does not, a toast does.
  document.addEventListener("htmx:afterSwap", function (event) {
    var elt = event.detail.elt;
    var xhr = event.detail.xhr;
    var verb = event.detail.requestConfig && event.detail.requestConfig.verb;
    if (!elt || verb === "get" || (xhr && xhr.status >= 400)) return;
    var message = elt.getAttribute("data-done");
    // Only what a person sent (a form, a button), not the editor's live preview.
    if (!message && elt.tagName !== "FORM" && elt.tagName !== "BUTTON") return;
    var target = event.detail.target;
    var region = target && (document.contains(target) ? target : target.id && document.getElementById(target.id));
    var said = region && region.querySelector("[role=status], [role=alert]");
    if (message || !said || !said.textContent.trim()) toast(message || gettext("Done."));
  });
})();
