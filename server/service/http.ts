import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from "express";
import { rateLimit } from "express-rate-limit";
import type { Logger } from "pino";
import type { z } from "zod";

/**
 * What the registrar and the relay share at the HTTP edge: one error shape
 * ({ error: { code, message } } with a 4xx for anything the client did wrong),
 * JSON body parsing with a size limit, per-client rate limiting, request logs
 * and a listen helper. Reason codes are listed in docs/api.md.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export interface ErrorBody {
  error: { code: string; message: string } & Record<string, unknown>;
}

export const errorBody = (
  code: string,
  message: string,
  details: Record<string, unknown> = {},
): ErrorBody => ({
  error: { code, message, ...details },
});

/** Parses a request body against a zod schema; a mismatch is 400 invalid-request naming the field. */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
  throw new ApiError(400, "invalid-request", `${where}${issue.message}`);
}

/** JSON bodies only (415 otherwise), at most `limitBytes`. */
export function jsonBody(limitBytes: number): RequestHandler[] {
  const requireJson: RequestHandler = (req, _res, next) => {
    if (req.method === "POST" && !req.is("application/json"))
      return next(new ApiError(415, "unsupported-media-type", "the body must be application/json"));
    next();
  };
  return [requireJson, express.json({ limit: limitBytes, strict: false })];
}

export interface RateLimitConfig {
  /** Window length in milliseconds. */
  windowMs: number;
  /** Requests per client IP and window. */
  limit: number;
}

export function perClientRateLimit(config: RateLimitConfig): RequestHandler {
  return rateLimit({
    windowMs: config.windowMs,
    limit: config.limit,
    standardHeaders: "draft-8",
    legacyHeaders: false,
    handler: (_req, res) => {
      res.status(429).json(errorBody("rate-limited", "too many requests from this client; retry later"));
    },
  });
}

export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    res.on("finish", () => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const entry = {
        method: req.method,
        path: req.path,
        status: res.statusCode,
        ms: Math.round(ms * 10) / 10,
      };
      if (res.statusCode >= 500) logger.error(entry, "request failed");
      else logger.debug(entry, "request");
    });
    next();
  };
}

const BODY_PARSER_ERRORS: Record<string, [number, string, string]> = {
  "entity.too.large": [413, "payload-too-large", "the request body is larger than allowed"],
  "entity.parse.failed": [400, "malformed-json", "the request body is not valid JSON"],
  "encoding.unsupported": [415, "unsupported-media-type", "unsupported content encoding"],
  "charset.unsupported": [415, "unsupported-media-type", "unsupported charset"],
  "request.aborted": [400, "request-aborted", "the request was aborted"],
  "request.size.invalid": [400, "malformed-request", "the request size does not match its length"],
};

/** The last handlers: 404 for unknown routes, then every error as { error: { code, message } }. */
export function errorHandlers(logger: Logger): [RequestHandler, ErrorRequestHandler] {
  const notFound: RequestHandler = (req, res) => {
    res.status(404).json(errorBody("not-found", `no route ${req.method} ${req.path}`));
  };
  const handler: ErrorRequestHandler = (error, _req, res, next) => {
    if (res.headersSent) return next(error);
    if (error instanceof ApiError) {
      res.status(error.status).json(errorBody(error.code, error.message, error.details));
      return;
    }
    const type = (error as { type?: unknown }).type;
    if (typeof type === "string" && type in BODY_PARSER_ERRORS) {
      const [status, code, message] = BODY_PARSER_ERRORS[type];
      res.status(status).json(errorBody(code, message));
      return;
    }
    logger.error({ err: error }, "unhandled error");
    res.status(500).json(errorBody("internal-error", "the server failed to handle the request"));
  };
  return [notFound, handler];
}

export interface Listening {
  server: Server;
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Listens on host:port (port 0 picks a free one) and resolves with the URL. */
export function listen(app: Express, host: string, port: number): Promise<Listening> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.once("error", reject);
    server.once("listening", () => {
      server.off("error", reject);
      // Keep-alive connections of load generators must not hold close() forever.
      server.keepAliveTimeout = 5_000;
      const address = server.address() as AddressInfo;
      const shownHost = host.includes(":") ? `[${host}]` : host;
      resolve({
        server,
        port: address.port,
        url: `http://${shownHost}:${address.port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
