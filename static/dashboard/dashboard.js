/* Small progressive enhancements for the dashboard. Every page works without this file. */
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var copy = event.target.closest("[data-copy]");
    if (copy && navigator.clipboard) {
      navigator.clipboard.writeText(copy.getAttribute("data-copy")).then(function () {
        var label = copy.textContent;
        copy.textContent = "✓";
        setTimeout(function () { copy.textContent = label; }, 1200);
      });
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });

  // The phone menu: a toggle instead of the #dash-menu link it is without JavaScript.
  var navToggle = document.querySelector("[data-nav-toggle]");
  if (navToggle) {
    var sidebar = navToggle.closest("[data-sidebar]");
    navToggle.setAttribute("role", "button");
    navToggle.addEventListener("click", function (event) {
      event.preventDefault();
      var open = sidebar.classList.toggle("is-open");
      navToggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  document.querySelectorAll("select[data-autosubmit], input[data-autosubmit]").forEach(function (input) {
    input.addEventListener("change", function () { input.form.submit(); });
  });

  // Show fields only when they apply (subject for email, status for shipment updates).
  var conditional = document.querySelectorAll("[data-show-when]");
  function applyConditions() {
    conditional.forEach(function (el) {
      var rule = el.getAttribute("data-show-when").split("=");
      var input = el.closest("form") && el.closest("form").elements[rule[0]];
      if (input) el.hidden = input.value !== rule[1];
    });
  }
  if (conditional.length) {
    document.addEventListener("change", applyConditions);
    applyConditions();
  }

  // WCAG 2 contrast, mirrored from dashboard/forms.py.
  function luminance(hex) {
    var c = [1, 3, 5].map(function (i) {
      var v = parseInt(hex.substr(i, 2), 16) / 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  }
  function contrast(a, b) {
    var l = [luminance(a), luminance(b)].sort(function (x, y) { return y - x; });
    return Math.round(((l[0] + 0.05) / (l[1] + 0.05)) * 100) / 100;
  }

  var form = document.querySelector("[data-preview-form]");
  if (!form) return;
  var frame = document.querySelector("[data-preview-frame]");
  var status = document.querySelector("[data-preview-status]");
  var warnings = document.querySelector("[data-contrast-warnings]");
  var base = frame.getAttribute("src").split("?")[0];
  var view = "tracking";
  var timer = null;
  var logoInput = form.querySelector("input[type=file][name=logo_upload]");
  var logoUrl = form.getAttribute("data-preview-logo-url");
  var previewLogo = "";  // token of the chosen, not yet saved logo the server checked
  var logoSends = 0;

  function previewUrl() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (name === "csrfmiddlewaretoken" || typeof value !== "string") return;
      params.append(name, value);
    });
    document.querySelectorAll("[data-preview-option]").forEach(function (el) {
      params.set(el.name, el.value);
    });
    if (previewLogo) params.set("preview_logo", previewLogo);
    params.set("view", view);
    return base + "?" + params.toString();
  }

  function refresh() {
    if (status) status.textContent = "Updating…";
    frame.src = previewUrl();
  }
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 350);
  }
  frame.addEventListener("load", function () {
    if (status) status.textContent = "";
    frame.setAttribute("data-loaded-src", frame.src);
  });

  function updateContrast() {
    if (!warnings) return;
    var get = function (name) { var el = form.elements[name]; return el ? el.value : ""; };
    var text = get("text_color"), bg = get("background_color"), primary = get("primary_color");
    var valid = [text, bg, primary].every(function (v) { return /^#[0-9a-f]{6}$/i.test(v); });
    if (!valid) return;
    var out = [];
    var r1 = contrast(text, bg);
    if (r1 < 4.5) out.push(warnings.getAttribute("data-msg-text").replace("%(ratio)s", r1));
    var r2 = contrast("#ffffff", primary);
    if (r2 < 4.5) out.push(warnings.getAttribute("data-msg-button").replace("%(ratio)s", r2));
    warnings.innerHTML = "";
    out.forEach(function (message) {
      var div = document.createElement("div");
      div.className = "alert alert-warning";
      div.textContent = message;
      warnings.appendChild(div);
    });
  }

  form.addEventListener("input", function (event) {
    if (event.target === logoInput) return;  // sent by sendLogo() below
    var hex = document.querySelector('[data-hex-for="' + event.target.id + '"]');
    if (hex) hex.textContent = event.target.value;
    updateContrast();
    schedule();
  });
  form.addEventListener("change", function (event) {
    if (event.target !== logoInput) schedule();
  });

  // A chosen logo goes to the server first: checked and resized exactly as on save,
  // then the preview asks for it by token. A refused file shows its error and the
  // preview keeps the logo it had.
  function showLogoErrors(messages) {
    var field = logoInput.closest(".field");
    field.querySelectorAll(".errorlist").forEach(function (el) { el.remove(); });
    field.classList.toggle("has-error", messages.length > 0);
    if (!messages.length) return;
    var list = document.createElement("ul");
    list.className = "errorlist";
    messages.forEach(function (message) {
      var item = document.createElement("li");
      item.textContent = message;
      list.appendChild(item);
    });
    field.appendChild(list);
  }
  function sendLogo() {
    var file = logoInput.files[0];
    var sent = ++logoSends;
    previewLogo = "";
    showLogoErrors([]);
    if (!file) { refresh(); return; }
    var body = new FormData();
    body.append("csrfmiddlewaretoken", form.elements.csrfmiddlewaretoken.value);
    body.append("logo_upload", file);
    if (status) status.textContent = "Updating…";
    fetch(logoUrl, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      })
      .catch(function () {  // offline, or an answer that is not ours (e.g. signed out)
        var message = form.getAttribute("data-msg-logo-failed");
        return { ok: false, data: { errors: { logo_upload: [message] } } };
      })
      .then(function (result) {
        if (sent !== logoSends) return;  // a newer choice replaced this one
        if (result.ok) previewLogo = result.data.token;
        else showLogoErrors((result.data.errors || {}).logo_upload || []);
        refresh();
      });
  }
  if (logoInput && logoUrl) logoInput.addEventListener("change", sendLogo);
  document.querySelectorAll("[data-preview-option]").forEach(function (el) {
    el.addEventListener("change", function (event) { event.stopPropagation(); refresh(); });
  });
  document.querySelectorAll("[data-preview-view]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      event.preventDefault();
      view = button.getAttribute("data-preview-view");
      document.querySelectorAll("[data-preview-view]").forEach(function (b) {
        var on = b === button;
        b.classList.toggle("active", on);
        b.setAttribute("aria-selected", on ? "true" : "false");
      });
      refresh();
    });
  });
  var nojs = document.querySelector("[data-nojs-preview]");
  if (nojs) nojs.hidden = true;
  updateContrast();
})();
