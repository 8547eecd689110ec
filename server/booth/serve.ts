import path from "node:path";
import zlib from "node:zlib";
import { Router, type RequestHandler } from "express";
import { BOOTH_MANIFEST_FILE, loadBooth, type LoadedBooth } from "./booth-files";

/**
 * Serving the web booth from a relay: the files of out/booth/ (checked
 * against booth-manifest.json at start, then served from memory, so what is
 * served is what was checked) under strict security headers, and CORS for
 * the public JSON API so a booth served by one relay can reach the registrar
 * and the other relays. Each file is also compressed once at start (brotli
 * and gzip) and sent compressed to a browser that accepts it: the bytes the
 * browser runs, and that every published hash covers, are the same.
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

/** A file as sent: its bytes, and compressed forms worth sending (smaller by a tenth or more). */
interface Encoded {
  identity: Buffer;
  br?: Buffer;
  gzip?: Buffer;
}

function encode(bytes: Buffer): Encoded {
  const worth = (packed: Buffer) => (packed.length < bytes.length * 0.9 ? packed : undefined);
  return {
    identity: bytes,
    br: worth(
      zlib.brotliCompressSync(bytes, {
        params: {
          [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
          [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
        },
      }),
    ),
    gzip: worth(zlib.gzipSync(bytes, { level: 9 })),
  };
}

/** The encodings the request accepts (q > 0), by name. */
function acceptedEncodings(header: string | undefined): Set<string> {
  const accepted = new Set<string>();
  for (const part of (header ?? "").split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    if (name !== "" && (q === undefined || Number(q.slice(2)) > 0)) accepted.add(name);
  }
  return accepted;
}

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
  const hashed = new Set([
    booth.manifest.bundle.file,
    booth.manifest.boot.file,
    booth.manifest.stylesheet.file,
  ]);
  const router = Router();
  const send = (name: string, bytes: Buffer): RequestHandler => {
    const encoded = encode(bytes);
    return (req, res) => {
      res.set(headers);
      res.set("Content-Type", CONTENT_TYPES[path.extname(name)] ?? "application/octet-stream");
      // Content-hashed names never change; pages and the manifest are revalidated every time.
      res.set("Cache-Control", hashed.has(name) ? "public, max-age=31536000, immutable" : "no-cache");
      res.set("Vary", "Accept-Encoding");
      const accepted = acceptedEncodings(req.get("accept-encoding"));
      const encoding = (["br", "gzip"] as const).find((e) => encoded[e] !== undefined && accepted.has(e));
      if (encoding === undefined) {
        res.send(encoded.identity);
        return;
      }
      res.set("Content-Encoding", encoding);
      res.send(encoded[encoding]);
    };
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
