import fs from "node:fs";
import path from "node:path";
import type { Address, Hash } from "viem";
import { publicClientFor } from "../../server/chain/clients";
import type { ChainPublicClient } from "../../server/chain/deploy";
import { exportElectionRecord, openRecordFolder } from "../../server/audit/record-files";
import { verifyRecordSource, type RecordSource } from "../../server/verification/record";
import { settle, type Chain } from "./chain";
import { step } from "./progress";

/**
 * Stage 7, the auditor: the whole election record is read from the chain,
 * exported to a folder, and verified offline from that folder alone (the
 * report is written beside it). Both stream the record (docs/record.md):
 * neither holds every ballot.
 */
export async function exportAndAudit(chain: Chain, election: Address, outDir: string) {
  step("exporting the election record and verifying it offline");
  // The auditor reads from a node of its own (the audit node on the local network).
  const client = publicClientFor(chain.roles.audit);
  await settle(chain, client);
  const recordDir = path.join(outDir, "record");
  await exportElectionRecord(client, election, recordDir);
  const source = openRecordFolder(recordDir);
  const offline = await verifyRecordSource(source, { threads: 2 });
  const reportFile = path.join(outDir, "audit-report.json");
  fs.writeFileSync(reportFile, `${JSON.stringify(offline.report, null, 2)}\n`);
  return {
    report: offline.report,
    recordDir,
    reportFile,
    gasPerBallot: await gasPerRecordedBallot(client, source),
  };
}

/** Gas of the castBallots transactions divided by the ballots they recorded. */
async function gasPerRecordedBallot(client: ChainPublicClient, source: RecordSource) {
  const hashes = new Set<Hash>();
  for await (const ballot of source.ballots()) hashes.add(ballot.transactionHash);
  const ballots = source.counts.ballots;
  let gas = 0n;
  for (const hash of hashes) gas += (await client.getTransactionReceipt({ hash })).gasUsed;
  return {
    transactions: hashes.size,
    average: hashes.size === 0 ? 0 : Math.round(Number(gas) / ballots),
    ballotsPerTransaction: hashes.size === 0 ? 0 : Math.round((ballots / hashes.size) * 10) / 10,
  };
}
