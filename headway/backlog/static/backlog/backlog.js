// The backlog's hands-on parts: rank by drag and drop (SortableJS) or the arrow buttons, and change a
// status by dragging a board card to another column (or with the card's status menu).
//
// A move posts the new neighbours (`after` = the row above, else `before` = the row below) to the
// feature's move URL; the page already shows the new order, so the server answers 204. When it
// refuses (409 with the reason as text), the reason is announced and the list is reloaded so the page
// shows what is stored. Without JavaScript the same URLs are reached through the forms' buttons.
(function () {
  "use strict";

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function post(url, values) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" },
      body: new URLSearchParams(values),
    }).then(function (response) {
      if (response.ok) return response;
      return response.text().then(function (text) {
        throw new Error(text || "The change was not saved (" + response.status + "). Reload and try again.");
      });
    });
  }

  function say(text, isError) {
    var status = document.getElementById("bl-status");
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("is-error", Boolean(isError));
  }

  function reload(targetSelector) {
    var target = document.querySelector(targetSelector);
    if (target && typeof htmx !== "undefined") {
      htmx.ajax("GET", window.location.href, { target: targetSelector, swap: "outerHTML" });
    }
  }

  // --- the ranked list -------------------------------------------------------------------------

  function rowSibling(row, direction) {
    var node = direction < 0 ? row.previousElementSibling : row.nextElementSibling;
    while (node && !node.classList.contains("bl-row")) {
      node = direction < 0 ? node.previousElementSibling : node.nextElementSibling;
    }
    return node;
  }

  function renumber(list) {
    var offset = parseInt(list.dataset.offset || "0", 10) || 0;
    list.querySelectorAll(".bl-row .bl-pos").forEach(function (pos, index) {
      pos.textContent = String(offset + index + 1);
    });
  }

  function saveMove(row) {
    var list = row.parentElement;
    var above = rowSibling(row, -1);
    var below = rowSibling(row, 1);
    var values = above ? { after: above.dataset.id } : below ? { before: below.dataset.id } : null;
    if (!values) return;
    renumber(list);
    post(row.dataset.moveUrl, values)
      .then(function () {
        say(
          "Moved " + row.dataset.ref + (above ? " below " + above.dataset.ref : " above " + below.dataset.ref) + "."
        );
      })
      .catch(function (error) {
        say(error.message, true);
        reload("#backlog");
      });
  }

  function initList(root) {
    var list = root.querySelector ? root.querySelector("[data-sortable-backlog]") : null;
    if (!list || list.dataset.sortableReady || typeof Sortable === "undefined") return;
    list.dataset.sortableReady = "1";
    Sortable.create(list, {
      handle: ".drag-handle",
      draggable: ".bl-row[data-move-url]",
      animation: 150,
      ghostClass: "sortable-ghost",
      chosenClass: "sortable-chosen",
      onEnd: function (evt) {
        if (evt.oldIndex !== evt.newIndex) saveMove(evt.item);
      },
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest(".bl-row [data-direction]");
    if (!button) return;
    var row = button.closest(".bl-row");
    if (!row || !row.dataset.moveUrl) return;
    event.preventDefault();
    var up = button.dataset.direction === "up";
    var neighbour = rowSibling(row, up ? -1 : 1);
    if (!neighbour) {
      say(row.dataset.ref + " is already " + (up ? "first" : "last") + " in this list.");
      return;
    }
    if (up) row.parentElement.insertBefore(row, neighbour);
    else row.parentElement.insertBefore(neighbour, row);
    button.focus();
    saveMove(row);
  });

  // --- the board -------------------------------------------------------------------------------

  function columnOf(card) {
    return card.closest("[data-board-column]");
  }

  function refreshColumn(column) {
    var cards = column.querySelectorAll(".bd-card").length;
    var empty = column.querySelector(".bd-empty");
    if (empty) empty.hidden = cards > 0;
  }

  function adjustCount(column, delta) {
    var count = column.closest(".bd-col").querySelector(".bd-count");
    if (count) count.textContent = String((parseInt(count.textContent, 10) || 0) + delta);
  }

  function placeCard(card, target) {
    var empty = target.querySelector(".bd-empty");
    target.insertBefore(card, empty || null);
  }

  function saveStatus(card, from, to) {
    var select = card.querySelector(".bd-status select");
    if (select) select.value = to.dataset.statusId;
    refreshColumn(from);
    refreshColumn(to);
    adjustCount(from, -1);
    adjustCount(to, 1);
    post(card.dataset.statusUrl, { status: to.dataset.statusId })
      .then(function () {
        say(card.dataset.ref + " is now “" + to.dataset.statusName + "”.");
      })
      .catch(function (error) {
        say(error.message, true);
        reload("#board");
      });
  }

  function initBoard(root) {
    if (!root.querySelectorAll || typeof Sortable === "undefined") return;
    root.querySelectorAll("[data-board-column]").forEach(function (column) {
      if (column.dataset.sortableReady) return;
      column.dataset.sortableReady = "1";
      Sortable.create(column, {
        group: "board",
        sort: false,
        draggable: ".bd-card[data-status-url]",
        filter: "select, button",
        preventOnFilter: false,
        animation: 150,
        ghostClass: "sortable-ghost",
        chosenClass: "sortable-chosen",
        onAdd: function (evt) {
          placeCard(evt.item, evt.to);
          saveStatus(evt.item, evt.from, evt.to);
        },
      });
    });
  }

  document.addEventListener("change", function (event) {
    var select = event.target.closest(".bd-status select");
    if (select) {
      var card = select.closest(".bd-card");
      var from = columnOf(card);
      var to = document.querySelector('[data-board-column][data-status-id="' + select.value + '"]');
      if (!to || to === from) return;
      placeCard(card, to);
      saveStatus(card, from, to);
      select.focus();
      return;
    }
    var auto = event.target.closest("select[data-autosubmit]");
    if (auto && auto.form) auto.form.requestSubmit();
  });

  function init(root) {
    initList(root);
    initBoard(root);
  }

  if (typeof htmx !== "undefined") {
    htmx.onLoad(init);
  } else {
    document.addEventListener("DOMContentLoaded", function () {
      init(document);
    });
  }
})();
