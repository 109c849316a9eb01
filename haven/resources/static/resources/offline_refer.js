// Making a referral, with or without signal.
//
// The resource is chosen among those the phone keeps (/api/v1/resources, kept
// by the service worker) that offer the need. With signal the referral is
// sent to /api/v1/referrals at once; with none (or when Haven does not
// answer) it waits in the outbox, which every page sends (field_app.js),
// stored once by its client UUID. A refused referral stays there with the
// reason until the worker fixes it here or discards it.
(() => {
  const form = document.getElementById("referral");
  const field = window.havenField;
  if (!form || !field || !window.indexedDB || !window.fetch) return;
  const MESSAGES = JSON.parse(document.getElementById("offline-refer-messages").textContent);
  const need = form.elements.need;
  const resource = form.elements.resource;
  const cardCode = form.elements.card_code;
  const done = document.getElementById("referral-kept");
  const formError = document.getElementById("referral-error");
  let directory = [];

  const say = (template, values = {}) =>
    template.replace(/%\((\w+)\)s/g, (whole, name) => (name in values ? values[name] : whole));

  // A person chosen on another screen comes with their code (sealed, field_app.js).
  // Opening the seal takes a moment on a slow phone: a referral made sooner waits for it.
  const personCarriedOver = field
    .chosenPerson()
    .then((person) => {
      if (person && person.card_code && !cardCode.value) cardCode.value = person.card_code;
    })
    .catch(() => {});

  async function loadDirectory() {
    try {
      const response = await fetch(form.dataset.resourcesUrl, { credentials: "same-origin" });
      if (response.ok) directory = (await response.json()).resources.filter((r) => r.active);
    } catch (error) {
      directory = [];
    }
    offerResources();
  }

  function offerResources() {
    const offering = directory
      .filter((entry) => entry.needs.some((offered) => offered.code === need.value))
      .sort((a, b) => a.name.localeCompare(b.name));
    const options = offering.map((entry) => new Option(entry.name, String(entry.id)));
    resource.replaceChildren(new Option("---------", ""), ...options);
    if (need.value && !offering.length) showError(MESSAGES.none_kept);
    else showError("");
  }
  need.addEventListener("change", offerResources);

  // A result of the resource search for the person (offline_search.js) comes
  // with the need it matched and its resource, sealed like the person and
  // never in the address: chosen once the kept directory is in, unless the
  // worker chose otherwise meanwhile.
  const detailsCarriedOver = field.chosenDetails().catch(() => null);
  const isOffered = (select, value) => [...select.options].some((option) => option.value === value);
  function chooseCarriedOver(details) {
    if (!details || need.value || resource.value || !isOffered(need, details.need)) return;
    need.value = details.need;
    offerResources();
    const chosen = String(details.resource || "");
    if (isOffered(resource, chosen)) resource.value = chosen;
  }

  // A refused referral to fix, from the outbox list (e.g. a card code Haven
  // no longer has): fixing it always goes through the outbox.
  let editing = null;
  Promise.all([
    loadDirectory(),
    field.recordToEdit("referral"),
    detailsCarriedOver,
  ]).then(([, record, details]) => {
    if (!record) {
      chooseCarriedOver(details);
      return;
    }
    editing = record;
    const body = record.body;
    field.fillFields(form, { card_code: body.card_code, need: body.need, site: body.site });
    offerResources();
    field.fillFields(form, {
      resource: body.resource,
      follow_up_on: body.follow_up_on || "",
      note: body.note,
    });
    showError(field.whyRefused(record));
  });

  function showError(message) {
    formError.textContent = message || "";
    formError.hidden = !message;
  }

  function confirm(message) {
    done.textContent = message;
    done.hidden = false;
    done.scrollIntoView({ block: "start" });
    done.focus({ preventScroll: true });
  }

  function readForm() {
    return {
      client_uuid: field.newUuid(),
      card_code: cardCode.value.trim(),
      resource: parseInt(resource.value, 10) || 0,
      need: need.value,
      site: parseInt(form.elements.site.value, 10) || 0,
      follow_up_on: form.elements.follow_up_on.value || null,
      note: form.elements.note.value,
    };
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    done.hidden = true;
    await personCarriedOver;
    const body = readForm();
    const problem = field.cardCodeProblem(body.card_code);
    if (problem) {
      showError(say(MESSAGES[`code_${problem.kind}`], problem));
      return;
    }
    if (!body.resource) {
      showError(MESSAGES.choose_resource);
      return;
    }
    showError("");
    const label = say(MESSAGES.label, { resource: resource.selectedOptions[0].textContent });
    if (editing) {
      try {
        await field.retryRecord(editing, body, label);
      } catch (error) {
        showError(error.message);
        return;
      }
      editing = null;
      form.reset();
      offerResources();
      confirm(MESSAGES.kept);
      return;
    }
    // For someone whose enrolment waits on this phone, the referral waits
    // behind it in the outbox, with signal too (field_app.js, nameEnrolment).
    const answering = field.havenAnswers(form.dataset.probeUrl);
    const forEnrolment = await field.enrolmentWaiting(body.card_code).catch(() => null);
    if (!forEnrolment && (await answering)) {
      try {
        const response = await fetch(form.dataset.referralsUrl, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": field.csrfToken() },
          body: JSON.stringify(body),
        });
        if (response.ok) {
          form.reset();
          confirm(MESSAGES.saved);
          return;
        }
        if (response.status >= 400 && response.status < 500) {
          showError((await response.json()).detail);
          return;
        }
      } catch (error) {
        // Lost on the way: kept on the phone below, and sent again under the same UUID.
      }
    }
    try {
      await field.keepNew("referral", form.dataset.user, body, label);
    } catch (error) {
      showError(error.message);
      return;
    }
    form.reset();
    offerResources();
    confirm(MESSAGES.kept);
  });
})();
