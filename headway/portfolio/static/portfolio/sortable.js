// Drag and drop reordering (SortableJS) for the portfolio tree and a product's components.
// A drop posts the new position to the item's move URL through htmx; the server answers with
// the fresh fragment, so the page always shows what was saved (or the reason it was not).
// Without JavaScript the same endpoints are reached through the move up/down buttons.
(function () {
  "use strict";
  var DRAGGABLE = {
    lines: ".tree-line:not(.is-archived)",
    products: ".tree-product:not(.is-archived)",
    components: ".component-row",
  };

  function init(root) {
    if (typeof Sortable === "undefined") return;
    var lists = root.querySelectorAll ? root.querySelectorAll("[data-sortable]") : [];
    lists.forEach(function (list) {
      if (list.dataset.sortableReady) return;
      list.dataset.sortableReady = "1";
      var kind = list.dataset.sortable;
      Sortable.create(list, {
        handle: ".drag-handle",
        draggable: DRAGGABLE[kind],
        group: kind,
        animation: 150,
        ghostClass: "sortable-ghost",
        chosenClass: "sortable-chosen",
        onEnd: function (evt) {
          var moved = evt.from !== evt.to;
          if (!moved && evt.oldDraggableIndex === evt.newDraggableIndex) return;
          var values = { position: evt.newDraggableIndex };
          if (moved && evt.to.dataset.parent) values.parent = evt.to.dataset.parent;
          htmx.ajax("POST", evt.item.dataset.moveUrl, {
            source: evt.item,
            target: list.dataset.target || "#tree",
            swap: "outerHTML",
            values: values,
          });
        },
      });
    });
  }

  htmx.onLoad(init);
})();
