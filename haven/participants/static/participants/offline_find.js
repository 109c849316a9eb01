// Finding a participant with no signal, among those kept on the phone.
//
// With signal the search form posts to Haven as always. Without, the search
// is answered from the participants the phone keeps (/api/v1/participants/kept,
// sealed on the phone by field_app.js and audited when it was downloaded): a card code
// must match exactly, an alias by its beginning. Each match offers logging a
// contact for that person, whose card code travels to the quick-log screen in
// this tab's session storage, never in a URL.
(() => {
  const form = document.getElementById("participant-search");
  const field = window.havenField;
  if (!form || !field || !window.fetch) return;
  const MESSAGES = JSON.parse(document.getElementById("offline-find-messages").textContent);
  const results = document.getElementById("offline-results");
  const input = form.elements.q;
  const LOG_FOR_KEY = "haven-log-for";

  const say = (template, values = {}) =>
    template.replace(/%\((\w+)\)s/g, (whole, name) => (name in values ? values[name] : whole));

  // Sealed on the phone with this session's key (field_app.js, field_crypto.js).
  async function keptParticipants() {
    const kept = field.keptParticipants && (await field.keptParticipants());
    if (!kept) throw new Error("nothing kept");
    return kept;
  }

  function search(kept, typed) {
    const text = typed.trim();
    const code = field.normaliseCardCode(text);
    if (code.length === field.CODE_LENGTH && !field.cardCodeProblem(text)) {
      return { matches: kept.filter((p) => field.normaliseCardCode(p.card_code) === code) };
    }
    const folded = text.toLocaleLowerCase();
    const matches = kept.filter((p) => p.alias && p.alias.toLocaleLowerCase().startsWith(folded));
    // A typed code with a typo is said to have one, unless an alias matched.
    const problem = code.length === field.CODE_LENGTH && field.cardCodeProblem(text);
    return { matches, problem: !matches.length && problem ? problem : null };
  }

  function show(children) {
    results.replaceChildren(...children);
    results.hidden = false;
    results.scrollIntoView({ block: "start" });
  }

  function paragraph(text, className) {
    const element = document.createElement("p");
    element.textContent = text;
    if (className) element.className = className;
    return element;
  }

  function matchItem(participant) {
    const item = document.createElement("li");
    const name = document.createElement("strong");
    name.textContent = participant.card_code;
    item.append(name);
    if (participant.alias) item.append(` · ${participant.alias}`);
    const log = document.createElement("button");
    log.type = "button";
    log.textContent = MESSAGES.log_for;
    log.setAttribute("aria-label", say(MESSAGES.log_for_named, { who: participant.card_code }));
    log.addEventListener("click", () => {
      sessionStorage.setItem(LOG_FOR_KEY, JSON.stringify(participant));
      window.location.assign(form.dataset.logUrl);
    });
    // Their timeline: the kept screen the phone opens for their page with no signal.
    const timeline = document.createElement("a");
    timeline.className = "button secondary";
    timeline.href = form.dataset.detailUrl.replace("/0/", `/${participant.id}/`);
    timeline.textContent = MESSAGES.timeline;
    const named = say(MESSAGES.timeline_named, { who: participant.card_code });
    timeline.setAttribute("aria-label", named);
    item.append(" ", log, " ", timeline);
    return item;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const typed = input.value;
    // With signal Haven answers, as without JavaScript.
    if (!typed.trim() || (await field.havenAnswers(form.dataset.probeUrl))) {
      form.submit();
      return;
    }
    let kept;
    try {
      kept = await keptParticipants();
    } catch (error) {
      show([paragraph(MESSAGES.nothing_kept, "empty")]);
      return;
    }
    const { matches, problem } = search(kept, typed);
    const heading = document.createElement("h2");
    heading.textContent = MESSAGES.matches;
    const notice = paragraph(MESSAGES.from_phone, "help");
    if (problem) {
      show([heading, notice, paragraph(say(MESSAGES[`code_${problem.kind}`], problem), "errorlist")]);
    } else if (!matches.length) {
      show([heading, notice, paragraph(MESSAGES.no_match, "empty")]);
    } else {
      const list = document.createElement("ul");
      list.className = "card-list";
      list.append(...matches.slice(0, 20).map(matchItem));
      show([heading, notice, list]);
    }
  });
})();
