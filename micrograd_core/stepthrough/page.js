// The step-through page's script: draws the graph and replays the steps Python computed.
// It computes no maths of its own: every number shown comes from the data block, which holds
// exactly what the engine computes (micrograd_core.explanation).
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("mg-data").textContent);
  const NS = "http://www.w3.org/2000/svg";
  const MARGIN = 8;

  // JSON has no NaN or infinities: Python writes them as strings.
  function num(v) {
    if (typeof v !== "string") return v;
    return v === "nan" ? NaN : v === "inf" ? Infinity : -Infinity;
  }

  function fmt(v) {
    if (v === null || v === undefined) return "?";
    if (Number.isNaN(v)) return "nan";
    if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
    return String(Number(v.toPrecision(4)));
  }

  // Without a layout from Graphviz, the bundled dagre library lays the graph out here.
  function layoutWithDagre() {
    const g = new dagre.graphlib.Graph({ multigraph: true });
    // tight-tree ranking: three times faster than the default network simplex on a model's
    // loss graph, and as tidy on these graphs.
    g.setGraph({ rankdir: data.rankdir, nodesep: 18, ranksep: 36, ranker: "tight-tree" });
    g.setDefaultEdgeLabel(function () { return {}; });
    for (const [id, w, h] of data.boxes) g.setNode(id, { width: w, height: h });
    data.edges.forEach(function ([a, b], i) { g.setEdge(a, b, {}, "e" + i); });
    dagre.layout(g);
    const nodes = {};
    for (const [id] of data.boxes) { const n = g.node(id); nodes[id] = [n.x, n.y]; }
    const edges = data.edges.map(function ([a, b], i) {
      const points = g.edge({ v: a, w: b, name: "e" + i }).points.map(function (p) {
        return [p.x, p.y];
      });
      return { points: points, tip: null, spline: false };
    });
    const size = g.graph();
    return {
      engine: "dagre " + dagre.version + " (bundled)",
      width: size.width, height: size.height, nodes: nodes, edges: edges,
    };
  }

  function svg(tag, attrs, parent) {
    const node = document.createElementNS(NS, tag);
    for (const key in attrs) node.setAttribute(key, attrs[key]);
    if (parent) parent.appendChild(node);
    return node;
  }

  function edgePath(edge) {
    const p = edge.points;
    let d = "M" + p[0][0] + "," + p[0][1];
    if (edge.spline) {  // Graphviz: cubic Bezier pieces, 3 control points each
      for (let i = 1; i + 2 < p.length; i += 3) {
        d += " C" + [p[i], p[i + 1], p[i + 2]].map(function (q) { return q.join(","); }).join(" ");
      }
    } else {
      for (let i = 1; i < p.length; i++) d += " L" + p[i][0] + "," + p[i][1];
    }
    if (edge.tip) d += " L" + edge.tip[0] + "," + edge.tip[1];
    return d;
  }

  // Laid out after the "laying out" note has been painted: dagre takes seconds on a big graph.
  function start() {
    document.getElementById("mg-wait").remove();
    const layout = data.layout || layoutWithDagre();
    const width = layout.width + 2 * MARGIN;
    const height = layout.height + 2 * MARGIN;
    const root = svg("svg", { viewBox: "0 0 " + width + " " + height, id: "mg-graph" });
    const defs = svg("defs", {}, root);
    const marker = svg("marker", {
      id: "mg-arrow", viewBox: "0 0 10 10", refX: "10", refY: "5",
      markerWidth: "8", markerHeight: "8", markerUnits: "userSpaceOnUse", orient: "auto",
    }, defs);
    svg("path", { d: "M0,0 L10,5 L0,10 z", fill: "#8c959f" }, marker);
    const scene = svg("g", { transform: "translate(" + MARGIN + "," + MARGIN + ")" }, root);

    const edgesOf = {};  // op node id -> the edge elements into and out of it
    data.edges.forEach(function ([a, b], i) {
      const path = svg("path", { class: "edge", d: edgePath(layout.edges[i]),
                                 "marker-end": "url(#mg-arrow)" }, scene);
      for (const end of [a, b]) if (end.endsWith("_op")) (edgesOf[end] = edgesOf[end] || []).push(path);
    });

    const values = {};
    for (const v of data.values) values[v.id] = v;
    const groups = {};  // box id -> <g>
    const state = { data: {}, grad: {} };
    const texts = {};  // value id -> {data, grad} <text> elements
    for (const [id, w, h, shape] of data.boxes) {
      const [cx, cy] = layout.nodes[id];
      if (shape === "ellipse") {
        const op = values[id.slice(0, -3)];
        const g = svg("g", { class: "op", "data-id": id }, scene);
        svg("ellipse", { cx: cx, cy: cy, rx: w / 2, ry: h / 2 }, g);
        const t = svg("text", { x: cx, y: cy, "text-anchor": "middle", "dominant-baseline": "central" }, g);
        t.textContent = op.label;
        groups[id] = g;
        continue;
      }
      const v = values[id];
      const g = svg("g", { class: "value", "data-id": id, "data-name": v.name }, scene);
      const x = cx - w / 2, y = cy - h / 2;
      svg("rect", { x: x, y: y, width: w, height: h, rx: 4 }, g);
      const rows = ["name", "data", "grad"].map(function (kind, i) {
        const t = svg("text", { x: x + 8, y: y + 16 + 17 * i, class: kind }, g);
        return t;
      });
      rows[0].textContent = v.name;
      texts[id] = { data: rows[1], grad: rows[2] };
      groups[id] = g;
      state.data[id] = v.op ? null : num(v.data);
      state.grad[id] = null;
    }
    document.getElementById("mg-canvas").appendChild(root);

    function paint(id) {
      for (const field of ["data", "grad"]) {
        const value = state[field][id];
        const t = texts[id][field];
        t.textContent = field + " " + fmt(value);
        t.setAttribute("class", value === null ? field + " unknown" : field);
        groups[id].setAttribute("data-" + field, value === null ? "" : String(value));
      }
    }
    for (const id in texts) paint(id);

    const steps = data.steps;
    const undo = [];
    let index = 0;

    function applyStep(k) {
      const record = [];
      for (const [id, field, value] of steps[k].set) {
        record.push([id, field, state[field][id]]);
        state[field][id] = num(value);
        paint(id);
      }
      undo.push(record);
    }

    function revertStep() {
      const record = undo.pop();
      for (let i = record.length - 1; i >= 0; i--) {
        const [id, field, value] = record[i];
        state[field][id] = value;
        paint(id);
      }
    }

    const panel = document.getElementById("mg-text");
    const phase = document.getElementById("mg-phase");
    const buttons = {
      first: document.getElementById("mg-first"), prev: document.getElementById("mg-prev"),
      next: document.getElementById("mg-next"), last: document.getElementById("mg-last"),
    };

    function show() {
      for (const el of scene.querySelectorAll(".current, .input, .active")) {
        el.classList.remove("current", "input", "active");
      }
      const step = steps[index];
      if (step.node !== null) {
        groups[step.node].classList.add("current");
        const op = groups[step.node + "_op"];
        if (op && step.phase !== "start") {
          op.classList.add("current");
          for (const e of edgesOf[step.node + "_op"] || []) e.classList.add("active");
        }
        for (const id of step.inputs) groups[id].classList.add("input");
        groups[step.node].scrollIntoView({ block: "nearest", inline: "nearest" });
      }
      panel.textContent = step.text.join("\n");
      phase.textContent = step.label || "start";
      for (const [key, value] of [["index", index], ["phase", step.phase], ["node", step.node || ""]]) {
        panel.setAttribute("data-" + key, String(value));
      }
      buttons.first.disabled = buttons.prev.disabled = index === 0;
      buttons.next.disabled = buttons.last.disabled = index === steps.length - 1;
    }

    function go(target) {
      target = Math.max(0, Math.min(steps.length - 1, target));
      while (index < target) applyStep(++index);
      while (index > target) { revertStep(); index--; }
      show();
    }

    let zoom = 1;
    function setZoom(z) {
      zoom = Math.max(0.2, Math.min(3, z));
      root.setAttribute("width", String(width * zoom));
      root.setAttribute("height", String(height * zoom));
    }

    buttons.first.addEventListener("click", function () { go(0); });
    buttons.prev.addEventListener("click", function () { go(index - 1); });
    buttons.next.addEventListener("click", function () { go(index + 1); });
    buttons.last.addEventListener("click", function () { go(steps.length - 1); });
    document.getElementById("mg-zoom-in").addEventListener("click", function () { setZoom(zoom * 1.25); });
    document.getElementById("mg-zoom-out").addEventListener("click", function () { setZoom(zoom / 1.25); });
    document.addEventListener("keydown", function (event) {
      const keys = {
        ArrowRight: index + 1, ArrowDown: index + 1, ArrowLeft: index - 1, ArrowUp: index - 1,
        Home: 0, End: steps.length - 1,
      };
      if (event.key === "+" || event.key === "=") setZoom(zoom * 1.25);
      else if (event.key === "-") setZoom(zoom / 1.25);
      else if (event.key in keys) { event.preventDefault(); go(keys[event.key]); }
    });

    const ops = data.values.filter(function (v) { return v.op; }).length;
    document.getElementById("mg-footer").textContent =
      "layout: " + layout.engine + " \u00b7 " + data.values.length + " values, " + ops +
      " ops \u00b7 " + (steps.length - 1) + " steps \u00b7 keys: \u2190 \u2192 Home End + \u2212";
    setZoom(1);
    show();
    document.body.setAttribute("data-ready", "true");
  }
  requestAnimationFrame(function () { setTimeout(start, 0); });
})();
