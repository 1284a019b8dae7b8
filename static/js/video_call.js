// A video appointment's call: WebRTC between the citizen's and the clerk's browsers, signalling through the
// product's server (video/signalling.py) by posting messages and polling for the other side's.
//
// The clerk always makes the offer: when their page opens, and again whenever the citizen says "hello"
// (opens or reopens the waiting room). The citizen answers each offer with a fresh connection, so a
// dropped call is rejoined by reopening either page. Each offer carries a number; answers and candidates
// name the offer they belong to, and stale ones are ignored. Nothing is recorded.
(function () {
  "use strict";
  var root = document.getElementById("video-call");
  if (!root || !window.RTCPeerConnection || !navigator.mediaDevices) return;
  var role = root.dataset.role;
  var url = root.dataset.signalUrl;
  var cursor = Number(root.dataset.cursor) || 0;
  var iceServers = JSON.parse(document.getElementById("ice-servers").textContent);
  var csrf = root.querySelector("input[name=csrfmiddlewaretoken]").value;
  var status = document.getElementById("call-status");
  var localVideo = document.getElementById("local-video");
  var remoteVideo = document.getElementById("remote-video");
  var pc = null, offerId = 0, stream = null, pending = [], stopped = false;

  function say(key) { status.textContent = status.dataset[key]; root.dataset.state = key; }

  // Messages go out one after another, and a message the server could not take (a busy or briefly
  // unavailable server: 429 or 5xx, or no answer) is sent again after a pause: a lost offer, answer or
  // candidate would leave the call unconnected with nothing on either page to show why.
  var outbox = Promise.resolve();

  function post(kind, body) {
    return fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ kind: kind, body: body }),
      credentials: "same-origin",
    }).then(function (response) {
      if (response.status === 429 || response.status >= 500) throw response;
      return response;
    });
  }

  function attempt(kind, body, tries) {
    return post(kind, body).catch(function (failed) {
      if (stopped || tries >= 6) return null;
      var asked = failed && failed.headers ? Number(failed.headers.get("Retry-After")) || 0 : 0;
      var pause = Math.min(Math.max(asked * 1000, 500 * Math.pow(2, tries)), 5000);
      return new Promise(function (resolve) { setTimeout(resolve, pause); }).then(function () {
        return attempt(kind, body, tries + 1);
      });
    });
  }

  function send(kind, body) {
    outbox = outbox.then(function () { return attempt(kind, body, 0); });
    return outbox;
  }

  function newConnection(id) {
    if (pc) pc.close();
    pending = [];
    offerId = id;
    pc = new RTCPeerConnection({ iceServers: iceServers });
    stream.getTracks().forEach(function (t) { pc.addTrack(t, stream); });
    pc.ontrack = function (event) {
      if (remoteVideo.srcObject !== event.streams[0]) remoteVideo.srcObject = event.streams[0];
    };
    pc.onicecandidate = function (event) {
      if (event.candidate) send("candidate", { offer: id, candidate: event.candidate.toJSON() });
    };
    pc.onconnectionstatechange = function () {
      var state = pc.connectionState;
      if (state === "connected") say("connected");
      else if (state === "disconnected" || state === "failed") {
        say("dropped");
        if (role === "clerk" && state === "failed") makeOffer();
        if (role === "citizen" && state === "failed") send("hello", null);
      } else if (state === "connecting") say("connecting");
    };
    return pc;
  }

  function makeOffer() {
    var id = Date.now();
    var conn = newConnection(id);
    return conn.createOffer().then(function (offer) {
      return conn.setLocalDescription(offer);
    }).then(function () {
      return send("offer", { offer: id, sdp: conn.localDescription.toJSON() });
    });
  }

  function addCandidate(candidate) {
    pc.addIceCandidate(candidate).catch(function () {});
  }

  function handle(message) {
    var body = message.body || {};
    if (message.kind === "done") { finish(); return; }
    if (role === "clerk" && message.kind === "hello") { say("connecting"); makeOffer(); return; }
    if (role === "citizen" && message.kind === "offer") {
      say("connecting");
      var conn = newConnection(body.offer);
      conn.setRemoteDescription(body.sdp).then(function () {
        pending.forEach(addCandidate); pending = [];
        return conn.createAnswer();
      }).then(function (answer) {
        return conn.setLocalDescription(answer);
      }).then(function () {
        send("answer", { offer: body.offer, sdp: conn.localDescription.toJSON() });
      });
      return;
    }
    if (!pc || body.offer !== offerId) return;
    if (role === "clerk" && message.kind === "answer") {
      pc.setRemoteDescription(body.sdp).then(function () { pending.forEach(addCandidate); pending = []; });
    } else if (message.kind === "candidate") {
      if (pc.remoteDescription) addCandidate(body.candidate); else pending.push(body.candidate);
    }
  }

  function finish() {
    stopped = true;
    if (pc) pc.close();
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    say("done");
  }

  function poll() {
    if (stopped) return;
    fetch(url + "?after=" + cursor, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data) {
          data.messages.forEach(function (m) { cursor = Math.max(cursor, m.id); handle(m); });
          if (role === "citizen" && data.state === "served") finish();
        }
      })
      .catch(function () {})
      .then(function () { if (!stopped) setTimeout(poll, 1000); });
  }

  document.getElementById("rejoin").addEventListener("click", function () {
    say("connecting");
    if (role === "clerk") makeOffer(); else send("hello", null);
  });

  navigator.mediaDevices.getUserMedia({ video: true, audio: true }).then(function (media) {
    stream = media;
    localVideo.srcObject = media;
    poll();
    if (role === "clerk") makeOffer(); else send("hello", null);
  }).catch(function () { say("noCamera"); });

  // The clerk's checklist and completion are posted without leaving the page, so the call goes on.
  Array.prototype.forEach.call(document.querySelectorAll("form.js-call-form"), function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var answer = document.getElementById(form.id.replace("-form", "-answer"));
      fetch(form.action, {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: { Accept: "application/json" },
      }).then(function (response) { return response.json(); }).then(function (data) {
        answer.textContent = data.message;
        answer.dataset.ok = data.ok ? "yes" : "no";
        var idField = form.querySelector("input[name=id_number]");
        if (idField) idField.value = "";  // the number read aloud is not kept, not even in the page
        if (data.reference) answer.dataset.reference = data.reference;
        if (data.ok && form.id === "complete-form") finish();
      }).catch(function () { answer.textContent = status.dataset.dropped; });
    });
  });
})();
