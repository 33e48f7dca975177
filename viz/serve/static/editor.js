// The circuit editor: the formula and the values live in the URL; every change asks the server
// (/api/circuit) for the numbers and the step-through frames, debounced, and the newest answer
// wins. The server parses the formula with circuitgrad's whitelist parser; nothing runs here.
(function () {
  "use strict";
  var DEBOUNCE_MS = 180;
  var DEFAULT_EXPR = "(x+y)*z";
  var DEFAULT_VALUES = { x: "-2", y: "5", z: "-4" };

  var formula = document.getElementById("formula");
  var errorLine = document.getElementById("error");
  var variablesBox = document.getElementById("variables");
  var results = document.querySelector("#results tbody");
  var diagram = document.getElementById("diagram");
  var caption = document.getElementById("caption");
  var counter = document.getElementById("counter");
  var stepSlider = document.getElementById("step");
  var prev = document.getElementById("prev");
  var next = document.getElementById("next");

  var values = {};        // name -> text, as typed (also names no longer in the formula)
  var names = [];         // the variables of the formula drawn last
  var frames = [];
  var current = 0;
  var timer = null;
  var asked = 0;          // number of the newest request; older answers are dropped
  var controller = null;

  function query() {
    var params = new URLSearchParams();
    params.set("expr", formula.value);
    names.concat(Object.keys(values)).forEach(function (name) {
      if (values[name] !== undefined && !params.has(name) && name !== "expr") {
        params.set(name, values[name]);
      }
    });
    return params;
  }

  function usedQuery() {  // only the variables the formula uses: the shareable link
    var params = new URLSearchParams();
    params.set("expr", formula.value);
    names.forEach(function (name) {
      if (values[name] !== undefined) { params.set(name, values[name]); }
    });
    return params.toString();
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, DEBOUNCE_MS);
  }

  function refresh() {
    var number = ++asked;
    if (controller) { controller.abort(); }
    controller = typeof AbortController === "function" ? new AbortController() : null;
    var params = query();
    fetch("/api/circuit?" + params.toString(), controller ? { signal: controller.signal } : {})
      .then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      })
      .then(function (answer) {
        if (number !== asked) { return; }
        if (!answer.ok) {
          showError(answer.body.error || "the server could not draw this");
          return;
        }
        show(answer.body);
      })
      .catch(function (error) {
        if (error && error.name === "AbortError") { return; }
        if (number === asked) {
          showError("the server did not answer (is circuitgrad serve running?)");
        }
      });
  }

  function showError(message) {
    errorLine.textContent = message;
    errorLine.title = message;
    diagram.classList.add("stale");
    results.parentNode.classList.add("stale");
    document.body.dataset.state = "error";
  }

  function show(answer) {
    errorLine.textContent = "";
    errorLine.title = "";
    diagram.classList.remove("stale");
    results.parentNode.classList.remove("stale");
    names = answer.variables.map(function (v) { return v.name; });
    answer.variables.forEach(function (v) {
      if (values[v.name] === undefined) { values[v.name] = String(v.value); }
    });
    buildFields(answer.variables);
    buildResults(answer);
    frames = answer.frames;
    stepSlider.max = String(frames.length - 1);
    showFrame(frames.length - 1);
    var link = usedQuery();
    history.replaceState(null, "", "/?" + link);
    document.getElementById("download-svg").href = "/api/circuit.svg?" + link;
    document.getElementById("download-png").href = "/api/circuit.png?" + link;
    document.getElementById("download-html").href = "/api/stepthrough.html?" + link;
    document.body.dataset.state = "ready";
    document.body.dataset.drawn = formula.value;
  }

  function buildResults(answer) {
    results.textContent = "";
    function row(name, number, kind, id) {
      var tr = document.createElement("tr");
      var left = document.createElement("td");
      var right = document.createElement("td");
      left.textContent = name;
      right.textContent = number;
      right.className = kind;
      right.id = id;
      tr.appendChild(left);
      tr.appendChild(right);
      results.appendChild(tr);
    }
    row("output", answer.output.text, "v", "out-value");
    answer.variables.forEach(function (v) {
      row(v.name + ".grad", v.grad_text, "g", "grad-" + v.name);
    });
  }

  function sliderRange(value) {
    var reach = Math.max(10, Math.ceil(Math.abs(value) * 2));
    return [-reach, reach];
  }

  function buildFields(variables) {
    var wanted = variables.map(function (v) { return v.name; }).join(" ");
    if (variablesBox.dataset.names === wanted) {  // same fields: leave them, focus stays put
      return;
    }
    variablesBox.dataset.names = wanted;
    variablesBox.textContent = "";
    variables.forEach(function (v) {
      var row = document.createElement("div");
      row.className = "variable";
      var name = document.createElement("label");
      name.className = "name";
      name.textContent = v.name;
      name.htmlFor = "var-" + v.name;
      var field = document.createElement("input");
      field.type = "number";
      field.step = "any";
      field.id = "var-" + v.name;
      field.value = values[v.name];
      var slider = document.createElement("input");
      slider.type = "range";
      slider.id = "slider-" + v.name;
      slider.step = "0.1";
      slider.setAttribute("aria-label", v.name);
      var range = sliderRange(Number(values[v.name]));
      slider.min = String(range[0]);
      slider.max = String(range[1]);
      slider.value = values[v.name];
      field.addEventListener("input", function () {
        values[v.name] = field.value;
        if (field.value !== "" && isFinite(Number(field.value))) {
          var r = sliderRange(Number(field.value));
          slider.min = String(Math.min(Number(slider.min), r[0]));
          slider.max = String(Math.max(Number(slider.max), r[1]));
          slider.value = field.value;
        }
        schedule();
      });
      slider.addEventListener("input", function () {
        field.value = slider.value;
        values[v.name] = slider.value;
        schedule();
      });
      row.appendChild(name);
      row.appendChild(field);
      row.appendChild(slider);
      variablesBox.appendChild(row);
    });
  }

  function showFrame(k) {
    if (!frames.length) { return; }
    k = Math.max(0, Math.min(frames.length - 1, k));
    current = k;
    diagram.innerHTML = frames[k].svg;  // SVG text from Graphviz, labels escaped by circuitgrad
    caption.textContent = frames[k].caption;
    counter.textContent = "step " + k + " / " + (frames.length - 1);
    stepSlider.value = String(k);
    prev.disabled = k === 0;
    next.disabled = k === frames.length - 1;
    document.body.dataset.step = String(k);
  }

  prev.addEventListener("click", function () { showFrame(current - 1); });
  next.addEventListener("click", function () { showFrame(current + 1); });
  stepSlider.addEventListener("input", function () { showFrame(parseInt(stepSlider.value, 10)); });
  document.addEventListener("keydown", function (event) {
    var tag = event.target && event.target.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") { return; }
    if (event.key === "ArrowRight") { showFrame(current + 1); }
    else if (event.key === "ArrowLeft") { showFrame(current - 1); }
    else if (event.key === "Home") { showFrame(0); }
    else if (event.key === "End") { showFrame(frames.length - 1); }
    else { return; }
    event.preventDefault();
  });
  formula.addEventListener("input", schedule);
  document.getElementById("copy-link").addEventListener("click", function () {
    if (navigator.clipboard) { navigator.clipboard.writeText(location.href); }
  });

  var start = new URLSearchParams(location.search);
  if (start.has("expr")) {
    formula.value = start.get("expr");
    start.forEach(function (value, name) { if (name !== "expr") { values[name] = value; } });
  } else {
    formula.value = DEFAULT_EXPR;
    values = Object.assign({}, DEFAULT_VALUES);
  }
  refresh();
}());
