// The interview page: asks the questions POST /v1/interview chooses, one at
// a time, and shows every decision at the end. The facts so far live only
// in this page (the server keeps nothing between requests).
"use strict";
(function () {
  var params = new URLSearchParams(window.location.search);
  var policies = (params.get("policies") || "").split(",").map(function (s) { return s.trim(); })
    .filter(function (s) { return s.length > 0; });
  var asOf = params.get("as_of");
  var facts = {};
  var history = []; // facts answered, in order, for "Back"
  var current = null; // the question shown
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function words(name) { return String(name).replace(/_/g, " "); }

  function showError(message, input) {
    $("error").textContent = message;
    if (input) {
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", "error");
      input.focus();
    }
  }
  function clearError() { $("error").textContent = ""; }

  function request() {
    var body = { policies: policies, facts: facts };
    if (asOf) body.as_of = asOf;
    $("continue").disabled = true;
    return fetch("/v1/interview", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (j) { return { ok: r.ok, json: j }; });
    }).then(function (res) {
      $("continue").disabled = false;
      if (!res.ok) { showError(res.json.error || "The questions could not be loaded."); return; }
      clearError();
      if (res.json.next) ask(res.json); else outcome(res.json);
    }).catch(function () {
      $("continue").disabled = false;
      showError("The service could not be reached. Check your connection and try again.");
    });
  }

  // one control (or group of controls) for a question of type q.type;
  // returns a function reading its answer: {value} or {error, input}
  function control(q, into, id) {
    var input;
    if (q.type === "bool" || q.type === "enum") {
      var options = q.type === "bool" ? [["true", "Yes"], ["false", "No"]]
        : q.options.map(function (o) { return [o, words(o)]; });
      var fs = el("fieldset", { id: id });
      fs.appendChild(el("legend", {}, q.question));
      options.forEach(function (o, i) {
        var div = el("div", { "class": "choice" });
        var r = el("input", { type: "radio", name: id, id: id + "-" + i, value: o[0] });
        div.appendChild(r);
        div.appendChild(el("label", { "for": id + "-" + i }, o[1]));
        fs.appendChild(div);
      });
      into.appendChild(fs);
      return function () {
        var checked = fs.querySelector("input:checked");
        if (!checked) return { error: "Choose an answer, or press \u201cI don't know\u201d.", input: fs.querySelector("input") };
        if (q.type === "bool") return { value: checked.value === "true" };
        return { value: checked.value };
      };
    }
    if (q.type === "list") return listControl(q, into, id);
    into.appendChild(el("label", { "for": id }, q.question));
    if (q.type === "date") {
      input = el("input", { type: "date", id: id, name: id });
    } else if (q.type === "money") {
      input = el("input", { type: "text", id: id, name: id, inputmode: "decimal", autocomplete: "off" });
      var wrap = el("div", { "class": "money" });
      wrap.appendChild(el("span", { "aria-hidden": "true" }, "\u00a3"));
      wrap.appendChild(input);
      into.appendChild(wrap);
    } else if (q.type === "int") {
      input = el("input", { type: "text", id: id, name: id, inputmode: "numeric", autocomplete: "off" });
    } else if (q.type === "decimal") {
      input = el("input", { type: "text", id: id, name: id, inputmode: "decimal", autocomplete: "off" });
    } else {
      input = el("input", { type: "text", id: id, name: id, autocomplete: "off" });
    }
    if (q.type !== "money") into.appendChild(input);
    return function () {
      var t = input.value.trim();
      if (t === "") return { error: "Enter an answer, or press \u201cI don't know\u201d.", input: input };
      if (q.type === "money") {
        var m = t.replace(/^[\u00a3\u20ac$]/, "");
        if (!/^(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?$/.test(m))
          return { error: "Enter an amount of money like 1200.50 or \u00a31,200.50.", input: input };
        return { value: m.replace(/,/g, "") };
      }
      if (q.type === "int") {
        var n = t.replace(/,/g, "");
        if (!/^-?\d+$/.test(n)) return { error: "Enter a whole number, like 3.", input: input };
        return { value: Number(n) };
      }
      if (q.type === "decimal") {
        if (!/^-?\d+(\.\d{1,6})?$/.test(t)) return { error: "Enter a number, like 0.5.", input: input };
        return { value: t };
      }
      if (q.type === "date") {
        if (!/^\d{4}-\d{2}-\d{2}$/.test(t)) return { error: "Enter a date, like 1960-04-06.", input: input };
        return { value: t };
      }
      return { value: t };
    };
  }

  // a list: how many entries, then each entry's fields
  function listControl(q, into, id) {
    var countId = id + "-count";
    into.appendChild(el("label", { "for": countId }, q.question + " How many entries?"));
    var count = el("input", { type: "number", id: countId, min: "0", max: "50", value: "0" });
    into.appendChild(count);
    var entries = el("div", {});
    into.appendChild(entries);
    var readers = [];
    function render() {
      var n = Math.max(0, Math.min(50, parseInt(count.value, 10) || 0));
      entries.textContent = "";
      readers = [];
      for (var i = 0; i < n; i++) {
        var fs = el("fieldset", { "class": "entry" });
        fs.appendChild(el("legend", {}, words(q.fact) + " " + (i + 1)));
        var fields = [];
        (q.fields || []).forEach(function (f, j) {
          if (f.type === "list") return; // nested lists are left empty
          fields.push([f.fact, control(f, fs, id + "-" + i + "-" + j)]);
        });
        entries.appendChild(fs);
        readers.push(fields);
      }
    }
    count.addEventListener("change", render);
    count.addEventListener("input", render);
    return function () {
      if (!/^\d+$/.test(count.value.trim())) return { error: "Enter how many entries, like 0 or 2.", input: count };
      var items = [];
      for (var i = 0; i < readers.length; i++) {
        var item = {};
        for (var j = 0; j < readers[i].length; j++) {
          var got = readers[i][j][1]();
          if (got.error) return got;
          item[readers[i][j][0]] = got.value;
        }
        items.push(item);
      }
      return { value: items };
    };
  }

  var read = null;
  function ask(answer) {
    current = answer.next;
    $("outcome").hidden = true;
    $("question").hidden = false;
    $("question-text").textContent = current.question;
    var help = $("help");
    help.hidden = !current.help;
    help.textContent = current.help || "";
    var box = $("control");
    box.textContent = "";
    read = control(current, box, "answer");
    // the question's own text is in the heading; the control's label repeats it for screen readers
    var more = Math.max(0, answer.remaining.length - 1);
    $("progress").textContent = "Question " + (history.length + 1) +
      (more > 0 ? " \u2014 at most " + more + " more after this one" : " \u2014 the last one, as things stand");
    $("back").hidden = history.length === 0;
    $("question-text").focus();
  }

  function formatValue(v) {
    if (v === true) return "Yes";
    if (v === false) return "No";
    if (v === null) return "Not decided";
    return words(v);
  }

  function outcome(answer) {
    current = null;
    $("question").hidden = true;
    $("outcome").hidden = false;
    $("progress").textContent = "All questions answered (" + history.length + ").";
    var results = $("results");
    results.textContent = "";
    Object.keys(answer.outcomes).forEach(function (name) {
      var out = answer.outcomes[name];
      var section = el("section", { "class": "policy", "data-policy": name });
      section.appendChild(el("h3", {}, words(name)));
      var dl = el("dl", {});
      Object.keys(out.decisions).forEach(function (d) {
        var r = out.decisions[d];
        var div = el("div", { "class": "decision", "data-decision": d });
        div.appendChild(el("dt", {}, words(d)));
        var dd = el("dd", {});
        dd.appendChild(el("span", { "class": "value" }, formatValue(r.value)));
        if (r.reasons && r.reasons.length) {
          var ul = el("ul", { "class": "reasons" });
          r.reasons.forEach(function (reason) {
            var li = el("li", {}, reason.because);
            if (reason.source) li.appendChild(el("cite", {}, reason.source));
            ul.appendChild(li);
          });
          dd.appendChild(ul);
        }
        if (r.missing && r.missing.length) {
          dd.appendChild(el("p", {}, "Not known: " + r.missing.map(words).join(", ")));
        }
        div.appendChild(dd);
        dl.appendChild(div);
      });
      section.appendChild(dl);
      results.appendChild(section);
    });
    $("change").hidden = history.length === 0;
    $("outcome-title").focus();
  }

  function back() {
    var last = history.pop();
    if (last !== undefined) delete facts[last];
    clearError();
    request();
  }

  $("question").addEventListener("submit", function (e) {
    e.preventDefault();
    if (!current || !read) return;
    var got = read();
    if (got.error) { showError(got.error, got.input); return; }
    facts[current.fact] = got.value;
    history.push(current.fact);
    request();
  });
  $("unknown").addEventListener("click", function () {
    if (!current) return;
    facts[current.fact] = null;
    history.push(current.fact);
    request();
  });
  $("back").addEventListener("click", back);
  $("change").addEventListener("click", back);

  if (policies.length === 0) {
    showError("No policies named: open this page as /interview?policies=name1,name2.");
  } else {
    $("title").textContent = "Questions for " + policies.map(words).join(" and ");
    request();
  }
})();
