// Inkwell's small amount of page behaviour. Loaded as a file: the CSP forbids inline script.
(function () {
  "use strict";

  // Dismissible flash messages.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-dismiss]");
    if (button) {
      var flash = button.closest("[data-flash]");
      if (flash) flash.remove();
    }
  });

  // Relative times ("5 minutes ago"). The server writes the date itself, because a page can
  // be served from the page cache long after it was rendered; the reader's clock says how
  // long ago that was, in their language, and keeps saying it while the page stays open.
  var relative = window.Intl && Intl.RelativeTimeFormat
    ? new Intl.RelativeTimeFormat(document.documentElement.lang || undefined, { numeric: "auto" })
    : null;
  var steps = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400],
    ["hour", 3600], ["minute", 60]];

  function ago(when) {
    var seconds = (when.getTime() - Date.now()) / 1000;
    if (Math.abs(seconds) < 60) return relative.format(0, "second"); // "now"
    for (var i = 0; i < steps.length; i++) {
      if (Math.abs(seconds) >= steps[i][1]) {
        return relative.format(Math.round(seconds / steps[i][1]), steps[i][0]);
      }
    }
    return relative.format(Math.round(seconds / 60), "minute");
  }

  function showRelativeTimes(root) {
    if (!relative) return;
    var times = (root || document).querySelectorAll("time[data-relative][datetime]");
    for (var i = 0; i < times.length; i++) {
      var when = new Date(times[i].getAttribute("datetime"));
      if (!isNaN(when.getTime())) times[i].textContent = ago(when);
    }
  }

  document.addEventListener("DOMContentLoaded", function () { showRelativeTimes(); });
  document.addEventListener("htmx:load", function (event) { showRelativeTimes(event.target); });
  // Comments that arrive over the socket are swapped in by the ws extension.
  document.addEventListener("htmx:wsAfterMessage", function () { showRelativeTimes(); });
  window.setInterval(showRelativeTimes, 60000);

  // Live status: show when the post's socket drops, until the ws extension reconnects
  // (it retries with backoff; the server sends a fresh "Live" badge on every connect).
  document.addEventListener("htmx:wsClose", function () {
    var status = document.getElementById("live-status");
    if (status) {
      status.dataset.live = "reconnecting";
      status.lastChild.textContent = "Reconnecting…";
    }
  });
})();
