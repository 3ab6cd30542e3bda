/* Planner pages: small conveniences on top of htmx and Alpine; every action also works without it.
   - period preset buttons ([data-period-preset]) fill the period field and ask for the teams'
     capacity for that period again (the field's htmx "change" trigger);
   - after htmx swaps the plan's body, keep the page where the person was and move focus to the
     first message (a new result is announced, not lost below the fold). */
(function () {
  "use strict";
  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("[data-period-preset]");
    if (!button) return;
    var field = document.getElementById(button.getAttribute("data-for") || "id_period");
    if (!field) return;
    field.value = button.getAttribute("data-period-preset");
    field.dispatchEvent(new Event("change", { bubbles: true }));
    field.focus();
  });
  document.addEventListener("htmx:afterSwap", function (e) {
    if (!e.target || e.target.id !== "plan-body") return;
    var note = e.target.querySelector(".flash");
    if (note) { note.setAttribute("tabindex", "-1"); note.focus({ preventScroll: true }); }
  });
})();
