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
  var busy = false; // a request is on its way: answers wait for it
  var undone = Object.create(null); // answers "Back" took away, shown again when their question is
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
      var by = (input.getAttribute("aria-describedby") || "").split(" ").filter(function (s) { return s && s !== "error"; });
      input.setAttribute("aria-describedby", by.concat(["error"]).join(" "));
      input.focus();
    }
  }
  function clearError() { $("error").textContent = ""; }

  function request() {
    var body = { policies: policies, facts: facts };
    if (asOf) body.as_of = asOf;
    busy = true;
    $("continue").disabled = true;
    return fetch("/v1/interview", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (j) { return { ok: r.ok, json: j }; });
    }).then(function (res) {
      busy = false;
      $("continue").disabled = false;
      if (!res.ok) { showError(res.json.error || "The questions could not be loaded."); return; }
      clearError();
      if (res.json.next) ask(res.json); else outcome(res.json);
    }).catch(function () {
      busy = false;
      $("continue").disabled = false;
      showError("The service could not be reached. Check your connection and try again.");
    });
  }

  // one control (or group of controls) for a question of type q.type, added
  // to `into`. `own`: the question is the heading above it, so its label is
  // there for screen readers only (a list's fields show theirs). Answers
  // {read, fill}: read() gives {value} or {error, input}; fill(value) shows
  // an answer given before (after "Back").
  function control(q, into, id, own) {
    var input;
    var labelAttrs = own ? { "class": "visually-hidden" } : {};
    var help = null;
    if (!own && q.help) help = el("p", { "class": "help", id: id + "-help" }, q.help);
    // the help text is read with the control (the heading's is #help)
    var describedBy = own ? (q.help ? "help" : null) : (help ? help.id : null);
    if (q.type === "bool" || q.type === "enum") {
      var options = q.type === "bool" ? [["true", "Yes"], ["false", "No"]]
        : q.options.map(function (o) { return [o, words(o)]; });
      var fs = el("fieldset", { id: id });
      fs.appendChild(el("legend", labelAttrs, q.question));
      if (help) fs.appendChild(help);
      if (describedBy) fs.setAttribute("aria-describedby", describedBy);
      options.forEach(function (o, i) {
        var div = el("div", { "class": "choice" });
        var r = el("input", { type: "radio", name: id, id: id + "-" + i, value: o[0] });
        div.appendChild(r);
        div.appendChild(el("label", { "for": id + "-" + i }, o[1]));
        fs.appendChild(div);
      });
      into.appendChild(fs);
      return {
        read: function () {
          var checked = fs.querySelector("input:checked");
          if (!checked) return { error: "Choose an answer, or press \u201cI don't know\u201d.", input: fs.querySelector("input") };
          if (q.type === "bool") return { value: checked.value === "true" };
          return { value: checked.value };
        },
        fill: function (v) {
          var want = String(v);
          Array.prototype.forEach.call(fs.querySelectorAll("input"), function (r) { r.checked = r.value === want; });
        }
      };
    }
    if (q.type === "list") return listControl(q, into, id, own);
    into.appendChild(el("label", Object.assign({ "for": id }, labelAttrs), q.question));
    if (help) into.appendChild(help);
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
    if (describedBy) input.setAttribute("aria-describedby", describedBy);
    if (q.type !== "money") into.appendChild(input);
    return {
      read: function () {
        // a date input holds "" while its day, month or year is missing
        if (q.type === "date" && input.validity && input.validity.badInput)
          return { error: "Enter the whole date: day, month and year.", input: input };
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
      },
      fill: function (v) { input.value = v === null || v === undefined ? "" : String(v); }
    };
  }

  // a list: how many entries, then each entry's fields (a list in an entry
  // is asked the same way, inside it)
  function listControl(q, into, id, own) {
    var countId = id + "-count";
    var label = el("label", { "for": countId });
    label.appendChild(el("span", own ? { "class": "visually-hidden" } : {}, q.question + " "));
    label.appendChild(document.createTextNode("How many entries?"));
    into.appendChild(label);
    if (!own && q.help) into.appendChild(el("p", { "class": "help" }, q.help));
    var count = el("input", { type: "number", id: countId, min: "0", max: "50", value: "0" });
    into.appendChild(count);
    var entries = el("div", {});
    into.appendChild(entries);
    var rows = []; // each entry's fieldset and its fields' [fact, control]
    // entries already filled in stay as they are when the number changes
    function render() {
      var n = Math.max(0, Math.min(50, parseInt(count.value, 10) || 0));
      while (rows.length > n) entries.removeChild(rows.pop().fs);
      while (rows.length < n) {
        var i = rows.length;
        var fs = el("fieldset", { "class": "entry" });
        fs.appendChild(el("legend", {}, words(q.fact) + " " + (i + 1)));
        var fields = (q.fields || []).map(function (f, j) {
          return [f.fact, control(f, fs, id + "-" + i + "-" + j, false)];
        });
        entries.appendChild(fs);
        rows.push({ fs: fs, fields: fields });
      }
    }
    count.addEventListener("change", render);
    count.addEventListener("input", render);
    return {
      read: function () {
        var t = count.value.trim();
        if (!/^\d+$/.test(t) || Number(t) > 50) return { error: "Enter how many entries, from 0 to 50.", input: count };
        var items = [];
        for (var i = 0; i < rows.length; i++) {
          var item = {};
          for (var j = 0; j < rows[i].fields.length; j++) {
            var got = rows[i].fields[j][1].read();
            if (got.error) return got;
            item[rows[i].fields[j][0]] = got.value;
          }
          items.push(item);
        }
        return { value: items };
      },
      fill: function (items) {
        if (!Array.isArray(items)) return;
        count.value = String(items.length);
        render();
        items.forEach(function (item, i) {
          rows[i].fields.forEach(function (f) {
            if (item[f[0]] !== undefined && item[f[0]] !== null) f[1].fill(item[f[0]]);
          });
        });
      }
    };
  }

  var shown = null; // the control of the question shown: {read, fill}
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
    shown = control(current, box, "answer", true);
    var before = undone[current.fact];
    if (before !== undefined && before !== null) shown.fill(before);
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
        // a require's reasons, or the `because` of the clause that decided
        var reasons = (r.reasons || []).slice();
        if (r.because || r.source) reasons.unshift({ because: r.because, source: r.source });
        if (reasons.length) {
          var ul = el("ul", { "class": "reasons" });
          reasons.forEach(function (reason) {
            var li = el("li", {}, reason.because);
            if (reason.source) li.appendChild(el("cite", {}, reason.source));
            ul.appendChild(li);
          });
          dd.appendChild(ul);
        }
        if (r.missing && r.missing.length) {
          dd.appendChild(el("p", {}, "Not known: " + r.missing.map(words).join(", ")));
        }
        var changes = ((answer.would_change || {})[name] || {})[d] || [];
        if (changes.length) {
          dd.appendChild(el("div", { "class": "would-change-title" }, "What would change this:"));
          var wl = el("ul", { "class": "would-change" });
          changes.forEach(function (line) { wl.appendChild(el("li", {}, line)); });
          dd.appendChild(wl);
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
    if (busy) return;
    var last = history.pop();
    if (last !== undefined) {
      undone[last] = facts[last];
      delete facts[last];
    }
    clearError();
    request();
  }

  $("question").addEventListener("submit", function (e) {
    e.preventDefault();
    if (!current || !shown || busy) return;
    var got = shown.read();
    if (got.error) { showError(got.error, got.input); return; }
    facts[current.fact] = got.value;
    delete undone[current.fact];
    history.push(current.fact);
    request();
  });
  $("unknown").addEventListener("click", function () {
    if (!current || busy) return;
    facts[current.fact] = null;
    delete undone[current.fact];
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
