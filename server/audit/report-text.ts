import type { CheckName } from "../verification/findings";
import type { VerificationReport } from "../verification/report";

/** The human-readable form of a verification report, printed by `audit verify` and `observe --once`. */
const CHECK_LABELS: Record<CheckName, string> = {
  manifest: "manifest hash",
  ceremony: "key ceremony",
  registrarKeys: "registrar keys",
  ledger: "ledger",
  ballots: "ballots",
  issuance: "issuance journal",
  decryptionShares: "decryption shares",
  result: "result",
  attestations: "attestations",
  reconciliation: "one person, one channel",
};

const counts = (values: Record<string, number>): string =>
  Object.entries(values)
    .map(([key, n]) => `${key} ${n}`)
    .join(", ");

export function formatReport(report: VerificationReport): string {
  const lines: string[] = [];
  lines.push(
    `election ${report.election} on chain ${report.chainId}, through block ${report.throughBlock} (stage: ${report.stage})`,
  );
  for (const [name, label] of Object.entries(CHECK_LABELS) as [CheckName, string][]) {
    const status = report.checks[name];
    lines.push(`  ${label.padEnd(20, ".")} ${status === "fails" ? "FAILS" : status}`);
  }
  const b = report.ballots;
  const excludedTotal = Object.values(b.excluded).reduce((sum, n) => sum + n, 0);
  const rejectedTotal = Object.values(b.rejectedByContract).reduce((sum, n) => sum + n, 0);
  lines.push(
    `ballots: ${b.recorded} recorded, ${b.counted} counted, ${b.superseded} superseded, ${b.revotes} re-votes, ` +
      `${excludedTotal} excluded${excludedTotal > 0 ? ` (${counts(b.excluded)})` : ""}; ` +
      `${rejectedTotal} refused by the contract${rejectedTotal > 0 ? ` (${counts(b.rejectedByContract)})` : ""}`,
  );
  for (const style of report.styles)
    lines.push(
      `  style ${style.style} (${style.id}): ${style.issued} credentials issued, ${style.voters} voters, ` +
        `${style.recorded} ballots recorded, ${style.counted} counted`,
    );
  if (report.reconciliation.some((r) => r.onlineRoll + r.paperBallots + r.cancellations > 0))
    for (const r of report.reconciliation)
      lines.push(
        `  district ${r.style} (${r.id}): online roll ${r.onlineRoll}, ${r.credentialsIssued} credentials, ` +
          `${r.onlineCounted} online ballots counted, ${r.paperBallots} paper ballots (${r.cancellations} after a cancellation), ` +
          `${r.unused} unused`,
      );
  if (report.tally !== null) {
    lines.push(`tally hash ${report.tally.hash}`);
    lines.push(`tally      ${report.tally.bytes}`);
  }
  const { published, matches } = report.result;
  if (published !== null)
    lines.push(
      `published result ${published.resultHash}: ${matches === true ? "matches the recomputed tally" : "does NOT match the recomputed tally"}`,
    );
  const faults = report.findings.filter((f) => f.severity === "fault");
  const warnings = report.findings.filter((f) => f.severity === "warning");
  if (report.findings.length > 0) {
    lines.push(`findings: ${faults.length} faults, ${warnings.length} warnings`);
    for (const f of [...faults, ...warnings])
      lines.push(
        `  ${f.severity === "fault" ? "FAULT  " : "warning"} ${f.check} ${f.code}  ${f.subject}: ${f.reason}`,
      );
  }
  lines.push(
    report.verdict === "holds"
      ? "verdict: everything holds"
      : report.verdict === "holds-with-warnings"
        ? `verdict: no fault, but ${warnings.length} warnings: not everything holds`
        : `verdict: VERIFICATION FAILED (${faults.length} faults)`,
  );
  return lines.join("\n");
}
