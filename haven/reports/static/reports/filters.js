// With "hide small counts" ticked, the period list offers only the one kind of
// period that suppressed figures come for (the form's data-suppressed-period),
// and custom dates are put away. Without this script the server still refuses
// other kinds, and says why.
(function () {
  "use strict";
  const form = document.querySelector("form[data-suppressed-period]");
  const suppress = form && form.elements.namedItem("suppress");
  if (!suppress) return; // analysts: the server offers only the one kind
  const allowed = form.dataset.suppressedPeriod;
  const period = form.elements.namedItem("period");
  const customDates = form.querySelector("[data-custom-dates]");

  function offerWhatMayBeShown() {
    const hiding = suppress.checked;
    for (const option of period.options) {
      const refused = hiding && option.value !== allowed;
      option.hidden = refused;
      option.disabled = refused;
    }
    if (hiding && period.value !== allowed) period.value = allowed;
    if (customDates) customDates.hidden = hiding;
  }

  suppress.addEventListener("change", offerWhatMayBeShown);
  offerWhatMayBeShown();
})();
