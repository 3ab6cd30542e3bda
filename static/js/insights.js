// Insights inbox: keyboard triage (j/k, o, e, a, s, x, ?) and "select a passage → link as evidence".
// No framework: htmx (loaded by base.html) does the requests of the list's forms; every form also
// works without this file.
(function () {
  "use strict";

  function typing(event) {
    var el = event.target;
    if (!el || !el.tagName) return false;
    var tag = el.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || el.isContentEditable;
  }

  function $(selector, root) { return (root || document).querySelector(selector); }
  function $all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }

  // --- dialogs: help (?) and snooze ----------------------------------------------------------------

  var snoozeThen = null;

  function openDialog(id) {
    var d = document.getElementById(id);
    if (!d) return;
    d.hidden = false;
    var first = d.querySelector("button, input");
    if (first) first.focus();
  }
  function closeDialogs() {
    $all(".inbox-help").forEach(function (d) { d.hidden = true; });
    snoozeThen = null;
  }
  function dialogOpen() { return $all(".inbox-help").some(function (d) { return !d.hidden; }); }

  function isoDate(daysAhead) {
    var d = new Date();
    d.setDate(d.getDate() + daysAhead);
    var m = String(d.getMonth() + 1).padStart(2, "0");
    var day = String(d.getDate()).padStart(2, "0");
    return d.getFullYear() + "-" + m + "-" + day;
  }

  // Ask until when, then submit ``form`` with snoozed_until set.
  function snooze(form) {
    if (!form) return;
    snoozeThen = function (date) {
      var input = form.querySelector("[name=snoozed_until]");
      if (input) input.value = date;
      closeDialogs();
      form.requestSubmit ? form.requestSubmit() : form.submit();
    };
    openDialog("ins-snooze");
  }

  document.addEventListener("click", function (event) {
    var t = event.target.closest ? event.target : null;
    if (!t) return;
    if (t.closest("[data-ins-help]")) { openDialog("ins-help"); return; }
    if (t.closest("[data-ins-help-close]")) { closeDialogs(); return; }
    var days = t.closest("[data-snooze-days]");
    if (days && snoozeThen) { snoozeThen(isoDate(parseInt(days.getAttribute("data-snooze-days"), 10))); return; }
    if (t.closest("[data-snooze-go]") && snoozeThen) {
      var date = $("[data-snooze-date]");
      if (date && date.value) snoozeThen(date.value);
      return;
    }
    var snoozeButton = t.closest("[data-snooze]");
    if (snoozeButton) {
      var form = snoozeButton.form;
      var input = form && form.querySelector("[name=snoozed_until]");
      if (input && input.type !== "hidden" && input.value) return; // a date was typed: submit as is
      event.preventDefault();
      snooze(form);
    }
  });

  // --- the list -------------------------------------------------------------------------------------

  var current = null; // the selected note's id
  var pendingNext = null;

  function rows() { return $all("#inbox-list > .inbox-row"); }

  function select(row) {
    rows().forEach(function (r) { r.classList.remove("inbox-current"); r.removeAttribute("aria-current"); });
    if (!row) { current = null; return; }
    row.classList.add("inbox-current");
    row.setAttribute("aria-current", "true");
    current = row.getAttribute("data-note");
    row.scrollIntoView({ block: "nearest" });
  }

  function currentRow() {
    var all = rows();
    if (!all.length) return null;
    var found = current && document.getElementById("note-" + current);
    return found && found.parentNode ? found : null;
  }

  function move(step) {
    var all = rows();
    if (!all.length) return;
    var row = currentRow();
    var i = row ? all.indexOf(row) + step : 0;
    select(all[Math.max(0, Math.min(all.length - 1, i))]);
  }

  function triageRow(state) {
    var row = currentRow();
    if (!row) return;
    var form = row.querySelector("form[data-triage=" + state + "]");
    if (!form) return;
    var all = rows();
    var i = all.indexOf(row);
    var next = all[i + 1] || all[i - 1];
    pendingNext = next ? next.getAttribute("data-note") : null;
    if (state === "snoozed") { snooze(form); return; }
    form.requestSubmit ? form.requestSubmit() : form.submit();
  }

  document.addEventListener("htmx:afterSettle", function () {
    if (!$("#inbox-list")) return;
    if (pendingNext && document.getElementById("note-" + pendingNext)) {
      select(document.getElementById("note-" + pendingNext));
      pendingNext = null;
    } else if (current && !currentRow()) {
      select(null);
    }
  });

  function listKeys(event) {
    switch (event.key) {
      case "j": move(1); return true;
      case "k": move(-1); return true;
      case "o":
      case "Enter": {
        var row = currentRow();
        var link = row && row.querySelector("[data-open]");
        if (link) { window.location.href = link.href; return true; }
        return false;
      }
      case "e": triageRow("processed"); return true;
      case "a": triageRow("archived"); return true;
      case "s": triageRow("snoozed"); return true;
      case "x": {
        var r = currentRow();
        var box = r && r.querySelector("input[name=notes]");
        if (box) { box.checked = !box.checked; box.dispatchEvent(new Event("change", { bubbles: true })); }
        return true;
      }
    }
    return false;
  }

  // --- one note -----------------------------------------------------------------------------------

  function notePage() { return document.getElementById("note-page"); }

  function noteKeys(event) {
    var page = notePage();
    var go = function (attr) {
      var url = page.getAttribute(attr);
      if (url) window.location.href = url;
      return true;
    };
    var submit = function (state) {
      var form = $("form[data-triage=" + state + "]");
      if (!form) return false;
      if (state === "snoozed") { snooze(form); return true; }
      form.requestSubmit ? form.requestSubmit() : form.submit();
      return true;
    };
    switch (event.key) {
      case "j": return go("data-next");
      case "k": return go("data-prev");
      case "u": return go("data-list");
      case "e": return submit("processed");
      case "a": return submit("archived");
      case "s": return submit("snoozed");
    }
    return false;
  }

  // --- keys -----------------------------------------------------------------------------------------

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Escape") { closeDialogs(); hidePopover(); return; }
    // Enter in the popover's search picks the first feature or idea instead of submitting unchosen.
    if (event.key === "Enter" && event.target.matches && event.target.matches("[data-target-search]")) {
      event.preventDefault();
      var first = popover() && popover().querySelector("[data-target]");
      if (first) first.click();
      return;
    }
    if (typing(event)) return;
    if (dialogOpen()) {
      if (!snoozeThen) { if (event.key === "?") closeDialogs(); return; }
      var days = { t: 1, w: 7, m: 30 }[event.key];
      if (days) { event.preventDefault(); snoozeThen(isoDate(days)); }
      return;
    }
    if (event.key === "?") { event.preventDefault(); openDialog("ins-help"); return; }
    if (popover() && !popover().hidden) return;
    var handled = false;
    if ($("#inbox-list")) handled = listKeys(event);
    else if (notePage()) handled = noteKeys(event);
    if (handled) event.preventDefault();
  });

  // --- select a passage → link as evidence ---------------------------------------------------------

  function popover() { return document.getElementById("note-popover"); }
  function hidePopover() { var p = popover(); if (p) p.hidden = true; }

  // The browser turns CR LF (and a lone CR) into LF when it reads the page, and JavaScript counts
  // UTF-16 units where the server counts code points: map an offset in the shown text to the
  // code-point offset in the note's text as stored.
  function rawOffset(raw, shownOffset) {
    var chars = Array.from(raw);
    var shown = 0;
    for (var i = 0; i < chars.length; i++) {
      if (shown >= shownOffset) return i;
      if (chars[i] === "\r" && chars[i + 1] === "\n") continue; // the pair shows as one LF
      shown += 1;
    }
    return chars.length;
  }

  function shownOffset(container, node, offset) {
    var range = document.createRange();
    range.selectNodeContents(container);
    range.setEnd(node, offset);
    return Array.from(range.toString()).length;
  }

  var searchTimer = null;

  function search(q) {
    var pop = popover();
    var url = pop.getAttribute("data-search") + "?q=" + encodeURIComponent(q);
    fetch(url, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) { $("[data-target-results]", pop).innerHTML = html; }); // server-escaped fragment
  }

  function showPopover(range, start, end, quote) {
    var pop = popover();
    var form = $("[data-highlight-form]", pop);
    form.elements.start.value = start;
    form.elements.end.value = end;
    $("[data-popover-quote]", pop).textContent = quote.length > 300 ? quote.slice(0, 300) + "…" : quote;
    pop.hidden = false;
    var rect = range.getBoundingClientRect();
    var top = rect.bottom + 8;
    if (top + pop.offsetHeight > window.innerHeight) top = Math.max(8, rect.top - pop.offsetHeight - 8);
    pop.style.position = "fixed";
    pop.style.top = top + "px";
    pop.style.left = Math.max(8, Math.min(rect.left, window.innerWidth - pop.offsetWidth - 8)) + "px";
    var input = $("[data-target-search]", pop);
    if (!$("[data-target-results]", pop).innerHTML) search("");
    input.focus({ preventScroll: true });
  }

  function onSelect() {
    var text = document.querySelector("[data-note-text]");
    var pop = popover();
    if (!text || !pop) return;
    var sel = window.getSelection();
    if (!sel || sel.isCollapsed || !sel.rangeCount) return;
    var range = sel.getRangeAt(0);
    if (!text.contains(range.startContainer) || !text.contains(range.endContainer)) return;
    var raw = JSON.parse(document.getElementById("note-raw").textContent);
    var a = rawOffset(raw, shownOffset(text, range.startContainer, range.startOffset));
    var b = rawOffset(raw, shownOffset(text, range.endContainer, range.endOffset));
    var chars = Array.from(raw);
    // Leave out spaces at either end of the selection (a double click takes the one after a word).
    while (a < b && /\s/.test(chars[a])) a++;
    while (b > a && /\s/.test(chars[b - 1])) b--;
    if (b <= a) return;
    showPopover(range, a, b, chars.slice(a, b).join(""));
  }

  document.addEventListener("mouseup", function (event) {
    var pop = popover();
    if (pop && pop.contains(event.target)) return;
    setTimeout(onSelect, 0);
  });
  document.addEventListener("keyup", function (event) {
    if (event.shiftKey && document.querySelector("[data-note-text]") && !typing(event)) onSelect();
  });
  document.addEventListener("mousedown", function (event) {
    var pop = popover();
    if (pop && !pop.hidden && !pop.contains(event.target)) hidePopover();
  });

  document.addEventListener("input", function (event) {
    if (!event.target.matches || !event.target.matches("[data-target-search]")) return;
    clearTimeout(searchTimer);
    var q = event.target.value;
    searchTimer = setTimeout(function () { search(q); }, 200);
  });

  document.addEventListener("click", function (event) {
    var pop = popover();
    if (!pop || !pop.contains(event.target)) return;
    if (event.target.closest("[data-popover-close]")) { hidePopover(); return; }
    var choice = event.target.closest("[data-target]");
    if (!choice) return;
    var form = $("[data-highlight-form]", pop);
    form.elements.target.value = choice.getAttribute("data-target");
    $all("[data-target]", pop).forEach(function (b) { b.setAttribute("aria-pressed", "false"); });
    choice.setAttribute("aria-pressed", "true");
    var chosen = $("[data-target-chosen]", pop);
    chosen.textContent = "→ " + choice.getAttribute("data-label");
    chosen.hidden = false;
    $("[data-highlight-submit]", pop).disabled = false;
  });
})();
