// Inkwell analytics: one beacon per page view. No cookies, no storage, nothing about the reader.
(function () {
  "use strict";
  var script = document.currentScript, nav = navigator, last = "";
  var endpoint = script && script.getAttribute("data-endpoint");
  if (!endpoint || !nav.sendBeacon) return;
  if (nav.doNotTrack === "1" || nav.globalPrivacyControl) return;
  function send() {
    if (location.href === last) return;
    last = location.href;
    nav.sendBeacon(endpoint, JSON.stringify({ u: last, r: document.referrer }));
  }
  send();
  // A page restored from the back/forward cache, or swapped in by htmx, is another view.
  addEventListener("pageshow", function (e) { if (e.persisted) { last = ""; send(); } });
  document.addEventListener("htmx:pushedIntoHistory", send);
})();
