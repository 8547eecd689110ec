import fs from "node:fs";
import path from "node:path";
import pino, { type Logger } from "pino";
import type { Registry } from "prom-client";
import { getAddress, type Address, type Hex } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import {
  publicClientFor,
  walletClientFor,
  type AccountWalletClient,
  type ChainEndpoint,
} from "../chain/clients";
import type { ChainPublicClient } from "../chain/deploy";
import { fetchElectionLogs, foldLogs, type ElectionLog } from "../chain/election-reader";
import {
  blockHashAt,
  confirmedHead,
  observerStanding,
  postAttestation,
  readElectionHeader,
  readLedgerState,
} from "../chain/election-follower";
import { signAttestation } from "../protocol/attestation";
import { toHex } from "../protocol/primitives/bytes";
import type { ElectionRecord, RecordBallot } from "../protocol/record";
import { ZERO_RUNNING_HASH } from "../protocol/running-hash";
import { serviceRegistry } from "../service/metrics";
import {
  directChecker,
  noContextChecker,
  startInspection,
  type BallotChecker,
  type BallotInspection,
} from "../verification/inspection";
import { recoverAttestationSigners } from "../verification/attestations";
import { LedgerFold } from "../verification/ledger-fold";
import { RunningAggregate } from "../verification/result";
import { verifyElection } from "../verification/pipeline";
import { inspectCancellations, type CancellationCheck } from "../verification/reconciliation";
import type { RecordHeader, Verification } from "../verification/report";
import { electionRulesOf, headerOf, type ElectionRules } from "../verification/rules";
import { VerifierPool, workerSource } from "../verifier/pool";
import { ObserverMetrics } from "./metrics";
import { ObserverStore, type StoredAttestation, type StoredEvent } from "./store";

/**
 * The observer node: follows one election from any JSON-RPC endpoint, range
 * of blocks by range of blocks (eth_getLogs paged by the election reader),
 * `confirmations` blocks behind the head; indexes every event and ballot in
 * its own SQLite database; checks every ballot on all cores; runs the shared
 * verification (server/verification/pipeline.ts) over its index; and once the result is
 * published signs an EIP-712 attestation of its own tally and, if it holds the
 * observer role, posts it on chain. A restart resumes after the last block
 * committed to the index.
 */
export interface ObserverOptions {
  endpoint: ChainEndpoint;
  election: Address;
  dataDir: string;
  /** Blocks to stay behind the head; default 0 (a QBFT network is final at once). */
  confirmations?: number;
  /** Blocks per eth_getLogs call; default 2,000. */
  pageSize?: bigint;
  /** Blocks committed to the index at once, at most; default: pageSize. */
  rangeBlocks?: bigint;
  /**
   * A range is cut after the block where it reaches this many ballots (the
   * next ranges are sized by it), so that checking one range overlaps with
   * indexing the next; default 500.
   */
  rangeBallots?: number;
  /** Pause between rounds of following; default 2 s. */
  pollIntervalMs?: number;
  /** The observer's private key: signs the attestation, and posts it when it holds the observer role. */
  observerKey?: Hex;
  /** Post the attestation on chain when the key holds the observer role; default true. */
  postAttestation?: boolean;
  /** Verifier threads; 0 checks ballots in the main thread; default: every core. */
  threads?: number;
  /** Ballots handed to the verifier at once; default 2,000. */
  checkChunk?: number;
  logger?: Logger;
  registry?: Registry;
}

export class ObserverError extends Error {
  override name = "ObserverError";
}

export interface SyncProgress {
  lastBlock: bigint;
  head: bigint;
  ballotsIndexed: number;
  ballotsChecked: number;
  ranges: number;
  logs: number;
  /** Seconds spent reading and indexing (eth_getLogs, calldata, SQLite) and checking ballots. */
  indexSeconds: number;
  checkSeconds: number;
  /** Of checkSeconds: starting the verifier threads (once per process). */
  verifierStartSeconds: number;
}

const DEFAULT_PAGE = 2_000n;
const DEFAULT_RANGE_BALLOTS = 500;

export class Observer {
  readonly registry: Registry;
  readonly metrics: ObserverMetrics;
  readonly logger: Logger;
  private readonly client: ChainPublicClient;
  private readonly account: PrivateKeyAccount | null;
  private readonly wallet: AccountWalletClient | null;
  /** The verifier pool for the current rules, started once (and again only when the rules change). */
  private pool: { key: string; ready: Promise<VerifierPool> } | null = null;
  private runningAggregate = new RunningAggregate();
  /**
   * The ledger checks' state over the index's checked ballots, advanced by the
   * ballots checked since each round, and the store's generation they are of.
   */
  private ledgerFold: { fold: LedgerFold; generation: number } | null = null;
  /** The signers of the indexed attestations (V9.1), recovered after each sync. */
  private attestationSigners: (Address | null)[] = [];
  private verification: Verification | null = null;
  private dirty = true;
  /** The checks of the header's cancellations (V10.4), made after each sync (verify() is synchronous). */
  private cancellationChecks: CancellationCheck[] = [];
  private wasClosed = false;
  private head = -1n;
  private verifierStartSeconds = 0;
  private syncing = false;
  private lastError: string | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;

  private constructor(
    private readonly options: ObserverOptions,
    readonly store: ObserverStore,
  ) {
    this.client = publicClientFor(options.endpoint);
    this.logger = options.logger ?? pino({ name: "observer" }, pino.destination(2));
    this.registry = options.registry ?? serviceRegistry("observer");
    this.metrics = new ObserverMetrics(this.registry);
    this.account = options.observerKey ? privateKeyToAccount(options.observerKey) : null;
    this.wallet = options.observerKey ? walletClientFor(options.endpoint, options.observerKey) : null;
  }

  /** Opens (or creates) the index in dataDir; refuses an index of another election or chain. */
  static async open(options: ObserverOptions): Promise<Observer> {
    const election = getAddress(options.election);
    const store = ObserverStore.open(options.dataDir);
    const observer = new Observer({ ...options, election }, store);
    // The workers' code is bundled meanwhile (the pool starts once the first range brings the rules).
    if (options.threads !== 0) void workerSource();
    try {
      await observer.initialize();
    } catch (error) {
      store.close();
      throw error;
    }
    return observer;
  }

  get election(): Address {
    return this.options.election;
  }

  get observerAddress(): Address | null {
    return this.account?.address ?? null;
  }

  private async initialize(): Promise<void> {
    const chainId = String(this.options.endpoint.chainId);
    const identity = this.store.identity();
    if (identity !== null) {
      if (identity.election !== this.election.toLowerCase() || identity.chainId !== chainId)
        throw new ObserverError(
          `${this.options.dataDir} indexes election ${identity.election} on chain ${identity.chainId}, not ${this.election} on chain ${chainId}`,
        );
      return;
    }
    const head = await confirmedHead(this.client, this.confirmations);
    const code =
      head < 0n ? undefined : await this.client.getCode({ address: this.election, blockNumber: head });
    if (code === undefined || code === "0x")
      throw new ObserverError(`no contract at ${this.election} on chain ${chainId} (block ${head})`);
    let record: ElectionRecord;
    try {
      record = await readElectionHeader(this.client, this.election, head, this.options.pageSize);
    } catch (error) {
      throw new ObserverError(
        `${this.election} is not an election of a ballot-ledger factory: ${(error as Error).message.split("\n")[0]}`,
      );
    }
    const header = headerOf(record);
    const before = BigInt(record.creationBlock) - 1n;
    this.store.initialize(
      { ...header, runningHash: ZERO_RUNNING_HASH, ballotCount: 0, throughBlock: before.toString() },
      before,
    );
    this.logger.info({ election: this.election, creationBlock: record.creationBlock }, "new index");
  }

  private get confirmations(): number {
    return this.options.confirmations ?? 0;
  }

  /** Follows the chain to the confirmed head: indexes every range, then checks the new ballots. */
  async sync(): Promise<SyncProgress> {
    this.syncing = true;
    try {
      return await this.follow();
    } finally {
      this.syncing = false;
    }
  }

  private async follow(): Promise<SyncProgress> {
    const head = await confirmedHead(this.client, this.confirmations);
    this.head = head;
    this.metrics.chainHead.set(Number(head) + this.confirmations);
    const progress: SyncProgress = {
      lastBlock: 0n,
      head,
      ballotsIndexed: 0,
      ballotsChecked: 0,
      ranges: 0,
      logs: 0,
      indexSeconds: 0,
      checkSeconds: 0,
      verifierStartSeconds: 0,
    };
    const check = async () => {
      const started = performance.now();
      const startBefore = this.verifierStartSeconds;
      progress.ballotsChecked += await this.checkPending();
      progress.checkSeconds += (performance.now() - started) / 1000;
      progress.verifierStartSeconds += this.verifierStartSeconds - startBefore;
    };
    await this.checkStillOnChain();
    // Checking runs beside the indexing: each committed range is checked while the next is read.
    let checking: Promise<void> | null = null;
    let checkAgain = false;
    const checkInBackground = () => {
      if (checking !== null) {
        checkAgain = true;
        return;
      }
      checking = (async () => {
        do {
          checkAgain = false;
          await check();
        } while (checkAgain && !this.stopping);
      })().finally(() => {
        checking = null;
      });
    };
    // Ballots left unchecked by an interrupted run first.
    checkInBackground();
    try {
      await this.index(head, progress, checkInBackground);
    } finally {
      // Every committed ballot is checked before the round ends (an indexing error is reported first).
      await Promise.resolve(checking).catch((error: unknown) => {
        this.logger.error({ err: (error as Error).message }, "checking failed");
      });
    }
    await check();
    progress.lastBlock = this.store.lastBlock();
    this.attestationSigners = await recoverAttestationSigners(this.store.header());
    const { cancellations } = this.store.header().channels;
    if (
      cancellations.map((c) => c.nullifier).join() !== this.cancellationChecks.map((c) => c.nullifier).join()
    ) {
      this.cancellationChecks = await inspectCancellations(
        electionRulesOf(this.store.header()),
        cancellations,
      );
      this.dirty = true;
    }
    const closed = this.store.lastBlockTime() >= this.store.header().closesAt;
    if (closed !== this.wasClosed) this.dirty = true;
    this.wasClosed = closed;
    return progress;
  }

  /**
   * Indexes the blocks up to `head`, range by range, each committed at once;
   * `committed` is called after each commit. A range ends at the block where
   * it reaches rangeBallots ballots; the next range is then sized to about
   * that many ballots (doubling again over emptier blocks).
   */
  private async index(head: bigint, progress: SyncProgress, committed: () => void): Promise<void> {
    const pageSize = this.options.pageSize ?? DEFAULT_PAGE;
    const maxBlocks = this.options.rangeBlocks ?? pageSize;
    const rangeBallots = this.options.rangeBallots ?? DEFAULT_RANGE_BALLOTS;
    let rangeBlocks = maxBlocks;
    for (let from = this.store.lastBlock() + 1n; from <= head && !this.stopping;) {
      const started = performance.now();
      let to = from + rangeBlocks - 1n < head ? from + rangeBlocks - 1n : head;
      const header = this.store.header();
      const record: ElectionRecord = { ...header, ballots: [], issuances: [], rejections: [] };
      let toHash = await blockHashAt(this.client, to);
      let logs = await fetchElectionLogs(this.client, this.election, from, to, pageSize);
      // One chain per range: its last block must be unchanged once its logs are read (else read it again).
      if ((await blockHashAt(this.client, to)) !== toHash) continue;
      const cut = cutAtBallots(logs, rangeBallots);
      if (cut !== null && cut.block < to) {
        // The block of a log of this chain (its last block unchanged): its hash is the log's.
        logs = logs.filter((log) => log.blockNumber <= cut.block);
        to = cut.block;
        toHash = cut.blockHash;
        // The next range spans as many blocks as these ballots did, so little is read twice.
        rangeBlocks = cut.block - cut.firstBlock + 1n;
      } else if (rangeBlocks < maxBlocks)
        rangeBlocks = rangeBlocks * 2n < maxBlocks ? rangeBlocks * 2n : maxBlocks;
      await foldLogs(this.client, record, logs);
      this.startVerifier(headerOf(record));
      const offset = this.store.ballotCount();
      for (const ballot of record.ballots) ballot.index += offset;
      let lastBlockTime: number;
      if (logs.length > 0) {
        const state = await readLedgerState(this.client, this.election, to);
        record.runningHash = state.runningHash;
        record.ballotCount = state.ballotCount;
        record.closesAt = state.closesAt;
        lastBlockTime = state.timestamp;
      } else lastBlockTime = Number((await this.client.getBlock({ blockNumber: to })).timestamp);
      record.throughBlock = to.toString();
      const events: StoredEvent[] = logs.map((log) => ({
        blockNumber: log.blockNumber,
        logIndex: log.logIndex,
        transactionHash: log.transactionHash,
        name: log.eventName,
        args: log.args,
      }));
      this.store.commitRange({
        header: headerOf(record),
        lastBlock: to,
        lastBlockHash: toHash,
        lastBlockTime,
        ballots: record.ballots,
        issuances: record.issuances,
        rejections: record.rejections,
        events,
      });
      this.metrics.lastBlock.set(Number(to));
      if (logs.length > 0) this.dirty = true;
      progress.ranges++;
      progress.logs += logs.length;
      progress.ballotsIndexed += record.ballots.length;
      progress.indexSeconds += (performance.now() - started) / 1000;
      committed();
      from = to + 1n;
    }
  }

  /**
   * A Clique chain can reorganise: when the last indexed block is no longer
   * on the chain (a reorganisation deeper than `confirmations`), nothing in
   * the index can be trusted to be on the chain, so it is rebuilt from the
   * election's creation block. Never happens on a final (QBFT) chain.
   */
  private async checkStillOnChain(): Promise<void> {
    const indexed = this.store.lastBlockHash();
    if (indexed === null) return;
    const lastBlock = this.store.lastBlock();
    const onChain = await blockHashAt(this.client, lastBlock);
    if (onChain === indexed) return;
    this.logger.error(
      { block: lastBlock.toString(), indexed, onChain, confirmations: this.confirmations },
      "the last indexed block was replaced (a reorganisation deeper than the confirmations): re-indexing",
    );
    this.metrics.reorgs.inc();
    this.store.clear();
    this.runningAggregate = new RunningAggregate();
    this.verification = null;
    this.dirty = true;
    await this.initialize();
  }

  /**
   * Starts the verifier pool for these rules now, without waiting (its start
   * overlaps with the indexing; checkerFor then finds it started).
   */
  private startVerifier(header: RecordHeader): void {
    const rules = electionRulesOf(header);
    if (rules === null || this.options.threads === 0 || this.pool?.key === rulesKey(rules)) return;
    this.checkerFor(rules).catch(() => undefined);
  }

  private async checkerFor(rules: ElectionRules | null): Promise<BallotChecker> {
    if (rules === null) return noContextChecker;
    if (this.options.threads === 0) return directChecker(rules);
    const key = rulesKey(rules);
    if (this.pool?.key !== key) {
      const previous = this.pool?.ready;
      const ready = (async () => {
        await (await previous?.catch(() => null))?.close();
        const started = performance.now();
        const pool = await VerifierPool.create(
          { context: rules.context, registrarKeys: rules.registrarKeys },
          this.options.threads === undefined ? {} : { threads: this.options.threads },
        );
        this.verifierStartSeconds += (performance.now() - started) / 1000;
        this.logger.info({ threads: pool.threads }, "verifier pool started");
        return pool;
      })();
      const pool = { key, ready };
      // A pool that failed to start is started again at the next check.
      ready.catch(() => {
        if (this.pool === pool) this.pool = null;
      });
      this.pool = pool;
    }
    return this.pool.ready;
  }

  /**
   * Checks every indexed ballot not checked yet, in chain order; returns how
   * many. Two chunks are with the checker at once, so it never waits while a
   * chunk's outcomes are saved.
   */
  private async checkPending(): Promise<number> {
    let checked = 0;
    const chunk = this.options.checkChunk ?? 2_000;
    const inFlight: { batch: RecordBallot[]; rules: string; inspections: Promise<BallotInspection[]> }[] = [];
    let after = -1;
    let previous: Hex | null = null;
    try {
      for (;;) {
        while (inFlight.length < 2) {
          const batch = this.store.unchecked(chunk, after);
          if (batch.length === 0) break;
          const rules = electionRulesOf(this.store.header());
          // New rules (a registrar key indexed meanwhile) wait until the chunks checked under the old ones are in.
          if (inFlight.length > 0 && rulesKey(rules) !== inFlight[0].rules) break;
          const first = batch[0].index;
          if (previous === null) {
            previous = first === 0 ? ZERO_RUNNING_HASH : this.store.computedRunningHashAt(first - 1);
            if (previous === null)
              throw new ObserverError(`ballot ${first - 1} is not checked before ballot ${first}`);
          }
          const checker = await this.checkerFor(rules);
          const started = startInspection(checker, batch, previous);
          inFlight.push({ batch, rules: rulesKey(rules), inspections: started.inspections });
          previous = started.lastRunningHash;
          after = batch[batch.length - 1].index;
        }
        const next = inFlight.shift();
        if (next === undefined) return checked;
        const inspections = await next.inspections;
        this.store.saveInspections(
          next.batch.map((ballot, i) => ({ index: ballot.index, inspection: inspections[i] })),
        );
        this.metrics.ballotsChecked.inc(next.batch.length);
        checked += next.batch.length;
        this.dirty = true;
      }
    } finally {
      // Not left unhandled when an earlier chunk failed.
      for (const pending of inFlight) pending.inspections.catch(() => undefined);
    }
  }

  /**
   * The fold brought to every checked ballot of the index: only those checked
   * since are read, unless the store's generation (a ballot read before was
   * checked again, or the index cleared) or the policy changed.
   */
  private advancedLedgerFold(policy: RecordHeader["revotePolicy"]): LedgerFold {
    const generation = this.store.checkedGeneration;
    if (this.ledgerFold?.generation !== generation || this.ledgerFold.fold.policy !== policy)
      this.ledgerFold = { fold: new LedgerFold(policy), generation };
    const { fold } = this.ledgerFold;
    for (const ballot of this.store.checkedBallots(fold.lastIndex)) fold.add(ballot);
    return fold;
  }

  /** Runs the shared verification over the index (again only when something changed). */
  verify(force = false): Verification {
    if (this.verification !== null && !this.dirty && !force) return this.verification;
    const started = performance.now();
    const header = this.store.header();
    const closed = this.store.lastBlockTime() >= header.closesAt;
    const ledger = this.advancedLedgerFold(header.revotePolicy);
    const verification = verifyElection(
      {
        header,
        ledger,
        issuance: this.store.issuanceSummary(),
        rejectedByContract: this.store.rejectionsByReason(),
        attestationSigners: this.attestationSigners,
        ballotBytes: (indices) => this.store.ballotBytes(indices),
        cancellationChecks: this.cancellationChecks,
      },
      { computeTally: closed, runningAggregate: this.runningAggregate },
    );
    // While voting is open the tally is not computed, but the aggregate follows the counted ballots
    // (only the new and the superseded ones), so that it is ready when voting closes.
    if (verification.tally === null && verification.context !== null)
      this.runningAggregate.update(
        { ballotBytes: (indices) => this.store.ballotBytes(indices) },
        verification.context,
        verification.verdicts.filter((v) => v.status === "counted").map((v) => v.index),
      );
    this.metrics.update(verification.report, (performance.now() - started) / 1000);
    this.verification = verification;
    this.dirty = false;
    return verification;
  }

  /**
   * Once the result is published and the tally recomputed: signs the
   * attestation (kept in the index and in dataDir/attestation.json) and posts
   * it with attest() when the key holds the observer role and has not attested.
   */
  async attest(verification: Verification): Promise<StoredAttestation | null> {
    const { report } = verification;
    const published = report.result.published;
    if (this.account === null || report.tally === null || published === null || verification.context === null)
      return this.store.attestation();
    const message = {
      election: this.election,
      resultHash: published.resultHash,
      tallyHash: report.tally.hash,
      resultMatches: report.result.matches === true,
    };
    let stored = this.store.attestation();
    if (
      stored === null ||
      stored.tallyHash !== message.tallyHash ||
      stored.resultHash !== message.resultHash ||
      stored.resultMatches !== message.resultMatches
    ) {
      const signature = await signAttestation(this.account, verification.context, message);
      stored = {
        ...message,
        signer: this.account.address,
        signature,
        transactionHash: null,
        onChain: "not-posted",
      };
      this.store.saveAttestation(stored);
      fs.writeFileSync(
        path.join(this.options.dataDir, "attestation.json"),
        `${JSON.stringify({ ...stored, tally: report.tally.canonical }, null, 2)}\n`,
      );
      this.logger.info(
        { tallyHash: message.tallyHash, resultMatches: message.resultMatches },
        "attestation signed",
      );
    }
    // Not posted yet, or the role may have been granted since the last round.
    const due = stored.onChain === "not-posted" || stored.onChain === "no-observer-role";
    if (due && this.options.postAttestation !== false && this.wallet !== null) {
      const standing = await observerStanding(this.client, this.election, this.account.address);
      if (!standing.hasRole) stored = { ...stored, onChain: "no-observer-role" };
      else if (standing.hasAttested) stored = { ...stored, onChain: "already-attested" };
      else {
        const transactionHash = await postAttestation(this.wallet, this.client, this.election, {
          ...message,
          signature: stored.signature,
        });
        stored = { ...stored, transactionHash, onChain: "posted" };
        this.logger.info({ transactionHash }, "attestation posted on chain");
      }
      this.store.saveAttestation(stored);
    }
    return stored;
  }

  /** One round: follow to the head, verify, attest when due. */
  async round(): Promise<Verification> {
    await this.sync();
    const verification = this.verify();
    await this.attest(verification);
    return verification;
  }

  /** Follows until stop(): a round, then a pause of pollIntervalMs. Errors are logged and retried. */
  async run(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.round();
        this.lastError = null;
      } catch (error) {
        this.lastError = (error as Error).message.split("\n")[0];
        this.metrics.syncErrors.inc();
        this.logger.error({ err: this.lastError }, "round failed; retrying");
      }
      if (this.stopping) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.pollIntervalMs ?? 2_000);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  stop(): void {
    this.stopping = true;
    this.wake?.();
  }

  /**
   * The verification to show: while a round is indexing, the last complete
   * one (the index may hold ballots not checked yet); otherwise up to date.
   */
  latest(): Verification {
    if (this.verification !== null && this.syncing) return this.verification;
    return this.verify();
  }

  /** What the dashboard shows: the last verification, progress, and turnout over time. */
  status() {
    const verification = this.latest();
    const header = this.store.header();
    const window = Math.max(1, header.closesAt - header.opensAt);
    const bucketSeconds = Math.max(60, Math.ceil(window / 96 / 60) * 60);
    return {
      election: this.election,
      chainId: header.chainId,
      observer: this.observerAddress,
      sync: {
        lastBlock: this.store.lastBlock().toString(),
        confirmedHead: this.head.toString(),
        lastBlockTime: this.store.lastBlockTime(),
        confirmations: this.confirmations,
        ballotsIndexed: this.store.ballotCount(),
        ballotsUnchecked: this.store.uncheckedCount(),
        lastError: this.lastError,
      },
      window: { opensAt: header.opensAt, closesAt: header.closesAt },
      styles: verification.manifest?.ballotStyles.map((s, i) => ({ style: i, id: s.id })) ?? [],
      report: verification.report,
      series: { bucketSeconds, ...this.store.timeSeries(bucketSeconds) },
      attestation: this.store.attestation(),
    };
  }

  async close(): Promise<void> {
    this.stop();
    await (await this.pool?.ready.catch(() => null))?.close();
    this.pool = null;
    this.store.close();
  }
}

export type ObserverStatus = ReturnType<Observer["status"]>;

/** What the verifier pool is started with: the election base hash and the registrar keys. */
function rulesKey(rules: ElectionRules | null): string {
  if (rules === null) return "none";
  return `${toHex(rules.context.baseHash)}:${[...rules.registrarKeys].map(([s, m]) => `${s}=${toHex(m)}`).join(",")}`;
}

/**
 * Where a range of logs reaches `ballots` BallotCast events: the block of the
 * last of them (the range keeps every log of that block), its hash and the
 * block of the first of them; null when the range holds fewer.
 */
function cutAtBallots(
  logs: readonly ElectionLog[],
  ballots: number,
): { block: bigint; blockHash: Hex; firstBlock: bigint } | null {
  let seen = 0;
  let firstBlock = 0n;
  for (const log of logs) {
    if (log.eventName !== "BallotCast") continue;
    if (seen++ === 0) firstBlock = log.blockNumber;
    if (seen >= ballots) return { block: log.blockNumber, blockHash: log.blockHash, firstBlock };
  }
  return null;
}
