// Chapter B.1: two distributions p and q on three outcomes, on the probability simplex.
// Both KL directions (B.1), both cross entropies (B.2), both entropies (B.3) and the JSD (B.7),
// in nats or bits; +∞ where the support condition of (B.1) fails, with the reason.
(function () {
  "use strict";
  const M = window.ExplorableMath, UI = window.ExplorableUI;
  const OUTCOMES = ["x₁", "x₂", "x₃"];
  // Corners of the simplex (outcome k has probability 1 at corner k) and the bar chart's frame.
  const CORNERS = [[22, 182], [178, 182], [100, 47]];
  const BARS = { left: 218, bottom: 182, height: 135, group: 58, width: 20 };

  UI.register("kl-three-outcomes", (root) => {
    // Whole hundredths, so that a probability is exactly 0 when its slider says so.
    const state = { p: [10, 40, 50], q: [20, 30, 50], bits: false };

    root.append(UI.el("p", { class: "explorable-title", text: "Two distributions on three outcomes" }));
    const picture = UI.svg("svg", { viewBox: "0 0 400 200", class: "explorable-svg", role: "img",
      "aria-label": "p and q as points of the probability triangle, and as bars" });
    root.append(picture);
    UI.svg("polygon", { points: CORNERS.map((c) => c.join(",")).join(" "), class: "explorable-frame" }, picture);
    CORNERS.forEach(([x, y], k) => UI.svg("text", { x: x + [-14, 14, 0][k], y: y + [12, 12, -8][k],
      class: "explorable-label", "text-anchor": "middle", text: OUTCOMES[k] }, picture));
    const marks = {
      q: UI.svg("rect", { width: 18, height: 18, class: "explorable-q-mark" }, picture),
      p: UI.svg("circle", { r: 10, class: "explorable-p-mark" }, picture),
    };
    UI.svg("line", { x1: BARS.left - 4, x2: 396, y1: BARS.bottom, y2: BARS.bottom, class: "explorable-axis" }, picture);
    const bars = { p: [], q: [] };
    OUTCOMES.forEach((name, k) => {
      const x = BARS.left + 6 + k * BARS.group;
      bars.p.push(UI.svg("rect", { x, width: BARS.width, class: "explorable-p-bar" }, picture));
      bars.q.push(UI.svg("rect", { x: x + BARS.width + 2, width: BARS.width, class: "explorable-q-bar" }, picture));
      UI.svg("text", { x: x + BARS.width + 1, y: BARS.bottom + 14, class: "explorable-label",
        "text-anchor": "middle", text: name }, picture);
    });
    UI.legend(picture, 396, 22, "end", [["● p", "explorable-p-text"], ["   "], ["■ q", "explorable-q-text"]]);

    const controls = UI.el("div", { class: "explorable-controls" });
    root.append(controls);
    const sliders = { p: [], q: [] };
    const thirds = {};
    for (const who of ["p", "q"]) {
      const group = UI.el("fieldset", { class: `explorable-group explorable-${who}` },
        [UI.el("legend", { text: `${who} (drag its ${who === "p" ? "dot" : "square"} in the triangle)` })]);
      controls.append(group);
      for (const k of [0, 1]) {
        sliders[who].push(UI.slider(group, { control: `${who}${k + 1}`, label: `${who}(${OUTCOMES[k]}) =`,
          min: 0, max: 100, step: 1, value: state[who][k], show: (v) => (v / 100).toFixed(2) }));
      }
      thirds[who] = UI.el("p", { class: "explorable-note" });
      group.append(thirds[who]);
      sliders[who].forEach((s, k) => s.input.addEventListener("input", () => {
        const mine = s.value, other = state[who][1 - k];
        state[who][k] = mine;
        state[who][1 - k] = Math.min(other, 100 - mine);  // the other gives way
        state[who][2] = 100 - state[who][0] - state[who][1];
        update();
      }));
    }
    const unit = UI.el("fieldset", { class: "explorable-group explorable-units" }, [UI.el("legend", { text: "Unit" })]);
    for (const [value, label] of [["nats", "nats (log base e)"], ["bits", "bits (log base 2)"]]) {
      const input = UI.el("input", { type: "radio", name: `unit-${root.id}`, value, "data-control": `unit-${value}` });
      input.checked = value === "nats";
      input.addEventListener("change", () => { state.bits = value === "bits"; update(); });
      unit.append(UI.el("label", {}, [input, " " + label]));
    }
    controls.append(unit);

    const table = UI.readouts(root, [
      ["kl_pq", "D_KL(p‖q)"], ["kl_qp", "D_KL(q‖p)"], ["ce_pq", "H(p, q)"], ["ce_qp", "H(q, p)"],
      ["h_p", "H(p)"], ["h_q", "H(q)"], ["jsd", "JSD(p‖q)"],
    ], "Divergences and entropies");
    const why = UI.el("p", { class: "explorable-note explorable-why" });
    root.append(why);
    const announce = UI.announcer(root);

    const draw = UI.scheduler(render);
    function update() { draw(); }

    function point(weights) {
      return [0, 1].map((axis) => weights.reduce((a, w, k) => a + (w / 100) * CORNERS[k][axis], 0));
    }
    // A point of the triangle as whole hundredths (nearest point of the triangle if outside).
    function weightsAt({ x, y }) {
      const [[x1, y1], [x2, y2], [x3, y3]] = CORNERS;
      const det = (y2 - y3) * (x1 - x3) + (x3 - x2) * (y1 - y3);
      let b1 = ((y2 - y3) * (x - x3) + (x3 - x2) * (y - y3)) / det;
      let b2 = ((y3 - y1) * (x - x3) + (x1 - x3) * (y - y3)) / det;
      let b3 = 1 - b1 - b2;
      [b1, b2, b3] = [b1, b2, b3].map((b) => Math.max(b, 0));
      const total = b1 + b2 + b3;
      const k1 = Math.round((100 * b1) / total), k2 = Math.min(Math.round((100 * b2) / total), 100 - k1);
      return [k1, k2, 100 - k1 - k2];
    }
    for (const who of ["p", "q"]) {
      UI.draggable(picture, marks[who], (where) => { state[who] = weightsAt(where); update(); });
    }

    function render() {
      const p = state.p.map((k) => k / 100), q = state.q.map((k) => k / 100);
      const scale = state.bits ? 1 / M.LN2 : 1, unitName = state.bits ? "bits" : "nats";
      for (const who of ["p", "q"]) {
        sliders[who].forEach((s, k) => s.set(state[who][k]));
        thirds[who].textContent = `${who}(x₃) = 1 − ${who}(x₁) − ${who}(x₂) = ${(state[who][2] / 100).toFixed(2)}`;
        const [x, y] = point(state[who]);
        if (who === "p") { marks.p.setAttribute("cx", x); marks.p.setAttribute("cy", y); }
        else { marks.q.setAttribute("x", x - 9); marks.q.setAttribute("y", y - 9); }
        state[who].forEach((k, i) => {
          const h = (k / 100) * BARS.height;
          bars[who][i].setAttribute("y", BARS.bottom - h);
          bars[who][i].setAttribute("height", h);
        });
      }
      const values = {
        kl_pq: M.kl(p, q), kl_qp: M.kl(q, p), ce_pq: M.crossEntropy(p, q), ce_qp: M.crossEntropy(q, p),
        h_p: M.entropy(p), h_q: M.entropy(q), jsd: M.jsd(p, q),
      };
      for (const [key, value] of Object.entries(values)) {
        table.set(key, M.fixed(value * scale), unitName);
        table.row(key).classList.toggle("explorable-infinite", value === Infinity);
      }
      const reasons = [];
      for (const [a, b, name] of [[p, q, "D_KL(p‖q) and H(p, q)"], [q, p, "D_KL(q‖p) and H(q, p)"]]) {
        const lost = M.missing(a, b);
        if (!lost.length) continue;
        const [first, second] = name.startsWith("D_KL(p") ? ["p", "q"] : ["q", "p"];
        const where = lost.map((i) => `${OUTCOMES[i]} (${first} = ${a[i].toFixed(2)})`).join(" and ");
        reasons.push(`${name} are +∞: ${first} has mass on ${where}, where ${second} has none, so the support of ${first} ` +
          `is not inside that of ${second} (the condition of (B.1)) and the term ${first} log(${first}/${second}) there is +∞.`);
      }
      UI.setText(why, reasons.length ? reasons.join(" ") :
        "Both supports agree where it matters: every outcome of p is possible under q and vice versa, so all values are finite. " +
        "Set a probability of q to 0 where p has mass to see (B.1) become +∞; the JSD stays finite.");
      const spoken = (key, name) => `${name} ${values[key] === Infinity ? "infinite" : M.fixed(values[key] * scale)}`;
      announce(`p = (${p.map((x) => x.toFixed(2)).join(", ")}), q = (${q.map((x) => x.toFixed(2)).join(", ")}). In ${unitName}: ` +
        [["kl_pq", "KL p to q"], ["kl_qp", "KL q to p"], ["jsd", "JSD"]].map((a) => spoken(...a)).join(", ") + ".");
    }
    return render;  // drawn by register
  });
})();
