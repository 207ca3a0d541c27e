// A figure is drawn for the laptop column; on a phone it is shown at about half that width,
// and its labels become small. Each figure therefore links to its own image file: a tap
// opens it at full size, where the reader can zoom. (tests/test_site_layout.py checks it.)
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("div.cell_output img").forEach((img) => {
    if (img.closest("a")) return;
    const link = document.createElement("a");
    link.href = img.getAttribute("src");
    link.className = "figure-full-size";
    link.title = "Open this figure at full size";
    img.replaceWith(link);
    link.appendChild(img);
  });
});
