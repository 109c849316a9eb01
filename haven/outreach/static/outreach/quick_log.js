// The + and − buttons next to each supply. The page works without them.
document.addEventListener("click", (event) => {
  const button = event.target.closest("button.step");
  if (!button) return;
  const input = document.getElementById(button.dataset.target);
  const next = (parseInt(input.value, 10) || 0) + parseInt(button.dataset.step, 10);
  input.value = next > 0 ? next : "";
  input.dispatchEvent(new Event("change", { bubbles: true }));
});

// Picking a recent participant clears a typed card code, and the other way round.
const cardCode = document.getElementById("id_card_code");
if (cardCode) {
  cardCode.addEventListener("input", () => {
    if (cardCode.value) {
      const someoneElse = document.querySelector("input[name=participant][value='']");
      if (someoneElse) someoneElse.checked = true;
    }
  });
  document.querySelectorAll("input[name=participant]").forEach((radio) => {
    radio.addEventListener("change", () => {
      if (radio.value) cardCode.value = "";
    });
  });
}

// An anonymous contact has no participant: ticking it clears the participant,
// and choosing a participant unticks it.
const anonymous = document.getElementById("id_anonymous");
if (anonymous && cardCode) {
  anonymous.addEventListener("change", () => {
    if (!anonymous.checked) return;
    cardCode.value = "";
    const someoneElse = document.querySelector("input[name=participant][value='']");
    if (someoneElse) someoneElse.checked = true;
  });
  const untick = () => {
    anonymous.checked = false;
  };
  cardCode.addEventListener("input", () => cardCode.value && untick());
  document.querySelectorAll("input[name=participant]").forEach((radio) => {
    radio.addEventListener("change", () => radio.value && untick());
  });
}
