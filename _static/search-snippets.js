// Search results quote each page's text, where formulas are still TeX source (MathJax
// typesets them only on the page itself), so snippets showed raw LaTeX such as
// "\(D_{KL}(p \,\|\, q)\)". Before Sphinx's search reads a page, each formula is replaced
// by a plain-text reading of it: "DKL(p ‖ q)".
function plainFormula(tex) {
  return tex
    .replace(/^\\[(\[]|\\[)\]]$/g, "")
    .replace(/\\(,|;|:|!|quad|qquad|big|Big|bigl|bigr|Bigl|Bigr|left|right)(?![a-zA-Z])/g, " ")
    .replace(/\\\|/g, "‖")
    .replace(/\\(mathcal|mathbb|mathrm|operatorname|text)\b/g, "")
    .replace(/\\([a-zA-Z]+)/g, "$1")
    .replace(/[{}_^$]/g, "")
    .replace(/\s+/g, " ")
    .trim();
}

document.addEventListener("DOMContentLoaded", () => {
  if (typeof Search === "undefined" || typeof Search.htmlToText !== "function") return;
  const htmlToText = Search.htmlToText;
  Search.htmlToText = (htmlString, anchor) => {
    const doc = new DOMParser().parseFromString(htmlString, "text/html");
    doc.querySelectorAll("span.math, div.math").forEach((e) => {
      e.replaceWith(" " + plainFormula(e.textContent.trim()) + " ");
    });
    return htmlToText("<!DOCTYPE html>" + doc.documentElement.outerHTML, anchor);
  };
});
