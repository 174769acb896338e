/* The screening rule's condition, term by term (monitoring/rule_form.html). The JSON field stays the form's
   value and the server checks it (rules.check); this file only writes it from rows of selects, and reads
   it back into rows, so that a province adds a rule without writing JSON. A condition with "any"/"not"
   groups is edited as JSON (the builder says so and steps aside). Without this file the form still works.

   [data-rule-builder]                 the builder; its data-condition and data-source name the form's
                                       condition <textarea> and source <select> (by id)
   <script id="rule-vocabulary">       what may be compared (rules.vocabulary): fields, codes, policies …
   <template data-term-template>       one term's row: [data-term-kind] [data-term-name] [data-term-op]
                                       [data-term-value] [data-term-value2] [data-term-policy]
                                       [data-term-times] [data-term-remove]; [data-show="kind …"] parts
                                       are shown only for those kinds of term */
(function () {
  "use strict";

  var NAMED = ["field", "member", "household", "programme"];
  var LISTS = ["in", "not_in"];

  function vocabulary() {
    var node = document.getElementById("rule-vocabulary");
    return node ? JSON.parse(node.textContent) : null;
  }

  function fill(select, options, keep) {
    var previous = keep === undefined ? select.value : keep;
    select.textContent = "";
    options.forEach(function (option) {
      var element = document.createElement("option");
      element.value = option.name;
      element.textContent = option.label;
      select.appendChild(element);
    });
    if (options.some(function (o) { return o.name === previous; })) {
      select.value = previous;
    }
  }

  function scalar(text, codes) {
    var value = text.trim();
    if (codes && Object.prototype.hasOwnProperty.call(codes, "true")) {
      if (value === "true" || value === codes["true"]) { return true; }
      if (value === "false" || value === codes["false"]) { return false; }
    }
    if (codes) {
      // A code's name is accepted for its code (辍学 → dropout).
      for (var code in codes) {
        if (Object.prototype.hasOwnProperty.call(codes, code) && codes[code] === value) { return code; }
      }
    }
    return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  }

  function shown(value) {
    if (Array.isArray(value)) { return value.map(shown).join("、"); }
    return value === true ? "true" : value === false ? "false" : String(value);
  }

  function Builder(root, vocab) {
    this.root = root;
    this.vocab = vocab;
    this.textarea = document.getElementById(root.getAttribute("data-condition"));
    this.source = document.getElementById(root.getAttribute("data-source"));
    this.rows = root.querySelector("[data-terms]");
    this.template = root.querySelector("template[data-term-template]");
    this.note = root.querySelector("[data-builder-note]");
  }

  Builder.prototype.names = function (kind) {
    var v = this.vocab;
    if (kind === "field") { return v.facts[this.source.value] || []; }
    if (kind === "member") { return v.member; }
    if (kind === "household") { return v.household; }
    if (kind === "programme") { return v.programmes; }
    return [];
  };

  Builder.prototype.codes = function (row) {
    var kind = row.querySelector("[data-term-kind]").value;
    var name = row.querySelector("[data-term-name]").value;
    var found = this.names(kind).filter(function (n) { return n.name === name; })[0];
    return found ? found.codes : null;
  };

  Builder.prototype.shape = function (row) {
    var kind = row.querySelector("[data-term-kind]").value;
    row.querySelectorAll("[data-show]").forEach(function (part) {
      part.hidden = part.getAttribute("data-show").split(" ").indexOf(kind) === -1;
    });
    // The value inputs are named by the part of their label shown for this kind (取值, 不小于（岁）…).
    row.querySelectorAll("[data-term-value], [data-term-value2]").forEach(function (input) {
      var visible = Array.prototype.filter.call(input.parentNode.querySelectorAll("span[data-show]"),
        function (span) { return !span.hidden; })[0];
      input.setAttribute("aria-label", visible ? visible.textContent.trim() : "");
    });
    fill(row.querySelector("[data-term-name]"), this.names(kind));
    var ops = this.vocab.ops;
    if (kind === "income_share") {
      ops = ops.filter(function (o) { return o.name === "gt" || o.name === "gte"; });
    } else if (kind === "programme") {
      ops = this.vocab.active;
    }
    fill(row.querySelector("[data-term-op]"), ops);
    var codes = this.codes(row);
    var hint = row.querySelector("[data-term-codes]");
    hint.textContent = codes && Object.keys(codes).length ? Object.keys(codes).map(function (c) {
      return codes[c] === c ? c : c + "（" + codes[c] + "）";
    }).join("、") : "";
  };

  Builder.prototype.add = function (term) {
    var row = this.template.content.firstElementChild.cloneNode(true);
    fill(row.querySelector("[data-term-policy]"), [{ name: "", label: "—" }].concat(this.vocab.policies));
    this.rows.appendChild(row);
    var kind = row.querySelector("[data-term-kind]");
    if (term) { kind.value = this.kindOf(term); }
    this.shape(row);
    if (term) { this.put(row, term); }
    return row;
  };

  Builder.prototype.kindOf = function (term) {
    var keys = ["field", "member", "household", "age", "programme", "new_within_days", "income_share"];
    for (var i = 0; i < keys.length; i++) {
      if (Object.prototype.hasOwnProperty.call(term, keys[i])) { return keys[i]; }
    }
    return null;
  };

  Builder.prototype.put = function (row, term) {
    var kind = this.kindOf(term);
    var get = function (name) { return row.querySelector("[data-term-" + name + "]"); };
    var value = term.value;
    if (NAMED.indexOf(kind) !== -1) {
      get("name").value = term[kind];
      this.shape(row);
    }
    if (kind === "programme") {
      get("op").value = term.active === false ? "false" : "true";
      return;
    }
    if (kind === "age") {
      get("value").value = term.age.gte !== undefined ? term.age.gte : "";
      get("value2").value = term.age.lte !== undefined ? term.age.lte : "";
      return;
    }
    if (kind === "new_within_days") {
      get("value").value = term.new_within_days;
      return;
    }
    if (kind === "income_share") {
      get("op").value = term.income_share.op;
      value = term.income_share.value;
      get("value2").value = term.income_share.days || 365;
    } else {
      get("op").value = term.op;
    }
    if (value && typeof value === "object" && !Array.isArray(value)) {
      get("policy").value = value.policy;
      get("times").value = value.times !== undefined ? value.times : "";
    } else if (value !== undefined) {
      get("value").value = shown(value);
    }
  };

  Builder.prototype.term = function (row) {
    var get = function (name) { return row.querySelector("[data-term-" + name + "]").value; };
    var kind = get("kind");
    var whole = function (text) { return text.trim() === "" ? undefined : parseInt(text, 10); };
    if (kind === "programme") { return { programme: get("name"), active: get("op") === "true" }; }
    if (kind === "age") {
      var bounds = {};
      if (whole(get("value")) !== undefined) { bounds.gte = whole(get("value")); }
      if (whole(get("value2")) !== undefined) { bounds.lte = whole(get("value2")); }
      return { age: bounds };
    }
    if (kind === "new_within_days") { return { new_within_days: whole(get("value")) }; }
    var value;
    if (get("policy")) {
      value = { policy: get("policy") };
      if (get("times").trim()) { value.times = get("times").trim(); }
    } else if (LISTS.indexOf(get("op")) !== -1) {
      var codes = this.codes(row);
      value = get("value").split(/[,，、\s]+/).filter(Boolean).map(function (t) { return scalar(t, codes); });
    } else {
      value = scalar(get("value"), this.codes(row));
    }
    if (kind === "income_share") {
      return { income_share: { op: get("op"), value: value, days: whole(get("value2")) || 365 } };
    }
    var term = {};
    term[kind] = get("name");
    term.op = get("op");
    term.value = value;
    return term;
  };

  Builder.prototype.write = function () {
    var self = this;
    if (!this.simple) {
      return; // a condition with groups is the JSON's alone: never overwritten from rows
    }
    var terms = Array.prototype.map.call(this.rows.children, function (row) { return self.term(row); });
    this.textarea.value = JSON.stringify(terms);
  };

  Builder.prototype.read = function () {
    var self = this;
    var terms;
    try {
      terms = this.textarea.value.trim() ? JSON.parse(this.textarea.value) : [];
    } catch (error) {
      terms = null;
    }
    var simple = Array.isArray(terms) && terms.every(function (t) {
      return t && typeof t === "object" && self.kindOf(t) !== null;
    });
    this.simple = simple;
    this.note.hidden = simple;
    this.rows.hidden = !simple;
    this.root.querySelector("[data-add-term]").disabled = !simple;
    this.rows.textContent = "";
    if (!simple) { return; }
    terms.forEach(function (t) { self.add(t); });
  };

  Builder.prototype.start = function () {
    var self = this;
    this.root.hidden = false;
    this.read();
    this.root.querySelector("[data-add-term]").addEventListener("click", function () {
      self.add();
      self.write();
    });
    this.rows.addEventListener("change", function (event) {
      var row = event.target.closest("[data-term]");
      if (event.target.matches("[data-term-kind], [data-term-name]")) { self.shape(row); }
      self.write();
    });
    this.rows.addEventListener("input", function () { self.write(); });
    this.rows.addEventListener("click", function (event) {
      if (event.target.matches("[data-term-remove]")) {
        event.target.closest("[data-term]").remove();
        self.write();
      }
    });
    this.source.addEventListener("change", function () {
      Array.prototype.forEach.call(self.rows.children, function (row) { self.shape(row); });
      self.write();
    });
    this.textarea.addEventListener("change", function () { self.read(); });
  };

  document.addEventListener("DOMContentLoaded", function () {
    var vocab = vocabulary();
    document.querySelectorAll("[data-rule-builder]").forEach(function (root) {
      if (vocab) { new Builder(root, vocab).start(); }
    });
  });
})();
