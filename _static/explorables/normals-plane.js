// Chapter B.2: two normals in the plane, drawn by their ellipses at Mahalanobis distance 1 and 2.
// (B.9) both ways; (B.10) when the second distribution of a direction is isotropic, (B.11) when
// it is the standard normal, with a line saying which applies.
(function () {
  "use strict";
  const M = window.ExplorableMath, UI = window.ExplorableUI;
  const SIZE = 300, RANGE = 4, UNIT = SIZE / (2 * RANGE);
  const sx = (x) => SIZE / 2 + x * UNIT, sy = (y) => SIZE / 2 - y * UNIT;
  const NAMES = { p: ["μ₁", "Σ₁"], q: ["μ₂", "Σ₂"] };

  UI.register("normals-plane", (root) => {
    const state = {
      p: { mx: 0, my: 0, sa: 0.6, sb: 0.35, theta: 30 },
      q: { mx: 0.3, my: 0, sa: 1.2, sb: 0.8, theta: 0 },
    };
    root.append(UI.el("p", { class: "explorable-title", text: "Two normals in the plane" }));
    const picture = UI.svg("svg", { viewBox: `0 0 ${SIZE} ${SIZE}`, class: "explorable-svg explorable-square", role: "img",
      "aria-label": "ellipses of p and q at Mahalanobis distance 1 and 2; drag a mean to move it" });
    root.append(picture);
    for (let t = -RANGE; t <= RANGE; t++) {
      UI.svg("line", { x1: sx(t), x2: sx(t), y1: 0, y2: SIZE, class: t ? "explorable-grid" : "explorable-axis" }, picture);
      UI.svg("line", { x1: 0, x2: SIZE, y1: sy(t), y2: sy(t), class: t ? "explorable-grid" : "explorable-axis" }, picture);
    }
    UI.legend(picture, SIZE - 4, 14, "end", [["● p", "explorable-p-text"], ["  "], ["■ q", "explorable-q-text"], ["  r = 1 solid, 2 dashed"]]);
    const ellipses = {}, marks = {};
    for (const who of ["p", "q"]) {
      ellipses[who] = [1, 2].map((r) => UI.svg("path", { class: `explorable-${who}-line${r === 2 ? " dashed" : ""}` }, picture));
    }
    marks.q = UI.svg("rect", { width: 14, height: 14, class: "explorable-q-mark" }, picture);
    marks.p = UI.svg("circle", { r: 8, class: "explorable-p-mark" }, picture);

    const controls = UI.el("div", { class: "explorable-controls" });
    root.append(controls);
    const sliders = { p: {}, q: {}, matrices: {} };
    for (const who of ["p", "q"]) {
      const [mean, cov] = NAMES[who];
      const group = UI.el("fieldset", { class: `explorable-group explorable-${who}` },
        [UI.el("legend", { text: `${who} = N(${mean}, ${cov})` })]);
      controls.append(group);
      const one = (v) => v.toFixed(1), two = (v) => v.toFixed(2);
      const specs = [
        ["mx", `${mean}, first coordinate =`, -3, 3, 0.1, one], ["my", `${mean}, second coordinate =`, -3, 3, 0.1, one],
        ["sa", "σ_a, along the first axis =", 0.05, 2.5, 0.05, two], ["sb", "σ_b, along the second axis =", 0.05, 2.5, 0.05, two],
        ["theta", "angle θ of the first axis (degrees) =", 0, 180, 1, (v) => v.toFixed(0)],
      ];
      for (const [key, label, min, max, step, show] of specs) {
        const s = UI.slider(group, { control: `${who}-${key}`, label, min, max, step, value: state[who][key], show });
        s.input.addEventListener("input", () => { state[who][key] = s.value; draw(); });
        sliders[who][key] = s;
      }
      sliders.matrices[who] = UI.el("p", { class: "explorable-note", "data-quantity": `sigma-${who}` });
      group.append(sliders.matrices[who]);
      const presets = [["isotropic", { sb: null }], ["standard", { mx: 0, my: 0, sa: 1, sb: 1, theta: 0 }]];
      for (const [name, values] of presets) {
        const button = UI.el("button", { type: "button", "data-control": `${who}-${name}`, text: `make ${who} ${name}` });
        button.addEventListener("click", () => {
          for (const [key, value] of Object.entries(values)) state[who][key] = value === null ? state[who].sa : value;
          draw();
        });
        group.append(button);
      }
    }
    const table = UI.readouts(root, [
      ["kl_pq", "D_KL(p‖q), (B.9)", "nats"], ["kl_pq_b10", "D_KL(p‖q), (B.10)", "nats"], ["kl_pq_b11", "D_KL(p‖q), (B.11)", "nats"],
      ["kl_qp", "D_KL(q‖p), (B.9)", "nats"], ["kl_qp_b10", "D_KL(q‖p), (B.10)", "nats"], ["kl_qp_b11", "D_KL(q‖p), (B.11)", "nats"],
    ], "The KL divergence both ways");
    const which = UI.el("p", { class: "explorable-note", "data-quantity": "which" });
    root.append(which);
    const announce = UI.announcer(root);
    const draw = UI.scheduler(render);

    for (const who of ["p", "q"]) {
      UI.draggable(picture, marks[who], ({ x, y }) => {
        const snap = (v) => Math.round(Math.max(-3, Math.min(3, v)) * 10) / 10;
        state[who].mx = snap((x - SIZE / 2) / UNIT);
        state[who].my = snap((SIZE / 2 - y) / UNIT);
        draw();
      });
    }

    const covarianceOf = (s) => M.covariance(s.sa, s.sb, (s.theta * Math.PI) / 180);
    const fmt3 = (v) => M.fixed(v, 3);

    function render() {
      const dist = {};
      for (const who of ["p", "q"]) {
        const s = state[who];
        for (const key of Object.keys(sliders[who])) sliders[who][key].set(s[key]);
        const S = covarianceOf(s), mu = [s.mx, s.my];
        dist[who] = { mu, S };
        const l11 = Math.sqrt(S[0]), l21 = S[1] / l11, l22 = Math.sqrt(S[2] - l21 * l21);
        ellipses[who].forEach((shape, k) => {
          const r = k + 1, points = [];
          for (let i = 0; i <= 96; i++) {
            const a = (2 * Math.PI * i) / 96, u = [Math.cos(a), Math.sin(a)];
            points.push([sx(mu[0] + r * l11 * u[0]), sy(mu[1] + r * (l21 * u[0] + l22 * u[1]))]);
          }
          shape.setAttribute("d", UI.path(points) + "Z");
        });
        if (who === "p") { marks.p.setAttribute("cx", sx(mu[0])); marks.p.setAttribute("cy", sy(mu[1])); }
        else { marks.q.setAttribute("x", sx(mu[0]) - 7); marks.q.setAttribute("y", sy(mu[1]) - 7); }
        sliders.matrices[who].textContent = `${NAMES[who][1]} = (${fmt3(S[0])}, ${fmt3(S[1])}; ${fmt3(S[1])}, ${fmt3(S[2])})`;
      }
      const { p, q } = dist;
      const values = { kl_pq: M.klMvn2(p.mu, p.S, q.mu, q.S), kl_qp: M.klMvn2(q.mu, q.S, p.mu, p.S) };
      const notes = ["(B.9) applies to every pair."];
      for (const [key, first, second, a, b] of [["kl_pq", "p", "q", p, q], ["kl_qp", "q", "p", q, p]]) {
        const iso = M.isotropic(b.S), standard = iso && b.S[0] === 1 && b.mu[0] === 0 && b.mu[1] === 0;
        values[`${key}_b10`] = iso ? M.klMvnIsotropic(a.mu, a.S, b.mu, b.S[0]) : null;
        values[`${key}_b11`] = standard ? M.klMvnStandard(a.mu, a.S) : null;
        const sigma = NAMES[second][1];
        if (standard) notes.push(`For D_KL(${first}‖${second}), ${second} is the standard normal: (B.10) and (B.11) apply.`);
        else if (iso) notes.push(`For D_KL(${first}‖${second}), ${sigma} = ${fmt3(b.S[0])} I is isotropic: (B.10) applies.`);
        else notes.push(`For D_KL(${first}‖${second}), ${sigma} is not a multiple of I: (B.10) and (B.11) do not apply.`);
      }
      for (const [key, value] of Object.entries(values)) {
        table.row(key).hidden = value === null;
        table.set(key, value === null ? "" : M.fixed(value));
        table.row(key).classList.toggle("explorable-applies", value !== null && /_b1/.test(key));
      }
      UI.setText(which, notes.join(" "));
      announce(`p mean (${p.mu.join(", ")}), q mean (${q.mu.join(", ")}): KL p to q ${M.fixed(values.kl_pq)}, ` +
        `KL q to p ${M.fixed(values.kl_qp)} nats. ${notes.slice(1).join(" ")}`);
    }
    return render;  // drawn by register
  });
})();
