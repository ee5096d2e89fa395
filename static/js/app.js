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
