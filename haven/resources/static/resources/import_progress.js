// Shows a background import's progress; reloads the page once it has finished.
(function () {
  "use strict";
  const section = document.getElementById("import-running");
  if (!section) return;
  const bar = document.getElementById("import-progress");
  const status = document.getElementById("import-status");

  async function poll() {
    try {
      const response = await fetch(section.dataset.progressUrl, { credentials: "same-origin" });
      if (response.ok) {
        const progress = await response.json();
        if (!progress.running) {
          window.location.reload();
          return;
        }
        bar.max = progress.rows_total || 1;
        bar.value = progress.rows_done;
        status.textContent = progress.text;
      }
    } catch (error) {
      // No signal for a moment: try again on the next tick.
    }
    window.setTimeout(poll, 1000);
  }
  window.setTimeout(poll, 1000);
})();
