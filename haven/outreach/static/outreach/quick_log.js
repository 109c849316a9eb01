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

// The recent participants are listed here, on the phone, from what it keeps
// sealed (field_app.js): the screen Haven sends, which the phone keeps for use
// with no signal, names nobody. They are listed once, when the page opens, so
// that the list never moves under the worker's thumb.
const recentBox = document.querySelector("#quick-log #recent-participants");
if (recentBox && window.havenField) {
  const form = recentBox.closest("form");
  const list = recentBox.querySelector("ul");
  window.havenField.recentParticipants(form.dataset.recentUrl).then((people) => {
    const listed = new Set([...list.querySelectorAll("input")].map((radio) => radio.value));
    for (const person of people) {
      if (listed.has(String(person.id))) continue;
      const item = document.createElement("li");
      const radio = document.createElement("input");
      radio.type = "radio";
      radio.name = "participant";
      radio.value = String(person.id);
      radio.id = `id_participant_recent_${person.id}`;
      const label = document.createElement("label");
      label.htmlFor = radio.id;
      label.textContent = person.alias ? `${person.alias} · ${person.card_code}` : person.card_code;
      item.append(radio, label);
      list.append(item);
    }
    recentBox.hidden = list.querySelectorAll("input").length < 2;
  });
}

// Picking a recent participant clears a typed card code, and the other way
// round. (Listened to on the document: the radios are listed after the page opens.)
const cardCode = document.getElementById("id_card_code");
const isPicked = (target) => target.name === "participant" && target.checked && target.value;
if (cardCode) {
  cardCode.addEventListener("input", () => {
    if (cardCode.value) {
      const someoneElse = document.querySelector("input[name=participant][value='']");
      if (someoneElse) someoneElse.checked = true;
    }
  });
  document.addEventListener("change", ({ target }) => {
    if (isPicked(target)) cardCode.value = "";
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
  document.addEventListener("change", ({ target }) => isPicked(target) && untick());
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

// A participant chosen on another screen (found, enrolled, their timeline)
// comes here sealed in this tab's session storage (field_app.js): their card
// code fills the form, and they are shown at the top of it, so that the
// contact is logged on them; changing person is a deliberate tap.
const chosen = document.getElementById("logging-for");
const chosenForm = chosen && chosen.closest("form");
if (chosen && cardCode && window.havenField) {
  const field = window.havenField;
  let person = null;
  const forget = () => {
    field.forgetChosen();
    chosen.hidden = true;
  };
  // Someone the worker types, picks or marks anonymous before the seal opens
  // wins over the person carried over: the contact is theirs.
  let choseOtherwise = false;
  const choosing = ({ target, isTrusted }) => {
    const aPerson =
      target === cardCode ||
      target.name === "participant" ||
      (target.id === "id_anonymous" && target.checked);
    if (isTrusted && aPerson && !person) choseOtherwise = true;
  };
  cardCode.addEventListener("input", choosing);
  chosenForm.addEventListener("change", choosing);
  // Opening their seal takes a moment, longer on a slow phone: a save tapped
  // before they are in the form waits for them (outbox.js), rather than being
  // refused for want of a person while the screen names them.
  field.personCarriedOver = field
    .chosenPerson()
    .then((found) => {
      if (choseOtherwise) {
        forget();
        return;
      }
      person = found;
      if (!person || !person.card_code) return;
      cardCode.value = person.card_code;
      cardCode.dispatchEvent(new Event("input", { bubbles: true }));
      document.getElementById("logging-for-name").textContent = person.alias
        ? `${person.alias} · ${person.card_code}`
        : person.card_code;
      chosen.hidden = false;
    })
    .catch(() => {});
  document.getElementById("change-person").addEventListener("click", () => {
    forget();
    cardCode.value = "";
    cardCode.focus();
  });
  // Once saved (the form is cleared for the next contact), or when another
  // person is typed or picked, the header no longer says who.
  chosenForm.addEventListener("reset", forget);
  cardCode.addEventListener("input", () => {
    if (!chosen.hidden && person && cardCode.value !== person.card_code) forget();
  });
  chosenForm.addEventListener("change", ({ target }) => {
    const other = isPicked(target) || (target.id === "id_anonymous" && target.checked);
    if (other) forget();
  });
}
