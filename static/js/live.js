// Live updates for the hall's screens and the citizen's ticket page (window.Chuangkou).
//
// HallFeed listens to the hall's Server-Sent Events (GET /api/v1/halls/<slug>/events). The browser
// reconnects by itself after a network error (the server asks for retry: 1000 ms) and sends Last-Event-ID,
// so that nothing is missed; every (re)connection begins with a `snapshot` event. When the stream fails
// three times in a row, the browser gives up on it (an error status from a proxy), or no snapshot comes
// within ten seconds (a proxy that buffers the stream), the page polls instead every few seconds until
// the stream is back. A stream can also die silently (a TV on Wi-Fi for days): with no event for a while
// the page re-synchronises and, later, reconnects.
(function () {
  "use strict";

  var EVENT_TYPES = ["ticket.issued", "ticket.called", "ticket.completed", "queue.changed"];
  var FAILURES_BEFORE_POLLING = 3;
  var SNAPSHOT_WAIT_MS = 10 * 1000; // a proxy that buffers the stream never fails it: poll meanwhile
  var QUIET_RESYNC_MS = 60 * 1000;
  var QUIET_RECONNECT_MS = 10 * 60 * 1000;
  var MAX_BACKOFF_MS = 60 * 1000;

  // "请 %(number)s 号到 %(counter)s 号窗口" with values; unknown names are left as they are.
  function format(phrase, values) {
    return String(phrase).replace(/%\((\w+)\)s/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  // The phrase as text nodes and elements: {number: "call-number"} puts the number in <span class=...>.
  function formatInto(element, phrase, values, classes) {
    element.textContent = "";
    String(phrase).split(/(%\(\w+\)s)/).forEach(function (part) {
      var match = /^%\((\w+)\)s$/.exec(part);
      if (!match || !Object.prototype.hasOwnProperty.call(values, match[1])) {
        if (part) {
          element.appendChild(document.createTextNode(part));
        }
        return;
      }
      var span = document.createElement("span");
      span.className = classes[match[1]] || "";
      span.textContent = String(values[match[1]]);
      element.appendChild(span);
    });
  }

  // Redis stream ids "<ms>-<seq>", compared as numbers.
  function streamIdAfter(a, b) {
    var x = String(a).split("-"), y = String(b).split("-");
    var ms = Number(x[0]) - Number(y[0]);
    return ms !== 0 ? ms > 0 : Number(x[1] || 0) > Number(y[1] || 0);
  }

  function withQuery(url, name, value) {
    return url + (url.indexOf("?") < 0 ? "?" : "&") + name + "=" + encodeURIComponent(value);
  }

  // options: eventsUrl; onSnapshot(data) for each `snapshot` event; onEvent(type, data, id);
  // poll() called every pollSeconds while the stream is down (and once when the stream is quiet);
  // onState("connecting" | "live" | "polling").
  function HallFeed(options) {
    this.options = options;
    this.pollMs = (options.pollSeconds || 5) * 1000;
    this.source = null;
    this.failures = 0;
    this.lastId = null;
    this.lastMessageAt = Date.now();
    this.pollTimer = null;
    this.retryTimer = null;
    this.snapshotTimer = null;
    this.state = "";
  }

  HallFeed.prototype.start = function () {
    var self = this;
    this.setState("connecting");
    this.connect();
    setInterval(function () {
      self.watch();
    }, 15 * 1000);
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden && self.state !== "live") {
        self.reconnect(); // a phone woken from sleep: do not wait for the next retry
      }
    });
  };

  HallFeed.prototype.connect = function () {
    var self = this;
    if (!window.EventSource) {
      this.startPolling();
      return;
    }
    var url = this.lastId ? withQuery(this.options.eventsUrl, "last_event_id", this.lastId) : this.options.eventsUrl;
    var source = new EventSource(url);
    this.source = source;
    clearTimeout(this.snapshotTimer);
    this.snapshotTimer = setTimeout(function () {
      if (self.state !== "live") {
        self.startPolling();
      }
    }, SNAPSHOT_WAIT_MS);
    source.addEventListener("snapshot", function (event) {
      self.heard();
      self.failures = 0;
      self.stopPolling();
      self.setState("live");
      if (self.options.onSnapshot) {
        self.options.onSnapshot(JSON.parse(event.data));
      }
    });
    EVENT_TYPES.forEach(function (type) {
      source.addEventListener(type, function (event) {
        self.heard();
        if (event.lastEventId) {
          if (self.lastId && !streamIdAfter(event.lastEventId, self.lastId)) {
            return; // already handled
          }
          self.lastId = event.lastEventId;
        }
        if (self.options.onEvent) {
          self.options.onEvent(type, JSON.parse(event.data), event.lastEventId);
        }
      });
    });
    source.addEventListener("error", function () {
      if (source !== self.source) {
        return;
      }
      self.failures += 1;
      if (self.failures >= FAILURES_BEFORE_POLLING || source.readyState === 2) {
        self.startPolling();
      } else if (self.state === "live") {
        self.setState("connecting");
      }
      if (source.readyState === 2) {
        // CLOSED: the browser will not retry (an error status or a wrong content type); we do, slower,
        // and poll meanwhile.
        self.source = null;
        var delay = Math.min(MAX_BACKOFF_MS, 1000 * Math.pow(2, Math.min(self.failures, 6)));
        clearTimeout(self.retryTimer);
        self.retryTimer = setTimeout(function () {
          self.connect();
        }, delay);
      }
    });
  };

  HallFeed.prototype.reconnect = function () {
    if (this.source) {
      this.source.close();
      this.source = null;
    }
    clearTimeout(this.retryTimer);
    this.connect();
  };

  HallFeed.prototype.heard = function () {
    this.lastMessageAt = Date.now();
  };

  HallFeed.prototype.watch = function () {
    var quiet = Date.now() - this.lastMessageAt;
    if (this.state !== "live") {
      return;
    }
    if (quiet > QUIET_RECONNECT_MS) {
      this.heard();
      this.reconnect(); // the stream may be dead without anyone having told us: a fresh one costs a snapshot
    } else if (quiet > QUIET_RESYNC_MS && this.options.poll && !this.resynced) {
      this.resynced = true;
      this.options.poll();
    }
    if (quiet < QUIET_RESYNC_MS) {
      this.resynced = false;
    }
  };

  HallFeed.prototype.startPolling = function () {
    var self = this;
    this.setState("polling");
    if (this.pollTimer || !this.options.poll) {
      return;
    }
    this.options.poll();
    this.pollTimer = setInterval(function () {
      self.options.poll();
    }, this.pollMs);
  };

  HallFeed.prototype.stopPolling = function () {
    clearInterval(this.pollTimer);
    this.pollTimer = null;
  };

  HallFeed.prototype.setState = function (state) {
    if (state === this.state) {
      return;
    }
    this.state = state;
    if (this.options.onState) {
      this.options.onState(state);
    }
  };

  // GET a JSON document; resolves to null on any failure (the caller keeps what it shows).
  function getJSON(url) {
    if (!window.fetch) {
      return Promise.resolve(null);
    }
    return fetch(url, { cache: "no-store", credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          var error = new Error("HTTP " + response.status);
          error.status = response.status;
          throw error;
        }
        return response.json();
      });
  }

  // A two-tone chime (WebAudio). Browsers keep an AudioContext suspended until someone has clicked or
  // tapped the page, unless started with --autoplay-policy=no-user-gesture-required (see docs/display.md).
  function Chime() {
    this.context = null;
  }

  Chime.prototype.audio = function () {
    var AudioContext = window.AudioContext || window.webkitAudioContext;
    if (!this.context && AudioContext) {
      try {
        this.context = new AudioContext();
      } catch (error) {
        this.context = null;
      }
    }
    return this.context;
  };

  // True when sound can play now without a click first.
  Chime.prototype.allowed = function () {
    var context = this.audio();
    return Boolean(context) && context.state === "running";
  };

  // Call from a click or tap handler: that gesture is what lets the page make sound.
  Chime.prototype.unlock = function () {
    var context = this.audio();
    if (context && context.state !== "running" && context.resume) {
      return context.resume();
    }
    return Promise.resolve();
  };

  Chime.prototype.play = function () {
    var context = this.audio();
    if (!context) {
      return;
    }
    if (context.state !== "running" && context.resume) {
      context.resume();
    }
    var start = context.currentTime + 0.05;
    [
      [880, 0],
      [660, 0.35],
    ].forEach(function (tone) {
      var oscillator = context.createOscillator();
      var gain = context.createGain();
      oscillator.type = "sine";
      oscillator.frequency.value = tone[0];
      gain.gain.setValueAtTime(0.0001, start + tone[1]);
      gain.gain.exponentialRampToValueAtTime(0.5, start + tone[1] + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + tone[1] + 0.5);
      oscillator.connect(gain);
      gain.connect(context.destination);
      oscillator.start(start + tone[1]);
      oscillator.stop(start + tone[1] + 0.55);
    });
  };

  // Re-reads one JSON resource of a page that follows the hall's events (the ticket page, the hall page's
  // "Waiting now"): refresh() asks now, one request at a time (a refresh during one asks again after it);
  // soon() asks after a random delay, so that the hundreds of phones on a hall do not all ask in the same
  // millisecond. After a 429 from the API's rate limit it rests for BACKOFF_MS.
  var BACKOFF_MS = 30 * 1000;
  var JITTER_MS = 2500;

  function Refresher(url, apply) {
    this.url = url;
    this.apply = apply;
    this.pausedUntil = 0;
    this.fetching = false;
    this.again = false;
    this.timer = null;
  }

  Refresher.prototype.refresh = function () {
    var self = this;
    clearTimeout(this.timer);
    this.timer = null;
    if (Date.now() < this.pausedUntil) {
      return;
    }
    if (this.fetching) {
      this.again = true;
      return;
    }
    this.fetching = true;
    getJSON(this.url)
      .then(function (body) {
        if (body) {
          self.apply(body);
        }
      })
      .catch(function (error) {
        if (error && error.status === 429) {
          self.pausedUntil = Date.now() + BACKOFF_MS;
        }
      })
      .then(function () {
        self.fetching = false;
        if (self.again) {
          self.again = false;
          self.refresh();
        }
      });
  };

  Refresher.prototype.soon = function () {
    var self = this;
    if (!this.timer) {
      this.timer = setTimeout(function () {
        self.refresh();
      }, 200 + Math.random() * JITTER_MS);
    }
  };

  window.Chuangkou = {
    Refresher: Refresher,
    HallFeed: HallFeed,
    Chime: Chime,
    format: format,
    formatInto: formatInto,
    getJSON: getJSON,
    streamIdAfter: streamIdAfter,
  };
})();
