import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
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

/** /health and /metrics: enough for any monitor, too little to make them a load. */
export const DEFAULT_HEALTH_RATE_LIMIT: RateLimitConfig = { windowMs: 60_000, limit: 120 };

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

/**
 * Client mistakes that reach the error handler without a body-parser type:
 * a body whose Content-Encoding (gzip, deflate, br) does not decode (zlib's
 * errors carry status 400), a path whose percent-encoding is malformed
 * (express's URIError), any other 4xx raised by express or body-parser.
 */
function clientFaultOf(error: unknown): [number, string, string] | null {
  if (error instanceof URIError)
    return [400, "malformed-path", "the request path has a malformed percent-encoding"];
  const { status, code } = error as { status?: unknown; code?: unknown };
  if (typeof status !== "number" || status < 400 || status > 499) return null;
  if (typeof code === "string" && /^(Z_|ERR__ERROR_FORMAT|ERR_BROTLI|ERR_ZLIB)/.test(code))
    return [400, "invalid-content-encoding", "the request body does not decode as its Content-Encoding says"];
  return [status, "malformed-request", "the request is malformed"];
}

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
    const clientFault = clientFaultOf(error);
    if (clientFault !== null) {
      const [status, code, message] = clientFault;
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

/**
 * Connection limits of every service (docs/threat-model.md section 10,
 * disruption): a client must send its headers within `headersTimeoutMs` and
 * its whole request within `requestTimeoutMs`; a connection idle for
 * `idleTimeoutMs` (or kept alive between requests for `keepAliveTimeoutMs`)
 * is closed; one source address holds at most `connectionsPerSource` open
 * connections (more are closed at once). Slow-header and slow-body clients
 * therefore hold a socket for seconds, not minutes.
 */
export interface ConnectionLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  idleTimeoutMs: number;
  keepAliveTimeoutMs: number;
  connectionsPerSource: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  connectionsPerSource: 64,
};

/** Listens on host:port (port 0 picks a free one) and resolves with the URL. */
export function listen(
  app: Express,
  host: string,
  port: number,
  limits: Partial<ConnectionLimits> = {},
): Promise<Listening> {
  const l = { ...DEFAULT_CONNECTION_LIMITS, ...limits };
  const server = createServer(
    {
      headersTimeout: l.headersTimeoutMs,
      requestTimeout: l.requestTimeoutMs,
      keepAliveTimeout: l.keepAliveTimeoutMs,
      // How often Node checks the two timeouts above (its default, 30 s, would let them overrun).
      connectionsCheckingInterval: Math.max(100, Math.min(1_000, l.headersTimeoutMs / 4)),
    },
    app,
  );
  // A connection that sends nothing is not covered by headersTimeout: close it once idle for
  // idleTimeoutMs, unless one of its requests is being answered (a slow answer is not idleness).
  server.timeout = l.idleTimeoutMs;
  const answering = new Set<Socket>();
  server.on("request", (req, res) => {
    answering.add(req.socket);
    res.once("close", () => answering.delete(req.socket));
  });
  server.on("timeout", (socket: Socket) => {
    if (!answering.has(socket)) socket.destroy();
  });
  const perSource = new Map<string, number>();
  server.on("connection", (socket: Socket) => {
    const source = socket.remoteAddress ?? "unknown";
    const open = (perSource.get(source) ?? 0) + 1;
    if (open > l.connectionsPerSource) {
      socket.destroy();
      return;
    }
    perSource.set(source, open);
    // Node's headersTimeout starts with the first byte: a connection that sends nothing at all
    // gets the same time to start.
    const silent = setTimeout(() => socket.bytesRead === 0 && socket.destroy(), l.headersTimeoutMs);
    silent.unref();
    socket.once("close", () => {
      clearTimeout(silent);
      const left = (perSource.get(source) ?? 1) - 1;
      if (left <= 0) perSource.delete(source);
      else perSource.set(source, left);
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
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
