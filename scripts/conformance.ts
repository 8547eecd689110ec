/**
 * The conformance kit for other verifiers (docs/record.md, "Conformance kit"):
 *
 *   npm run conformance      (package.json: "conformance": "tsx scripts/conformance.ts")
 *
 * rebuilds test/conformance/records/: one folder per case, each an election
 * record in the export layout plus expected.json (verdict, exit code,
 * findings with check number, code and subject, ballot counts, tally bytes
 * and hash). Deterministic: the same bytes on every run
 * (test/conformance/conformance.test.ts checks it).
 */
import path from "node:path";
import { initCrypto } from "../server/protocol/primitives/sodium";
import { writeConformanceKit } from "../test/conformance/write";

async function main() {
  await initCrypto();
  const dir = path.join(__dirname, "..", "test", "conformance", "records");
  const names = await writeConformanceKit(dir);
  process.stderr.write(`wrote ${names.length} conformance records to ${dir}\n`);
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
