import path from "node:path";
import express, { type Express, type RequestHandler } from "express";
import type { Logger } from "pino";
import { normalizeTrackingCode, trackingCode } from "../protocol/ballot";
import { toHex } from "../protocol/primitives/bytes";
import type { FindingCode } from "../verification/findings";
import type { LedgerVerdict, Verification } from "../verification/report";
import {
  ApiError,
  errorHandlers,
  listen,
  perClientRateLimit,
  requestLog,
  type Listening,
} from "../service/http";
import { httpMetrics, metricsRoute } from "../service/metrics";
import type { Observer } from "./observer";
import { findingTextsScript } from "./public/finding-texts";

/**
 * The observer's live view: a page with charts in Russian and English (static
 * HTML, CSS, the page's script and Chart.js, all served from here: no inline
 * code, no third-party origin, a strict Content-Security-Policy), the same
 * data as JSON at /api/status, the election's manifest (names, time zone) at
 * /api/manifest, the full verification report at /api/report, and Prometheus
 * metrics at /metrics. Also the public ballot tracker (/track, and
 * /api/ballots/:trackingCode): it looks a tracking code up in the observer's
 * own index of the chain, so it answers whatever relay is down (the manifest's
 * trackerUrls name it for the booth's receipt; docs/observer.md).
 */
const PUBLIC_DIR = path.join(__dirname, "public");
/** Chart.js's own browser build, from the installed package (its "exports" name only the module entries). */
const CHART_JS = path.join(path.dirname(require.resolve("chart.js")), "chart.umd.min.js");

const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const securityHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY);
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("Referrer-Policy", "no-referrer");
  res.setHeader("Cache-Control", "no-store");
  next();
};

/** A recorded ballot as the public tracker tells it (docs/observer.md, "Public ballot tracker"). */
export interface TrackedOnChain {
  /** Position in the election's ledger (the BallotCast events, from 0). */
  index: number;
  sequence: string;
  ballotHash: string;
  /** Time of the block that recorded it (Unix seconds). */
  recordedAt: number;
  /** The block and the castBallots transaction that recorded it, for any block explorer or node. */
  blockNumber: string | null;
  transactionHash: string | null;
  /**
   * counted: counts (as it stands while voting is open); superseded: a later
   * ballot of the same voter counts instead; cancelled: the voter cancelled
   * the online vote at a precinct; excluded: fails a check of the
   * verification and is not counted (exclusion: its finding code).
   */
  status: "counted" | "superseded" | "cancelled" | "excluded";
  supersededBySequence: string | null;
  /** A finding code, so that the tracker page explains it with FINDING_TEXTS (a type error otherwise). */
  exclusion: FindingCode | null;
}

export interface TrackAnswer {
  trackingCode: string;
  /** Always "chain": read by this observer from its own node, never asked of a relay. */
  source: "chain";
  election: string;
  chainId: string;
  observer: string | null;
  /** The last block of the verification the answer comes from, and its time when known. */
  throughBlock: string;
  throughTime: number | null;
  votingClosed: boolean;
  ballots: TrackedOnChain[];
}

/**
 * Tracking code -> ballots of the observer's index. Tracking codes are
 * H32("tracking-code"; Q, ballotHash) (protocol.md section 5), so they are
 * computed once per checked ballot and kept; each new verification adds the
 * ballots checked since (a reorganisation that replaced ballots rebuilds it).
 */
class TrackingIndex {
  private baseHash: string | null = null;
  /** The store's generation the ballots below are of (store.ts `generation`). */
  private generation = -1;
  private verification: Verification | null = null;
  private ballots: { ballotHash: string; sequence: string; recordedAt: number }[] = [];
  private byCode = new Map<string, number[]>();
  private verdicts = new Map<number, LedgerVerdict>();

  constructor(private readonly observer: Observer) {}

  private reset(baseHash: string | null, generation: number): void {
    this.baseHash = baseHash;
    this.generation = generation;
    this.ballots = [];
    this.byCode.clear();
  }

  private refresh(): Verification {
    const verification = this.observer.latest();
    if (verification === this.verification) return verification;
    this.verification = verification;
    this.verdicts = new Map(verification.verdicts.map((v) => [v.index, v]));
    const context = verification.context;
    const baseHash = context === null ? null : toHex(context.baseHash);
    const { store } = this.observer;
    if (baseHash !== this.baseHash || store.checkedGeneration !== this.generation)
      this.reset(baseHash, store.checkedGeneration);
    if (context === null) return verification;
    // The ballots after those indexed here that this verification judged, up to the first gap.
    for (const ballot of store.checkedBallots(this.ballots.length - 1)) {
      if (ballot.index !== this.ballots.length || !this.verdicts.has(ballot.index)) break;
      const code = trackingCode(context, ballot.ballotHash);
      this.ballots.push({
        ballotHash: ballot.ballotHash.toLowerCase(),
        sequence: ballot.sequence,
        recordedAt: ballot.timestamp,
      });
      this.byCode.set(code, [...(this.byCode.get(code) ?? []), ballot.index]);
    }
    return verification;
  }

  lookUp(code: string): TrackAnswer {
    const verification = this.refresh();
    const { store } = this.observer;
    const ballots = (this.byCode.get(code) ?? []).map((index): TrackedOnChain => {
      const ballot = this.ballots[index];
      const verdict = this.verdicts.get(index);
      const place = store.placeOf(index);
      const base = {
        index,
        sequence: ballot.sequence,
        ballotHash: ballot.ballotHash,
        recordedAt: ballot.recordedAt,
        blockNumber: place?.blockNumber ?? null,
        transactionHash: place?.transactionHash ?? null,
      };
      if (verdict?.status === "superseded")
        return verdict.supersededBy === null
          ? { ...base, status: "cancelled", supersededBySequence: null, exclusion: null }
          : {
              ...base,
              status: "superseded",
              supersededBySequence: this.ballots[verdict.supersededBy]?.sequence ?? null,
              exclusion: null,
            };
      if (verdict?.status === "excluded")
        return { ...base, status: "excluded", supersededBySequence: null, exclusion: verdict.code };
      return { ...base, status: "counted", supersededBySequence: null, exclusion: null };
    });
    return {
      trackingCode: code,
      source: "chain",
      election: this.observer.election,
      chainId: verification.report.chainId,
      observer: this.observer.observerAddress,
      throughBlock: verification.report.throughBlock,
      throughTime:
        store.lastBlock().toString() === verification.report.throughBlock ? store.lastBlockTime() : null,
      votingClosed: store.lastBlockTime() >= store.header().closesAt,
      ballots,
    };
  }
}

/** HTTP metrics register once per observer registry, however many times the app is built. */
const httpMetricsOf = new WeakMap<Observer, RequestHandler>();

export function dashboardApp(observer: Observer, logger: Logger): Express {
  let metrics = httpMetricsOf.get(observer);
  if (metrics === undefined) {
    metrics = httpMetrics(observer.registry);
    httpMetricsOf.set(observer, metrics);
  }
  const app = express();
  app.disable("x-powered-by");
  app.use(requestLog(logger));
  app.use(metrics);
  app.use(securityHeaders);
  app.get("/metrics", metricsRoute(observer.registry));
  app.use(perClientRateLimit({ windowMs: 60_000, limit: 600 }));
  app.get("/healthz", (_req, res) => {
    res.json({ ok: true, election: observer.election, lastBlock: observer.store.lastBlock().toString() });
  });
  app.get("/api/status", (_req, res) => {
    const status = observer.status();
    // The findings list can be long: the page shows the first ones, /api/report has all.
    res.json({ ...status, report: { ...status.report, findings: status.report.findings.slice(0, 200) } });
  });
  app.get("/api/report", (_req, res) => {
    res.json(observer.latest().report);
  });
  app.get("/api/manifest", (_req, res) => {
    res.json({ manifest: observer.latest().manifest ?? null });
  });
  const tracking = new TrackingIndex(observer);
  app.get("/api/ballots/:trackingCode", (req, res) => {
    const code = normalizeTrackingCode(String(req.params.trackingCode));
    if (code === null)
      throw new ApiError(400, "invalid-tracking-code", "a tracking code is 16 Crockford base32 characters");
    const answer = tracking.lookUp(code);
    if (answer.ballots.length === 0)
      throw new ApiError(
        404,
        "unknown-tracking-code",
        `no ballot with this tracking code is on chain (read through block ${answer.throughBlock})`,
        { throughBlock: answer.throughBlock, throughTime: answer.throughTime },
      );
    res.json(answer);
  });
  app.get("/", (_req, res) => res.sendFile(path.join(PUBLIC_DIR, "index.html")));
  app.get("/track", (_req, res) => res.sendFile(path.join(PUBLIC_DIR, "track.html")));
  const findingTexts = findingTextsScript();
  app.get("/finding-texts.js", (_req, res) => res.type("text/javascript").send(findingTexts));
  app.get("/favicon.ico", (_req, res) => {
    res.status(204).end();
  });
  app.get("/dashboard.js", (_req, res) =>
    res.type("text/javascript").sendFile(path.join(PUBLIC_DIR, "dashboard.js")),
  );
  app.get("/chart.js", (_req, res) => res.type("text/javascript").sendFile(CHART_JS));
  app.get("/dashboard.css", (_req, res) =>
    res.type("text/css").sendFile(path.join(PUBLIC_DIR, "dashboard.css")),
  );
  app.use(...errorHandlers(logger));
  return app;
}

export function serveDashboard(observer: Observer, host: string, port: number): Promise<Listening> {
  return listen(dashboardApp(observer, observer.logger), host, port);
}
