// Enrolling someone with no signal.
//
// With signal the form posts to Haven as always. Without, the person gets a
// card code from the block Haven holds for this phone (field_app.js), and the
// enrolment waits in the outbox until the quick-log screen sends it; Haven
// stores it once, under its client UUID. The worker writes the code on a card
// and can log a contact for them straight away: the contact waits behind the
// enrolment in the outbox and is sent after it.
(() => {
  const form = document.getElementById("enroll");
  const field = window.havenField;
  if (!form || !field || !window.indexedDB || !window.fetch) return;
  const MESSAGES = JSON.parse(document.getElementById("offline-enroll-messages").textContent);
  const USER = form.dataset.user;
  const done = document.getElementById("enrolled-offline");
  const formError = document.getElementById("enroll-offline-error");
  const LOG_FOR_KEY = "haven-log-for";

  const say = (template, values = {}) =>
    template.replace(/%\((\w+)\)s/g, (whole, name) => (name in values ? values[name] : whole));

  function readForm(cardCode) {
    const value = (name) => (form.elements[name] ? form.elements[name].value.trim() : "");
    const uicAnswers = {};
    for (const input of form.querySelectorAll("[name^='uic-']")) {
      if (input.value.trim()) uicAnswers[input.name.slice(4)] = input.value.trim();
    }
    // The consent questions (radio buttons named consent-<kind>, consent-how, consent-language).
    const consents = {};
    for (const input of form.querySelectorAll("input[name^='consent-']:checked")) {
      consents[input.name.slice(8)] = input.value;
    }
    return {
      client_uuid: field.newUuid(),
      card_code: cardCode,
      alias: value("alias"),
      year_of_birth: parseInt(value("year_of_birth"), 10) || null,
      gender: value("gender"),
      race_ethnicity: value("race_ethnicity"),
      zip_code: value("zip_code"),
      consents,
      uic_answers: uicAnswers,
    };
  }

  function showError(message) {
    formError.textContent = message || "";
    formError.hidden = !message;
    if (message) formError.scrollIntoView({ block: "center" });
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (await field.havenAnswers(form.dataset.probeUrl)) {
      form.submit();
      return;
    }
    let cardCode;
    try {
      cardCode = await field.takeCardCode(USER);
    } catch (error) {
      cardCode = null;
    }
    if (!cardCode) {
      showError(MESSAGES.no_codes);
      return;
    }
    const body = readForm(cardCode);
    await field.outbox.put({
      client_uuid: body.client_uuid,
      user: USER,
      kind: "enrolment",
      body,
      label: say(MESSAGES.label, { code: cardCode }),
      created_at: new Date().toISOString(),
      state: "pending",
    });
    showError("");
    form.reset();
    document.getElementById("enrolled-code").textContent = cardCode;
    const logFor = document.getElementById("log-for-enrolled");
    logFor.onclick = () => {
      sessionStorage.setItem(
        LOG_FOR_KEY,
        JSON.stringify({ card_code: cardCode, alias: body.alias }),
      );
      window.location.assign(form.dataset.logUrl);
    };
    done.hidden = false;
    // The confirmation where the eye is: the form was long.
    done.scrollIntoView({ block: "start" });
    done.focus({ preventScroll: true });
  });
})();
