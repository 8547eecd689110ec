import type { LocalAccount } from "viem";
import { isAddressEqual, type Address, type Hex } from "viem";
import { z } from "zod";
import { electionErrorNames, type ChainPublicClient } from "../chain/deploy";
import { electionAbi } from "../chain/generated/abis";
import { MAX_BALLOT_BYTES, trackingCode } from "../protocol/ballot";
import type { BallotCheckCode, SignedBallot } from "../protocol/ballot-check";
import type { ElectionContext } from "../protocol/context";
import { signReceipt, type BallotReceipt } from "../protocol/receipt";
import type { CheckSummary } from "../verification/inspection";
import type { VerifierPool } from "../verifier/pool";
import { ApiError, parseRequest } from "../service/http";
import type { ChainFollower } from "./chain-follower";
import { GroupCommit } from "../service/group-commit";
import type { BallotQueue, NewBallot } from "./queue";

/**
 * Everything a ballot goes through before the relay answers 202, cheapest
 * first; the first failure is the answer and nothing is queued:
 *
 *   schema and sizes -> election -> voting window -> signature, credential
 *   and proofs (checkSignedBallot on the verifier pool) -> this relay's own
 *   ballots of the voter -> the chain's latest sequence of the nullifier ->
 *   receipt signed -> queued (atomically re-checked against the queue).
 */
export const MAX_UINT64 = (1n << 64n) - 1n;

const hexString = z.string().regex(/^0x([0-9a-fA-F]{2})*$/, "must be 0x-prefixed hex bytes");

export const ballotRequestSchema = z
  .object({
    ballot: hexString.refine(
      (s) => s.length > 2 && s.length <= 2 + 2 * MAX_BALLOT_BYTES,
      `must be 1-${MAX_BALLOT_BYTES} bytes`,
    ),
    sequence: z
      .union([z.string().regex(/^[0-9]{1,20}$/, "must be a decimal integer"), z.number().int().safe()])
      .transform((value) => BigInt(value))
      .refine((value) => value >= 1n && value <= MAX_UINT64, "must be between 1 and 2^64 - 1"),
    signature: hexString.refine((s) => s.length === 132, "must be 65 bytes"),
    election: z
      .string()
      .regex(/^0x[0-9a-fA-F]{40}$/, "must be an address")
      .optional(),
  })
  .strict();

export type BallotRequest = z.infer<typeof ballotRequestSchema>;

/** HTTP status of each refusal of a well-formed ballot. */
const CHECK_STATUS: Record<BallotCheckCode, number> = {
  "invalid-signature": 422,
  "malformed-ballot": 422,
  "unknown-style": 422,
  "registrar-key-missing": 422,
  "invalid-credential": 422,
  "invalid-proof": 422,
};

/** The contract's per-ballot reasons (checkBallot selectors) as API reason codes. */
const CHAIN_REASON_CODES: Record<string, [number, string]> = {
  InvalidBallotSize: [422, "malformed-ballot"],
  InvalidBallotSignature: [422, "invalid-signature"],
  RevoteNotAllowed: [409, "revote-not-allowed"],
  SequenceNotHigher: [409, "sequence-not-higher"],
};

export interface AcceptedBallot {
  receipt: BallotReceipt;
  signature: Hex;
  relay: Address;
  nullifier: Hex;
}

export interface IntakeOptions {
  context: ElectionContext;
  revotesAllowed: boolean;
  pool: () => VerifierPool;
  queue: BallotQueue;
  follower: ChainFollower;
  relayAccount: LocalAccount;
  client: ChainPublicClient;
  /**
   * "index": the nullifier's latest sequence from the followed BallotCast
   * index (no RPC per ballot); "view": the contract's checkBallot view per
   * ballot (exact at the head, one eth_call each).
   */
  chainCheck: "index" | "view";
  /** Resolves when the latest commits are on disk (fsync), before the 202. */
  durable: () => Promise<void>;
  /** Oldest acceptable view of the chain (ms) for the window check; default 3,000. */
  maxChainStalenessMs?: number;
  onRefused?: (code: string) => void;
}

type Enqueued = ReturnType<BallotQueue["enqueue"]>;

export class Intake {
  private readonly commits: GroupCommit<{ ballot: NewBallot; revotesAllowed: boolean }, Enqueued>;
  private readonly checks: GroupCommit<SignedBallot, CheckSummary>;

  constructor(private readonly options: IntakeOptions) {
    this.commits = new GroupCommit((items) => options.queue.enqueueMany(items));
    this.checks = new GroupCommit(async (items: SignedBallot[]) => {
      // One job per worker thread for everything checked in this turn; only the outcome comes back, not the decoded ballot.
      const pool = options.pool();
      const size = Math.ceil(items.length / Math.min(pool.threads, items.length));
      const chunks: SignedBallot[][] = [];
      for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
      return (await Promise.all(chunks.map((chunk) => pool.summarizeMany(chunk)))).flat();
    });
  }

  async accept(body: unknown): Promise<AcceptedBallot> {
    try {
      return await this.check(body);
    } catch (error) {
      if (error instanceof ApiError) this.options.onRefused?.(error.code);
      throw error;
    }
  }

  private async check(body: unknown): Promise<AcceptedBallot> {
    const { context, follower, queue, revotesAllowed } = this.options;
    const request = parseRequest(ballotRequestSchema, body);
    if (request.election !== undefined && !isAddressEqual(request.election as Address, context.election))
      throw new ApiError(400, "wrong-election", `this relay serves election ${context.election}`);

    await follower.fresh(this.options.maxChainStalenessMs ?? 3_000);
    const window = follower.window();
    if (!window.open) throw new ApiError(409, window.code, window.message);

    const signed = {
      ballot: new Uint8Array(Buffer.from(request.ballot.slice(2), "hex")),
      sequence: request.sequence,
      signature: request.signature as Hex,
    };
    const { check, ballotHash } = await this.checks.submit(signed);
    if (!check.ok) throw new ApiError(CHECK_STATUS[check.code], check.code, check.reason);
    const { nullifier } = check;

    const own = queue.precheck(nullifier, signed.sequence, ballotHash, revotesAllowed);
    if (own !== null) throw new ApiError(409, own.code, own.message);
    await this.checkChain(signed, nullifier, ballotHash);

    const acceptedAtMs = Date.now();
    const receipt: BallotReceipt = {
      election: context.election,
      trackingCode: trackingCode(context, ballotHash),
      ballotHash,
      sequence: signed.sequence,
      acceptedAt: BigInt(Math.floor(acceptedAtMs / 1000)),
    };
    const receiptSignature = await signReceipt(this.options.relayAccount, context, receipt);
    const queued = await this.commits.submit({
      ballot: {
        trackingCode: receipt.trackingCode,
        ballotHash,
        nullifier,
        sequence: signed.sequence,
        ballot: signed.ballot,
        signature: signed.signature,
        acceptedAt: acceptedAtMs,
        receiptSignature,
      },
      revotesAllowed,
    });
    if (!queued.ok) throw new ApiError(409, queued.code, queued.message);
    await this.options.durable();
    return { receipt, signature: receiptSignature, relay: this.options.relayAccount.address, nullifier };
  }

  private async checkChain(
    signed: { ballot: Uint8Array; sequence: bigint; signature: Hex },
    nullifier: Hex,
    ballotHash: Hex,
  ): Promise<void> {
    const { follower, revotesAllowed } = this.options;
    if (this.options.chainCheck === "index") {
      const latest = follower.latestSequence(nullifier);
      if (latest === 0n) return;
      if (!revotesAllowed)
        throw new ApiError(
          409,
          "revote-not-allowed",
          "this voter has already voted and the election allows no re-vote",
        );
      if (signed.sequence <= latest) {
        const onChain =
          signed.sequence === latest && (await follower.findCast(nullifier, latest, ballotHash)) !== null;
        throw new ApiError(
          409,
          onChain ? "duplicate-ballot" : "sequence-not-higher",
          onChain
            ? "this ballot is already on chain"
            : `the chain already holds a ballot of this voter with sequence ${latest}`,
        );
      }
      return;
    }
    const [reason] = await this.options.client.readContract({
      address: this.options.context.election,
      abi: electionAbi,
      functionName: "checkBallot",
      args: [
        {
          ballot: `0x${Buffer.from(signed.ballot).toString("hex")}`,
          sequence: signed.sequence,
          signature: signed.signature,
        },
      ],
    });
    if (reason === "0x00000000") return;
    const name = electionErrorNames.get(reason) ?? reason;
    const [status, code] = CHAIN_REASON_CODES[name] ?? [409, "refused-by-chain"];
    throw new ApiError(status, code, `the contract would refuse this ballot: ${name}`);
  }
}
