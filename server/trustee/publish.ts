import { toHex, type Address, type Hex } from "viem";
import type { AccountWalletClient } from "../chain/clients";
import type { ChainPublicClient } from "../chain/deploy";
import { sendElectionTx } from "../chain/election-reader";
import { computeTally, type TallyResult } from "../protocol/tally";
import { StepRefusal, silent } from "./errors";
import { tallyRecordedBallots, type RecordedTallyOptions } from "./recorded-tally";
import { currentPhase } from "./session";
import { withSpooledElection, type SpooledElection } from "./spool";

/**
 * `commission publish`: run the one verification over the record
 * (recorded-tally.ts): it recomputes the aggregate of the recorded ballots
 * and judges every posted decryption share against it (V7: the share must be
 * of this aggregate, and every Chaum-Pedersen proof must hold for the
 * trustee's public key share P_i); exclude the bad ones with the reason,
 * combine the valid ones (at least t; any t give the same counts) and post
 * the result.
 * Works with up to n - t trustees absent or excluded.
 */
export interface ShareVerdict {
  trusteeIndex: number;
  valid: boolean;
  reason?: string;
}

export interface PublishOutcome {
  status: "published" | "already-published" | "dry-run";
  result: TallyResult;
  resultBytes: string;
  resultHash: Hex;
  aggregateHash: Hex;
  /** The trustees whose shares were combined. */
  combined: number[];
  shares: ShareVerdict[];
  ballots: { recorded: number; counted: number; superseded: number; excluded: number };
}

export interface PublishOptions extends RecordedTallyOptions {
  /** Compute and check everything but post nothing. */
  dryRun?: boolean;
}

export async function publishResult(
  wallet: AccountWalletClient,
  client: ChainPublicClient,
  election: Address,
  options: PublishOptions = {},
): Promise<PublishOutcome> {
  // The record is spooled to a temporary folder (spool.ts): memory stays flat at any number of ballots.
  return withSpooledElection(client, election, (spooled) =>
    publishSpooled(wallet, client, election, spooled, options),
  );
}

async function publishSpooled(
  wallet: AccountWalletClient,
  client: ChainPublicClient,
  election: Address,
  loaded: SpooledElection,
  options: PublishOptions,
): Promise<PublishOutcome> {
  const progress = options.progress ?? silent;
  const phase = await currentPhase(client, election);
  if (phase !== "Tallying" && phase !== "ResultPublished")
    throw new StepRefusal(
      "wrong-phase",
      `election ${election} is in phase ${phase}: the result is published after voting closes (phase Tallying)`,
    );
  const { context, header: record } = loaded;
  if (context === null)
    throw new StepRefusal("inconsistent-record", "the election has no published joint key");
  const { threshold } = record;

  const tally = await tallyRecordedBallots(loaded, options);
  // V7: which posted shares count (the one verification's judgement, docs/protocol.md 10.7).
  const shares: ShareVerdict[] = [...tally.tally.shareVerdicts].sort(
    (a, b) => a.trusteeIndex - b.trusteeIndex,
  );
  const valid = tally.tally.validShares;
  for (const bad of shares.filter((s) => !s.valid))
    progress(`excluded the decryption share of trustee ${bad.trusteeIndex}: ${bad.reason}`);
  if (valid.length < threshold)
    throw new StepRefusal(
      "not-enough-shares",
      `${valid.length} valid decryption share(s) of ${record.trusteeCount} trustees, ${threshold} needed${
        shares.some((s) => !s.valid)
          ? ` (excluded: ${shares
              .filter((s) => !s.valid)
              .map((s) => `trustee ${s.trusteeIndex}: ${s.reason}`)
              .join("; ")})`
          : ""
      }`,
      "verification-failed",
    );
  progress(`combining the decryption shares of trustees ${valid.map((s) => s.trusteeIndex).join(", ")}`);
  const computed = computeTally(context, tally.aggregate, valid);
  if (!computed.ok) throw new StepRefusal("tally-failed", computed.reason, "verification-failed");

  const outcome = {
    result: computed.result,
    resultBytes: new TextDecoder().decode(computed.bytes),
    resultHash: toHex(computed.hash),
    aggregateHash: tally.aggregateHash,
    combined: valid.map((s) => s.trusteeIndex),
    shares,
    ballots: {
      recorded: tally.recorded,
      counted: tally.counted,
      superseded: tally.superseded,
      excluded: tally.excluded.length,
    },
  };
  if (phase === "ResultPublished") {
    const posted = record.result;
    if (
      posted === null ||
      posted.resultHash.toLowerCase() !== outcome.resultHash ||
      posted.result !== outcome.resultBytes
    )
      throw new StepRefusal(
        "tally-failed",
        `the published result ${posted?.resultHash ?? "(unreadable)"} differs from the recomputed ${outcome.resultHash}`,
        "verification-failed",
      );
    progress("the result is already published and matches the recomputation");
    return { status: "already-published", ...outcome };
  }
  if (options.dryRun) return { status: "dry-run", ...outcome };
  progress(`publishing result ${outcome.resultHash}`);
  await sendElectionTx(wallet, client, election, "publishResult", [
    outcome.resultHash,
    toHex(computed.bytes),
  ]);
  return { status: "published", ...outcome };
}
