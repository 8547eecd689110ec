import { normalizeTrackingCode } from "../../protocol/ballot";
import { initCrypto } from "../../protocol/primitives/sodium";
import { fetchBallotStatus, ServiceError, type RelayBallotStatus } from "../../voter/services-client";
import { byId, clearError, el, formatTime, setBusy, setStatus, setUpLanguage, showError } from "./dom";
import { loadBoothElection, relayOrder, trackerLinks, type BoothElection } from "./election";
import { BoothError, explain } from "./errors";
import { isMessageKey, t, type MessageKey } from "./i18n";

/**
 * The public tracking page (track.html): anyone enters a tracking code; the
 * page asks this election's relays in turn (GET /v1/ballots/:code) and shows
 * queued / on chain / counted / superseded / rejected. "Superseded" needs the
 * relay's latestSequence (the voter's newest ballot on chain); "counted"
 * means on chain, not superseded, and voting closed (the relay checked the
 * ballot exactly as observers do, so it enters the tally). The answer says
 * which relay gave it; the manifest's public trackers (observers reading the
 * chain themselves) are linked beside it.
 */
type RelayAnswer = RelayBallotStatus & { latestSequence?: string | null };

export type TrackedState =
  | { kind: "queued" }
  | { kind: "rejected"; reason: string }
  | { kind: "on-chain" | "counted"; block: string }
  | { kind: "superseded"; block: string; latest: string };

/** What a relay's answer means for the voter, given whether voting is closed. */
export function trackedState(answer: RelayAnswer, votingClosed: boolean): TrackedState {
  if (answer.status === "queued") return { kind: "queued" };
  if (answer.status === "rejected") return { kind: "rejected", reason: answer.reason ?? "" };
  const block = answer.blockNumber ?? "?";
  const latest = answer.latestSequence;
  if (typeof latest === "string" && BigInt(latest) > BigInt(answer.sequence))
    return { kind: "superseded", block, latest };
  return { kind: votingClosed ? "counted" : "on-chain", block };
}

/** The relay's rejection reason (the contract's error name, or a relay code) as a sentence. */
function rejectionReason(reason: string): string {
  const key = `track.reason.${reason}`;
  return isMessageKey(key) ? t(key) : t("track.reason.unknown", { reason });
}

function stateMessage(state: TrackedState): string {
  const key = `track.status.${state.kind}` as MessageKey;
  if (state.kind === "rejected") return t(key, { reason: rejectionReason(state.reason) });
  if (state.kind === "queued") return t(key);
  return t(key, { block: state.block, latest: state.kind === "superseded" ? state.latest : "" });
}

interface Found {
  url: string;
  answer: RelayAnswer;
  votingClosed: boolean;
}

/** Every relay of the election, this page's first: the tracker asks them all, so one relay down is no matter. */
const relaysToAsk = (election: BoothElection) =>
  relayOrder([location.origin, ...election.relayUrls], location.origin);

async function lookUp(election: BoothElection, code: string): Promise<Found | null> {
  const urls = relaysToAsk(election);
  let votingClosed = election.info.window.code === "voting-closed";
  try {
    const fresh = await fetch(new URL("/v1/election", location.origin));
    if (fresh.ok)
      votingClosed =
        ((await fresh.json()) as { window?: { code?: string } }).window?.code === "voting-closed";
  } catch {
    // Keep what the page knew.
  }
  for (const url of urls) {
    try {
      const answer = (await fetchBallotStatus(url, code)) as RelayAnswer;
      return { url, answer, votingClosed };
    } catch (error) {
      if (error instanceof ServiceError && error.code === "invalid-tracking-code") throw error;
      // unknown at this relay, or the relay is down: ask the next one
    }
  }
  return null;
}

/** Links to the manifest's public trackers (observers), or nothing when it names none. */
function publicTrackers(election: BoothElection, code: string): HTMLElement[] {
  const links = trackerLinks(election, code, location.origin).filter((link) => link.kind === "observer");
  if (links.length === 0) return [];
  return [
    el(
      "p",
      { id: "track-public" },
      t("track.public"),
      ...links.flatMap((link, i) => [
        i === 0 ? " " : ", ",
        el("a", { href: link.href }, t("receipt.trackObserver", { host: link.host })),
      ]),
    ),
  ];
}

function renderFound(election: BoothElection, found: Found | null, code: string): void {
  const box = byId("track-result");
  box.hidden = false;
  box.replaceChildren();
  box.dataset.source = "relay";
  if (found === null) {
    box.className = "result result-bad";
    box.append(
      el("p", {}, t("track.unknown")),
      el(
        "p",
        { class: "muted" },
        t("track.tracker", {
          relays: relaysToAsk(election)
            .map((u) => new URL(u).host)
            .join(", "),
        }),
      ),
      ...(election.publicTrackers.length > 0
        ? publicTrackers(election, code)
        : [el("p", {}, t("track.unknownHint"))]),
    );
    return;
  }
  const { answer } = found;
  const state = trackedState(answer, found.votingClosed);
  const tone =
    state.kind === "rejected" ? "result-bad" : state.kind === "superseded" ? "result-info" : "result-good";
  box.className = `result ${tone}`;
  box.dataset.status = state.kind;
  const rows: [string, string][] = [
    [t("track.code"), code],
    [t("track.sequence"), answer.sequence],
    [t("track.acceptedAt"), formatTime(answer.acceptedAt)],
  ];
  if (answer.transactionHash !== null) rows.push([t("track.transaction"), answer.transactionHash]);
  box.append(
    el("p", { class: "result-title" }, stateMessage(state)),
    el(
      "dl",
      { class: "choices" },
      ...rows.map(([name, value]) =>
        el("div", { class: "choice" }, el("dt", {}, name), el("dd", { class: "mono" }, value)),
      ),
    ),
    el("p", { class: "muted" }, t("track.relay", { url: found.url })),
    ...publicTrackers(election, code),
  );
  if (answer.status === "on-chain" && answer.latestSequence === undefined)
    box.append(el("p", { class: "muted" }, t("track.noSupersedeInfo")));
}

export async function startTrackPage(): Promise<void> {
  let election: BoothElection | null = null;
  let last: { found: Found | null; code: string } | null = null;
  setUpLanguage(() => {
    if (last !== null && election !== null) renderFound(election, last.found, last.code);
  });
  try {
    await initCrypto();
    election = await loadBoothElection();
  } catch (error) {
    showError(() => explain(error, "relay"));
    return;
  } finally {
    byId("loading").hidden = true;
  }
  byId("tracker").hidden = false;
  const input = byId<HTMLInputElement>("input-tracking-code");
  const form = byId<HTMLFormElement>("form-track");
  input.addEventListener("input", () => clearError());
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void (async () => {
      clearError();
      byId("track-result").hidden = true;
      const code = normalizeTrackingCode(input.value);
      if (code === null) {
        showError(() => explain(new BoothError("track.invalid", {}, "invalid-tracking-code")));
        return;
      }
      input.value = code;
      setBusy(true);
      setStatus(t("status.working"));
      try {
        last = { found: await lookUp(election!, code), code };
        renderFound(election!, last.found, code);
        byId("track-result").focus();
      } catch (error) {
        showError(() => explain(error, "relay"));
      } finally {
        setBusy(false);
        setStatus("");
      }
    })();
  });
  const fromLink = new URLSearchParams(location.search).get("code");
  if (fromLink !== null) {
    input.value = fromLink;
    form.requestSubmit();
  }
}
