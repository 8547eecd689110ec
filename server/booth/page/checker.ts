import { checkChallenge, parseChallengeFile } from "../../audit/challenge";
import { initCrypto } from "../../protocol/primitives/sodium";
import { byId, el, setBusy, setError, setStatus, setUpLanguage } from "./dom";
import { ElectionDataError, loadBoothElection, type BoothElection } from "./election";
import { explain } from "./errors";
import { localized, t } from "./i18n";

/**
 * The public checker (checker.html): opens a challenged ballot with the
 * nonces the booth revealed (verifyChallenge, the same function as
 * `ballot-ledger audit challenge FILE`, which reads the same file) and shows
 * which choices it encrypts and its tracking code.
 */
type Verdict =
  | { kind: "ok"; choices: Record<string, string[]>; trackingCode: string }
  | { kind: "failed"; reason: string }
  | { kind: "wrong-election"; election: string };

function renderVerdict(election: BoothElection, outcome: Verdict | null): void {
  const box = byId("checker-result");
  box.replaceChildren();
  box.hidden = outcome === null;
  if (outcome === null) return;
  if (outcome.kind !== "ok") {
    box.className = "result result-bad";
    box.append(
      el(
        "p",
        {},
        outcome.kind === "failed"
          ? t("checker.failed", { reason: outcome.reason })
          : t("checker.wrongElection", { election: outcome.election }),
      ),
    );
    return;
  }
  box.className = "result result-good";
  const { manifest } = election.context;
  const list = el("dl", { class: "choices" });
  for (const [contestId, selected] of Object.entries(outcome.choices)) {
    const contest = manifest.contests.find((c) => c.id === contestId);
    if (contest === undefined) continue;
    const titles = contest.options.filter((o) => selected.includes(o.id)).map((o) => localized(o.title));
    list.append(
      el(
        "div",
        { class: "choice" },
        el("dt", {}, localized(contest.title)),
        el("dd", {}, titles.length > 0 ? titles.join(", ") : t("review.blank")),
      ),
    );
  }
  box.append(
    el("p", { class: "result-title" }, t("checker.ok")),
    list,
    el("p", {}, t("checker.trackingCode", { code: outcome.trackingCode })),
  );
}

function judge(election: BoothElection, text: string): Verdict {
  const parsed = parseChallengeFile(text);
  if (!parsed.ok) return { kind: "failed", reason: parsed.reason };
  const claimed = parsed.file.election;
  if (claimed !== undefined && claimed.toLowerCase() !== election.context.election.toLowerCase())
    return { kind: "wrong-election", election: claimed };
  const result = checkChallenge(election.context, parsed.file);
  return result.ok
    ? { kind: "ok", choices: result.choices, trackingCode: result.trackingCode }
    : { kind: "failed", reason: result.reason };
}

export async function startCheckerPage(): Promise<void> {
  let election: BoothElection | null = null;
  let verdict: Verdict | null = null;
  const show = () => {
    if (election !== null) renderVerdict(election, verdict);
  };
  setUpLanguage(show);
  setStatus(t("status.loading"));
  try {
    await initCrypto();
    election = await loadBoothElection();
  } catch (error) {
    setStatus("");
    if (error instanceof ElectionDataError)
      setError(t("error.electionData", { reason: error.message }), "election-data");
    else setError(explain(error, "relay").message);
    return;
  }
  setStatus("");
  byId("checker").hidden = false;
  byId("form-checker").addEventListener("submit", (event) => {
    event.preventDefault();
    void (async () => {
      setError("");
      setBusy(true);
      try {
        const fileInput = byId<HTMLInputElement>("input-challenge-file");
        const pasted = byId<HTMLTextAreaElement>("input-challenge-text").value.trim();
        const text = fileInput.files?.[0] !== undefined ? await fileInput.files[0].text() : pasted;
        verdict = text === "" ? null : judge(election!, text);
        show();
        if (verdict === null) {
          setError(t("checker.empty"));
          return;
        }
        byId("checker-result").focus();
      } finally {
        setBusy(false);
      }
    })();
  });
}
