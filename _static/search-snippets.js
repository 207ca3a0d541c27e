// Search results quote each page's text. A formula there is KaTeX's typeset HTML and its MathML
// together with its TeX source, so a snippet would read "DKL(p‖q)DKL(p‖q)D_{KL}(p \,\|\, q)".
// Before Sphinx's search reads a page, each formula is replaced by a plain-text reading of its
// MathML: "DKL(p ∥ q) = ∑x ∈ X p(x) log p(x)/q(x)", "log_2 10 ≈ 3.32".
const SPACED = new Set(["=", "<", ">", "≤", "≥", "≈", "≠", "∈", "→", "+", "−", "∣", "‖", "∥", ":="]);

function readMath(node) {
  const parts = Array.from(node.children).filter((k) => k.localName !== "annotation");
  const all = () => parts.map(readMath).join("");
  const grouped = (k) => {
    const text = readMath(k).trim();
    return [...text].length > 1 ? `(${text})` : text;
  };
  switch (node.localName) {
    case "mi": {
      // A function's name (log, det, tr) is a word: a space after it.
      const name = node.textContent.replace(/\u2061/g, "");
      return [...name].length > 1 ? `${name} ` : name;
    }
    case "mn": case "mtext":
      return node.textContent;
    case "mo": {
      const op = node.textContent.replace(/\u2061/g, "").trim();
      return SPACED.has(op) ? ` ${op} ` : op;
    }
    case "mspace": return " ";
    case "mfrac": return `${grouped(parts[0])}/${grouped(parts[1])}`;
    case "msqrt": return `√(${all()})`;
    case "msub": {
      const base = readMath(parts[0]);
      return base.endsWith(" ") ? `${base.trim()}_${grouped(parts[1])} ` : base + readMath(parts[1]);
    }
    case "msup": return `${readMath(parts[0])}^${grouped(parts[1])}`;
    case "msubsup": case "munderover":
      return `${readMath(parts[0])}${readMath(parts[1])}^${grouped(parts[2])}`;
    case "mtd": return `${all()} `;
    case "mtr": return `${all()}; `;
    default: return all();
  }
}

function plainFormula(formula) {
  const math = formula.querySelector("math");
  const text = math ? readMath(math) : formula.textContent;
  return text.replace(/\s+/g, " ").replace(/;\s*$/, "").trim();
}

document.addEventListener("DOMContentLoaded", () => {
  if (typeof Search === "undefined" || typeof Search.htmlToText !== "function") return;
  const htmlToText = Search.htmlToText;
  Search.htmlToText = (htmlString, anchor) => {
    const doc = new DOMParser().parseFromString(htmlString, "text/html");
    // The page's own furniture inside [role=main] (download menu, "on this page" contents,
    // the print-only contents, previous/next links) is not what a result should quote.
    doc.querySelectorAll(".bd-header-article, .bd-sidebar-secondary, .prev-next-area, .onlyprint, nav").forEach((e) => e.remove());
    doc.querySelectorAll("span.math").forEach((e) => {
      e.replaceWith(" " + plainFormula(e) + " ");
    });
    // A display keeps its element, so that a result pointing at it ("#equation-eq-b9") quotes
    // it, and its number: "(B.9) DKL(N ... ) = ...".
    doc.querySelectorAll("div.math").forEach((e) => {
      const number = e.querySelector(".eqno")?.firstChild?.textContent.trim();
      e.replaceChildren(" " + (number ? number + " " : "") + plainFormula(e) + " ");
    });
    // A glossary hit points at its term: quote the definition with it.
    const target = anchor && doc.querySelector(`[role="main"] ${anchor}`);
    if (target && target.tagName === "DT" && target.nextElementSibling?.tagName === "DD") {
      target.append(" " + target.nextElementSibling.textContent);
    }
    const text = htmlToText("<!DOCTYPE html>" + doc.documentElement.outerHTML, anchor);
    return text.replace(/\s+/g, " ").trim();
  };
});

// The words of a query as typed, without one-letter words and stopwords: "B.9" is one word
// here, where Sphinx splits it into "b" and "9" (and drops the number).
function typedWords(query) {
  return query.toLowerCase().split(/\s+/)
    .filter((word) => word.length > 1 && !word.startsWith("-")
                      && !(typeof stopwords !== "undefined" && stopwords.includes(word)));
}

// Sphinx looks for the stemmed search terms in a page's text ("hartlei" for "hartley") and,
// not finding them, quotes the page's first lines; it also quotes more before a match than
// after it. Here a quote starts shortly before the first of the words as typed (or, if none
// is found, of the stemmed ones).
document.addEventListener("DOMContentLoaded", () => {
  if (typeof Search === "undefined" || typeof Search.makeSearchSummary !== "function") return;
  const typed = typedWords(new URLSearchParams(window.location.search).get("q") || "");
  Search.makeSearchSummary = (htmlText, keywords, anchor) => {
    const text = Search.htmlToText(htmlText, anchor);
    if (text === "") return null;
    const lower = text.toLowerCase();
    const first = (words) => {
      const found = words.map((k) => lower.indexOf(k.toLowerCase())).filter((i) => i > -1);
      return found.length ? Math.min(...found) : null;
    };
    const match = first(typed) ?? first([...keywords]) ?? 0;
    const start = Math.max(match - 60, 0);
    const summary = document.createElement("p");
    summary.classList.add("context");
    summary.textContent = (start > 0 ? "..." : "") + text.substr(start, 240).trim() + (start + 240 < text.length ? "..." : "");
    return summary;
  };
});

// Sphinx highlights the query's words split at punctuation, inside any word: searching "B.9"
// marked every "b" in the results and, through the highlight it passes on, on the page a result
// opens. The words as typed are highlighted instead.
document.addEventListener("DOMContentLoaded", () => {
  if (typeof Search === "undefined" || typeof Search._parseQuery !== "function") return;
  const parseQuery = Search._parseQuery;
  Search._parseQuery = (query) => {
    const parsed = parseQuery(query);
    const words = typedWords(query);
    parsed[3] = new Set(words);  // [query, searchTerms, excludedTerms, highlightTerms, objectTerms]
    if (typeof SPHINX_HIGHLIGHT_ENABLED !== "undefined" && SPHINX_HIGHLIGHT_ENABLED) {
      localStorage.setItem("sphinx_highlight_terms", words.join(" "));
    }
    return parsed;
  };
});
