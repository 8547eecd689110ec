import fs from "node:fs";
import path from "node:path";
import type { Address } from "viem";
import { publicClientFor } from "../../server/chain/clients";
import type { ChainPublicClient } from "../../server/chain/deploy";
import { readElectionRecord } from "../../server/chain/election-reader";
import type { ElectionRecord } from "../../server/protocol/record";
import { readRecordFolder, writeRecordFolder } from "../../server/audit/record-files";
import { verifyElectionRecord } from "../../server/verification/record";
import { settle, type Chain } from "./chain";
import { step } from "./progress";

/**
 * Stage 7, the auditor: the whole election record is read from the chain,
 * exported to a folder, and verified offline from that folder alone (the
 * report is written beside it).
 */
export async function exportAndAudit(chain: Chain, election: Address, outDir: string) {
  step("exporting the election record and verifying it offline");
  // The auditor reads from a node of its own (the audit node on the local network).
  const client = publicClientFor(chain.roles.audit);
  await settle(chain, client);
  const recordDir = path.join(outDir, "record");
  const record = await readElectionRecord(client, election);
  writeRecordFolder(recordDir, record);
  const offline = await verifyElectionRecord(await readRecordFolder(recordDir), { threads: 2 });
  const reportFile = path.join(outDir, "audit-report.json");
  fs.writeFileSync(reportFile, `${JSON.stringify(offline.report, null, 2)}\n`);
  return {
    report: offline.report,
    recordDir,
    reportFile,
    gasPerBallot: await gasPerRecordedBallot(client, record),
  };
}

/** Gas of the castBallots transactions divided by the ballots they recorded. */
async function gasPerRecordedBallot(client: ChainPublicClient, record: ElectionRecord) {
  const hashes = [...new Set(record.ballots.map((b) => b.transactionHash))];
  let gas = 0n;
  for (const hash of hashes) gas += (await client.getTransactionReceipt({ hash })).gasUsed;
  return {
    transactions: hashes.length,
    average: hashes.length === 0 ? 0 : Math.round(Number(gas) / record.ballots.length),
    ballotsPerTransaction:
      hashes.length === 0 ? 0 : Math.round((record.ballots.length / hashes.length) * 10) / 10,
  };
}
