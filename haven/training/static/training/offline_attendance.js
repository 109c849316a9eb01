// Listing attendees at a training session, with or without signal.
//
// On the session's page, and on the kept screen the service worker opens for
// it with no signal (the session's id is in the path). With signal an
// attendee is posted as the form does without JavaScript. Without, the
// attendee waits in the outbox (sync kind training_attendee, stored once by
// its client UUID) and every page sends it when the signal comes back. The
// headcount (people present) goes the same way; Haven keeps the largest count
// it is sent. A refused attendee is fixed here too.
(() => {
  const box = document.getElementById("attendance");
  const form = document.getElementById("attendee-form");
  const field = window.havenField;
  if (!box || !form || !field || !window.indexedDB || !window.fetch) return;
  const MESSAGES = JSON.parse(document.getElementById("offline-attendance-messages").textContent);
  const USER = box.dataset.user;
  const fromPath = window.location.pathname.match(/\/(\d+)\/$/);
  const SESSION = parseInt(box.dataset.session || (fromPath && fromPath[1]), 10) || 0;
  const formError = document.getElementById("attendee-error");
  const done = document.getElementById("attendance-kept");
  const headcountForm = document.getElementById("headcount-form");
  let editing = null;
  if (!SESSION) return;
  form.action = form.dataset.action.replace("/0/", `/${SESSION}/`);
  headcountForm.hidden = false;

  const say = (template, values = {}) =>
    template.replace(/%\((\w+)\)s/g, (whole, name) => (name in values ? values[name] : whole));
  const value = (name) => (form.elements[name] ? form.elements[name].value.trim() : "");

  // A page served from the phone's cache carries a UUID perhaps used already.
  const freshUuid = () => {
    form.elements.client_uuid.value = field.newUuid();
  };
  freshUuid();

  function showError(message) {
    formError.textContent = message || "";
    formError.hidden = !message;
    if (message) formError.scrollIntoView({ block: "center" });
  }

  function confirm(message) {
    done.textContent = message;
    done.hidden = false;
    done.scrollIntoView({ block: "start" });
    done.focus({ preventScroll: true });
  }

  function readForm() {
    return {
      client_uuid: value("client_uuid"),
      session: SESSION,
      card_code: value("card_code"),
      name: value("name"),
      consents_to_named_certificate: form.elements.consent.checked,
    };
  }

  // The same rules as Haven's (training/actions.py do_add_attendee), said at once.
  function problem(body) {
    if (body.card_code) {
      const wrong = field.cardCodeProblem(body.card_code);
      if (wrong) return say(MESSAGES[`code_${wrong.kind}`], wrong);
    }
    if (body.name && !body.consents_to_named_certificate) return MESSAGES.consent_needed;
    if (body.consents_to_named_certificate && !body.name) return MESSAGES.name_needed;
    if (!body.card_code && !body.name) return MESSAGES.nobody;
    return null;
  }

  // What waits on this phone for this session, so the trainer sees who is listed.
  async function showWaiting() {
    let records = [];
    try {
      records = await field.outbox.all();
    } catch (error) {
      return;
    }
    const waiting = records.filter(
      (r) => r.user === USER && r.kind === "training_attendee" && r.body.session === SESSION,
    );
    const items = waiting.map((record) => {
      const item = document.createElement("li");
      const mark = document.createElement("strong");
      mark.textContent = record.state === "problem" ? MESSAGES.problem : MESSAGES.not_sent;
      item.append(`${record.label} — `, mark);
      return item;
    });
    document.getElementById("attendance-waiting").replaceChildren(...items);
    document.getElementById("attendance-waiting-box").hidden = !items.length;
  }
  document.addEventListener("haven:outbox", showWaiting);
  showWaiting();

  // Puts a new record, or a fixed one, in the outbox; false (and why, shown)
  // when the phone could not keep it.
  async function keep(body, label, message, fixed = null) {
    try {
      if (fixed) {
        await field.retryRecord(fixed, body, label);
      } else {
        await field.keepNew("training_attendee", USER, body, label);
      }
    } catch (error) {
      showError(error.message);
      return false;
    }
    showError("");
    confirm(message);
    await showWaiting();
    return true;
  }

  // A refused attendee to fix, from the outbox list: it always goes through the outbox.
  let editingHeadcount = null;
  field.recordToEdit("training_attendee").then((record) => {
    if (!record || record.body.session !== SESSION) return;
    if (record.body.headcount != null && !record.body.card_code && !record.body.name) {
      editingHeadcount = record;
      headcountForm.elements.headcount.value = record.body.headcount;
      showError(field.whyRefused(record));
      return;
    }
    editing = record;
    field.fillFields(form, {
      card_code: record.body.card_code,
      name: record.body.name,
      consent: record.body.consents_to_named_certificate ? "on" : "",
    });
    showError(field.whyRefused(record));
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    done.hidden = true;
    // An attendee enrolled on this phone, whose enrolment waits there, waits
    // behind it in the outbox, with signal too (field_app.js, nameEnrolment).
    const answering = !editing && field.havenAnswers(box.dataset.probeUrl);
    const forEnrolment = await field.enrolmentWaiting(value("card_code")).catch(() => null);
    if (!forEnrolment && (await answering)) {
      form.submit();
      return;
    }
    const body = readForm();
    const wrong = problem(body);
    if (wrong) {
      showError(wrong);
      return;
    }
    showError("");
    const code = field.normaliseCardCode(body.card_code);
    const who = code ? code.replace(/^(.{4})/, "$1-") : body.name;
    const label = say(MESSAGES.label, { who });
    if (!(await keep(body, label, MESSAGES.kept, editing))) return;
    editing = null;
    form.reset();
    freshUuid();
  });

  // The headcount waits in the outbox too, with or without signal.
  headcountForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const headcount = parseInt(headcountForm.elements.headcount.value, 10);
    if (!(headcount >= 0)) return;
    const body = { client_uuid: field.newUuid(), session: SESSION, headcount };
    const label = say(MESSAGES.headcount_label, { n: headcount });
    if (await keep(body, label, MESSAGES.headcount_kept, editingHeadcount)) {
      editingHeadcount = null;
    }
  });
})();
