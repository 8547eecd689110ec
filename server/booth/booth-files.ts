import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { canonicalJson } from "../protocol/canonical-json";

/**
 * The built booth (out/booth/, written by scripts/build-booth.ts) and its
 * booth-manifest.json: every served file with its SHA-256, the bundle's
 * SHA-256 and SHA-384 (the Subresource Integrity value in the HTML), and the
 * booth digest
 *
 *   boothSha256 = SHA-256(canonical JSON of [{ path, sha256, bytes }] sorted by path)
 *
 * which covers the HTML, the stylesheet and the bundle at once: the value the
 * commission publishes (the manifest's optional `boothSha256`, docs/booth.md)
 * and observers compare with what a relay serves (checkServedBooth).
 */
export const BOOTH_MANIFEST_FILE = "booth-manifest.json";
export const DEFAULT_BOOTH_DIR = path.resolve(__dirname, "..", "..", "out", "booth");
export const BOOTH_PAGES = ["index.html", "checker.html", "track.html"] as const;

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "64 lowercase hex digits");
const fileName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "a plain file name");

export const boothFileSchema = z.strictObject({
  path: fileName,
  sha256: sha256Hex,
  bytes: z.number().int().min(0),
});

export const boothManifestSchema = z.strictObject({
  version: z.literal(1),
  bundle: z.strictObject({ file: fileName, sha256: sha256Hex, integrity: z.string().startsWith("sha384-") }),
  /** The small first script (the page in the voter's language while the bundle loads). */
  boot: z.strictObject({ file: fileName, sha256: sha256Hex, integrity: z.string().startsWith("sha384-") }),
  stylesheet: z.strictObject({
    file: fileName,
    sha256: sha256Hex,
    integrity: z.string().startsWith("sha384-"),
  }),
  files: z.array(boothFileSchema).min(1).max(64),
  boothSha256: sha256Hex,
  builtWith: z.strictObject({ esbuild: z.string() }),
});

export type BoothFile = z.infer<typeof boothFileSchema>;
export type BoothManifest = z.infer<typeof boothManifestSchema>;

export const sha256Of = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");
export const integrityOf = (bytes: Uint8Array): string =>
  `sha384-${createHash("sha384").update(bytes).digest("base64")}`;

export function describeFile(name: string, bytes: Uint8Array): BoothFile {
  return { path: name, sha256: sha256Of(bytes), bytes: bytes.length };
}

/** The booth digest over the listed files (order does not matter). */
export function boothDigest(files: readonly BoothFile[]): string {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return sha256Of(new TextEncoder().encode(canonicalJson(sorted)));
}

export class BoothFilesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BoothFilesError";
  }
}

export interface LoadedBooth {
  dir: string;
  manifest: BoothManifest;
  /** File name -> content, as checked against the manifest. */
  files: Map<string, Buffer>;
}

/**
 * Reads a built booth and checks it against its booth-manifest.json: every
 * listed file present with its hash, nothing else in the folder, the pages
 * and the bundle listed, the digest right. Throws BoothFilesError with what
 * to do.
 */
export function loadBooth(dir: string = DEFAULT_BOOTH_DIR): LoadedBooth {
  const manifestPath = path.join(dir, BOOTH_MANIFEST_FILE);
  if (!fs.existsSync(manifestPath))
    throw new BoothFilesError(
      `the web booth is not built (no ${manifestPath}): run \`npm run build:booth\`, or configure the relay without "booth"`,
    );
  let manifest: BoothManifest;
  try {
    const parsed = boothManifestSchema.safeParse(JSON.parse(fs.readFileSync(manifestPath, "utf8")));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`${issue.path.join(".") || "(root)"}: ${issue.message}`);
    }
    manifest = parsed.data;
  } catch (error) {
    throw new BoothFilesError(
      `${manifestPath} is not a booth manifest (${(error as Error).message}): rebuild with \`npm run build:booth\``,
    );
  }
  const files = new Map<string, Buffer>();
  for (const entry of manifest.files) {
    const file = path.join(dir, entry.path);
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(file);
    } catch {
      throw new BoothFilesError(
        `${file} is listed in ${BOOTH_MANIFEST_FILE} but missing: rebuild with \`npm run build:booth\``,
      );
    }
    if (sha256Of(bytes) !== entry.sha256 || bytes.length !== entry.bytes)
      throw new BoothFilesError(
        `${file} does not match ${BOOTH_MANIFEST_FILE} (changed after the build): rebuild with \`npm run build:booth\``,
      );
    files.set(entry.path, bytes);
  }
  const extra = fs.readdirSync(dir).filter((name) => name !== BOOTH_MANIFEST_FILE && !files.has(name));
  if (extra.length > 0)
    throw new BoothFilesError(
      `${dir} holds files the booth manifest does not list (${extra.join(", ")}): rebuild with \`npm run build:booth\``,
    );
  for (const name of [...BOOTH_PAGES, manifest.bundle.file, manifest.boot.file, manifest.stylesheet.file])
    if (!files.has(name)) throw new BoothFilesError(`${BOOTH_MANIFEST_FILE} does not list ${name}`);
  const bundle = files.get(manifest.bundle.file)!;
  if (sha256Of(bundle) !== manifest.bundle.sha256 || integrityOf(bundle) !== manifest.bundle.integrity)
    throw new BoothFilesError(
      `the bundle's hashes in ${BOOTH_MANIFEST_FILE} are wrong: rebuild with \`npm run build:booth\``,
    );
  if (boothDigest(manifest.files) !== manifest.boothSha256)
    throw new BoothFilesError(
      `boothSha256 in ${BOOTH_MANIFEST_FILE} is wrong: rebuild with \`npm run build:booth\``,
    );
  return { dir, manifest, files };
}

export type ServedBoothCheck =
  { ok: true; boothSha256: string; bundleSha256: string; files: BoothFile[] } | { ok: false; reason: string };

/**
 * What an observer runs against a relay: fetches booth-manifest.json and every
 * file it lists from `baseUrl`, recomputes each hash and the booth digest, and
 * compares the digest with the published one (the election manifest's
 * boothSha256). Never throws.
 */
export async function checkServedBooth(
  baseUrl: string,
  expectedBoothSha256?: string,
): Promise<ServedBoothCheck> {
  const base = baseUrl.replace(/\/+$/, "");
  try {
    const response = await fetch(`${base}/${BOOTH_MANIFEST_FILE}`);
    if (!response.ok) return { ok: false, reason: `GET /${BOOTH_MANIFEST_FILE}: HTTP ${response.status}` };
    const parsed = boothManifestSchema.safeParse(await response.json());
    if (!parsed.success) return { ok: false, reason: `${BOOTH_MANIFEST_FILE} is malformed` };
    const manifest = parsed.data;
    const files: BoothFile[] = [];
    for (const entry of manifest.files) {
      const file = await fetch(`${base}/${entry.path}`);
      if (!file.ok) return { ok: false, reason: `GET /${entry.path}: HTTP ${file.status}` };
      const served = describeFile(entry.path, new Uint8Array(await file.arrayBuffer()));
      if (served.sha256 !== entry.sha256)
        return { ok: false, reason: `${entry.path} is not the file the manifest lists` };
      files.push(served);
    }
    const index = await fetch(`${base}/`);
    const indexBytes = new Uint8Array(await index.arrayBuffer());
    if (sha256Of(indexBytes) !== manifest.files.find((f) => f.path === "index.html")?.sha256)
      return { ok: false, reason: "/ does not serve the listed index.html" };
    const digest = boothDigest(files);
    if (digest !== manifest.boothSha256)
      return { ok: false, reason: "the served files do not give the listed boothSha256" };
    if (expectedBoothSha256 !== undefined && digest !== expectedBoothSha256.toLowerCase())
      return {
        ok: false,
        reason: `the served booth is ${digest}, the published one is ${expectedBoothSha256}`,
      };
    return { ok: true, boothSha256: digest, bundleSha256: manifest.bundle.sha256, files };
  } catch (error) {
    return { ok: false, reason: `cannot fetch the booth: ${(error as Error).message}` };
  }
}
