import type Database from "better-sqlite3";
import type { Logger } from "pino";
import type { Address, Hex } from "viem";
import { Phase, type ChainPublicClient } from "../chain/deploy";
import { electionAbi } from "../chain/generated/abis";
import { blockPages, findInLogPages } from "../chain/log-pages";
import { errorMessage } from "../service/chain-tx";
import { metaValue, sequenceKey, sequenceOfKey, setMetaValue } from "./store";

/**
 * The relay's view of the chain, refreshed in the background (standard
 * JSON-RPC only): the election's phase, window and pause flag, an estimate
 * of the chain's clock, and the latest sequence of every nullifier, followed
 * from BallotCast events into the store. Checking a ballot's nullifier against
 * this index costs no RPC call (a `checkBallot` eth_call costs 5-12 ms on a
 * Hardhat node, which would cap the relay near 100 ballots a second); the
 * contract still has the last word (skip and report).
 *
 * BallotCast events are indexed only from blocks with `confirmations`
 * blocks on top (0 on a final chain: QBFT, a development node; more on a
 * Clique network, which can reorganise). The hash of the last indexed block
 * is kept: when the chain no longer holds it (a reorganisation deeper than
 * the confirmations), the index is rebuilt from the election's creation
 * block, so a cast from a replaced block is never taken as on chain.
 */
export interface FollowerOptions {
  client: ChainPublicClient;
  election: Address;
  db: Database.Database;
  creationBlock: bigint;
  logger: Logger;
  /** Background refresh period; default 1,000 ms. */
  pollMs?: number;
  /** Blocks per eth_getLogs call; default LOG_PAGE_BLOCKS (chain/log-pages.ts). */
  pageSize?: bigint;
  /** Blocks on top of a block before its casts are indexed; default 0. */
  confirmations?: number;
}

export type WindowState =
  | { open: true }
  | { open: false; code: "voting-not-open" | "voting-closed" | "election-paused"; message: string };

interface ChainSnapshot {
  phase: number;
  opensAt: number;
  closesAt: number;
  paused: boolean;
  blockNumber: bigint;
  blockTimestamp: number;
  /** Local time (ms) when this block was first seen as the head. */
  observedAt: number;
  syncedAt: number;
}

export interface CastLocation {
  transactionHash: Hex;
  blockNumber: bigint;
}

export class ChainFollower {
  private snapshot: ChainSnapshot | null = null;
  private syncing: Promise<void> | null = null;
  private queuedSync: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly statements;
  private readonly applyCasts;
  private readonly forgetCasts;

  constructor(private readonly options: FollowerOptions) {
    const { db } = options;
    this.statements = {
      latest: db.prepare("SELECT * FROM nullifiers WHERE nullifier = ?"),
      upsert: db.prepare(
        `INSERT INTO nullifiers (nullifier, sequence, ballot_hash, transaction_hash, block_number) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (nullifier) DO UPDATE SET sequence = excluded.sequence, ballot_hash = excluded.ballot_hash,
           transaction_hash = excluded.transaction_hash, block_number = excluded.block_number
         WHERE excluded.sequence > nullifiers.sequence`,
      ),
    };
    this.applyCasts = db.transaction(
      (
        casts: {
          nullifier: Hex;
          sequence: bigint;
          ballotHash: Hex;
          transactionHash: Hex;
          blockNumber: bigint;
        }[],
        cursor: bigint,
        cursorHash: Hex,
      ) => {
        for (const c of casts)
          this.statements.upsert.run(
            c.nullifier,
            sequenceKey(c.sequence),
            c.ballotHash,
            c.transactionHash,
            c.blockNumber.toString(),
          );
        setMetaValue(db, "followed-through-block", cursor.toString());
        setMetaValue(db, "followed-through-hash", cursorHash);
      },
    );
    this.forgetCasts = db.transaction(() => {
      db.prepare("DELETE FROM nullifiers").run();
      db.prepare("DELETE FROM meta WHERE key IN ('followed-through-block', 'followed-through-hash')").run();
    });
  }

  /** Syncs once (throws when the chain cannot be read), then keeps syncing in the background. */
  async start(): Promise<void> {
    await this.sync();
    const loop = () => {
      if (this.stopped) return;
      this.timer = setTimeout(async () => {
        await this.sync().catch((error) =>
          this.options.logger.warn({ error: errorMessage(error) }, "chain follower: sync failed"),
        );
        loop();
      }, this.options.pollMs ?? 1_000);
    };
    loop();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
  }

  /**
   * A refresh that starts after this call: a caller that moved the chain on
   * must not get a sync already under way, which may have read the head
   * before. Callers meanwhile share one sync queued after the running one.
   */
  sync(): Promise<void> {
    if (this.syncing === null) {
      this.syncing = this.doSync().finally(() => (this.syncing = null));
      return this.syncing;
    }
    this.queuedSync ??= this.syncing
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => {
        this.queuedSync = null;
        return this.sync();
      });
    return this.queuedSync;
  }

  /** Refreshes first when the last sync is older than `maxAgeMs`. */
  async fresh(maxAgeMs: number): Promise<void> {
    if (this.snapshot === null || Date.now() - this.snapshot.syncedAt > maxAgeMs) await this.sync();
  }

  private async doSync(): Promise<void> {
    const { client, election } = this.options;
    const read = <F extends "phase" | "opensAt" | "closesAt" | "paused">(
      functionName: F,
      blockNumber: bigint,
    ) => client.readContract({ address: election, abi: electionAbi, functionName, blockNumber });
    const head = await client.getBlock({ blockTag: "latest" });
    const [phase, opensAt, closesAt, paused] = await Promise.all([
      read("phase", head.number),
      read("opensAt", head.number),
      read("closesAt", head.number),
      read("paused", head.number),
    ]);
    await this.followCasts(head.number - BigInt(this.options.confirmations ?? 0));
    const previous = this.snapshot;
    const now = Date.now();
    this.snapshot = {
      phase,
      opensAt: Number(opensAt),
      closesAt: Number(closesAt),
      paused,
      blockNumber: head.number,
      blockTimestamp: Number(head.timestamp),
      observedAt: previous !== null && previous.blockNumber === head.number ? previous.observedAt : now,
      syncedAt: now,
    };
  }

  /** Indexes BallotCast events through block `head` (the confirmed head). */
  private async followCasts(head: bigint): Promise<void> {
    const { client, election, db } = this.options;
    let stored = metaValue(db, "followed-through-block");
    const storedHash = metaValue(db, "followed-through-hash");
    if (stored !== null && storedHash !== null) {
      const block = await client.getBlock({ blockNumber: BigInt(stored) });
      if (block.hash !== storedHash) {
        this.options.logger.warn(
          { block: stored, indexed: storedHash, chain: block.hash },
          "chain follower: the last indexed block was replaced (reorganisation); re-indexing",
        );
        this.forgetCasts();
        stored = null;
      }
    }
    const from = stored === null ? this.options.creationBlock : BigInt(stored) + 1n;
    for (const page of blockPages({ fromBlock: from, toBlock: head, pageSize: this.options.pageSize })) {
      const to = page.toBlock;
      let toHash: Hex;
      let events;
      // The range must come from one chain: its last block unchanged while its logs were read.
      do {
        toHash = (await client.getBlock({ blockNumber: to })).hash;
        events = await client.getContractEvents({
          address: election,
          abi: electionAbi,
          eventName: "BallotCast",
          ...page,
          strict: true,
        });
      } while ((await client.getBlock({ blockNumber: to })).hash !== toHash);
      this.applyCasts(
        events.map((e) => ({
          nullifier: e.args.nullifier,
          sequence: e.args.sequence,
          ballotHash: e.args.ballotHash,
          transactionHash: e.transactionHash,
          blockNumber: e.blockNumber,
        })),
        to,
        toHash,
      );
    }
  }

  /** The chain's clock: the head's timestamp plus the time since that head was first seen. */
  chainNow(): number {
    const s = this.snapshot;
    if (s === null) return Math.floor(Date.now() / 1000);
    return s.blockTimestamp + Math.floor((Date.now() - s.observedAt) / 1000);
  }

  get rules(): { opensAt: number; closesAt: number; paused: boolean; phase: number } | null {
    return this.snapshot;
  }

  /** The head of the last successful sync and when it ran (local ms); null before the first. */
  lastSync(): { blockNumber: bigint; syncedAt: number } | null {
    const s = this.snapshot;
    return s === null ? null : { blockNumber: s.blockNumber, syncedAt: s.syncedAt };
  }

  /** Whether a ballot can be cast now, as far as the last sync knows. */
  window(): WindowState {
    const s = this.snapshot;
    if (s === null)
      return { open: false, code: "voting-not-open", message: "the relay has not read the chain yet" };
    if (s.phase === Phase.KeyCeremony)
      return { open: false, code: "voting-not-open", message: "the key ceremony has not finished" };
    if (s.phase === Phase.ResultPublished)
      return { open: false, code: "voting-closed", message: "voting is over: the result is published" };
    if (s.paused) return { open: false, code: "election-paused", message: "the election is paused" };
    const now = this.chainNow();
    if (now < s.opensAt)
      return {
        open: false,
        code: "voting-not-open",
        message: `voting opens at ${new Date(s.opensAt * 1000).toISOString()}`,
      };
    if (now >= s.closesAt)
      return {
        open: false,
        code: "voting-closed",
        message: `voting closed at ${new Date(s.closesAt * 1000).toISOString()}`,
      };
    return { open: true };
  }

  /** True once the chain's clock has passed closesAt (nothing can be cast any more). */
  isClosed(): boolean {
    const s = this.snapshot;
    return s !== null && (s.phase === Phase.ResultPublished || this.chainNow() >= s.closesAt);
  }

  /** The nullifier's latest sequence on chain as far as followed (0: none). */
  latestSequence(nullifier: Hex): bigint {
    const row = this.statements.latest.get(nullifier) as { sequence: string } | undefined;
    return row === undefined ? 0n : sequenceOfKey(row.sequence);
  }

  /** Where the chain recorded exactly this ballot (nullifier, sequence, hash), or null. */
  async findCast(nullifier: Hex, sequence: bigint, ballotHash: Hex): Promise<CastLocation | null> {
    const row = this.statements.latest.get(nullifier) as
      { sequence: string; ballot_hash: string; transaction_hash: string; block_number: string } | undefined;
    if (row !== undefined && sequenceOfKey(row.sequence) === sequence && row.ballot_hash === ballotHash)
      return { transactionHash: row.transaction_hash as Hex, blockNumber: BigInt(row.block_number) };
    const { client, election } = this.options;
    // The head now, not viem's cached one (up to 4 s old): the copy may be in the block just mined.
    const head = await client.getBlockNumber({ cacheTime: 0 });
    const match = await findInLogPages(
      { fromBlock: this.options.creationBlock, toBlock: head, pageSize: this.options.pageSize },
      async (page) =>
        (
          await client.getContractEvents({
            address: election,
            abi: electionAbi,
            eventName: "BallotCast",
            args: { nullifier },
            ...page,
            strict: true,
          })
        ).find(
          (e) => e.args.sequence === sequence && e.args.ballotHash.toLowerCase() === ballotHash.toLowerCase(),
        ),
    );
    if (match !== undefined)
      return { transactionHash: match.transactionHash, blockNumber: match.blockNumber };
    return null;
  }
}
