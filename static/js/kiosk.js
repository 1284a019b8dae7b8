// The kiosk and the printable ticket: printing, an on-screen keypad and QR scanning with the camera.
// Every page works without this file: the print link opens the print page, the code field takes typing.
(function () {
  "use strict";

  // How long after window.print() returns the browser may take to say it printed (afterprint).
  var AFTERPRINT_MS = 10000;

  function reportPrinterTrouble(trouble) {
    // A paired kiosk's ticket page carries the report form; the kiosk then gives out no numbers until a
    // supervisor marks the printer fixed, and says so on every page.
    var form = document.querySelector("[data-printer-report]");
    var notice = document.querySelector("[data-printer-trouble]");
    if (notice) {
      notice.hidden = false;
    }
    if (!form || !window.fetch) {
      return;
    }
    var data = new FormData(form);
    data.append("trouble", trouble);
    window.fetch(form.action, { method: "POST", body: data, credentials: "same-origin" }).catch(function () {});
  }

  function printTicket() {
    var printed = false;
    window.addEventListener("afterprint", function () { printed = true; }, { once: true });
    try {
      window.print();
    } catch (error) {
      reportPrinterTrouble("print_failed");
      return;
    }
    window.setTimeout(function () {
      if (!printed) {
        reportPrinterTrouble("not_printed");
      }
    }, AFTERPRINT_MS);
  }

  function setUpPrinting() {
    document.querySelectorAll("[data-print]").forEach(function (control) {
      control.hidden = false;
      control.addEventListener("click", function (event) {
        event.preventDefault();
        printTicket();
      });
    });
    document.querySelectorAll("[data-print-hint]").forEach(function (hint) {
      hint.hidden = true;
    });
  }

  function codeField() {
    return document.querySelector("[data-check-in] input[name='code']");
  }

  function setUpKeypad() {
    var keypad = document.querySelector("[data-keypad]");
    var field = codeField();
    if (!keypad || !field) {
      return;
    }
    keypad.hidden = false;
    // The keypad replaces the system keyboard, which would cover half of a kiosk's screen.
    field.setAttribute("inputmode", "none");
    keypad.addEventListener("click", function (event) {
      var key = event.target.closest("button");
      if (!key) {
        return;
      }
      if (key.dataset.keyValue) {
        if (field.value.length < (field.maxLength > 0 ? field.maxLength : 12)) {
          field.value += key.dataset.keyValue;
        }
      } else if (key.dataset.keyAction === "delete") {
        field.value = field.value.slice(0, -1);
      } else if (key.dataset.keyAction === "clear") {
        field.value = "";
      }
    });
  }

  var CODE = /^[A-Za-z0-9]{4,12}$/;

  function setUpScanner() {
    var box = document.querySelector("[data-scan]");
    var field = codeField();
    if (!box || !field || !("BarcodeDetector" in window) || !navigator.mediaDevices) {
      return;
    }
    window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      if (formats.indexOf("qr_code") === -1) {
        return;
      }
      box.hidden = false;
      box.querySelector("[data-scan-start]").addEventListener("click", function () {
        startScanning(box, field);
      });
    }).catch(function () {});
  }

  function startScanning(box, field) {
    var video = box.querySelector("[data-scan-video]");
    var status = box.querySelector("[data-scan-status]");
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      status.textContent = box.dataset.scanHint || "";
      return video.play().then(function () {
        scan(detector, video, stream, field, status);
      });
    }).catch(function () {
      status.textContent = box.dataset.scanUnavailable || "";
    });
  }

  function stop(stream, video) {
    stream.getTracks().forEach(function (track) { track.stop(); });
    video.hidden = true;
  }

  function scan(detector, video, stream, field, status) {
    detector.detect(video).then(function (codes) {
      var found = codes.map(function (c) { return c.rawValue.trim(); }).filter(function (v) { return CODE.test(v); });
      if (found.length) {
        stop(stream, video);
        field.value = found[0].toUpperCase();
        var form = field.form;
        if (form.requestSubmit) {
          form.requestSubmit();
        } else {
          form.submit();
        }
        return;
      }
      if (codes.length) {
        status.textContent = status.parentElement.dataset.scanWrong || "";
      }
      window.setTimeout(function () { scan(detector, video, stream, field, status); }, 250);
    }).catch(function () {
      window.setTimeout(function () { scan(detector, video, stream, field, status); }, 500);
    });
  }

  function setUpReturnHome() {
    // A ticket left on the screen would show the next person someone else's number.
    var home = document.querySelector("[data-kiosk-home]");
    if (home) {
      window.setTimeout(function () { window.location.assign(home.href); }, 90000);
    }
  }

  setUpPrinting();
  setUpKeypad();
  setUpScanner();
  setUpReturnHome();
})();
