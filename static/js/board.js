// The hall's board (a TV, left running for days): re-renders from each snapshot of the hall and announces
// every new call once, with a chime and the browser's speech synthesis ("请 A 零 一 二 号到 3 号窗口").
//
// Calls are announced from snapshots, never from events directly: each snapshot lists the latest calls
// with their time, the same whether it came from the stream or from polling, so a call (or a recall,
// which is a new call) is spoken once however the board got it. A ticket.called event makes the board
// fetch a snapshot at once; other events within a second are gathered into one fetch.
(function () {
  "use strict";

  var C = window.Chuangkou;
  var root = document.querySelector("[data-board]");
  if (!C || !root) {
    return;
  }

  var RECENT = 10;
  var MAX_PENDING = 3; // after an outage, only the last few calls are worth saying
  var STALE_CALL_MS = 2 * 60 * 1000;
  var FORGET_MS = 30 * 60 * 1000;
  var DIGITS = "0123456789";

  // "A012" -> "A 零 一 二": each character on its own, digits in words of the board's language.
  function spokenNumber(number, digitWords) {
    return String(number)
      .split("")
      .map(function (character) {
        var digit = DIGITS.indexOf(character);
        return digit >= 0 && digitWords[digit] ? digitWords[digit] : character;
      })
      .join(" ");
  }

  function callText(phrase, number, counter, digitWords) {
    return C.format(phrase, { number: spokenNumber(number, digitWords), counter: counter });
  }

  var data = root.dataset;
  var settings = {
    phrase: data.phrase,
    phraseEn: data.phraseEn,
    window: data.windowPhrase,
    digits: String(data.digits || DIGITS.split("").join(" ")).split(/\s+/),
    lang: data.speechLang || "zh-CN",
    states: { open: data.stateOpen, paused: data.statePaused, closed: data.stateClosed },
    idle: data.idle,
  };
  var names = {}; // service code -> name in the board's language (the JSON follows the browser's)
  var titles = {}; // notice id -> title in the board's language, likewise
  var chime = new C.Chime();
  var newest = null; // time of the newest call seen
  var seen = {}; // call key -> time, for the calls of the last half hour
  var started = false;
  var pending = [];
  var speaking = false;
  var current = null; // the utterance being spoken (Chrome drops its end event if it is garbage-collected)

  function callKey(call) {
    return call.number + "|" + call.counter + "|" + call.at;
  }

  function distinct(calls) {
    var numbers = {};
    return calls.filter(function (call) {
      if (numbers[call.number]) {
        return false;
      }
      numbers[call.number] = true;
      return true;
    });
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    return node;
  }

  function renderLatest(call) {
    var box = root.querySelector("[data-latest]");
    box.textContent = "";
    if (!call) {
      box.removeAttribute("data-number");
      box.removeAttribute("data-counter");
      box.appendChild(element("p", "board-idle", settings.idle));
      return;
    }
    var line = element("p", "board-call");
    C.formatInto(line, settings.phrase, { number: call.number, counter: call.counter }, {
      number: "call-number",
      counter: "call-counter",
    });
    box.appendChild(line);
    if (settings.phraseEn) {
      var english = element("p", "board-call-en");
      english.lang = "en";
      english.textContent = C.format(settings.phraseEn, { number: call.number, counter: call.counter });
      box.appendChild(english);
    }
    box.setAttribute("data-number", call.number);
    box.setAttribute("data-counter", call.counter);
  }

  function renderRecent(calls) {
    var list = root.querySelector("[data-recent]");
    list.textContent = "";
    calls.forEach(function (call) {
      var item = element("li", "recent-call");
      item.appendChild(element("span", "recent-number", call.number));
      item.appendChild(element("span", "recent-counter", C.format(settings.window, { number: call.counter })));
      list.appendChild(item);
    });
  }

  function renderCounters(counters) {
    var list = root.querySelector("[data-counters]");
    list.textContent = "";
    list.classList.toggle("counters-many", counters.length > 9);
    counters.forEach(function (counter) {
      var item = element("li", "board-counter counter-" + counter.state);
      item.setAttribute("data-counter", counter.number);
      item.appendChild(element("span", "counter-name", C.format(settings.window, { number: counter.number })));
      if (counter.serving) {
        item.appendChild(element("span", "counter-serving", counter.serving));
      } else {
        item.appendChild(element("span", "counter-state", settings.states[counter.state] || counter.state));
      }
      list.appendChild(item);
    });
  }

  function renderWaiting(waiting) {
    var list = root.querySelector("[data-waiting]");
    list.textContent = "";
    list.classList.toggle("waiting-many", waiting.length > 8);
    waiting.forEach(function (line) {
      var item = element("li", "board-waiting-line");
      item.setAttribute("data-service", line.service);
      item.appendChild(element("span", "waiting-prefix", line.prefix));
      var name = element("span", "waiting-name", names[line.service] || line.name);
      name.title = name.textContent; // shortened with an ellipsis when long: the whole name on pointing
      item.appendChild(name);
      item.appendChild(element("span", "waiting-count", line.count));
      list.appendChild(item);
    });
  }

  function renderNotice(notice) {
    var box = root.querySelector("[data-notice]");
    box.textContent = notice || "";
    box.hidden = !notice;
  }

  // Current notices (公告), by title; a notice that expired is simply missing from the next snapshot.
  function renderNotices(notices) {
    var box = root.querySelector("[data-notices]");
    var list = box.querySelector("ul");
    list.textContent = "";
    notices.forEach(function (notice) {
      var item = element("li", "", titles[notice.id] || notice.title);
      item.setAttribute("data-notice-id", notice.id);
      list.appendChild(item);
    });
    box.hidden = notices.length === 0;
  }

  function render(snapshot) {
    var calls = distinct(snapshot.calls || []);
    renderLatest(calls[0]);
    renderRecent(calls.slice(1, RECENT + 1));
    renderCounters(snapshot.counters || []);
    renderWaiting(snapshot.waiting || []);
    renderNotice(snapshot.notice);
    renderNotices(snapshot.notices || []);
  }

  // The calls of this snapshot that nobody has heard yet, oldest first. A call is known by its number,
  // window and time, so a recall is a new call, and a snapshot older than one already shown (a slow
  // fetch) brings nothing new.
  function newCalls(calls) {
    var fresh = [];
    calls.forEach(function (call) {
      var at = Date.parse(call.at);
      newest = newest === null || at > newest ? at : newest;
      if (!seen.hasOwnProperty(callKey(call))) {
        seen[callKey(call)] = at;
        fresh.push(call);
      }
    });
    Object.keys(seen).forEach(function (key) {
      if (seen[key] < newest - FORGET_MS) {
        delete seen[key];
      }
    });
    if (!started) {
      started = true;
      return []; // what was on the board when it was switched on has been said already
    }
    return fresh.reverse().filter(function (call) {
      return newest - Date.parse(call.at) < STALE_CALL_MS;
    });
  }

  function applySnapshot(snapshot) {
    render(snapshot);
    newCalls(snapshot.calls || []).forEach(function (call) {
      announce(callText(settings.phrase, call.number, call.counter, settings.digits));
    });
  }

  function announce(text) {
    pending.push(text);
    while (pending.length > MAX_PENDING) {
      pending.shift();
    }
    if (!speaking) {
      sayNext();
    }
  }

  function sayNext() {
    var text = pending.shift();
    if (text === undefined) {
      speaking = false;
      return;
    }
    speaking = true;
    chime.play();
    setTimeout(function () {
      speak(text);
    }, 900);
  }

  function pickVoice() {
    var voices = window.speechSynthesis.getVoices ? window.speechSynthesis.getVoices() : [];
    var wanted = settings.lang.toLowerCase();
    var prefix = wanted.split("-")[0];
    var exact = null, near = null;
    (voices || []).forEach(function (voice) {
      var lang = String(voice.lang || "").toLowerCase().replace("_", "-");
      if (!exact && lang === wanted) {
        exact = voice;
      } else if (!near && lang.split("-")[0] === prefix) {
        near = voice;
      }
    });
    return exact || near;
  }

  function speak(text) {
    var finished = false;
    var timer = null;
    function done() {
      if (finished) {
        return;
      }
      finished = true;
      clearTimeout(timer);
      current = null;
      setTimeout(sayNext, 600);
    }
    if (!window.speechSynthesis || !window.SpeechSynthesisUtterance) {
      done();
      return;
    }
    var utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = settings.lang;
    utterance.rate = 0.85;
    var voice = pickVoice();
    if (voice) {
      utterance.voice = voice;
    }
    utterance.onend = done;
    utterance.onerror = done;
    current = utterance;
    // Some engines never report the end: go on after a generous estimate of the speaking time.
    timer = setTimeout(done, Math.min(15000, 2000 + 350 * text.length));
    window.speechSynthesis.speak(utterance);
  }

  var refreshing = false;
  var refreshAgain = false;
  var refreshTimer = null;

  function refresh() {
    clearTimeout(refreshTimer);
    refreshTimer = null;
    if (refreshing) {
      refreshAgain = true;
      return;
    }
    refreshing = true;
    C.getJSON(data.boardUrl)
      .then(function (snapshot) {
        if (snapshot) {
          applySnapshot(snapshot);
        }
      })
      .catch(function () {})
      .then(function () {
        refreshing = false;
        if (refreshAgain) {
          refreshAgain = false;
          refresh();
        }
      });
  }

  function refreshSoon() {
    if (!refreshTimer) {
      refreshTimer = setTimeout(refresh, 1000);
    }
  }

  function showState(state) {
    root.setAttribute("data-feed", state);
    root.querySelector("[data-offline]").hidden = state === "live";
  }

  // The hall's time, whatever time zone the TV's computer was set to.
  function clockText(now, timeZone) {
    try {
      return new Intl.DateTimeFormat("en-GB", {
        hour: "2-digit",
        minute: "2-digit",
        hourCycle: "h23",
        timeZone: timeZone || undefined,
      }).format(now);
    } catch (error) {
      return clockText(now, null); // a zone this browser does not know: its own time beats none
    }
  }

  function tick() {
    root.querySelector("[data-clock]").textContent = clockText(new Date(), data.timezone);
  }

  function offerSound() {
    var button = root.querySelector("[data-enable-sound]");
    if (chime.allowed()) {
      return; // a kiosk browser started with --autoplay-policy=no-user-gesture-required
    }
    button.hidden = false;
    function enable() {
      chime.unlock();
      if (window.speechSynthesis && window.SpeechSynthesisUtterance) {
        window.speechSynthesis.speak(new SpeechSynthesisUtterance(" ")); // unlocks speech in Chrome
      }
      button.hidden = true;
      document.removeEventListener("click", enable);
    }
    document.addEventListener("click", enable);
  }

  var initial = document.getElementById("board-snapshot");
  if (initial) {
    var snapshot = JSON.parse(initial.textContent);
    (snapshot.waiting || []).forEach(function (line) {
      names[line.service] = line.name;
    });
    (snapshot.notices || []).forEach(function (notice) {
      titles[notice.id] = notice.title;
    });
    newCalls(snapshot.calls || []); // the board starts from what the page showed
  }

  window.ChuangkouBoard = { spokenNumber: spokenNumber, callText: callText, clockText: clockText };

  tick();
  setInterval(tick, 10 * 1000);
  setInterval(refresh, 60 * 1000); // notices come and go with the clock, not with events
  offerSound();
  new C.HallFeed({
    eventsUrl: data.eventsUrl,
    pollSeconds: 5,
    poll: refresh,
    onSnapshot: applySnapshot,
    onEvent: function (type) {
      if (type === "ticket.called") {
        refresh();
      } else {
        refreshSoon();
      }
    },
    onState: showState,
  }).start();
})();
