import type { Hex } from "viem";
import { decodeCredentialFields, recoverCancellationSigner } from "../protocol/channel";
import { verifyCredential } from "../protocol/credential";
import { nullifierOf } from "../protocol/eip712";
import type { Manifest } from "../protocol/manifest";
import { fromHex } from "../protocol/primitives/bytes";
import type { RecordChannels } from "../protocol/record";
import { sameHex, type Findings } from "./findings";
import type { StyleCounts } from "./ledger-fold";
import type { VerificationInput } from "./report";
import type { ElectionRules } from "./rules";

/**
 * V10, one person, one channel (docs/protocol.md 11.6): the online roll
 * (V10.1), every journal key of an issuance or a paper ballot on it (V10.2),
 * never both channels under one key without a cancellation (V10.3), every
 * cancellation signed by a credential holder of the style, allowed by the
 * manifest and matched by the paper ballot (V10.4), and per district the
 * conservation of the counts (V10.5):
 *
 *   I + (P - X) <= R        (roll-exceeded)
 *   B + X       <= I        (online-exceeds-credentials)
 *
 * R online roll size, I credentials issued, B online ballots counted, P paper
 * ballots recorded for online-roll voters, X cancellations (each followed by
 * its paper ballot). The per-key checks apply once the election published a
 * roll; the counts are published either way.
 */
export interface ReconciliationRow {
  style: number;
  id: string;
  onlineRoll: number;
  credentialsIssued: number;
  onlineCounted: number;
  paperBallots: number;
  cancellations: number;
  /** Roll voters who used neither channel (yet): R - I - (P - X). */
  unused: number;
}

/** The outcome of one cancellation's signature and credential (computed before the synchronous checks). */
export interface CancellationCheck {
  nullifier: Hex;
  ok: boolean;
  reason: string;
}

/** Recovers each cancellation's voting address and checks its credential for the style (docs/protocol.md 11.4). */
export async function inspectCancellations(
  rules: ElectionRules | null,
  cancellations: RecordChannels["cancellations"],
): Promise<CancellationCheck[]> {
  return Promise.all(
    cancellations.map(async (c): Promise<CancellationCheck> => {
      const fail = (reason: string) => ({ nullifier: c.nullifier, ok: false, reason });
      if (rules === null) return fail("no valid joint key and manifest to check the cancellation against");
      const { context } = rules;
      const signer = await recoverCancellationSigner(context, c);
      if (signer === null) return fail("the signature does not recover");
      const nullifier = nullifierOf(context.election, signer);
      if (!sameHex(nullifier, c.nullifier))
        return fail(`the signer's nullifier is ${nullifier}, the event says ${c.nullifier}`);
      const bytes = fromHex(c.credential);
      const credential = bytes === null ? null : decodeCredentialFields(bytes);
      if (credential === null) return fail("the credential is not LP(prefix) || LP(signature)");
      const modulus = rules.registrarKeys.get(c.style);
      if (modulus === undefined) return fail(`no registrar key for style ${c.style}`);
      const check = await verifyCredential(context, c.style, signer, credential, modulus);
      return check.ok ? { nullifier, ok: true, reason: "" } : fail(check.reason);
    }),
  );
}

/** The nullifiers cancelled on chain: every ballot under them is superseded (counting, 11.4). */
export const cancelledNullifiers = (channels: RecordChannels): Set<string> =>
  new Set(channels.cancellations.map((c) => c.nullifier.toLowerCase()));

export function checkReconciliation(
  manifest: Manifest,
  input: Pick<VerificationInput, "header" | "issuance" | "cancellationChecks">,
  ballotsPerStyle: ReadonlyMap<number, StyleCounts>,
  findings: Findings,
): ReconciliationRow[] {
  const { channels } = input.header;
  const styles = manifest.ballotStyles;
  const styleName = (style: number) => `style ${style} (${styles[style]?.id ?? "unknown"})`;
  const known = (style: number) => style >= 0 && style < styles.length;

  // V10.1: the roll.
  const roll = new Map<string, number>();
  for (const chunk of channels.onlineRoll) {
    if (!known(chunk.style))
      findings.fault(
        "V10.1",
        "roll-unknown-style",
        `style ${chunk.style}`,
        "an online roll for an unknown style",
        {
          style: chunk.style,
        },
      );
    for (const key of chunk.voterIdHashes) {
      const lower = key.toLowerCase();
      if (roll.has(lower))
        findings.fault(
          "V10.1",
          "duplicate-roll-entry",
          `voter ${key}`,
          "a journal key published twice on the online roll",
        );
      else roll.set(lower, chunk.style);
    }
  }
  const rollPublished = channels.onlineRoll.length > 0;
  const onRoll = (key: Hex, style: number) => roll.get(key.toLowerCase()) === style;

  // V10.2 and V10.3: the journal keys of issuances and paper ballots.
  const issued = input.issuance.keys;
  if (rollPublished)
    for (const [key, issuance] of issued)
      if (!onRoll(key as Hex, issuance.style))
        findings.fault(
          "V10.2",
          "issuance-not-on-roll",
          `voter ${key}`,
          `a credential of ${styleName(issuance.style)} under a key that is not on that style's online roll`,
          { style: issuance.style },
        );
  const cancelledKeys = new Map(channels.cancellations.map((c) => [c.voterIdHash.toLowerCase(), c]));
  const paperKeys = new Set<string>();
  for (const paper of channels.paperBallots) {
    const key = paper.voterIdHash.toLowerCase();
    const subject = `voter ${paper.voterIdHash}`;
    if (paperKeys.has(key))
      findings.fault("V10.3", "duplicate-paper", subject, "a second paper ballot recorded for one voter");
    paperKeys.add(key);
    if (rollPublished && !onRoll(paper.voterIdHash, paper.style))
      findings.fault(
        "V10.2",
        "paper-not-on-roll",
        subject,
        `a paper ballot of ${styleName(paper.style)} under a key that is not on that style's online roll`,
        { style: paper.style },
      );
    const issuance = issued.get(key);
    if (issuance !== undefined && !cancelledKeys.has(key))
      findings.fault(
        "V10.3",
        BigInt(issuance.blockNumber) <= BigInt(paper.blockNumber)
          ? "paper-after-credential"
          : "credential-after-paper",
        subject,
        `a credential (block ${issuance.blockNumber}) and a paper ballot (block ${paper.blockNumber}) under one key, without a cancellation`,
        { style: paper.style },
      );
  }

  // V10.4: cancellations.
  const seenNullifiers = new Set<string>();
  channels.cancellations.forEach((c, i) => {
    const subject = `cancellation of voter ${c.voterIdHash}`;
    const target = { style: c.style };
    if (manifest.paperCancellation !== "at-precinct")
      findings.fault(
        "V10.4",
        "cancellation-not-allowed",
        subject,
        "the manifest allows no cancellation",
        target,
      );
    const check = input.cancellationChecks[i];
    if (check === undefined || !sameHex(check.nullifier, c.nullifier))
      findings.fault(
        "V10.4",
        "cancellation-invalid-credential",
        subject,
        "the cancellation was not checked",
        target,
      );
    else if (!check.ok)
      findings.fault("V10.4", "cancellation-invalid-credential", subject, check.reason, target);
    const key = c.voterIdHash.toLowerCase();
    const issuance = issued.get(key);
    if (issuance === undefined)
      findings.fault(
        "V10.4",
        "cancellation-without-credential",
        subject,
        "no credential was issued under this key",
        target,
      );
    else if (issuance.style !== c.style)
      findings.fault(
        "V10.4",
        "cancellation-style-mismatch",
        subject,
        `cancels a credential of style ${c.style}, the key's credential is of style ${issuance.style}`,
        target,
      );
    if (!channels.paperBallots.some((p) => sameHex(p.voterIdHash, c.voterIdHash) && p.style === c.style))
      findings.fault(
        "V10.4",
        "cancellation-without-paper",
        subject,
        "no paper ballot of its style follows it",
        target,
      );
    if (seenNullifiers.has(c.nullifier.toLowerCase()))
      findings.fault(
        "V10.4",
        "duplicate-cancellation",
        subject,
        `nullifier ${c.nullifier} cancelled twice`,
        target,
      );
    seenNullifiers.add(c.nullifier.toLowerCase());
  });

  // V10.5: conservation per district.
  const rows: ReconciliationRow[] = styles.map((style, i) => ({
    style: i,
    id: style.id,
    onlineRoll: 0,
    credentialsIssued: input.issuance.perStyle.get(i) ?? 0,
    onlineCounted: 0,
    paperBallots: 0,
    cancellations: 0,
    unused: 0,
  }));
  for (const style of roll.values()) if (rows[style] !== undefined) rows[style].onlineRoll++;
  for (const paper of channels.paperBallots)
    if (rows[paper.style] !== undefined) rows[paper.style].paperBallots++;
  for (const c of channels.cancellations) if (rows[c.style] !== undefined) rows[c.style].cancellations++;
  for (const row of rows) row.onlineCounted = ballotsPerStyle.get(row.style)?.counted ?? 0;
  for (const row of rows) {
    const freshPaper = row.paperBallots - row.cancellations;
    row.unused = row.onlineRoll - row.credentialsIssued - freshPaper;
    const subject = styleName(row.style);
    if (rollPublished && row.credentialsIssued + freshPaper > row.onlineRoll)
      findings.fault(
        "V10.5",
        "roll-exceeded",
        subject,
        `${row.credentialsIssued} credentials and ${freshPaper} paper ballots without cancellation for an online roll of ${row.onlineRoll}`,
        { style: row.style },
      );
    if (row.onlineCounted + row.cancellations > row.credentialsIssued)
      findings.fault(
        "V10.5",
        "online-exceeds-credentials",
        subject,
        `${row.onlineCounted} online ballots counted and ${row.cancellations} cancellations for ${row.credentialsIssued} credentials`,
        { style: row.style },
      );
  }
  return rows;
}
