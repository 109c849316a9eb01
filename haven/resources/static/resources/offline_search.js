// The resource directory with no signal: search the copy kept on the phone.
//
// The service worker keeps the directory's entries (/api/v1/resources) and
// the last directory page. With no signal, a search is answered here from
// that copy, with the same filters and order as Haven's own search (see
// haven/resources/search.py): needs, open now or at a time (weekly hours;
// holiday exceptions are not on the phone), distance from a point, language,
// payment and walk-in. The page says when it answered from the phone.
//
// The search made for a participant is a POST form: its query (the person's
// needs, the place) never goes into the address, not even here. With no
// signal it is answered in the page and the address stays as it is; the
// service worker never keeps that page nor its answers (it keeps only the
// screens it lists, and only answers to a GET). With signal it is sent from
// here, and Haven's results are put in the page: a phone can show signal and
// still not reach Haven (Haven is down, a captive portal holds the
// connection), and the browser would then end the POST on its own error page.
// When Haven does not answer in time, the search is answered from the phone,
// which says so.
//
// Each result of that search has a Refer, which opens the referral form with
// the need it matched chosen: by POST when Haven answers (the need stays out
// of the address), else on the phone's own referral screen
// (offline_refer.js), the person, need and resource carried over sealed in
// this tab's session storage (field_app.js), never in the address either.
(() => {
  const form = document.getElementById("resource-search");
  const results = document.getElementById("resource-results");
  const setup = document.getElementById("offline-search");
  if (!form || !results || !setup || !window.caches) return;

  const { messages: MESSAGES, centres: CENTRES, default_centre: DEFAULT_CENTRE } = JSON.parse(
    setup.textContent,
  );
  const DIRECTORY_URL = "/api/v1/resources";
  const LIMIT = 30;
  const KM_PER_MILE = 1.609344;
  const DAY_MS = 24 * 60 * 60 * 1000;
  // As long as the service worker waits for a screen before it uses the
  // phone's copy (sw.js), and field_app.js for Haven's answer to its probe.
  const HAVEN_WAIT_MS = 4000;
  // Set on the search for a participant only: who a Refer is for, and the
  // phone's referral screen.
  const {
    cardCode: CARD_CODE,
    referOfflineUrl: REFER_OFFLINE_URL,
    probeUrl: PROBE_URL,
  } = results.dataset;
  const lang = document.documentElement.lang || undefined;

  const say = (template, values = {}) =>
    template.replace(/%\((\w+)\)s/g, (whole, name) => (name in values ? values[name] : whole));

  function sameQuery(a, b) {
    const normal = (params) =>
      [...params.entries()]
        .filter(([, value]) => value !== "")
        .map(([key, value]) => `${key}=${value}`)
        .sort()
        .join("&");
    return normal(new URLSearchParams(a)) === normal(new URLSearchParams(b));
  }

  // -------------------------------------------------------------- place
  function haversineKm(lat1, lon1, lat2, lon2) {
    const rad = Math.PI / 180;
    const dLat = (lat2 - lat1) * rad;
    const dLon = (lon2 - lon1) * rad;
    const a =
      Math.sin(dLat / 2) ** 2 +
      Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
    return 6371.0088 * 2 * Math.asin(Math.sqrt(a));
  }

  // Like search.area_centre: the average of the directory's own entries in a
  // ZIP code or city, so that no geocoding service is needed.
  function areaCentre(entries, text) {
    const typed = text.trim();
    const city = typed.split(",")[0].trim().toLowerCase();
    const isZip = /^\d{5}/.test(typed);
    const there = entries.filter(
      (entry) =>
        entry.latitude !== null &&
        (isZip
          ? entry.zip_code.slice(0, 5) === typed.slice(0, 5)
          : entry.city.toLowerCase() === city),
    );
    if (!there.length) return null;
    const mean = (key) => there.reduce((sum, entry) => sum + entry[key], 0) / there.length;
    return [mean("latitude"), mean("longitude")];
  }

  function origin(params, entries) {
    const lat = parseFloat(params.get("lat"));
    const lon = parseFloat(params.get("lon"));
    if (Number.isFinite(lat) && Number.isFinite(lon)) {
      return { point: [lat, lon], label: MESSAGES.your_location };
    }
    const place = (params.get("place") || "").trim();
    if (place) {
      const point = areaCentre(entries, place);
      if (!point) return { error: say(MESSAGES.unknown_place, { place }) };
      return { point, label: place };
    }
    const site = params.get("site");
    const centre = site ? CENTRES[site] : DEFAULT_CENTRE;
    return centre ? { point: centre.point, label: centre.label } : { point: null, label: "" };
  }

  // -------------------------------------------------------------- hours
  // Intervals [start, end) of the weekly spans around `moment`, in the phone's
  // clock (the program's time zone, where the work happens).
  function intervals(entry, moment) {
    const found = [];
    for (let offset = -1; offset <= 7; offset += 1) {
      const day = new Date(moment);
      day.setHours(0, 0, 0, 0);
      day.setDate(day.getDate() + offset);
      const weekday = (day.getDay() + 6) % 7; // 0 is Monday, as in the API
      for (const span of entry.hours) {
        if (span.weekday !== weekday) continue;
        const at = (time, next) => {
          const [hours, minutes] = time.split(":").map(Number);
          const when = new Date(day);
          when.setDate(when.getDate() + (next ? 1 : 0));
          when.setHours(hours, minutes, 0, 0);
          return when;
        };
        // Closing at or before opening means closing the next day (00:00 to 00:00: all day).
        found.push([at(span.opens, false), at(span.closes, span.closes <= span.opens)]);
      }
    }
    return found.sort((a, b) => a[0] - b[0]);
  }

  function status(entry, moment) {
    if (!entry.hours.length) return { open: null };
    const all = intervals(entry, moment);
    const containing = all.filter(([start, end]) => start <= moment && moment < end);
    if (containing.length) {
      // Touching spans make one opening.
      let until = new Date(Math.max(...containing.map(([, end]) => end)));
      for (const [start, end] of all) if (start <= until && until < end) until = end;
      return { open: true, until };
    }
    const upcoming = all.filter(([start]) => start > moment).map(([start]) => start);
    return { open: false, opensAt: upcoming.length ? upcoming[0] : null };
  }

  function when(moment) {
    // 24-hour clock as Haven writes it ("H:i"); h23, not hour12: false, which
    // writes midnight as 24:00 in some locales.
    const clock = moment.toLocaleTimeString(lang, {
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
    const midnight = (date) => new Date(date).setHours(0, 0, 0, 0);
    const days = Math.round((midnight(moment) - midnight(Date.now())) / DAY_MS);
    if (days === 0) return clock;
    if (days === 1) return say(MESSAGES.tomorrow, { time: clock });
    return `${moment.toLocaleDateString(lang, { weekday: "long" })} ${clock}`;
  }

  function describeStatus(state) {
    if (state.open === null) return MESSAGES.hours_unknown;
    if (state.open) {
      if (state.until - Date.now() > 2 * DAY_MS) return MESSAGES.open_24_hours;
      return say(MESSAGES.open_until, { time: when(state.until) });
    }
    if (!state.opensAt) return MESSAGES.closed;
    return say(MESSAGES.closed_opens, { time: when(state.opensAt) });
  }

  // ------------------------------------------------------------- search
  function search(entries, params) {
    const needs = params.getAll("needs");
    const languages = params.getAll("languages");
    const payments = params.getAll("payments");
    const walkIn = params.has("walk_in");
    const at = params.get("at") ? new Date(params.get("at")) : null;
    const openNow = params.has("open_now");
    const moment = at && !Number.isNaN(at.getTime()) ? at : new Date();
    const where = origin(params, entries);
    if (where.error) return { error: where.error };
    const radiusKm = (parseInt(params.get("miles"), 10) || 10) * KM_PER_MILE;
    const codes = (choices) => new Set(choices.map((choice) => choice.code));
    const found = [];
    for (const entry of entries) {
      if (!entry.active) continue;
      const offered = codes(entry.needs);
      if (needs.length && !needs.some((need) => offered.has(need))) continue;
      const spoken = codes(entry.languages);
      if (languages.length && !languages.some((language) => spoken.has(language))) continue;
      const accepted = codes(entry.payments);
      if (payments.length && !payments.some((payment) => accepted.has(payment))) continue;
      if (walkIn && !entry.walk_in && !entry.same_day) continue;
      let distance = null;
      if (where.point) {
        if (entry.latitude === null || entry.longitude === null) continue;
        distance = haversineKm(...where.point, entry.latitude, entry.longitude);
        if (distance > radiusKm) continue;
      }
      const state = status(entry, moment);
      if (openNow && state.open !== true) continue;
      found.push({ entry, distance, state, needs, languages, payments, walkIn });
    }
    // Nearest first, or by name when there is no point; the id settles ties.
    found.sort(
      (a, b) =>
        (a.distance !== null
          ? a.distance - b.distance
          : a.entry.name.localeCompare(b.entry.name)) ||
        a.entry.id - b.entry.id,
    );
    return { found: found.slice(0, LIMIT), label: where.label };
  }

  function reasons({ entry, distance, state, needs, languages, payments, walkIn }) {
    const why = [];
    const names = (choices) =>
      Object.fromEntries(choices.map((choice) => [choice.code, choice.name]));
    const offered = names(entry.needs);
    for (const need of needs.filter((code) => code in offered)) {
      why.push(say(MESSAGES.offers, { need: offered[need].toLowerCase() }));
    }
    if (state.open) why.push(describeStatus(state));
    if (distance !== null) why.push(say(MESSAGES.miles_away, { miles: miles(distance) }));
    const spoken = names(entry.languages);
    for (const language of languages.filter((code) => code in spoken)) {
      why.push(say(MESSAGES.speaks, { language: spoken[language] }));
    }
    const accepted = names(entry.payments);
    for (const payment of payments.filter((code) => code in accepted)) {
      why.push(say(MESSAGES.takes, { payment: accepted[payment] }));
    }
    if (walkIn) why.push(entry.walk_in ? MESSAGES.walk_in : MESSAGES.same_day);
    return why;
  }

  const miles = (km) => (km / KM_PER_MILE).toFixed(1);

  // ------------------------------------------------------------- render
  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function renderResult(result) {
    const { entry, distance, state } = result;
    const item = element("li");
    const title = element("h3", entry.name);
    if (entry.organisation) title.append(" ", element("span", entry.organisation, "help"));
    let meta = describeStatus(state);
    if (distance !== null) meta += ` · ${say(MESSAGES.miles, { d: miles(distance) })}`;
    const where = element("p", entry.address);
    if (entry.phone) {
      const phone = element("a", entry.phone);
      phone.href = `tel:${entry.phone}`;
      where.append(" · ", phone);
    }
    item.append(title, element("p", meta, "meta"), where);
    const why = reasons(result);
    if (why.length) item.append(element("p", `${MESSAGES.why} ${why.join("; ")}`, "help"));
    if (REFER_OFFLINE_URL) {
      // As Haven's own Refer: the first need searched for that it offers.
      const offered = new Set(entry.needs.map((choice) => choice.code));
      const need = result.needs.find((code) => offered.has(code)) || "";
      const refer = element("button", MESSAGES.refer);
      refer.type = "button";
      const toWhom = say(MESSAGES.refer_to, { name: entry.name });
      refer.append(element("span", ` ${toWhom}`, "visually-hidden"));
      refer.addEventListener("click", () => referOnThePhone(entry.id, need));
      item.append(refer);
    }
    return item;
  }

  // The phone's referral screen, with the person, the need and the resource
  // chosen (sealed in session storage by field_app.js; never in the address).
  function referOnThePhone(resource, need) {
    const field = window.havenField;
    if (!field) {
      window.location.assign(REFER_OFFLINE_URL);
      return;
    }
    field.chooseFor({ card_code: CARD_CODE }, REFER_OFFLINE_URL, { need, resource });
  }

  function show(nodes) {
    results.replaceChildren(...nodes);
  }

  // Answers from the phone's copy, saying why: no signal, or Haven unreachable.
  async function answer(params, unreachable = false) {
    const cached = await caches.match(DIRECTORY_URL);
    if (!cached) {
      const missing = unreachable ? MESSAGES.unreachable_not_on_phone : MESSAGES.not_on_phone;
      show([element("p", missing, "empty")]);
      return;
    }
    const saved = cached.headers.get("Date");
    const [dated, undated] = unreachable
      ? [MESSAGES.unreachable, MESSAGES.unreachable_undated]
      : [MESSAGES.from_phone, MESSAGES.from_phone_undated];
    const savedOn = saved && say(dated, { date: new Date(saved).toLocaleString(lang) });
    const notice = element("p", savedOn || undated, "notice");
    notice.setAttribute("role", "status");
    const { resources } = await cached.json();
    const outcome = search(resources, params);
    if (outcome.error) {
      show([notice, element("p", outcome.error, "errorlist")]);
      return;
    }
    const count = outcome.found.length;
    let heading = say(count === 1 ? MESSAGES.one_result : MESSAGES.results, { n: count });
    if (outcome.label) heading += ` · ${say(MESSAGES.near, { place: outcome.label })}`;
    const list = element("ol", "", "card-list");
    list.append(...outcome.found.map(renderResult));
    show([notice, element("h2", heading), count ? list : element("p", MESSAGES.nothing, "empty")]);
  }

  // Put a query back into the form, for a page answered from the phone's copy.
  function fill(params) {
    for (const input of form.elements) {
      if (!input.name || input.type === "button" || input.type === "submit") continue;
      if (input.type === "checkbox") {
        input.checked = params.getAll(input.name).includes(input.value);
      } else if (params.has(input.name) || input.tagName !== "SELECT") {
        input.value = params.get(input.name) || "";
      }
    }
  }

  // Only the plain directory's search is a GET, whose query may be put in the address.
  const queryInAddress = form.method === "get";

  // A page from the phone's cache shows the results of the query it was
  // saved with; answer the query asked instead.
  if (
    queryInAddress &&
    location.search &&
    !sameQuery(location.search, results.dataset.query || "")
  ) {
    const params = new URLSearchParams(location.search);
    fill(params);
    answer(params);
  }

  // The search for a participant, with signal: sent from here, Haven's
  // results put in the page, or the phone's when Haven does not answer.
  let sending = false;
  async function sendToHaven(params) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), HAVEN_WAIT_MS);
    let page;
    sending = true;
    results.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        cache: "no-store",
        signal: controller.signal,
      });
      if (response.redirected) {
        // The session ended: to the login page, which comes back here.
        window.location.assign(response.url);
        return;
      }
      // A proxy in front of a Haven that is down answers 502 to 504.
      if (response.status >= 500) throw new Error(`Haven answered ${response.status}`);
      // Any other refusal (an expired form) is shown as the browser shows it.
      if (!response.ok) {
        form.submit();
        return;
      }
      page = new DOMParser().parseFromString(await response.text(), "text/html");
    } catch (error) {
      // No answer in time, or none at all.
      page = null;
    } finally {
      clearTimeout(timer);
      sending = false;
      results.removeAttribute("aria-busy");
    }
    const found = page && page.getElementById("resource-results");
    const sent = page && page.getElementById("resource-search");
    if (!found || !sent) {
      // No answer, or not Haven's (a captive portal's page).
      answer(params, true);
      return;
    }
    if (sent.querySelector(".errorlist")) {
      // Something to correct in the form: the page as Haven shows it.
      form.submit();
      return;
    }
    results.replaceChildren(...found.childNodes);
  }

  form.addEventListener("submit", (event) => {
    if (navigator.onLine && queryInAddress) return;
    event.preventDefault();
    if (sending) return;
    const params = new URLSearchParams(new FormData(form));
    if (navigator.onLine) {
      sendToHaven(params);
      return;
    }
    if (queryInAddress) history.pushState(null, "", `?${params}`);
    answer(params);
  });

  // Haven's Refer (a POST the service worker cannot answer) goes to Haven
  // only when Haven answers (asked briefly first, as offline_refer.js does
  // before it sends): else the phone's referral screen opens instead.
  let referring = false;
  results.addEventListener("submit", async (event) => {
    const refer = event.target.closest("form.refer");
    if (!refer || !REFER_OFFLINE_URL) return;
    event.preventDefault();
    if (referring) return;
    referring = true;
    const field = window.havenField;
    const answers = navigator.onLine && (!field || (await field.havenAnswers(PROBE_URL)));
    referring = false;
    if (answers) refer.submit();
    else referOnThePhone(parseInt(refer.dataset.resource, 10), refer.elements.need.value);
  });
})();
