import type { Hex } from "viem";
import type { LoadedElection } from "../chain/election-reader";
import type { ElectionContext } from "../protocol/context";
import type { Aggregate } from "../protocol/tally";
import { recordSourceOf, verifyRecordSource } from "../verification/record";
import type { LedgerVerdict, TallyOutcome, Verification } from "../verification/report";
import { StepRefusal, silent, type Progress } from "./errors";
import type { SpooledElection } from "./spool";

/**
 * The aggregate of the recorded ballots, computed the way every trustee, the
 * commission and every observer computes it: the one verification
 * (server/verification, docs/protocol.md section 10) over the record read
 * from the chain, whose ballots are counted by the counting rules of V5 (a
 * ballot that fails any per-ballot check, bytes-mismatch included, is
 * excluded and the others counted, exactly as observers do). A trustee
 * decrypts nothing, and the commission publishes nothing, when the ledger
 * checks V4 fail: then the ballots read are not the ones the contract
 * recorded. Nothing from outside the chain enters it. The trustees and the
 * commission verify the record spooled from the chain (spool.ts), in flat
 * memory; a record in memory (tests) is verified the same way.
 */
export interface RecordedTally {
  context: ElectionContext;
  aggregate: Aggregate;
  aggregateHash: Hex;
  recorded: number;
  counted: number;
  superseded: number;
  excluded: { index: number; code: string; reason: string }[];
  verdicts: LedgerVerdict[];
  /** The decryption shares as V7 judges them and the result as V8 recomputes it. */
  tally: TallyOutcome;
  verification: Verification;
}

export interface RecordedTallyOptions {
  /**
   * Worker threads for the ballot checks: 0 checks in this thread; default: every core when there
   * are enough ballots to pay for starting the workers, else this thread.
   */
  threads?: number;
  progress?: Progress;
}

export async function tallyRecordedBallots(
  loaded: LoadedElection | SpooledElection,
  options: RecordedTallyOptions = {},
): Promise<RecordedTally> {
  const progress = options.progress ?? silent;
  if (loaded.context === null)
    throw new StepRefusal("wrong-phase", "the election has no joint key yet: there is nothing to tally");
  const source = "source" in loaded ? loaded.source : recordSourceOf(loaded.record);
  const verification = await verifyRecordSource(source, { threads: options.threads, progress });
  const ledgerFaults = verification.report.findings.filter(
    (f) => f.severity === "fault" && f.kind === "ledger",
  );
  if (ledgerFaults.length > 0)
    throw new StepRefusal(
      "inconsistent-record",
      `the ballots read are not the contract's ledger: ${ledgerFaults.map((f) => `${f.check} ${f.code}: ${f.reason}`).join("; ")}`,
      "verification-failed",
    );
  const { tally, verdicts, context } = verification;
  if (tally === null || context === null)
    throw new StepRefusal(
      "inconsistent-record",
      "the record's joint key does not give a context to count under",
    );
  progress(`read ${verdicts.length} recorded ballots; the running hash matches the contract`);
  const excluded = verdicts.flatMap((v) =>
    v.status === "excluded" ? [{ index: v.index, code: v.code, reason: v.reason }] : [],
  );
  const superseded = verdicts.filter((v) => v.status === "superseded").length;
  const counted = verdicts.filter((v) => v.status === "counted").length;
  progress(`counted ${counted} ballots (${superseded} superseded by a re-vote, ${excluded.length} excluded)`);
  return {
    context,
    aggregate: tally.aggregate,
    aggregateHash: tally.aggregateHash,
    recorded: verdicts.length,
    counted,
    superseded,
    excluded,
    verdicts,
    tally,
    verification,
  };
}
