import express, { type Express, type RequestHandler } from "express";
import type { Logger } from "pino";
import type { Address } from "viem";
import type { ChainEndpoint } from "../chain/clients";
import { Observer } from "../observer/observer";
import { errorHandlers, listen, perClientRateLimit, type Listening } from "../service/http";
import { combineVerifications, type CombineOutcome } from "./combine";

/**
 * Several elections followed in one process (one per region or platform):
 * an Observer each (its own index, the one verification), and their
 * combined result (combine.ts, docs/protocol.md section 12) recomputed after
 * every round. Served as JSON at /api/combined and as one page at /: each
 * election's stage, verdict and reconciliation, then the combined result or
 * the reason it is refused.
 */
export interface FollowedElection {
  label: string;
  endpoint: ChainEndpoint;
  election: Address;
  /** The observer's index folder for this election. */
  dataDir: string;
}

export interface CombinedView {
  elections: {
    label: string;
    chainId: string;
    election: Address;
    stage: string;
    verdict: string;
    throughBlock: string;
    ballots: { recorded: number; counted: number };
    tallyHash: string | null;
    reconciliation: unknown[];
  }[];
  combined:
    | ({ ok: true } & Pick<Extract<CombineOutcome, { ok: true }>, "tally" | "bytes" | "hash" | "elections">)
    | { ok: false; code: string; reason: string };
}

export class CombinedFollower {
  private constructor(
    private readonly followed: { label: string; observer: Observer }[],
    readonly logger: Logger,
  ) {}

  static async open(elections: readonly FollowedElection[], logger: Logger): Promise<CombinedFollower> {
    const followed: { label: string; observer: Observer }[] = [];
    try {
      for (const e of elections)
        followed.push({
          label: e.label,
          observer: await Observer.open({
            endpoint: e.endpoint,
            election: e.election,
            dataDir: e.dataDir,
            threads: 0,
            logger: logger.child({ election: e.label }),
          }),
        });
    } catch (error) {
      for (const f of followed) await f.observer.close();
      throw error;
    }
    return new CombinedFollower(followed, logger);
  }

  /** One round: every election follows its chain to the head. */
  async sync(): Promise<void> {
    for (const { observer } of this.followed) await observer.sync();
  }

  view(): CombinedView {
    const verifications = this.followed.map(({ label, observer }) => ({
      label,
      verification: observer.latest(),
    }));
    const outcome = combineVerifications(verifications);
    return {
      elections: verifications.map(({ label, verification: { report } }) => ({
        label,
        chainId: report.chainId,
        election: report.election,
        stage: report.stage,
        verdict: report.verdict,
        throughBlock: report.throughBlock,
        ballots: { recorded: report.ballots.recorded, counted: report.ballots.counted },
        tallyHash: report.tally?.hash ?? null,
        reconciliation: report.reconciliation,
      })),
      combined: outcome.ok
        ? {
            ok: true,
            tally: outcome.tally,
            bytes: outcome.bytes,
            hash: outcome.hash,
            elections: outcome.elections,
          }
        : { ok: false, code: outcome.code, reason: outcome.reason },
    };
  }

  async close(): Promise<void> {
    for (const { observer } of this.followed) await observer.close();
  }
}

const escape = (text: unknown): string =>
  String(text).replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );

/** The page: server-rendered, no script, nothing from another origin. */
export function renderCombinedPage(view: CombinedView): string {
  const rows = view.elections
    .map(
      (e) =>
        `<tr><td>${escape(e.label)}</td><td>${escape(e.chainId)}</td><td><code>${escape(e.election)}</code></td>` +
        `<td>${escape(e.stage)}</td><td>${escape(e.verdict)}</td><td>${e.ballots.recorded}</td><td>${e.ballots.counted}</td>` +
        `<td><code>${escape(e.tallyHash ?? "-")}</code></td></tr>`,
    )
    .join("\n");
  const combined = view.combined.ok
    ? Object.entries(view.combined.tally.contests)
        .map(
          ([contest, { elections, options }]) =>
            `<h3>${escape(contest)} (${elections} elections)</h3><table>` +
            Object.entries(options)
              .map(([option, count]) => `<tr><td>${escape(option)}</td><td>${count}</td></tr>`)
              .join("") +
            "</table>",
        )
        .join("\n") + `<p>combined tally hash <code>${escape(view.combined.hash)}</code></p>`
    : `<p>no combined result (${escape(view.combined.code)}): ${escape(view.combined.reason)}</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ballot-ledger: elections and their combined result</title></head>
<body>
<h1>Elections followed</h1>
<table>
<tr><th>election</th><th>chain</th><th>address</th><th>stage</th><th>verdict</th><th>recorded</th><th>counted</th><th>tally hash</th></tr>
${rows}
</table>
<h2>Combined result of the shared contests</h2>
${combined}
</body></html>
`;
}

const securityHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader("Content-Security-Policy", "default-src 'none'; base-uri 'none'; form-action 'none'");
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("Cache-Control", "no-store");
  next();
};

export function combinedApp(follower: CombinedFollower): Express {
  const app = express();
  app.disable("x-powered-by");
  app.use(securityHeaders, perClientRateLimit({ windowMs: 60_000, limit: 120 }));
  app.get("/api/combined", (_req, res) => {
    res.json(follower.view());
  });
  app.get("/", (_req, res) => {
    res.type("html").send(renderCombinedPage(follower.view()));
  });
  app.use(...errorHandlers(follower.logger));
  return app;
}

export const serveCombined = (follower: CombinedFollower, host: string, port: number): Promise<Listening> =>
  listen(combinedApp(follower), host, port);
