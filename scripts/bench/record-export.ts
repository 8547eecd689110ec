/**
 * The export stage of `npm run bench:record`, a process of its own: what
 * `ballot-ledger audit export` does (exportElectionRecord: page by page into
 * the record folder), with eth_getLogs pages of --page-blocks blocks. The CLI
 * reads pages of 2,000 blocks (log-pages.ts), which on a dense chain exceed
 * viem's 10 MB response limit. Prints one JSON object on stdout.
 *
 *   npx tsx scripts/bench/record-export.ts --rpc URL --chain-id N --election 0x.. --out DIR --page-blocks B
 */
import type { Address } from "viem";
import { exportElectionRecord } from "../../server/audit/record-files";
import { publicClientFor } from "../../server/chain/clients";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import { cpuSeconds, peakRssMiB } from "./proc";

function option(name: string): string {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0 || process.argv[at + 1] === undefined) throw new Error(`--${name} is required`);
  return process.argv[at + 1];
}

async function main() {
  await initCrypto();
  const client = publicClientFor({ rpcUrl: option("rpc"), chainId: Number(option("chain-id")) });
  const { counts } = await exportElectionRecord(client, option("election") as Address, option("out"), {
    pageSize: BigInt(option("page-blocks")),
  });
  console.log(
    JSON.stringify({
      ballots: counts.ballots,
      issuances: counts.issuances,
      cpuSeconds: cpuSeconds(process.pid),
      peakRssMiB: peakRssMiB(process.pid),
    }),
  );
}

main().catch((error: unknown) => {
  console.error(`record-export: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
