// Keyboard shortcuts for the staff console: every shortcut is also an ordinary button or link
// (data-shortcut="n"), so the page works without this file.
(function () {
  "use strict";

  var submitting = false;

  document.addEventListener("submit", function () {
    submitting = true; // one key press, one request: no double calls while the page reloads
  });

  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable]") !== null;
  }

  document.addEventListener("keydown", function (event) {
    if (submitting || event.repeat || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) {
      return;
    }
    var key = event.key.length === 1 ? event.key.toLowerCase() : "";
    if (!key) {
      return;
    }
    var control = document.querySelector("[data-shortcut='" + key + "']");
    if (!control || control.disabled) {
      return;
    }
    event.preventDefault();
    control.click();
  });
})();
