// The post editor: autosave with a copy in this browser, conflicts, the preview toggle,
// the formatting toolbar and its shortcuts, word count, distraction-free mode, the settings
// panel, image uploads, character counters and time zones.
//
// The settings panel sits outside <form id="post-form">: its inputs carry form="post-form",
// so `form.elements`, FormData and a plain submit include them. Never look for the form's
// fields with form.querySelector: use field(), elementsOf() or belongs().
//
// Loaded only on the editor page, as a file (the CSP forbids inline script). htmx is
// loaded after this file, so it is looked up when needed, never while this file runs.
(function () {
  "use strict";

  // The JavaScript catalog (/<lang>/jsi18n/) defines these; English if it failed to load.
  var gettext = window.gettext || function (s) { return s; };
  var ngettext = window.ngettext || function (s, p, n) { return n === 1 ? s : p; };
  var interpolate = window.interpolate || function (f, o, named) {
    return named ? f.replace(/%\(\w+\)s/g, function (m) { return String(o[m.slice(2, -2)]); }) : f;
  };

  var AUTOSAVE_DELAY = 2000; // after the last keystroke
  var AUTOSAVE_MAX_WAIT = 20000; // someone typing without pause still gets saved
  var RETRY_DELAYS = [3000, 10000, 30000, 60000];
  var STORAGE_PREFIX = "inkwell:editor:";
  var PREVIEW_PREFERENCE = STORAGE_PREFIX + "preview";
  // Not part of what the author wrote: bookkeeping, and files (they go up only on Save).
  var BOOKKEEPING = {
    csrfmiddlewaretoken: true,
    version: true,
    overwrite_version: true,
    draft_key: true,
    cover_image: true,
  };

  var state = {
    dirty: false,
    dirtySince: 0,
    conflict: false,
    pending: null, // "auto" or "manual": the save to retry when the connection is back
    retries: 0,
    chain: Promise.resolve(),
    timers: {},
    bodyTouched: false,
    coverPending: false, // a cover file is chosen; only an explicit save uploads it
    previewStale: false,
    leaving: false,
  };

  // ------------------------------------------------------------------
  // Small helpers
  // ------------------------------------------------------------------

  function form() {
    return document.getElementById("post-form");
  }

  function field(name) {
    var f = form();
    return f ? f.elements.namedItem(name) : null;
  }

  // The form's own inputs and those that name it with a form attribute.
  function elementsOf(f) {
    return Array.prototype.slice.call(f.elements);
  }

  function belongs(f, el) {
    return !!el && (el.form === f || f.contains(el));
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function later(name, delay, callback) {
    clearTimeout(state.timers[name]);
    state.timers[name] = setTimeout(callback, delay);
  }

  function each(root, selector, callback) {
    Array.prototype.forEach.call(root.querySelectorAll(selector), callback);
  }

  // The author's values: name → list of strings (checkbox lists have several).
  function values(f) {
    var result = {};
    Array.prototype.forEach.call(f.elements, function (el) {
      if (!el.name || BOOKKEEPING[el.name] || el.type === "file") return;
      if (el.type === "submit" || el.type === "button") return;
      var list = result[el.name] || (result[el.name] = []);
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) return;
      list.push(el.value);
    });
    return result;
  }

  function sameValue(a, b) {
    return JSON.stringify(a || []) === JSON.stringify(b || []);
  }

  function changedNames(before, after) {
    var names = {};
    Object.keys(after).forEach(function (name) {
      if (!sameValue(before[name], after[name])) names[name] = true;
    });
    return names;
  }

  // Put values back into the form; with `only`, just those names.
  function apply(f, vals, only) {
    Object.keys(vals).forEach(function (name) {
      if (only && !only[name]) return;
      elementsOf(f).filter(function (el) {
        return el.name === name;
      }).forEach(function (el) {
        if (el.type === "checkbox" || el.type === "radio") {
          el.checked = vals[name].indexOf(el.value) !== -1;
        } else if (el.type !== "file") {
          el.value = vals[name][0] || "";
        }
      });
    });
  }

  function setStatus(name, text) {
    var status = document.getElementById("save-status");
    if (!status) return;
    status.dataset.state = name;
    var label = status.querySelector("[data-status-text]");
    if (label && text) label.textContent = text;
  }

  function swap(selector, html) {
    window.htmx.swap(selector, html, { swapStyle: "outerHTML", swapDelay: 0, settleDelay: 0 });
    enhance(document);
  }

  function send(url, data) {
    return fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      // HX-Request: the server answers with the page region, not the whole page.
      headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" },
    });
  }

  // ------------------------------------------------------------------
  // The copy kept in this browser (localStorage), keyed by post and version
  // ------------------------------------------------------------------

  function storagePrefix(f) {
    return f.dataset.postId
      ? STORAGE_PREFIX + "post:" + f.dataset.postId + ":v"
      : STORAGE_PREFIX + "new:";
  }

  function storageKey(f) {
    var version = field("version");
    return (
      storagePrefix(f) + (f.dataset.postId ? (version && version.value) || "0" : f.dataset.draftKey)
    );
  }

  function storeLocal() {
    var f = form();
    if (!f) return;
    var version = field("version");
    try {
      localStorage.setItem(
        storageKey(f),
        JSON.stringify({
          at: Date.now(),
          version: version ? version.value : "",
          values: values(f),
        })
      );
    } catch (e) {
      // Storage full or switched off: the server's copy is all there is.
    }
  }

  function dropLocal(key) {
    try {
      localStorage.removeItem(key);
    } catch (e) {
      /* nothing stored */
    }
  }

  function localCopies(prefix) {
    var copies = [];
    try {
      for (var i = 0; i < localStorage.length; i++) {
        var key = localStorage.key(i);
        if (key && key.indexOf(prefix) === 0) {
          var copy = JSON.parse(localStorage.getItem(key));
          if (copy && copy.values) {
            copy.key = key;
            copies.push(copy);
          }
        }
      }
    } catch (e) {
      return [];
    }
    return copies.sort(function (a, b) {
      return b.at - a.at;
    });
  }

  function dropAllLocal(f) {
    localCopies(storagePrefix(f)).forEach(function (copy) {
      dropLocal(copy.key);
    });
  }

  // On load: a copy newer than the server's, and different from it, is offered back.
  function offerLocalCopy(f) {
    var banner = document.getElementById("editor-restore");
    var copy = localCopies(storagePrefix(f))[0];
    if (!banner || !copy) return;
    if (Object.keys(changedNames(values(f), copy.values)).length === 0) {
      dropLocal(copy.key);
      return;
    }
    if (f.dataset.postId && copy.at <= Number(f.dataset.serverSaved || 0)) return;
    var when = new Date(copy.at).toLocaleString([], {
      month: "short",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
    });
    var current = field("version");
    var detail = interpolate(
      gettext("Changes typed on %(when)s were not saved to the server."),
      { when: when },
      true
    );
    if (f.dataset.postId && current && copy.version && copy.version !== current.value) {
      detail +=
        " " +
        interpolate(
          gettext("They were based on version %(copy_version)s and the post is now at version %(current_version)s: saving them will show you both versions first."),
          { copy_version: copy.version, current_version: current.value },
          true
        );
    }
    banner.querySelector("[data-restore-detail]").textContent = detail;
    banner.hidden = false;
    banner.dataset.key = copy.key;
    banner.focus();
  }

  function restoreLocal(accept) {
    var banner = document.getElementById("editor-restore");
    var f = form();
    if (!banner || !f) return;
    var key = banner.dataset.key;
    banner.hidden = true;
    if (!accept) {
      dropLocal(key);
      return;
    }
    var copy = null;
    try {
      copy = JSON.parse(localStorage.getItem(key));
    } catch (e) {
      return;
    }
    if (!copy) return;
    apply(f, copy.values);
    // Save from the version the copy started from: if the post moved on since, the
    // server refuses and shows both versions rather than overwriting silently.
    var version = field("version");
    if (f.dataset.postId && version && copy.version) version.value = copy.version;
    dropLocal(key);
    refresh(f);
    var body = field("body");
    if (body) body.dispatchEvent(new Event("input", { bubbles: true }));
  }

  // ------------------------------------------------------------------
  // Saving
  // ------------------------------------------------------------------

  function markDirty() {
    if (!state.dirty) state.dirtySince = Date.now();
    state.dirty = true;
    if (!state.conflict && !state.pending) setStatus("dirty", gettext("Unsaved changes"));
    later("store", 300, storeLocal);
    scheduleAutosave();
  }

  function scheduleAutosave() {
    if (state.conflict) return;
    var waited = Date.now() - state.dirtySince;
    later("autosave", waited > AUTOSAVE_MAX_WAIT ? 0 : AUTOSAVE_DELAY, function () {
      save("auto");
    });
  }

  // Saves run one after another, so a new post can only be created once.
  function save(kind, submitter) {
    clearTimeout(state.timers.autosave);
    var run = state.chain.then(function () {
      return kind === "manual" ? manualSave(submitter) : autoSave();
    });
    state.chain = run.catch(function () {
      return false;
    });
    return run;
  }

  function offline(kind, text) {
    state.pending = state.pending === "manual" ? "manual" : kind;
    setStatus("offline", text || gettext("Not saved — offline, will retry"));
    var delay = RETRY_DELAYS[Math.min(state.retries, RETRY_DELAYS.length - 1)];
    state.retries += 1;
    later("retry", delay, retry);
  }

  function retry() {
    var kind = state.pending || (state.dirty ? "auto" : null);
    state.pending = null;
    if (kind) save(kind);
  }

  // Answers every save can get that are not the page region: signed out, refused, broken.
  function trouble(response, kind) {
    var redirect = response.headers.get("HX-Redirect");
    if (redirect && redirect.indexOf("/dashboard/") !== 0) {
      setStatus("error", gettext("Not saved — you were signed out. Your text is kept in this browser; sign in again in another tab, then press Save."));
      return true;
    }
    if (response.status >= 500) {
      offline(kind, gettext("Not saved — the server had a problem, will retry"));
      return true;
    }
    if (response.status === 403) {
      setStatus("error", gettext("Not saved — you may not edit this post, or the page is too old. Your text is kept in this browser; reload the page."));
      return true;
    }
    // 200 saved, 409 conflict and 422 invalid come with the page region to show.
    if ([200, 409, 422].indexOf(response.status) === -1) {
      setStatus(
        "error",
        interpolate(
          gettext("Not saved — the server did not accept this save (%(status)s). Your text is kept in this browser."),
          { status: response.status },
          true
        )
      );
      return true;
    }
    return false;
  }

  function autoSave() {
    var f = form();
    if (!f || !state.dirty || state.conflict) return Promise.resolve(!state.dirty);
    var title = field("title");
    var body = field("body");
    // A new post is created by its first save: wait until there is something to create.
    if (!f.dataset.postId && !(title && title.value.trim() && body && body.value.trim())) {
      setStatus("new", gettext("Not saved yet: it saves itself once it has a title and some text."));
      return Promise.resolve(false);
    }
    if (navigator.onLine === false) {
      offline("auto");
      return Promise.resolve(false);
    }
    var sent = values(f);
    var oldKey = storageKey(f);
    var data = new FormData(f);
    data.delete("cover_image");
    setStatus("saving", gettext("Saving…"));
    return send(f.dataset.autosaveUrl, data).then(
      function (response) {
        if (trouble(response, "auto")) return false;
        return response.text().then(function (html) {
          swap("#save-status", html);
          state.retries = 0;
          if (response.ok) {
            afterSave(sent, oldKey);
            return true;
          }
          if (response.status === 409) showConflict();
          return false;
        });
      },
      function () {
        offline("auto");
        return false;
      }
    );
  }

  function manualSave(submitter) {
    var f = form();
    if (!f) return Promise.resolve(false);
    storeLocal();
    if (navigator.onLine === false) {
      offline("manual");
      return Promise.resolve(false);
    }
    var sent = values(f);
    var oldKey = storageKey(f);
    var data = new FormData(f);
    if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    setStatus("saving", gettext("Saving…"));
    return send(f.getAttribute("action"), data).then(
      function (response) {
        var redirect = response.headers.get("HX-Redirect");
        if (redirect && redirect.indexOf("/dashboard/posts/") === 0) {
          // A new post was created: carry on on its edit page.
          dropAllLocal(f);
          state.dirty = false;
          state.leaving = true;
          window.location.assign(redirect);
          return true;
        }
        if (trouble(response, "manual")) return false;
        return response.text().then(function (html) {
          state.retries = 0;
          var live = values(f);
          var body = field("body");
          var scroll = body ? body.scrollTop : 0;
          swap("#editor-form", html);
          var fresh = form();
          // Keystrokes typed while the save was on its way go back in.
          var typed = changedNames(sent, live);
          apply(fresh, live, typed);
          var newBody = field("body");
          if (newBody) newBody.scrollTop = scroll;
          refresh(fresh);
          if (response.ok) {
            state.conflict = false;
            state.coverPending = false;
            dropLocal(oldKey);
            state.dirty = Object.keys(typed).length > 0;
            if (state.dirty) markDirty();
            return true;
          }
          if (response.status === 409) {
            showConflict();
          } else {
            var invalid = elementsOf(fresh).filter(function (el) {
              return el.getAttribute("aria-invalid") === "true";
            })[0];
            if (invalid) invalid.focus();
          }
          return false;
        });
      },
      function () {
        offline("manual");
        return false;
      }
    );
  }

  function afterSave(sent, oldKey) {
    var f = form();
    var status = document.getElementById("save-status");
    if (!f || !status) return;
    if (status.dataset.postId && !f.dataset.postId) becomePost(f, status);
    f.dataset.currentSlug = status.dataset.slug || f.dataset.currentSlug || "";
    updateSlug(f);
    dropLocal(oldKey);
    state.conflict = false;
    var typed = changedNames(sent, values(f));
    if (Object.keys(typed).length === 0) {
      state.dirty = false;
      state.dirtySince = 0;
    } else {
      // Typed during the save: keep the copy under the new version, and save again.
      state.dirtySince = Date.now();
      storeLocal();
      scheduleAutosave();
    }
  }

  // The first save created the post: from now on this is its edit page.
  function becomePost(f, status) {
    dropAllLocal(f);
    f.dataset.postId = status.dataset.postId;
    f.dataset.autosaveUrl = status.dataset.autosaveUrl;
    f.dataset.uploadUrl = status.dataset.uploadUrl;
    f.dataset.editUrl = status.dataset.editUrl;
    f.setAttribute("action", status.dataset.editUrl);
    var key = field("draft_key");
    if (key) key.remove();
    var button = f.querySelector("[data-save-button]");
    if (button) button.textContent = gettext("Save");
    if (window.history && window.history.replaceState) {
      window.history.replaceState(window.history.state, "", status.dataset.editUrl);
    }
  }

  function showConflict() {
    state.conflict = true;
    var heading = document.getElementById("conflict-heading");
    if (heading) {
      heading.scrollIntoView({ block: "start" });
      heading.focus({ preventScroll: true });
    }
  }

  // ------------------------------------------------------------------
  // Preview toggle
  // ------------------------------------------------------------------

  function setPreview(show, remember) {
    var pane = document.getElementById("editor-preview-pane");
    var panes = document.querySelector("[data-editor-panes]");
    var button = document.querySelector("[data-preview-toggle]");
    if (!pane) return;
    pane.hidden = !show;
    if (panes) panes.dataset.preview = show ? "on" : "off";
    if (button) button.setAttribute("aria-pressed", String(show));
    if (remember) {
      try {
        localStorage.setItem(PREVIEW_PREFERENCE, show ? "on" : "off");
      } catch (e) {
        /* not remembered */
      }
    }
  }

  function togglePreview() {
    var pane = document.getElementById("editor-preview-pane");
    if (pane) setPreview(pane.hidden, true);
  }

  function previewPreference() {
    try {
      return localStorage.getItem(PREVIEW_PREFERENCE) !== "off";
    } catch (e) {
      return true;
    }
  }

  // ------------------------------------------------------------------
  // Address (slug), counters, search snippet, time zones
  // ------------------------------------------------------------------

  // The same steps as django.utils.text.slugify.
  function slugify(text) {
    return text
      .normalize("NFKD")
      .replace(/[^\x00-\x7F]/g, "")
      .toLowerCase()
      .replace(/[^\w\s-]/g, "")
      .replace(/[-\s]+/g, "-")
      .replace(/^[-_]+|[-_]+$/g, "");
  }

  // The address the next save gives the post. An empty field keeps a public address and
  // otherwise follows the title (the server adds -2, -3… when the title's is taken).
  function addressFor(f) {
    var slug = field("slug");
    var title = field("title");
    var wanted = slugify(slug ? slug.value : "");
    var current = f.dataset.currentSlug || "";
    if (wanted) return wanted;
    if (f.dataset.publicAddress === "true") return current;
    var base = slugify(title ? title.value : "");
    if (current && (current === base || new RegExp("^" + base + "-\\d+$").test(current))) return current;
    return base || current;
  }

  function updateSlug(f) {
    var out = document.querySelector("[data-slug-preview]");
    if (out) out.textContent = addressFor(f) || "…";
  }

  function updateCounter(input) {
    var out = document.querySelector('[data-counter-for="' + input.id + '"]');
    if (!out) return;
    var max = Number(out.dataset.max);
    var count = input.value.length;
    out.textContent = count + "/" + max;
    out.dataset.level = count > max ? "over" : count >= max * 0.9 ? "near" : "ok";
  }

  function updateSnippet(f) {
    var box = document.querySelector("[data-search-snippet]");
    if (!box) return;
    function value(name) {
      var el = field(name);
      return el ? el.value.trim() : "";
    }
    box.hidden = false;
    box.querySelector("[data-snippet-title]").textContent =
      value("seo_title") || value("title") || gettext("Untitled");
    box.querySelector("[data-snippet-description]").textContent =
      value("seo_description") || value("excerpt") || value("subtitle") || "";
    box.querySelector("[data-snippet-url]").textContent = (f.dataset.urlPrefix || "") + addressFor(f) + "/";
  }

  // How many milliseconds `zone` is ahead of UTC at `instant`.
  function zoneOffset(instant, zone) {
    var parts = {};
    new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    })
      .formatToParts(new Date(instant))
      .forEach(function (part) {
        parts[part.type] = Number(part.value);
      });
    var asUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour % 24, parts.minute, parts.second);
    return asUtc - Math.floor(instant / 1000) * 1000;
  }

  // A datetime-local value read as a wall-clock time in the site's zone → the instant.
  function siteInstant(value, zone) {
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value);
    if (!m) return null;
    var wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
    var guess = wall - zoneOffset(wall, zone);
    return new Date(wall - zoneOffset(guess, zone)); // second pass: the offset at that instant
  }

  function showReaderTime(input) {
    var out = document.querySelector('[data-local-time-for="' + input.id + '"]');
    if (!out) return;
    var zone = input.dataset.siteTime;
    var instant = input.value && zone ? siteInstant(input.value, zone) : null;
    if (!instant || isNaN(instant.getTime())) {
      out.textContent = "";
      return;
    }
    var mine = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var text =
      mine === zone
        ? gettext("That is your time zone too.")
        : interpolate(
            gettext("Your time: %(time)s (%(zone)s)."),
            {
              time: new Intl.DateTimeFormat([], {
                weekday: "short",
                month: "short",
                day: "numeric",
                hour: "2-digit",
                minute: "2-digit",
              }).format(instant),
              zone: mine,
            },
            true
          );
    if (instant.getTime() <= Date.now()) text += " " + gettext("That moment has passed.");
    out.textContent = text;
  }

  function localTimes(root) {
    var today = new Date().toDateString();
    each(root, "time[data-local-time]", function (el) {
      var moment = new Date(el.getAttribute("datetime"));
      if (isNaN(moment.getTime())) return;
      var options = { hour: "2-digit", minute: "2-digit" };
      if (moment.toDateString() !== today) {
        options.month = "short";
        options.day = "numeric";
      }
      el.textContent = new Intl.DateTimeFormat([], options).format(moment);
    });
  }

  // ------------------------------------------------------------------
  // Images into the body
  // ------------------------------------------------------------------

  function imageStatus(kind, text) {
    var out = document.querySelector("[data-image-status]");
    if (!out) return;
    out.dataset.state = kind;
    out.setAttribute("role", kind === "error" ? "alert" : "status");
    out.textContent = text;
  }

  function altFromName(name) {
    return name
      .replace(/\.[^.]+$/, "")
      .replace(/[-_]+/g, " ")
      .replace(/[\[\]]/g, "")
      .trim();
  }

  function insertAtCursor(textarea, text, select) {
    var start = state.bodyTouched ? textarea.selectionStart : textarea.value.length;
    var end = state.bodyTouched ? textarea.selectionEnd : textarea.value.length;
    var before = textarea.value.slice(0, start);
    var after = textarea.value.slice(end);
    var lead = !before || /\n\n$/.test(before) ? "" : /\n$/.test(before) ? "\n" : "\n\n";
    var tail = !after || /^\n/.test(after) ? "" : "\n\n";
    var insert = lead + text + tail;
    textarea.focus();
    textarea.setSelectionRange(start, end);
    // execCommand keeps the browser's undo history; where it is gone, set the value.
    var done = false;
    try {
      done = document.execCommand("insertText", false, insert);
    } catch (e) {
      done = false;
    }
    if (!done || textarea.value.slice(start, start + insert.length) !== insert) {
      textarea.value = before + insert + after;
    }
    var from = start + lead.length + select[0];
    textarea.setSelectionRange(from, from + select[1]);
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function uploadImage(file) {
    var f = form();
    var body = field("body");
    if (!f || !body || !file) return;
    if (navigator.onLine === false) {
      imageStatus("error", gettext("You are offline: the image could not be uploaded. Try again when the connection is back."));
      return;
    }
    imageStatus("busy", interpolate(gettext("Uploading %(name)s…"), { name: file.name }, true));
    var data = new FormData();
    data.append("image", file);
    data.append("alt", altFromName(file.name));
    fetch(f.dataset.uploadUrl, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken() },
    })
      .then(function (response) {
        return response.json().then(
          function (json) {
            return { ok: response.ok, status: response.status, json: json };
          },
          function () {
            return { ok: false, status: response.status, json: {} };
          }
        );
      })
      .then(function (result) {
        if (result.ok && result.json.markdown) {
          var alt = /^!\[([^\]]*)\]/.exec(result.json.markdown);
          insertAtCursor(body, result.json.markdown, [2, alt ? alt[1].length : 0]);
          imageStatus(
            "done",
            interpolate(
              gettext("Inserted %(name)s. The selected words describe it for people who cannot see it: type a better description."),
              { name: file.name },
              true
            )
          );
        } else {
          imageStatus(
            "error",
            result.json.error || interpolate(gettext("The upload failed (%(status)s)."), { status: result.status }, true)
          );
        }
      })
      .catch(function () {
        imageStatus("error", gettext("The upload failed: the connection dropped. Try again."));
      });
  }

  function imageFiles(list) {
    return Array.prototype.filter.call(list || [], function (file) {
      return file.kind === undefined || file.kind === "file";
    });
  }

  // ------------------------------------------------------------------
  // Formatting: Markdown written into the text (the browser's undo keeps working)
  // ------------------------------------------------------------------

  // Replace [start, end) of the textarea with `text`, then select [from, to).
  function replaceRange(textarea, start, end, text, from, to) {
    textarea.focus();
    textarea.setSelectionRange(start, end);
    var done = false;
    try {
      done = document.execCommand("insertText", false, text);
    } catch (e) {
      done = false;
    }
    if (!done || textarea.value.slice(start, start + text.length) !== text) {
      textarea.value = textarea.value.slice(0, start) + text + textarea.value.slice(end);
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
    }
    textarea.setSelectionRange(from, to);
  }

  // **bold**, *italic*, `code` around the selection (or a placeholder); again removes them.
  function wrapInline(textarea, marker, placeholder) {
    var value = textarea.value;
    var start = textarea.selectionStart;
    var end = textarea.selectionEnd;
    var selected = value.slice(start, end);
    var m = marker.length;
    if (value.slice(start - m, start) === marker && value.slice(end, end + m) === marker) {
      replaceRange(textarea, start - m, end + m, selected, start - m, end - m);
      return;
    }
    var lead = selected.trim() ? /^\s*/.exec(selected)[0] : "";
    var trail = selected.trim() ? /\s*$/.exec(selected)[0] : "";
    var inner = selected.trim() ? selected.slice(lead.length, selected.length - trail.length) : placeholder;
    var from = start + lead.length + m;
    replaceRange(textarea, start, end, lead + marker + inner + marker + trail, from, from + inner.length);
  }

  // Several lines of code become a fenced block on lines of their own.
  function codeBlock(textarea) {
    var value = textarea.value;
    var start = textarea.selectionStart;
    var end = textarea.selectionEnd;
    var selected = value.slice(start, end).replace(/\n$/, "");
    var lead = start === 0 || value[start - 1] === "\n" ? "" : "\n";
    var text = lead + "```\n" + selected + "\n```\n";
    var from = start + lead.length + 4;
    replaceRange(textarea, start, end, text, from, from + selected.length);
  }

  function link(textarea) {
    var value = textarea.value;
    var start = textarea.selectionStart;
    var end = textarea.selectionEnd;
    var selected = value.slice(start, end).trim();
    var text;
    var from;
    var length;
    var placeholder = gettext("link text");
    if (/^https?:\/\/\S+$/.test(selected)) {
      text = "[" + placeholder + "](" + selected + ")";
      from = start + 1;
      length = placeholder.length;
    } else {
      var label = selected || placeholder;
      text = "[" + label + "](https://)";
      from = start + label.length + 3;
      length = 8;
    }
    replaceRange(textarea, start, end, text, from, from + length);
  }

  var LINE_PREFIX = {
    heading: /^#{1,6} +/,
    quote: /^> ?/,
    bullets: /^[-*+] +/,
    numbers: /^\d+[.)] +/,
  };

  // The whole lines the selection touches.
  function lineRange(textarea) {
    var value = textarea.value;
    var start = value.lastIndexOf("\n", textarea.selectionStart - 1) + 1;
    var last = textarea.selectionEnd;
    if (last > textarea.selectionStart && value[last - 1] === "\n") last -= 1;
    var end = value.indexOf("\n", last);
    return [start, end === -1 ? value.length : end];
  }

  // Headings cycle ## → ### → plain; quotes and lists go on, or off when every line has them.
  function toggleLines(textarea, kind) {
    var range = lineRange(textarea);
    var collapsed = textarea.selectionStart === textarea.selectionEnd;
    var lines = textarea.value.slice(range[0], range[1]).split("\n");
    var pattern = LINE_PREFIX[kind];
    var filled = lines.filter(function (line) {
      return line.trim();
    });
    var all = filled.length > 0 && filled.every(function (line) {
      return pattern.test(line);
    });
    var level = kind === "heading" ? (/^(#{1,6}) /.exec(lines[0]) || ["", ""])[1].length : 0;
    var number = 0;
    var out = lines.map(function (line) {
      if (!line.trim() && lines.length > 1) return line;
      if (kind === "heading") {
        var bare = line.replace(pattern, "");
        return level === 0 ? "## " + bare : level === 2 ? "### " + bare : bare;
      }
      if (all) return line.replace(pattern, "");
      var plain = line.replace(LINE_PREFIX.bullets, "").replace(LINE_PREFIX.numbers, "");
      if (kind === "quote") return "> " + line;
      number += 1;
      return (kind === "bullets" ? "- " : number + ". ") + plain;
    });
    var text = out.join("\n");
    var to = range[0] + text.length;
    replaceRange(textarea, range[0], range[1], text, collapsed ? to : range[0], to);
  }

  function format(kind) {
    var body = field("body");
    if (!body) return;
    state.bodyTouched = true;
    if (kind === "bold") wrapInline(body, "**", gettext("bold text"));
    else if (kind === "italic") wrapInline(body, "*", gettext("italic text"));
    else if (kind === "link") link(body);
    else if (kind === "code") {
      if (body.value.slice(body.selectionStart, body.selectionEnd).indexOf("\n") !== -1) codeBlock(body);
      else wrapInline(body, "`", gettext("code"));
    } else if (LINE_PREFIX[kind]) toggleLines(body, kind);
  }

  // Ctrl/⌘ + key in the body; with Shift, by the key's place (Shift changes the character).
  var SHORTCUTS = { b: "bold", i: "italic", k: "link", e: "code" };
  var SHIFT_SHORTCUTS = { KeyH: "heading", Period: "quote", Digit8: "bullets", Digit7: "numbers" };

  // Arrow keys move between the toolbar's buttons; Tab enters and leaves it at one stop.
  function toolbarKeys(event) {
    var bar = event.target.closest && event.target.closest("[data-format-toolbar]");
    if (!bar || ["ArrowLeft", "ArrowRight", "Home", "End"].indexOf(event.key) === -1) return false;
    var buttons = Array.prototype.slice.call(bar.querySelectorAll("button"));
    var at = buttons.indexOf(event.target);
    var next = event.key === "Home" ? 0 : event.key === "End" ? buttons.length - 1
      : (at + (event.key === "ArrowRight" ? 1 : -1) + buttons.length) % buttons.length;
    buttons.forEach(function (button, i) {
      button.tabIndex = i === next ? 0 : -1;
    });
    buttons[next].focus();
    event.preventDefault();
    return true;
  }

  function setUpToolbar(root) {
    each(root, "[data-format-toolbar]", function (bar) {
      bar.hidden = false;
      each(bar, "button", function (button, i) {
        button.tabIndex = i === 0 ? 0 : -1;
      });
    });
  }

  // ------------------------------------------------------------------
  // Word count and reading time (the same count as the server's reading_minutes)
  // ------------------------------------------------------------------

  var WORDS_PER_MINUTE = 230;
  var WORD = (function () {
    try {
      return new RegExp("[\\p{L}\\p{M}\\p{N}_]+", "gu");
    } catch (e) {
      return /\w+/g;
    }
  })();

  function updateWordCount() {
    var out = document.querySelector("[data-word-count]");
    var body = field("body");
    if (!out || !body) return;
    var words = (body.value.match(WORD) || []).length;
    var minutes = Math.max(1, Math.ceil(words / WORDS_PER_MINUTE));
    out.textContent =
      interpolate(ngettext("%(count)s word", "%(count)s words", words), { count: words.toLocaleString() }, true) +
      " · " +
      interpolate(ngettext("%(minutes)s min read", "%(minutes)s min read", minutes), { minutes: minutes }, true);
    out.hidden = false;
  }

  // ------------------------------------------------------------------
  // Distraction-free mode and the settings panel
  // ------------------------------------------------------------------

  var SETTINGS_PREFERENCE = STORAGE_PREFIX + "settings";
  var WIDE = "(min-width: 64rem)"; // Tailwind's lg: the panel is a column, not a drawer

  function focusMode() {
    return document.documentElement.dataset.focusMode === "on";
  }

  function setFocusMode(on) {
    var root = document.documentElement;
    if (on) root.dataset.focusMode = "on";
    else delete root.dataset.focusMode;
    each(document, "[data-focus-toggle]", function (button) {
      button.setAttribute("aria-pressed", String(on));
    });
    var body = field("body");
    if (on && body) body.focus();
  }

  function settingsOpen() {
    var panel = document.getElementById("editor-settings");
    return !!panel && panel.dataset.state === "open";
  }

  function setSettings(open, options) {
    var panel = document.getElementById("editor-settings");
    var layout = document.querySelector("[data-editor-layout]");
    if (!panel) return;
    var wide = window.matchMedia(WIDE).matches;
    panel.dataset.state = open ? "open" : "closed";
    if (layout) layout.dataset.settings = open ? "open" : "closed";
    each(document, "[data-settings-toggle]", function (button) {
      button.setAttribute("aria-expanded", String(open));
    });
    if (options && options.remember && wide) {
      try {
        localStorage.setItem(SETTINGS_PREFERENCE, open ? "open" : "closed");
      } catch (e) {
        /* not remembered */
      }
    }
    if (options && options.focus) {
      if (open) panel.focus();
      else {
        var toggle = document.querySelector("[data-settings-toggle]");
        if (toggle) toggle.focus();
      }
    }
  }

  function settingsPreference() {
    if (!window.matchMedia(WIDE).matches) return false;
    try {
      return localStorage.getItem(SETTINGS_PREFERENCE) !== "closed";
    } catch (e) {
      return true;
    }
  }

  // "Goes live on … (site's zone)" gains the same moment in the editor's own zone.
  function yourTimes(root) {
    var mine = Intl.DateTimeFormat().resolvedOptions().timeZone;
    each(root, "[data-your-time]", function (el) {
      var moment = new Date(el.dataset.yourTime);
      if (!el.dataset.yourTime || isNaN(moment.getTime()) || el.dataset.siteZone === mine) return;
      el.textContent = interpolate(
        gettext("Your time: %(time)s (%(zone)s)."),
        {
          time: new Intl.DateTimeFormat([], {
            weekday: "short",
            month: "short",
            day: "numeric",
            year: "numeric",
            hour: "2-digit",
            minute: "2-digit",
          }).format(moment),
          zone: mine,
        },
        true
      );
      el.hidden = false;
    });
  }

  // ------------------------------------------------------------------
  // Page set-up, also after every swap
  // ------------------------------------------------------------------

  // Controls that only work with this script are hidden until it runs.
  function enhance(root) {
    each(
      root,
      "[data-preview-toggle], [data-image-tools], [data-filter-list], [data-focus-toggle], [data-settings-toggle], [data-settings-close]",
      function (el) {
        el.hidden = false;
      }
    );
    setUpToolbar(root);
    yourTimes(root);
    if (navigator.clipboard) {
      each(root, "[data-copy]", function (el) {
        el.hidden = false;
      });
    }
    each(root, "[data-counter]", updateCounter);
    each(root, "[data-site-time]", showReaderTime);
    localTimes(root);
  }

  function refresh(f) {
    enhance(document);
    updateWordCount();
    setPreview(previewPreference(), false);
    updateSlug(f);
    updateSnippet(f);
  }

  function init() {
    var f = form();
    if (!f) return;
    setSettings(settingsPreference());
    refresh(f);
    offerLocalCopy(f);
  }

  // ------------------------------------------------------------------
  // Events (delegated: the form is replaced after each explicit save)
  // ------------------------------------------------------------------

  document.addEventListener("input", function (event) {
    var target = event.target;
    if (target.matches("[data-filter-list]")) {
      var query = target.value.trim().toLowerCase();
      var list = document.getElementById(target.dataset.filterList);
      if (list) {
        each(list, "[data-filter-item]", function (item) {
          item.hidden = !!query && item.textContent.toLowerCase().indexOf(query) === -1;
        });
      }
      return;
    }
    if (target.matches("[data-counter]")) updateCounter(target);
    if (target.matches("[data-site-time]")) showReaderTime(target);
    var f = form();
    if (!f || !belongs(f, target) || !target.name || BOOKKEEPING[target.name]) return;
    if (target.name === "body") {
      state.bodyTouched = true;
      later("words", 150, updateWordCount);
    }
    updateSlug(f);
    updateSnippet(f);
    markDirty();
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("[data-image-input]")) {
      imageFiles(target.files).forEach(uploadImage);
      target.value = "";
      return;
    }
    var f = form();
    if (f && target.type === "file" && belongs(f, target)) {
      state.coverPending = target.files.length > 0;
      if (state.coverPending) setStatus("dirty", gettext("The new cover image is uploaded when you press Save."));
    }
  });

  document.addEventListener("submit", function (event) {
    if (event.target.id !== "post-form") return;
    event.preventDefault();
    save("manual", event.submitter);
  });

  document.addEventListener("click", function (event) {
    var target = event.target.closest
      ? event.target.closest(
          "[data-format], [data-focus-toggle], [data-settings-toggle], [data-settings-close], [data-preview-toggle], [data-image-pick], [data-copy], [data-discard-local], .js-restore-accept, .js-restore-discard"
        )
      : null;
    if (!target) return;
    if (target.matches("[data-format]")) {
      format(target.dataset.format);
    } else if (target.matches("[data-focus-toggle]")) {
      setFocusMode(!focusMode());
    } else if (target.matches("[data-settings-toggle]")) {
      setSettings(!settingsOpen(), { remember: true, focus: !settingsOpen() });
    } else if (target.matches("[data-settings-close]")) {
      setSettings(false, { remember: true, focus: true });
    } else if (target.matches("[data-preview-toggle]")) {
      togglePreview();
    } else if (target.matches("[data-image-pick]")) {
      var input = document.querySelector("[data-image-input]");
      if (input) input.click();
    } else if (target.matches("[data-copy]")) {
      var source = document.getElementById(target.dataset.copy);
      if (!source) return;
      navigator.clipboard.writeText(source.value).then(
        function () {
          var label = target.textContent;
          target.textContent = gettext("Copied");
          setTimeout(function () {
            target.textContent = label;
          }, 2000);
        },
        function () {
          source.focus();
          source.select();
        }
      );
    } else if (target.matches("[data-discard-local]")) {
      // "Keep editing from theirs": this window's changes are dropped on purpose.
      var f = form();
      if (f) dropAllLocal(f);
      state.dirty = false;
      state.leaving = true;
    } else {
      restoreLocal(target.classList.contains("js-restore-accept"));
    }
  });

  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("[data-select-on-focus]")) event.target.select();
    if (event.target.name === "body") state.bodyTouched = true;
  });

  document.addEventListener("keydown", function (event) {
    if (!form()) return;
    if (toolbarKeys(event)) return;
    if (event.key === "Escape" && !event.ctrlKey && !event.metaKey) {
      if (focusMode()) {
        setFocusMode(false);
      } else if (settingsOpen() && !window.matchMedia(WIDE).matches) {
        setSettings(false, { focus: true });
      }
      return;
    }
    if (!(event.ctrlKey || event.metaKey) || event.altKey) return;
    var key = (event.key || "").toLowerCase();
    var inBody = event.target.name === "body" && belongs(form(), event.target);
    if (key === "s" && !event.shiftKey) {
      event.preventDefault();
      save("manual");
    } else if (key === "p" && event.shiftKey) {
      event.preventDefault();
      togglePreview();
    } else if (event.code === "KeyF" && event.shiftKey) {
      event.preventDefault();
      setFocusMode(!focusMode());
    } else if (event.code === "Comma" && event.shiftKey) {
      event.preventDefault();
      setSettings(!settingsOpen(), { remember: true, focus: !settingsOpen() });
    } else if (inBody && !event.shiftKey && SHORTCUTS[key]) {
      event.preventDefault();
      format(SHORTCUTS[key]);
    } else if (inBody && event.shiftKey && SHIFT_SHORTCUTS[event.code]) {
      event.preventDefault();
      format(SHIFT_SHORTCUTS[event.code]);
    }
  });

  // Images dropped or pasted into the body.
  document.addEventListener("dragover", function (event) {
    var zone = event.target.closest && event.target.closest("[data-drop-zone]");
    if (!zone || !event.dataTransfer || Array.prototype.indexOf.call(event.dataTransfer.types, "Files") === -1) return;
    event.preventDefault();
    zone.dataset.dragging = "true";
  });
  document.addEventListener("dragleave", function (event) {
    var zone = event.target.closest && event.target.closest("[data-drop-zone]");
    if (zone && !zone.contains(event.relatedTarget)) delete zone.dataset.dragging;
  });
  document.addEventListener("drop", function (event) {
    var zone = event.target.closest && event.target.closest("[data-drop-zone]");
    if (!zone || !event.dataTransfer || !event.dataTransfer.files.length) return;
    event.preventDefault();
    delete zone.dataset.dragging;
    imageFiles(event.dataTransfer.files).forEach(uploadImage);
  });
  document.addEventListener("paste", function (event) {
    if (!event.target.name || event.target.name !== "body" || !event.clipboardData) return;
    var files = imageFiles(event.clipboardData.files);
    if (!files.length) return;
    event.preventDefault();
    files.forEach(uploadImage);
  });

  // Workflow buttons save pending edits first, so what is submitted is what is on screen.
  document.addEventListener("htmx:confirm", function (event) {
    var source = event.target;
    if (source.dataset && source.dataset.flushing === "true") {
      delete source.dataset.flushing; // the request issued below, after the save
      return;
    }
    if (!state.dirty || !source.closest || !source.closest("[data-flush-save]")) return;
    event.preventDefault();
    save("auto").then(function (saved) {
      if (saved || !state.dirty) {
        source.dataset.flushing = "true";
        event.detail.issueRequest(false);
      }
    });
  });

  // The live preview waits for the connection instead of failing while offline.
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (navigator.onLine === false && event.target.id === "editor-preview-pane") {
      event.preventDefault();
      state.previewStale = true;
    }
  });

  // New content from htmx (workflow panel, preview links) gets the same treatment.
  document.addEventListener("htmx:load", function (event) {
    enhance(event.target);
  });

  window.addEventListener("online", function () {
    clearTimeout(state.timers.retry);
    state.retries = 0;
    retry();
    var pane = document.getElementById("editor-preview-pane");
    if (state.previewStale && pane && window.htmx) {
      state.previewStale = false;
      window.htmx.trigger(pane, "refresh-preview");
    }
  });
  window.addEventListener("offline", function () {
    if (state.dirty) setStatus("offline", gettext("Not saved — offline, will retry"));
  });
  window.addEventListener("beforeunload", function (event) {
    if (!(state.dirty || state.coverPending) || state.leaving) return;
    if (state.dirty) storeLocal();
    event.preventDefault();
    event.returnValue = "";
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
