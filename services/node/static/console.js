// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  // Moves the focus to the error summary after a refused submit, so a screen reader
  // and the keyboard start where the problems are listed.
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.setAttribute("tabindex", "-1");
    summary.focus();
  }

  // 印刷する (the Form 5 copy): shown and wired only with this file; without it the
  // browser's own print uses the same print stylesheet.
  Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });

  // A form with `data-busy` (the CSV upload): a file over `data-max-bytes` is not
  // sent (the server would refuse it); otherwise, once sent, the submit buttons are
  // disabled and the form's `.busy` line says to wait (a long file takes a while).
  var forms = document.querySelectorAll("form[data-busy]");
  Array.prototype.forEach.call(forms, function (form) {
    form.addEventListener("submit", function (event) {
      var busy = form.querySelector(".busy");
      var inputs = form.querySelectorAll("input[type=file][data-max-bytes]");
      for (var i = 0; i < inputs.length; i++) {
        var input = inputs[i];
        var max = parseInt(input.getAttribute("data-max-bytes"), 10);
        var file = input.files && input.files[0];
        if (file && max && file.size > max) {
          event.preventDefault();
          if (busy) {
            busy.textContent = input.getAttribute("data-too-large");
          }
          input.focus();
          return;
        }
      }
      if (busy) {
        busy.textContent = form.getAttribute("data-busy");
      }
      // After the submission has started: a disabled button is not sent.
      window.setTimeout(function () {
        var buttons = form.querySelectorAll("button[type=submit]");
        Array.prototype.forEach.call(buttons, function (button) {
          button.disabled = true;
          button.setAttribute("aria-disabled", "true");
        });
      }, 0);
    });
  });
});

// A page restored from the back-forward cache is usable again.
window.addEventListener("pageshow", function (event) {
  if (!event.persisted) {
    return;
  }
  Array.prototype.forEach.call(document.querySelectorAll("form[data-busy]"), function (form) {
    Array.prototype.forEach.call(form.querySelectorAll("button[type=submit]"), function (button) {
      button.disabled = false;
      button.removeAttribute("aria-disabled");
    });
    var busy = form.querySelector(".busy");
    if (busy) {
      busy.textContent = "";
    }
  });
});
