// The header bell's dropdown. Loaded as a file: the CSP forbids inline script.
// The socket (htmx's ws extension, ws-connect on #notification-bell) swaps the badge, the
// newest item and the screen-reader announcement in out of band; this file only opens and
// closes the menu and keeps the list at its size.
(function () {
  "use strict";

  if (window.inkwellNotifications) return; // the bell may be rendered more than once
  window.inkwellNotifications = true;

  function parts() {
    var bell = document.querySelector("[data-notification-bell]");
    if (!bell) return null;
    return {
      bell: bell,
      button: bell.querySelector("[data-notification-toggle]"),
      menu: document.getElementById("notification-menu"),
    };
  }

  function links(menu) {
    return Array.prototype.slice.call(menu.querySelectorAll("a[href]"));
  }

  function setOpen(p, open, focusButton) {
    p.menu.hidden = !open;
    p.button.setAttribute("aria-expanded", open ? "true" : "false");
    if (!open && focusButton) p.button.focus();
  }

  document.addEventListener("click", function (event) {
    var p = parts();
    if (!p || !p.button || !p.menu) return;
    if (event.target.closest("[data-notification-toggle]")) {
      setOpen(p, p.menu.hidden, false);
    } else if (!p.menu.hidden && !p.bell.contains(event.target)) {
      setOpen(p, false, false);
    }
  });

  document.addEventListener("keydown", function (event) {
    var p = parts();
    if (!p || !p.button || !p.menu || p.menu.hidden) return;
    if (!p.bell.contains(document.activeElement)) return;
    var items = links(p.menu);
    var index = items.indexOf(document.activeElement);
    if (event.key === "Escape") {
      event.preventDefault();
      setOpen(p, false, true);
    } else if (event.key === "ArrowDown" && items.length) {
      event.preventDefault();
      items[(index + 1) % items.length].focus();
    } else if (event.key === "ArrowUp" && items.length) {
      event.preventDefault();
      items[(index - 1 + items.length) % items.length].focus();
    }
  });

  // Closing when focus leaves the bell (Tab past the last link) keeps the menu from
  // hiding the page for keyboard users.
  document.addEventListener("focusin", function (event) {
    var p = parts();
    if (p && p.menu && !p.menu.hidden && !p.bell.contains(event.target)) setOpen(p, false, false);
  });

  // After the socket delivered something: keep the newest few items, hide the empty note.
  document.addEventListener("htmx:wsAfterMessage", function () {
    var list = document.getElementById("notification-menu-list");
    if (!list) return;
    var limit = parseInt(list.dataset.limit || "5", 10);
    while (list.children.length > limit) list.removeChild(list.lastElementChild);
    var empty = document.getElementById("notification-menu-empty");
    if (empty) empty.hidden = list.children.length > 0;
  });
})();
