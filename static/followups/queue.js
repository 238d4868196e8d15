/* Call queue keyboard shortcuts: j/k move, 1-8 record an outcome, n note, c call, z snooze.
   Progressive: every action is also a plain link or form button. */
(function () {
  "use strict";
  var queue = document.querySelector("[data-queue]");
  if (!queue) return;

  var help = document.getElementById("cq-help");
  var helpToggle = queue.querySelector("[data-help-toggle]");
  function toggleHelp() {
    if (!help) return;
    help.hidden = !help.hidden;
    if (helpToggle) helpToggle.setAttribute("aria-expanded", String(!help.hidden));
  }
  if (helpToggle) helpToggle.addEventListener("click", toggleHelp);

  // Twilio's report suggested an outcome: put the focus on it, Enter records it.
  var suggested = queue.querySelector(".cq-btn.is-suggested");
  var heading = document.getElementById("cq-buyer");
  if (suggested) suggested.focus({ preventScroll: true });
  else if (heading && !location.hash) heading.focus({ preventScroll: true });

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "TEXTAREA" || tag === "INPUT" || tag === "SELECT" || (target && target.isContentEditable);
  }

  function go(step) {
    var links = Array.prototype.slice.call(queue.querySelectorAll("[data-call-link]"));
    if (!links.length) return;
    var current = links.findIndex(function (a) { return a.classList.contains("is-selected"); });
    var next = links[Math.min(Math.max(current + step, 0), links.length - 1)];
    if (next && next !== links[current]) location.href = next.href;
  }

  var busy = false;
  function press(selector) {
    var button = queue.querySelector(selector);
    if (!button || busy) return;
    busy = true; // one keypress, one outcome: no double recording on key repeat
    button.classList.add("is-pressed");
    button.click();
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (typing(target)) {
      if (event.key === "Escape") { target.blur(); event.preventDefault(); }
      return;
    }
    var key = event.key;
    if (key === "j") { go(1); }
    else if (key === "k") { go(-1); }
    else if (/^[1-8]$/.test(key)) { press('button[data-key="' + key + '"]'); }
    else if (key === "n") { var note = document.getElementById("cq-note"); if (note) note.focus(); }
    else if (key === "c") { var tel = queue.querySelector("[data-call-phone]"); if (tel) tel.click(); }
    else if (key === "z") { press("button[data-snooze]"); }
    else if (key === "?") { toggleHelp(); }
    else { return; }
    event.preventDefault();
  });
})();
