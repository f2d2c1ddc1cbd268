// The camera page's zone and line editor: draw polygons and lines on the camera's picture, name
// them, attach a rule, save. Points are in the camera's pixels (the SVG's viewBox is the picture's
// size). Rules the editor does not show (a second rule on a zone, options it has no field for) are
// kept as they were; a renamed zone or line takes its rules along; a deleted one drops them.
"use strict";
(function () {
  const data = document.getElementById("editor-data");
  const svg = document.getElementById("overlay");
  if (!data || !svg) return;
  const NS = "http://www.w3.org/2000/svg";
  const editable = data.dataset.editable === "yes";
  const label = (key) => data.dataset["t" + key.charAt(0).toUpperCase() + key.slice(1)] || key;
  const TYPES = { zone: ["intrusion", "loitering", "crowd"], line: ["line_crossing"] };
  const loaded = JSON.parse(data.dataset.rules || "{}");
  const allRules = loaded.rules || [];
  const refOf = (rule) => (rule.zone ? ["zone", rule.zone] : rule.line ? ["line", rule.line] : null);
  const shapes = [];
  for (const z of loaded.zones || []) shapes.push({ kind: "zone", extra: z, name: z.name, points: z.points });
  for (const l of loaded.lines || []) shapes.push({ kind: "line", extra: l, name: l.name, points: [l.start, l.end] });
  for (const shape of shapes) {
    shape.rules = allRules.filter((r) => { const ref = refOf(r); return ref && ref[0] === shape.kind && ref[1] === shape.name; });
    const first = shape.rules[0];
    shape.type = first ? first.type : "";
    shape.classes = first && first.classes ? first.classes.join(", ") : "person";
  }
  const loose = allRules.filter((r) => !refOf(r));
  let mode = null;
  let draft = [];
  let selected = -1;

  function el(name, attrs, parent) {
    const node = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (parent) parent.appendChild(node);
    return node;
  }
  const pointsText = (pts) => pts.map((p) => p.join(",")).join(" ");

  function drawOverlay() {
    svg.replaceChildren();
    const unit = svg.viewBox.baseVal.width / 768; // text and handles look alike on any camera's size
    shapes.forEach((shape, k) => {
      const cls = (shape.kind === "zone" ? "zone" : "line") + (k === selected ? " selected" : "");
      if (shape.kind === "zone") el("polygon", { points: pointsText(shape.points), class: cls, "data-shape": shape.name }, svg);
      else {
        const [a, b] = shape.points;
        el("line", { x1: a[0], y1: a[1], x2: b[0], y2: b[1], class: cls, "data-shape": shape.name }, svg);
        el("circle", { cx: a[0], cy: a[1], r: 6 * unit, class: "vertex" }, svg);
      }
      const at = { x: shape.points[0][0] + 8 * unit, y: shape.points[0][1] + 26 * unit };
      const text = el("text", { ...at, class: "label", "font-size": 22 * unit }, svg);
      text.textContent = shape.name;
    });
    if (draft.length) {
      el(mode === "zone" ? "polygon" : "polyline", { points: pointsText(draft), class: "draft" }, svg);
      for (const p of draft) el("circle", { cx: p[0], cy: p[1], r: 6 * unit, class: "vertex" }, svg);
    }
  }

  function cell(row, child) {
    const td = document.createElement("td");
    if (child) td.appendChild(child);
    row.appendChild(td);
    return td;
  }

  function shapeRow(shape, k) {
    const row = document.createElement("tr");
    row.dataset.shapeRow = shape.name;
    const name = Object.assign(document.createElement("input"), { value: shape.name, disabled: !editable });
    name.dataset.shapeName = String(k);
    name.addEventListener("input", () => { shape.name = name.value.trim(); drawOverlay(); });
    const nameCell = cell(row, name);
    const kind = document.createElement("div");
    kind.className = "muted";
    kind.textContent = label(shape.kind);
    nameCell.appendChild(kind);
    const type = Object.assign(document.createElement("select"), { disabled: !editable });
    type.dataset.shapeRule = String(k);
    for (const value of ["", ...TYPES[shape.kind]]) {
      type.appendChild(Object.assign(document.createElement("option"), { value, textContent: label(value || "none"), selected: value === shape.type }));
    }
    type.addEventListener("change", () => { shape.type = type.value; });
    cell(row, type);
    const classes = Object.assign(document.createElement("input"), { value: shape.classes, disabled: !editable });
    classes.dataset.shapeClasses = String(k);
    classes.addEventListener("input", () => { shape.classes = classes.value; });
    cell(row, classes);
    if (editable) {
      const remove = Object.assign(document.createElement("button"), { type: "button", textContent: label("delete") });
      remove.dataset.action = "delete-shape";
      remove.addEventListener("click", () => { shapes.splice(k, 1); selected = -1; render(); });
      cell(row, remove);
    } else cell(row, null);
    row.addEventListener("mouseenter", () => { selected = k; drawOverlay(); });
    row.addEventListener("mouseleave", () => { selected = -1; drawOverlay(); });
    return row;
  }

  function render() {
    const body = document.getElementById("shapes");
    body.replaceChildren(...shapes.map(shapeRow));
    document.getElementById("no-shapes").hidden = shapes.length > 0;
    drawOverlay();
  }

  function uniqueName(prefix, taken) {
    let n = 1;
    while (taken.has(prefix + "-" + n)) n += 1;
    return prefix + "-" + n;
  }

  function freeName(name, taken) {
    return taken.has(name) ? uniqueName(name, taken) : name;
  }

  function setMode(next) {
    mode = next;
    draft = [];
    svg.classList.toggle("drawing", mode !== null);
    for (const action of ["finish", "cancel"]) {
      const button = document.querySelector(`[data-action=${action}]`);
      if (button) button.hidden = mode === null || (action === "finish" && mode !== "zone");
    }
    drawOverlay();
  }

  function finish() {
    const enough = mode === "zone" ? draft.length >= 3 : draft.length === 2;
    if (enough) {
      const taken = new Set(shapes.map((s) => s.name));
      shapes.push({ kind: mode, extra: {}, name: uniqueName(mode, taken), points: draft, rules: [],
                    type: TYPES[mode][0], classes: "person" });
    }
    setMode(null);
    render();
  }

  function imagePoint(event) {
    const box = svg.getBoundingClientRect();
    const view = svg.viewBox.baseVal;
    return [Math.round(((event.clientX - box.left) * view.width) / box.width),
            Math.round(((event.clientY - box.top) * view.height) / box.height)];
  }

  function onClick(event) {
    if (!mode) return;
    const p = imagePoint(event);
    const near = (q) => Math.hypot(q[0] - p[0], q[1] - p[1]) < svg.viewBox.baseVal.width / 60;
    if (mode === "zone" && draft.length >= 3 && near(draft[0])) return finish();
    if (draft.length && near(draft[draft.length - 1])) return; // the second click of a double-click
    draft.push(p);
    if (mode === "line" && draft.length === 2) return finish();
    drawOverlay();
  }

  function ruleFor(shape, rule, taken) {
    const key = shape.kind;
    const classes = shape.classes.split(",").map((c) => c.trim()).filter(Boolean);
    const base = rule && rule.type === shape.type ? { ...rule } : { id: freeName(shape.name + "-" + shape.type, taken), type: shape.type };
    base[key] = shape.name;
    if (classes.length) base.classes = classes;
    else delete base.classes;
    taken.add(base.id);
    return base;
  }

  function document_() {
    const taken = new Set(allRules.map((r) => r.id));
    const rules = [...loose];
    for (const shape of shapes) {
      const [first, ...rest] = shape.rules;
      if (shape.type) rules.push(ruleFor(shape, first, taken));
      for (const other of rest) rules.push({ ...other, [shape.kind]: shape.name });
    }
    const zones = shapes.filter((s) => s.kind === "zone").map((s) => ({ ...s.extra, name: s.name, points: s.points }));
    const lines = shapes.filter((s) => s.kind === "line").map((s) => ({ ...s.extra, name: s.name, start: s.points[0], end: s.points[1] }));
    return { ...loaded, zones, lines, rules };
  }

  if (editable) {
    svg.addEventListener("click", onClick);
    svg.addEventListener("dblclick", (event) => { event.preventDefault(); if (mode === "zone") finish(); });
    document.querySelector("[data-action=draw-zone]").addEventListener("click", () => setMode("zone"));
    document.querySelector("[data-action=draw-line]").addEventListener("click", () => setMode("line"));
    document.querySelector("[data-action=finish]").addEventListener("click", finish);
    document.querySelector("[data-action=cancel]").addEventListener("click", () => setMode(null));
    document.addEventListener("keydown", (event) => { if (event.key === "Escape") setMode(null); });
    document.getElementById("rules-form").addEventListener("submit", () => {
      document.getElementById("rules-field").value = JSON.stringify(document_());
    });
  }
  render();
})();
