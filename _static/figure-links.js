// On a phone a figure is its phone drawing (mathlib.figures; its text at least 10 px: see
// tests/test_site_layout.py). Each figure also links to its laptop drawing, so that a tap opens
// it alone, where the reader can zoom in on an SVG that stays sharp. (The same test file checks
// the links.)
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("div.cell_output img").forEach((img) => {
    if (img.closest("a")) return;
    const link = document.createElement("a");
    link.href = img.getAttribute("src");
    link.className = "figure-full-size";
    link.title = "Open this figure at full size";
    const shown = img.closest("picture") || img;
    shown.replaceWith(link);
    link.appendChild(shown);
  });
});
