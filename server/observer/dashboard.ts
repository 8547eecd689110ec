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

/** Tracking codes computed and stored at a time, so that a look-up on a large index makes none of them twice. */
const TRACKING_PAGE = 10_000;

/**
 * Tracking code -> ballots of the observer's index. Tracking codes are
 * H32("tracking-code"; Q, ballotHash) (protocol.md section 5): computed once
 * per indexed ballot, by the first look-up after it was indexed, and kept in
 * the store (the index on disk, not memory). A ballot is shown when the
 * latest verification has judged it.
 */
class TrackingIndex {
  constructor(private readonly observer: Observer) {}

  /** Stores the codes of the ballots indexed since the last look-up (all of them for another base hash). */
  private catchUp(context: NonNullable<Verification["context"]>): void {
    const { store } = this.observer;
    const baseHash = toHex(context.baseHash);
    const state = store.trackingState();
    let after = state.baseHash === baseHash ? state.throughIndex : -1;
    for (;;) {
      const page = store.ballotHashesAfter(after, TRACKING_PAGE);
      if (page.length === 0) return;
      store.addTrackingCodes(
        baseHash,
        page.map((b) => ({ index: b.index, code: trackingCode(context, b.ballotHash) })),
      );
      after = page[page.length - 1].index;
    }
  }

  lookUp(code: string): TrackAnswer {
    const verification = this.observer.latest();
    const { store } = this.observer;
    const { verdicts, context } = verification;
    // verdicts[p] is the p-th recorded ballot's, whose index is p unless the record fails V4.1.
    const verdictOf = (index: number): LedgerVerdict | undefined =>
      verdicts[index]?.index === index ? verdicts[index] : verdicts.find((v) => v.index === index);
    if (context !== null) this.catchUp(context);
    const found = context === null ? [] : store.ballotsWithCode(code);
    const ballots = found.flatMap((row): TrackedOnChain[] => {
      const verdict = verdictOf(row.index);
      if (verdict === undefined) return [];
      const base = { ...row, ballotHash: row.ballotHash.toLowerCase() };
      if (verdict.status === "superseded")
        return verdict.supersededBy === null
          ? [{ ...base, status: "cancelled", supersededBySequence: null, exclusion: null }]
          : [
              {
                ...base,
                status: "superseded",
                supersededBySequence: store.sequenceAt(verdict.supersededBy),
                exclusion: null,
              },
            ];
      if (verdict.status === "excluded")
        return [{ ...base, status: "excluded", supersededBySequence: null, exclusion: verdict.code }];
      return [{ ...base, status: "counted", supersededBySequence: null, exclusion: null }];
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
