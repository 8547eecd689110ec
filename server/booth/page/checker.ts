import { checkChallenge, parseChallengeFile, type ChallengeFile } from "../../audit/challenge";
import { decodeBallot } from "../../protocol/ballot";
import type { ElectionContext } from "../../protocol/context";
import type { Manifest } from "../../protocol/manifest";
import { fromHex } from "../../protocol/primitives/bytes";
import { openWithNonce } from "../../protocol/primitives/elgamal";
import { decodeScalar } from "../../protocol/primitives/group";
import { initCrypto } from "../../protocol/primitives/sodium";
import { byId, clearError, el, setBusy, setStatus, setUpLanguage, showError } from "./dom";
import { loadBoothElection, type BoothElection } from "./election";
import { BoothError, explain } from "./errors";
import { localized, t } from "./i18n";

/**
 * The public checker (checker.html): opens a challenged ballot with the
 * nonces the booth revealed (verifyChallenge, the same function as
 * `ballot-ledger audit challenge FILE`, which reads the same file) and says,
 * with the options' names, one of: the booth was honest (the choices and the
 * tracking code), the booth lied (the ballot encrypts other choices than the
 * booth stated: the key cast-as-intended signal, with whom to report to),
 * the file does not open (damaged, edited, or a faulty booth), it is not a
 * challenge file at all, or it is for another election.
 */
type Verdict =
  | { kind: "ok"; choices: Record<string, string[]>; trackingCode: string }
  | { kind: "lie"; contests: { contestId: string; encrypted: string[]; stated: string[] }[] }
  | { kind: "broken"; reason: string }
  | { kind: "not-a-challenge"; reason: string }
  | { kind: "wrong-election"; election: string };

const reveal = (file: ChallengeFile) =>
  file.reveal as { contests?: { contestId?: unknown; selected?: unknown; nonces?: unknown }[] };

/**
 * What the ballot encrypts according to the revealed nonces, contest by
 * contest, set beside what the reveal states, when every nonce opens its
 * ciphertext (the verdict itself is verifyChallenge's; this only names what
 * differs). Null when the reveal does not open the ballot.
 */
function statedAndEncrypted(context: ElectionContext, file: ChallengeFile) {
  const bytes = fromHex(file.ballot);
  const decoded = bytes === null ? null : decodeBallot(context, bytes);
  const revealed = reveal(file).contests;
  if (decoded === null || !decoded.ok || !Array.isArray(revealed)) return null;
  if (revealed.length !== decoded.ballot.contests.length) return null;
  const contests = [];
  for (const [i, contest] of decoded.ballot.contests.entries()) {
    const { nonces, selected } = revealed[i];
    if (!Array.isArray(nonces) || !Array.isArray(selected) || nonces.length !== contest.selections.length)
      return null;
    const encrypted: string[] = [];
    for (const [j, selection] of contest.selections.entries()) {
      const nonceBytes = typeof nonces[j] === "string" ? fromHex(nonces[j]) : null;
      const nonce = nonceBytes === null ? null : decodeScalar(nonceBytes);
      const value = nonce === null ? null : openWithNonce(context.jointKey, selection.ciphertext, nonce, 1);
      if (value === null) return null;
      if (value === 1) encrypted.push(selection.optionId);
    }
    contests.push({ contestId: contest.contestId, encrypted, stated: selected.map(String) });
  }
  return contests;
}

function judge(election: BoothElection, text: string): Verdict {
  const parsed = parseChallengeFile(text);
  if (!parsed.ok) return { kind: "not-a-challenge", reason: parsed.reason };
  const claimed = parsed.file.election;
  if (claimed !== undefined && claimed.toLowerCase() !== election.context.election.toLowerCase())
    return { kind: "wrong-election", election: claimed };
  const result = checkChallenge(election.context, parsed.file);
  if (result.ok) return { kind: "ok", choices: result.choices, trackingCode: result.trackingCode };
  const opened = statedAndEncrypted(election.context, parsed.file);
  const differing = (opened ?? []).filter(
    (c) => c.encrypted.length !== c.stated.length || c.encrypted.some((id) => !c.stated.includes(id)),
  );
  return differing.length > 0
    ? { kind: "lie", contests: differing }
    : { kind: "broken", reason: result.reason };
}

/** Option titles of a contest, in the manifest's order ("nothing" for none). */
function optionNames(manifest: Manifest, contestId: string, ids: readonly string[]): string {
  const contest = manifest.contests.find((c) => c.id === contestId);
  const names = ids.map((id) => {
    const option = contest?.options.find((o) => o.id === id);
    return option === undefined ? id : localized(option.title);
  });
  return names.length > 0 ? names.join(", ") : t("checker.nothing");
}

const contestName = (manifest: Manifest, contestId: string) => {
  const contest = manifest.contests.find((c) => c.id === contestId);
  return contest === undefined ? contestId : localized(contest.title);
};

function contactOf(manifest: Manifest): string {
  return manifest.commissionContact !== undefined
    ? localized(manifest.commissionContact)
    : t("checker.defaultContact");
}

function renderVerdict(election: BoothElection, verdict: Verdict | null): void {
  const box = byId("checker-result");
  box.replaceChildren();
  box.hidden = verdict === null;
  if (verdict === null) return;
  box.dataset.verdict = verdict.kind;
  const { manifest } = election.context;
  const contact = contactOf(manifest);
  if (verdict.kind === "ok") {
    box.className = "result result-good";
    const list = el("dl", { class: "choices" });
    for (const [contestId, selected] of Object.entries(verdict.choices))
      list.append(
        el(
          "div",
          { class: "choice" },
          el("dt", {}, contestName(manifest, contestId)),
          el("dd", {}, selected.length > 0 ? optionNames(manifest, contestId, selected) : t("review.blank")),
        ),
      );
    box.append(
      el("p", { class: "result-title" }, t("checker.okTitle")),
      list,
      el("p", {}, t("checker.trackingCode", { code: verdict.trackingCode })),
    );
    return;
  }
  if (verdict.kind === "lie") {
    box.className = "result result-alarm";
    box.append(
      el("p", { class: "result-title" }, t("checker.lieTitle")),
      ...verdict.contests.map((c) =>
        el(
          "p",
          {},
          t("checker.lieContest", {
            contest: contestName(manifest, c.contestId),
            encrypted: optionNames(manifest, c.contestId, c.encrypted),
            stated: optionNames(manifest, c.contestId, c.stated),
          }),
        ),
      ),
      el("p", { class: "result-advice" }, t("checker.lieAdvice", { contact })),
    );
    return;
  }
  box.className = "result result-bad";
  if (verdict.kind === "wrong-election") {
    box.append(
      el("p", { class: "result-title" }, t("checker.wrongElection", { election: verdict.election })),
    );
    return;
  }
  const [title, advice] =
    verdict.kind === "broken"
      ? [t("checker.brokenTitle"), t("checker.brokenAdvice", { contact })]
      : [t("checker.notChallengeTitle"), t("checker.notChallengeAdvice")];
  box.append(
    el("p", { class: "result-title" }, title),
    el("p", {}, advice),
    el("p", { class: "error-code" }, t("error.details", { detail: verdict.reason })),
  );
}

export async function startCheckerPage(): Promise<void> {
  let election: BoothElection | null = null;
  let verdict: Verdict | null = null;
  const show = () => {
    if (election !== null) renderVerdict(election, verdict);
  };
  setUpLanguage(show);
  try {
    await initCrypto();
    election = await loadBoothElection();
  } catch (error) {
    showError(() => explain(error, "relay"));
    return;
  } finally {
    byId("loading").hidden = true;
  }
  byId("checker").hidden = false;
  const form = byId("form-checker");
  form.addEventListener("input", () => clearError());
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void (async () => {
      clearError();
      setBusy(true);
      try {
        const fileInput = byId<HTMLInputElement>("input-challenge-file");
        const pasted = byId<HTMLTextAreaElement>("input-challenge-text").value.trim();
        const text = fileInput.files?.[0] !== undefined ? await fileInput.files[0].text() : pasted;
        verdict = text === "" ? null : judge(election!, text);
        show();
        if (verdict === null) throw new BoothError("checker.empty");
        byId("checker-result").focus();
      } catch (error) {
        showError(() => explain(error));
      } finally {
        setBusy(false);
        setStatus("");
      }
    })();
  });
}
