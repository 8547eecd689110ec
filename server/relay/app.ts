import express, { type Express } from "express";
import pino, { type Logger } from "pino";
import { Counter, Gauge } from "prom-client";
import type { Address, Hex } from "viem";
import { publicClientFor, signingAccount, walletClientFor, type ChainEndpoint } from "../chain/clients";
import { normalizeTrackingCode } from "../protocol/ballot";
import { bytesEqual, hexToBytes } from "../protocol/primitives/bytes";
import { initCrypto } from "../protocol/primitives/sodium";
import { VerifierPool } from "../verifier/pool";
import { boothElectionFields } from "../booth/election-info";
import { boothRouter, publicApiCors, type BoothConfig } from "../booth/serve";
import { loadElectionRules, registrarKeysOnChain } from "../service/election-info";
import {
  ApiError,
  DEFAULT_HEALTH_RATE_LIMIT,
  errorHandlers,
  jsonBody,
  listen,
  perClientRateLimit,
  requestLog,
  type ConnectionLimits,
  type Listening,
  type RateLimitConfig,
} from "../service/http";
import { httpMetrics, metricsRoute, serviceRegistry } from "../service/metrics";
import { ChainFollower } from "./chain-follower";
import { Intake } from "./intake";
import { BallotQueue } from "./queue";
import { openRelayStore, WalSync } from "./store";
import { Submitter, type SubmitterOptions } from "./submitter";

/**
 * The relay service (docs/api.md):
 *
 *   POST /v1/ballots                  { ballot, sequence, signature, election? } -> 202 receipt
 *   GET  /v1/ballots/:trackingCode    queued / on-chain (block, transaction) / rejected (reason)
 *   GET  /v1/election                 what this relay serves (with what a booth needs: docs/booth.md)
 *   GET  /, /checker.html, /track.html the web booth, when configured (server/booth/)
 *   GET  /health, GET /metrics
 *
 * Several relays may serve one election, each with its own RELAY_ROLE account
 * and its own store.
 */
export interface RelayConfig {
  endpoint: ChainEndpoint;
  election: Address;
  /** Private key of this relay's account (RELAY_ROLE): signs transactions and receipts. */
  accountKey: Hex;
  /** The SQLite file of the queue (created if missing). */
  queueFile: string;
  chainCheck?: "index" | "view";
  /** Ballots per castBallots transaction (1..200); default 100 (cut to the engine's limits, docs/network.md). */
  maxBatch?: number;
  /** Blocks on top of a block before the relay takes its casts as settled; default 0 (a final chain). */
  confirmations?: number;
  /** Longest wait of a queued ballot before a partial batch goes; default 2,000 ms (DEFAULT_MAX_WAIT_MS, submitter.ts). */
  maxWaitMs?: number;
  /** Verifier worker threads; default: every core. */
  verifierThreads?: number;
  /** Largest accepted body; default 96 KiB (a 32 KiB ballot is 64 KiB of hex). */
  bodyLimitBytes?: number;
  /** Per client IP; default 600 requests a minute. */
  rateLimit?: RateLimitConfig;
  /** /health and /metrics per client IP; default 120 requests a minute. */
  healthRateLimit?: RateLimitConfig;
  /** Header, request and idle timeouts, connections per source (defaults: DEFAULT_CONNECTION_LIMITS). */
  connectionLimits?: Partial<ConnectionLimits>;
  trustProxy?: boolean | number | string;
  /** Chain polling period of the follower; default 1,000 ms. */
  pollMs?: number;
  /**
   * "full" (default): a ballot is answered, and a batch broadcast, only after
   * its commit is fsynced (survives a power cut); "normal": after the commit
   * (survives kill -9, not a power cut).
   */
  durability?: "full" | "normal";
  logger?: Logger;
  defaultMetrics?: boolean;
  crashPoint?: SubmitterOptions["crashPoint"];
  /** Serve the web booth (out/booth/, `npm run build:booth`); the relay refuses to start when it is not built. */
  booth?: BoothConfig;
}

const sameKeys = (a: ReadonlyMap<number, Uint8Array>, b: ReadonlyMap<number, Uint8Array>) =>
  a.size === b.size && [...a].every(([style, modulus]) => b.has(style) && bytesEqual(modulus, b.get(style)!));

export type RelayApp = Express & {
  shutdown(): Promise<void>;
  relay: { address: Address; queue: BallotQueue; follower: ChainFollower; submitter: Submitter };
};

export async function createRelayApp(config: RelayConfig): Promise<RelayApp> {
  await initCrypto();
  const booth = config.booth === undefined ? null : boothRouter(config.booth);
  const logger = config.logger ?? pino({ name: "relay" });
  const client = publicClientFor(config.endpoint);
  const wallet = walletClientFor(config.endpoint, config.accountKey);
  const account = signingAccount(config.accountKey);
  const rules = await loadElectionRules(client, config.election);
  const db = openRelayStore(config.queueFile, {
    chainId: config.endpoint.chainId,
    election: config.election,
    relay: account.address,
  });
  let wal: WalSync;
  try {
    wal = await WalSync.open(config.queueFile);
  } catch (error) {
    db.close();
    throw error;
  }
  const durable = config.durability === "normal" ? async () => undefined : () => wal.sync();
  const registry = serviceRegistry("relay", config.defaultMetrics ?? true);
  const accepted = new Counter({
    name: "relay_ballots_accepted_total",
    help: "Ballots accepted (202)",
    registers: [registry],
  });
  const refused = new Counter({
    name: "relay_ballots_refused_total",
    help: "Ballots refused, by reason code",
    labelNames: ["code"],
    registers: [registry],
  });
  const settled = new Counter({
    name: "relay_ballots_settled_total",
    help: "Ballots settled by the submitter, by outcome",
    labelNames: ["outcome"],
    registers: [registry],
  });

  let pool: VerifierPool | null = null;
  let follower: ChainFollower | null = null;
  let submitter: Submitter | null = null;
  try {
    pool = await VerifierPool.create(
      { context: rules.context, registrarKeys: rules.registrarKeys },
      { threads: config.verifierThreads, batchSize: 256 },
    );
    const queue = new BallotQueue(db);
    follower = new ChainFollower({
      client,
      election: config.election,
      db,
      creationBlock: rules.creationBlock,
      logger,
      pollMs: config.pollMs,
      confirmations: config.confirmations,
    });
    await follower.start();
    submitter = new Submitter({
      client,
      wallet,
      election: config.election,
      queue,
      follower,
      logger,
      maxBatch: config.maxBatch,
      confirmations: config.confirmations,
      maxWaitMs: config.maxWaitMs,
      crashPoint: config.crashPoint,
      durable,
      onSettled: (s) => {
        settled.inc({ outcome: "on-chain" }, s.onChain);
        settled.inc({ outcome: "rejected" }, s.rejected);
        settled.inc({ outcome: "requeued" }, s.requeued);
      },
    });
    await submitter.start();
    new Gauge({
      name: "relay_queue_ballots",
      help: "Ballots in the store, by status",
      labelNames: ["status"],
      registers: [registry],
      collect() {
        for (const [status, n] of Object.entries(queue.counts())) this.set({ status }, n);
      },
    });

    // Registrar keys may change until the window opens; re-read them once voting has begun.
    let keysFinal = false;
    let keysCheck: Promise<void> | null = null;
    const ensureFinalKeys = async () => {
      if (keysFinal || !follower!.window().open) return;
      keysCheck ??= (async () => {
        const keys = await registrarKeysOnChain(client, config.election, rules.creationBlock);
        const fresh = new Map([...keys].map(([style, modulus]) => [style, hexToBytes(modulus)]));
        if (!sameKeys(fresh, rules.registrarKeys)) {
          logger.info("registrar keys changed before opening; restarting the verifier pool");
          const old = pool!;
          pool = await VerifierPool.create(
            { context: rules.context, registrarKeys: fresh },
            { threads: config.verifierThreads, batchSize: 256 },
          );
          rules.registrarKeys = fresh;
          // Requests still on the old pool finish first.
          setTimeout(() => void old.close(), 30_000).unref();
        }
        keysFinal = true;
      })().finally(() => (keysCheck = null));
      await keysCheck;
    };

    const intake = new Intake({
      context: rules.context,
      revotesAllowed: rules.revotesAllowed,
      pool: () => pool!,
      queue,
      follower,
      relayAccount: account,
      client,
      chainCheck: config.chainCheck ?? "index",
      durable,
      onRefused: (code) => refused.inc({ code }),
    });

    const app = express() as unknown as RelayApp;
    app.disable("x-powered-by");
    app.set("etag", false); // every answer is fresh; hashing each body for an ETag cost CPU
    if (config.trustProxy !== undefined) app.set("trust proxy", config.trustProxy);
    app.use(requestLog(logger));
    app.use(httpMetrics(registry));
    app.use("/v1", publicApiCors);
    const healthLimited = perClientRateLimit(config.healthRateLimit ?? DEFAULT_HEALTH_RATE_LIMIT);
    app.get("/metrics", healthLimited, metricsRoute(registry));
    // From the follower's last sync: no chain call per request. The chain counts as unreachable
    // when that sync is older than a few polling periods.
    const staleAfterMs = 3 * (config.pollMs ?? 1_000) + 5_000;
    app.get("/health", healthLimited, (_req, res) => {
      const sync = follower!.lastSync();
      const head = sync !== null && Date.now() - sync.syncedAt <= staleAfterMs ? sync.blockNumber : null;
      const health = submitter!.health;
      const ok = head !== null && health.running;
      res.status(ok ? 200 : 503).json({
        status: ok ? "ok" : head === null ? "chain-unreachable" : "submitter-stopped",
        election: config.election,
        chainId: config.endpoint.chainId,
        relay: account.address,
        window: follower!.window(),
        head: head?.toString() ?? null,
        queue: queue.counts(),
        submitter: health,
      });
    });
    app.get("/v1/election", (_req, res) => {
      const r = follower!.rules;
      res.json({
        chainId: config.endpoint.chainId,
        election: config.election,
        relay: account.address,
        revotePolicy: rules.revotesAllowed ? "last-ballot-counts" : "none",
        opensAt: r?.opensAt ?? null,
        closesAt: r?.closesAt ?? null,
        window: follower!.window(),
        ...boothElectionFields(rules.context, rules.registrarKeys, config.booth),
      });
    });

    const limited = perClientRateLimit(config.rateLimit ?? { windowMs: 60_000, limit: 600 });
    app.post("/v1/ballots", limited, ...jsonBody(config.bodyLimitBytes ?? 96 * 1024), async (req, res) => {
      await ensureFinalKeys();
      const result = await intake.accept(req.body);
      accepted.inc();
      submitter!.notify();
      res.status(202).json({
        status: "queued",
        trackingCode: result.receipt.trackingCode,
        receipt: {
          election: result.receipt.election,
          trackingCode: result.receipt.trackingCode,
          ballotHash: result.receipt.ballotHash,
          sequence: result.receipt.sequence.toString(),
          acceptedAt: Number(result.receipt.acceptedAt),
        },
        signature: result.signature,
        relay: result.relay,
      });
    });
    app.get("/v1/ballots/:trackingCode", limited, (req, res) => {
      const code = normalizeTrackingCode(String(req.params.trackingCode));
      if (code === null)
        throw new ApiError(400, "invalid-tracking-code", "a tracking code is 16 Crockford base32 characters");
      const state = queue.status(code);
      if (state === null)
        throw new ApiError(404, "unknown-tracking-code", "this relay has no ballot with this tracking code");
      res.json({
        trackingCode: state.trackingCode,
        ballotHash: state.ballotHash,
        sequence: state.sequence.toString(),
        acceptedAt: Math.floor(state.acceptedAt / 1000),
        status: state.status === "sent" ? "queued" : state.status,
        transactionHash: state.transactionHash,
        blockNumber: state.blockNumber?.toString() ?? null,
        reason: state.reason,
        relay: account.address,
        latestSequence: follower!.latestSequence(state.nullifier).toString(),
      });
    });
    if (booth !== null) app.use(booth.router);
    const [notFound, onError] = errorHandlers(logger);
    app.use(notFound);
    app.use(onError);

    app.relay = { address: account.address, queue, follower, submitter };
    app.shutdown = async () => {
      follower!.stop();
      await submitter!.stop();
      await pool!.close();
      await wal.close();
      db.close();
    };
    return app;
  } catch (error) {
    follower?.stop();
    await submitter?.stop();
    await pool?.close();
    await wal.close();
    db.close();
    throw error;
  }
}

export interface RunningRelay extends Listening {
  app: RelayApp;
}

export async function startRelay(
  config: RelayConfig,
  listenOn: { host?: string; port?: number } = {},
): Promise<RunningRelay> {
  const app = await createRelayApp(config);
  const listening = await listen(
    app,
    listenOn.host ?? "127.0.0.1",
    listenOn.port ?? 0,
    config.connectionLimits,
  );
  return {
    ...listening,
    app,
    close: async () => {
      await listening.close();
      await app.shutdown();
    },
  };
}
