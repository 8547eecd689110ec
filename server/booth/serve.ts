import path from "node:path";
import { Router, type RequestHandler } from "express";
import { BOOTH_MANIFEST_FILE, loadBooth, type LoadedBooth } from "./booth-files";

/**
 * Serving the web booth from a relay: the files of out/booth/ (checked
 * against booth-manifest.json at start, then served from memory, so what is
 * served is what was checked) under strict security headers, and CORS for
 * the public JSON API so a booth served by one relay can reach the registrar
 * and the other relays.
 */
export interface BoothConfig {
  /** The built booth; default out/booth/ of this checkout. */
  dir?: string;
  /** The registrar's base URL, as the voter's browser reaches it. */
  registrarUrl: string;
  /** The relays a ballot goes to, in order (the first that answers takes it); default: this relay. */
  relayUrls?: string[];
}

const originOf = (url: string): string => {
  const parsed = new URL(url);
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:")
    throw new Error(`not an http(s) URL: ${url}`);
  return parsed.origin;
};

/**
 * The booth's Content-Security-Policy: nothing but this origin, the registrar
 * and the relays; no inline script or style; 'wasm-unsafe-eval' only lets
 * libsodium compile its WebAssembly (it does not allow eval() of JavaScript).
 */
export function boothContentSecurityPolicy(config: BoothConfig): string {
  const connect = new Set([
    "'self'",
    originOf(config.registrarUrl),
    ...(config.relayUrls ?? []).map(originOf),
  ]);
  return [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self'",
    "img-src 'self'",
    "font-src 'self'",
    `connect-src ${[...connect].join(" ")}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "worker-src 'none'",
    "manifest-src 'none'",
  ].join("; ");
}

export function boothSecurityHeaders(config: BoothConfig): Record<string, string> {
  return {
    "Content-Security-Policy": boothContentSecurityPolicy(config),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
  };
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
};

/**
 * The router serving the booth at / (index.html), /checker.html, /track.html,
 * the hashed bundle and stylesheet, and /booth-manifest.json. Throws
 * BoothFilesError (with what to run) when the booth is not built or does not
 * match its manifest: a relay configured with a booth refuses to start then.
 */
export function boothRouter(config: BoothConfig): { router: Router; booth: LoadedBooth } {
  const booth = loadBooth(config.dir);
  const headers = boothSecurityHeaders(config);
  const manifestBytes = Buffer.from(`${JSON.stringify(booth.manifest, null, 2)}\n`);
  const hashed = new Set([booth.manifest.bundle.file, booth.manifest.stylesheet.file]);
  const router = Router();
  const send =
    (name: string, bytes: Buffer): RequestHandler =>
    (_req, res) => {
      res.set(headers);
      res.set("Content-Type", CONTENT_TYPES[path.extname(name)] ?? "application/octet-stream");
      // Content-hashed names never change; pages and the manifest are revalidated every time.
      res.set("Cache-Control", hashed.has(name) ? "public, max-age=31536000, immutable" : "no-cache");
      res.send(bytes);
    };
  router.get("/", send("index.html", booth.files.get("index.html")!));
  for (const [name, bytes] of booth.files) router.get(`/${name}`, send(name, bytes));
  router.get(`/${BOOTH_MANIFEST_FILE}`, send(BOOTH_MANIFEST_FILE, manifestBytes));
  // Browsers ask for an icon by themselves; the booth has none.
  router.get("/favicon.ico", (_req, res) => {
    res.set(headers).set("Cache-Control", "public, max-age=86400").status(204).end();
  });
  return { router, booth };
}

/**
 * CORS for the public JSON API (/v1): any origin may call it, without
 * credentials. Nothing there rides on cookies or ambient authority (the
 * registrar authenticates by the body, the relay by signatures), so "*" opens
 * nothing; it lets a booth on one origin reach the registrar and other relays.
 */
export const publicApiCors: RequestHandler = (req, res, next) => {
  res.set("Access-Control-Allow-Origin", "*");
  if (req.method === "OPTIONS") {
    res.set("Access-Control-Allow-Methods", "GET, POST");
    res.set("Access-Control-Allow-Headers", "content-type");
    res.set("Access-Control-Max-Age", "600");
    res.status(204).end();
    return;
  }
  next();
};
