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

  var BACKOFF_MS = 30 * 1000; // after a 429 from the API's rate limit
  var JITTER_MS = 2500; // every phone on the page should not ask in the same millisecond
  var data = root.dataset;
  var pausedUntil = 0;
  var fetching = false;
  var again = false;
  var timer = null;

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

  function refresh() {
    clearTimeout(timer);
    timer = null;
    if (Date.now() < pausedUntil) {
      return;
    }
    if (fetching) {
      again = true;
      return;
    }
    fetching = true;
    C.getJSON(data.url)
      .then(function (body) {
        if (body) {
          apply(body);
        }
      })
      .catch(function (error) {
        if (error && error.status === 429) {
          pausedUntil = Date.now() + BACKOFF_MS;
        }
      })
      .then(function () {
        fetching = false;
        if (again) {
          again = false;
          refresh();
        }
      });
  }

  function refreshSoon() {
    if (!timer) {
      timer = setTimeout(refresh, 200 + Math.random() * JITTER_MS);
    }
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
    poll: refresh,
    onSnapshot: refreshSoon,
    onEvent: refreshSoon,
    onState: function (feedState) {
      root.setAttribute("data-feed", feedState);
    },
  }).start();
})();
