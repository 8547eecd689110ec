import express, { type Express } from "express";
import pino, { type Logger } from "pino";
import { Counter, Gauge, Histogram } from "prom-client";
import type { Address, Hex } from "viem";
import { z } from "zod";
import { publicClientFor, walletClientFor, type ChainEndpoint } from "../chain/clients";
import type { RegistrarKeyPair } from "../protocol/credential-issuer";
import { hexToBytes } from "../protocol/primitives/bytes";
import { cachedRead } from "../service/chain-tx";
import {
  ApiError,
  DEFAULT_HEALTH_RATE_LIMIT,
  errorHandlers,
  jsonBody,
  listen,
  parseRequest,
  perClientRateLimit,
  requestLog,
  type ConnectionLimits,
  type Listening,
  type RateLimitConfig,
} from "../service/http";
import { electionOrigin, registrarKeysOnChain } from "../service/election-info";
import { httpMetrics, metricsRoute, serviceRegistry } from "../service/metrics";
import { publicApiCors } from "../booth/serve";
import { AttemptGuard, type AttemptPolicy } from "./attempts";
import { Issuer, type IssuanceBatching, type IssuerDeps } from "./issuer";
import { initCrypto } from "../protocol/primitives/sodium";
import { IssuanceJournal } from "./journal";
import { VOTER_ID_PATTERN, type IdentityProvider } from "./roll";

/**
 * The registrar service (docs/api.md):
 *
 *   POST /v1/style        { voterId, code }                          -> { style }
 *   POST /v1/credentials  { voterId, code, style?, blindedMessage }  -> { blindSignature, ... }
 *   GET  /v1/keys         the registrar's RSA moduli per style, as recorded on chain
 *   GET  /health, GET /metrics
 */
export interface RegistrarConfig {
  endpoint: ChainEndpoint;
  election: Address;
  /** Private key of the account holding REGISTRAR_ROLE. */
  accountKey: Hex;
  identity: IdentityProvider;
  keys: ReadonlyMap<number, RegistrarKeyPair>;
  journalFile: string;
  /** Largest accepted body; default 16 KiB. */
  bodyLimitBytes?: number;
  /** Per client IP; default 60 requests a minute. */
  rateLimit?: RateLimitConfig;
  /** Wrong-code limits per source and voter id (attempts.ts); default DEFAULT_ATTEMPT_POLICY. */
  attempts?: Partial<AttemptPolicy>;
  /** Issuances per recordIssuances transaction and the window that gathers them (issuer.ts); default DEFAULT_ISSUANCE_BATCHING. */
  issuanceBatch?: Partial<IssuanceBatching>;
  /** Fault injection for the crash tests (IssuerDeps.crashPoint). */
  crashPoint?: IssuerDeps["crashPoint"];
  /** /health and /metrics per client IP; default 120 requests a minute. */
  healthRateLimit?: RateLimitConfig;
  /** Header, request and idle timeouts, connections per source (defaults: DEFAULT_CONNECTION_LIMITS). */
  connectionLimits?: Partial<ConnectionLimits>;
  /** Express "trust proxy" setting, when behind a reverse proxy. */
  trustProxy?: boolean | number | string;
  logger?: Logger;
  /** Node.js default metrics (event loop, memory); default true. */
  defaultMetrics?: boolean;
}

/** How long /health reuses its read of the chain head. */
const HEALTH_CACHE_MS = 2_000;

/** The client a code check is counted against: its IP (as express sees it, "trust proxy" applied). */
const sourceOf = (req: express.Request): string => req.ip ?? req.socket.remoteAddress ?? "unknown";

export type RegistrarApp = Express & {
  shutdown(): Promise<void>;
  /** The local journal's entries by state. */
  journalCounts(): { pending: number; recorded: number };
  /** Issuances waiting for their recordIssuances batch to go. */
  issuancesWaiting(): number;
};

const hexBytes = (min: number, max: number) =>
  z
    .string()
    .regex(/^0x([0-9a-fA-F]{2})*$/, "must be 0x-prefixed hex bytes")
    .refine((s) => s.length >= 2 + 2 * min && s.length <= 2 + 2 * max, `must be ${min}-${max} bytes`);

const credentialsSchema = z
  .object({
    voterId: z.string().regex(VOTER_ID_PATTERN, "must be 1-128 characters of [A-Za-z0-9._:@+-]"),
    code: z.string().min(1).max(4096),
    style: z.number().int().min(0).max(0xffffffff).optional(),
    blindedMessage: hexBytes(256, 512),
  })
  .strict();

const styleSchema = credentialsSchema.pick({ voterId: true, code: true }).strict();

export async function createRegistrarApp(config: RegistrarConfig): Promise<RegistrarApp> {
  await initCrypto(); // the journal key is a tagged SHA-512 (docs/protocol.md 11.1)
  const logger = config.logger ?? pino({ name: "registrar" });
  const client = publicClientFor(config.endpoint);
  const wallet = walletClientFor(config.endpoint, config.accountKey);
  const { creationBlock } = await electionOrigin(client, config.election);
  const journal = new IssuanceJournal(config.journalFile, {
    chainId: config.endpoint.chainId,
    election: config.election,
  });
  const registry = serviceRegistry("registrar", config.defaultMetrics ?? true);
  const lockouts = new Counter({
    name: "registrar_voter_lockouts_total",
    help: "Voter ids that reached the wrong-code lock threshold (an alert: someone is guessing or locking out)",
    registers: [registry],
  });
  const attemptsRefused = new Counter({
    name: "registrar_attempts_refused_total",
    help: "Code checks refused without hashing, by scope (source: its delay; voter: locked for this source)",
    labelNames: ["scope"],
    registers: [registry],
  });
  const attempts = new AttemptGuard(config.attempts, {
    onLock: (_voterId, failures) => {
      lockouts.inc();
      logger.warn({ failures }, "a voter id is locked: wrong codes from several sources (alert)");
    },
    onRefused: (scope) => attemptsRefused.inc({ scope }),
  });
  new Gauge({
    name: "registrar_voters_locked",
    help: "Voter ids locked now by wrong codes",
    registers: [registry],
    collect() {
      this.set(attempts.lockedCount());
    },
  });
  const batchSizes = new Histogram({
    name: "registrar_issuance_batch_size",
    help: "Issuances journaled per recordIssuances transaction",
    buckets: [1, 2, 5, 10, 20, 50, 100, 200],
    registers: [registry],
  });
  const issuer = new Issuer({
    batching: config.issuanceBatch,
    crashPoint: config.crashPoint,
    onBatch: (size) => batchSizes.observe(size),
    attempts,
    client,
    wallet,
    election: config.election,
    creationBlock,
    identity: config.identity,
    keys: config.keys,
    journal,
    logger,
  });

  new Gauge({
    name: "registrar_issuances_waiting",
    help: "Issuances waiting for their recordIssuances batch to go",
    registers: [registry],
    collect() {
      this.set(issuer.waitingIssuances);
    },
  });
  const issued = new Counter({
    name: "registrar_credentials_issued_total",
    help: "Blind signatures returned (repeats included)",
    registers: [registry],
  });
  const refused = new Counter({
    name: "registrar_requests_refused_total",
    help: "Refused credential requests by reason code",
    labelNames: ["code"],
    registers: [registry],
  });

  const chainKeys = cachedRead(async () => {
    const byStyle = await registrarKeysOnChain(client, config.election, creationBlock);
    return [...byStyle].sort((a, b) => a[0] - b[0]).map(([style, modulus]) => ({ style, modulus }));
  }, 10_000);
  const chainHead = cachedRead(() => client.getBlockNumber({ cacheTime: 0 }), HEALTH_CACHE_MS);

  const app = express() as unknown as RegistrarApp;
  app.disable("x-powered-by");
  if (config.trustProxy !== undefined) app.set("trust proxy", config.trustProxy);
  app.use(requestLog(logger));
  app.use(httpMetrics(registry));
  app.use("/v1", publicApiCors); // the web booth calls the registrar from the relay's origin

  const healthLimited = perClientRateLimit(config.healthRateLimit ?? DEFAULT_HEALTH_RATE_LIMIT);
  app.get("/health", healthLimited, async (_req, res) => {
    const head = await chainHead().catch(() => null);
    res.status(head === null ? 503 : 200).json({
      status: head === null ? "chain-unreachable" : "ok",
      election: config.election,
      chainId: config.endpoint.chainId,
      registrar: wallet.account.address,
      styles: [...config.keys.keys()].sort((a, b) => a - b),
      journal: journal.counts(),
      head: head?.toString() ?? null,
    });
  });
  app.get("/metrics", healthLimited, metricsRoute(registry));
  app.get("/v1/keys", async (_req, res) => {
    res.json({ election: config.election, chainId: config.endpoint.chainId, keys: await chainKeys() });
  });

  const limited = perClientRateLimit(config.rateLimit ?? { windowMs: 60_000, limit: 60 });
  const body = jsonBody(config.bodyLimitBytes ?? 16 * 1024);
  app.post("/v1/style", limited, ...body, async (req, res) => {
    const request = parseRequest(styleSchema, req.body);
    res.json({ style: await issuer.styleOf(request.voterId, request.code, sourceOf(req)) });
  });
  app.post("/v1/credentials", limited, ...body, async (req, res) => {
    const request = parseRequest(credentialsSchema, req.body);
    const result = await issuer.issue(
      { ...request, blindedMessage: hexToBytes(request.blindedMessage) },
      sourceOf(req),
    );
    issued.inc();
    res.json({
      style: result.style,
      blindSignature: result.blindSignature,
      requestHash: result.requestHash,
      voterIdHash: result.voterIdHash,
      transactionHash: result.transactionHash,
      blockNumber: result.blockNumber.toString(),
    });
  });

  const [notFound, onError] = errorHandlers(logger);
  app.use(notFound);
  app.use(((error, req, res, next) => {
    if (error instanceof ApiError && req.path.startsWith("/v1/")) refused.inc({ code: error.code });
    onError(error, req, res, next);
  }) as typeof onError);

  app.shutdown = async () => journal.close();
  app.journalCounts = () => journal.counts();
  app.issuancesWaiting = () => issuer.waitingIssuances;
  return app;
}

export interface RunningRegistrar extends Listening {
  app: RegistrarApp;
}

export async function startRegistrar(
  config: RegistrarConfig,
  listenOn: { host?: string; port?: number } = {},
): Promise<RunningRegistrar> {
  const app = await createRegistrarApp(config);
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
