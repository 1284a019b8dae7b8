// Booking pages: after a failed submit, start keyboard and screen-reader users at the error summary
// (GOV.UK pattern). Without JavaScript the summary is still the first thing in <main>.
function focusErrorSummary() {
  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();
  }
}

// A form marked data-retry-when-busy (Confirm booking) is sent with fetch. When the hall's server is busy
// (503 or 429 with Retry-After, hall/admission.py) nothing was saved: the form shows "busy, trying again in
// N seconds", counts down and sends itself again, as often as it takes. Any other answer replaces the page
// as a normal submit would. Without JavaScript the form posts as usual and the 503 page says when to retry.
function retryWhenBusy(form) {
  var status = form.querySelector("[data-busy-status]");
  var button = form.querySelector("button[type='submit']");
  var sending = false;

  function say(text) {
    status.textContent = text;
    status.hidden = !text;
  }

  function countdown(seconds) {
    say(form.dataset.busyText.replace("{seconds}", String(seconds)));
    if (seconds <= 0) {
      send();
      return;
    }
    window.setTimeout(function () { countdown(seconds - 1); }, 1000);
  }

  function show(html) {
    document.open();
    document.write(html);
    document.close();
  }

  function send() {
    sending = true;
    button.disabled = true;
    window.fetch(form.action || window.location.href, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      cache: "no-store",
    }).then(function (response) {
      var wait = parseInt(response.headers.get("Retry-After"), 10);
      if ((response.status === 503 || response.status === 429) && wait > 0) {
        countdown(wait);
        return null;
      }
      if (response.redirected) {
        window.location.assign(response.url);
        return null;
      }
      return response.text().then(show);
    }).catch(function () {
      sending = false;
      button.disabled = false;
      say(form.dataset.offlineText);
    });
  }

  form.addEventListener("submit", function (event) {
    if (!window.fetch || !window.FormData) {
      return;  // an old browser posts the form itself
    }
    event.preventDefault();
    if (!sending) {
      send();
    }
  });
}

document.addEventListener("DOMContentLoaded", function () {
  focusErrorSummary();
  Array.prototype.forEach.call(document.querySelectorAll("form[data-retry-when-busy]"), retryWhenBusy);
});
