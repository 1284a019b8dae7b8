// The citizen's live ticket: follows the hall's event stream and re-reads this ticket
// (GET /api/v1/tickets/<token>) when an event may have moved it; when called, a chime and vibration
// (after the citizen has tapped "sound and vibration": phones allow neither before a tap). When the
// ticket ends (done, no-show, transferred), the page reloads to show what comes next, such as the
// rating link. Without JavaScript the page refreshes itself every 30 seconds instead.
(function () {
  "use strict";

  var C = window.Chuangkou;
  var root = document.querySelector("[data-live-ticket]");
  if (!C || !root) {
    return;
  }

  var data = root.dataset;
  var number = data.number;
  var service = data.service;
  var state = data.state;
  var wasOutside = data.inside !== "true";
  var comeInAt = Number(data.comeInAt);
  var title = document.title;
  var chime = new C.Chime();
  var alertedCalls = state === "called" ? 1 : 0;
  var comeInShown = !root.querySelector("[data-come-in]").hidden;
  var inside = !wasOutside;

  function field(name) {
    return root.querySelector("[data-field='" + name + "']");
  }

  function vibrate(pattern) {
    if (navigator.vibrate) {
      try {
        navigator.vibrate(pattern);
      } catch (error) {
        // some browsers throw without a tap first
      }
    }
  }

  function alertCalled(counter) {
    chime.play();
    setTimeout(function () {
      chime.play();
    }, 1200);
    vibrate([500, 200, 500, 200, 800]);
    document.title = data.titleCalled + " · " + C.format(data.calledPhrase, { number: number, counter: counter });
  }

  function waitText(ticket) {
    if (ticket.ahead === null || ticket.ahead === undefined) {
      return "–";
    }
    if (ticket.estimated_wait_minutes === null) {
      return data.noBasis;
    }
    if (!ticket.estimated_wait_minutes) {
      return data.next;
    }
    if (ticket.estimated_wait_low !== null && ticket.estimated_wait_low !== undefined && ticket.estimated_wait_high > ticket.estimated_wait_low) {
      return C.format(data.rangePhrase, { low: ticket.estimated_wait_low, high: ticket.estimated_wait_high });
    }
    if (ticket.estimated_wait_minutes === 1) {
      return data.oneMinute;
    }
    return C.format(data.minutesPhrase, { minutes: ticket.estimated_wait_minutes });
  }

  function seatText(ticket) {
    if (!ticket.inside) {
      return data.outsideText;
    }
    var seat = String(ticket.seat || "").split("-");
    return seat.length === 2 ? C.format(data.seatPhrase, { row: seat[0], number: seat[1] }) : data.insideText;
  }

  function showWaiting(ticket) {
    field("position").textContent = ticket.position === null ? "–" : ticket.position;
    field("ahead").textContent = ticket.ahead === null ? "–" : ticket.ahead;
    field("wait").textContent = waitText(ticket);
    field("seat").textContent = seatText(ticket);
    inside = ticket.inside;
    var comeIn = ticket.inside ? wasOutside : ticket.ahead !== null && ticket.ahead <= comeInAt;
    root.querySelector("[data-come-in]").hidden = !comeIn;
    if (comeIn && !comeInShown) {
      chime.play();
      vibrate([300, 150, 300]);
    }
    comeInShown = comeIn;
  }

  function apply(ticket) {
    var block = root.querySelector("[data-when='" + ticket.state + "']");
    if (ticket.number !== number || !block) {
      window.location.reload(); // transferred or finished: the server's page says what comes next
      return;
    }
    var previous = state;
    state = ticket.state;
    root.setAttribute("data-state", state);
    Array.prototype.forEach.call(root.querySelectorAll("[data-when]"), function (node) {
      node.hidden = node !== block;
    });
    root.querySelector("[data-live-state]").className = "live-state live-state-" + state;
    if (state === "waiting") {
      showWaiting(ticket);
    } else if (state === "called") {
      block.textContent = C.format(data.calledPhrase, { number: number, counter: ticket.counter });
      if (previous !== "called" && alertedCalls === 0) {
        alertedCalls = 1;
        alertCalled(ticket.counter);
      }
    } else if (state === "serving") {
      block.textContent = C.format(data.servingPhrase, { counter: ticket.counter });
    }
    if (state !== "called") {
      alertedCalls = 0;
      document.title = title;
    }
  }

  var reader = new C.Refresher(data.statusUrl, apply);

  function refresh() {
    reader.refresh();
  }

  function refreshSoon() {
    reader.soon();
  }

  function onEvent(type, event) {
    if (event.number === number && event.service === service) {
      if (type === "ticket.called" && event.calls > alertedCalls) {
        alertedCalls = event.calls; // a call, or a recall: sound again
        alertCalled(event.counter);
      }
      refresh();
    } else if (state === "waiting" && (event.service === service || event.service === undefined)) {
      refreshSoon(); // someone of this queue moved, or a window opened or closed
    } else if (state === "waiting" && !inside && type === "ticket.called") {
      refreshSoon(); // a seat inside may be free now
    }
  }

  function offerAlerts() {
    var box = root.querySelector("[data-alerts]");
    var button = root.querySelector("[data-enable-alerts]");
    box.hidden = false;
    button.addEventListener("click", function () {
      chime.unlock();
      chime.play();
      vibrate(80);
      button.hidden = true;
      root.querySelector("[data-alerts-on]").hidden = false;
    });
  }

  root.querySelector("[data-live-hint]").hidden = true;
  root.querySelector("[data-live-on]").hidden = false;
  offerAlerts();
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) {
      refresh();
    }
  });
  new C.HallFeed({
    eventsUrl: data.eventsUrl,
    pollSeconds: 5,
    poll: refresh,
    onSnapshot: refreshSoon,
    onEvent: onEvent,
    onState: function (feedState) {
      root.setAttribute("data-feed", feedState);
    },
  }).start();
})();
