// Finding a participant with no signal, among those kept on the phone.
//
// With signal the search form posts to Haven as always. Without, the search
// is answered from the participants the phone keeps (/api/v1/participants/kept,
// sealed on the phone by field_app.js and audited when it was downloaded): a card code
// must match exactly, an alias by its beginning; people enrolled on this
// phone and not yet sent are found too. Each match offers logging a contact
// for that person, whose card code travels to the quick-log screen sealed in
// this tab's session storage (field_app.js), never in a URL.
(() => {
  const form = document.getElementById("participant-search");
  const field = window.havenField;
  if (!form || !field || !window.fetch) return;
  const MESSAGES = JSON.parse(document.getElementById("offline-find-messages").textContent);
  const results = document.getElementById("offline-results");
  const input = form.elements.q;

  const say = (template, values = {}) =>
    template.replace(/%\((\w+)\)s/g, (whole, name) => (name in values ? values[name] : whole));

  // Sealed on the phone with this session's key (field_app.js, field_crypto.js),
  // and the people enrolled on this phone whose enrolment waits in the outbox.
  async function keptParticipants() {
    const kept = field.keptParticipants && (await field.keptParticipants());
    const enrolled = (await field.outbox.all().catch(() => []))
      .filter((r) => r.kind === "enrolment" && r.user === form.dataset.user && !r.locked)
      .map((r) => ({
        id: null,
        card_code: r.body.card_code,
        alias: r.body.alias,
        enrolled: r.client_uuid,
      }));
    if (!kept && !enrolled.length) throw new Error("nothing kept");
    return [...enrolled, ...(kept || [])];
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
    if (participant.enrolled) item.append(` · ${MESSAGES.not_sent}`);
    const log = document.createElement("button");
    log.type = "button";
    log.textContent = MESSAGES.log_for;
    log.setAttribute("aria-label", say(MESSAGES.log_for_named, { who: participant.card_code }));
    log.addEventListener("click", () => field.chooseFor(participant, form.dataset.logUrl));
    // Their timeline: the kept screen the phone opens for their page with no
    // signal; for someone enrolled on this phone, that screen from the outbox.
    const timeline = document.createElement("a");
    timeline.className = "button secondary";
    timeline.href = participant.enrolled
      ? `${form.dataset.keptTimelineUrl}#${participant.enrolled}`
      : form.dataset.detailUrl.replace("/0/", `/${participant.id}/`);
    timeline.textContent = MESSAGES.timeline;
    const named = say(MESSAGES.timeline_named, { who: participant.card_code });
    timeline.setAttribute("aria-label", named);
    item.append(" ", log, " ", timeline);
    return item;
  }

  // The recent participants, listed here from what the phone keeps (the
  // page Haven sends, which the phone keeps, names nobody).
  const recent = document.getElementById("recent-participants");
  if (recent) {
    field.recentParticipants(recent.dataset.recentUrl).then((people) => {
      const list = document.getElementById("recent-list");
      list.replaceChildren(
        ...people.map((person) => {
          const item = document.createElement("li");
          const link = document.createElement("a");
          link.href = form.dataset.detailUrl.replace("/0/", `/${person.id}/`);
          link.textContent = person.card_code;
          item.append(link);
          if (person.alias) item.append(` · ${person.alias}`);
          return item;
        }),
      );
      list.hidden = !people.length;
      document.getElementById("recent-empty").hidden = people.length > 0;
    });
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
