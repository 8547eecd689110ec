import { expect } from "chai";
import { hexToBytes } from "../../server/protocol/primitives/bytes";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import type { ElectionRecord } from "../../server/protocol/record";
import { ZERO_RUNNING_HASH } from "../../server/protocol/running-hash";
import { recoverAttestationSigners } from "../../server/verification/attestations";
import { directChecker, inspectBallots, noContextChecker } from "../../server/verification/inspection";
import { summarizeIssuances } from "../../server/verification/issuance";
import { LedgerFold } from "../../server/verification/ledger-fold";
import { verifyElection } from "../../server/verification/pipeline";
import { ledgerBallotOf } from "../../server/verification/record";
import { inspectCancellations } from "../../server/verification/reconciliation";
import type { LedgerBallot, VerificationInput } from "../../server/verification/report";
import { electionRulesOf, headerOf } from "../../server/verification/rules";
import { conformanceCases } from "../conformance/cases";

/**
 * The observer keeps a LedgerFold from round to round (ledger-fold.ts) and
 * folds only the ballots checked since: over every conformance record, grown
 * one ballot at a time, the verification with the kept fold is the one made
 * afresh, report and verdicts alike. (When the kept fold must start again
 * instead: the store's generation, test/observer/store.test.ts, and the
 * observer's rounds, test/observer/observer.test.ts.)
 */
describe("verification: the ledger fold kept between rounds", function () {
  this.timeout(300_000);
  let cases: Awaited<ReturnType<typeof conformanceCases>>;

  before(async () => {
    await initCrypto();
    cases = await conformanceCases();
  });

  async function inputsOf(record: ElectionRecord) {
    const header = headerOf(record);
    const rules = electionRulesOf(header);
    const inspections = await inspectBallots(
      rules === null ? noContextChecker : directChecker(rules),
      record.ballots,
      ZERO_RUNNING_HASH,
    );
    const ballots = record.ballots.map((ballot, i) => ledgerBallotOf(ballot, inspections[i]));
    const bytesOf = new Map(record.ballots.map((b) => [b.index, hexToBytes(b.ballot)]));
    const base: Omit<VerificationInput, "ledger"> = {
      header,
      issuance: await summarizeIssuances(record.issuances),
      rejectedByContract: new Map(),
      attestationSigners: await recoverAttestationSigners(header),
      ballotBytes: (indices) => indices.map((index) => bytesOf.get(index)!),
      cancellationChecks: await inspectCancellations(rules, header.channels.cancellations),
    };
    return { ballots, base };
  }

  /** The verification with `kept` grown to `ballots` is the one with a fold made afresh. */
  const same = (
    base: Omit<VerificationInput, "ledger">,
    ballots: readonly LedgerBallot[],
    kept: LedgerFold,
    what: string,
  ) => {
    const fresh = verifyElection(
      { ...base, ledger: LedgerFold.of(ballots, base.header.revotePolicy) },
      { computeTally: true },
    );
    for (const ballot of ballots.slice(kept.size)) kept.add(ballot);
    const folded = verifyElection({ ...base, ledger: kept }, { computeTally: true });
    expect(folded.report, what).to.deep.equal(fresh.report);
    expect(folded.verdicts, what).to.deep.equal(fresh.verdicts);
    expect(kept.size, what).to.equal(ballots.length);
    expect(kept.lastIndex, what).to.equal(ballots.length === 0 ? -1 : ballots[ballots.length - 1].index);
  };

  it("every conformance record, one ballot more each round: the verification made afresh", async () => {
    let compared = 0;
    for (const { record, expected } of cases) {
      const { ballots, base } = await inputsOf(record);
      const fold = new LedgerFold(base.header.revotePolicy);
      for (let n = 0; n <= ballots.length; n++) {
        same(base, ballots.slice(0, n), fold, `${expected.name}, ${n} ballots`);
        compared++;
      }
    }
    expect(compared).to.be.greaterThan(cases.length);
  });
});
