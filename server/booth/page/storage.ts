import { z } from "zod";
import type { ElectionLocation } from "../../protocol/context";

/**
 * What the booth keeps in the browser (localStorage), per election: the
 * voting key, the credential request while it is in flight (a retry must send
 * the same blinded message, or the registrar answers already-issued), the
 * credential, and the receipts of the ballots cast. Never the voter id, the
 * one-time code or any choice. The same object, with a `kind`, is the voting
 * key file the voter exports to re-vote from another device.
 */
export const KEY_FILE_KIND = "ballot-ledger-voting-key";

const hex = (bytes?: number) =>
  z
    .string()
    .regex(
      bytes === undefined ? /^0x([0-9a-fA-F]{2})+$/ : new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`),
      "0x hex",
    )
    .transform((s) => s as `0x${string}`);

const requestSchema = z.strictObject({
  styleIndex: z.number().int().min(0),
  preparedMessage: hex(),
  blindedMessage: hex(),
  inverse: hex(),
});

const credentialSchema = z.strictObject({
  styleIndex: z.number().int().min(0),
  messagePrefix: hex(32),
  signature: hex(),
});

/**
 * A ballot cast. `relay`, `receipt` and `signature` are null when the answer
 * of the relay that took it was lost and another relay then answered
 * duplicate-ballot for this very ballot (the same bytes and sequence are
 * queued there or recorded on chain, docs/booth.md "Cast"): accepted, without
 * a signed receipt; `relayUrl` is the relay that said so. Kept all the same,
 * so that the next ballot carries the next sequence number.
 */
const castSchema = z
  .strictObject({
    sequence: z.string().regex(/^[1-9][0-9]{0,19}$/),
    trackingCode: z.string().min(1).max(32),
    ballotHash: hex(32),
    relayUrl: z.string().max(2048),
    relay: hex(20).nullable(),
    receipt: z
      .strictObject({
        election: hex(20),
        trackingCode: z.string().min(1).max(32),
        ballotHash: hex(32),
        sequence: z.string(),
        acceptedAt: z.number().int(),
      })
      .nullable(),
    signature: hex(65).nullable(),
  })
  .refine(
    (cast) =>
      (cast.receipt === null) === (cast.signature === null) &&
      (cast.receipt === null) === (cast.relay === null),
    "relay, receipt and signature are all given or all null",
  );

export const voterStateSchema = z.strictObject({
  version: z.literal(1),
  chainId: z.string().regex(/^[0-9]{1,20}$/),
  election: hex(20),
  votingKey: hex(32),
  pendingRequest: requestSchema.nullable(),
  credential: credentialSchema.nullable(),
  ballots: z.array(castSchema).max(1000),
});

export type VoterState = z.infer<typeof voterStateSchema>;
export type CastRecord = VoterState["ballots"][number];

export const keyFileSchema = voterStateSchema.extend({ kind: z.literal(KEY_FILE_KIND) });

export type KeyFile = z.infer<typeof keyFileSchema>;

export const storageKey = (location: ElectionLocation): string =>
  `ballot-ledger/v1/voter/${location.chainId}/${location.election.toLowerCase()}`;

const sameElection = (state: VoterState, location: ElectionLocation) =>
  state.chainId === location.chainId.toString() &&
  state.election.toLowerCase() === location.election.toLowerCase();

export function newVoterState(location: ElectionLocation, votingKey: `0x${string}`): VoterState {
  return {
    version: 1,
    chainId: location.chainId.toString(),
    election: location.election,
    votingKey,
    pendingRequest: null,
    credential: null,
    ballots: [],
  };
}

/** The stored state of this election, or null (none, unreadable, or for another election). */
export function loadVoterState(storage: Storage, location: ElectionLocation): VoterState | null {
  let text: string | null;
  try {
    text = storage.getItem(storageKey(location));
  } catch {
    return null;
  }
  if (text === null) return null;
  try {
    const parsed = voterStateSchema.safeParse(JSON.parse(text));
    return parsed.success && sameElection(parsed.data, location) ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Writes the state; false when the browser refuses (private mode, quota). */
export function saveVoterState(storage: Storage, location: ElectionLocation, state: VoterState): boolean {
  try {
    storage.setItem(storageKey(location), JSON.stringify(state));
    return true;
  } catch {
    return false;
  }
}

export function forgetVoterState(storage: Storage, location: ElectionLocation): void {
  try {
    storage.removeItem(storageKey(location));
  } catch {
    // Nothing stored, or storage refused: nothing to forget.
  }
}

/** The sequence of the next ballot: one more than the highest cast. */
export function nextSequence(state: VoterState): bigint {
  return state.ballots.reduce((max, b) => (BigInt(b.sequence) > max ? BigInt(b.sequence) : max), 0n) + 1n;
}

export const keyFileOf = (state: VoterState): KeyFile => ({ kind: KEY_FILE_KIND, ...state });

export type KeyFileRead =
  { ok: true; state: VoterState } | { ok: false; reason: "invalid" | "wrong-election"; detail: string };

/** Parses an imported key file for this election (the credential is checked by the caller). */
export function readKeyFile(text: string, location: ElectionLocation): KeyFileRead {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: "invalid", detail: "not JSON" };
  }
  const parsed = keyFileSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, reason: "invalid", detail: `${issue.path.join(".") || "(root)"}: ${issue.message}` };
  }
  const { kind: _kind, ...state } = parsed.data;
  if (!sameElection(state, location))
    return { ok: false, reason: "wrong-election", detail: `${state.election} on chain ${state.chainId}` };
  if (state.credential === null)
    return { ok: false, reason: "invalid", detail: "the file holds no credential" };
  return { ok: true, state };
}

/** Keeps the ballots of both (an imported file may know ballots this browser does not, and the reverse). */
export function mergeBallots(a: readonly CastRecord[], b: readonly CastRecord[]): CastRecord[] {
  const bySequence = new Map<string, CastRecord>();
  for (const cast of [...a, ...b]) bySequence.set(cast.sequence, cast);
  return [...bySequence.values()].sort((x, y) => (BigInt(x.sequence) < BigInt(y.sequence) ? -1 : 1));
}
