import { toHex, type Hex } from "viem";
import { sendElectionTx } from "../chain/election-reader";
import { publicKeyShare } from "../protocol/ceremony";
import { baseMul, pointEquals, type Scalar } from "../protocol/primitives/group";
import { createDecryptionShare, verifyDecryptionShare } from "../protocol/tally";
import { checkedRoundKeys, readRoundState, secretShareOfRound } from "./ceremony-step";
import { StepRefusal, silent, type Progress } from "./errors";
import { tallyRecordedBallots, type RecordedTallyOptions } from "./recorded-tally";
import type { TrusteeSession } from "./session";
import { withSpooledElection, type SpooledElection } from "./spool";

/**
 * `trustee decrypt`: after voting closes, the trustee computes the aggregate
 * of the recorded ballots itself (recorded-tally.ts) and posts its
 * decryption share of that aggregate, with a Chaum-Pedersen proof per option.
 * There is no way to hand it a ciphertext: the only thing it ever applies its
 * secret key share to is the aggregate it built from the chain, so it cannot
 * be made to decrypt a single ballot or a chosen subset.
 */
export interface DecryptionOutcome {
  status: "posted" | "already-posted";
  trusteeIndex: number;
  aggregateHash: Hex;
  /** How the recorded ballots were counted (null when the share was already posted: nothing recounted). */
  ballots: { recorded: number; counted: number; superseded: number; excluded: number } | null;
  /** Trustees whose posted shares refer to another aggregate (they counted differently). */
  disagreeing: number[];
}

export async function runDecryption(
  session: TrusteeSession,
  options: RecordedTallyOptions = {},
): Promise<DecryptionOutcome> {
  // The record is spooled to a temporary folder (spool.ts): memory stays flat at any number of ballots.
  return withSpooledElection(session.client, session.election, (spooled) =>
    decryptSpooled(session, spooled, options),
  );
}

async function decryptSpooled(
  session: TrusteeSession,
  spooled: SpooledElection,
  options: RecordedTallyOptions,
): Promise<DecryptionOutcome> {
  const progress: Progress = options.progress ?? silent;
  const { keystore, client, wallet, election } = session;
  const state = await readRoundState(client, election, wallet.account.address, spooled);
  const { round } = state;
  const { decryptionShares } = spooled.header;
  if (state.phase !== "Tallying") {
    const posted = decryptionShares.find((s) => state.myIndex !== 0 && s.trusteeIndex === state.myIndex);
    if (posted !== undefined && state.phase === "ResultPublished") {
      progress(`the result is published; trustee ${state.myIndex}'s decryption share was posted`);
      return {
        status: "already-posted",
        trusteeIndex: state.myIndex,
        aggregateHash: posted.aggregateHash,
        ballots: null,
        disagreeing: othersDisagreeing(decryptionShares, posted.aggregateHash),
      };
    }
    const when =
      state.phase === "ResultPublished"
        ? "the result is already published"
        : "decryption starts when voting has closed (phase Tallying)";
    throw new StepRefusal("wrong-phase", `election ${election} is in phase ${state.phase}: ${when}`);
  }
  if (state.myIndex === 0)
    throw new StepRefusal(
      "not-trustee",
      `account ${wallet.account.address} is not a trustee of ceremony round ${round.round} of election ${election}`,
    );
  const context = spooled.context;
  if (context === null)
    throw new StepRefusal("inconsistent-record", "the election has no published joint key");
  const secrets = keystore.data.current;
  if (secrets.round !== round.round || secrets.trusteeIndex !== state.myIndex)
    throw new StepRefusal(
      "keystore-mismatch",
      `this key file holds the secrets of round ${secrets.round} (trustee ${secrets.trusteeIndex}), the joint key comes from round ${round.round} (trustee ${state.myIndex})`,
    );

  // The secret key share: from the key file, or rebuilt from the chain and the box secret.
  let share: Scalar | null = secrets.secretKeyShare;
  if (share === null) {
    const { keys } = checkedRoundKeys(spooled.ceremonyBase, round, state.trusteeCount, state.threshold);
    const derived = secretShareOfRound(spooled.ceremonyBase, round, state.trusteeCount, keys, secrets);
    if (!derived.ok) throw new StepRefusal("keystore-mismatch", derived.reason, "verification-failed");
    share = derived.share;
    keystore.updateRound((c) => ({
      ...c,
      receivedShares: derived.received,
      secretKeyShare: derived.share,
      jointKey: derived.jointKey,
    }));
  }
  const publicShare = publicKeyShare(context.trusteeCommitments, state.myIndex);
  if (!pointEquals(baseMul(share), publicShare))
    throw new StepRefusal(
      "keystore-mismatch",
      "the key file's secret key share does not match this trustee's public key share on chain",
      "verification-failed",
    );

  const already = decryptionShares.find((s) => s.trusteeIndex === state.myIndex);
  if (already !== undefined) {
    progress(`trustee ${state.myIndex}'s decryption share is already posted`);
    return {
      status: "already-posted",
      trusteeIndex: state.myIndex,
      aggregateHash: already.aggregateHash,
      ballots: null,
      disagreeing: othersDisagreeing(decryptionShares, already.aggregateHash),
    };
  }
  const tally = await tallyRecordedBallots(spooled, options);
  progress(`computing the decryption share of trustee ${state.myIndex} with proofs`);
  const { bytes } = createDecryptionShare(context, tally.aggregate, state.myIndex, share);
  const self = verifyDecryptionShare(context, tally.aggregate, state.myIndex, publicShare, bytes);
  if (!self.ok) throw new Error(`own decryption share does not verify: ${self.reason}`);
  progress(`posting the decryption share (${bytes.length} bytes) of aggregate ${tally.aggregateHash}`);
  await sendElectionTx(wallet, client, election, "postDecryptionShare", [tally.aggregateHash, toHex(bytes)]);
  return {
    status: "posted",
    trusteeIndex: state.myIndex,
    aggregateHash: tally.aggregateHash,
    ballots: {
      recorded: tally.recorded,
      counted: tally.counted,
      superseded: tally.superseded,
      excluded: tally.excluded.length,
    },
    disagreeing: othersDisagreeing(decryptionShares, tally.aggregateHash),
  };
}

const othersDisagreeing = (
  shares: readonly { trusteeIndex: number; aggregateHash: Hex }[],
  hash: Hex,
): number[] =>
  shares.filter((s) => s.aggregateHash.toLowerCase() !== hash.toLowerCase()).map((s) => s.trusteeIndex);
