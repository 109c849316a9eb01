// A participant's timeline with no signal.
//
// The service worker opens this kept page for /participants/<id>/ when there
// is no signal. It shows what the phone keeps of that person: their last few
// contacts from the kept set (/api/v1/participants/kept, which holds no
// notes; sealed on the phone, read through havenField.keptParticipants) and
// the records waiting for them in the outbox, marked as not yet sent; someone
// enrolled on this phone is shown from the outbox alone. Logging a contact or
// a referral for them passes their card code sealed in this tab's session
// storage (field_app.js), never in a URL.
(() => {
  const page = document.getElementById("kept-timeline");
  const field = window.havenField;
  if (!page || !field || !window.fetch) return;
  const MESSAGES = JSON.parse(document.getElementById("offline-timeline-messages").textContent);
  const list = document.getElementById("timeline-contacts");

  const say = (template, values = {}) =>
    template.replace(/%\((\w+)\)s/g, (whole, name) => (name in values ? values[name] : whole));

  async function kept(url) {
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) throw new Error(String(response.status));
    return response.json();
  }

  function when(iso) {
    const date = new Date(iso);
    const pad = (n) => String(n).padStart(2, "0");
    const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
    return `${day} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
  }

  // One contact, as the timeline on Haven shows it (no note, no staff); a
  // waiting record is marked, and one other than a contact named by its label.
  function contactItem(contact, names, { mark, label } = {}) {
    const item = document.createElement("li");
    const meta = document.createElement("div");
    meta.className = "meta";
    meta.textContent = [when(contact.occurred_at), MESSAGES.contact_types[contact.contact_type]]
      .filter(Boolean)
      .join(" · ");
    item.append(meta);
    if (label) item.append(line(label));
    const services = (contact.services || []).map((id) => names.services.get(id)).filter(Boolean);
    if (services.length) item.append(line(services.join(", ")));
    const supplies = (contact.supplies || [])
      .filter((supply) => names.items.has(supply.item))
      .map((supply) => `${supply.quantity} × ${names.items.get(supply.item)}`);
    if (supplies.length) item.append(line(supplies.join(", ")));
    if (contact.secondary_people) {
      item.append(line(say(MESSAGES.also_for, { n: contact.secondary_people })));
    }
    if (mark) {
      const strong = document.createElement("strong");
      strong.textContent = mark;
      item.prepend(line(strong));
      item.classList.add("not-sent");
    }
    return item;
  }

  function line(content) {
    const div = document.createElement("div");
    div.append(content);
    return div;
  }

  // Records in the outbox for this person, by id or card code (their
  // enrolment too, when they were enrolled on this phone).
  function waitingFor(records, person) {
    const code = field.normaliseCardCode(person.card_code);
    const theirs = (record) =>
      record.kind === "enrolment"
        ? record.client_uuid === person.enrolled
        : (person.id !== null && record.body.participant === person.id) ||
          (Boolean(record.body.card_code) && field.normaliseCardCode(record.body.card_code) === code);
    return records.filter((r) => r.user === page.dataset.user && !r.locked && theirs(r));
  }

  // Someone enrolled on this phone (/participants/kept/#<their enrolment's
  // UUID>) is shown from the outbox until Haven has them; anyone else from
  // the participants the phone keeps (/participants/<id>/).
  function whoIsShown(people, records) {
    const enrolment = window.location.hash.slice(1);
    if (enrolment) {
      const record = records.find(
        (r) => r.kind === "enrolment" && r.client_uuid === enrolment && r.user === page.dataset.user,
      );
      if (!record || record.locked) return null;
      const { card_code: cardCode, alias } = record.body;
      return { id: null, card_code: cardCode, alias, recent_contacts: [], enrolled: enrolment };
    }
    const match = window.location.pathname.match(/\/(\d+)\/$/);
    const id = match ? parseInt(match[1], 10) : null;
    return people.find((p) => p.id === id) || null;
  }

  async function show() {
    const [people, items, services] = await Promise.all([
      // Sealed on the phone under the session's key (field_app.js).
      field.keptParticipants && field.keptParticipants().then((kept) => kept || []),
      kept(page.dataset.itemsUrl).catch(() => []),
      kept(page.dataset.servicesUrl).catch(() => []),
    ]);
    let records = [];
    try {
      records = await field.outbox.all();
    } catch (error) {
      records = []; // No IndexedDB (private mode): nothing waits.
    }
    const person = whoIsShown(people || [], records);
    if (!person) {
      document.getElementById("timeline-unknown").hidden = false;
      return;
    }
    const heading = person.alias ? `${person.card_code} · ${person.alias}` : person.card_code;
    document.getElementById("timeline-heading").textContent = heading;
    document.title = `${heading} · Haven`;
    const names = {
      items: new Map(items.map((item) => [item.id, item.name])),
      services: new Map(services.map((service) => [service.id, service.name])),
    };
    const waiting = waitingFor(records, person);
    waiting.sort((a, b) => b.created_at.localeCompare(a.created_at));
    const entries = waiting.map((record) => {
      const mark =
        record.state === "problem" ? `${MESSAGES.not_sent} · ${MESSAGES.problem}` : MESSAGES.not_sent;
      if (record.kind === "contact") return contactItem(record.body, names, { mark });
      return contactItem({ occurred_at: record.created_at }, names, { mark, label: record.label });
    });
    entries.push(...person.recent_contacts.map((contact) => contactItem(contact, names)));
    list.replaceChildren(...entries);
    document.getElementById("timeline-empty").hidden = entries.length > 0;
    document.getElementById("timeline-contacts-section").hidden = false;
    const onTap = (id, url) =>
      document.getElementById(id).addEventListener("click", () => field.chooseFor(person, url));
    onTap("timeline-log", page.dataset.logUrl);
    onTap("timeline-refer", page.dataset.referUrl);
    document.getElementById("timeline-actions").hidden = false;
  }

  show().catch(() => {
    document.getElementById("timeline-unknown").hidden = false;
  });
})();
