import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import type { VerificationReport } from "../../server/verification/report";
import type { Expected } from "./kit";
import { writeConformanceKit } from "./write";

/**
 * The conformance kit (docs/record.md): the generator is byte-stable (a
 * fresh build is the committed test/conformance/records/, file for file),
 * and `audit verify` reaches on every record exactly the expected verdict,
 * exit code, findings (check number, code, severity, subject), ballot counts
 * and tally hash.
 */
const RECORDS = path.join(__dirname, "records");
const CLI = path.join(__dirname, "..", "..", "bin", "ballot-ledger.cjs");

function filesOf(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) =>
      entry.isDirectory()
        ? filesOf(path.join(dir, entry.name)).map((f) => path.join(entry.name, f))
        : [entry.name],
    )
    .sort();
}

const findingKey = (f: { check: string; code: string; severity: string; subject: string }) =>
  `${f.check} ${f.code} ${f.severity} ${f.subject}`;

describe("conformance kit: byte-stable records with the verdict every verifier must reach", function () {
  this.timeout(600_000);
  const names = fs
    .readdirSync(RECORDS, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();

  it("regenerates the committed records byte for byte (npm run conformance)", async () => {
    await initCrypto();
    const fresh = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "conformance-")), "records");
    try {
      const built = await writeConformanceKit(fresh);
      expect(built.slice().sort()).to.deep.equal(names);
      expect(filesOf(fresh)).to.deep.equal(filesOf(RECORDS));
      for (const file of filesOf(RECORDS))
        expect(fs.readFileSync(path.join(fresh, file)).toString("hex"), file).to.equal(
          fs.readFileSync(path.join(RECORDS, file)).toString("hex"),
        );
    } finally {
      fs.rmSync(path.dirname(fresh), { recursive: true, force: true });
    }
  });

  it("has honest and faulty records, warnings-only among them", () => {
    const verdicts = names.map(
      (name) =>
        (JSON.parse(fs.readFileSync(path.join(RECORDS, name, "expected.json"), "utf8")) as Expected).verdict,
    );
    expect(verdicts).to.include.members(["holds", "holds-with-warnings", "fails"]);
    expect(names).to.include.members([
      "honest-revotes-absent-trustee",
      "honest-restarted-ceremony",
      "fault-missing-ballot-line",
      "fault-share-for-another-aggregate",
      "fault-manifest-pretty-printed",
    ]);
  });

  for (const name of names)
    it(`audit verify ${name}: the expected verdict, exit code, findings and tally hash`, () => {
      const expected = JSON.parse(
        fs.readFileSync(path.join(RECORDS, name, "expected.json"), "utf8"),
      ) as Expected;
      const cli = spawnSync(
        process.execPath,
        [CLI, "audit", "verify", path.join(RECORDS, name), "--json", "--threads", "0"],
        {
          encoding: "utf8",
        },
      );
      expect(cli.status, cli.stderr).to.equal(expected.exitCode);
      const report = JSON.parse(cli.stdout) as VerificationReport;
      expect(report.verdict).to.equal(expected.verdict);
      expect(report.findings.map(findingKey).sort()).to.deep.equal(expected.findings.map(findingKey).sort());
      expect(report.ballots).to.deep.include(expected.ballots);
      expect(report.tally?.hash ?? null).to.equal(expected.tallyHash);
      expect(report.tally?.bytes ?? null).to.equal(expected.tallyBytes);
    });
});
