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
