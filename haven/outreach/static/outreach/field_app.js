// The offline field app's shared pieces, on every page: the service worker
// and the outbox store for logged-in staff, and clearing the phone at logout.
(() => {
  const DB_NAME = "haven-field";
  const STORE = "outbox";

  function openDb() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => {
        request.result.createObjectStore(STORE, { keyPath: "client_uuid" });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  async function run(mode, work) {
    const db = await openDb();
    try {
      return await new Promise((resolve, reject) => {
        const tx = db.transaction(STORE, mode);
        const result = work(tx.objectStore(STORE));
        tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error);
      });
    } finally {
      db.close();
    }
  }

  // A record's participant data and free text are sealed with the device
  // key (field_crypto.js); a record that cannot be opened comes back locked.
  const SEALED_FIELDS = ["body", "label", "problem"];
  const sealing = () => window.havenCrypto;
  const outbox = {
    all: async () => {
      const stored = await run("readonly", (store) => store.getAll());
      return Promise.all(stored.map((record) => sealing().openFields("device", record)));
    },
    // Without the device key (no signal since signing in) or the browser's
    // storage (full, or refused), nothing is kept: the error says which, for
    // the screen to show.
    put: async (record) => {
      let sealed;
      try {
        sealed = await sealing().sealFields("device", record, SEALED_FIELDS);
      } catch (error) {
        throw new Error(script.dataset.notKept);
      }
      try {
        return await run("readwrite", (store) => store.put(sealed));
      } catch (error) {
        throw new Error(script.dataset.notKeptStorage);
      }
    },
    remove: (key) => run("readwrite", (store) => store.delete(key)),
    clear: () => run("readwrite", (store) => store.clear()),
  };

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // Wipe what this phone holds for Haven: the outbox and the cached pages.
  async function forget() {
    forgetChosen();
    try {
      await sealing().clear();
      await outbox.clear();
    } catch (error) {
      // No IndexedDB (private mode): nothing to clear.
    }
    // Stop the worker first (its install may still be fetching; it aborts
    // those fetches), so that it caches nothing more once logged out.
    if ("serviceWorker" in navigator) {
      const registrations = await navigator.serviceWorker.getRegistrations();
      for (const registration of registrations) {
        for (const worker of [registration.installing, registration.waiting, registration.active]) {
          if (worker) worker.postMessage("forget");
        }
      }
      await Promise.all(registrations.map((registration) => registration.unregister()));
    }
    if (window.caches) {
      const names = await caches.keys();
      await Promise.all(names.filter((n) => n.startsWith("haven-")).map((n) => caches.delete(n)));
    }
  }

  // How many records wait, kept where the logout button can read it at once.
  const PENDING_KEY = "haven-outbox-pending";
  const notePending = (count) => localStorage.setItem(PENDING_KEY, String(count));
  // Set by the logout button, read by the logged-out page that follows.
  const LOGGING_OUT_KEY = "haven-logging-out";

  // The same check as haven/participants/codes.py: 31 symbols, and a check
  // character making the weighted sum (weights 1..7) divisible by 31.
  // Returns null for a valid code, or what is wrong with it (for a message).
  const ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
  const CODE_LENGTH = 7;
  const normaliseCardCode = (typed) => typed.replace(/[\s-]/g, "").toUpperCase();
  function cardCodeProblem(typed) {
    const code = normaliseCardCode(typed);
    const shown = typed.trim();
    if (code.length !== CODE_LENGTH) {
      return { kind: "length", length: CODE_LENGTH, typed: shown, count: code.length };
    }
    let sum = 0;
    for (let index = 0; index < code.length; index += 1) {
      const value = ALPHABET.indexOf(code[index]);
      if (value < 0) return { kind: "symbol", typed: shown, symbol: code[index] };
      sum += (index + 1) * value;
    }
    if (sum % ALPHABET.length !== 0) {
      return { kind: "typo", code: `${code.slice(0, 4)}-${code.slice(4)}` };
    }
    return null;
  }

  function newUuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  // A phone can show signal and still not reach Haven: ask it first, briefly.
  async function havenAnswers(probeUrl) {
    if (!navigator.onLine) return false;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 4000);
    try {
      const response = await fetch(probeUrl, { cache: "no-store", signal: controller.signal });
      return response.ok;
    } catch (error) {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  // ------------------------------------------- card codes held for this phone
  // Enrolling with no signal takes a code from a block Haven holds for this
  // phone alone (its own random id), so two phones never make the same code.
  // A code leaves the block when used; codes still waiting in the outbox are
  // never handed out again, even if Haven lists them before they arrive.
  const DEVICE_KEY = "haven-device";
  const codesKey = (user) => `haven-card-codes:${user}`;
  function deviceId() {
    let id = localStorage.getItem(DEVICE_KEY);
    if (!id) {
      id = newUuid();
      localStorage.setItem(DEVICE_KEY, id);
    }
    return id;
  }
  const heldCodes = (user) => JSON.parse(localStorage.getItem(codesKey(user)) || "[]");
  async function topUpCardCodes(user, url) {
    if (!navigator.onLine) return;
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ device: deviceId() }),
    });
    if (!response.ok) return;
    const { card_codes: codes } = await response.json();
    // A code given to someone whose enrolment has not reached Haven yet is
    // theirs: it is not kept here in plain text, next to the free ones.
    const waiting = await codesWaiting();
    const free = codes.filter((code) => !waiting.has(normaliseCardCode(code)));
    localStorage.setItem(codesKey(user), JSON.stringify(free));
  }
  const codesWaiting = async () =>
    new Set(
      (await outbox.all())
        .filter((r) => r.kind === "enrolment" && r.body.card_code)
        .map((r) => normaliseCardCode(r.body.card_code)),
    );
  async function takeCardCode(user) {
    const waiting = await codesWaiting();
    const code = heldCodes(user).find((held) => !waiting.has(normaliseCardCode(held)));
    if (code) {
      localStorage.setItem(codesKey(user), JSON.stringify(heldCodes(user).filter((c) => c !== code)));
    }
    return code || null;
  }

  // ------------------------------------------------- sending the outbox
  // Every page of the field app sends the outbox whenever there is signal:
  // when it opens, when the signal comes back or the page is shown again,
  // after a save (sendOutbox) and every half minute. A record leaves the
  // outbox only when Haven confirms it (201 or 200); one Haven refuses stays,
  // marked as a problem with Haven's reasons, until the worker edits and
  // retries it or discards it. Pages hear of each attempt through the
  // "haven:outbox" event; the count is shown on every page (#outbox-pending).
  const SYNC_EVERY_MS = 30000;
  const sender = document.getElementById("outbox-pending");
  const USER = (document.currentScript && document.currentScript.dataset.user) || "";
  let sending = false;
  let sendAgain = false;

  async function ownRecords() {
    const records = await outbox.all();
    records.sort((a, b) => a.created_at.localeCompare(b.created_at));
    return {
      own: records.filter((record) => record.user === USER),
      others: records.filter((record) => record.user !== USER).length,
    };
  }

  // The records on the phone that `record` depends on: Haven refuses it
  // until they are stored. Naloxone details depend on their contact
  // (body.contact); a record made for someone enrolled on this phone, on that
  // enrolment (body.enrolment, or its card code: madeFor).
  function dependencies(record, byUuid, enrolments) {
    if (record.locked) return [];
    return [
      byUuid.get(record.body.contact),
      byUuid.get(record.body.enrolment),
      ...enrolments.filter((enrolment) => madeFor(record, enrolment)),
    ].filter((other) => other && other !== record);
  }

  // What goes in the next batch, in the order made: the records ready to send
  // (pending) that wait for nothing. A record waits while one it depends on is
  // held on the phone (refused, locked, or itself waiting): sent ahead of it,
  // Haven would refuse it for a reason the worker cannot fix there. It is
  // discarded with it too (discard, discardEnrolment). A record made for
  // someone enrolled on this phone goes right behind a pending enrolment, in
  // the same batch: Haven stores it on the person that enrolment makes, or
  // refuses it with it, naming the enrolment (api/sync.py), and it follows the
  // enrolment once that is fixed (followNewCardCode). Any other waits until
  // the record it depends on is stored, and goes in the batch after it.
  function readyToSend(own) {
    const held = heldBack(own);
    return own.filter((record) => !held.has(record));
  }
  // The records of `own` not sent now, each with the record it waits for (as
  // readyToSend says), or with null when it is not pending itself (refused,
  // locked). The outbox list says what each pending one waits for.
  function heldBack(own) {
    const byUuid = new Map(own.map((record) => [record.client_uuid, record]));
    const enrolments = own.filter((record) => record.kind === "enrolment");
    const held = new Map(
      own.filter((record) => record.state !== "pending").map((record) => [record, null]),
    );
    const holds = (other) => held.has(other) || other.kind !== "enrolment";
    // Until no more records wait: what waits for a waiting record waits too.
    let more = true;
    while (more) {
      more = false;
      for (const record of own) {
        if (held.has(record)) continue;
        const waitsFor = dependencies(record, byUuid, enrolments).find(holds);
        if (!waitsFor) continue;
        held.set(record, waitsFor);
        more = true;
      }
    }
    return held;
  }
  // What each pending record of `own` that is not sent now waits for: a Map
  // from the record to the record it depends on (its contact, or the
  // enrolment of the person it was made for).
  const waitingBehind = (own) =>
    new Map([...heldBack(own)].filter(([, waitsFor]) => waitsFor));

  // One attempt: { state, sent, notices }, the state one of idle, sent,
  // answered (only refusals), offline, log-in or error. Batch after batch
  // while each stores something, so that what waited for a record just stored
  // goes at once.
  async function sendPending() {
    const outcome = { state: "idle", sent: 0, notices: [] };
    let batch;
    do {
      batch = await sendBatch();
      outcome.sent += batch.sent;
      outcome.notices.push(...batch.notices);
    } while (batch.state === "sent");
    // A batch that found nothing to send, or only refusals, after one that
    // stored records: the attempt sent them. No signal, or a session ended,
    // is said whatever was sent before.
    const quiet = batch.state === "idle" || batch.state === "answered";
    outcome.state = outcome.sent && quiet ? "sent" : batch.state;
    return outcome;
  }

  async function sendBatch() {
    const { own } = await ownRecords();
    const pending = readyToSend(own);
    if (!pending.length) return { state: "idle", sent: 0, notices: [] };
    let response;
    try {
      response = await fetch(sender.dataset.syncUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({
          records: pending.map((record) => ({ kind: record.kind, ...record.body })),
        }),
      });
    } catch (error) {
      return { state: "offline", sent: 0, notices: [] };
    }
    if (response.status === 401 || response.status === 403) {
      return { state: "log-in", sent: 0, notices: [] };
    }
    if (!response.ok) return { state: "error", sent: 0, notices: [] };
    const { results } = await response.json();
    let sent = 0;
    const notices = [];
    for (const result of results) {
      const record = pending[result.index];
      if (!record || result.client_uuid !== record.client_uuid) continue;
      if (result.status === 200 || result.status === 201) {
        await outbox.remove(record.client_uuid);
        sent += 1;
        // E.g. the participant's record was linked to another: say where it went.
        if (result.notice) notices.push(result.notice);
      } else if (result.status >= 400 && result.status < 500) {
        record.state = "problem";
        record.problem = {
          status: result.status,
          detail: result.detail,
          errors: result.errors || [],
        };
        await outbox.put(record);
      }
    }
    return { state: sent ? "sent" : "answered", sent, notices };
  }

  async function sendOutbox() {
    if (!sender || !USER) return;
    if (sending) {
      // E.g. the signal came back while an attempt without it was failing:
      // try again as soon as that attempt ends, not half a minute later.
      sendAgain = true;
      return;
    }
    sending = true;
    sendAgain = false;
    let outcome;
    try {
      outcome = await sendPending();
    } catch (error) {
      outcome = { state: "error", sent: 0, notices: [] };
    } finally {
      sending = false;
    }
    await showOutbox(outcome);
    if (sendAgain) sendOutbox();
  }

  const say = (template, values = {}) =>
    template.replace(/%\((\w+)\)s/g, (whole, name) => (name in values ? values[name] : whole));

  // The count on every page, and the news for the page's own outbox panel.
  let lastSent = null;
  async function showOutbox(outcome = { state: "idle", sent: 0, notices: [] }) {
    let mine;
    try {
      mine = await ownRecords();
    } catch (error) {
      return; // No IndexedDB (private mode): nothing waits.
    }
    const { own, others } = mine;
    notePending(own.length + others);
    if (sender) {
      const problems = own.filter((record) => record.state === "problem").length;
      const parts = [];
      if (own.length) parts.push(say(sender.dataset.pending, { n: own.length }));
      if (problems) parts.push(say(sender.dataset.problems, { n: problems }));
      // What was sent stays said until there is news: a later attempt that
      // found nothing to send must not wipe "Sent: 1" before anyone read it.
      if (outcome.sent) lastSent = outcome;
      if (!own.length && lastSent) {
        parts.push(say(sender.dataset.sent, { n: lastSent.sent }), ...lastSent.notices);
      }
      document.getElementById("outbox-pending-text").textContent = parts.join(" · ");
      sender.querySelector("a").hidden = !own.length;
      // The quick-log screen lists the records itself.
      sender.hidden = !parts.length || Boolean(document.getElementById("outbox"));
      sender.classList.toggle("problem", problems > 0);
    }
    document.dispatchEvent(new CustomEvent("haven:outbox", { detail: { outcome } }));
  }

  // --------------------------------------- editing a record Haven refused
  // A refused record other than a contact is fixed on its own screen: the
  // outbox names it in this tab's session storage, the screen fills its form
  // from it and says why Haven refused it, and saving puts it back to send.
  //
  // Except a copy of a record Haven holds already, with other details (a 409
  // on its client UUID, haven/core/already_saved.py): it is only discarded.
  // Retried, it would go under a new UUID and be counted a second time, beside
  // the record saved. Recognised by the field at fault, so that answers kept
  // on the phone from before (whose message showed the UUID) count too.
  const savedAlready = (record) =>
    record.state === "problem" &&
    Boolean(record.problem) &&
    record.problem.status === 409 &&
    (record.problem.errors || []).some((error) => error.field === "client_uuid");
  const EDIT_KEY = "haven-outbox-edit";
  function editInItsScreen(record, url) {
    sessionStorage.setItem(EDIT_KEY, record.client_uuid);
    window.location.assign(url);
  }
  async function recordToEdit(kind) {
    const uuid = sessionStorage.getItem(EDIT_KEY);
    if (!uuid) return null;
    const records = await outbox.all();
    const record = records.find(
      (r) => r.client_uuid === uuid && r.user === USER && r.kind === kind && !savedAlready(r),
    );
    if (!record) sessionStorage.removeItem(EDIT_KEY);
    return record || null;
  }
  // Haven's reasons, and that the form holds a record to fix.
  function whyRefused(record) {
    const problem = record.problem || {};
    const reasons = problem.errors && problem.errors.length ? problem.errors : [problem];
    const intro = sender ? sender.dataset.editing : "";
    return [intro, ...reasons.map((reason) => reason.detail).filter(Boolean)].join(" ");
  }
  // Saving the fixed record: after a 409 its UUID belongs to another record,
  // so it gets a new one (and records that name it, e.g. naloxone details of
  // a contact, follow). It keeps its place in the order records are sent.
  async function retryRecord(old, body, label) {
    const held = await heldCodeProblem(old, body.card_code);
    if (held) throw new Error(held);
    await nameEnrolment(old.kind, body, old);
    const clientUuid = old.problem && old.problem.status === 409 ? newUuid() : old.client_uuid;
    const record = {
      ...old,
      client_uuid: clientUuid,
      body: { ...body, client_uuid: clientUuid },
      label,
      state: "pending",
      problem: null,
    };
    if (clientUuid !== old.client_uuid) {
      await outbox.remove(old.client_uuid);
      await followNewUuid(old.client_uuid, clientUuid);
    }
    await outbox.put(record);
    sessionStorage.removeItem(EDIT_KEY);
    sendOutbox();
    return record;
  }
  // A new record of `kind` in the outbox, sent at once if there is signal.
  // Throws, saying why, when the phone cannot keep it (outbox.put).
  async function keepNew(kind, user, body, label) {
    await nameEnrolment(kind, body);
    const record = {
      client_uuid: body.client_uuid,
      user,
      kind,
      body,
      label,
      created_at: new Date().toISOString(),
      state: "pending",
    };
    await outbox.put(record);
    sendOutbox();
    return record;
  }
  // Records that name a record retried under a new UUID follow it: the
  // naloxone details of a contact, and what was made for someone enrolled on
  // this phone (their enrolment's UUID, see madeFor).
  async function followNewUuid(oldUuid, newUuid) {
    for (const record of await outbox.all()) {
      if (record.locked) continue;
      if (record.body.contact === oldUuid) record.body.contact = newUuid;
      else if (record.body.enrolment === oldUuid) record.body.enrolment = newUuid;
      else continue;
      await outbox.put(record);
    }
  }
  // An enrolment retried with another card code (its own was taken): the
  // records waiting for that person follow it, and those Haven refused for
  // want of the person are sent again. A copy Haven holds already stays as
  // refused, under the person's new code: sent again it would be refused again.
  async function followNewCardCode(oldCode, newCode) {
    const shown = (code) => normaliseCardCode(code).replace(/^(.{4})/, "$1-");
    for (const record of await outbox.all()) {
      const code = record.body.card_code;
      const mine = record.user === USER && record.kind !== "enrolment";
      if (!mine || !code || normaliseCardCode(code) !== normaliseCardCode(oldCode)) {
        continue;
      }
      record.body.card_code = newCode;
      // Listed by a label that names the code (a contact, an attendee): the
      // old code is someone else's now.
      if (record.label) record.label = record.label.split(shown(oldCode)).join(shown(newCode));
      if (record.state === "problem" && !savedAlready(record)) {
        record.state = "pending";
        record.problem = null;
      }
      await outbox.put(record);
    }
  }

  // ---------------------------- records made for someone enrolled on this phone
  // A contact, referral or attendee made for someone whose enrolment waits
  // in the outbox names that enrolment (body.enrolment, its client UUID) as
  // well as their card code. It is sent only behind the enrolment, and Haven
  // stores it only on the person that enrolment made (participants/api.py,
  // participant_by_card_code): when the enrolment is refused because its
  // code was taken meanwhile, whoever has that code is someone else.
  const codeOf = (record) =>
    record.body.card_code ? normaliseCardCode(record.body.card_code) : "";
  const shownCode = (text) => normaliseCardCode(text).replace(/^(.{4})/, "$1-");
  // What #outbox-pending (core/_outbox_pending.html) says of such a record.
  const heldMessage = (name, cardCode) =>
    say(sender ? sender.dataset[name] : "", { code: shownCode(cardCode) });
  // Whether `record` was made for the person of `enrolment` (by its UUID, or
  // by its code, as records kept on the phone before the UUID was named are).
  const madeFor = (record, enrolment) =>
    !record.locked &&
    !enrolment.locked &&
    record.kind !== "enrolment" &&
    ((Boolean(record.body.enrolment) && record.body.enrolment === enrolment.client_uuid) ||
      (Boolean(codeOf(record)) && codeOf(record) === codeOf(enrolment)));
  // This user's enrolment waiting in the outbox with this card code, or null.
  async function enrolmentWaiting(cardCode) {
    const wanted = cardCode ? normaliseCardCode(cardCode) : "";
    if (!wanted) return null;
    const { own } = await ownRecords();
    return own.find((r) => r.kind === "enrolment" && !r.locked && codeOf(r) === wanted) || null;
  }
  // Names in `body` the enrolment its card code waits for; a record fixed
  // with its code unchanged keeps the one it named. A code chosen anew names
  // none: the worker chose who it is for.
  async function nameEnrolment(kind, body, old = null) {
    if (kind === "enrolment") return;
    const waiting = await enrolmentWaiting(body.card_code);
    const unchanged =
      old && Boolean(body.card_code) && codeOf(old) === normaliseCardCode(body.card_code);
    const named = waiting ? waiting.client_uuid : unchanged && old.body.enrolment;
    if (named) body.enrolment = named;
    else delete body.enrolment;
  }
  // Why `old`, held behind an enrolment that was refused or discarded, may
  // not be sent again under that enrolment's card code (`cardCode`, as the
  // worker left it), or null. Saved unchanged it would wait for ever, or
  // reach whoever has that code in Haven.
  async function heldCodeProblem(old, cardCode) {
    const wanted = cardCode ? normaliseCardCode(cardCode) : "";
    if (!wanted || old.kind === "enrolment") return null;
    const problem = old.problem || {};
    // Kept when its enrolment was discarded (discardEnrolment), or refused by
    // Haven for naming an enrolment that was not stored with this code.
    const refusedByHaven = (problem.errors || []).some((error) => error.field === "enrolment");
    if (problem.heldFor === wanted || (refusedByHaven && codeOf(old) === wanted)) {
      return heldMessage("heldChoose", wanted);
    }
    if (codeOf(old) !== wanted) return null;
    const { own } = await ownRecords();
    const enrolment = own.find(
      (r) => r.kind === "enrolment" && r.state === "problem" && madeFor(old, r),
    );
    if (!enrolment) return null;
    // A copy of an enrolment Haven holds already is discarded, not fixed.
    return heldMessage(savedAlready(enrolment) ? "heldChoose" : "heldFixFirst", wanted);
  }
  // The records waiting behind an enrolment: what was made for its person.
  const heldBehind = (enrolment, records) =>
    records.filter((r) => r.user === enrolment.user && madeFor(r, enrolment));
  // Discards a record, and the naloxone details of a contact with it: they
  // belong to that contact alone (sent after it, they would be refused, or
  // reach a contact Haven holds under that UUID with other details).
  async function discard(record) {
    await outbox.remove(record.client_uuid);
    if (record.kind !== "contact") return;
    for (const other of await outbox.all()) {
      if (other.kind === "naloxone_details" && other.body.contact === record.client_uuid) {
        await outbox.remove(other.client_uuid);
      }
    }
  }
  // Discards an enrolment (refused, or a copy of one Haven holds), and with
  // it the records made for its person, or keeps those to be given a person:
  // they are never sent under its card code, which is someone else's in
  // Haven, or may be given to someone else later. Each kept record is
  // refused on the phone ("choose who this is for"), without a card code, so
  // that only a person chosen anew sends it; its naloxone details stay with it.
  async function discardEnrolment(enrolment, keepHeld) {
    const held = heldBehind(enrolment, await outbox.all());
    const message = heldMessage("heldChoose", codeOf(enrolment));
    for (const record of held) {
      if (!keepHeld) {
        await discard(record);
        continue;
      }
      const heldFor = codeOf(record) || codeOf(enrolment);
      delete record.body.card_code;
      delete record.body.enrolment;
      if (!savedAlready(record)) {
        record.state = "problem";
        record.problem = {
          status: 0,
          detail: message,
          errors: [{ field: "card_code", detail: message }],
          heldFor,
        };
      }
      await outbox.put(record);
    }
    await outbox.remove(enrolment.client_uuid);
  }

  // ------------------------------------- the person a screen is opened for
  // A participant chosen on one screen (found, enrolled, their timeline) goes
  // to the next (log a contact, make a referral) in this tab's session
  // storage, sealed with the session key (field_crypto.js): never in a URL,
  // never in plain text. Without a key nobody is carried over, and the
  // worker types the card code.
  //
  // What else the next screen is opened with (a referral's need and resource,
  // from a result of the resource search for the person) goes the same way,
  // sealed under its own key, and is read once: the screen opened again later
  // (from the menu) does not choose them again.
  const CHOSEN_KEY = "haven-log-for";
  const CHOSEN_DETAILS_KEY = "haven-chosen-details";
  const toBase64 = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)));
  const fromBase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  async function keepSealed(key, value) {
    try {
      const { iv, data } = await sealing().seal("session", USER, value, key);
      sessionStorage.setItem(key, JSON.stringify({ iv: toBase64(iv), data: toBase64(data) }));
    } catch (error) {
      sessionStorage.removeItem(key);
    }
  }
  async function openSealed(key) {
    const stored = sessionStorage.getItem(key);
    if (!stored) return null;
    try {
      const { iv, data } = JSON.parse(stored);
      const sealed = { iv: fromBase64(iv), data: fromBase64(data) };
      return await sealing().open("session", USER, sealed, key);
    } catch (error) {
      sessionStorage.removeItem(key);
      return null;
    }
  }
  async function chooseFor(person, url, details = null) {
    await keepSealed(CHOSEN_KEY, { card_code: person.card_code, alias: person.alias || "" });
    if (details) await keepSealed(CHOSEN_DETAILS_KEY, details);
    else sessionStorage.removeItem(CHOSEN_DETAILS_KEY);
    if (url) window.location.assign(url);
  }
  // The person chosen on the screen before, or null.
  const chosenPerson = () => openSealed(CHOSEN_KEY);
  // What the screen before chose besides the person, or null; read once.
  async function chosenDetails() {
    const details = await openSealed(CHOSEN_DETAILS_KEY);
    sessionStorage.removeItem(CHOSEN_DETAILS_KEY);
    return details;
  }
  const forgetChosen = () => {
    sessionStorage.removeItem(CHOSEN_KEY);
    sessionStorage.removeItem(CHOSEN_DETAILS_KEY);
  };

  // The user's recent participants, newest first: with signal as Haven has
  // them now (/api/v1/participants/recent, which the service worker never
  // keeps), else from the participants the phone keeps sealed.
  async function recentParticipants(url) {
    if (url && navigator.onLine) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), 3000);
      try {
        const response = await fetch(url, {
          credentials: "same-origin",
          cache: "no-store",
          signal: controller.signal,
        });
        if (response.ok && !response.redirected) return await response.json();
      } catch (error) {
        // No answer: what the phone keeps.
      } finally {
        clearTimeout(timer);
      }
    }
    const kept = window.havenField.keptParticipants && (await window.havenField.keptParticipants());
    return (kept || []).filter((person) => person.recent);
  }

  // Puts a record's values back into its form, by field name: radios and
  // checkboxes are ticked when their value is (among) the one given.
  function fillFields(form, values) {
    for (const [name, value] of Object.entries(values)) {
      for (const input of form.querySelectorAll(`[name="${name}"]`)) {
        if (input.type === "radio" || input.type === "checkbox") {
          const wanted = (Array.isArray(value) ? value : [value]).map(String);
          input.checked = wanted.includes(input.value);
        } else {
          input.value = value ?? "";
        }
      }
    }
  }
  // An ISO time as a datetime-local field shows it, in the phone's time.
  function localTime(iso) {
    const when = new Date(iso);
    return new Date(when.getTime() - when.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  }

  window.havenField = {
    fillFields,
    localTime,
    outbox,
    sendOutbox,
    editInItsScreen,
    recordToEdit,
    whyRefused,
    retryRecord,
    keepNew,
    followNewUuid,
    followNewCardCode,
    savedAlready,
    enrolmentWaiting,
    heldCodeProblem,
    nameEnrolment,
    heldBehind,
    waitingBehind,
    shownCode,
    discard,
    discardEnrolment,
    csrfToken,
    forget,
    notePending,
    cardCodeProblem,
    normaliseCardCode,
    CODE_LENGTH,
    newUuid,
    havenAnswers,
    takeCardCode,
    chooseFor,
    chosenPerson,
    chosenDetails,
    forgetChosen,
    recentParticipants,
  };

  const script = document.currentScript;

  const user = script && script.dataset.user;
  if (!user) {
    // The session is over: the phone drops its keys, so what it keeps stays
    // unreadable until Haven hands them out again after a sign-in.
    sealing().dropKeys().catch(() => {});
    // Logged out: nothing of Haven's stays on the phone. A session that
    // merely ended (the login page after a long shift) keeps the outbox, or
    // logging in again to send it would lose it.
    if (localStorage.getItem(LOGGING_OUT_KEY)) {
      localStorage.removeItem(LOGGING_OUT_KEY);
      localStorage.removeItem(PENDING_KEY);
      forget().catch(() => {});
    }
    return;
  }
  // Still logged in: a logout that did not go through (no signal) must not
  // wipe the phone when the session ends later.
  localStorage.removeItem(LOGGING_OUT_KEY);

  const newKeys = sealing().start({
    user,
    keyId: script.dataset.keyId,
    url: script.dataset.keysUrl,
    device: deviceId(),
    csrfToken: csrfToken(),
  });
  // Whether this phone can keep records with no signal (it holds the keys).
  window.havenField.holdsKeys = () => newKeys.then(() => sealing().holdsKeys(user));
  // The participants kept for finding them with no signal, sealed with the session key.
  window.havenField.keptParticipants = () =>
    sealing().sealedStore.get("participants", "session", user);

  if ("serviceWorker" in navigator && window.isSecureContext) {
    // Kept for the quick-log screen, which says whether the phone is ready.
    window.havenField.registration = navigator.serviceWorker.register("/sw.js", { scope: "/" });
    window.havenField.registration.catch(() => {});
    keepScreensInTheUsersLanguage();
  }
  keepParticipantsFresh().catch(() => {});
  newKeys.then(resealWithTheCurrentKey).catch(() => {});

  // A device key Haven retired for being old (field_keys.py) still opens what
  // it sealed: this user's records sealed with it are sealed again with the
  // current key, then Haven is told it may delete the old one. Nothing is
  // lost: a record is put back only if it is still there as it was read (not
  // sent or fixed meanwhile), and a key is released only when no record needs it.
  async function resealWithTheCurrentKey() {
    const ids = await sealing().deviceKeyIds(user);
    if (!ids.retired.length || !ids.current || !script.dataset.releaseUrl) return;
    const sameBytes = (a, b) => String(new Uint8Array(a)) === String(new Uint8Array(b));
    const mine = async () =>
      (await run("readonly", (store) => store.getAll())).filter(
        (record) => record.user === user && record.sealed,
      );
    for (const record of await mine()) {
      if (record.sealed.key === ids.current) continue;
      const opened = await sealing().openFields("device", record);
      if (opened.locked) continue;
      const resealed = await sealing().sealFields("device", opened, SEALED_FIELDS);
      await run("readwrite", (store) => {
        const now = store.get(record.client_uuid);
        now.onsuccess = () => {
          if (now.result && sameBytes(now.result.sealed.iv, record.sealed.iv)) store.put(resealed);
        };
        return now;
      });
    }
    const needed = new Set((await mine()).map((record) => record.sealed.key));
    const release = ids.retired.filter((id) => !needed.has(id));
    if (!release.length || !navigator.onLine) return;
    const response = await fetch(script.dataset.releaseUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ device: deviceId(), ids: release }),
    });
    if (response.ok) await sealing().dropRetired(user, release);
  }

  // The participants kept for finding them with no signal grow stale as
  // people are enrolled and seen: fetch a fresh set now and then, with signal,
  // and at once in a new session (the last one's key sealed the old set).
  // (Either way round, in case the phone's clock was wrong and is now right.)
  async function keepParticipantsFresh() {
    const KEPT_AT_KEY = "haven-kept-participants-at";
    const KEEP_EVERY_MS = 20 * 60 * 1000;
    const last = parseInt(localStorage.getItem(KEPT_AT_KEY), 10) || 0;
    const url = script.dataset.keptUrl;
    const stale = (await newKeys) || Math.abs(Date.now() - last) >= KEEP_EVERY_MS;
    if (!url || !navigator.onLine || !stale) return;
    const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
    if (!response.ok || response.redirected) return;
    await sealing().sealedStore.put("participants", "session", user, await response.json());
    localStorage.setItem(KEPT_AT_KEY, String(Date.now()));
  }

  // The kept screens (and the "No signal" page) are in the language they were
  // fetched in: after the worker changes language, fetch them all again.
  function keepScreensInTheUsersLanguage() {
    const LANGUAGE_KEY = "haven-kept-language";
    const language = document.documentElement.lang;
    const kept = localStorage.getItem(LANGUAGE_KEY);
    if (!navigator.onLine || kept === language) return;
    navigator.serviceWorker.ready.then((registration) => {
      if (kept !== null && registration.active) registration.active.postMessage("refresh");
      localStorage.setItem(LANGUAGE_KEY, language);
    });
  }

  // Send what waits, on every page (see "sending the outbox" above).
  if (sender && window.indexedDB && window.fetch) {
    window.addEventListener("online", sendOutbox);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") sendOutbox();
    });
    setInterval(sendOutbox, SYNC_EVERY_MS);
    showOutbox().then(sendOutbox);
  }

  // Keep the phone's block of card codes full while there is signal.
  const holder = document.querySelector("[data-card-codes-url]");
  if (holder) topUpCardCodes(holder.dataset.user, holder.dataset.cardCodesUrl).catch(() => {});

  // A saved record's confirmation is shown where the eye is: the page's
  // messages are brought into view and focused (read out by screen readers).
  const confirmation = document.querySelector("main .messages");
  if (confirmation) {
    confirmation.tabIndex = -1;
    confirmation.scrollIntoView({ block: "center" });
    confirmation.focus({ preventScroll: true });
  }

  // Logging out clears the phone (on the next page, above). Contacts not yet
  // sent would be lost, so ask first; this must stay synchronous so that the
  // logout itself is an ordinary form post.
  const logout = document.querySelector("form[data-logout]");
  if (logout) {
    logout.addEventListener("submit", (event) => {
      const pending = parseInt(localStorage.getItem(PENDING_KEY), 10) || 0;
      if (pending && !window.confirm(logout.dataset.pendingMessage.replace("%(n)s", pending))) {
        event.preventDefault();
        return;
      }
      localStorage.setItem(LOGGING_OUT_KEY, "1");
    });
  }
})();
