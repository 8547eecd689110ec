import fs from "node:fs";
import path from "node:path";
import { writeRecordFolder } from "../../server/audit/record-files";
import { conformanceCases } from "./cases";

/** Writes every case to `dir`/<name>/ (the record files and expected.json), replacing `dir`. */
export async function writeConformanceKit(dir: string): Promise<string[]> {
  const cases = await conformanceCases();
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const { record, expected } of cases) {
    const folder = path.join(dir, expected.name);
    writeRecordFolder(folder, record);
    fs.writeFileSync(path.join(folder, "expected.json"), `${JSON.stringify(expected, null, 2)}\n`);
  }
  fs.writeFileSync(
    path.join(dir, "index.json"),
    `${JSON.stringify(
      cases.map((c) => ({
        name: c.expected.name,
        verdict: c.expected.verdict,
        description: c.expected.description,
      })),
      null,
      2,
    )}\n`,
  );
  return cases.map((c) => c.expected.name);
}
