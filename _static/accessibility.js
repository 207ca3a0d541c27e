// Names for screen readers (tests/test_accessibility.py checks them with axe-core):
// sphinx-togglebutton names every solution's button "Toggle hidden content", so a page with
// four solutions has four buttons of the same name. Each is named after the solution it opens
// ("Show Solution to Exercise 2.1"), and keeps its aria-expanded state.
function nameToggleButtons() {
  document.querySelectorAll("button.toggle-button").forEach((button) => {
    const title = button.closest(".admonition-title");
    if (!title) return;
    const copy = title.cloneNode(true);
    copy.querySelectorAll("button, .headerlink").forEach((e) => e.remove());
    const name = copy.textContent.replace(/\s+/g, " ").trim();
    if (name) button.setAttribute("aria-label", `Show or hide: ${name}`);
  });
}
// togglebutton.js adds its buttons when the document is parsed; this runs after it.
window.addEventListener("DOMContentLoaded", () => setTimeout(nameToggleButtons, 0));

// A code block wider than its box scrolls; a keyboard reaches it only with a tab stop. The theme
// gives one to those that scroll when the page loads; a solution's code scrolls only once the
// solution is opened, so its blocks get theirs then.
// Only blocks that have no tab stop yet (the theme gives one, or -1, to each block when the page
// loads) are measured, all before any is changed: measuring makes the browser lay the page out
// first, which on the longest chapter took about a second of a busy laptop's main thread.
function tabStopsForScrollingCode(root) {
  const scrolling = Array.from(root.querySelectorAll("pre:not([tabindex])"))
    .filter((pre) => pre.scrollWidth > pre.clientWidth);
  scrolling.forEach((pre) => pre.setAttribute("tabindex", "0"));
}
window.addEventListener("DOMContentLoaded", () => {
  // (again once an opening solution's transition has run: while it runs, its code has no width)
  const observer = new MutationObserver(() => {
    tabStopsForScrollingCode(document);
    [100, 300, 600].forEach((ms) => setTimeout(() => tabStopsForScrollingCode(document), ms));
  });
  document.querySelectorAll("article .admonition, article details").forEach((e) =>
    observer.observe(e, {attributes: true, attributeFilter: ["class", "open"]}));
});
// A block can also start to scroll after the theme's pass, once the fonts and figures are in.
window.addEventListener("load", () => {
  tabStopsForScrollingCode(document);
  document.fonts?.ready.then(() => tabStopsForScrollingCode(document));
});
window.addEventListener("resize", () => tabStopsForScrollingCode(document));
["transitionend", "animationend"].forEach((type) =>
  document.addEventListener(type, () => tabStopsForScrollingCode(document), true));

// A dialog opened from the page's header (on a phone, the book's contents behind the ☰ button,
// the page's sections, the search) gives the focus back to the button that opened it when it
// closes, by Escape or otherwise. The theme's dialogs return it to whatever had the focus when
// the button was clicked, but the book theme blurs these buttons on their click, before that,
// so the focus went to the page's body and the next Tab started again from the page's top.
const DIALOG_OPENERS = {
  "pst-primary-sidebar-modal": ".primary-toggle",
  "pst-secondary-sidebar-modal": ".secondary-toggle",
  "pst-search-dialog": ".search-button__button",
};
const openers = {};
document.addEventListener("click", (event) => {
  for (const [dialog, selector] of Object.entries(DIALOG_OPENERS)) {
    const button = event.target.closest?.(selector);
    if (button) openers[dialog] = button;
  }
}, true);
window.addEventListener("DOMContentLoaded", () => {
  for (const id of Object.keys(DIALOG_OPENERS)) {
    document.getElementById(id)?.addEventListener("close", () => {
      const button = openers[id];
      delete openers[id];
      // after the theme's own handlers, which move the drawer's content back into the page
      if (button) setTimeout(() => button.isConnected && button.focus(), 0);
    });
  }
});

// The book theme blurs the header's buttons (colour mode, search, ☰ and the page's sections) on
// their click, so that a mouse leaves no ring behind; a keyboard lost its place too. Where the
// button opens no dialog (colour mode; ☰ on a laptop, which folds the contents away in place),
// it takes the focus back once the theme has blurred it: Enter or Space on it again undoes what
// it did, and Tab goes on from it, not from the page's start. (A button clicked by a mouse shows
// no ring when it gets the focus back: it does not match :focus-visible.)
const BLURRED_BUTTONS = ".theme-switch-button, .search-button, .primary-toggle, .secondary-toggle";
document.addEventListener("click", (event) => {
  const button = event.target.closest?.(BLURRED_BUTTONS);
  if (!button) return;
  setTimeout(() => {
    const opened = document.querySelector("dialog[open]");
    if (!opened && button.isConnected && button.getClientRects().length) button.focus();
  }, 0);
}, true);  // (before the theme's own handlers, which may stop the click there)

// On a phone the book's contents open in a drawer scrolled to its top; on a later page of a long
// chapter the reader's own entry lay below the drawer's fold. Opening the drawer scrolls it, no
// further than needed, to show the current page's entry.
window.addEventListener("DOMContentLoaded", () => {
  const drawer = document.getElementById("pst-primary-sidebar-modal");
  if (!drawer) return;
  new MutationObserver(() => {
    if (!drawer.open) return;
    const current = drawer.querySelector("a.current");
    if (current) setTimeout(() => current.scrollIntoView({block: "nearest"}), 0);
  }).observe(drawer, {attributes: true, attributeFilter: ["open"]});
});
