/* The message template editor: a live preview and variables inserted at the cursor.
   Without this file the Preview button renders the same preview on the server. */
(function () {
  "use strict";

  var form = document.querySelector("[data-template-editor]");
  if (!form) return;
  var panel = document.querySelector("[data-preview-content]");
  var status = document.querySelector("[data-preview-status]");
  var url = form.getAttribute("data-preview-url");
  var timer = null;
  var sent = 0;  // the newest request; older answers arriving late are dropped

  function setStatus(text) { if (status) status.textContent = text; }

  function refresh() {
    var mine = ++sent;
    setStatus(form.getAttribute("data-msg-updating"));
    var body = new FormData(form);
    body.delete("is_active");
    fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
    })
      .then(function (response) {
        return response.json().then(function (data) { return { status: response.status, data: data }; });
      })
      .then(function (result) {
        if (mine !== sent) return;
        if (typeof result.data.html !== "string") throw new Error("no preview");
        panel.innerHTML = result.data.html;  // rendered and escaped by the server
        panel.setAttribute("data-preview-serial", String(mine));
        setStatus("");
      })
      .catch(function () {
        if (mine === sent) setStatus(form.getAttribute("data-msg-failed"));
      });
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  }

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);

  // The Preview button is for pages without JavaScript; here the preview follows typing.
  // Removed, not hidden: Enter in the subject must save, as it did before the button.
  var nojs = form.querySelector("[data-nojs-preview]");
  if (nojs) nojs.remove();

  // Variables go where the cursor was, in the text or (for email) the subject.
  var target = form.elements.body;
  [form.elements.body, form.elements.subject].forEach(function (field) {
    if (field) field.addEventListener("focus", function () { target = field; });
  });

  function insert(name) {
    var field = target && !target.closest("[hidden]") ? target : form.elements.body;
    var text = "{{ " + name + " }}";
    var start = field.selectionStart, end = field.selectionEnd;
    if (typeof start !== "number") { start = end = field.value.length; }
    field.focus();
    field.setRangeText(text, start, end, "end");
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }

  // On a phone the list folds away, so the preview sits right below the text.
  var variables = form.querySelector("[data-fold-on-phone]");
  if (variables && window.matchMedia("(max-width: 760px)").matches) variables.open = false;

  form.querySelectorAll("[data-insert-variable]").forEach(function (chip) {
    chip.setAttribute("role", "button");
    chip.setAttribute("tabindex", "0");
    // Keep the text field's cursor and selection where they are.
    chip.addEventListener("mousedown", function (event) { event.preventDefault(); });
    chip.addEventListener("click", function () { insert(chip.getAttribute("data-insert-variable")); });
    chip.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        insert(chip.getAttribute("data-insert-variable"));
      }
    });
  });
})();
