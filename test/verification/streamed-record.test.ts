import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { openRecordFolder, readRecordFolder, writeRecordFolder } from "../../server/audit/record-files";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import type { ElectionRecord } from "../../server/protocol/record";
import {
  verifyElectionRecord,
  verifyRecordSource,
  type RecordSource,
} from "../../server/verification/record";
import { conformanceCases } from "../conformance/cases";
import type { ConformanceCase } from "../conformance/kit";

/**
 * `audit verify` streams the record (server/verification/record.ts): the
 * ballots are read from ballots.jsonl in chunks, only their LedgerBallot kept,
 * and the counted ballots' bytes read again in a second pass. Read in chunks
 * far smaller than the record (a re-vote's two ballots in different chunks, a
 * bad ballot among them), the report is the one of the record held in memory
 * and the conformance kit's expectation; a record whose indices repeat takes
 * the last ballot of an index, as a lookup by index does; a folder changed
 * between the two passes is refused, never aggregated.
 */
describe("verification: a record streamed in chunks", function () {
  this.timeout(300_000);
  let cases: Map<string, ConformanceCase>;
  let tmp: string;

  before(async () => {
    await initCrypto();
    cases = new Map((await conformanceCases()).map((c) => [c.expected.name, c]));
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "streamed-record-"));
  });

  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const folderOf = (name: string, record: ElectionRecord) => {
    const dir = path.join(tmp, name);
    writeRecordFolder(dir, record);
    return dir;
  };

  for (const name of ["honest-revotes-absent-trustee", "fault-ballot-bad-proof", "fault-missing-ballot-line"])
    it(`${name}: chunks of 1, 2 and 4 ballots give the report of the record in memory`, async () => {
      const { record, expected } = cases.get(name)!;
      const whole = await verifyElectionRecord(structuredClone(record), { threads: 0 });
      expect(whole.report.tally?.hash ?? null).to.equal(expected.tallyHash);
      const dir = folderOf(name, record);
      expect(await readRecordFolder(dir)).to.deep.equal(record);
      for (const chunkBallots of [1, 2, 4]) {
        const streamed = await verifyRecordSource(openRecordFolder(dir), { threads: 0, chunkBallots });
        expect(streamed.report, `chunks of ${chunkBallots}`).to.deep.equal(whole.report);
        expect(streamed.verdicts).to.deep.equal(whole.verdicts);
      }
    });

  it("a repeated index: the last ballot of the index is aggregated, in memory and streamed alike", async () => {
    const record = structuredClone(cases.get("honest-revotes-absent-trustee")!.record);
    expect(record.ballots.length).to.be.greaterThan(3);
    record.ballots[3].index = 1;
    const whole = await verifyElectionRecord(structuredClone(record), { threads: 0 });
    expect(whole.report.findings.map((f) => f.check)).to.include("V4.1");
    const streamed = await verifyRecordSource(openRecordFolder(folderOf("repeated-index", record)), {
      threads: 0,
      chunkBallots: 2,
    });
    expect(streamed.report).to.deep.equal(whole.report);
  });

  it("refuses ballot bytes that changed between the two passes", async () => {
    const name = "honest-revotes-absent-trustee";
    const source = openRecordFolder(folderOf("changed", cases.get(name)!.record));
    const changed: RecordSource = {
      ...source,
      *ballotBytesAt(positions) {
        for (const bytes of source.ballotBytesAt(positions)) {
          const copy = new Uint8Array(bytes);
          copy[copy.length - 1] ^= 1;
          yield copy;
        }
      },
    };
    const error = await verifyRecordSource(changed, { threads: 0, chunkBallots: 2 }).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(error?.message).to.match(/bytes changed between the two reads of the record/);
  });
});
