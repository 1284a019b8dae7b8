// The supervisor's live view reloads itself every few seconds; a button pauses that (WCAG 2.2.1: a page
// that refreshes on a timer lets the reader stop it). The reload address carries ?refresh=auto so that it
// does not keep the staff session alive (hall/security.py). Without JavaScript a <noscript> meta refresh
// reloads the page instead.
(function () {
  "use strict";

  var holder = document.querySelector("[data-refresh]");
  var button = document.querySelector("[data-refresh-toggle]");
  if (!holder || !button) {
    return;
  }
  var seconds = parseInt(holder.getAttribute("data-refresh"), 10) || 10;
  var pauseLabel = button.textContent;
  var timer = null;

  function start() {
    timer = setTimeout(function () {
      window.location.replace("?refresh=auto");
    }, seconds * 1000);
  }

  button.addEventListener("click", function () {
    var paused = timer !== null;
    if (paused) {
      clearTimeout(timer);
      timer = null;
    } else {
      start();
    }
    button.textContent = paused ? button.getAttribute("data-resume-label") : pauseLabel;
  });
  // Starting to fill in a form on the page (extending today's hours) pauses the reload, which would lose
  // what was typed; the button then offers to resume.
  document.addEventListener("focusin", function (event) {
    var inForm = event.target.closest && event.target.closest("form");
    if (timer !== null && inForm && !inForm.contains(button)) {
      button.click();
    }
  });
  button.hidden = false;
  start();
})();
