// Sealing what the phone keeps that identifies a participant: one small module
// that every store uses (the outbox in field_app.js, the kept participants).
//
// AES-256-GCM with a random 96-bit IV per record. The keys come from Haven
// (POST /api/v1/field-keys, see haven/outreach/field_keys.py): the session
// key seals the kept participants, the device key seals the outbox. They are
// imported as non-extractable CryptoKeys and kept in IndexedDB as CryptoKey
// objects: a page reloaded with no signal must still read the outbox and the
// kept set, and a key held only in memory would be gone with the page; a
// non-extractable key cannot be read out by a script, only used. Every
// logged-out page drops them (field_app.js), so what is left on the phone
// stays unreadable until Haven hands the keys out again after a sign-in;
// Haven forgets the session key when the session ends and the device key at
// logout. See docs/api.md (Sealed on the phone).
(() => {
  const DB_NAME = "haven-field-private";
  const KEYS = "keys";
  const SEALED = "sealed";
  const FETCH_TIMEOUT_MS = 4000;
  let ready = Promise.resolve();

  function openDb() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => {
        request.result.createObjectStore(KEYS, { keyPath: "name" });
        request.result.createObjectStore(SEALED, { keyPath: "name" });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  async function run(storeName, mode, work) {
    const db = await openDb();
    try {
      return await new Promise((resolve, reject) => {
        const tx = db.transaction(storeName, mode);
        const request = work(tx.objectStore(storeName));
        tx.oncomplete = () => resolve(request && request.result);
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error);
      });
    } finally {
      db.close();
    }
  }

  const keyName = (purpose, user) => `${purpose}:${user}`;
  // A device key Haven retired (field_keys.py): it opens what it sealed until
  // the phone has sealed that again with the current key.
  const RETIRED = "retired";
  const retiredName = (user, id) => `${RETIRED}:${user}:${id}`;
  const encoder = new TextEncoder();

  async function heldKey(purpose, user) {
    await ready;
    const held = await run(KEYS, "readonly", (store) => store.get(keyName(purpose, user)));
    if (!held) throw new Error("no key");
    return held;
  }

  // This user's retired device keys held on the phone.
  async function retiredKeys(user) {
    await ready;
    const all = await run(KEYS, "readonly", (store) => store.getAll());
    return all.filter((held) => held.name.startsWith(`${RETIRED}:${user}:`));
  }

  // `context` (e.g. the record's UUID) is bound to the ciphertext, so that a
  // sealed value cannot be passed off as another record's. The sealed value
  // names the key (its id, not the key) that sealed it.
  async function seal(purpose, user, value, context = "") {
    const held = await heldKey(purpose, user);
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const data = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: encoder.encode(context) },
      held.key,
      encoder.encode(JSON.stringify(value)),
    );
    return { iv, data, key: held.id };
  }

  // The keys that may open a sealed value: the one it names, else (sealed
  // before values named their key) each one held.
  async function keysToTry(purpose, user, sealed) {
    const current = await heldKey(purpose, user).catch(() => null);
    const held = [current, ...(purpose === "device" ? await retiredKeys(user) : [])];
    const candidates = held.filter(Boolean);
    const named = candidates.filter((candidate) => candidate.id === sealed.key);
    return sealed.key && named.length ? named : candidates;
  }

  // Throws when no key held is the one it was sealed with.
  async function open(purpose, user, sealed, context = "") {
    for (const held of await keysToTry(purpose, user, sealed)) {
      try {
        const plain = await crypto.subtle.decrypt(
          { name: "AES-GCM", iv: sealed.iv, additionalData: encoder.encode(context) },
          held.key,
          sealed.data,
        );
        return JSON.parse(new TextDecoder().decode(plain));
      } catch (error) {
        // Not this key: try the next.
      }
    }
    throw new Error("no key opens it");
  }

  // A record whose `fields` are sealed; the rest (its UUID, user, kind, state,
  // time) stays readable, for counting and ordering without the key.
  async function sealFields(purpose, record, fields) {
    if (record.locked) throw new Error("a locked record cannot be sealed again");
    const stored = {};
    const secret = {};
    for (const [name, value] of Object.entries(record)) {
      if (fields.includes(name)) secret[name] = value;
      else stored[name] = value;
    }
    stored.sealed = await seal(purpose, record.user, secret, record.client_uuid);
    return stored;
  }

  // Without the key (a new session not handed its keys yet, or a key Haven
  // destroyed) the record comes back locked: kept, never sent, never resealed.
  async function openFields(purpose, stored) {
    if (!stored.sealed) return stored; // Kept before records were sealed.
    const { sealed, ...record } = stored;
    try {
      return { ...record, ...(await open(purpose, record.user, sealed, record.client_uuid)) };
    } catch (error) {
      return { ...record, state: "locked", locked: true, body: {}, label: "" };
    }
  }

  // A sealed value kept under a name for one user (e.g. the kept participants).
  const sealedStore = {
    async put(name, purpose, user, value) {
      const sealed = await seal(purpose, user, value, name);
      await run(SEALED, "readwrite", (store) => store.put({ name, user, sealed }));
    },
    // null when nothing is kept for this user, or it cannot be read any more.
    async get(name, purpose, user) {
      const stored = await run(SEALED, "readonly", (store) => store.get(name));
      if (!stored || stored.user !== user) return null;
      try {
        return await open(purpose, user, stored.sealed, name);
      } catch (error) {
        return null;
      }
    },
  };

  async function importKey(base64) {
    const raw = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    return crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
  }

  const held = (purpose, user) =>
    run(KEYS, "readonly", (store) => store.get(keyName(purpose, user)));

  // Fetch the keys unless this session's are held already (the page names the
  // session's key id, not the key). With no signal, the keys held are used.
  async function fetchKeys({ user, keyId, url, device, csrfToken }) {
    const session = await held("session", user);
    if (session && session.id === keyId && (await held("device", user))) return false;
    if (!url || !navigator.onLine) return false;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), FETCH_TIMEOUT_MS);
    let keys;
    try {
      const response = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        cache: "no-store",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken },
        body: JSON.stringify({ device }),
        signal: controller.signal,
      });
      if (!response.ok) return false;
      keys = await response.json();
    } finally {
      clearTimeout(timer);
    }
    const sessionKey = { name: keyName("session", user), id: keys.session.id };
    sessionKey.key = await importKey(keys.session.key);
    const deviceKey = { name: keyName("device", user), id: keys.device.id };
    deviceKey.key = await importKey(keys.device.key);
    const retired = [];
    for (const old of keys.retired || []) {
      retired.push({ name: retiredName(user, old.id), id: old.id, key: await importKey(old.key) });
    }
    const heldBefore = await run(KEYS, "readonly", (store) => store.getAllKeys());
    await run(KEYS, "readwrite", (store) => {
      // Haven lists every retired key still needed: one it no longer lists was released.
      for (const name of heldBefore) {
        if (String(name).startsWith(`${RETIRED}:${user}:`)) store.delete(name);
      }
      for (const old of retired) store.put(old);
      store.put(sessionKey);
      return store.put(deviceKey);
    });
    return true;
  }

  // Called once per signed-in page; resolves true when new keys were fetched
  // (a new session: what was sealed under the last one's key is fetched again).
  // Sealing and opening wait for the keys only when the phone holds none for
  // this user: with a weak signal, the outbox must not wait on Haven.
  function start(options) {
    const fetched = fetchKeys(options).catch(() => false);
    ready = Promise.all([held("session", options.user), held("device", options.user)])
      .then((keys) => (keys.every(Boolean) ? undefined : fetched))
      .catch(() => fetched)
      .then(() => undefined);
    return fetched;
  }

  // Whether the phone holds this user's keys, once this page's fetch of them
  // has ended: without them nothing can be kept with no signal.
  async function holdsKeys(user) {
    await ready;
    const keys = await Promise.all([held("session", user), held("device", user)]);
    return keys.every(Boolean);
  }

  // The ids of this user's retired device keys held here, and of the current one.
  async function deviceKeyIds(user) {
    const current = await heldKey("device", user).catch(() => null);
    return {
      current: current && current.id,
      retired: (await retiredKeys(user)).map((held) => held.id),
    };
  }
  // Haven deleted these retired keys (the phone released them): so does the phone.
  const dropRetired = (user, ids) =>
    run(KEYS, "readwrite", (store) => {
      for (const id of ids) store.delete(retiredName(user, id));
    });

  // A logged-out page: the session is over, on this phone the keys go too.
  const dropKeys = () => run(KEYS, "readwrite", (store) => store.clear());
  // The logout wipe: the sealed values go as well.
  const clear = async () => {
    await dropKeys();
    await run(SEALED, "readwrite", (store) => store.clear());
  };

  window.havenCrypto = {
    seal,
    open,
    sealFields,
    openFields,
    sealedStore,
    start,
    holdsKeys,
    dropKeys,
    clear,
    deviceKeyIds,
    dropRetired,
  };
})();
