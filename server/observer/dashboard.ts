import path from "node:path";
import express, { type Express, type RequestHandler } from "express";
import type { Logger } from "pino";
import { errorHandlers, listen, perClientRateLimit, requestLog, type Listening } from "../service/http";
import { httpMetrics, metricsRoute } from "../service/metrics";
import type { Observer } from "./observer";

/**
 * The observer's live view: a page with charts in Russian and English (static
 * HTML, CSS, the page's script and Chart.js, all served from here: no inline
 * code, no third-party origin, a strict Content-Security-Policy), the same
 * data as JSON at /api/status, the election's manifest (names, time zone) at
 * /api/manifest, the full verification report at /api/report, and Prometheus
 * metrics at /metrics.
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
  app.get("/", (_req, res) => res.sendFile(path.join(PUBLIC_DIR, "index.html")));
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
