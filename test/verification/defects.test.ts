import { expect } from "chai";
import { loadedElectionOf } from "../../server/chain/election-reader";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import { StepRefusal } from "../../server/trustee/errors";
import { tallyRecordedBallots } from "../../server/trustee/recorded-tally";
import { verifyElectionRecord } from "../../server/verification/record";
import { conformanceCases } from "../conformance/cases";
import type { ConformanceCase } from "../conformance/kit";

/**
 * The four defects of issue 14, each on a conformance record (built in
 * memory), each a test that failed before the fix:
 *  - a ballot line missing gave shifted per-style figures and a false
 *    more-counted-than-issued;
 *  - a decryption share posted for another aggregate still counted;
 *  - a pretty-printed manifest.json verified although docs/record.md says its
 *    bytes must hash to manifestHash;
 *  - the trustees' tally refused a whole record on a bytes-mismatch ballot
 *    that the observers exclude.
 */
describe("verification: the defects of issue 14", function () {
  this.timeout(300_000);
  let cases: Map<string, ConformanceCase>;
  const recordOf = (name: string) => structuredClone(cases.get(name)!.record);

  before(async () => {
    await initCrypto();
    cases = new Map((await conformanceCases()).map((c) => [c.expected.name, c]));
  });

  it("a missing ballot line fails the ledger checks only; per-style figures are those of the remaining ballots", async () => {
    const { report } = await verifyElectionRecord(recordOf("fault-missing-ballot-line"), { threads: 0 });
    expect(report.findings.map((f) => f.code)).to.not.include("more-counted-than-issued");
    expect(report.findings.every((f) => f.kind === "ledger")).to.equal(true);
    // north: ann (2 ballots, the first superseded), ben; south: cat's re-vote (its first line is missing), dan.
    expect(report.styles.map((s) => [s.id, s.issued, s.recorded, s.voters, s.counted])).to.deep.equal([
      ["north", 2, 3, 2, 2],
      ["south", 2, 2, 2, 2],
    ]);
  });

  it("a decryption share posted for another aggregate does not count", async () => {
    const { report, tally } = await verifyElectionRecord(recordOf("fault-share-for-another-aggregate"), {
      threads: 0,
    });
    expect(tally!.shareVerdicts.map((s) => [s.trusteeIndex, s.valid])).to.deep.equal([
      [1, true],
      [2, false],
    ]);
    expect(tally!.validShares.map((s) => s.trusteeIndex)).to.deep.equal([1]);
    expect(report.result.own).to.equal(null);
    expect(report.result.matches).to.equal(false);
    expect(report.tally!.canonical.result).to.equal(null);
  });

  it("manifest.json must be the canonical bytes: a pretty-printed copy fails V1.2 and V1.3", async () => {
    const { report } = await verifyElectionRecord(recordOf("fault-manifest-pretty-printed"), { threads: 0 });
    expect(report.findings.map((f) => `${f.check} ${f.code}`)).to.deep.equal([
      "V1.2 manifest-not-canonical",
      "V1.3 manifest-hash-mismatch",
    ]);
    // Q0 and Q take the hash of the canonical bytes: the ceremony and every ballot still verify.
    expect(report.checks).to.include({ ceremony: "holds", ballots: "holds", result: "holds" });
  });

  it("the trustees' tally excludes a bytes-mismatch ballot as observers do, and aggregates the same", async () => {
    const record = recordOf("fault-ballot-bytes-mismatch");
    const trustee = await tallyRecordedBallots(loadedElectionOf(record), { threads: 0 });
    const observer = await verifyElectionRecord(record, { threads: 0 });
    expect(trustee.excluded.map((e) => [e.index, e.code])).to.deep.equal([[1, "bytes-mismatch"]]);
    expect(trustee.counted).to.equal(2);
    expect(trustee.aggregateHash).to.equal(observer.tally!.aggregateHash);
    expect(trustee.verdicts).to.deep.equal(observer.verdicts);
  });

  it("the trustees refuse to decrypt when the ballots read are not the contract's ledger (V4)", async () => {
    const record = recordOf("fault-missing-ballot-line");
    const refused = await tallyRecordedBallots(loadedElectionOf(record), { threads: 0 }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refused).to.be.instanceOf(StepRefusal);
    expect((refused as StepRefusal).code).to.equal("inconsistent-record");
    expect((refused as StepRefusal).message).to.match(/V4\.3 count-mismatch/);
  });
});
