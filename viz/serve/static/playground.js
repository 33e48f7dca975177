// The training playground: the net trains on the server (circuitgrad's engine); this page only
// draws what the server streams (server-sent events): the loss curve, the decision boundary with
// the data, the net's weights and gradients, and one neuron's circuit.
(function () {
  "use strict";
  var CLASS_RGB = [[232, 119, 46], [47, 111, 208], [61, 154, 70]];
  var POSITIVE = "#2f6fd0", NEGATIVE = "#e8772e";
  var NEURON_EVERY_MS = 1000;

  function $(id) { return document.getElementById(id); }
  var fields = ["dataset", "points", "noise", "hidden", "activation", "lr", "l2", "loss"];
  var boundary = $("boundary"), curve = $("curve"), net = $("net");

  var session = null;     // {id, key, data}
  var state = null;       // the newest state from the server
  var history = [];       // [step, loss, accuracy] of every step
  var source = null;      // the EventSource while running
  var runMs = 0, runSince = 0, reached = null;
  var selected = null;    // {layer, unit} of the neuron shown
  var example = 0;
  var neuronBusy = false, neuronAt = 0;
  var wires = [];         // SVG lines of the net, by layer then [i][j]

  function settings() {
    return {
      dataset: $("dataset").value, points: Number($("points").value),
      noise: Number($("noise").value), hidden: $("hidden").value,
      activation: $("activation").value, lr: Number($("lr").value), l2: Number($("l2").value),
      loss: $("loss").value
    };
  }

  function showError(message) {
    $("pg-error").textContent = message || "";
    $("pg-error").title = message || "";
  }

  function post(url, body) {
    return fetch(url, { method: "POST", headers: { "content-type": "application/json" },
                        body: body === undefined ? "" : JSON.stringify(body) })
      .then(function (response) {
        return response.json().then(function (answer) {
          if (!response.ok) { throw new Error(answer.error || "the server refused"); }
          return answer;
        });
      });
  }

  function ensureSession() {
    var wanted = settings();
    var key = JSON.stringify(wanted);
    if (session && session.key === key) { return Promise.resolve(session); }
    return post("/api/train", wanted).then(function (answer) {
      session = { id: answer.id, key: key, data: answer.data };
      history = []; runMs = 0; reached = null; example = 0;
      if (selected && selected.layer >= answer.data.sizes.length - 1) { selected = null; }
      buildNet(answer.data.sizes);
      apply(answer.state);
      return session;
    });
  }

  function running() { return source !== null; }

  function setButtons() {
    $("start").disabled = running();
    $("pause").disabled = !running();
    document.body.dataset.running = running() ? "yes" : "no";
  }

  function start() {
    showError("");
    ensureSession().then(function (s) {
      if (running()) { return; }
      if (state && state.finished) {
        showError(state.error || "this net has trained its " + state.max_steps +
                  " steps; press Reset");
        return;
      }
      source = new EventSource("/api/train/" + encodeURIComponent(s.id) + "/stream?steps=" +
                               encodeURIComponent($("speed").value));
      runSince = performance.now();
      source.addEventListener("state", function (event) { apply(JSON.parse(event.data)); });
      source.addEventListener("finished", function () { pause(); });
      source.onerror = function () {
        if (running()) { pause(); showError("the training stream stopped (server gone?)"); }
      };
      setButtons();
    }).catch(function (error) { showError(error.message); });
  }

  function pause() {
    if (source) {
      source.close();
      source = null;
      runMs += performance.now() - runSince;
    }
    setButtons();
    refreshNeuron(true);
  }

  function step() {
    pause();
    showError("");
    ensureSession().then(function (s) {
      return post("/api/train/" + encodeURIComponent(s.id) + "/step");
    }).then(function (answer) { apply(answer); refreshNeuron(true); })
      .catch(function (error) { showError(error.message); });
  }

  function reset() {
    pause();
    session = null;
    showError("");
    ensureSession().catch(function (error) { showError(error.message); });
  }

  function fmt(x, digits) {
    if (x === null || x === undefined) { return "\u2013"; }
    return Number(x).toPrecision(digits || 4).replace(/\.?0+(e|$)/, "$1");
  }

  function apply(next) {
    state = next;
    (next.history || []).forEach(function (row) { history.push(row); });
    $("pg-step").textContent = String(next.step);
    var last = history.length ? history[history.length - 1] : null;
    $("pg-loss").textContent = fmt(last ? last[1] : next.loss);
    var accuracy = last ? last[2] : next.accuracy;
    $("pg-acc").textContent = (100 * accuracy).toFixed(1) + "%";
    if (reached === null && last && last[2] >= 1) {
      var seconds = (runMs + (running() ? performance.now() - runSince : 0)) / 1000;
      reached = { step: last[0], seconds: seconds };
      $("pg-reached").textContent = "step " + last[0] + ", " + seconds.toFixed(2) + " s";
      document.body.dataset.reachedSeconds = seconds.toFixed(3);
    } else if (reached === null) {
      $("pg-reached").textContent = "\u2013";
    }
    if (next.error) { showError(next.error); }
    document.body.dataset.step = String(next.step);
    document.body.dataset.accuracy = String(accuracy);
    drawBoundary();
    drawCurve();
    updateNet();
    if (running()) { refreshNeuron(false); }
  }

  // Decision boundary: the grid's predicted class, paler where the net is less sure.
  function drawBoundary() {
    if (!state || !session) { return; }
    var ctx = boundary.getContext("2d");
    var size = boundary.width, b = state.boundary, n = b.n;
    var classes = session.data.classes;
    // One pixel per grid cell on a small canvas, scaled up smoothly.
    var small = document.createElement("canvas");
    small.width = n;
    small.height = n;
    var sctx = small.getContext("2d"), image = sctx.createImageData(n, n);
    for (var k = 0; k < n * n; k++) {
      var rgb = CLASS_RGB[b.cls[k]];
      var sure = Math.max(0, (b.p[k] - 1 / classes) / (1 - 1 / classes));
      var alpha = 0.12 + 0.5 * sure;  // blended on white
      for (var ch = 0; ch < 3; ch++) {
        image.data[4 * k + ch] = Math.round(255 - alpha * (255 - rgb[ch]));
      }
      image.data[4 * k + 3] = 255;
    }
    sctx.putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = true;
    var h = size / (n - 1);  // grid point c sits at c * h: the first and last on the edges
    ctx.drawImage(small, -h / 2, -h / 2, size + h, size + h);
    var X = session.data.X, y = session.data.y;
    for (var i = 0; i < X.length; i++) {
      var p = toPixel(X[i], b.extent, size);
      ctx.beginPath();
      ctx.arc(p[0], p[1], 4.5, 0, 2 * Math.PI);
      ctx.fillStyle = "rgb(" + CLASS_RGB[y[i]].join(",") + ")";
      ctx.fill();
      ctx.lineWidth = 1.2;
      ctx.strokeStyle = "#fff";
      ctx.stroke();
    }
    if (selected) {
      var q = toPixel(X[example], b.extent, size);
      ctx.beginPath();
      ctx.arc(q[0], q[1], 9, 0, 2 * Math.PI);
      ctx.lineWidth = 3;
      ctx.strokeStyle = "#111";
      ctx.stroke();
    }
  }

  function toPixel(point, extent, size) {
    return [(point[0] + extent) / (2 * extent) * size, (extent - point[1]) / (2 * extent) * size];
  }

  boundary.addEventListener("click", function (event) {
    if (!session || !state) { return; }
    var box = boundary.getBoundingClientRect();
    var side = Math.min(box.width, box.height);  // the canvas keeps its square (object-fit)
    var left = box.left + (box.width - side) / 2, top = box.top + (box.height - side) / 2;
    var e = state.boundary.extent;
    var px = ((event.clientX - left) / side) * 2 * e - e;
    var py = e - ((event.clientY - top) / side) * 2 * e;
    var best = 0, bestD = Infinity;
    session.data.X.forEach(function (p, i) {
      var d = (p[0] - px) * (p[0] - px) + (p[1] - py) * (p[1] - py);
      if (d < bestD) { bestD = d; best = i; }
    });
    example = best;
    drawBoundary();
    refreshNeuron(true);
  });

  // The loss curve (red, left axis) and the accuracy (dashed, right axis 0..100%).
  function drawCurve() {
    var ctx = curve.getContext("2d"), w = curve.width, h = curve.height;
    var left = 52, right = 44, top = 12, bottom = 30;
    ctx.clearRect(0, 0, w, h);
    ctx.font = "13px system-ui, sans-serif";
    ctx.strokeStyle = "#999";
    ctx.lineWidth = 1;
    ctx.strokeRect(left, top, w - left - right, h - top - bottom);
    if (!history.length) { return; }
    var maxLoss = 0;
    history.forEach(function (row) { if (row[1] > maxLoss) { maxLoss = row[1]; } });
    maxLoss = maxLoss || 1;
    var steps = history[history.length - 1][0];
    function X(s) { return left + (s / Math.max(1, steps)) * (w - left - right); }
    function Y(v, top_) { return top + (1 - v / top_) * (h - top - bottom); }
    ctx.fillStyle = "#444";
    ctx.textAlign = "right";
    ctx.fillText(fmt(maxLoss, 3), left - 6, top + 10);
    ctx.fillText("0", left - 6, h - bottom);
    ctx.textAlign = "left";
    ctx.fillText("100%", w - right + 4, top + 10);
    ctx.fillText("0%", w - right + 4, h - bottom);
    ctx.textAlign = "center";
    ctx.fillText("step " + steps, w - right - 30, h - 8);
    ctx.fillText("0", left, h - 8);
    line(function (row) { return Y(row[1], maxLoss); }, "#d62728", []);
    line(function (row) { return Y(row[2], 1); }, "#1f5fbf", [5, 4]);
    $("loss-range").textContent = "red: loss (now " + fmt(history[history.length - 1][1]) +
      "), blue dashed: accuracy";
    function line(yOf, colour, dash) {
      ctx.beginPath();
      ctx.setLineDash(dash);
      ctx.strokeStyle = colour;
      ctx.lineWidth = 2;
      var every = Math.max(1, Math.floor(history.length / 800));
      for (var i = 0; i < history.length; i += every) {
        var row = history[i];
        if (i === 0) { ctx.moveTo(X(row[0]), yOf(row)); } else { ctx.lineTo(X(row[0]), yOf(row)); }
      }
      ctx.stroke();
      ctx.setLineDash([]);
    }
  }

  // The net: one column of neurons per layer, one wire per weight.
  var SVG = "http://www.w3.org/2000/svg";
  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) { parent.appendChild(node); }
    return node;
  }

  function position(sizes) {
    var W = 640, H = 360, margin = 30;
    return sizes.map(function (count, col) {
      var x = margin + 20 + col * (W - 2 * margin - 40) / Math.max(1, sizes.length - 1);
      var gap = Math.min(40, (H - 2 * margin) / Math.max(1, count));
      return Array.apply(null, Array(count)).map(function (_, i) {
        return [x, H / 2 + (i - (count - 1) / 2) * gap];
      });
    });
  }

  function buildNet(sizes) {
    net.textContent = "";
    wires = [];
    var spots = position(sizes);
    var radius = Math.max(4, Math.min(13, 150 / Math.max.apply(null, sizes)));
    var wireLayer = el("g", {}, net);
    for (var layer = 0; layer < sizes.length - 1; layer++) {
      var rows = [];
      for (var i = 0; i < sizes[layer]; i++) {
        var row = [];
        for (var j = 0; j < sizes[layer + 1]; j++) {
          var a = spots[layer][i], b = spots[layer + 1][j];
          var wire = el("line", { x1: a[0], y1: a[1], x2: b[0], y2: b[1], stroke: "#bbb",
                                  "stroke-width": 1 }, wireLayer);
          el("title", {}, wire);
          row.push(wire);
        }
        rows.push(row);
      }
      wires.push(rows);
    }
    spots.forEach(function (column, col) {
      column.forEach(function (spot, i) {
        var g = el("g", { "class": "node", "data-layer": col - 1, "data-unit": i }, net);
        el("circle", { cx: spot[0], cy: spot[1], r: radius }, g);
        var label = col === 0 ? ["x", "y"][i] : col === sizes.length - 1 ? "c" + i :
          (radius >= 9 ? String(i + 1) : "");
        var text = el("text", { x: spot[0], y: spot[1] }, g);
        text.textContent = label;
        var title = el("title", {}, g);
        title.textContent = col === 0 ? "input " + ["x", "y"][i] :
          (col === sizes.length - 1 ? "score of class " + i :
            "hidden layer " + col + ", neuron " + (i + 1)) +
          ": click to see its circuit";
        if (col > 0) {
          g.addEventListener("click", function () {
            selected = { layer: col - 1, unit: i };
            markSelected();
            drawBoundary();
            refreshNeuron(true);
          });
        } else {
          g.style.cursor = "default";
        }
      });
    });
    var names = sizes.map(function (s, col) {
      return col === 0 ? "input" : col === sizes.length - 1 ? "scores" : "hidden " + col;
    });
    spots.forEach(function (column, col) {
      var t = el("text", { x: column[0][0], y: 350, "class": "caption",
                           "text-anchor": "middle" }, net);
      t.textContent = names[col] + " (" + sizes[col] + ")";
    });
    markSelected();
  }

  function markSelected() {
    Array.prototype.forEach.call(net.querySelectorAll(".node"), function (g) {
      var on = selected && Number(g.dataset.layer) === selected.layer &&
        Number(g.dataset.unit) === selected.unit;
      g.classList.toggle("selected", !!on);
    });
  }

  function wireMode() {
    var checked = document.querySelector("input[name=wires]:checked");
    return checked ? checked.value : "W";
  }

  function updateNet() {
    if (!state || !wires.length) { return; }
    var mode = wireMode();
    var biggest = 1e-12;
    state.layers.forEach(function (layer) {
      var M = layer[mode];
      if (!M) { return; }
      M.forEach(function (row) {
        row.forEach(function (v) { biggest = Math.max(biggest, Math.abs(v)); });
      });
    });
    state.layers.forEach(function (layer, k) {
      var M = layer[mode], W = layer.W, dW = layer.dW;
      wires[k].forEach(function (row, i) {
        row.forEach(function (wire, j) {
          var v = M ? M[i][j] : 0;
          // Gradients point uphill; colour them by the direction of the update (-dW).
          var sign = mode === "dW" ? -v : v;
          wire.setAttribute("stroke", sign >= 0 ? POSITIVE : NEGATIVE);
          wire.setAttribute("stroke-width", (0.3 + 5 * Math.abs(v) / biggest).toFixed(2));
          wire.setAttribute("stroke-opacity", (0.25 + 0.75 * Math.abs(v) / biggest).toFixed(2));
          wire.firstChild.textContent = "w = " + fmt(W[i][j]) + ", dL/dw = " +
            fmt(dW ? dW[i][j] : null);
        });
      });
    });
  }

  function refreshNeuron(now) {
    if (!selected || !session || neuronBusy) { return; }
    if (!now && performance.now() - neuronAt < NEURON_EVERY_MS) { return; }
    neuronBusy = true;
    neuronAt = performance.now();
    var url = "/api/train/" + encodeURIComponent(session.id) + "/neuron?layer=" + selected.layer +
      "&unit=" + selected.unit + "&example=" + example;
    fetch(url).then(function (response) {
      return response.json().then(function (answer) {
        if (!response.ok) { throw new Error(answer.error || "no circuit"); }
        return answer;
      });
    }).then(function (answer) {
      var prolog = /<\?xml[\s\S]*?\?>|<!DOCTYPE[\s\S]*?>|<!--[\s\S]*?-->/g;
      $("neuron").innerHTML = answer.svg.replace(prolog, "");
      $("neuron-title").textContent = answer.title;
      document.body.dataset.neuron = answer.title;
    }).catch(function (error) { showError(error.message); })
      .then(function () { neuronBusy = false; });
  }

  $("start").addEventListener("click", start);
  $("pause").addEventListener("click", pause);
  $("step").addEventListener("click", step);
  $("reset").addEventListener("click", reset);
  $("speed").addEventListener("change", function () {
    if (running()) { pause(); start(); }  // the same net, on at the new pace
  });
  $("noise").addEventListener("input", function () {
    $("noise-text").textContent = $("noise").value;
  });
  Array.prototype.forEach.call(document.querySelectorAll("input[name=wires]"), function (radio) {
    radio.addEventListener("change", updateNet);
  });
  fields.forEach(function (id) {
    $(id).addEventListener("change", reset);  // a new net; reset() pauses a running one
  });
  window.addEventListener("beforeunload", function () { if (source) { source.close(); } });
  ensureSession().then(setButtons).catch(function (error) { showError(error.message); });
}());
