// Naloxone details (first kit or refill, and why) for a contact still
// waiting on the phone.
//
// The contact is named in this tab's session storage by the quick-log
// screen's outbox ("Naloxone details"); its naloxone lines come from its
// supplies and kits, read with the kept catalog (/api/v1/items and /kits).
// The details wait in the outbox behind the contact (kind naloxone_details,
// naming the contact's client UUID) and are stored once; Haven says whether
// it was a first kit. Refused details are fixed here too.
(() => {
  const form = document.getElementById("naloxone-offline");
  const field = window.havenField;
  if (!form || !field || !window.indexedDB || !window.fetch) return;
  const MESSAGES = JSON.parse(document.getElementById("offline-naloxone-messages").textContent);
  const USER = form.dataset.user;
  const FOR_KEY = "haven-naloxone-for";
  const linesBox = document.getElementById("naloxone-lines");
  const formError = document.getElementById("naloxone-error");
  const done = document.getElementById("naloxone-kept");
  let contactUuid = null;
  let editing = null;

  const say = (template, values = {}) =>
    template.replace(/%\((\w+)\)s/g, (whole, name) => (name in values ? values[name] : whole));
  const timeOf = (iso) =>
    new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

  async function kept(url) {
    const response = await fetch(url, { credentials: "same-origin" });
    return response.ok ? response.json() : [];
  }

  // {item id: kits} of naloxone in a contact's supplies and kits.
  function naloxoneOf(body, items, kits) {
    const naloxone = new Map(items.filter((i) => i.category === "naloxone").map((i) => [i.id, i]));
    const lines = new Map();
    const add = (itemId, quantity) => {
      if (naloxone.has(itemId)) lines.set(itemId, (lines.get(itemId) || 0) + quantity);
    };
    for (const line of body.supplies || []) add(line.item, line.quantity);
    for (const line of body.kits || []) {
      const kit = kits.find((k) => k.id === line.kit);
      for (const part of kit ? kit.components : []) add(part.item, part.quantity * line.quantity);
    }
    return [...lines].map(([itemId, quantity]) => ({ item: naloxone.get(itemId), quantity }));
  }

  function showLine({ item, quantity }, chosen = {}) {
    const box = document.getElementById("naloxone-line").content.firstElementChild.cloneNode(true);
    box.dataset.item = item.id;
    box.querySelector("legend").textContent = `${quantity} × ${item.name}`;
    // Nasal unless the item says it is injectable, as Haven guesses on its form.
    const guess = /inject/i.test(item.name) ? "injectable" : "nasal";
    box.querySelectorAll("input[type=radio]").forEach((radio, index) => {
      radio.name = `formulation_${item.id}`;
      radio.id = `formulation_${item.id}_${index}`;
      radio.checked = radio.value === (chosen.formulation || guess);
    });
    const reason = box.querySelector("select.reason");
    reason.id = `reason_${item.id}`;
    reason.name = `reason_${item.id}`;
    reason.value = chosen.refill_reason || "";
    box.querySelector(".reason-label").htmlFor = reason.id;
    return box;
  }

  function showError(message) {
    formError.textContent = message || "";
    formError.hidden = !message;
  }

  async function open() {
    const [records, items, kits] = await Promise.all([
      field.outbox.all(),
      kept(form.dataset.itemsUrl),
      kept(form.dataset.kitsUrl),
    ]);
    editing = await field.recordToEdit("naloxone_details");
    contactUuid = editing ? editing.body.contact : sessionStorage.getItem(FOR_KEY);
    const contact = records.find((r) => r.client_uuid === contactUuid && r.kind === "contact");
    let lines = contact ? naloxoneOf(contact.body, items, kits) : [];
    const chosen = new Map((editing ? editing.body.lines : []).map((line) => [line.item, line]));
    if (!lines.length && editing) {
      // The contact was sent already: the lines are those of the refused details.
      lines = editing.body.lines
        .map((line) => ({ item: items.find((i) => i.id === line.item), quantity: "" }))
        .filter((line) => line.item);
    }
    if (!lines.length) {
      document.getElementById("naloxone-none").hidden = false;
      return;
    }
    const when = contact ? contact.body.occurred_at : editing.created_at;
    document.getElementById("naloxone-contact").textContent = say(MESSAGES.contact, {
      when: timeOf(when),
      who: contact ? contact.label : MESSAGES.anonymous,
    });
    form.dataset.when = timeOf(when);
    linesBox.replaceChildren(...lines.map((line) => showLine(line, chosen.get(line.item.id))));
    form.hidden = false;
    if (editing) showError(field.whyRefused(editing));
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {
      client_uuid: field.newUuid(),
      contact: contactUuid,
      lines: [...linesBox.querySelectorAll(".naloxone-line")].map((box) => ({
        item: parseInt(box.dataset.item, 10),
        formulation: (box.querySelector("input[type=radio]:checked") || {}).value || "nasal",
        refill_reason: box.querySelector("select.reason").value,
      })),
    };
    const label = say(MESSAGES.label, { when: form.dataset.when });
    try {
      if (editing) {
        await field.retryRecord(editing, body, label);
        editing = null;
      } else {
        // Details given again before they were sent replace the first ones.
        for (const record of await field.outbox.all()) {
          if (record.kind === "naloxone_details" && record.body.contact === contactUuid) {
            await field.outbox.remove(record.client_uuid);
          }
        }
        await field.keepNew("naloxone_details", USER, body, label);
      }
    } catch (error) {
      showError(error.message);
      return;
    }
    sessionStorage.removeItem(FOR_KEY);
    showError("");
    form.hidden = true;
    done.hidden = false;
    done.scrollIntoView({ block: "start" });
    done.focus({ preventScroll: true });
  });

  open().catch(() => {
    document.getElementById("naloxone-none").hidden = false;
  });
})();
