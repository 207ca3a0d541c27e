// Chapter 4: knowledge distillation at temperature T. Teacher logits v and student logits z
// (editable), p_T = softmax(v/T), q_T = softmax(z/T), D_KL(p_T‖q_T), the loss T² D_KL and its
// high-temperature limit (4.5), ‖(z − z̄) − (v − v̄)‖² / (2K).
(function () {
  "use strict";
  const M = window.ExplorableMath, UI = window.ExplorableUI;
  const K = 5, W = 400, H = 170, BASE = 140, TOP = 32;

  UI.register("distillation-temperature", (root) => {
    const state = { v: [4, 1.5, 0.5, -1, -3], z: [2, 2, -1, 0, -2], T: 4 };
    root.append(UI.el("p", { class: "explorable-title", text: "Distillation at temperature T" }));
    const picture = UI.svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "explorable-svg", role: "img",
      "aria-label": "bars of the softened teacher and student probabilities at temperature T for each class" });
    root.append(picture);
    UI.svg("line", { x1: 20, x2: W - 10, y1: BASE, y2: BASE, class: "explorable-axis" }, picture);
    UI.legend(picture, W - 10, 14, "end", [["▇ p_T teacher", "explorable-p-text"], ["  "], ["▇ q_T student", "explorable-q-text"]]);
    const uniform = UI.svg("line", { x1: 20, x2: W - 10, class: "explorable-third-line" }, picture);
    UI.legend(picture, 22, 14, "start", [["··· uniform 1/K", "explorable-third-text"]]);
    const bars = { p: [], q: [] }, group = (W - 40) / K;
    for (let k = 0; k < K; k++) {
      const x = 28 + k * group;
      bars.p.push(UI.svg("rect", { x, width: group / 2 - 8, class: "explorable-p-bar" }, picture));
      bars.q.push(UI.svg("rect", { x: x + group / 2 - 6, width: group / 2 - 8, class: "explorable-q-bar" }, picture));
      UI.svg("text", { x: x + group / 2 - 7, y: BASE + 16, "text-anchor": "middle", text: `class ${k + 1}` }, picture);
    }

    const controls = UI.el("div", { class: "explorable-controls" });
    root.append(controls);
    const temperature = UI.el("fieldset", { class: "explorable-group" }, [UI.el("legend", { text: "Temperature" })]);
    controls.append(temperature);
    const slider = UI.slider(temperature, { control: "log10T", label: "T =", min: -1, max: 4, step: 0.01,
      value: Math.log10(state.T), show: (v) => String(Number((10 ** v).toPrecision(3))) });
    const field = UI.numberField(temperature, { control: "T", label: "T (any value > 0)", value: state.T, min: 0.01 });
    slider.input.addEventListener("input", () => {
      state.T = Number((10 ** slider.value).toPrecision(6));
      field.value = state.T;
      draw();
    });
    field.addEventListener("input", () => {
      const T = Number(field.value);
      if (!(T > 0) || !Number.isFinite(T)) return;
      state.T = T;
      slider.set(Math.log10(T));
      draw();
    });
    const logits = {};
    for (const [key, who, name] of [["v", "p", "Teacher logits v"], ["z", "q", "Student logits z"]]) {
      const box = UI.el("fieldset", { class: `explorable-group explorable-${who}` }, [UI.el("legend", { text: name })]);
      const row = UI.el("div", { class: "explorable-fields" });
      box.append(row);
      controls.append(box);
      logits[key] = state[key].map((value, k) => {
        const input = UI.numberField(row, { control: `${key}${k + 1}`, label: `${key}${"₁₂₃₄₅"[k]}`, value, step: 0.5 });
        input.addEventListener("input", () => {
          const a = Number(input.value);
          if (input.value.trim() === "" || !Number.isFinite(a)) return;
          state[key][k] = a;
          draw();
        });
        return input;
      });
    }

    const probabilities = UI.el("table", { class: "explorable-readouts explorable-probabilities" });
    const head = UI.el("tr", {}, [UI.el("th", { scope: "col", text: "k" })]);
    for (let k = 0; k < K; k++) head.append(UI.el("th", { scope: "col", text: String(k + 1) }));
    probabilities.append(UI.el("caption", { text: "Softened probabilities" }), UI.el("thead", {}, [head]));
    const body = UI.el("tbody");
    const cells = {};
    for (const [who, name] of [["p", "p_T"], ["q", "q_T"]]) {
      const row = UI.el("tr", {}, [UI.el("th", { scope: "row", text: name })]);
      cells[who] = [];
      for (let k = 0; k < K; k++) {
        const cell = UI.el("td", { class: "explorable-value", "data-quantity": `${who}${k + 1}` });
        cells[who].push(cell);
        row.append(cell);
      }
      body.append(row);
    }
    probabilities.append(body);
    root.append(probabilities);
    const table = UI.readouts(root, [
      ["kl", "D_KL(p_T‖q_T)", "nats"], ["loss", "T² · D_KL(p_T‖q_T)", "nats"],
      ["limit", "limit (4.5) as T → ∞", "nats"], ["gap", "relative gap of T² · D_KL to (4.5)"],
    ], "Distillation loss");
    const announce = UI.announcer(root);
    const draw = UI.scheduler(render);

    function render() {
      const result = M.distillation(state.z, state.v, state.T);
      const scale = (BASE - TOP) / Math.max(...result.p, ...result.q);
      for (const who of ["p", "q"]) {
        result[who].forEach((x, k) => {
          bars[who][k].setAttribute("y", BASE - x * scale);
          bars[who][k].setAttribute("height", x * scale);
          cells[who][k].textContent = x.toFixed(3);
        });
      }
      uniform.setAttribute("y1", BASE - scale / K);
      uniform.setAttribute("y2", BASE - scale / K);
      table.set("kl", M.significant(result.kl));
      table.set("loss", M.significant(result.loss));
      table.set("limit", M.significant(result.limit));
      table.set("gap", result.limit > 0 ? M.significant(Math.abs(result.loss / result.limit - 1), 2) : "—");
      announce(`T = ${state.T}: KL ${M.significant(result.kl)}, T squared times KL ${M.significant(result.loss)}, ` +
        `limit ${M.significant(result.limit)} nats.`);
    }
    return render;  // drawn by register
  });
})();
