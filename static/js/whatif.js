// The what-if run page asks for its job's progress every few seconds (the status address answers JSON)
// and shows it; once the run has finished it reloads itself to draw the result. The reload address
// carries ?refresh=auto, so that it does not keep the staff session alive (hall/security.py). Without
// JavaScript a <noscript> meta refresh reloads the page instead.
(function () {
  "use strict";

  var section = document.getElementById("progress");
  if (!section || !window.fetch) {
    return;
  }
  var bar = section.querySelector("progress");
  var label = document.getElementById("progress-label");
  var seconds = parseInt(section.getAttribute("data-poll"), 10) || 2;

  function poll() {
    fetch(section.getAttribute("data-status-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (status) {
        if (status.finished) {
          window.location.replace("?refresh=auto");
          return;
        }
        if (typeof status.progress === "number") {
          bar.value = status.progress;
          bar.textContent = status.progress + " %";
        }
        if (status.label && label.textContent !== status.label) {
          label.textContent = status.label;
        }
        setTimeout(poll, seconds * 1000);
      })
      .catch(function () {
        setTimeout(poll, seconds * 2000); // a failed poll (a restart, a lost connection): try again later
      });
  }
  setTimeout(poll, seconds * 1000);
})();
