// "Waiting now" on the hall's public page: the people waiting per service and a walk-in's wait, re-read
// from GET /api/v1/halls/<slug>/waiting when the hall's event stream says the queue moved (a ticket
// issued, called or done, a window opened or closed), and every 30 seconds while the stream is down.
// Without JavaScript the table shows the figures of the moment the page was loaded.
(function () {
  "use strict";

  var C = window.Chuangkou;
  var root = document.querySelector("[data-waiting-now]");
  if (!C || !root) {
    return;
  }

  var data = root.dataset;

  function waitText(row) {
    if (!row.walk_ins_now) {
      return data.noWalkIns;
    }
    if (row.no_basis) {
      return data.noBasis;
    }
    if (!row.estimated_wait_minutes) {
      return data.noWait;
    }
    if (row.estimated_wait_low !== null && row.estimated_wait_high > row.estimated_wait_low) {
      return C.format(data.rangePhrase, { low: row.estimated_wait_low, high: row.estimated_wait_high });
    }
    if (row.estimated_wait_minutes === 1) {
      return data.oneMinute;
    }
    return C.format(data.minutesPhrase, { minutes: row.estimated_wait_minutes });
  }

  function setText(node, text) {
    if (node && node.textContent !== String(text)) {
      node.textContent = text;
    }
  }

  function apply(body) {
    root.setAttribute("data-read-at", body.at);
    body.services.forEach(function (row) {
      var line = root.querySelector("tr[data-service='" + row.code + "']");
      if (line) {
        setText(line.querySelector("[data-field='waiting']"), row.waiting);
        setText(line.querySelector("[data-field='wait']"), waitText(row));
      }
    });
    var at = root.querySelector("[data-field='at']");
    var time = String(body.at).slice(11, 16); // the hall's local time, as the API gives it
    if (at && /^\d\d:\d\d$/.test(time)) {
      at.textContent = at.textContent.replace(/\d\d:\d\d/, time);
    }
  }

  var reader = new C.Refresher(data.url, apply);

  function refreshSoon() {
    reader.soon();
  }

  root.querySelector("[data-live-on]").hidden = false;
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) {
      refreshSoon();
    }
  });
  new C.HallFeed({
    eventsUrl: data.eventsUrl,
    pollSeconds: 30,
    poll: function () {
      reader.refresh();
    },
    onSnapshot: refreshSoon,
    onEvent: refreshSoon,
    onState: function (feedState) {
      root.setAttribute("data-feed", feedState);
    },
  }).start();
})();
