// Search results quote each page's text. A formula there is KaTeX's typeset HTML and MathML
// together with its TeX source, so a snippet would read "DKL(p‖q)DKL(p‖q)D_{KL}(p \,\|\, q)".
// Before Sphinx's search reads a page, each formula is replaced by a plain-text reading of
// its TeX source: "DKL(p ‖ q)".
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
      const source = e.querySelector('annotation[encoding="application/x-tex"]');
      e.replaceWith(" " + plainFormula((source || e).textContent.trim()) + " ");
    });
    return htmlToText("<!DOCTYPE html>" + doc.documentElement.outerHTML, anchor);
  };
});
