// Live comments on a post page (comments/_live.html). Loaded as a file: the CSP forbids
// inline script. htmx's ws extension owns the socket and swaps the fragments the server
// sends; this file adds what the extension cannot know about comments:
//
// 1. Catch-up: the post's live events are numbered (a sequence per post). The page says
//    the number it was rendered at (data-live-seq on the live root, also on a page served
//    from the cache); each event frame carries its own (#live-seq). Every (re)connect asks
//    for the events after the last number seen (?since=<seq>), edits and removals
//    included; a repeated number is dropped; a gap asks the server for a replay. A page
//    without data-live-seq (rendered before numbering) falls back to ?after=<largest id>.
// 2. No duplicates: a comment can arrive twice (the poster's own form response and the
//    broadcast; a held comment and then its approval; a replay overlapping a broadcast).
//    When a new comment's article is already on the page, it is replaced in place
//    instead of being appended again.
// 3. Screen readers hear about new comments through a polite live region.
// 4. The live status says when the socket is reconnecting or gave up.
// 5. Paged threads (the page shows the first threads; "Load more comments" brings the
//    rest): a new top-level comment goes at the top when the reader sorts newest first,
//    at the end when oldest first and the last page is loaded, and otherwise is counted on
//    the "Load more comments" button (it arrives with the last page). A reply to a thread
//    the page does not show yet is left for that thread to bring.
(function () {
  "use strict";

  // The JavaScript catalog (/<lang>/jsi18n/) defines these; English if it failed to load.
  var gettext = window.gettext || function (s) { return s; };
  var ngettext = window.ngettext || function (s, p, n) { return n === 1 ? s : p; };
  var interpolate = window.interpolate || function (f, o, named) {
    return named ? f.replace(/%\(\w+\)s/g, function (m) { return String(o[m.slice(2, -2)]); }) : f;
  };

  var htmx = window.htmx;
  if (!htmx) return;

  var POST_SOCKET = /\/ws\/posts\/\d+\/?(\?|$)/;
  // A burst of comments (a replay after a reconnect) is announced once, not one by one.
  var ANNOUNCE_DELAY_MS = 1500;

  function liveRoot() {
    return document.querySelector("[data-live-root]");
  }

  // The last event number this page has, or null when the page predates numbering.
  function lastSeq() {
    var root = liveRoot();
    var value = root ? root.getAttribute("data-live-seq") : null;
    if (value === null || value === "") return null;
    var seq = parseInt(value, 10);
    return isNaN(seq) ? null : seq;
  }

  function setLastSeq(seq) {
    var root = liveRoot();
    if (root) root.setAttribute("data-live-seq", String(seq));
  }

  function largestCommentId() {
    // The page may show only some threads: the server says which comment was the newest
    // when it rendered (data-live-after), and the catch-up starts after that.
    var root = document.querySelector("[data-live-root][data-live-after]");
    var largest = root ? parseInt(root.getAttribute("data-live-after"), 10) || 0 : 0;
    document.querySelectorAll("[data-comment-id]").forEach(function (element) {
      var id = parseInt(element.getAttribute("data-comment-id"), 10);
      if (id > largest) largest = id;
    });
    return largest;
  }

  // --- 1. Catch-up on every connect --------------------------------------------------
  // The extension builds each socket (first connect and every retry) through
  // htmx.createWebSocket(url), with the URL fixed when the element was processed; this
  // wrapper adds the current ?after= each time.
  var createWebSocket =
    htmx.createWebSocket ||
    function (url) {
      var socket = new WebSocket(url, []);
      socket.binaryType = htmx.config.wsBinaryType;
      return socket;
    };
  htmx.createWebSocket = function (url) {
    if (POST_SOCKET.test(url)) {
      var withCatchUp = new URL(url, window.location.href);
      var since = lastSeq();
      var after = largestCommentId();
      if (since !== null) {
        withCatchUp.searchParams.set("since", String(since));
      } else if (after > 0) {
        withCatchUp.searchParams.set("after", String(after)); // deprecated, pre-numbering pages
      }
      url = withCatchUp.toString();
    }
    return createWebSocket(url);
  };

  // Each numbered frame: drop a repeat, ask for a replay on a gap, else note its number.
  // Registered before the listeners below, so a frame they decline is still counted.
  var replayAskedFrom = null;
  document.body.addEventListener("htmx:wsBeforeMessage", function (event) {
    var message = event.detail.message;
    if (typeof message !== "string" || message.indexOf('id="live-seq"') === -1) return;
    var template = document.createElement("template");
    template.innerHTML = message;
    var marker = template.content.querySelector("#live-seq[data-live-seq]");
    if (!marker) return;
    var seq = parseInt(marker.getAttribute("data-live-seq"), 10);
    var last = lastSeq();
    if (isNaN(seq)) return;
    if (marker.hasAttribute("data-live-reset") || last === null) {
      setLastSeq(seq); // a reload notice (the server goes on from here), or no number yet
      return;
    }
    if (seq <= last) {
      event.preventDefault(); // already shown: a replay overlapping the live stream
      return;
    }
    if (seq > last + 1) {
      // Numbers in between never came: ask for everything after the last one we have
      // (this one included), once per gap.
      event.preventDefault();
      var socket = event.detail.socketWrapper;
      if (socket && replayAskedFrom !== last) {
        replayAskedFrom = last;
        socket.send(JSON.stringify({ type: "replay", since: last }));
      }
      return;
    }
    setLastSeq(seq);
    // A number alone (an event this reader may not see): nothing to swap in.
    if (template.content.children.length === 1) event.preventDefault();
  });

  // --- 2. No duplicates ----------------------------------------------------------------
  // New comments come as <div hx-swap-oob="beforeend:#comment-list|#replies-N"><li
  // id="comment-item-N"><article id="comment-N">…; every oob swap, from the socket or from
  // an htmx form response, passes through htmx:oobBeforeSwap with the <li>s to append.
  document.body.addEventListener("htmx:oobBeforeSwap", function (event) {
    var fragment = event.detail.fragment;
    if (!fragment || !fragment.querySelectorAll) return;
    var items = Array.prototype.filter.call(fragment.children || [], function (child) {
      return /^comment-item-\d+$/.test(child.id || "");
    });
    items.forEach(function (item) {
      var article = item.querySelector("article[data-comment-id]");
      var existing = article && document.getElementById(article.id);
      if (!existing) return;
      // Already shown: refresh the article (an approval drops the "awaiting" badge) and keep
      // its replies list where it is.
      existing.replaceWith(article);
      htmx.process(article);
      item.remove();
    });
    // 5. Newest first: a new thread goes at the top of the list, not at the end.
    var list = event.detail.target;
    if (list && list.id === "comment-list" && list.getAttribute("data-order") === "newest") {
      Array.prototype.slice.call(fragment.children).forEach(function (child) {
        if (!/^comment-item-\d+$/.test(child.id || "")) return;
        list.insertBefore(child, list.firstChild);
        htmx.process(child);
      });
    }
    if (items.length && !fragment.children.length) event.detail.shouldSwap = false;
  });

  // A thread the reader placed early (their own new comment) can come again with a later
  // page of threads: keep the copy the page put in order, the last one.
  document.body.addEventListener("htmx:afterSwap", function () {
    var list = document.getElementById("comment-list");
    if (!list) return;
    var seen = {};
    var items = list.querySelectorAll(":scope > li[id^='comment-item-']");
    for (var i = items.length - 1; i >= 0; i--) {
      if (seen[items[i].id]) items[i].remove();
      else seen[items[i].id] = true;
    }
  });

  // --- 5. Where a new comment from the socket goes on a paged list ----------------------
  // True when the page shows the place a new top-level comment belongs.
  function showsNewThreads(list) {
    if (list.hasAttribute("data-later-page")) return false;
    if (list.getAttribute("data-order") === "newest") return true;
    return !document.getElementById("comment-more");
  }

  function countWaiting() {
    var note = document.querySelector("#comment-more [data-new-comments]");
    if (!note) return;
    var waiting = (parseInt(note.getAttribute("data-count"), 10) || 0) + 1;
    note.setAttribute("data-count", String(waiting));
    note.textContent =
      " " + interpolate(ngettext("(%(count)s new)", "(%(count)s new)", waiting), { count: waiting }, true);
    note.hidden = false;
  }

  // Decide before htmx swaps (returning false drops the message): a new comment whose
  // place is not on this page is counted or left for later instead of being misplaced.
  function placeable(message) {
    var template = document.createElement("template");
    template.innerHTML = message;
    // The event's own element, after the number marker (#live-seq) it may start with.
    var wrapper = Array.prototype.filter.call(template.content.children, function (child) {
      return child.id !== "live-seq";
    })[0];
    var placement = wrapper ? wrapper.getAttribute("hx-swap-oob") || "" : "";
    if (placement.indexOf("beforeend:") !== 0) return true;
    var article = wrapper.querySelector("article[data-comment-id]");
    if (!article || document.getElementById(article.id)) return true; // a refresh in place
    var target = document.querySelector(placement.slice("beforeend:".length));
    if (!target) return false; // a reply in a thread this page does not show
    if (target.id === "comment-list" && !showsNewThreads(target)) {
      countWaiting();
      return false;
    }
    return true;
  }

  document.body.addEventListener("htmx:wsBeforeMessage", function (event) {
    if (event.defaultPrevented) return; // a repeat or a number alone (1. above)
    if (!placeable(event.detail.message)) event.preventDefault();
  });

  // --- 3. Announce new comments ----------------------------------------------------------
  var announcer = null;
  var waiting = [];
  var timer = null;

  function announce() {
    timer = null;
    if (!announcer || !waiting.length) return;
    var text;
    if (waiting.length > 1) {
      text = interpolate(
        ngettext("%(count)s new comment.", "%(count)s new comments.", waiting.length),
        { count: waiting.length },
        true
      );
    } else if (waiting[0]) {
      text = interpolate(gettext("New comment from @%(author)s."), { author: waiting[0] }, true);
    } else {
      text = gettext("New comment.");
    }
    waiting = [];
    // Clearing first makes screen readers announce the same sentence twice in a row.
    announcer.textContent = "";
    window.setTimeout(function () {
      announcer.textContent = text;
    }, 50);
  }

  document.body.addEventListener("htmx:wsBeforeMessage", function (event) {
    if (event.defaultPrevented) return; // not shown on this page (5. below)
    announcer = document.getElementById("comments-announcer");
    if (!announcer) return;
    var template = document.createElement("template");
    template.innerHTML = event.detail.message;
    template.content.querySelectorAll("[hx-swap-oob^='beforeend'] article[data-comment-id]").forEach(
      function (article) {
        if (!document.getElementById(article.id)) waiting.push(article.getAttribute("data-author"));
      }
    );
    if (waiting.length && timer === null) timer = window.setTimeout(announce, ANNOUNCE_DELAY_MS);
  });

  // --- 4. Live status ------------------------------------------------------------------
  // The server sends a fresh "Live" badge on every accepted connect; until then, and after a
  // drop, the badge says what is going on. The extension retries only on 1006/1011/1012/1013;
  // the server's own close codes (4400/4401/4404) mean it will not.
  function setStatus(state, text) {
    var status = document.getElementById("live-status");
    if (!status) return;
    status.dataset.live = state;
    status.lastChild.textContent = text;
  }

  var opened = false;
  document.body.addEventListener("htmx:wsConnecting", function () {
    if (opened) setStatus("reconnecting", gettext("Reconnecting…"));
  });
  document.body.addEventListener("htmx:wsOpen", function () {
    opened = true;
  });
  document.body.addEventListener("htmx:wsClose", function (event) {
    var code = event.detail && event.detail.event ? event.detail.event.code : 0;
    if (code >= 4000) {
      setStatus("closed", gettext("Live updates are not available for this page."));
    } else if (opened) {
      setStatus("reconnecting", gettext("Reconnecting…"));
    }
  });
})();
