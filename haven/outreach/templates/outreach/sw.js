{% load i18n %}// Haven's service worker: keeps the field screens usable with no signal.
//
// Only the pages, catalog answers and files listed here are cached, and each
// is fetched from the network first so that what is shown is fresh whenever
// there is signal. Participant records and every other page are never
// cached. Records made offline are not kept here: they wait in the page's
// IndexedDB outbox, which the page itself sends (see outreach/outbox.js).
const CACHE = "{{ cache_name }}";
const OFFLINE = new Set([
{% for url in pages %}  "{{ url|escapejs }}",
{% endfor %}{% for url in api %}  "{{ url|escapejs }}",
{% endfor %}{% for url in static %}  "{{ url|escapejs }}",
{% endfor %}]);
const QUICK_LOG = "{{ quick_log|escapejs }}";
// A record's page (a participant, a training session) opened with no signal
// opens the kept screen that shows what the phone keeps of it.
const RECORD_SCREENS = [
{% for pattern, url in record_screens %}  [new RegExp("{{ pattern|escapejs }}"), "{{ url|escapejs }}"],
{% endfor %}];
// Haven's own "No signal" page, kept in the user's language.
const OFFLINE_PAGE = "{{ offline_page|escapejs }}";
const STYLESHEET = "{{ stylesheet|escapejs }}";
// The page made here when there is no signal keeps Haven's content security policy.
const POLICY = "{{ policy|escapejs }}";
// With a weak signal, wait this long for the network before using the cache.
const NETWORK_TIMEOUT_MS = 4000;

// The fetches under way (the install's, a refresh's): the logged-out page
// tells the worker to "forget", which aborts them, so that none of them can
// put a screen back in the cache after the phone was wiped.
const fetching = new AbortController();

self.addEventListener("install", (event) => {
  event.waitUntil(
    // One missing file (or a logged-out user) must not stop the install.
    Promise.allSettled([...OFFLINE].map(refresh)).then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(forgetWhatIsNoLongerKept)
      .then(() => self.clients.claim()),
  );
});

// An earlier worker, under the same cache name, may have kept answers this one
// does not (the participants, before they were sealed in IndexedDB): drop them.
async function forgetWhatIsNoLongerKept() {
  if (!(await caches.has(CACHE))) return;
  const cache = await caches.open(CACHE);
  const requests = await cache.keys();
  await Promise.all(
    requests.filter((r) => !OFFLINE.has(new URL(r.url).pathname)).map((r) => cache.delete(r)),
  );
}

// The page asks for a refresh of the cache after the language changed, and
// to forget everything at logout.
self.addEventListener("message", (event) => {
  if (event.data === "forget") {
    // For good: this worker is being unregistered; a sign-in registers a new one.
    fetching.abort();
    event.waitUntil(caches.delete(CACHE));
  }
  if (event.data === "refresh") {
    event.waitUntil(Promise.allSettled([...OFFLINE].map(refresh)));
  }
});

async function refresh(url) {
  const signal = fetching.signal;
  const response = await fetch(url, { credentials: "same-origin", cache: "no-store", signal });
  // Aborted once the answer was in: the phone has been wiped since, and
  // opening the cache now would make it again.
  if (cacheable(response) && !signal.aborted) await (await caches.open(CACHE)).put(url, response);
  return response;
}

function cacheable(response) {
  // A redirect means the session ended (to the login page): never cache that.
  return response && response.ok && !response.redirected && response.type === "basic";
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then(
      (value) => { clearTimeout(timer); resolve(value); },
      (error) => { clearTimeout(timer); reject(error); },
    );
  });
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const key = url.pathname;
  // An API answer is kept only when asked with no query string: a page or a
  // filtered answer (/api/v1/resources?updated_since=…) must not replace the
  // full copy.
  if (OFFLINE.has(key) && (request.mode === "navigate" || !url.search)) {
    event.respondWith(networkFirst(request, key));
  } else if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(() => offlinePage(key)));
  }
});

async function networkFirst(request, key) {
  // After logout the phone was wiped (field_app.js): a request this worker still
  // sees (an icon the logged-out page asks for late) must not make the cache again.
  const cache = (await caches.has(CACHE)) ? await caches.open(CACHE) : null;
  try {
    const response = await withTimeout(fetch(request), NETWORK_TIMEOUT_MS);
    // Pages with participants on them are sent with Cache-Control: no-store,
    // which keeps them out of the browser's HTTP cache and any proxy. The
    // screens kept here are kept on purpose, in the field app's own store,
    // which is emptied at logout (field_app.js).
    if (cache && cacheable(response)) await cache.put(key, response.clone());
    return response;
  } catch (error) {
    const cached = cache && (await cache.match(key));
    if (cached) return cached;
    if (request.mode === "navigate") return offlinePage(key);
    throw error;
  }
}

async function offlinePage(path) {
  const screen = RECORD_SCREENS.find(([pattern]) => pattern.test(path));
  const keptScreen = screen && (await caches.match(screen[1]));
  if (keptScreen) return keptScreen;
  const kept = await caches.match(OFFLINE_PAGE);
  if (kept) return kept;
  // Not kept yet (the phone lost signal while installing): a plain page,
  // in the language the worker was fetched in.
  const html = `<!doctype html><html lang="{{ language|escapejs }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Haven</title>
<link rel="stylesheet" href="${STYLESHEET}"></head>
<body><main id="main">
<h1>{{ no_signal|escapejs }}</h1>
<p>{{ not_kept|escapejs }}</p>
<p><a class="button" href="${QUICK_LOG}">{{ log_a_contact|escapejs }}</a></p></main></body></html>`;
  return new Response(html, {
    headers: { "Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": POLICY },
  });
}
