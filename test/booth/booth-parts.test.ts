/**
 * The booth's parts that need no browser: the build and its integrity checks,
 * the security headers, the election data check, the voter's storage and key
 * file, the tracking states, and a message in both languages for every reason
 * code the registrar and the relays can return.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { buildBooth } from "../../scripts/build-booth";
import { BOOTH_MANIFEST_FILE, BoothFilesError, loadBooth } from "../../server/booth/booth-files";
import { boothElectionFields } from "../../server/booth/election-info";
import { boothElectionOf, ElectionDataError, relayOrder } from "../../server/booth/page/election";
import { explain } from "../../server/booth/page/errors";
import { isMessageKey, LANGUAGES, messageKeys, setLanguage, t } from "../../server/booth/page/i18n";
import {
  KEY_FILE_KIND,
  keyFileOf,
  mergeBallots,
  newVoterState,
  nextSequence,
  readKeyFile,
  type CastRecord,
} from "../../server/booth/page/storage";
import { trackedState } from "../../server/booth/page/track";
import { boothContentSecurityPolicy } from "../../server/booth/serve";
import { readRelayConfig } from "../../server/relay/config";
import { manifestBytes, parseManifest } from "../../server/protocol/manifest";
import { toHex } from "../../server/protocol/primitives/bytes";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import { ServiceError, ServiceUnreachableError } from "../../server/voter/services-client";
import { buildManifest, setupElection } from "../protocol/fixtures";

const ROOT = path.resolve(__dirname, "..", "..");

/** Reason codes in the services' sources: ApiError(status, "code"), errorBody("code"), code: "code", [status, "code"]. */
function serviceReasonCodes(): Set<string> {
  const files = [
    ...["registrar", "relay"].flatMap((dir) =>
      fs
        .readdirSync(path.join(ROOT, "server", dir))
        .filter((f) => f.endsWith(".ts"))
        .map((f) => path.join(ROOT, "server", dir, f)),
    ),
    path.join(ROOT, "server", "service", "http.ts"),
    path.join(ROOT, "server", "protocol", "ballot-check.ts"),
  ];
  const codes = new Set<string>();
  const patterns = [
    /ApiError\(\s*\d+,\s*"([a-z]+(?:-[a-z]+)+)"/g,
    /errorBody\(\s*"([a-z]+(?:-[a-z]+)+)"/g,
    /\bcode: "([a-z]+(?:-[a-z]+)+)"/g,
    /\[\d+, "([a-z]+(?:-[a-z]+)+)"/g,
  ];
  for (const file of files) {
    const source = fs.readFileSync(file, "utf8");
    for (const pattern of patterns) for (const match of source.matchAll(pattern)) codes.add(match[1]);
    const union = /export type BallotCheckCode =([^;]+);/.exec(source);
    if (union !== null) for (const match of union[1].matchAll(/"([a-z-]+)"/g)) codes.add(match[1]);
    const window = /code: ("[a-z-]+"(?:\s*\|\s*"[a-z-]+")+)/.exec(source);
    if (window !== null) for (const match of window[1].matchAll(/"([a-z-]+)"/g)) codes.add(match[1]);
  }
  return codes;
}

describe("web booth parts", function () {
  this.timeout(120_000);
  let dir: string;

  before(async () => {
    await initCrypto();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ballot-ledger-booth-parts-"));
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    setLanguage("en");
  });

  describe("messages", () => {
    it("chooses Russian and English plural forms by number", () => {
      setLanguage("ru");
      expect(t("ballot.chooseExactly", { max: 1 })).to.equal("Выберите ровно 1 вариант.");
      expect(t("ballot.chooseExactly", { max: 3 })).to.equal("Выберите ровно 3 варианта.");
      expect(t("ballot.chooseExactly", { max: 5 })).to.equal("Выберите ровно 5 вариантов.");
      expect(t("ballot.chooseUpTo", { max: 21 })).to.equal("Выберите не более 21 варианта.");
      setLanguage("en");
      expect(t("ballot.chooseUpTo", { max: 1 })).to.equal("Choose up to 1 option.");
      expect(t("ballot.chooseUpTo", { max: 2 })).to.equal("Choose up to 2 options.");
    });

    it("has a message in Russian and English for every reason code the registrar and relays return", () => {
      const codes = serviceReasonCodes();
      for (const expected of [
        "authentication-failed",
        "already-issued",
        "voting-closed",
        "revote-not-allowed",
        "invalid-proof",
      ])
        expect(codes, "the source scan finds the codes").to.include(expected);
      const missing = [...codes].filter((code) => !isMessageKey(`code.${code}`));
      expect(missing).to.deep.equal([]);
      for (const code of ["relay-unreachable", "registrar-unreachable"])
        expect(isMessageKey(`code.${code}`)).to.equal(true);
    });

    it("uses the same placeholders in both languages, and no message is empty", () => {
      const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      const english = new Map<string, string>();
      expect(messageKeys().length).to.be.greaterThan(100);
      for (const lang of ["en", ...LANGUAGES.filter((l) => l !== "en")] as const) {
        setLanguage(lang);
        for (const key of messageKeys()) {
          const text = t(key);
          expect(text.trim(), `${lang} ${key}`).not.to.equal("");
          if (lang === "en") english.set(key, text);
          else expect(placeholders(text), key).to.deep.equal(placeholders(english.get(key)!));
        }
      }
      setLanguage("en");
    });

    it("explains a service refusal by its code, and a network failure by the service", () => {
      setLanguage("ru");
      expect(explain(new ServiceError(409, "voting-closed", "voting closed at ..."))).to.deep.equal({
        message: "Голосование завершено: бюллетень больше нельзя отправить.",
        code: "voting-closed",
      });
      setLanguage("en");
      expect(explain(new ServiceError(401, "authentication-failed", "x")).message).to.equal(
        "Unknown voter id or wrong one-time code.",
      );
      // A code the booth does not know: a translated sentence naming it, never the service's English.
      expect(explain(new ServiceError(418, "teapot", "I am a teapot"))).to.deep.equal({
        message:
          "The service refused the request (code teapot). Try again later; if it happens again, report it to the election commission.",
        code: "teapot",
      });
      // An HTTP status without a reason code maps to the nearest code.
      expect(explain(new ServiceError(503, "http-503", "HTTP 503 from x")).code).to.equal("internal-error");
      expect(explain(new ServiceError(429, "http-429", "HTTP 429 from x")).code).to.equal("rate-limited");
      // A service that does not answer (what services-client throws): which service, in the page's language.
      setLanguage("ru");
      expect(
        explain(new ServiceUnreachableError("http://r.example/v1/style", "Failed to fetch"), "registrar"),
      ).to.deep.equal({
        message:
          "Не удалось связаться с регистратором. Проверьте подключение к интернету и повторите попытку через минуту.",
        code: "registrar-unreachable",
      });
      setLanguage("en");
      // Anything else: one generic sentence, the detail apart.
      expect(explain(new Error("boom"))).to.deep.equal({
        message:
          "Something unexpected happened in the page. Reload it and try again; if it happens again, report it to the election commission.",
        detail: "boom",
      });
      expect(explain(new TypeError("fetch failed"), "registrar").code).to.equal("registrar-unreachable");
      expect(explain(new TypeError("fetch failed"), "relay").code).to.equal("relay-unreachable");
    });
  });

  describe("build and serving", () => {
    it("builds deterministically and refuses a booth folder that does not match its manifest", async () => {
      const first = await buildBooth(path.join(dir, "a"));
      const second = await buildBooth(path.join(dir, "b"));
      expect(second.manifest).to.deep.equal(first.manifest);
      expect(first.manifest.boothSha256).to.match(/^[0-9a-f]{64}$/);
      const html = fs.readFileSync(path.join(first.dir, "index.html"), "utf8");
      expect(html).to.include(`integrity="${first.manifest.bundle.integrity}"`);
      expect(html).to.include(`integrity="${first.manifest.stylesheet.integrity}"`);
      const bundle = fs.readFileSync(path.join(first.dir, first.manifest.bundle.file), "utf8");
      expect(bundle).not.to.match(/node:crypto|credential-issuer|createRequire\(__filename\)/);
      expect(loadBooth(first.dir).manifest.boothSha256).to.equal(first.manifest.boothSha256);

      fs.appendFileSync(path.join(second.dir, "index.html"), "<!-- changed -->");
      expect(() => loadBooth(second.dir)).to.throw(BoothFilesError, /index.html does not match/);
      fs.writeFileSync(path.join(first.dir, "extra.js"), "alert(1)");
      expect(() => loadBooth(first.dir)).to.throw(BoothFilesError, /does not list \(extra.js\)/);
      expect(() => loadBooth(path.join(dir, "missing"))).to.throw(BoothFilesError, /npm run build:booth/);
      fs.rmSync(path.join(first.dir, BOOTH_MANIFEST_FILE));
      expect(() => loadBooth(first.dir)).to.throw(BoothFilesError, /not built/);
    });

    it("allows scripts and connections only from the booth's own origin, the registrar and the relays", () => {
      const csp = boothContentSecurityPolicy({
        registrarUrl: "https://registrar.example/api/",
        relayUrls: ["https://relay-1.example", "https://relay-2.example:8443/x"],
      });
      expect(csp).to.include(
        "connect-src 'self' https://registrar.example https://relay-1.example https://relay-2.example:8443;",
      );
      expect(csp).to.include("script-src 'self' 'wasm-unsafe-eval';");
      expect(csp).not.to.match(/unsafe-inline|'unsafe-eval'|\*/);
    });

    it("reads the booth section of the relay's configuration file", () => {
      const file = path.join(dir, "relay.json");
      const base = { election: `0x${"11".repeat(20)}`, accountKeyFile: "relay.key", queueFile: "q.sqlite" };
      fs.writeFileSync(
        file,
        JSON.stringify({ ...base, booth: { dir: "booth", registrarUrl: "https://r.example" } }),
      );
      expect(readRelayConfig(file).config.booth).to.deep.equal({
        dir: path.join(dir, "booth"),
        registrarUrl: "https://r.example",
      });
      fs.writeFileSync(file, JSON.stringify({ ...base, booth: { registrarUrl: "javascript:alert(1)" } }));
      expect(() => readRelayConfig(file)).to.throw(/booth.registrarUrl: must be an http\(s\) URL/);
    });
  });

  describe("election data", () => {
    it("takes the commission's contact and the election's time zone as optional manifest fields", () => {
      const base = buildManifest([{ id: "mayor", options: 2, min: 1, max: 1 }]);
      const withFields = parseManifest({
        ...base,
        commissionContact: { en: "City commission, +7 495 000-00-00", ru: "Городская комиссия" },
        timeZone: "Europe/Moscow",
      });
      expect(withFields.ok && withFields.manifest.commissionContact?.ru).to.equal("Городская комиссия");
      expect(withFields.ok && withFields.manifest.timeZone).to.equal("Europe/Moscow");
      // Absent, the canonical bytes (and so the manifest hash on chain) are those of before.
      const without = parseManifest(JSON.parse(JSON.stringify(base)));
      expect(without.ok && Buffer.from(manifestBytes(without.manifest)).toString()).to.equal(
        Buffer.from(manifestBytes(base)).toString(),
      );
      expect(Buffer.from(manifestBytes(base)).toString()).not.to.include("timeZone");
      // Validity is the pattern alone, so every verifier agrees whatever its time-zone database.
      expect(parseManifest({ ...base, timeZone: "Mars/Olympus_Mons" }).ok).to.equal(true);
      expect(parseManifest({ ...base, timeZone: "../etc/passwd" }).ok).to.equal(false);
      expect(parseManifest({ ...base, timeZone: "Europe/Moscow " }).ok).to.equal(false);
      expect(parseManifest({ ...base, commissionContact: {} }).ok).to.equal(false);
    });

    it("takes the public trackers as an optional manifest field, checked by its pattern alone", () => {
      const base = buildManifest([{ id: "mayor", options: 2, min: 1, max: 1 }]);
      const urls = ["https://observer.example/track", "http://127.0.0.1:8090/track"];
      const withTrackers = parseManifest({ ...base, trackerUrls: urls });
      expect(withTrackers.ok && withTrackers.manifest.trackerUrls).to.deep.equal(urls);
      expect(Buffer.from(manifestBytes(base)).toString()).not.to.include("trackerUrls");
      for (const bad of [
        [],
        ["javascript:alert(1)"],
        ["https://observer.example/track?code=x"],
        ["https://observer.example/track#x"],
        ["https://user@observer.example/track"],
        ["https://observer.example/track "],
        Array.from({ length: 9 }, (_, i) => `https://o${i}.example/track`),
      ])
        expect(parseManifest({ ...base, trackerUrls: bad }).ok, JSON.stringify(bad)).to.equal(false);
    });

    let election: ReturnType<typeof setupElection>;
    before(() => {
      election = setupElection(
        buildManifest([
          { id: "mayor", options: 3, min: 1, max: 1 },
          { id: "council", options: 4, min: 0, max: 2 },
        ]),
      );
    });
    const served = () =>
      JSON.parse(
        JSON.stringify({
          chainId: Number(election.context.chainId),
          election: election.context.election,
          relay: `0x${"22".repeat(20)}`,
          revotePolicy: election.manifest.revotePolicy,
          opensAt: 1,
          closesAt: 2,
          window: { open: true },
          ...boothElectionFields(election.context, new Map([[0, new Uint8Array(256).fill(0xc1)]]), {
            registrarUrl: "https://registrar.example/",
            relayUrls: ["https://b.example/", "https://a.example"],
          }),
        }),
      );

    it("rebuilds the context from the relay's data and checks it against the served hashes", () => {
      const booth = boothElectionOf(served(), "https://a.example");
      expect(toHex(booth.context.baseHash)).to.equal(toHex(election.context.baseHash));
      expect(booth.relayUrls).to.deep.equal(["https://b.example", "https://a.example"]);
      expect(booth.registrarUrl).to.equal("https://registrar.example");
      expect(booth.registrarKeys.get(0)).to.have.length(256);
    });

    it("refuses data whose manifest, key or commitments do not give the served hashes", () => {
      const manifestChanged = served();
      manifestChanged.manifest.contests[0].maxSelections = 1;
      manifestChanged.manifest.title = { en: "Another election" };
      expect(() => boothElectionOf(manifestChanged, "https://a.example")).to.throw(
        ElectionDataError,
        /manifest hash/,
      );
      const keyChanged = served();
      keyChanged.jointKey = keyChanged.trusteeCommitments[0][0];
      expect(() => boothElectionOf(keyChanged, "https://a.example")).to.throw(ElectionDataError, /base hash/);
      const notAPoint = served();
      notAPoint.jointKey = `0x${"ff".repeat(32)}`;
      expect(() => boothElectionOf(notAPoint, "https://a.example")).to.throw(ElectionDataError, /joint key/);
      expect(() =>
        boothElectionOf({ ...served(), registrarUrl: "javascript:x" }, "https://a.example"),
      ).to.throw(ElectionDataError, /registrarUrl/);
    });

    it("asks the serving relay when no relay is configured", () => {
      expect(relayOrder([], "https://here.example")).to.deep.equal(["https://here.example"]);
      expect(relayOrder(["https://x.example/", "https://x.example"], "https://here.example")).to.deep.equal([
        "https://x.example",
      ]);
    });
  });

  describe("voter storage", () => {
    const location = { chainId: 31337n, election: `0x${"ab".repeat(20)}` as const };
    const cast = (sequence: number): CastRecord => ({
      sequence: String(sequence),
      trackingCode: `AAAA-BBBB-CCCC-000${sequence}`,
      ballotHash: `0x${"01".repeat(32)}`,
      relayUrl: "https://relay.example",
      relay: `0x${"02".repeat(20)}`,
      receipt: {
        election: location.election,
        trackingCode: `AAAA-BBBB-CCCC-000${sequence}`,
        ballotHash: `0x${"01".repeat(32)}`,
        sequence: String(sequence),
        acceptedAt: 1,
      },
      signature: `0x${"03".repeat(65)}`,
    });
    const state = {
      ...newVoterState(location, `0x${"44".repeat(32)}`),
      credential: {
        styleIndex: 0,
        messagePrefix: `0x${"55".repeat(32)}` as const,
        signature: `0x${"66".repeat(256)}` as const,
      },
      ballots: [cast(1), cast(2)],
    };

    it("exports a key file that imports back, for this election only", () => {
      const text = JSON.stringify(keyFileOf(state));
      expect(JSON.parse(text).kind).to.equal(KEY_FILE_KIND);
      expect(readKeyFile(text, location)).to.deep.equal({ ok: true, state });
      const other = readKeyFile(text, { ...location, election: `0x${"cd".repeat(20)}` });
      expect(other).to.include({ ok: false, reason: "wrong-election" });
      expect(readKeyFile("{", location)).to.include({ ok: false, reason: "invalid" });
      expect(readKeyFile(JSON.stringify({ ...keyFileOf(state), votingKey: "0x12" }), location)).to.include({
        ok: false,
        reason: "invalid",
      });
      expect(
        readKeyFile(JSON.stringify(keyFileOf({ ...state, credential: null })), location),
      ).to.deep.include({
        ok: false,
        detail: "the file holds no credential",
      });
    });

    it("numbers the next ballot after the highest cast, merging the histories of two devices", () => {
      expect(nextSequence(newVoterState(location, `0x${"44".repeat(32)}`))).to.equal(1n);
      expect(nextSequence(state)).to.equal(3n);
      const merged = mergeBallots([cast(1), cast(3)], [cast(2), cast(1)]);
      expect(merged.map((b) => b.sequence)).to.deep.equal(["1", "2", "3"]);
    });

    it("keeps a ballot accepted without a receipt (its answer lost), in the key file too", () => {
      const lost: CastRecord = { ...cast(3), relay: null, receipt: null, signature: null };
      const withLost = { ...state, ballots: [cast(1), cast(2), lost] };
      expect(nextSequence(withLost)).to.equal(4n);
      expect(readKeyFile(JSON.stringify(keyFileOf(withLost)), location)).to.deep.equal({
        ok: true,
        state: withLost,
      });
      // Only all three together: a receipt without its signature is no receipt.
      const half = { ...withLost, ballots: [{ ...cast(1), signature: null }] };
      expect(readKeyFile(JSON.stringify(keyFileOf(half)), location)).to.include({ ok: false });
    });
  });

  describe("tracking", () => {
    const answer = (status: "queued" | "on-chain" | "rejected", latestSequence?: string) => ({
      trackingCode: "AAAA-BBBB-CCCC-DDDD",
      ballotHash: `0x${"01".repeat(32)}` as const,
      sequence: "2",
      acceptedAt: 1,
      status,
      transactionHash: null,
      blockNumber: status === "on-chain" ? "12" : null,
      reason: status === "rejected" ? "voting-closed" : null,
      relay: `0x${"02".repeat(20)}` as const,
      latestSequence,
    });

    it("tells queued, on chain, counted, superseded and rejected apart", () => {
      expect(trackedState(answer("queued", "0"), false)).to.deep.equal({ kind: "queued" });
      expect(trackedState(answer("rejected"), false)).to.deep.equal({
        kind: "rejected",
        reason: "voting-closed",
      });
      expect(trackedState(answer("on-chain", "2"), false)).to.deep.equal({ kind: "on-chain", block: "12" });
      expect(trackedState(answer("on-chain", "2"), true)).to.deep.equal({ kind: "counted", block: "12" });
      expect(trackedState(answer("on-chain", "5"), true)).to.deep.equal({
        kind: "superseded",
        block: "12",
        latest: "5",
      });
      expect(trackedState(answer("on-chain"), false)).to.deep.equal({ kind: "on-chain", block: "12" });
    });
  });
});
