// Switchboard console: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";
  function csrf(el) {
    var f = el.closest("form");
    var i = f ? f.querySelector("input[name=csrf]") : document.querySelector("input[name=csrf]");
    return i ? i.value : "";
  }
  // Generate Key / Generate Secret: ask the server for a value and fill the field.
  document.querySelectorAll("[data-generate]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var target = document.getElementById(btn.getAttribute("data-target"));
      var body = new URLSearchParams();
      body.set("csrf", csrf(btn));
      btn.disabled = true;
      fetch("/admin/generate/" + btn.getAttribute("data-generate"), { method: "POST", body: body, credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.text(); })
        .then(function (v) { target.value = v; target.dispatchEvent(new Event("input")); if (target.type === "password") { target.type = "text"; } })
        .catch(function () { alert("Could not generate a value: leave the field empty and one is generated when you save."); })
        .finally(function () { btn.disabled = false; });
    });
  });
  // Copy buttons.
  document.querySelectorAll("[data-copy]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var el = document.getElementById(btn.getAttribute("data-copy"));
      var text = el.value !== undefined ? el.value : el.textContent;
      var done = function () { var t = btn.textContent; btn.textContent = "Copied"; setTimeout(function () { btn.textContent = t; }, 1500); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done);
      } else {
        var r = document.createRange(); r.selectNodeContents(el);
        var s = window.getSelection(); s.removeAllRanges(); s.addRange(r);
        try { document.execCommand("copy"); done(); } catch (e) { /* selected: the user copies */ }
      }
    });
  });
  // Confirmations.
  document.querySelectorAll("[data-confirm]").forEach(function (el) {
    el.addEventListener("click", function (ev) {
      if (!window.confirm(el.getAttribute("data-confirm"))) { ev.preventDefault(); }
    });
  });
  // API Tracking Identifier: show the vendor list or the Custom code.
  function tracking() {
    var v = document.querySelector("input[name=tracking]:checked");
    document.querySelectorAll("[data-tracking]").forEach(function (el) {
      el.hidden = !v || el.getAttribute("data-tracking") !== v.value;
    });
  }
  document.querySelectorAll("input[name=tracking]").forEach(function (r) { r.addEventListener("change", tracking); });
  tracking();
  // Live filter of tables.
  document.querySelectorAll("[data-filter]").forEach(function (input) {
    var table = document.getElementById(input.getAttribute("data-filter"));
    input.addEventListener("input", function () {
      var q = input.value.toLowerCase();
      table.querySelectorAll("tbody tr").forEach(function (tr) {
        tr.hidden = q !== "" && tr.textContent.toLowerCase().indexOf(q) < 0;
      });
    });
  });
  // Pickers (picker.go): a text field with the record's name and a hidden id. As the user
  // types, suggestions come from the lookup into the field's <datalist>; a suggestion chosen
  // (the text equal to one) sets the hidden id, any other text clears it and the server
  // resolves the name on submit.
  document.querySelectorAll("input[data-lookup]").forEach(function (input) {
    var hidden = document.getElementById(input.getAttribute("data-pick"));
    var list = document.getElementById(input.getAttribute("list"));
    var scope = input.hasAttribute("data-scope") ? document.getElementById(input.getAttribute("data-scope")) : null;
    var timer = 0, asked = "";
    function chosen() {
      var opts = list.querySelectorAll("option"), hit = null, n = 0;
      opts.forEach(function (o) { if (o.value.toLowerCase() === input.value.trim().toLowerCase()) { hit = o; n++; } });
      return n === 1 ? hit : null;
    }
    // The record the page was drawn with stays chosen while its text is unchanged.
    var text0 = input.value, id0 = hidden.value;
    function pick() {
      var o = chosen();
      var id = o ? o.getAttribute("data-id") : (input.value === text0 ? id0 : "");
      if (hidden.value !== id) {
        hidden.value = id;
        hidden.dispatchEvent(new Event("change"));
      }
    }
    function suggest() {
      var q = input.value.trim();
      var key = q + "|" + (scope ? scope.value : "");
      if (q.length < 2 || key === asked) { return; }
      asked = key;
      var u = input.getAttribute("data-lookup") + "?q=" + encodeURIComponent(q);
      if (scope && scope.value !== "") { u += "&company=" + encodeURIComponent(scope.value); }
      fetch(u, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
        .then(function (rows) {
          if (asked !== key) { return; } // a later answer is coming
          list.textContent = "";
          rows.forEach(function (row) {
            var o = document.createElement("option");
            o.value = row.label;
            o.setAttribute("data-id", String(row.id));
            if (row.hint) { o.label = row.hint; }
            list.appendChild(o);
          });
          pick();
        })
        .catch(function () { asked = ""; /* no suggestions: the server still resolves the name */ });
    }
    input.addEventListener("input", function () {
      pick();
      clearTimeout(timer);
      timer = setTimeout(suggest, 150);
    });
    input.addEventListener("change", pick);
    if (scope) {
      scope.addEventListener("change", function () { asked = ""; list.textContent = ""; });
    }
  });
  // A form that came back with errors: focus the first field in error, for the keyboard.
  var bad = document.querySelector(".field.has-error input, .field.has-error select, .field.has-error textarea, form [aria-invalid=true]");
  if (bad) { bad.focus(); }
  // Filters that submit on change.
  document.querySelectorAll("form[data-autosubmit] select").forEach(function (s) {
    s.addEventListener("change", function () { s.form.submit(); });
  });
  // Add a mailbox: the IMAP account's fields only when the kind is IMAP.
  document.querySelectorAll("select[data-kind]").forEach(function (kind) {
    var box = kind.form.querySelector("fieldset[data-imap]");
    var show = function () { box.hidden = kind.value !== "imap"; };
    kind.addEventListener("change", show);
    show();
  });
  // "Sync now" and "Poll now" wait for the answer: say so on the button.
  document.querySelectorAll("button[value=run], button[value=poll]").forEach(function (btn) {
    btn.form.addEventListener("submit", function () {
      setTimeout(function () { btn.disabled = true; btn.textContent = btn.value === "run" ? "Syncing…" : "Polling…"; }, 0);
    });
  });
})();
