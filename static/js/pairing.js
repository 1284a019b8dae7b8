// The page of a screen that is not set up: ask the server every few seconds whether a supervisor has paired
// it, and reload then (the reload takes the screen's key) or when the code has expired (a new code).
// Without this file, the page's <noscript> refresh does the same.
(function () {
  "use strict";

  var box = document.querySelector("[data-pairing][data-status-url]");
  if (!box || !window.fetch) {
    return;
  }
  var url = box.dataset.statusUrl;
  var every = (parseInt(box.dataset.pollSeconds, 10) || 3) * 1000;

  function poll() {
    window.fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : { state: "waiting" };
      })
      .then(function (answer) {
        if (answer.state === "paired" || answer.state === "expired") {
          window.location.reload();
          return;
        }
        window.setTimeout(poll, every);
      })
      .catch(function () {
        window.setTimeout(poll, every * 2);
      });
  }

  window.setTimeout(poll, every);
})();
