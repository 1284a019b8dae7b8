// The small screen above one window: the number called or served there, large. It flashes when a
// number is called (or called again) to this window; the board in the hall does the speaking.
(function () {
  "use strict";

  var C = window.Chuangkou;
  var root = document.querySelector("[data-counter-display]");
  if (!C || !root) {
    return;
  }
  var data = root.dataset;
  var mine = Number(data.counter);
  var shown = null;

  function render(counter) {
    var box = root.querySelector("[data-now]");
    var serving = counter && counter.serving;
    var state = counter ? counter.state : "closed";
    var key = serving || "state:" + state;
    if (key === shown) {
      return;
    }
    shown = key;
    box.textContent = "";
    box.classList.toggle("is-idle", !serving);
    if (serving) {
      var number = document.createElement("p");
      number.className = "counter-screen-number";
      number.setAttribute("data-number", "");
      number.textContent = serving;
      var text = document.createElement("p");
      text.className = "counter-screen-text";
      C.formatInto(text, data.phrase, { number: serving, counter: mine }, {
        number: "call-number",
        counter: "call-counter",
      });
      box.appendChild(number);
      box.appendChild(text);
    } else {
      var line = document.createElement("p");
      line.className = "counter-screen-state";
      line.textContent = data["state" + state.charAt(0).toUpperCase() + state.slice(1)] || state;
      box.appendChild(line);
    }
  }

  function flash() {
    var box = root.querySelector("[data-now]");
    box.classList.remove("flash");
    void box.offsetWidth; // restart the animation
    box.classList.add("flash");
  }

  function apply(snapshot) {
    var counter = null;
    (snapshot.counters || []).forEach(function (c) {
      if (c.number === mine) {
        counter = c;
      }
    });
    render(counter);
  }

  function refresh() {
    C.getJSON(data.boardUrl)
      .then(function (snapshot) {
        if (snapshot) {
          apply(snapshot);
        }
      })
      .catch(function () {});
  }

  var pending = null;
  new C.HallFeed({
    eventsUrl: data.eventsUrl,
    pollSeconds: 5,
    poll: refresh,
    onSnapshot: apply,
    onEvent: function (type, event) {
      if (event.counter !== mine && event.counter !== undefined && event.counter !== null) {
        return; // another window's business
      }
      if (type === "ticket.called" && event.counter === mine) {
        render({ serving: event.number, state: "open" });
        flash();
      }
      clearTimeout(pending);
      pending = setTimeout(refresh, 500);
    },
    onState: function (state) {
      root.setAttribute("data-feed", state);
      root.querySelector("[data-offline]").hidden = state === "live";
    },
  }).start();
})();
