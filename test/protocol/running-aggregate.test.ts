/**
 * Incremental counting (server/verification/result.ts RunningAggregate): the
 * aggregate kept from one verification to the next, updated with only the
 * ballots newly counted or no longer counted, must be byte for byte the
 * aggregate of the counted set computed afresh, with the same V8.1 findings,
 * through re-votes (a counted ballot superseded), undecodable counted bytes
 * and a change of election.
 */
import { expect } from "chai";
import { encryptBallot } from "../../server/protocol/ballot";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import { encodeAggregate } from "../../server/protocol/tally";
import { Findings } from "../../server/verification/findings";
import type { LedgerVerdict } from "../../server/verification/report";
import { aggregateCounted, RunningAggregate } from "../../server/verification/result";
import { dummyCredential, largerManifest, nullifierOf, referenceManifest, setupElection } from "./fixtures";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("protocol: incremental counting (running aggregate)", function () {
  this.timeout(60_000);
  let election: ReturnType<typeof setupElection>;
  let bytes: Uint8Array[];

  before(async () => {
    await initCrypto();
    election = setupElection(largerManifest());
    bytes = Array.from(
      { length: 10 },
      (_, i) =>
        encryptBallot(
          election.context,
          0,
          {
            "party-list": [`party-list-option-${1 + (i % 5)}`],
            council: i % 3 === 0 ? [] : [`council-option-${1 + i}`],
          },
          nullifierOf(i + 1),
          dummyCredential(),
        ).bytes,
    );
    // Ballot 7 is counted but its bytes do not decode (V8.1).
    bytes[7] = bytes[7].slice(0, 100);
  });

  const input = () => {
    const asked: number[] = [];
    return {
      asked,
      ballots: [],
      ballotBytes: (indices: readonly number[]) => {
        asked.push(...indices);
        return indices.map((i) => bytes[i]);
      },
    };
  };
  const verdictsOf = (counted: number[]): LedgerVerdict[] =>
    bytes.map((_, index) =>
      counted.includes(index)
        ? { index, status: "counted" }
        : { index, status: "superseded", supersededBy: null },
    );
  const fresh = (counted: number[]) => {
    const findings = new Findings();
    const aggregate = aggregateCounted(input(), election.context, verdictsOf(counted), findings);
    return { bytes: hex(encodeAggregate(aggregate)), findings: findings.list };
  };

  it("equals the fresh aggregate after every round, reading only the ballots that changed", () => {
    const running = new RunningAggregate();
    const rounds = [
      [0, 1, 2],
      [0, 1, 2, 3, 4],
      [1, 3, 4, 5],
      [1, 3, 4, 5, 7, 8],
      [3, 5, 8, 9],
      [],
      [2, 6, 9],
    ];
    let previous: number[] = [];
    for (const counted of rounds) {
      const findings = new Findings();
      const source = input();
      const aggregate = aggregateCounted(source, election.context, verdictsOf(counted), findings, running);
      const expected = fresh(counted);
      expect(hex(encodeAggregate(aggregate))).to.equal(expected.bytes);
      expect(findings.list).to.deep.equal(expected.findings);
      const changed = [
        ...previous.filter((i) => !counted.includes(i)),
        ...counted.filter((i) => !previous.includes(i)),
      ];
      expect([...source.asked].sort()).to.deep.equal(changed.sort());
      previous = counted;
    }
    expect(fresh([1, 3, 4, 5, 7, 8]).findings.map((f) => `${f.check}/${f.code}/${f.ballot}`)).to.deep.equal([
      "V8.1/counted-undecodable/7",
    ]);
  });

  it("starts again for another election", () => {
    const running = new RunningAggregate();
    aggregateCounted(input(), election.context, verdictsOf([0, 1]), new Findings(), running);
    const other = setupElection(referenceManifest());
    const otherBytes = [0, 1].map(
      (i) =>
        encryptBallot(
          other.context,
          0,
          { "party-list": ["party-list-option-2"] },
          nullifierOf(i + 1),
          dummyCredential(),
        ).bytes,
    );
    const source = {
      ballots: [],
      ballotBytes: (indices: readonly number[]) => indices.map((i) => otherBytes[i]),
    };
    const verdicts: LedgerVerdict[] = [
      { index: 0, status: "counted" },
      { index: 1, status: "counted" },
    ];
    const again = aggregateCounted(source, other.context, verdicts, new Findings(), running);
    const afresh = aggregateCounted(source, other.context, verdicts, new Findings());
    expect(hex(encodeAggregate(again))).to.equal(hex(encodeAggregate(afresh)));
    expect(again.ballots).to.equal(2);
  });
});
