import { toHex, type Address, type Hex } from "viem";
import { electionAbi } from "../chain/generated/abis";
import { loadElection, sendElectionTx, type ElectionView } from "../chain/election-reader";
import {
  complaintEvidence,
  dealShares,
  decodeTrusteeKeys,
  encodeTrusteeKeys,
  evaluatePolynomial,
  generateTrusteeSecret,
  jointPublicKey,
  judgeComplaint,
  publicKeyShare,
  receiveShare,
  secretKeyShare,
  trusteePublicKeys,
  verifyTrusteeKeys,
  type ComplaintVerdict,
  type TrusteePublicKeys,
} from "../protocol/ceremony";
import type { RecordCeremonyRound } from "../protocol/record";
import { bytesEqual, hexToBytes } from "../protocol/primitives/bytes";
import { baseMul, pointEquals, type Point, type Scalar } from "../protocol/primitives/group";
import { StepRefusal, silent, type Progress } from "./errors";
import type { RoundSecrets } from "./keystore";
import { currentPhase, type PhaseName, type TrusteeSession } from "./session";

/**
 * `trustee ceremony`: one idempotent run that reads the chain and does the
 * trustee's next missing steps of the key ceremony (docs/protocol.md, 7):
 *
 *   1. postTrusteeKeys (commitments, proofs of knowledge, box key);
 *   2. once all n trustees posted valid keys, postShares (f_i(j) encrypted to each other j);
 *   3. receive and check every share addressed to it; complain(dealer, evidence) for a bad one;
 *   4. once all shares are in and no complaint stands, confirmJointKey(K).
 *
 * Everything is re-read from the chain on every run (and after every
 * transaction), so running it again resumes where it stopped. Secrets are
 * written to the key file before anything that depends on them is posted.
 */
export type CeremonyStatus =
  "waiting-for-keys" | "waiting-for-shares" | "waiting-for-confirmations" | "disputed" | "complete";

export interface ComplaintReport {
  complainer: number;
  accused: number;
  verdict: ComplaintVerdict["verdict"] | "unjudgeable";
  reason: string;
}

export interface CeremonyOutcome {
  status: CeremonyStatus;
  round: number;
  trusteeIndex: number;
  /** What this run posted or stored, in order. */
  actions: string[];
  /** The trustees the next step waits for. */
  waitingFor: number[];
  /** Every complaint of the round, judged from chain data. */
  complaints: ComplaintReport[];
  jointKey: Hex | null;
}

/** The chain's view of the current ceremony round, read at one block. */
export interface RoundState {
  loaded: ElectionView;
  phase: PhaseName;
  round: RecordCeremonyRound;
  trusteeCount: number;
  threshold: number;
  /** This account's index in the round (0 when it is not a trustee of it). */
  myIndex: number;
}

/** The round's state at the block `loaded` was read at (default: the election read now). */
export async function readRoundState(
  client: TrusteeSession["client"],
  election: Address,
  account: Address,
  loaded: ElectionView | null = null,
): Promise<RoundState> {
  loaded ??= await loadElection(client, election);
  const { header } = loaded;
  const blockNumber = BigInt(header.throughBlock);
  const read = { address: election, abi: electionAbi, blockNumber } as const;
  const [roundNumber, myIndex] = await Promise.all([
    client.readContract({ ...read, functionName: "ceremonyRound" }),
    client.readContract({ ...read, functionName: "trusteeIndexOf", args: [account] }),
  ]);
  const round = header.ceremonyRounds.find((r) => r.round === roundNumber) ?? {
    round: roundNumber,
    trustees: [],
    keys: [],
    shares: [],
    complaints: [],
    confirmations: [],
    jointKey: null,
  };
  return {
    loaded,
    phase: await currentPhase(client, election),
    round,
    trusteeCount: header.trusteeCount,
    threshold: header.threshold,
    myIndex,
  };
}

const indices = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** Every trustee's posted keys, decoded and checked (proofs of knowledge); the bad ones with reasons. */
export function checkedRoundKeys(
  ceremonyBase: Uint8Array,
  round: RecordCeremonyRound,
  trusteeCount: number,
  threshold: number,
): { keys: Map<number, TrusteePublicKeys>; invalid: { index: number; reason: string }[]; missing: number[] } {
  const keys = new Map<number, TrusteePublicKeys>();
  const invalid: { index: number; reason: string }[] = [];
  const missing: number[] = [];
  for (const index of indices(trusteeCount)) {
    const posted = round.keys.find((k) => k.trusteeIndex === index);
    if (posted === undefined) {
      missing.push(index);
      continue;
    }
    const decoded = decodeTrusteeKeys(index, threshold, {
      commitments: hexToBytes(posted.commitments),
      proofs: hexToBytes(posted.proofs),
      boxKey: hexToBytes(posted.boxKey),
    });
    if (!decoded.ok) {
      invalid.push({ index, reason: decoded.reason });
      continue;
    }
    const check = verifyTrusteeKeys(ceremonyBase, decoded.keys);
    if (!check.ok) invalid.push({ index, reason: check.reason });
    else keys.set(index, decoded.keys);
  }
  return { keys, invalid, missing };
}

/** Judges every complaint of the round from chain data alone (what any observer does). */
export function judgeRoundComplaints(
  ceremonyBase: Uint8Array,
  round: RecordCeremonyRound,
  keys: ReadonlyMap<number, TrusteePublicKeys>,
  trusteeCount: number,
): ComplaintReport[] {
  return round.complaints.map(({ complainer, accused, evidence }) => {
    const complainerKeys = keys.get(complainer);
    const accusedKeys = keys.get(accused);
    const shares = round.shares.find((s) => s.trusteeIndex === accused);
    if (complainerKeys === undefined || accusedKeys === undefined || shares === undefined)
      return { complainer, accused, verdict: "unjudgeable", reason: "keys or shares missing" };
    const judged = judgeComplaint(
      ceremonyBase,
      complainerKeys,
      accusedKeys,
      hexToBytes(shares.encryptedShares),
      hexToBytes(evidence),
      trusteeCount,
    );
    return { complainer, accused, verdict: judged.verdict, reason: judged.reason };
  });
}

/**
 * This trustee's secret key share s_j = sum_i f_i(j) from the round's posted
 * shares and its own polynomial, checked against P_j from the commitments.
 */
export function secretShareOfRound(
  ceremonyBase: Uint8Array,
  round: RecordCeremonyRound,
  trusteeCount: number,
  keys: ReadonlyMap<number, TrusteePublicKeys>,
  secrets: RoundSecrets,
):
  | { ok: true; share: Scalar; jointKey: Point; received: Map<number, Scalar> }
  | { ok: false; reason: string } {
  const me = secrets.trusteeIndex;
  const received = new Map(secrets.receivedShares);
  for (const dealer of indices(trusteeCount)) {
    if (dealer === me || received.has(dealer)) continue;
    const dealerKeys = keys.get(dealer);
    const posted = round.shares.find((s) => s.trusteeIndex === dealer);
    if (dealerKeys === undefined || posted === undefined)
      return { ok: false, reason: `no keys or shares from trustee ${dealer}` };
    const share = receiveShare(
      ceremonyBase,
      me,
      secrets.secret.boxSecret,
      dealerKeys,
      hexToBytes(posted.encryptedShares),
      trusteeCount,
    );
    if (!share.ok) return { ok: false, reason: `share from trustee ${dealer}: ${share.reason}` };
    received.set(dealer, share.share);
  }
  const share = secretKeyShare([evaluatePolynomial(secrets.secret.polynomial, me), ...received.values()]);
  const ordered = indices(trusteeCount).map((i) => keys.get(i));
  if (ordered.some((k) => k === undefined)) return { ok: false, reason: "keys missing" };
  const allKeys = ordered as TrusteePublicKeys[];
  const expected = publicKeyShare(
    allKeys.map((k) => k.commitments),
    me,
  );
  if (!pointEquals(baseMul(share), expected))
    return {
      ok: false,
      reason: "the secret key share does not match the public key share from the commitments",
    };
  return { ok: true, share, jointKey: jointPublicKey(allKeys), received };
}

/** The trustee's own posted keys must be those of its key file (else the file is not the one that posted). */
function postedKeysMatch(round: RecordCeremonyRound, secrets: RoundSecrets): boolean {
  const posted = round.keys.find((k) => k.trusteeIndex === secrets.trusteeIndex);
  if (posted === undefined) return true;
  const commitments = secrets.secret.polynomial.map((a) => baseMul(a));
  const expected = hexToBytes(posted.commitments);
  return (
    commitments.every((c, k) => bytesEqual(c, expected.subarray(32 * k, 32 * k + 32))) &&
    bytesEqual(baseMul(secrets.secret.boxSecret), hexToBytes(posted.boxKey))
  );
}

function describeComplaints(complaints: ComplaintReport[]): string {
  return complaints
    .map((c) => `trustee ${c.complainer} against trustee ${c.accused}: ${c.verdict} (${c.reason})`)
    .join("; ");
}

export async function runCeremony(
  session: TrusteeSession,
  options: { progress?: Progress } = {},
): Promise<CeremonyOutcome> {
  const progress = options.progress ?? silent;
  const { keystore, client, wallet, election } = session;
  const account = wallet.account.address;
  const actions: string[] = [];
  const send = async <F extends "postTrusteeKeys" | "postShares" | "complain" | "confirmJointKey">(
    functionName: F,
    args: Parameters<typeof sendElectionTx<F>>[4],
    action: string,
  ) => {
    progress(`sending ${functionName}`);
    await sendElectionTx(wallet, client, election, functionName, args);
    progress(action);
    actions.push(action);
  };

  // Each pass either posts one transaction and re-reads the chain, or returns.
  for (let pass = 0; pass < 100; pass++) {
    const state = await readRoundState(client, election, account);
    const { round, trusteeCount: n, threshold: t } = state;
    const ceremonyBase = state.loaded.ceremonyBase;
    const outcome = (
      status: CeremonyStatus,
      waitingFor: number[] = [],
      complaints: ComplaintReport[] = [],
    ) => ({
      status,
      round: round.round,
      trusteeIndex: state.myIndex,
      actions,
      waitingFor,
      complaints,
      jointKey: keystore.data.current.jointKey === null ? null : toHex(keystore.data.current.jointKey),
    });

    if (state.phase !== "KeyCeremony") {
      const secrets = keystore.data.current;
      const confirmed = round.confirmations.some((c) => c.trusteeIndex === state.myIndex);
      if (
        state.myIndex !== 0 &&
        confirmed &&
        secrets.round === round.round &&
        secrets.trusteeIndex === state.myIndex
      ) {
        if (secrets.secretKeyShare === null) {
          const { keys } = checkedRoundKeys(ceremonyBase, round, n, t);
          const derived = secretShareOfRound(ceremonyBase, round, n, keys, secrets);
          if (derived.ok) {
            keystore.updateRound((c) => ({
              ...c,
              receivedShares: derived.received,
              secretKeyShare: derived.share,
              jointKey: derived.jointKey,
            }));
            actions.push("stored the secret key share");
          }
        }
        progress(`the key ceremony is complete (phase ${state.phase})`);
        return outcome("complete");
      }
      throw new StepRefusal(
        "wrong-phase",
        `election ${election} is in phase ${state.phase}: the key ceremony is over${
          state.myIndex === 0 ? "" : " and this key file did not take part in its final round"
        }`,
      );
    }
    if (state.myIndex === 0)
      throw new StepRefusal(
        "not-trustee",
        `account ${account} is not a trustee of ceremony round ${round.round} of election ${election}`,
      );

    // Secrets for this round: a restarted ceremony needs fresh ones, saved before anything is posted.
    let secrets = keystore.data.current;
    const myKeysPosted = round.keys.some((k) => k.trusteeIndex === state.myIndex);
    if (secrets.round !== round.round || secrets.trusteeIndex !== state.myIndex) {
      if (myKeysPosted)
        throw new StepRefusal(
          "keystore-mismatch",
          `trustee ${state.myIndex}'s keys of round ${round.round} were posted from another key file (this one is for round ${secrets.round})`,
        );
      keystore.updateRound(() => ({
        round: round.round,
        trusteeIndex: state.myIndex,
        secret: generateTrusteeSecret(t),
        receivedShares: new Map(),
        secretKeyShare: null,
        jointKey: null,
      }));
      secrets = keystore.data.current;
      actions.push(`generated fresh secrets for ceremony round ${round.round}`);
      progress(
        `ceremony round ${round.round}: generated and stored fresh secrets (trustee ${state.myIndex})`,
      );
    }
    if (!postedKeysMatch(round, secrets))
      throw new StepRefusal(
        "keystore-mismatch",
        `the keys posted for trustee ${state.myIndex} in round ${round.round} are not those of this key file`,
        "verification-failed",
      );

    // 1. Keys.
    if (!myKeysPosted) {
      const encoded = encodeTrusteeKeys(trusteePublicKeys(ceremonyBase, state.myIndex, secrets.secret));
      await send(
        "postTrusteeKeys",
        [toHex(encoded.commitments), toHex(encoded.proofs), toHex(encoded.boxKey)],
        `posted the keys of trustee ${state.myIndex}`,
      );
      continue;
    }
    const { keys, invalid, missing } = checkedRoundKeys(ceremonyBase, round, n, t);
    if (missing.length > 0) {
      progress(`waiting for the keys of trustee(s) ${missing.join(", ")}`);
      return outcome("waiting-for-keys", missing);
    }
    if (invalid.length > 0)
      throw new StepRefusal(
        "invalid-trustee-keys",
        `invalid keys posted in round ${round.round}: ${invalid
          .map((k) => `trustee ${k.index} (${k.reason})`)
          .join("; ")}; no shares are dealt: the commission must restart the ceremony without them`,
        "verification-failed",
      );

    // 2. Shares.
    if (!round.shares.some((s) => s.trusteeIndex === state.myIndex)) {
      const allKeys = indices(n).map((i) => keys.get(i)!);
      await send(
        "postShares",
        [toHex(dealShares(ceremonyBase, state.myIndex, secrets.secret, allKeys))],
        `posted the shares of trustee ${state.myIndex}`,
      );
      continue;
    }

    // 3. Receive and check the shares addressed to this trustee; complain about bad ones.
    const received = new Map(secrets.receivedShares);
    const bad: { dealer: number; reason: string }[] = [];
    for (const posted of round.shares) {
      const dealer = posted.trusteeIndex;
      if (dealer === state.myIndex || received.has(dealer)) continue;
      const share = receiveShare(
        ceremonyBase,
        state.myIndex,
        secrets.secret.boxSecret,
        keys.get(dealer)!,
        hexToBytes(posted.encryptedShares),
        n,
      );
      if (share.ok) received.set(dealer, share.share);
      else bad.push({ dealer, reason: share.reason });
    }
    if (received.size !== secrets.receivedShares.size) {
      keystore.updateRound((c) => ({ ...c, receivedShares: received }));
      actions.push(`stored ${received.size} checked share(s)`);
      progress(
        `checked and stored the shares of trustee(s) ${[...received.keys()].sort((a, b) => a - b).join(", ")}`,
      );
    }
    const toComplain = bad.filter(
      ({ dealer }) => !round.complaints.some((c) => c.complainer === state.myIndex && c.accused === dealer),
    );
    if (toComplain.length > 0) {
      const { dealer, reason } = toComplain[0];
      const posted = round.shares.find((s) => s.trusteeIndex === dealer)!;
      progress(`the share from trustee ${dealer} is bad (${reason})`);
      const evidence = complaintEvidence(
        ceremonyBase,
        state.myIndex,
        secrets.secret.boxSecret,
        dealer,
        hexToBytes(posted.encryptedShares),
        n,
      );
      await send("complain", [dealer, toHex(evidence)], `complained against trustee ${dealer}: ${reason}`);
      continue;
    }
    if (round.complaints.length > 0) {
      const complaints = judgeRoundComplaints(ceremonyBase, round, keys, n);
      progress(`the round is disputed: ${describeComplaints(complaints)}`);
      return outcome("disputed", [], complaints);
    }
    const missingShares = indices(n).filter((i) => !round.shares.some((s) => s.trusteeIndex === i));
    if (missingShares.length > 0) {
      progress(`waiting for the shares of trustee(s) ${missingShares.join(", ")}`);
      return outcome("waiting-for-shares", missingShares);
    }

    // 4. Secret key share, joint key, confirmation.
    const derived = secretShareOfRound(ceremonyBase, round, n, keys, {
      ...secrets,
      receivedShares: received,
    });
    if (!derived.ok) throw new StepRefusal("keystore-mismatch", derived.reason, "verification-failed");
    if (secrets.secretKeyShare === null || secrets.jointKey === null) {
      keystore.updateRound((c) => ({ ...c, secretKeyShare: derived.share, jointKey: derived.jointKey }));
      actions.push("stored the secret key share and the joint key");
    }
    const jointKey = toHex(derived.jointKey);
    if (!round.confirmations.some((c) => c.trusteeIndex === state.myIndex)) {
      const other = round.confirmations.find((c) => c.jointKey.toLowerCase() !== jointKey);
      if (other !== undefined)
        throw new StepRefusal(
          "joint-key-mismatch",
          `trustee ${other.trusteeIndex} confirmed joint key ${other.jointKey}, this trustee computes ${jointKey}`,
          "verification-failed",
        );
      await send("confirmJointKey", [jointKey], `confirmed joint key ${jointKey}`);
      continue;
    }
    const unconfirmed = indices(n).filter((i) => !round.confirmations.some((c) => c.trusteeIndex === i));
    progress(`confirmed; waiting for the confirmations of trustee(s) ${unconfirmed.join(", ")}`);
    return outcome("waiting-for-confirmations", unconfirmed);
  }
  throw new Error("the key ceremony made no progress after 100 steps");
}
