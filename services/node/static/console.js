// Progressive enhancement only: every page works without this file.
// Moves the focus to the error summary after a refused submit, so a screen reader
// and the keyboard start where the problems are listed.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.setAttribute("tabindex", "-1");
    summary.focus();
  }
});
