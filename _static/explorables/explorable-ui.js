// What every explorable figure needs from the page: labelled sliders, a table of readouts,
// SVG drawing, dragging with pointer events (mouse, touch, pen), and a polite live region
// that tells screen readers the numbers once the reader pauses. No framework.
(function () {
  "use strict";
  const SVG = "http://www.w3.org/2000/svg";
  let counter = 0;

  // "_" before letters or digits marks a subscript in the figures' text: "D_KL(p_T‖q_T)".
  const SUBSCRIPT = /_([A-Za-z0-9]+)/g;

  // Sets a node's text with its subscripts: "D_KL(p_T‖q_T)" shows
  // D<sub>KL</sub>(p<sub>T</sub>‖q<sub>T</sub>), as the chapters write it.
  function setText(node, text) {
    const parts = String(text).split(SUBSCRIPT);
    node.replaceChildren(...parts.map((part, k) => (k % 2 ? el("sub", { text: part }) : part)));
  }

  function el(tag, attrs = {}, children = []) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (key === "text") {
        if (tag === "sub") node.textContent = value;
        else setText(node, value);
      } else node.setAttribute(key, value);
    }
    for (const child of children) node.append(child);
    return node;
  }

  function svg(tag, attrs = {}, parent = null) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (key === "text") node.textContent = value;
      else node.setAttribute(key, value);
    }
    if (parent) parent.append(node);
    return node;
  }

  // A labelled range input with its value shown beside the label. `show` formats the value.
  function slider(parent, { control, label, min, max, step, value, show = String }) {
    const id = `explorable-control-${++counter}`;
    const input = el("input", { type: "range", id, min, max, step, value, "data-control": control });
    const output = el("output", { for: id, text: show(Number(value)) });
    const row = el("div", { class: "explorable-slider" }, [
      el("label", { for: id, text: `${label} ` }, [output]), input,
    ]);
    parent.append(row);
    input.addEventListener("input", () => { output.textContent = show(Number(input.value)); });
    return {
      input,
      get value() { return Number(input.value); },
      set(v) { input.value = v; output.textContent = show(Number(input.value)); },
    };
  }

  // A small labelled number field (logits, exact values).
  function numberField(parent, { control, label, value, step = "any", min, max }) {
    const id = `explorable-control-${++counter}`;
    const attrs = { type: "number", id, value, step, inputmode: "decimal", "data-control": control };
    if (min !== undefined) attrs.min = min;
    if (max !== undefined) attrs.max = max;
    const input = el("input", attrs);
    parent.append(el("div", { class: "explorable-field" }, [el("label", { for: id, text: label }), input]));
    return input;
  }

  // A table of named quantities; set(key, text) fills one value cell.
  function readouts(parent, rows, caption) {
    const body = el("tbody");
    const cells = {};
    for (const [key, name, unit = ""] of rows) {
      const value = el("td", { class: "explorable-value", "data-quantity": key });
      const unitCell = el("td", { class: "explorable-unit", text: unit });
      cells[key] = { value, unit: unitCell };
      body.append(el("tr", { "data-row": key }, [el("th", { scope: "row", text: name }), value, unitCell]));
    }
    const table = el("table", { class: "explorable-readouts" }, [el("caption", { text: caption }), body]);
    parent.append(table);
    return {
      table,
      set(key, text, unit) {
        setText(cells[key].value, text);
        if (unit !== undefined) cells[key].unit.textContent = unit;
      },
      row: (key) => cells[key].value.parentNode,
    };
  }

  // A live region for screen readers, updated at most once per `wait` ms after the last change.
  function announcer(parent, wait = 800) {
    const region = el("p", { class: "explorable-live", "aria-live": "polite", role: "status" });
    parent.append(region);
    let timer = null;
    return (text) => {
      clearTimeout(timer);
      // Plain text, "D KL" for D_KL: the region is hidden from sight, and an element inside it
      // would be laid out past the figure's edge.
      timer = setTimeout(() => { region.textContent = text.replace(SUBSCRIPT, " $1"); }, wait);
    };
  }

  // Calls `draw` once per animation frame however many inputs arrive in between.
  function scheduler(draw) {
    let pending = false;
    const run = () => {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => { pending = false; draw(); });
    };
    return run;
  }

  // Drag an SVG element: onMove receives the pointer in the SVG's own coordinates.
  function draggable(svgRoot, handle, onMove) {
    handle.classList.add("explorable-handle");
    const toSvg = (event) => {
      const point = svgRoot.createSVGPoint();
      point.x = event.clientX;
      point.y = event.clientY;
      return point.matrixTransform(svgRoot.getScreenCTM().inverse());
    };
    handle.addEventListener("pointerdown", (event) => {
      event.preventDefault();
      handle.setPointerCapture(event.pointerId);
      handle.classList.add("dragging");
    });
    handle.addEventListener("pointermove", (event) => {
      if (handle.hasPointerCapture(event.pointerId)) onMove(toSvg(event));
    });
    const stop = (event) => { handle.classList.remove("dragging"); handle.releasePointerCapture(event.pointerId); };
    handle.addEventListener("pointerup", stop);
    handle.addEventListener("pointercancel", stop);
  }

  // A line of SVG text in parts, each [text, class] (a class colours its part like its curve).
  function legend(parent, x, y, anchor, parts) {
    const text = svg("text", { x, y, "text-anchor": anchor }, parent);
    for (const [words, cls] of parts) {
      const part = svg("tspan", cls ? { class: cls } : {}, text);
      // "p_T": the T a subscript, as in the chapters (see setText).
      String(words).split(SUBSCRIPT).forEach((piece, k) => {
        if (k % 2) svg("tspan", { "baseline-shift": "sub", "font-size": "80%", text: piece }, part);
        else if (piece) part.append(piece);
      });
    }
    return text;
  }

  // An SVG path through points [[x, y], ...].
  const path = (points) => points.map(([x, y], i) => `${i ? "L" : "M"}${x.toFixed(2)},${y.toFixed(2)}`).join("");

  // build(root) makes a figure's controls (in the tab order at once) and returns its drawing,
  // run when the figure is within half a screen of being seen, or printed: a page's load
  // does not wait for the numbers.
  const undrawn = new Map();
  let watcher = null;
  function drawNow(root) {
    const draw = undrawn.get(root);
    if (!draw) return;
    undrawn.delete(root);
    if (watcher) watcher.unobserve(root);
    draw();
    root.classList.add("explorable-ready");
  }
  function register(name, build) {
    const start = () => {
      if (!watcher && window.IntersectionObserver) {
        watcher = new IntersectionObserver((seen) => seen.forEach((e) => e.isIntersecting && drawNow(e.target)),
          { rootMargin: "50% 0px" });
        window.addEventListener("beforeprint", () => Array.from(undrawn.keys()).forEach(drawNow));
      }
      for (const root of document.querySelectorAll(`[data-explorable="${name}"]`)) {
        root.replaceChildren();
        undrawn.set(root, build(root));
        if (watcher) watcher.observe(root); else drawNow(root);
      }
    };
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
    else start();
  }

  window.ExplorableUI = { el, setText, svg, slider, numberField, readouts, announcer, scheduler, draggable, path, legend, register };
})();
