// The + and − buttons next to each supply. The page works without them, so
// they stay hidden until this script runs.
document.querySelectorAll("button.step").forEach((button) => {
  button.hidden = false;
});
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
// and choosing a participant unticks it. The head count shows only when ticked
// (or when it holds an answer or an error).
const anonymous = document.getElementById("id_anonymous");
const headCount = document.getElementById("anonymous-people");
if (anonymous && headCount) {
  const input = headCount.querySelector("input");
  const showHeadCount = () => {
    headCount.hidden = !anonymous.checked && !input.value && !headCount.querySelector(".errorlist");
  };
  anonymous.addEventListener("change", showHeadCount);
  showHeadCount();
}
if (anonymous && cardCode) {
  anonymous.addEventListener("change", () => {
    if (!anonymous.checked) return;
    cardCode.value = "";
    const someoneElse = document.querySelector("input[name=participant][value='']");
    if (someoneElse) someoneElse.checked = true;
  });
  const untick = () => {
    anonymous.checked = false;
    anonymous.dispatchEvent(new Event("change"));
  };
  cardCode.addEventListener("input", () => cardCode.value && untick());
  document.querySelectorAll("input[name=participant]").forEach((radio) => {
    radio.addEventListener("change", () => radio.value && untick());
  });
}

// Scanning the QR code on a participant's card with the phone's camera, where
// the browser can read QR codes (BarcodeDetector). Elsewhere the button stays
// hidden and the code is typed; nothing leaves the phone either way.
const scanButton = document.getElementById("scan-card");
if (scanButton && cardCode && "BarcodeDetector" in window && navigator.mediaDevices) {
  const box = scanButton.closest(".scan");
  const video = document.getElementById("scan-video");
  const status = document.getElementById("scan-status");
  box.hidden = false;
  let stream = null;
  const stop = () => {
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    video.hidden = true;
  };
  scanButton.addEventListener("click", async () => {
    if (stream) {
      stop();
      return;
    }
    try {
      const detector = new BarcodeDetector({ formats: ["qr_code"] });
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
      video.srcObject = stream;
      video.hidden = false;
      await video.play();
      status.textContent = scanButton.dataset.looking || "";
      const look = async () => {
        if (!stream) return;
        const found = await detector.detect(video).catch(() => []);
        if (found.length) {
          cardCode.value = found[0].rawValue.trim().toUpperCase();
          cardCode.dispatchEvent(new Event("input", { bubbles: true }));
          status.textContent = scanButton.dataset.found || "";
          stop();
          cardCode.focus();
          return;
        }
        requestAnimationFrame(look);
      };
      look();
    } catch (error) {
      stop();
      status.textContent = scanButton.dataset.failed || "";
    }
  });
}

// A participant found on the phone with no signal (participants/offline_find.js)
// comes here in this tab's session storage: their card code fills the form,
// and they are shown at the top of it, so that the contact is logged on them;
// changing person is a deliberate tap.
const chosen = document.getElementById("logging-for");
const chosenForm = chosen && chosen.closest("form");
if (chosen && cardCode) {
  const LOG_FOR_KEY = "haven-log-for";
  let person = null;
  try {
    person = JSON.parse(sessionStorage.getItem(LOG_FOR_KEY));
  } catch (error) {
    person = null;
  }
  const forget = () => {
    sessionStorage.removeItem(LOG_FOR_KEY);
    chosen.hidden = true;
  };
  if (person && person.card_code) {
    cardCode.value = person.card_code;
    cardCode.dispatchEvent(new Event("input", { bubbles: true }));
    document.getElementById("logging-for-name").textContent = person.alias
      ? `${person.alias} · ${person.card_code}`
      : person.card_code;
    chosen.hidden = false;
  }
  document.getElementById("change-person").addEventListener("click", () => {
    forget();
    cardCode.value = "";
    cardCode.focus();
  });
  // Once saved (the form is cleared for the next contact), or when another
  // person is typed or picked, the header no longer says who.
  chosenForm.addEventListener("reset", forget);
  cardCode.addEventListener("input", () => {
    if (!chosen.hidden && cardCode.value !== person.card_code) forget();
  });
  chosenForm.querySelectorAll("input[name=participant], #id_anonymous").forEach((input) => {
    input.addEventListener("change", () => input.checked && input.value && forget());
  });
}
