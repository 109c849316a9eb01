// Buttons marked data-print open the browser's print dialog. Kept in a file,
// not an onclick attribute, so that pages pass the content security policy.
(() => {
  document.querySelectorAll("[data-print]").forEach((button) => {
    button.addEventListener("click", () => window.print());
  });
})();
