// Inkwell's small amount of page behaviour. Loaded as a file: the CSP forbids inline script.
(function () {
  "use strict";

  // The JavaScript catalog (/<lang>/jsi18n/) defines these; English if it failed to load.
  var gettext = window.gettext || function (s) { return s; };

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
    // Under a minute: "just now", as the server writes it (Intl would say "now", or
    // "0 minutes ago" with numeric: "always").
    if (Math.abs(seconds) < 60) return gettext("just now");
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

  // Sharing a post: the share-intent links work everywhere; these two buttons need a script,
  // so they stay hidden until it runs, and Share… only where the browser has the Web Share API.
  function showShareButtons(root) {
    var copies = (root || document).querySelectorAll("[data-copy-link]");
    for (var i = 0; i < copies.length; i++) {
      if (navigator.clipboard) copies[i].classList.remove("hidden");
    }
    var shares = (root || document).querySelectorAll("[data-web-share]");
    for (var j = 0; j < shares.length; j++) {
      if (navigator.share) shares[j].classList.remove("hidden");
    }
  }

  function announce(button, text) {
    var status = button.parentNode.querySelector("[data-copy-status]");
    if (status) status.textContent = text;
  }

  document.addEventListener("click", function (event) {
    var copy = event.target.closest("[data-copy-link]");
    if (copy) {
      navigator.clipboard.writeText(copy.getAttribute("data-copy-link")).then(function () {
        copy.textContent = gettext("Link copied");
        announce(copy, gettext("Link copied to the clipboard."));
        window.setTimeout(function () { copy.textContent = gettext("Copy link"); }, 2500);
      }, function () {
        announce(copy, gettext("Could not copy the link; copy it from the address bar."));
      });
      return;
    }
    var share = event.target.closest("[data-web-share]");
    if (share && navigator.share) {
      navigator.share({
        title: share.getAttribute("data-share-title"),
        url: share.getAttribute("data-share-url")
      }).catch(function () { /* the reader closed the share sheet */ });
    }
  });

  document.addEventListener("DOMContentLoaded", function () { showShareButtons(); });

  // Live status: show when the post's socket drops, until the ws extension reconnects
  // (it retries with backoff; the server sends a fresh "Live" badge on every connect).
  document.addEventListener("htmx:wsClose", function () {
    var status = document.getElementById("live-status");
    if (status) {
      status.dataset.live = "reconnecting";
      status.lastChild.textContent = gettext("Reconnecting…");
    }
  });
})();
