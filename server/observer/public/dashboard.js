/* global document, fetch, setInterval, localStorage, navigator, location, URLSearchParams, Chart, FINDING_TEXTS, EXCLUSION_LABELS */
// The observer's two pages, told apart by <body data-page>: the dashboard (polls /api/status, reads
// the names from /api/manifest, draws the charts with Chart.js served from this origin as /chart.js)
// and the public ballot tracker (track.html: /api/ballots/:code, the observer's own reading of the
// chain). No third-party origin, no inline script; Russian and English; dates in the election's
// time zone; text through textContent only. Findings are explained by their code (FINDING_TEXTS,
// /finding-texts.js, from finding-texts.ts), never by the verifier's English reason.
"use strict";

const COLORS = ["#1d3557", "#2a9d8f", "#e9c46a", "#8d5fd3", "#457b9d", "#6a994e", "#f4a261", "#264653"];
const REFUSED_COLOR = "#b3261e";
const LANGUAGE_KEY = "ballot-ledger/lang";

const MESSAGES = {
  en: {
    "app.title": "Election observer",
    "cards.label": "Summary",
    "card.issued": "credentials issued",
    "card.voters": "voters",
    "card.recorded": "ballots recorded",
    "card.counted": "counted",
    "card.superseded": "replaced by a re-vote",
    "card.revotes": "re-votes",
    "card.excluded": "excluded",
    "card.refused": "refused by the contract",
    "card.unchecked": "ballots not yet checked",
    "checks.heading": "Checks",
    "check.holds": "holds",
    "check.fails": "fails",
    "check.pending": "pending",
    "turnout.heading": "Turnout over time, per ballot style",
    "turnout.zone": "Times in {zone}. Voters: people with at least one recorded ballot.",
    "turnout.axis": "voters",
    "days.heading": "Turnout per day of the voting window, per ballot style",
    "days.day": "day {n}",
    "issued.heading": "Credentials issued, voters, ballots and counted ballots per style",
    "series.issued": "credentials issued",
    "series.voters": "voters",
    "series.recorded": "ballots (with re-votes)",
    "series.counted": "counted",
    "revotes.note":
      "{n} {n:ballot was|ballots were} replaced by a later ballot of the same voter: re-voting is allowed, so this is normal and nothing was refused.",
    "refused.heading": "Ballots refused or excluded, by reason",
    "refused.none": "No ballot was refused or excluded.",
    "refused.series": "ballots",
    "refused.contract": "refused by the contract",
    "refused.excluded": "excluded by the observer",
    "contract.InvalidBallotSize": "malformed ballot (size)",
    "contract.InvalidBallotSignature": "invalid ballot signature",
    "contract.RevoteNotAllowed": "re-vote not allowed",
    "contract.SequenceNotHigher": "ballot number not higher",
    "chart.empty": "No ballot recorded yet.",
    "recon.heading": "Paper and online, per district",
    "recon.district": "district (ballot style)",
    "recon.onlineRoll": "online roll",
    "recon.issued": "credentials issued",
    "recon.counted": "online ballots counted",
    "recon.paper": "paper ballots",
    "recon.cancellations": "online votes cancelled at a precinct",
    "recon.unused": "on the roll, no ballot yet",
    "recon.noRoll":
      "No online roll is published: every voter of these districts may vote online, and no paper ballot is journaled on chain.",
    "recon.holds":
      "Every district balances: credentials and paper ballots within the roll, counted ballots within the credentials.",
    "recon.fails": "The paper and online channels do not reconcile: see the findings (V10).",
    "tally.heading": "Tally",
    "tally.pending": "Computed once voting has closed.",
    "tally.hash": "tally hash {hash}",
    "tally.contest": "contest",
    "tally.option": "option",
    "tally.count": "votes",
    "tally.matches": "The published result matches the observer's tally.",
    "tally.differs": "The published result does NOT match the observer's tally.",
    "tally.attestation": "Attestation by {signer}: {state}",
    "attestation.posted": "posted on chain",
    "attestation.not-posted": "not posted yet",
    "attestation.no-observer-role": "not posted: this observer has no observer role on chain",
    "attestation.already-attested": "already on chain",
    "findings.heading": "Findings",
    "findings.severity": "severity",
    "findings.kind": "check",
    "findings.code": "code",
    "findings.subject": "subject",
    "findings.reason": "what it means",
    "findings.detail": "the verifier's detail (English)",
    "findings.none": "No findings: every check passed without a remark.",
    "subject.ballot": "ballot {n} of the ledger",
    "subject.trustee": "trustee {n}",
    "subject.style": "ballot style «{name}»",
    "subject.observer": "observer {address}",
    "severity.fault": "fault",
    "severity.warning": "warning",
    "verdict.holds": "Every check holds",
    "verdict.warnings": "Every check holds, with {n} {n:warning|warnings}",
    "verdict.fails": "VERIFICATION FAILED: {n} {n:fault|faults}",
    "sync.line": "election {election} · chain {chain} · block {block} of {head} · {stage}",
    "stage.invalid": "invalid election",
    "stage.key-ceremony": "key ceremony",
    "stage.open": "voting",
    "stage.tallying": "tallying",
    "stage.result-published": "result published",
    updated: "Updated {time}",
    unreachable: "Cannot load the status ({reason}); retrying.",
    "style.unknown": "unreadable style",
    "track.title": "Track a ballot on chain",
    "track.intro":
      "This tracker is run by an election observer. It looks your tracking code up on the chain, through the observer's own node: it answers even when the relays are down.",
    "track.code": "Tracking code",
    "track.check": "Look up",
    "track.dashboard": "The observer's dashboard",
    "track.working": "Looking it up on chain…",
    "track.empty": "Enter the tracking code from your receipt.",
    "track.invalid":
      "This is not a tracking code: it has 16 letters and digits, such as CM4F-4YRJ-2B16-8TBN.",
    "track.failed": "The observer could not answer ({reason}). Try again in a minute.",
    "track.status.counted": "Counted: your ballot is in the final tally.",
    "track.status.on-chain": "On chain: your ballot is recorded and counts, unless you vote again.",
    "track.status.superseded":
      "Replaced by a later ballot of the same voter (ballot number {latest}): that one counts instead.",
    "track.status.superseded-unknown":
      "Replaced by a later ballot of the same voter: that one counts instead.",
    "track.status.cancelled":
      "Cancelled: the voter cancelled the online vote at a precinct and voted on paper.",
    "track.status.excluded": "Not counted: {reason}",
    "track.unknown":
      "No ballot with this tracking code is on chain. A ballot cast a moment ago may still be waiting at a relay: look again in a minute.",
    "track.sequence": "Ballot number",
    "track.recordedAt": "Recorded on chain",
    "track.index": "Position in the ledger",
    "track.block": "Block",
    "track.transaction": "Transaction",
    "track.ballotHash": "Ballot hash",
    "track.source":
      "Answer from the chain: read by {observer} from its own node, through block {block} ({time}). No relay was asked.",
    "track.thisObserver": "this observer",
    "track.observer": "observer {address}",
  },
  ru: {
    "app.title": "Наблюдатель за выборами",
    "cards.label": "Сводка",
    "card.issued": "выдано удостоверений",
    "card.voters": "проголосовало избирателей",
    "card.recorded": "записано бюллетеней",
    "card.counted": "учтено",
    "card.superseded": "заменено при переголосовании",
    "card.revotes": "переголосований",
    "card.excluded": "исключено",
    "card.refused": "отклонено контрактом",
    "card.unchecked": "ещё не проверено",
    "checks.heading": "Проверки",
    "check.holds": "пройдена",
    "check.fails": "не пройдена",
    "check.pending": "ожидает",
    "turnout.heading": "Явка по времени, по видам бюллетеня",
    "turnout.zone": "Время: {zone}. Избиратели — те, у кого записан хотя бы один бюллетень.",
    "turnout.axis": "избиратели",
    "days.heading": "Явка по дням голосования, по видам бюллетеня",
    "days.day": "день {n}",
    "issued.heading": "Удостоверения, избиратели, бюллетени и учтённые бюллетени по видам бюллетеня",
    "series.issued": "выдано удостоверений",
    "series.voters": "избиратели",
    "series.recorded": "бюллетени (с переголосованиями)",
    "series.counted": "учтено",
    "revotes.note":
      "{n} {n:бюллетень заменён|бюллетеня заменены|бюллетеней заменены} более поздним бюллетенем того же избирателя: переголосование разрешено, это нормально, ничего не отклонено.",
    "refused.heading": "Отклонённые и исключённые бюллетени, по причинам",
    "refused.none": "Ни один бюллетень не отклонён и не исключён.",
    "refused.series": "бюллетени",
    "refused.contract": "отклонён контрактом",
    "refused.excluded": "исключён наблюдателем",
    "contract.InvalidBallotSize": "неверный размер бюллетеня",
    "contract.InvalidBallotSignature": "неверная подпись бюллетеня",
    "contract.RevoteNotAllowed": "переголосование запрещено",
    "contract.SequenceNotHigher": "номер бюллетеня не больше прежнего",
    "chart.empty": "Бюллетеней пока нет.",
    "recon.heading": "Бумажное и электронное голосование, по округам",
    "recon.district": "округ (вид бюллетеня)",
    "recon.onlineRoll": "электронный список",
    "recon.issued": "выдано ключей",
    "recon.counted": "учтено электронных бюллетеней",
    "recon.paper": "бумажных бюллетеней",
    "recon.cancellations": "электронных голосов отменено на участке",
    "recon.unused": "в списке, бюллетеня ещё нет",
    "recon.noRoll":
      "Электронный список не опубликован: все избиратели этих округов могут голосовать электронно, бумажные бюллетени в блокчейне не учитываются.",
    "recon.holds":
      "Во всех округах сходится: ключи и бумажные бюллетени в пределах списка, учтённые бюллетени в пределах ключей.",
    "recon.fails": "Бумажное и электронное голосование не сходятся: см. замечания (V10).",
    "tally.heading": "Итоги",
    "tally.pending": "Подсчитываются после окончания голосования.",
    "tally.hash": "хеш итогов {hash}",
    "tally.contest": "вопрос",
    "tally.option": "вариант",
    "tally.count": "голоса",
    "tally.matches": "Опубликованный результат совпадает с подсчётом наблюдателя.",
    "tally.differs": "Опубликованный результат НЕ совпадает с подсчётом наблюдателя.",
    "tally.attestation": "Заключение {signer}: {state}",
    "attestation.posted": "опубликовано в блокчейне",
    "attestation.not-posted": "ещё не опубликовано",
    "attestation.no-observer-role": "не опубликовано: у этого наблюдателя нет роли наблюдателя в блокчейне",
    "attestation.already-attested": "уже в блокчейне",
    "findings.heading": "Замечания",
    "findings.severity": "важность",
    "findings.kind": "проверка",
    "findings.code": "код",
    "findings.subject": "объект",
    "findings.reason": "что это значит",
    "findings.detail": "подробности проверки (на английском)",
    "findings.none": "Замечаний нет: все проверки пройдены.",
    "subject.ballot": "бюллетень № {n} в журнале",
    "subject.trustee": "доверенное лицо № {n}",
    "subject.style": "вид бюллетеня «{name}»",
    "subject.observer": "наблюдатель {address}",
    "severity.fault": "нарушение",
    "severity.warning": "предупреждение",
    "verdict.holds": "Все проверки пройдены",
    "verdict.warnings": "Все проверки пройдены, {n} {n:предупреждение|предупреждения|предупреждений}",
    "verdict.fails": "ПРОВЕРКА НЕ ПРОЙДЕНА: {n} {n:нарушение|нарушения|нарушений}",
    "sync.line": "выборы {election} · сеть {chain} · блок {block} из {head} · {stage}",
    "stage.invalid": "выборы недействительны",
    "stage.key-ceremony": "церемония ключей",
    "stage.open": "идёт голосование",
    "stage.tallying": "подсчёт",
    "stage.result-published": "результат опубликован",
    updated: "Обновлено {time}",
    unreachable: "Не удалось получить состояние ({reason}); повторяем.",
    "style.unknown": "нечитаемый вид бюллетеня",
    "track.title": "Проверка бюллетеня в блокчейне",
    "track.intro":
      "Эту страницу ведёт наблюдатель за выборами. Она ищет ваш код отслеживания в блокчейне через собственный узел наблюдателя, поэтому отвечает, даже когда ретрансляторы недоступны.",
    "track.code": "Код отслеживания",
    "track.check": "Найти",
    "track.dashboard": "Панель наблюдателя",
    "track.working": "Ищем в блокчейне…",
    "track.empty": "Введите код отслеживания из квитанции.",
    "track.invalid": "Это не код отслеживания: в нём 16 букв и цифр, например CM4F-4YRJ-2B16-8TBN.",
    "track.failed": "Наблюдатель не ответил ({reason}). Попробуйте ещё раз через минуту.",
    "track.status.counted": "Учтён: ваш бюллетень вошёл в окончательные итоги.",
    "track.status.on-chain":
      "В блокчейне: ваш бюллетень записан и будет учтён, если вы не проголосуете повторно.",
    "track.status.superseded":
      "Заменён более поздним бюллетенем того же избирателя (бюллетень № {latest}): учитывается он.",
    "track.status.superseded-unknown": "Заменён более поздним бюллетенем того же избирателя: учитывается он.",
    "track.status.cancelled":
      "Отменён: избиратель отменил электронный голос на участке и проголосовал на бумаге.",
    "track.status.excluded": "Не учтён: {reason}",
    "track.unknown":
      "Бюллетеня с этим кодом в блокчейне нет. Бюллетень, отправленный только что, может ещё ждать у ретранслятора: проверьте снова через минуту.",
    "track.sequence": "Номер бюллетеня",
    "track.recordedAt": "Записан в блокчейн",
    "track.index": "Позиция в журнале",
    "track.block": "Блок",
    "track.transaction": "Транзакция",
    "track.ballotHash": "Хеш бюллетеня",
    "track.source":
      "Ответ из блокчейна: {observer} прочитал его через собственный узел, до блока {block} ({time}). Ретрансляторы не опрашивались.",
    "track.thisObserver": "этот наблюдатель",
    "track.observer": "наблюдатель {address}",
  },
};

const CHECK_NAMES = {
  en: {
    manifest: "manifest",
    ceremony: "key ceremony",
    registrarKeys: "registrar keys",
    ledger: "ledger (running hash)",
    ballots: "ballots and proofs",
    issuance: "credential issuance",
    decryptionShares: "decryption shares",
    result: "result",
    attestations: "attestations",
    reconciliation: "paper and online channels",
  },
  ru: {
    manifest: "манифест",
    ceremony: "церемония ключей",
    registrarKeys: "ключи регистратора",
    ledger: "журнал (сквозной хеш)",
    ballots: "бюллетени и доказательства",
    issuance: "выдача удостоверений",
    decryptionShares: "доли расшифровки",
    result: "результат",
    attestations: "заключения наблюдателей",
    reconciliation: "бумажное и электронное голосование",
  },
};

let lang = "en";
let manifest = null;
let lastStatus = null;
/** What the page draws again when the language changes. */
let rerender = () => {
  if (lastStatus !== null) render(lastStatus);
};
const charts = {};

function initialLanguage() {
  let stored = null;
  try {
    stored = localStorage.getItem(LANGUAGE_KEY);
  } catch {
    stored = null;
  }
  if (stored === "ru" || stored === "en") return stored;
  for (const tag of navigator.languages || [navigator.language || ""]) {
    const base = String(tag).toLowerCase().slice(0, 2);
    if (base === "ru" || base === "en") return base;
  }
  return "en";
}

/** Plural forms: {n:one|few|many} in Russian, {n:one|other} in English. */
function plural(n, forms) {
  const order = lang === "ru" ? ["one", "few", "many"] : ["one", "other"];
  const index = order.indexOf(new Intl.PluralRules(lang).select(n));
  return forms[index >= 0 ? index : forms.length - 1];
}

function t(key, params) {
  const values = params || {};
  const text = MESSAGES[lang][key] ?? MESSAGES.en[key] ?? key;
  return text
    .replace(/\{(\w+):([^{}]+)\}/g, (whole, name, forms) =>
      name in values ? plural(Number(values[name]), forms.split("|")) : whole,
    )
    .replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

function el(tag, attrs, text) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = String(text);
  return node;
}

function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

const sum = (values) => values.reduce((a, b) => a + b, 0);
const number = (n) => new Intl.NumberFormat(lang).format(n);

/** A manifest text in the page's language, else English, else the first given. */
const localized = (text) => (text ? (text[lang] ?? text.en ?? Object.values(text)[0] ?? "") : "");

// The manifest's zone when this browser knows it (validity is a pattern only: protocol.md 2), else UTC.
const timeZone = () => {
  const zone = manifest && manifest.timeZone;
  if (!zone) return "UTC";
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return zone;
  } catch {
    return "UTC";
  }
};

function styleName(style) {
  if (style === null || style === undefined) return t("style.unknown");
  const found = manifest && manifest.ballotStyles[style];
  return found ? localized(found.title) : String(style);
}

function contestOf(id) {
  return manifest ? manifest.contests.find((c) => c.id === id) : undefined;
}

function optionName(contestId, optionId) {
  const option = contestOf(contestId)?.options.find((o) => o.id === optionId);
  return option ? localized(option.title) : optionId;
}

const dateTime = (seconds, options) =>
  new Intl.DateTimeFormat(lang, { timeZone: timeZone(), ...options }).format(new Date(seconds * 1000));

/** The calendar day of a time in the election's time zone, as YYYY-MM-DD. */
const dayOf = (seconds) =>
  new Intl.DateTimeFormat("en-CA", {
    timeZone: timeZone(),
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(new Date(seconds * 1000));

function card(label, value) {
  const box = el("div", { class: "card" });
  box.append(el("div", { class: "value" }, number(value)), el("div", { class: "label" }, label));
  return box;
}

function chartOptions(extra) {
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
    ...extra,
  };
}

/** Creates the chart on first use, then only replaces its data (live updates keep the same canvas). */
function drawChart(id, config) {
  const existing = charts[id];
  if (existing && existing.config.type === config.type) {
    existing.data = config.data;
    existing.options = config.options;
    existing.update();
    return existing;
  }
  if (existing) existing.destroy();
  charts[id] = new Chart(document.getElementById(id), config);
  return charts[id];
}

function describe(id, text) {
  document.getElementById(id).setAttribute("aria-label", text);
}

/** Cumulative voters per style over the window, at the end of each bucket. */
function drawTurnout(status) {
  const { bucketSeconds, voters } = status.series;
  document.getElementById("turnout-zone").textContent = t("turnout.zone", { zone: timeZone() });
  document.getElementById("turnout-empty").hidden = voters.length > 0;
  const start = status.window.opensAt;
  const styles = [...new Set(voters.map((p) => p.style))].sort((a, b) => (a ?? -1) - (b ?? -1));
  const datasets = styles.map((style, i) => {
    let total = 0;
    const points = [{ x: start * 1000, y: 0 }];
    for (const p of voters.filter((v) => v.style === style)) {
      total += p.n;
      points.push({ x: (p.bucket + bucketSeconds) * 1000, y: total });
    }
    return {
      label: `${styleName(style)}: ${number(total)}`,
      data: points,
      borderColor: COLORS[i % COLORS.length],
      backgroundColor: COLORS[i % COLORS.length],
      stepped: true,
      pointRadius: 0,
      borderWidth: 2,
    };
  });
  const end = Math.max(
    start + bucketSeconds,
    Math.min(status.window.closesAt, status.sync.lastBlockTime || start),
  );
  drawChart("turnout", {
    type: "line",
    data: { datasets },
    options: chartOptions({
      scales: {
        x: {
          type: "linear",
          min: start * 1000,
          max: Math.max(end * 1000, ...datasets.flatMap((d) => d.data.map((p) => p.x))),
          ticks: {
            maxRotation: 0,
            autoSkip: true,
            maxTicksLimit: 6,
            callback: (value) =>
              dateTime(Number(value) / 1000, {
                month: "short",
                day: "numeric",
                hour: "2-digit",
                minute: "2-digit",
              }),
          },
        },
        y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: t("turnout.axis") } },
      },
    }),
  });
  describe("turnout", `${t("turnout.heading")}: ${datasets.map((d) => d.label).join("; ")}`);
}

/** New voters per calendar day of the window (in the election's time zone), one bar per style. */
function drawDays(status) {
  const days = [];
  for (let s = status.window.opensAt; dayOf(s) <= dayOf(status.window.closesAt); s += 86_400) {
    if (!days.includes(dayOf(s))) days.push(dayOf(s));
    if (days.length > 62) break;
  }
  const last = dayOf(status.window.closesAt);
  if (!days.includes(last)) days.push(last);
  const styles = (manifest ? manifest.ballotStyles.map((_, i) => i) : []).concat(
    status.series.voters.some((p) => p.style === null) ? [null] : [],
  );
  const datasets = styles.map((style, i) => ({
    label: styleName(style),
    data: days.map((day) =>
      sum(status.series.voters.filter((p) => p.style === style && dayOf(p.bucket) === day).map((p) => p.n)),
    ),
    backgroundColor: COLORS[i % COLORS.length],
  }));
  const labels = days.map((day, i) => {
    const [y, m, d] = day.split("-").map(Number);
    const noon = Date.UTC(y, m - 1, d, 12) / 1000;
    // Two lines (Chart.js draws an array as lines), so that the days fit side by side on a phone.
    return [
      t("days.day", { n: i + 1 }),
      new Intl.DateTimeFormat(lang, { timeZone: "UTC", month: "short", day: "numeric" }).format(
        new Date(noon * 1000),
      ),
    ];
  });
  drawChart("days", {
    type: "bar",
    data: { labels, datasets },
    options: chartOptions({
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, x: { ticks: { maxRotation: 0 } } },
    }),
  });
  describe(
    "days",
    `${t("days.heading")}: ${labels.map((l, i) => `${l.join(" ")} ${datasets.map((d) => `${d.label} ${d.data[i]}`).join(", ")}`).join("; ")}`,
  );
}

function drawIssued(report) {
  const series = ["issued", "voters", "recorded", "counted"];
  const datasets = series.map((key, i) => ({
    label: t(`series.${key}`),
    data: report.styles.map((s) => s[key]),
    backgroundColor: COLORS[i % COLORS.length],
  }));
  const labels = report.styles.map((s) => styleName(s.style));
  drawChart("issued", {
    type: "bar",
    data: { labels, datasets },
    options: chartOptions({
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, x: { ticks: { maxRotation: 0 } } },
    }),
  });
  describe(
    "issued",
    `${t("issued.heading")}: ${labels.map((l, i) => `${l}: ${datasets.map((d) => `${d.label} ${d.data[i]}`).join(", ")}`).join("; ")}`,
  );
  const note = document.getElementById("revotes-note");
  note.textContent = report.ballots.superseded > 0 ? t("revotes.note", { n: report.ballots.superseded }) : "";
}

/** Only what was refused or excluded: a re-vote replaces a ballot and is not drawn here. */
function drawRefused(report) {
  const rows = [
    // The contract's error name, or the exclusion code, by a short name in the page's language.
    ...Object.entries(report.ballots.rejectedByContract).map(([reason, n]) => [
      [t("refused.contract"), `contract.${reason}` in MESSAGES.en ? t(`contract.${reason}`) : reason],
      n,
    ]),
    ...Object.entries(report.ballots.excluded).map(([code, n]) => [
      [t("refused.excluded"), EXCLUSION_LABELS[code] ? EXCLUSION_LABELS[code][lang] : code],
      n,
    ]),
  ].filter(([, n]) => n > 0);
  document.getElementById("refused-empty").hidden = rows.length > 0;
  document.getElementById("refused-chart").hidden = rows.length === 0;
  drawChart("refused", {
    type: "bar",
    data: {
      labels: rows.map(([label]) => label),
      datasets: [
        { label: t("refused.series"), data: rows.map(([, n]) => n), backgroundColor: REFUSED_COLOR },
      ],
    },
    options: chartOptions({
      indexAxis: "y",
      plugins: { legend: { display: false } },
      scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
    }),
  });
  describe("refused", rows.map(([label, n]) => `${label.join(": ")}: ${n}`).join("; ") || t("refused.none"));
}

function renderTally(status) {
  const report = status.report;
  const tally = document.getElementById("tally");
  clear(tally);
  if (report.tally === null) {
    tally.append(el("p", { class: "muted" }, t("tally.pending")));
    return;
  }
  tally.append(el("p", { class: "mono" }, t("tally.hash", { hash: report.tally.hash })));
  const own = report.result.own;
  if (own !== null) {
    const table = el("table");
    const head = el("tr");
    head.append(
      el("th", {}, t("tally.contest")),
      el("th", {}, t("tally.option")),
      el("th", { class: "num" }, t("tally.count")),
    );
    table.append(head);
    for (const [contest, options] of Object.entries(own))
      for (const [option, count] of Object.entries(options)) {
        const row = el("tr");
        row.append(
          el("td", {}, localized(contestOf(contest)?.title) || contest),
          el("td", {}, optionName(contest, option)),
          el("td", { class: "num" }, number(count)),
        );
        table.append(row);
      }
    const scroll = el("div", { class: "table-scroll" });
    scroll.append(table);
    tally.append(scroll);
  }
  if (report.result.published !== null)
    tally.append(
      el(
        "p",
        { class: report.result.matches ? "" : "fault" },
        t(report.result.matches ? "tally.matches" : "tally.differs"),
      ),
    );
  if (status.attestation)
    tally.append(
      el(
        "p",
        { class: "mono" },
        t("tally.attestation", {
          signer: status.attestation.signer,
          state: `${t(`attestation.${status.attestation.onChain}`)}${status.attestation.transactionHash ? ` (${status.attestation.transactionHash})` : ""}`,
        }),
      ),
    );
}

/** V10: online roll, credentials, counted ballots, paper ballots and cancellations per district. */
function renderReconciliation(report) {
  const box = document.getElementById("reconciliation");
  clear(box);
  const rows = report.reconciliation;
  if (rows.length === 0) return;
  // The roll is published with the paper channel (protocol.md 11): without it, only the online counts mean something.
  const rollPublished = rows.some((row) => row.onlineRoll > 0 || row.paperBallots > 0);
  const columns = rollPublished
    ? ["onlineRoll", "issued", "counted", "paper", "cancellations", "unused"]
    : ["issued", "counted"];
  const value = {
    onlineRoll: (row) => row.onlineRoll,
    issued: (row) => row.credentialsIssued,
    counted: (row) => row.onlineCounted,
    paper: (row) => row.paperBallots,
    cancellations: (row) => row.cancellations,
    unused: (row) => row.unused,
  };
  const table = el("table");
  const head = el("tr");
  head.append(el("th", {}, t("recon.district")));
  for (const column of columns) head.append(el("th", { class: "num" }, t(`recon.${column}`)));
  table.append(head);
  for (const row of rows) {
    const line = el("tr");
    line.append(el("td", { "data-label": t("recon.district") }, styleName(row.style)));
    for (const column of columns)
      line.append(el("td", { class: "num", "data-label": t(`recon.${column}`) }, number(value[column](row))));
    table.append(line);
  }
  const scroll = el("div", { class: "table-scroll" });
  scroll.append(table);
  const balanced = report.checks.reconciliation !== "fails";
  const note = !balanced ? "recon.fails" : rollPublished ? "recon.holds" : "recon.noRoll";
  box.append(scroll, el("p", { class: balanced ? "muted" : "fault" }, t(note)));
}

/** What a finding concerns, from its structured target (never from the verifier's English subject). */
function findingSubject(f) {
  if (f.ballot !== undefined) return t("subject.ballot", { n: f.ballot });
  if (f.trustee !== undefined) return t("subject.trustee", { n: f.trustee });
  if (f.style !== undefined) return t("subject.style", { name: styleName(f.style) });
  if (f.observer !== undefined) return t("subject.observer", { address: f.observer });
  return CHECK_NAMES[lang][f.kind] ?? f.kind;
}

/** A finding's code as a sentence in the page's language. */
const findingText = (code) => (FINDING_TEXTS[code] ? FINDING_TEXTS[code][lang] : code);

function renderFindings(report) {
  const body = document.querySelector("#findings tbody");
  clear(body);
  if (report.findings.length === 0) {
    const row = el("tr", { class: "empty" });
    row.append(el("td", { colspan: "5" }, t("findings.none")));
    body.append(row);
    return;
  }
  // data-label: on a phone each finding is a card of labelled lines (dashboard.css) instead of a wide row.
  for (const f of report.findings) {
    const row = el("tr");
    row.append(
      el("td", { class: f.severity, "data-label": t("findings.severity") }, t(`severity.${f.severity}`)),
      el("td", { "data-label": t("findings.kind") }, `${f.check} ${CHECK_NAMES[lang][f.kind] ?? f.kind}`),
      el("td", { class: "mono", "data-label": t("findings.code") }, f.code),
      el("td", { "data-label": t("findings.subject") }, findingSubject(f)),
    );
    // The meaning, translated by code; the verifier's own words stay available, folded, marked English.
    const meaning = el("td", { class: "meaning", "data-label": t("findings.reason") });
    const detail = el("details");
    detail.append(
      el("summary", {}, t("findings.detail")),
      el("p", { class: "mono", lang: "en" }, `${f.subject}: ${f.reason}`),
    );
    meaning.append(el("p", { class: "finding-text" }, findingText(f.code)), detail);
    row.append(meaning);
    body.append(row);
  }
}

function render(status) {
  const report = status.report;
  document.getElementById("election-title").textContent = manifest ? localized(manifest.title) : "";
  document.getElementById("election").textContent = t("sync.line", {
    election: status.election,
    chain: status.chainId,
    block: status.sync.lastBlock,
    head: status.sync.confirmedHead,
    stage: t(`stage.${report.stage}`),
  });
  const verdict = document.getElementById("verdict");
  const faults = report.findings.filter((f) => f.severity === "fault").length;
  const warnings = report.findings.filter((f) => f.severity === "warning").length;
  verdict.textContent = !report.holds
    ? t("verdict.fails", { n: faults })
    : warnings > 0
      ? t("verdict.warnings", { n: warnings })
      : t("verdict.holds");
  verdict.className = `verdict ${report.holds ? "holds" : "fails"}`;

  const b = report.ballots;
  const cards = document.getElementById("cards");
  clear(cards);
  cards.append(
    card(t("card.issued"), sum(report.styles.map((s) => s.issued))),
    card(t("card.voters"), sum(report.styles.map((s) => s.voters))),
    card(t("card.recorded"), b.recorded),
    card(t("card.counted"), b.counted),
    card(t("card.revotes"), b.revotes),
    card(t("card.excluded"), sum(Object.values(b.excluded))),
    card(t("card.refused"), sum(Object.values(b.rejectedByContract))),
    card(t("card.unchecked"), status.sync.ballotsUnchecked),
  );

  const checks = document.getElementById("checks");
  clear(checks);
  for (const [name, state] of Object.entries(report.checks))
    checks.append(
      el("li", { class: `status-${state}` }, `${CHECK_NAMES[lang][name] ?? name}: ${t(`check.${state}`)}`),
    );

  drawTurnout(status);
  drawDays(status);
  drawIssued(report);
  drawRefused(report);
  renderReconciliation(report);
  renderTally(status);
  renderFindings(report);
  document.getElementById("updated").textContent = t("updated", { time: fullDateTime(Date.now() / 1000) });
}

function applyLanguage() {
  document.documentElement.lang = lang;
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll("[data-i18n-attr]")) {
    const [attribute, key] = node.dataset.i18nAttr.split(":");
    node.setAttribute(attribute, t(key));
  }
  for (const button of document.querySelectorAll("button[data-lang]"))
    button.setAttribute("aria-pressed", button.dataset.lang === lang ? "true" : "false");
  rerender();
}

async function refresh() {
  try {
    if (manifest === null) {
      const answer = await fetch("/api/manifest", { cache: "no-store" });
      if (answer.ok) manifest = (await answer.json()).manifest;
    }
    const response = await fetch("/api/status", { cache: "no-store" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    lastStatus = await response.json();
    render(lastStatus);
  } catch (error) {
    document.getElementById("updated").textContent = t("unreachable", { reason: error.message });
  }
}

// ---------------------------------------------------------------- the public ballot tracker

const fullDateTime = (seconds) =>
  dateTime(seconds, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    timeZoneName: "short",
  });

function trackedTitle(answer, ballot) {
  switch (ballot.status) {
    case "counted":
      return t(answer.votingClosed ? "track.status.counted" : "track.status.on-chain");
    case "superseded":
      return ballot.supersededBySequence === null
        ? t("track.status.superseded-unknown")
        : t("track.status.superseded", { latest: ballot.supersededBySequence });
    case "cancelled":
      return t("track.status.cancelled");
    default:
      return t("track.status.excluded", { reason: findingText(ballot.exclusion) });
  }
}

/** data-status, as the booth's relay tracker names them (on-chain while voting is open). */
const trackedStatus = (answer, ballot) =>
  ballot.status === "counted" ? (answer.votingClosed ? "counted" : "on-chain") : ballot.status;

function renderTracked(box, shown) {
  clear(box);
  box.hidden = false;
  if (shown.kind === "error") {
    box.className = "track-result result-bad";
    delete box.dataset.status;
    box.append(el("p", { class: "result-title" }, shown.message()));
    return;
  }
  const answer = shown.answer;
  box.dataset.source = "chain";
  const source = el(
    "p",
    { class: "muted", id: "track-source" },
    t("track.source", {
      observer: answer.observer ? t("track.observer", { address: answer.observer }) : t("track.thisObserver"),
      block: answer.throughBlock,
      time: answer.throughTime === null ? "…" : fullDateTime(answer.throughTime),
    }),
  );
  if (answer.ballots.length === 0) {
    box.className = "track-result result-bad";
    box.dataset.status = "unknown";
    box.append(el("p", { class: "result-title" }, t("track.unknown")), source);
    return;
  }
  // One ballot per tracking code in practice (80 bits); the latest first if two ever share one.
  const ballots = [...answer.ballots].reverse();
  const first = ballots[0];
  box.dataset.status = trackedStatus(answer, first);
  box.className = `track-result ${first.status === "excluded" ? "result-bad" : first.status === "counted" ? "result-good" : "result-info"}`;
  for (const ballot of ballots) {
    const rows = [
      [t("track.code"), answer.trackingCode],
      [t("track.sequence"), ballot.sequence],
      [t("track.recordedAt"), fullDateTime(ballot.recordedAt)],
      [t("track.index"), String(ballot.index)],
      [t("track.ballotHash"), ballot.ballotHash],
    ];
    if (ballot.blockNumber !== null) rows.push([t("track.block"), ballot.blockNumber]);
    if (ballot.transactionHash !== null) rows.push([t("track.transaction"), ballot.transactionHash]);
    const list = el("dl");
    for (const [name, value] of rows) {
      const line = el("div");
      line.append(el("dt", {}, name), el("dd", { class: "mono" }, value));
      list.append(line);
    }
    box.append(el("p", { class: "result-title" }, trackedTitle(answer, ballot)), list);
  }
  box.append(source);
}

async function startTracker() {
  const form = document.getElementById("form-track");
  const input = document.getElementById("input-tracking-code");
  const status = document.getElementById("track-status");
  const box = document.getElementById("track-result");
  let shown = null;
  rerender = () => {
    document.getElementById("election-title").textContent = manifest ? localized(manifest.title) : "";
    if (shown !== null) renderTracked(box, shown);
  };
  try {
    const answer = await fetch("/api/manifest", { cache: "no-store" });
    if (answer.ok) manifest = (await answer.json()).manifest;
  } catch {
    // The tracker works without the names.
  }
  rerender();
  const lookUp = async () => {
    const code = input.value.trim();
    if (code === "") {
      shown = { kind: "error", message: () => t("track.empty") };
      renderTracked(box, shown);
      return;
    }
    status.textContent = t("track.working");
    try {
      const response = await fetch(`/api/ballots/${encodeURIComponent(code)}`, { cache: "no-store" });
      const body = await response.json().catch(() => ({}));
      if (response.ok) {
        shown = { kind: "found", answer: body };
        input.value = body.trackingCode;
      } else if (response.status === 404 && body.error && body.error.code === "unknown-tracking-code")
        shown = {
          kind: "found",
          answer: {
            trackingCode: code,
            observer: null,
            throughBlock: body.error.throughBlock,
            throughTime: body.error.throughTime,
            ballots: [],
          },
        };
      else if (body.error && body.error.code === "invalid-tracking-code")
        shown = { kind: "error", message: () => t("track.invalid") };
      else {
        const reason = body.error ? body.error.code : `HTTP ${response.status}`;
        shown = { kind: "error", message: () => t("track.failed", { reason }) };
      }
    } catch (error) {
      shown = { kind: "error", message: () => t("track.failed", { reason: error.message }) };
    } finally {
      status.textContent = "";
    }
    renderTracked(box, shown);
    box.focus();
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    lookUp();
  });
  const fromLink = new URLSearchParams(location.search).get("code");
  if (fromLink !== null) {
    input.value = fromLink;
    lookUp();
  }
}

lang = initialLanguage();
for (const button of document.querySelectorAll("button[data-lang]"))
  button.addEventListener("click", () => {
    lang = button.dataset.lang === "ru" ? "ru" : "en";
    try {
      localStorage.setItem(LANGUAGE_KEY, lang);
    } catch {
      // the choice still applies to this page
    }
    applyLanguage();
  });
applyLanguage();
if (document.body.dataset.page === "track") startTracker();
else {
  refresh();
  setInterval(refresh, 5000);
}
