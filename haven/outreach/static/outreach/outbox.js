// The quick-log screen, offline.
//
// With no signal, or when Haven does not answer, saving a contact puts it in
// an outbox on the phone (IndexedDB) under the form's client UUID; every page
// sends the outbox (field_app.js), and this one lists what waits. A record
// Haven refuses stays, shown with the reason, until the worker edits and
// retries it (a contact here, any other record on its own screen) or
// discards it. One Haven holds already with other details is named by its
// kind and time, with what to do, and can only be discarded: retried, it
// would be counted twice. Discarding an enrolment asks what becomes of the
// records made for its person (field_app.js, discardEnrolment). A contact's
// naloxone details are sent only once Haven has stored it (field_app.js,
// readyToSend), and discarding the contact takes them with it. A record held
// back behind another says which it waits for. Without JavaScript the form
// posts as an ordinary form.
(() => {
  const form = document.getElementById("quick-log");
  const field = window.havenField;
  if (!form || !field || !window.indexedDB || !window.fetch) return;

  const MESSAGES = JSON.parse(document.getElementById("offline-messages").textContent);
  const USER = form.dataset.user;
  // A phone can show signal and still not reach Haven: give up on the
  // ordinary post after this long and keep the contact on the phone.
  const POST_TIMEOUT_MS = 12000;
  const panel = document.getElementById("outbox");
  const statusLine = document.getElementById("outbox-status");
  const list = document.getElementById("outbox-list");
  const formError = document.getElementById("offline-form-error");
  let editing = null;

  // Whether this phone keeps the field screens yet: a worker about to go
  // where there is no signal needs to know before, not after.
  const thisScript = document.currentScript && document.currentScript.src;
  async function showOfflineReadiness() {
    const line = document.getElementById("offline-ready");
    if (!line) return;
    line.hidden = false;
    line.textContent = MESSAGES.offline_preparing;
    try {
      // None where the browser has no service workers (or over plain http),
      // or blocks them (it then registers nothing).
      if (!field.registration || !(await field.registration)) throw new Error("none");
    } catch (error) {
      line.textContent = MESSAGES.offline_unavailable;
      return;
    }
    // Active only once it has tried to keep every screen and file.
    await navigator.serviceWorker.ready;
    // Ready also means holding the keys that seal what is saved with no signal.
    const kept = await Promise.all([line.dataset.page, thisScript].map((url) => caches.match(url)));
    const ready = kept.every(Boolean) && field.holdsKeys && (await field.holdsKeys());
    line.textContent = ready ? MESSAGES.offline_ready : MESSAGES.offline_incomplete;
  }
  showOfflineReadiness().catch(() => {});

  const say = (template, values = {}) =>
    template.replace(/%\((\w+)\)s/g, (whole, name) => (name in values ? values[name] : whole));

  // ----------------------------------------------------------- card codes
  function cardCodeError(typed) {
    const problem = field.cardCodeProblem(typed);
    return problem && say(MESSAGES[`code_${problem.kind}`], problem);
  }

  // ------------------------------------------------------------ the form
  const newUuid = field.newUuid;

  const value = (name) => (form.elements[name] ? form.elements[name].value.trim() : "");
  const number = (name) => parseInt(value(name), 10) || 0;
  const checked = (name) => [...form.querySelectorAll(`input[name="${name}"]:checked`)];

  function readForm() {
    const anonymous = form.elements.anonymous && form.elements.anonymous.checked;
    const picked = checked("participant").find((radio) => radio.value);
    const cardCode = value("card_code");
    const body = {
      client_uuid: editing && !editing.newUuid ? editing.client_uuid : value("client_uuid") || newUuid(),
      site: parseInt(value("site"), 10) || 0,
      contact_type: (checked("contact_type")[0] || {}).value || "",
      occurred_at: new Date(value("occurred_at") || Date.now()).toISOString(),
      services: checked("services").map((box) => parseInt(box.value, 10)),
      supplies: [],
      kits: [],
      secondary_people: number("secondary_people"),
      note: form.elements.note ? form.elements.note.value : "",
    };
    let label;
    if (anonymous) {
      body.anonymous_people = number("anonymous_people");
      label = say(MESSAGES.anonymous, { n: body.anonymous_people });
    } else if (cardCode) {
      body.card_code = cardCode;
      label = cardCode.replace(/[\s-]/g, "").toUpperCase().replace(/^(.{4})/, "$1-");
    } else if (picked) {
      body.participant = parseInt(picked.value, 10);
      label = form.querySelector(`label[for="${picked.id}"]`).textContent.trim();
    }
    for (const input of form.querySelectorAll("input[name^=supply_], input[name^=kit_]")) {
      const quantity = parseInt(input.value, 10) || 0;
      if (quantity <= 0) continue;
      const [kind, id] = input.name.split("_");
      if (kind === "supply") body.supplies.push({ item: parseInt(id, 10), quantity });
      else body.kits.push({ kit: parseInt(id, 10), quantity });
    }
    return { body, label, anonymous, cardCode, picked };
  }

  function check({ body, anonymous, cardCode, picked }) {
    if (anonymous) return body.anonymous_people >= 1 ? null : MESSAGES.people_needed;
    if (cardCode) return cardCodeError(cardCode);
    return picked ? null : MESSAGES.choose_who;
  }

  function showFormError(message) {
    formError.textContent = message || "";
    formError.hidden = !message;
  }

  function resetForm() {
    const keep = { site: value("site"), contact_type: (checked("contact_type")[0] || {}).value };
    form.reset();
    form.elements.site.value = keep.site;
    for (const radio of form.querySelectorAll("input[name=contact_type]")) {
      radio.checked = radio.value === keep.contact_type;
    }
    for (const input of form.querySelectorAll(".qty")) input.value = "";
    const someoneElse = form.querySelector("input[name=participant][value='']");
    if (someoneElse) someoneElse.checked = true;
    editing = null;
    freshUuid();
  }

  function fillForm(record) {
    resetForm();
    const body = record.body;
    form.elements.site.value = String(body.site);
    for (const radio of form.querySelectorAll("input[name=contact_type]")) {
      radio.checked = radio.value === body.contact_type;
    }
    if (body.anonymous_people) {
      form.elements.anonymous.checked = true;
      form.elements.anonymous_people.value = body.anonymous_people;
    } else if (body.card_code) {
      form.elements.card_code.value = body.card_code;
    } else if (body.participant) {
      const radio = form.querySelector(`input[name=participant][value="${body.participant}"]`);
      if (radio) radio.checked = true;
    }
    for (const line of body.supplies || []) {
      const input = form.elements[`supply_${line.item}`];
      if (input) input.value = line.quantity;
    }
    for (const line of body.kits || []) {
      const input = form.elements[`kit_${line.kit}`];
      if (input) input.value = line.quantity;
    }
    for (const box of form.querySelectorAll("input[name=services]")) {
      box.checked = (body.services || []).includes(parseInt(box.value, 10));
    }
    form.elements.secondary_people.value = body.secondary_people || "";
    const when = new Date(body.occurred_at);
    const local = new Date(when.getTime() - when.getTimezoneOffset() * 60000);
    form.elements.occurred_at.value = local.toISOString().slice(0, 16);
    form.elements.note.value = body.note || "";
    // After a 409 the UUID is taken by another record: the retry needs its own.
    editing = {
      client_uuid: record.client_uuid,
      newUuid: record.problem?.status === 409,
      // It keeps its place: naloxone details made for it are sent after it.
      created_at: record.created_at,
      record,
    };
    showFormError(MESSAGES.editing);
    form.scrollIntoView();
  }

  // A page served from the phone's cache carries the UUID it was first made
  // with, perhaps used already: every page load and every reset gets a new one.
  const freshUuid = () => {
    if (form.elements.client_uuid) form.elements.client_uuid.value = newUuid();
  };
  freshUuid();

  // With signal the form is posted as it would be without JavaScript, and
  // Haven's answer shown: the saved page offers what follows (naloxone
  // details, an overdose report), a refused form shows its errors in place.
  // Returns false when Haven could not be reached, or sent the worker to log
  // in again (the session ended): the outbox keeps the contact until then.
  async function postedWithSignal() {
    const save = form.querySelector("button[type=submit]");
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), POST_TIMEOUT_MS);
    if (save) save.disabled = true;
    form.setAttribute("aria-busy", "true");
    let response;
    try {
      response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        // Asks Haven to name the saved page (HX-Redirect) rather than redirect to it.
        headers: { "HX-Request": "true" },
        signal: controller.signal,
      });
    } catch (error) {
      return false;
    } finally {
      clearTimeout(timer);
      if (save) save.disabled = false;
      form.removeAttribute("aria-busy");
    }
    if (response.redirected && new URL(response.url).pathname === form.dataset.loginUrl) {
      return false;
    }
    const saved = response.ok && response.headers.get("HX-Redirect");
    if (saved) {
      window.location.assign(saved);
    } else {
      // Refused (nothing was stored): post it again as an ordinary form,
      // so that the browser shows Haven's page with the errors in place.
      form.submit();
    }
    return true;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    // The person chosen on the screen before is put in the form as the page
    // opens (quick_log.js): a save tapped sooner waits until they are.
    await field.personCarriedOver;
    // Fixing a refused contact goes through the outbox, with or without
    // signal; so does a contact for someone whose enrolment waits there: it
    // is sent behind it (field_app.js, nameEnrolment), and never reaches
    // whoever else Haven has with that code should the enrolment be refused.
    const signal = navigator.onLine;
    const forEnrolment =
      signal && !editing && (await field.enrolmentWaiting(value("card_code")).catch(() => null));
    const withSignal = signal && !editing && !forEnrolment;
    if (withSignal && (await postedWithSignal())) return;
    // No answer. Haven may have stored the contact all the same: the outbox
    // sends it under the same client UUID, so it is never stored twice.
    const read = readForm();
    const problem =
      check(read) ||
      (editing && (await field.heldCodeProblem(editing.record, read.body.card_code)));
    if (problem) {
      showFormError(problem);
      return;
    }
    const record = {
      client_uuid: read.body.client_uuid,
      user: USER,
      kind: "contact",
      body: read.body,
      label: read.label,
      created_at: editing ? editing.created_at : new Date().toISOString(),
      state: "pending",
    };
    const replaces = editing && editing.client_uuid !== record.client_uuid && editing.client_uuid;
    const edited = editing && editing.record;
    // Clear the form at once, so that the next contact can be typed straight away.
    resetForm();
    showFormError("");
    try {
      await field.nameEnrolment("contact", record.body, edited);
      if (replaces) {
        await field.outbox.remove(replaces);
        await field.followNewUuid(replaces, record.client_uuid);
      }
      await field.outbox.put(record);
    } catch (error) {
      fillForm(record);
      // With signal, the browser keeps nothing (e.g. private browsing): post
      // the form as it was. Without, posting would lose what was typed.
      if (navigator.onLine) {
        form.submit();
      } else {
        editing = null;
        showFormError(error.message);
      }
      return;
    }
    setStatus(MESSAGES.stored);
    await render();
    // The form was long: show the confirmation where the worker is looking.
    showConfirmation();
    field.sendOutbox();
  });

  // ---------------------------------------------------------- the outbox
  function setStatus(message) {
    statusLine.textContent = message;
  }

  function showConfirmation() {
    statusLine.tabIndex = -1;
    panel.scrollIntoView({ block: "start" });
    statusLine.focus({ preventScroll: true });
  }

  async function mine() {
    const records = await field.outbox.all();
    records.sort((a, b) => a.created_at.localeCompare(b.created_at));
    return {
      own: records.filter((record) => record.user === USER),
      others: records.filter((record) => record.user !== USER).length,
    };
  }

  async function render() {
    const { own, others } = await mine();
    panel.hidden = own.length === 0 && others === 0 && !statusLine.textContent;
    document.getElementById("outbox-count").textContent = own.length
      ? say(MESSAGES.pending, { n: own.length })
      : MESSAGES.nothing_pending;
    document.getElementById("outbox-others").textContent = others
      ? say(MESSAGES.other_user, { n: others })
      : "";
    const waiting = field.waitingBehind(own);
    list.replaceChildren(...own.map((record) => renderRecord(record, own, waiting)));
  }

  function renderRecord(record, own, waiting) {
    const item = document.createElement("li");
    item.className = `outbox-record ${record.state}`;
    item.dataset.uuid = record.client_uuid;
    // An enrolment has no time of its own: the time it was made on the phone.
    const when = new Date(record.body.occurred_at || record.created_at).toLocaleTimeString([], {
      hour: "2-digit",
      minute: "2-digit",
    });
    const title = document.createElement("span");
    // Sealed with a key the phone does not hold now (field_crypto.js): kept, not sent.
    title.textContent = `${when} · ${record.locked ? MESSAGES.locked : record.label}`;
    item.append(title);
    // Ready to send but held back behind a record it depends on (field_app.js,
    // readyToSend): said in words, or the worker cannot tell why it stays.
    const why = waiting.has(record) && whatItWaitsFor(waiting.get(record));
    if (why) {
      const reason = document.createElement("span");
      reason.className = "outbox-waits";
      reason.textContent = why;
      item.append(" — ", reason);
    }
    const alreadySaved = field.savedAlready(record);
    const orphaned = detailsOfNoContact(record, own);
    if (hasNaloxone(record) && !alreadySaved) {
      // First kit or refill, and why: asked on its own screen, kept behind the contact.
      const details = button(MESSAGES.naloxone_details, () => {
        sessionStorage.setItem("haven-naloxone-for", record.client_uuid);
        window.location.assign(MESSAGES.edit_screens.naloxone_details);
      });
      item.append(" ", details);
    }
    if (record.state === "problem") {
      const reasons = document.createElement("ul");
      reasons.className = "errorlist";
      let errors = record.problem.errors?.length
        ? record.problem.errors
        : [{ detail: record.problem.detail }];
      if (alreadySaved) {
        // Haven holds this record's UUID with other details: say what the
        // record was and what to do, not Haven's reason (which named the UUID
        // in answers kept from before).
        errors = [{ detail: `${whatItWas(record)}. ${MESSAGES.already_saved}` }];
      } else if (orphaned) {
        errors = [{ detail: MESSAGES.details_orphaned }];
      }
      for (const error of errors) {
        const reason = document.createElement("li");
        reason.textContent = error.detail;
        reasons.append(reason);
      }
      const strong = document.createElement("strong");
      strong.textContent = MESSAGES.problem;
      const discard = button(MESSAGES.discard, async () => {
        const question = alreadySaved ? MESSAGES.confirm_discard_copy : MESSAGES.confirm_discard;
        const held = record.kind === "enrolment" ? field.heldBehind(record, own) : [];
        if (held.length) {
          askAboutHeld(record, held.length, question, discard);
          return;
        }
        const details = own.some(
          (other) => other.kind === "naloxone_details" && other.body.contact === record.client_uuid,
        );
        const asked = details ? `${question} ${MESSAGES.confirm_discard_details}` : question;
        if (!window.confirm(asked)) return;
        await field.discard(record);
        render();
      });
      item.append(" — ", strong, reasons);
      // A copy of a record Haven holds already is only discarded (field_app.js),
      // and so are naloxone details whose contact is gone.
      const edit = !alreadySaved && !orphaned && editFor(record);
      if (edit) item.append(button(MESSAGES.edit, edit), " ");
      item.append(discard);
    }
    return item;
  }

  // Naloxone details Haven refused for want of their contact, which is no
  // longer on the phone either: it was discarded (before its details went
  // with it). Nothing can be fixed; they are only discarded.
  const detailsOfNoContact = (record, own) =>
    record.kind === "naloxone_details" &&
    record.state === "problem" &&
    (record.problem.errors || []).some((error) => error.field === "contact") &&
    !own.some((other) => other.client_uuid === record.body.contact);

  // Discarding an enrolment with records made for its person asks what
  // becomes of them: discarded too, or kept to be given a person (never sent
  // under its card code, field_app.js discardEnrolment).
  function askAboutHeld(record, count, question, opener) {
    const dialog = document.createElement("dialog");
    dialog.className = "outbox-choice";
    const text = document.createElement("p");
    text.id = `outbox-choice-${record.client_uuid}`;
    text.textContent = `${question} ${say(MESSAGES.discard_held, { n: count })}`;
    dialog.setAttribute("aria-labelledby", text.id);
    const choose = (keepHeld) => async () => {
      dialog.close();
      await field.discardEnrolment(record, keepHeld);
      render();
    };
    dialog.append(
      text,
      button(MESSAGES.discard_held_too, choose(false)),
      " ",
      button(MESSAGES.keep_held, choose(true)),
      " ",
      button(MESSAGES.cancel, () => dialog.close()),
    );
    dialog.addEventListener("close", () => {
      dialog.remove();
      if (opener.isConnected) opener.focus();
    });
    document.body.append(dialog);
    dialog.showModal();
  }

  // E.g. "Waits for its contact": the record another waits for, named as the
  // list names it (an enrolment by the card code its line shows). Records
  // depend only on their contact or on an enrolment (field_app.js, dependencies).
  function whatItWaitsFor(other) {
    const template = MESSAGES.waits_for[other.kind];
    if (!template) return "";
    const code = other.body.card_code ? field.shownCode(other.body.card_code) : "";
    return say(template, { code });
  }

  // E.g. "Contact logged 14:05": the kind of record and when it was made on
  // the phone, with the day when not today. Never who it was for.
  function whatItWas(record) {
    const made = new Date(record.created_at);
    const options = { hour: "2-digit", minute: "2-digit" };
    if (made.toDateString() !== new Date().toDateString()) {
      Object.assign(options, { day: "numeric", month: "short" });
    }
    const template = MESSAGES.made[record.kind] || MESSAGES.made.other;
    return say(template, { time: made.toLocaleString([], options) });
  }

  const NALOXONE_ITEMS = (form.dataset.naloxoneItems || "").split(",").filter(Boolean).map(Number);
  const hasNaloxone = (record) =>
    record.kind === "contact" &&
    (record.body.supplies || []).some((line) => NALOXONE_ITEMS.includes(line.item));

  // How a refused record is fixed: a contact in this form, another record on
  // its own screen (none for a kind with no screen of its own).
  function editFor(record) {
    if (record.kind === "contact") return () => fillForm(record);
    const screen = screenFor(record);
    return screen && (() => field.editInItsScreen(record, screen));
  }

  // Where each other kind of record is made (an attendee: on its session's page).
  function screenFor(record) {
    const url = MESSAGES.edit_screens[record.kind];
    if (!url) return null;
    if (record.kind !== "training_attendee") return url;
    return url.replace("/0/", `/${record.body.session}/`);
  }

  function button(text, onClick) {
    const element = document.createElement("button");
    element.type = "button";
    element.className = "secondary";
    element.textContent = text;
    element.addEventListener("click", onClick);
    return element;
  }

  // Each attempt of field_app.js to send the outbox: say how it went, list what is left.
  const SAID = {
    offline: MESSAGES.offline,
    "log-in": MESSAGES.log_in_again,
    error: MESSAGES.server_error,
  };
  document.addEventListener("haven:outbox", ({ detail: { outcome } }) => {
    if (outcome.state === "sent") {
      setStatus([say(MESSAGES.sent, { n: outcome.sent }), ...outcome.notices].join(" "));
    } else if (SAID[outcome.state]) {
      setStatus(SAID[outcome.state]);
    }
    render();
  });
  render();
})();
