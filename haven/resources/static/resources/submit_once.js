// A form marked data-once can be sent once: its buttons are disabled as it goes,
// so a second click cannot start a second import.
(function () {
  "use strict";
  for (const form of document.querySelectorAll("form[data-once]")) {
    form.addEventListener("submit", () => {
      // After this tick, so the clicked button's name is still sent with the form.
      window.setTimeout(() => {
        for (const button of form.querySelectorAll("button")) button.disabled = true;
      }, 0);
    });
  }
})();
