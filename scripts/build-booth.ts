/**
 * `npm run build:booth`: bundles the web booth (server/booth/page/main.ts and
 * the protocol module it imports) with esbuild for browsers, minified, under
 * content-hashed names, and writes out/booth/:
 *
 *   index.html, checker.html, track.html   the pages, referencing the scripts and
 *                                          the stylesheet with SRI (sha384)
 *   boot-<hash>.js                         a small first script: the page in the voter's
 *                                          language while the bundle loads on a slow network
 *   booth-<hash>.js, booth-<hash>.css      the bundle and the stylesheet
 *   booth-manifest.json                    every file's SHA-256, the bundle's SHA-256
 *                                          and SRI value, and the booth digest
 *
 * It prints the bundle's SHA-256 and the booth digest (boothSha256), the value
 * the commission publishes (docs/booth.md). The build is deterministic: the
 * same sources and esbuild version give the same bytes and digests.
 *
 *   tsx scripts/build-booth.ts [--out DIR] [--json]
 */
import fs from "node:fs";
import path from "node:path";
import * as esbuild from "esbuild";
import {
  BOOTH_MANIFEST_FILE,
  BOOTH_PAGES,
  boothDigest,
  DEFAULT_BOOTH_DIR,
  describeFile,
  integrityOf,
  loadBooth,
  sha256Of,
  type BoothManifest,
} from "../server/booth/booth-files";

const ROOT = path.resolve(__dirname, "..");
const PAGE_ENTRY = path.join(ROOT, "server", "booth", "page", "main.ts");
const BOOT_ENTRY = path.join(ROOT, "server", "booth", "page", "boot.ts");
const STATIC_DIR = path.join(ROOT, "server", "booth", "static");
const STYLESHEET = "booth.css";

/** Modules the booth must never contain: Node built-ins and the registrar's private RSA operation. */
const FORBIDDEN_INPUTS = [
  /^node:/,
  /credential-issuer\.ts$/,
  /issuance\.ts$/,
  /server\/(relay|registrar|chain|verifier)\//,
];

export interface BoothBuild {
  dir: string;
  manifest: BoothManifest;
}

const hashedName = (stem: string, ext: string, bytes: Uint8Array) =>
  `${stem}-${sha256Of(bytes).slice(0, 16)}${ext}`;

/**
 * zod's classic API object carries every locale's error messages and the JSON
 * Schema converters, which the booth never uses (its messages are its own,
 * i18n.ts): the bundle gets the English locale only and a fromJSONSchema that
 * says it is absent. This cut the bundle from 1.22 MB to 0.95 MB.
 */
const ZOD_DIR = path.dirname(require.resolve("zod/package.json"));
const slimZod: esbuild.Plugin = {
  name: "slim-zod",
  setup(build) {
    build.onResolve({ filter: /(^|\/)(locales\/index|from-json-schema)\.js$/ }, (args) =>
      args.importer.startsWith(ZOD_DIR) ? { path: args.path, namespace: "slim-zod" } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "slim-zod" }, (args) => ({
      contents: args.path.includes("locales")
        ? `export { default as en } from ${JSON.stringify(path.join(ZOD_DIR, "v4", "locales", "en.js"))};`
        : `export function fromJSONSchema() { throw new Error("fromJSONSchema is not in the booth bundle"); }`,
      resolveDir: ZOD_DIR,
    }));
  },
};

async function bundle(entry: string): Promise<Uint8Array> {
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: "browser",
    format: "iife",
    target: ["es2022", "chrome111", "firefox115", "safari16.4"],
    minify: true,
    charset: "utf8",
    legalComments: "none",
    sourcemap: false,
    write: false,
    metafile: true,
    logLevel: "silent",
    absWorkingDir: ROOT,
    plugins: [slimZod],
  });
  const forbidden = Object.keys(result.metafile.inputs).filter((input) =>
    FORBIDDEN_INPUTS.some((pattern) => pattern.test(input)),
  );
  if (forbidden.length > 0) throw new Error(`the booth bundle must not include ${forbidden.join(", ")}`);
  return result.outputFiles[0].contents;
}

type Linked = { file: string; integrity: string };

const scriptTag = (js: Linked) =>
  `<script src="${js.file}" integrity="${js.integrity}" crossorigin="anonymous" defer></script>`;

function page(name: string, css: Linked, boot: Linked, js: Linked): Buffer {
  const source = fs.readFileSync(path.join(STATIC_DIR, name), "utf8");
  for (const marker of ["<!--booth:css-->", "<!--booth:js-->"])
    if (source.split(marker).length !== 2) throw new Error(`${name} must hold ${marker} exactly once`);
  return Buffer.from(
    source
      .replace(
        "<!--booth:css-->",
        `<link rel="stylesheet" href="${css.file}" integrity="${css.integrity}" crossorigin="anonymous" />`,
      )
      // Deferred scripts run in order: the small boot script translates the page while the bundle still loads.
      .replace("<!--booth:js-->", `${scriptTag(boot)}\n    ${scriptTag(js)}`),
  );
}

/** Builds the booth into `outDir` (replaced whole: the folder holds exactly the booth). */
export async function buildBooth(outDir: string = DEFAULT_BOOTH_DIR): Promise<BoothBuild> {
  const js = await bundle(PAGE_ENTRY);
  const boot = await bundle(BOOT_ENTRY);
  const css = fs.readFileSync(path.join(STATIC_DIR, STYLESHEET));
  const jsFile = hashedName("booth", ".js", js);
  const bootFile = hashedName("boot", ".js", boot);
  const cssFile = hashedName("booth", ".css", css);
  const written = new Map<string, Uint8Array>([
    [jsFile, js],
    [bootFile, boot],
    [cssFile, css],
  ]);
  for (const name of BOOTH_PAGES)
    written.set(
      name,
      page(
        name,
        { file: cssFile, integrity: integrityOf(css) },
        { file: bootFile, integrity: integrityOf(boot) },
        { file: jsFile, integrity: integrityOf(js) },
      ),
    );
  const files = [...written].map(([name, bytes]) => describeFile(name, bytes));
  const manifest: BoothManifest = {
    version: 1,
    bundle: { file: jsFile, sha256: sha256Of(js), integrity: integrityOf(js) },
    boot: { file: bootFile, sha256: sha256Of(boot), integrity: integrityOf(boot) },
    stylesheet: { file: cssFile, sha256: sha256Of(css), integrity: integrityOf(css) },
    files,
    boothSha256: boothDigest(files),
    builtWith: { esbuild: esbuild.version },
  };
  // Written next to the target, then swapped in, so a reader never sees half a booth.
  const staging = `${outDir}.building-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  for (const [name, bytes] of written) fs.writeFileSync(path.join(staging, name), bytes);
  fs.writeFileSync(path.join(staging, BOOTH_MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.renameSync(staging, outDir);
  loadBooth(outDir); // the relay's own check must accept what was written
  return { dir: outDir, manifest };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const outIndex = args.indexOf("--out");
  const outDir =
    outIndex >= 0 && args[outIndex + 1] !== undefined ? path.resolve(args[outIndex + 1]) : DEFAULT_BOOTH_DIR;
  const { dir, manifest } = await buildBooth(outDir);
  if (args.includes("--json")) {
    console.log(JSON.stringify(manifest, null, 2));
    return;
  }
  const bundleBytes = manifest.files.find((f) => f.path === manifest.bundle.file)!.bytes;
  console.log(`booth written to ${path.relative(process.cwd(), dir) || "."}/`);
  console.log(`  bundle        ${manifest.bundle.file} (${(bundleBytes / 1024).toFixed(0)} KiB)`);
  console.log(`  bundle sha256 ${manifest.bundle.sha256}`);
  console.log(`  bundle SRI    ${manifest.bundle.integrity}`);
  console.log(`  boothSha256   ${manifest.boothSha256}   (publish this: docs/booth.md)`);
}

if (require.main === module)
  main().catch((error) => {
    console.error(`build-booth: ${error instanceof Error ? error.message : error}`);
    process.exit(1);
  });
