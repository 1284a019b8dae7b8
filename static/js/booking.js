// Booking pages: after a failed submit, start keyboard and screen-reader users at the error summary
// (GOV.UK pattern). Without JavaScript the summary is still the first thing in <main>.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();
  }
});
