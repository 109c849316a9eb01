// Recording an overdose report with no signal.
//
// With signal the form posts to Haven as always. Without, the report waits in
// the outbox (sent from every page, see field_app.js) under its own client
// UUID, so that it is stored once however often it is sent. A report Haven
// refuses stays in the outbox with the reason, never dropped; the worker
// fixes it here (its "Edit and retry" opens this screen with it filled in).
(() => {
  const form = document.getElementById("overdose-report");
  const field = window.havenField;
  if (!form || !field || !window.indexedDB || !window.fetch) return;
  const MESSAGES = JSON.parse(document.getElementById("offline-report-messages").textContent);
  const done = document.getElementById("report-kept");
  const formError = document.getElementById("report-offline-error");

  const value = (name) => (form.elements[name] ? form.elements[name].value.trim() : "");
  const picked = (name) => (form.querySelector(`input[name="${name}"]:checked`) || {}).value || "";
  const yesNo = (name) => ({ yes: true, no: false })[picked(name)] ?? null;

  // The page may come from the phone's cache, made hours ago, with a UUID
  // used already: a new UUID each time, and with no signal the phone's time.
  const freshUuid = () => {
    form.elements.client_uuid.value = field.newUuid();
    if (!navigator.onLine && form.elements.occurred_at) {
      const now = new Date();
      const local = new Date(now.getTime() - now.getTimezoneOffset() * 60000);
      form.elements.occurred_at.value = local.toISOString().slice(0, 16);
    }
  };
  freshUuid();

  function readForm() {
    const when = new Date(value("occurred_at"));
    const doses = value("naloxone_doses");
    return {
      client_uuid: value("client_uuid"),
      occurred_at: Number.isNaN(when.getTime()) ? "" : when.toISOString(),
      area: parseInt(value("area"), 10) || 0,
      reported_by: picked("reported_by"),
      outcome: picked("outcome") || "unknown",
      naloxone_doses: doses === "" ? null : parseInt(doses, 10),
      naloxone_source: value("naloxone_source") || "unknown",
      emergency_services_called: yesNo("emergency_services_called"),
      rescue_breathing: yesNo("rescue_breathing"),
      stayed_with_person: yesNo("stayed_with_person"),
      substances: [...form.querySelectorAll("input[name=substances]:checked")].map((b) => b.value),
      note: form.elements.note ? form.elements.note.value : "",
    };
  }

  // A refused report to fix, from the outbox list: fixing it always goes
  // through the outbox, with or without signal.
  let editing = null;
  field.recordToEdit("overdose_report").then((record) => {
    if (!record) return;
    editing = record;
    const body = record.body;
    const yesNo = (answer) => ({ true: "yes", false: "no" })[answer] ?? "unknown";
    field.fillFields(form, {
      occurred_at: body.occurred_at ? field.localTime(body.occurred_at) : "",
      area: body.area || "",
      reported_by: body.reported_by,
      outcome: body.outcome,
      naloxone_doses: body.naloxone_doses ?? "",
      naloxone_source: body.naloxone_source,
      emergency_services_called: yesNo(body.emergency_services_called),
      rescue_breathing: yesNo(body.rescue_breathing),
      stayed_with_person: yesNo(body.stayed_with_person),
      substances: body.substances,
      note: body.note,
    });
    showError(field.whyRefused(record));
  });

  function problem(body) {
    if (!body.occurred_at) return MESSAGES.when_needed;
    if (!body.area) return MESSAGES.area_needed;
    if (!body.reported_by) return MESSAGES.reporter_needed;
    return null;
  }

  function showError(message) {
    formError.textContent = message || "";
    formError.hidden = !message;
    if (message) formError.scrollIntoView({ block: "center" });
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    done.hidden = true;
    if (!editing && (await field.havenAnswers(form.dataset.probeUrl))) {
      form.submit();
      return;
    }
    const body = readForm();
    const wrong = problem(body);
    if (wrong) {
      showError(wrong);
      return;
    }
    const area = form.elements.area.selectedOptions[0];
    const label = MESSAGES.label.replace("%(area)s", area ? area.textContent.trim() : "");
    try {
      if (editing) {
        await field.retryRecord(editing, body, label);
        editing = null;
      } else {
        await field.keepNew("overdose_report", form.dataset.user, body, label);
      }
    } catch (error) {
      showError(error.message);
      return;
    }
    showError("");
    form.reset();
    freshUuid();
    done.hidden = false;
    done.scrollIntoView({ block: "start" });
    done.focus({ preventScroll: true });
  });
})();
