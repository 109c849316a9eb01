// Enrolling someone with no signal.
//
// With signal the form posts to Haven as always. Without, the person gets a
// card code from the block Haven holds for this phone (field_app.js), and the
// enrolment waits in the outbox until a page sends it (field_app.js); Haven
// stores it once, under its client UUID. The worker writes the code on a card
// and can log a contact for them straight away: the contact waits behind the
// enrolment in the outbox and is sent after it. An enrolment Haven refuses is
// fixed here; when its code was taken meanwhile it gets another from the
// block, and the records waiting for that person follow the new code.
(() => {
  const form = document.getElementById("enroll");
  const field = window.havenField;
  if (!form || !field || !window.indexedDB || !window.fetch) return;
  const MESSAGES = JSON.parse(document.getElementById("offline-enroll-messages").textContent);
  const USER = form.dataset.user;
  const done = document.getElementById("enrolled-offline");
  const formError = document.getElementById("enroll-offline-error");

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

  // A refused enrolment to fix, from the outbox list.
  let editing = null;
  field.recordToEdit("enrolment").then((record) => {
    if (!record) return;
    editing = record;
    const body = record.body;
    const prefixed = (prefix, answers) =>
      Object.fromEntries(Object.entries(answers || {}).map(([key, v]) => [prefix + key, v]));
    field.fillFields(form, {
      alias: body.alias,
      year_of_birth: body.year_of_birth ?? "",
      gender: body.gender,
      race_ethnicity: body.race_ethnicity,
      zip_code: body.zip_code,
      ...prefixed("uic-", body.uic_answers),
      ...prefixed("consent-", body.consents),
    });
    showError(field.whyRefused(record));
  });

  function showError(message) {
    formError.textContent = message || "";
    formError.hidden = !message;
    if (message) formError.scrollIntoView({ block: "center" });
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!editing && (await field.havenAnswers(form.dataset.probeUrl))) {
      form.submit();
      return;
    }
    // A code Haven refused (used meanwhile, or no longer held for this user)
    // is replaced; otherwise the person keeps theirs.
    const problem = editing && editing.problem;
    const codeTaken = Boolean(problem) &&
      (problem.status === 409 || (problem.errors || []).some((e) => e.field === "card_code"));
    let cardCode = editing && !codeTaken ? editing.body.card_code : null;
    if (!cardCode) {
      try {
        cardCode = await field.takeCardCode(USER);
      } catch (error) {
        cardCode = null;
      }
    }
    if (!cardCode) {
      showError(MESSAGES.no_codes);
      return;
    }
    const body = readForm(cardCode);
    const label = say(MESSAGES.label, { code: cardCode });
    let saved;
    try {
      if (editing) {
        if (codeTaken) await field.followNewCardCode(editing.body.card_code, cardCode);
        saved = await field.retryRecord(editing, body, label);
        editing = null;
      } else {
        saved = await field.keepNew("enrolment", USER, body, label);
      }
    } catch (error) {
      showError(error.message);
      return;
    }
    showError("");
    form.reset();
    document.getElementById("enrolled-code").textContent = cardCode;
    const person = { card_code: cardCode, alias: body.alias };
    document.getElementById("log-for-enrolled").onclick = () =>
      field.chooseFor(person, form.dataset.logUrl);
    // Their timeline, from the outbox until Haven has them (offline_timeline.js).
    const timeline = document.getElementById("timeline-of-enrolled");
    timeline.href = `${form.dataset.timelineUrl}#${saved.client_uuid}`;
    done.hidden = false;
    // The confirmation where the eye is: the form was long.
    done.scrollIntoView({ block: "start" });
    done.focus({ preventScroll: true });
  });
})();
