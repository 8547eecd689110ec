import { collectDefaultMetrics, Counter, Histogram, Registry } from "prom-client";
import type { RequestHandler } from "express";

/** A Prometheus registry per service instance (several may share a process in tests). */
export function serviceRegistry(service: string, defaultMetrics = true): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (defaultMetrics) collectDefaultMetrics({ register: registry });
  return registry;
}

/** Request counts and latencies by route and status. */
export function httpMetrics(registry: Registry): RequestHandler {
  const duration = new Histogram({
    name: "http_request_duration_seconds",
    help: "HTTP request latency by route and status",
    labelNames: ["method", "route", "status"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const requests = new Counter({
    name: "http_requests_total",
    help: "HTTP requests by route and status",
    labelNames: ["method", "route", "status"],
    registers: [registry],
  });
  return (req, res, next) => {
    const end = duration.startTimer();
    res.on("finish", () => {
      const route = (req.route?.path as string | undefined) ?? "unmatched";
      const labels = { method: req.method, route, status: String(res.statusCode) };
      end(labels);
      requests.inc(labels);
    });
    next();
  };
}

export function metricsRoute(registry: Registry): RequestHandler {
  return async (_req, res) => {
    res.setHeader("Content-Type", registry.contentType);
    res.send(await registry.metrics());
  };
}
