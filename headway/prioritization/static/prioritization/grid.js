// Score grid: spreadsheet keys (arrows, Tab, Enter, Esc), a saved row's new score merged in
// without losing the cell being typed in, and pasting a block from a spreadsheet into the cells.
// No framework: htmx (loaded by base.html) posts a row when a cell changes; every form also
// works without this file (each row has its own Save button, and the "Paste rows" box).
(function () {
  "use strict";

  function $all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }
  function table() { return document.querySelector("[data-grid-table]"); }
  function rows() { var t = table(); return t ? $all("tbody tr.pr-grid-row", t) : []; }
  function cellsOf(row) { return $all("[data-cell]", row); }
  function rowOf(el) { return el.closest ? el.closest("tr.pr-grid-row") : null; }
  function colOf(el) { var td = el.closest("td[data-col]"); return td ? parseInt(td.getAttribute("data-col"), 10) : -1; }
  function isText(el) { return el.tagName === "INPUT"; }
  function valueOf(el) { return el.tagName === "SUMMARY" ? null : el.value; }

  function focusCell(el) {
    if (!el) return false;
    el.focus();
    if (isText(el)) el.select();
    return true;
  }

  // The editable cell of ``row`` in column ``col``, else the nearest one in the direction of travel.
  function cellAt(row, col, step) {
    var cells = cellsOf(row);
    var exact = cells.filter(function (c) { return colOf(c) === col; })[0];
    if (exact) return exact;
    var sorted = cells.slice().sort(function (a, b) { return colOf(a) - colOf(b); });
    if (step < 0) sorted.reverse();
    return sorted.filter(function (c) { return step < 0 ? colOf(c) < col : colOf(c) > col; })[0] || sorted[0] || null;
  }

  function moveVertical(el, step) {
    var all = rows(), row = rowOf(el), i = all.indexOf(row);
    for (var j = i + step; j >= 0 && j < all.length; j += step) {
      var target = cellAt(all[j], colOf(el), 1);
      if (target) return focusCell(target);
    }
    return false;
  }

  function moveHorizontal(el, step) {
    var all = rows(), row = rowOf(el), cells = cellsOf(row), i = cells.indexOf(el);
    if (cells[i + step]) return focusCell(cells[i + step]);
    var next = all[all.indexOf(row) + step];
    if (!next) return false;
    var others = cellsOf(next);
    return focusCell(step > 0 ? others[0] : others[others.length - 1]);
  }

  function atEdge(el, step) {
    if (!isText(el)) return true;
    if (el.selectionStart !== el.selectionEnd) return el.selectionStart === 0 && el.selectionEnd === el.value.length;
    return step < 0 ? el.selectionStart === 0 : el.selectionEnd === el.value.length;
  }

  document.addEventListener("focusin", function (event) {
    var el = event.target;
    if (!el.hasAttribute || !el.hasAttribute("data-cell")) return;
    el.setAttribute("data-orig", valueOf(el) || "");
    rows().forEach(function (r) { r.classList.remove("is-current"); });
    var row = rowOf(el);
    if (row) row.classList.add("is-current");
  });

  document.addEventListener("keydown", function (event) {
    var el = event.target;
    if (el.closest && el.closest(".pr-help") && event.key === "Escape") { closeHelp(); return; }
    if (!el.hasAttribute || !el.hasAttribute("data-cell")) {
      if (event.key === "?" && !typing(event) && document.getElementById("grid-help")) { event.preventDefault(); openHelp(); }
      return;
    }
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    var moved = false;
    switch (event.key) {
      case "ArrowUp": moved = moveVertical(el, -1); break;
      case "ArrowDown": moved = moveVertical(el, 1); break;
      case "ArrowLeft": if (atEdge(el, -1)) moved = moveHorizontal(el, -1); else return; break;
      case "ArrowRight": if (atEdge(el, 1)) moved = moveHorizontal(el, 1); else return; break;
      case "Enter":
        if (el.tagName === "SUMMARY") return; // opens the Kano answers
        moved = moveVertical(el, event.shiftKey ? -1 : 1);
        if (!moved) el.blur();
        moved = true;
        break;
      case "Escape":
        if (el.tagName === "SUMMARY") { var d = el.closest("details"); if (d) d.open = false; return; }
        el.value = el.getAttribute("data-orig") || "";
        if (isText(el)) el.select();
        el.removeAttribute("aria-invalid");
        moved = true;
        break;
      default: return;
    }
    if (moved) event.preventDefault();
  });

  function typing(event) {
    var t = event.target, tag = t && t.tagName ? t.tagName.toLowerCase() : "";
    return tag === "input" || tag === "textarea" || tag === "select" || (t && t.isContentEditable);
  }

  // --- a saved row: merge the server's row in, keeping what is being typed -----------------------

  document.addEventListener("htmx:configRequest", function (event) {
    var row = event.detail.elt;
    if (!row.classList || !row.classList.contains("pr-grid-row")) return;
    row.classList.add("is-saving");
    cellsOf(row).forEach(function (c) { if (valueOf(c) !== null) c.setAttribute("data-sent", c.value); });
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var row = event.detail.target;
    if (!row || !row.classList || !row.classList.contains("pr-grid-row") || !event.detail.serverResponse) return;
    if (event.detail.xhr.status !== 200) return;
    var tmp = document.createElement("tbody");
    tmp.innerHTML = event.detail.serverResponse;
    var fresh = tmp.querySelector("tr.pr-grid-row");
    if (!fresh) return;
    event.detail.shouldSwap = false;
    merge(row, fresh);
  });

  function merge(row, fresh) {
    row.classList.remove("is-saving");
    row.classList.toggle("has-error", fresh.classList.contains("has-error"));
    row.classList.add("is-saved");
    setTimeout(function () { row.classList.remove("is-saved"); }, 900);
    $all("[data-out]", fresh).forEach(function (cell) {
      var old = row.querySelector('[data-out="' + cell.getAttribute("data-out") + '"]');
      if (old) old.innerHTML = cell.innerHTML;
    });
    $all("td[data-col]", fresh).forEach(function (td) {
      var old = row.querySelector('td[data-col="' + td.getAttribute("data-col") + '"]');
      if (!old) return;
      old.className = td.className;
      var input = old.querySelector("[data-cell]"), newInput = td.querySelector("[data-cell]");
      // A cell changed while the row was saving (fast typing, a choice picked meanwhile) keeps its
      // new value: the next save, already queued by its change event, sends it.
      var edited = input && valueOf(input) !== null && input.value !== input.getAttribute("data-sent");
      if (!old.contains(document.activeElement) && !edited) { old.innerHTML = td.innerHTML; return; }
      // The person is in this cell, or changed it: keep it, take the saved value only if untouched.
      if (input && newInput && valueOf(input) !== null && !edited) {
        input.value = newInput.value;
      }
      if (input) {
        ["aria-invalid", "title"].forEach(function (name) {
          if (newInput && newInput.hasAttribute(name)) input.setAttribute(name, newInput.getAttribute(name));
          else input.removeAttribute(name);
        });
      }
      var err = old.querySelector(".pr-cell-error"), newErr = td.querySelector(".pr-cell-error");
      if (err) err.remove();
      if (newErr) old.appendChild(newErr);
    });
  }

  document.addEventListener("htmx:responseError", function (event) {
    var row = event.detail.elt;
    if (row && row.classList && row.classList.contains("pr-grid-row")) {
      row.classList.remove("is-saving");
      row.classList.add("has-error");
      var state = row.querySelector('[data-out="state"]');
      if (state) state.innerHTML = '<span class="error small" role="alert">Not saved (' + event.detail.xhr.status + ")</span>";
    }
  });

  // --- paste a block from a spreadsheet ------------------------------------------------------------

  function parseBlock(text) {
    var lines = text.replace(/\r\n?/g, "\n").split("\n");
    while (lines.length && lines[lines.length - 1] === "") lines.pop();
    return lines.map(function (line) { return line.split("\t"); });
  }

  function setCell(cell, text) {
    text = text.trim();
    if (cell.tagName === "SELECT") {
      var wanted = text.toLowerCase().replace(/%$/, "");
      var option = Array.prototype.filter.call(cell.options, function (o) {
        var label = o.text.toLowerCase();
        return o.value.toLowerCase() === wanted || label === text.toLowerCase() || label.split(" (")[0] === wanted;
      })[0];
      if (!option && text) {
        option = document.createElement("option");
        option.value = text; option.text = text;
        cell.appendChild(option);
      }
      cell.value = option ? option.value : "";
    } else {
      cell.value = text;
    }
    cell.setAttribute("data-dirty", "1");
  }

  document.addEventListener("paste", function (event) {
    var el = event.target;
    if (!el.hasAttribute || !el.hasAttribute("data-cell") || el.tagName === "SUMMARY") return;
    var text = (event.clipboardData || window.clipboardData).getData("text");
    if (!text || (text.indexOf("\t") < 0 && text.replace(/\r?\n$/, "").indexOf("\n") < 0)) return; // one value: a normal paste
    event.preventDefault();
    var block = parseBlock(text), all = rows(), start = all.indexOf(rowOf(el));
    var startCol = cellsOf(rowOf(el)).indexOf(el);
    var touched = [], keys = null;
    block.forEach(function (values, i) {
      var row = all[start + i];
      if (!row) return;
      var cells = cellsOf(row).filter(function (c) { return c.tagName !== "SUMMARY"; });
      var used = [];
      values.forEach(function (value, j) {
        var cell = cells[startCol + j];
        if (!cell) return;
        setCell(cell, value);
        used.push(cell);
      });
      if (!used.length) return;
      if (keys === null) keys = used.map(function (c) { return c.name.replace(/^in-/, ""); });
      touched.push({ row: row, cells: used });
    });
    if (!touched.length) return;
    send(touched, keys);
  });

  function send(touched, keys) {
    var grid = document.querySelector("[data-grid]");
    var url = grid && grid.getAttribute("data-paste-url");
    if (!url) return;
    var lines = [keys.join("\t")];
    touched.forEach(function (t) {
      lines.push(keys.map(function (_, k) { var c = t.cells[k]; return c ? c.value.replace(/[\t\n]/g, " ") : ""; }).join("\t"));
      t.row.classList.add("is-saving");
    });
    var body = new URLSearchParams();
    body.set("model", grid.getAttribute("data-model"));
    body.set("back", grid.getAttribute("data-back") || "");
    body.set("text", lines.join("\n"));
    body.set("feature_ids", touched.map(function (t) { return t.row.getAttribute("data-feature"); }).join(","));
    var csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
    fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "HX-Request": "true", "X-CSRFToken": csrf ? csrf.value : "" },
    }).then(function (response) { return response.text().then(function (html) { return { ok: response.ok, html: html }; }); })
      .then(function (result) { pasted(result, touched); })
      .catch(function () { touched.forEach(function (t) { t.row.classList.remove("is-saving"); }); });
  }

  function pasted(result, touched) {
    var doc = new DOMParser().parseFromString("<body>" + result.html + "</body>", "text/html");
    var flash = doc.getElementById("flash");
    if (flash && document.getElementById("flash")) document.getElementById("flash").replaceWith(flash);
    touched.forEach(function (t) { t.row.classList.remove("is-saving"); });
    var report = doc.getElementById("paste-result");
    if (report && report.hasAttribute("data-errors")) {
      // Nothing was saved: keep the pasted values, list the problems and mark their cells.
      $all("li", report).forEach(function (li) { markError(li, touched); });
      var here = document.getElementById("paste-result");
      if (here) { here.innerHTML = report.innerHTML; here.scrollIntoView({ block: "nearest" }); }
      return;
    }
    var fresh = doc.getElementById("grid"), grid = document.getElementById("grid");
    if (fresh && grid) {
      grid.replaceWith(fresh);
      if (window.htmx) window.htmx.process(fresh);
      if (window.Alpine && window.Alpine.initTree) window.Alpine.initTree(fresh);
    }
  }

  // "Row 3, Impact: Choose one of …" → that cell of the second pasted row (row 1 is the header
  // this file sends), and the message names the feature instead: "PAY-12, Impact: …".
  function markError(li, touched) {
    var match = /^Row (\d+)(?:, ([^:]+))?: (.*)$/.exec(li.textContent.trim());
    if (!match) return;
    var t = touched[parseInt(match[1], 10) - 2];
    if (!t) return;
    li.textContent = t.row.getAttribute("data-ref") + (match[2] ? ", " + match[2] : "") + ": " + match[3];
    if (!match[2]) { t.row.classList.add("has-error"); return; }
    var label = match[2].trim().toLowerCase();
    t.cells.forEach(function (c) {
      var aria = c.getAttribute("aria-label") || "", name = aria.slice(0, aria.lastIndexOf(" of ")).toLowerCase();
      if (name === label) { c.setAttribute("aria-invalid", "true"); c.setAttribute("title", match[3]); c.closest("td").classList.add("has-error"); }
    });
    t.row.classList.add("has-error");
  }

  // --- help --------------------------------------------------------------------------------------

  function openHelp() { var d = document.getElementById("grid-help"); if (d) { d.hidden = false; var b = d.querySelector("button"); if (b) b.focus(); } }
  function closeHelp() { var d = document.getElementById("grid-help"); if (d) d.hidden = true; }
  document.addEventListener("click", function (event) {
    var t = event.target;
    if (!t.closest) return;
    if (t.closest("[data-grid-help]")) openHelp();
    else if (t.closest("[data-grid-help-close]") || t.classList.contains("pr-help")) closeHelp();
  });
})();
