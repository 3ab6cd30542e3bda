// The portal's small comforts; every page works without them.
// A vote's importance menu (<details>) closes on a click elsewhere or on Escape.
document.addEventListener("click", (event) => {
  document.querySelectorAll("details.pt-vote-more[open]").forEach((menu) => {
    if (!menu.contains(event.target)) menu.removeAttribute("open");
  });
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  document.querySelectorAll("details.pt-vote-more[open]").forEach((menu) => {
    menu.removeAttribute("open");
    menu.querySelector("summary")?.focus();
  });
});
