/**
 * The web booth end to end in headless Chromium (Debian's chromium, driven by
 * playwright-core; never a downloaded browser): a real election on a local
 * Hardhat node with a real key ceremony, the real registrar and two relays on
 * loopback, the production build of the booth served by relay A. Voters sign
 * in, vote, challenge then vote, re-vote (also from an imported key file on
 * another "device"), and track their ballots; every step is screenshotted to
 * out/screenshots/. Then the tally, recomputed from the chain record with the
 * trustees' secrets, must match the choices made in the browser.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { checkServedBooth } from "../../server/booth/booth-files";
import type { TrackAnswer } from "../../server/observer/dashboard";
import { parseChallengeFile } from "../../server/audit/challenge";
import { loadElection, readElectionRecord, signedBallotOfRecord } from "../../server/chain/election-reader";
import { verifyChallenge } from "../../server/protocol/ballot";
import { checkSignedBallot } from "../../server/protocol/ballot-check";
import { evaluatePolynomial, secretKeyShare } from "../../server/protocol/ceremony";
import { applyCountingRules } from "../../server/protocol/counting";
import { hexToBytes } from "../../server/protocol/primitives/bytes";
import { recoverReceiptSigner } from "../../server/protocol/receipt";
import { aggregateBallots, computeTally, createDecryptionShare } from "../../server/protocol/tally";
import { advanceTimeTo } from "../chain/election-flow";
import { runCli } from "../trustee/cli";
import { BROWSER_SETUP_TIMEOUT_MS, launchChromium } from "./browser";
import { startBoothElection, VOTERS, type BoothElection, type BoothVoter } from "./booth-election";

const SHOTS = path.resolve(__dirname, "..", "..", "out", "screenshots");
type Choices = Record<string, string[]>;

interface Logged {
  page: string;
  text: string;
}

describe("web booth in headless Chromium", function () {
  this.timeout(900_000);
  let e: BoothElection;
  let browser: Browser;
  const logs: Logged[] = [];
  const pageErrors: Logged[] = [];
  const contexts: BrowserContext[] = [];
  let alice: Page;
  let bob: Page;
  let carol: Page;
  let erin: Page;
  const aliceCodes: string[] = [];
  let aliceKeyFile = "";

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

  async function newPage(options: Parameters<Browser["newContext"]>[0] = {}): Promise<Page> {
    const context = await browser.newContext({
      viewport: { width: 1100, height: 900 },
      acceptDownloads: true,
      ...options,
    });
    contexts.push(context);
    const page = await context.newPage();
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warning")
        logs.push({ page: page.url(), text: message.text() });
    });
    page.on("pageerror", (error) => pageErrors.push({ page: page.url(), text: error.message }));
    return page;
  }

  async function openBooth(page: Page): Promise<void> {
    await page.goto(e.relayA.url);
    await page.locator("#booth").waitFor({ state: "visible" });
  }

  /** Presses Tab until `selector` has the focus: the element is reachable by keyboard alone. */
  async function tabTo(page: Page, selector: string, limit = 80): Promise<void> {
    for (let i = 0; i < limit; i++) {
      if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
      await page.keyboard.press("Tab");
    }
    throw new Error(`${selector} is not reachable with the Tab key`);
  }

  async function signIn(page: Page, voter: BoothVoter): Promise<void> {
    await page.fill("#input-voter-id", voter.voterId);
    await page.fill("#input-code", voter.code);
    await page.click("#form-signin button[type=submit]");
    await page.locator("#section-ballot").waitFor({ state: "visible" });
  }

  /** Sets the form to exactly these choices (clicks; the keyboard path is tested separately). */
  async function choose(page: Page, choices: Choices): Promise<void> {
    for (const box of await page.locator("#ballot-contests input[type=checkbox]:checked").all())
      await box.uncheck();
    for (const [contest, options] of Object.entries(choices))
      for (const option of options) await page.check(`#option-${contest}-${option}`);
  }

  async function encrypt(page: Page): Promise<string> {
    await page.click("#form-ballot button[type=submit]");
    await page.locator("#section-review").waitFor({ state: "visible" });
    return (await page.textContent("#review-code"))!.trim();
  }

  async function cast(page: Page): Promise<string> {
    await page.click("#button-cast");
    // The receipt, or the error that says why not (a failure names it instead of timing out).
    await page.locator("#section-receipt:not([hidden]), #error:not([hidden])").first().waitFor();
    if (await page.isVisible("#error"))
      throw new Error(
        `casting failed: ${await page.textContent("#error")} (console: ${logs.map((l) => l.text).join(" | ")})`,
      );
    return (await page.textContent("#receipt-code"))!.trim();
  }

  async function download(page: Page, button: string): Promise<string> {
    const [file] = await Promise.all([page.waitForEvent("download"), page.click(button)]);
    return fs.readFileSync(await file.path(), "utf8");
  }

  async function errorShown(page: Page): Promise<string> {
    await page.locator("#error").waitFor({ state: "visible" });
    return (await page.textContent("#error"))!;
  }

  async function relayStatus(url: string, code: string): Promise<Record<string, unknown> | null> {
    const response = await fetch(`${url}/v1/ballots/${code}`);
    return response.ok ? ((await response.json()) as Record<string, unknown>) : null;
  }

  before(async function () {
    this.timeout(BROWSER_SETUP_TIMEOUT_MS);
    browser = await launchChromium();
    fs.mkdirSync(SHOTS, { recursive: true });
    e = await startBoothElection();
  });

  after(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await e?.stop();
  });

  it("serves the built booth with Subresource Integrity and strict security headers", async () => {
    const response = await fetch(`${e.relayA.url}/`);
    expect(response.status).to.equal(200);
    const csp = response.headers.get("content-security-policy")!;
    for (const directive of [
      "default-src 'self'",
      "script-src 'self' 'wasm-unsafe-eval'",
      "style-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
    ])
      expect(csp).to.include(directive);
    expect(csp).not.to.include("unsafe-inline");
    expect(csp).to.include(`connect-src 'self' ${e.registrar.url} ${e.deadRelayUrl} ${e.relayB.url}`);
    expect(response.headers.get("x-content-type-options")).to.equal("nosniff");
    expect(response.headers.get("referrer-policy")).to.equal("no-referrer");
    const html = await response.text();
    const { bundle } = e.booth.manifest;
    expect(html).to.include(
      `<script src="${bundle.file}" integrity="${bundle.integrity}" crossorigin="anonymous" defer>`,
    );
    expect(html).not.to.match(/<script>|<style|\sstyle=|\son[a-z]+=/);
    // The digest the election's manifest (on chain) publishes is the digest of what relay A serves.
    const { manifest } = await loadElection(e.chain.client, e.chain.election);
    expect(manifest.boothSha256).to.equal(e.booth.manifest.boothSha256);
    const served = await checkServedBooth(e.relayA.url, manifest.boothSha256);
    expect(served).to.deep.include({
      ok: true,
      boothSha256: e.booth.manifest.boothSha256,
      bundleSha256: bundle.sha256,
    });
    expect(await checkServedBooth(e.relayA.url, "00".repeat(32))).to.have.property("ok", false);
    // The observer's command reads the published digest from the chain itself.
    const cli = await runCli([
      "booth",
      "check",
      "--url",
      e.relayA.url,
      "--rpc",
      e.node.rpcUrl,
      "--election",
      e.chain.election,
    ]);
    expect(cli.code, cli.stderr).to.equal(0);
    expect(cli.stdout).to.include(`boothSha256 ${e.booth.manifest.boothSha256}`);
    expect(cli.stdout).to.include("matches the published boothSha256");
    const wrong = await runCli(["booth", "check", "--url", e.relayA.url, "--expect", "ab".repeat(32)]);
    expect(wrong.code).to.equal(4);
    expect(wrong.stderr).to.include("the served booth fails the check");
    const bundleResponse = await fetch(`${e.relayA.url}/${bundle.file}`);
    expect(bundleResponse.headers.get("cache-control")).to.include("immutable");
    // Sent compressed to a browser that accepts it; what it runs (and every hash covers) is the same bytes.
    const brotli = await fetch(`${e.relayA.url}/${bundle.file}`, {
      headers: { "accept-encoding": "br, gzip" },
    });
    expect(brotli.headers.get("content-encoding")).to.equal("br");
    expect(brotli.headers.get("vary")).to.equal("Accept-Encoding");
    const decoded = new Uint8Array(await brotli.arrayBuffer());
    expect(createHash("sha256").update(decoded).digest("hex")).to.equal(bundle.sha256);
    const gzip = await fetch(`${e.relayA.url}/${bundle.file}`, { headers: { "accept-encoding": "gzip" } });
    expect(gzip.headers.get("content-encoding")).to.equal("gzip");
    const plain = await fetch(`${e.relayA.url}/${bundle.file}`, {
      headers: { "accept-encoding": "identity" },
    });
    expect(plain.headers.get("content-encoding")).to.equal(null);
    expect(Number(plain.headers.get("content-length"))).to.be.greaterThan(800_000);
    // The booth calls the registrar and the other relays across origins: CORS preflights pass.
    for (const url of [`${e.registrar.url}/v1/credentials`, `${e.relayB.url}/v1/ballots`]) {
      const preflight = await fetch(url, {
        method: "OPTIONS",
        headers: { origin: e.relayA.url, "access-control-request-method": "POST" },
      });
      expect(preflight.status).to.equal(204);
      expect(preflight.headers.get("access-control-allow-origin")).to.equal("*");
    }
    const info = (await (await fetch(`${e.relayA.url}/v1/election`)).json()) as Record<string, unknown>;
    expect(info).to.include({ registrarUrl: e.registrar.url, election: e.chain.election });
    expect(info.relayUrls).to.have.length(3);
  });

  it("on a slow network, shows the page in the voter's language with a loading line before the bundle arrives", async () => {
    const slow = await newPage({ locale: "ru-RU" });
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    await slow.route(`**/${e.booth.manifest.bundle.file}`, async (route) => {
      await held;
      await route.continue();
    });
    await slow.goto(e.relayA.url, { waitUntil: "commit" });
    await slow.waitForFunction(() => document.documentElement.lang === "ru");
    expect(await slow.textContent("#loading")).to.equal("Загрузка данных о выборах…");
    expect(await slow.textContent("nav a[aria-current=page]")).to.equal("Голосовать");
    expect(await slow.isVisible("#booth")).to.equal(false);
    await shot(slow, "00-slow-network-loading-russian");
    release();
    await slow.locator("#booth").waitFor({ state: "visible" });
    expect(await slow.isVisible("#loading")).to.equal(false);
    await slow.context().close();
  });

  it("signs in with the keyboard alone, in Russian or English, and refuses a wrong code", async () => {
    alice = await newPage({ timezoneId: "Europe/Moscow" });
    await openBooth(alice);
    await shot(alice, "01-sign-in");
    await alice.click("button[data-lang=ru]");
    expect(await alice.textContent("#signin-heading")).to.equal("Вход");
    expect(await alice.getAttribute("html", "lang")).to.equal("ru");
    await shot(alice, "02-sign-in-russian");
    await alice.click("button[data-lang=en]");
    expect(await alice.textContent("#signin-heading")).to.equal("Sign in");

    await alice.fill("#input-voter-id", VOTERS.alice.voterId);
    await alice.fill("#input-code", "not-the-code-000");
    await alice.click("#form-signin button[type=submit]");
    const refused = await errorShown(alice);
    expect(refused).to.include("Unknown voter id or wrong one-time code");
    expect(refused).to.include("authentication-failed");
    await shot(alice, "03-wrong-code");

    // Empty fields: said before anything is sent, and the error goes once the voter types.
    await alice.fill("#input-voter-id", "");
    await alice.fill("#input-code", "");
    await alice.click("#form-signin button[type=submit]");
    const empty = await errorShown(alice);
    expect(empty).to.include("Enter your voter id.");
    expect(empty).not.to.include("invalid-request");
    await alice.locator("#input-voter-id").pressSequentially("a");
    expect(await alice.isVisible("#error")).to.equal(false);
    await alice.fill("#input-voter-id", "");

    // The registrar down: one translated sentence, re-translated when the language changes.
    await alice.click("button[data-lang=ru]");
    await alice.context().route(`${e.registrar.url}/v1/style`, (route) => route.abort("connectionrefused"));
    await alice.fill("#input-voter-id", VOTERS.alice.voterId);
    await alice.fill("#input-code", VOTERS.alice.code);
    await alice.click("#form-signin button[type=submit]");
    const down = await errorShown(alice);
    expect(down).to.include("Не удалось связаться с регистратором");
    expect(down).not.to.match(/Failed to fetch|did not answer|Something went wrong/);
    await shot(alice, "03b-registrar-down-russian");
    await alice.click("button[data-lang=en]");
    expect(await alice.textContent("#error")).to.include("The registrar could not be reached");
    await alice.context().unroute(`${e.registrar.url}/v1/style`);
    await alice.fill("#input-voter-id", "");
    await alice.fill("#input-code", "");
    await alice.focus("body");
    await tabTo(alice, "#input-voter-id");
    await alice.keyboard.type(VOTERS.alice.voterId);
    await alice.keyboard.press("Tab");
    await alice.keyboard.type(VOTERS.alice.code);
    await alice.keyboard.press("Enter");
    await alice.locator("#section-ballot").waitFor({ state: "visible" });
    expect(await alice.textContent("#ballot-style")).to.include("North district");
    expect(await alice.inputValue("#input-code")).to.equal("");
    await shot(alice, "04-ballot");
  });

  it("enforces every contest's rules: choose one, choose up to k, and the minimum before encrypting", async () => {
    expect(await alice.locator("input[name=contest-mayor][type=radio]").count()).to.equal(3);
    expect(await alice.locator("input[name=contest-council][type=checkbox]").count()).to.equal(4);
    await tabTo(alice, "#form-ballot button[type=submit]");
    await alice.keyboard.press("Enter");
    const incomplete = await errorShown(alice);
    expect(incomplete).to.include("Mayor: choose at least 1");
    expect(incomplete).to.include("City council: choose at least 1");
    await shot(alice, "05-ballot-incomplete");

    await tabTo(alice, "input[name=contest-mayor]");
    // Enter on a radio selects it and does not submit the unfinished ballot.
    await alice.keyboard.press("Enter");
    expect(await alice.isChecked("#option-mayor-ivanova")).to.equal(true);
    expect(await alice.isVisible("#error"), "the error goes once the voter changes the ballot").to.equal(
      false,
    );
    expect(await alice.isVisible("#section-ballot")).to.equal(true);
    await alice.keyboard.press("ArrowDown"); // the second candidate
    expect(await alice.isChecked("#option-mayor-petrov")).to.equal(true);
    await tabTo(alice, "#option-council-council-a");
    await alice.keyboard.press("Space");
    await tabTo(alice, "#option-council-council-c");
    await alice.keyboard.press("Space");
    expect(await alice.isDisabled("#option-council-council-b")).to.equal(true);
    expect(await alice.isDisabled("#option-council-council-d")).to.equal(true);
    expect(await alice.textContent("#count-council")).to.include("2 of 2 selected");
    await shot(alice, "06-ballot-limit-reached");

    // A third choice forced past the form (devtools) is refused, never silently dropped.
    await alice.evaluate(() => {
      const box = document.querySelector<HTMLInputElement>("#option-council-council-b")!;
      box.disabled = false;
      box.checked = true;
    });
    await alice.click("#form-ballot button[type=submit]");
    const tooMany = await errorShown(alice);
    expect(tooMany).to.include("City council: choose at most 2.");
    expect(tooMany).to.include("too-many-selections");
    expect(await alice.isVisible("#section-ballot")).to.equal(true);
    await alice.uncheck("#option-council-council-b");
    expect(await alice.isVisible("#error")).to.equal(false);
  });

  it("shows the tracking code before casting; a challenge reveals the ballot and the public checker opens it", async () => {
    await tabTo(alice, "#form-ballot button[type=submit]");
    await alice.keyboard.press("Enter");
    await alice.locator("#section-review").waitFor({ state: "visible" });
    const challengedCode = (await alice.textContent("#review-code"))!.trim();
    expect(challengedCode).to.match(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    expect(await alice.textContent("#review-choices")).to.include("Boris Petrov");
    await shot(alice, "07-review-before-cast");

    await tabTo(alice, "#button-challenge");
    await alice.keyboard.press("Enter");
    await alice.locator("#section-challenge").waitFor({ state: "visible" });
    const shown = (await alice.textContent("#challenge-json"))!;
    const downloaded = await download(alice, "#button-challenge-download");
    expect(JSON.parse(downloaded)).to.deep.equal(JSON.parse(shown));
    await shot(alice, "08-challenged");

    // The same file is what `ballot-ledger audit challenge FILE` reads.
    const file = parseChallengeFile(downloaded);
    if (!file.ok) throw new Error(file.reason);
    const opened = verifyChallenge(e.chain.context, hexToBytes(file.file.ballot), file.file.reveal);
    expect(opened).to.deep.include({ ok: true, trackingCode: challengedCode });
    expect(opened.ok && opened.choices).to.deep.equal({
      mayor: ["petrov"],
      council: ["council-a", "council-c"],
    });

    const checker = await alice.context().newPage();
    checker.on("pageerror", (error) => pageErrors.push({ page: checker.url(), text: error.message }));
    await checker.goto(`${e.relayA.url}/checker.html`);
    await checker.locator("#checker").waitFor({ state: "visible" });
    await checker.fill("#input-challenge-text", downloaded);
    await checker.click("#form-checker button[type=submit]");
    await checker.locator("#checker-result.result-good").waitFor();
    const result = (await checker.textContent("#checker-result"))!;
    for (const expected of ["Boris Petrov", "Greens", "Teachers", challengedCode])
      expect(result).to.include(expected);
    expect(result).not.to.include("Builders");
    await shot(checker, "09-checker-opens-challenge");

    const lie = JSON.parse(downloaded);
    lie.reveal.contests[0].selected = ["ivanova"];
    await checker.fill("#input-challenge-text", JSON.stringify(lie));
    await checker.click("#form-checker button[type=submit]");
    await checker.locator("#checker-result[data-verdict=lie].result-alarm").waitFor();
    const lied = (await checker.textContent("#checker-result"))!;
    expect(lied).to.include("The booth lied");
    expect(lied).to.include("Mayor: the ballot encrypts Boris Petrov; the booth said Anna Ivanova.");
    expect(lied).to.include("complaints@city.example");
    expect(lied).not.to.match(/petrov|ivanova|\[/);
    await shot(checker, "10-checker-catches-a-lie");
    await checker.click("button[data-lang=ru]");
    const liedRu = (await checker.textContent("#checker-result"))!;
    expect(liedRu).to.include("Кабина обманула");
    expect(liedRu).to.include("«Борис Петров»");
    expect(liedRu).to.include("Городская избирательная комиссия");
    expect(liedRu).not.to.match(/Mayor|booth|ballot|Boris/);
    await shot(checker, "10b-checker-catches-a-lie-russian");
    await checker.click("button[data-lang=en]");

    await checker.fill("#input-challenge-text", "this is not JSON at all");
    await checker.click("#form-checker button[type=submit]");
    await checker.locator("#checker-result[data-verdict=not-a-challenge].result-bad").waitFor();
    const notAFile = (await checker.textContent("#checker-result"))!;
    expect(notAFile).to.include("This is not a challenge file.");
    expect(notAFile).not.to.include("The booth lied");
    await shot(checker, "10c-checker-not-a-challenge-file");
    await checker.close();
    aliceCodes.push(challengedCode);
  });

  it("encrypts again, casts through the next relay when the first does not answer, and gives a signed receipt", async () => {
    await alice.click("#button-again");
    await alice.locator("#section-ballot").waitFor({ state: "visible" });
    expect(await alice.isChecked("#option-mayor-petrov")).to.equal(true);
    const code = await encrypt(alice);
    expect(code).not.to.equal(aliceCodes[0]);
    expect(await cast(alice)).to.equal(code);
    const details = (await alice.textContent("#receipt-details"))!;
    expect(details).to.include(e.relayB.url);
    expect(details, "a time names its zone").to.match(/GMT\+3|MSK/);
    expect(await alice.textContent("#election-window")).to.include("Europe/Moscow");
    expect(await alice.getAttribute("#button-receipt-download", "class")).to.include("primary");
    expect((await alice.getAttribute("#button-revote", "class")) ?? "").not.to.include("primary");
    // The receipt links the manifest's public tracker (the observer's), then every relay's tracker.
    expect(await alice.getAttribute("#receipt-track", "href")).to.equal(`${e.trackerUrl}?code=${code}`);
    expect(await alice.textContent("#receipt-track-hint")).to.include("even if every relay is down");
    const fallbacks = await alice
      .locator("#receipt-track-others a")
      .evaluateAll((links) => links.map((a) => a.getAttribute("href")));
    expect(fallbacks).to.deep.equal([
      `track.html?code=${code}`,
      `${e.deadRelayUrl}/track.html?code=${code}`,
      `${e.relayB.url}/track.html?code=${code}`,
    ]);
    await shot(alice, "11-receipt");

    const receipt = JSON.parse(await download(alice, "#button-receipt-download"));
    expect(receipt).to.include({ trackingCode: code, relayUrl: e.relayB.url, sequence: "1" });
    const signer = await recoverReceiptSigner(
      e.chain.context,
      {
        election: receipt.receipt.election,
        trackingCode: receipt.receipt.trackingCode,
        ballotHash: receipt.receipt.ballotHash,
        sequence: BigInt(receipt.receipt.sequence),
        acceptedAt: BigInt(receipt.receipt.acceptedAt),
      },
      receipt.signature,
    );
    expect(signer).to.equal(e.relayB.app.relay.address);
    const status = await relayStatus(e.relayB.url, code);
    expect(status).to.have.property("sequence", "1");
    aliceCodes.push(code);
  });

  it("re-votes while the window is open, keeping the voting key in the browser", async () => {
    await alice.click("#button-revote");
    await alice.locator("#section-ballot").waitFor({ state: "visible" });
    expect(await alice.textContent("#ballot-sequence")).to.include("ballot number 2");
    await choose(alice, { mayor: ["ivanova"], council: ["council-b"] });
    const code = await encrypt(alice);
    expect(await cast(alice)).to.equal(code);
    expect(await alice.textContent("#receipt-details")).to.match(/Ballot number\s*2/);
    await shot(alice, "12-revote-receipt");
    aliceKeyFile = path.join(e.dir, "alice-voting-key.json");
    fs.writeFileSync(aliceKeyFile, await download(alice, "#button-export"));
    const key = JSON.parse(fs.readFileSync(aliceKeyFile, "utf8"));
    expect(key).to.include({ kind: "ballot-ledger-voting-key", election: e.chain.election });
    expect(key.ballots).to.have.length(2);
    aliceCodes.push(code);

    await openBooth(alice); // reload: the key and the history come back from localStorage
    await alice.locator("#signin-have-key").waitFor({ state: "visible" });
    expect(await alice.locator("#history-list li").count()).to.equal(2);
  });

  it("imports the voting key on another device and re-votes there; a second sign-in is refused", async () => {
    const device2 = await newPage();
    await openBooth(device2);
    await device2.setInputFiles("#input-import", aliceKeyFile);
    await device2.locator("#signin-have-key").waitFor({ state: "visible" });
    await device2.click("#button-continue");
    await device2.locator("#section-ballot").waitFor({ state: "visible" });
    expect(await device2.textContent("#ballot-sequence")).to.include("ballot number 3");
    await choose(device2, { mayor: ["sidorov"], council: ["council-b", "council-d"] });
    const code = await encrypt(device2);
    expect(await cast(device2)).to.equal(code);
    await shot(device2, "13-imported-key-revote");
    aliceCodes.push(code);
    // A shared device: the key can be forgotten so that another voter signs in.
    await openBooth(device2);
    device2.once("dialog", (dialog) => void dialog.accept());
    await device2.click("#button-forget");
    await device2.locator("#signin-form-block").waitFor({ state: "visible" });
    expect(await device2.evaluate(() => localStorage.length)).to.equal(0);

    const device3 = await newPage();
    await openBooth(device3);
    await device3.fill("#input-voter-id", VOTERS.alice.voterId);
    await device3.fill("#input-code", VOTERS.alice.code);
    await device3.click("#form-signin button[type=submit]");
    const refused = await errorShown(device3);
    expect(refused).to.include("already issued");
    expect(refused).to.include("already-issued");
    await shot(device3, "14-second-credential-refused");
  });

  it("votes in the other district on a phone screen, with the optional contest left blank", async () => {
    const phone = {
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    };
    bob = await newPage(phone);
    await openBooth(bob);
    await shot(bob, "15-phone-sign-in");
    await signIn(bob, VOTERS.bob);
    expect(await bob.textContent("#ballot-style")).to.include("South district");
    expect(await bob.locator("#option-referendum-blank").count()).to.equal(1);
    await choose(bob, { mayor: ["ivanova"], referendum: ["yes"] });
    await shot(bob, "16-phone-ballot");
    await encrypt(bob);
    await cast(bob);
    await shot(bob, "17-phone-receipt");

    erin = await newPage(phone);
    await openBooth(erin);
    await signIn(erin, VOTERS.erin);
    await choose(erin, { mayor: ["petrov"] });
    await erin.check("#option-referendum-blank");
    await encrypt(erin);
    expect(await erin.textContent("#review-choices")).to.include("(no choice)");
    await cast(erin);
  });

  it("says a ballot was accepted when a relay's answer was lost and the next relay already holds it", async () => {
    await erin.click("#button-revote");
    await erin.locator("#section-ballot").waitFor({ state: "visible" });
    await choose(erin, { mayor: ["petrov"] }); // the same choices as her first ballot
    await erin.check("#option-referendum-blank");
    const code = await encrypt(erin);
    // Relay B (the first that answers) takes the ballot, but its answer never reaches the browser;
    // the booth then tries relay A, once A has read the ballot on chain: A answers duplicate-ballot.
    await erin.context().route(`${e.relayB.url}/v1/ballots`, async (route) => {
      if (route.request().method() !== "POST") return route.continue();
      await route.fetch();
      const queued = e.relayB.app.relay.queue.status(code)!;
      for (let i = 0; e.relayA.app.relay.follower.latestSequence(queued.nullifier) < queued.sequence; i++) {
        if (i > 600) throw new Error("relay A did not read the ballot on chain");
        await new Promise((r) => setTimeout(r, 100));
      }
      await route.abort("connectionreset");
    });
    expect(await cast(erin)).to.equal(code);
    await erin.context().unroute(`${e.relayB.url}/v1/ballots`);
    expect(await erin.textContent("#receipt-intro")).to.include("the signed receipt was lost on the way");
    expect(await erin.textContent("#receipt-details")).to.include(e.relayA.url);
    expect(await erin.isVisible("#button-receipt-download")).to.equal(false);
    await shot(erin, "17b-answer-lost-accepted");
    await erin.click("button[data-lang=ru]");
    expect(await erin.textContent("#receipt-intro")).to.include("квитанцией потерялся по дороге");
    await erin.click("button[data-lang=en]");
    // The ballot is remembered: the next one carries the next number.
    await erin.click("#button-revote");
    expect(await erin.textContent("#ballot-sequence")).to.include("ballot number 3");
  });

  it("tells the voter when no relay answers, and nothing is cast", async () => {
    carol = await newPage();
    await openBooth(carol);
    await signIn(carol, VOTERS.carol);
    await choose(carol, { mayor: ["petrov"], council: ["council-a"] });
    await encrypt(carol);
    // Relays that take the connection and never answer: the voter sees which relay is tried and for how long.
    const hanging: (() => void)[] = [];
    await carol
      .context()
      .route("**/v1/ballots", (route) =>
        new Promise<void>((resolve) => hanging.push(resolve)).then(() => route.abort()),
      );
    await carol.click("#button-cast");
    await carol.locator("#progress").waitFor({ state: "visible" });
    await carol.waitForFunction(() =>
      document.querySelector("#progress")?.textContent?.includes("slow to answer"),
    );
    expect(await carol.textContent("#status")).to.match(/Sending your ballot to relay \d of 3/);
    await shot(carol, "18a-relay-hanging");
    // Three relays, each given up after its timeout: then the voter is told, and nothing was cast.
    await carol.locator("#error").waitFor({ state: "visible", timeout: 90_000 });
    const shown = await errorShown(carol);
    for (const release of hanging) release();
    expect(shown).to.include("No relay could be reached");
    expect(shown).to.include("relay-unreachable");
    expect(await carol.isVisible("#section-review")).to.equal(true);
    expect(await carol.isVisible("#button-challenge"), "a ballot that was sent is never revealed").to.equal(
      false,
    );
    await shot(carol, "18-relay-unreachable");
    await carol.context().unroute("**/v1/ballots");
  });

  it("tracks ballots publicly: on chain, superseded by a re-vote", async () => {
    for (const code of aliceCodes.slice(1))
      for (let i = 0; ; i++) {
        const status = await relayStatus(e.relayB.url, code);
        if (status?.status === "on-chain") break;
        if (i > 300) throw new Error(`ballot ${code} did not reach the chain`);
        await new Promise((r) => setTimeout(r, 100));
      }
    const tracker = await newPage();
    await tracker.goto(`${e.relayA.url}/track.html?code=${aliceCodes[1]}`);
    await tracker.locator("#track-result[data-status=superseded]").waitFor();
    const superseded = (await tracker.textContent("#track-result"))!;
    expect(superseded).to.include(`replaced by a later ballot of the same voter (ballot number 3)`);
    // Where the answer comes from: a relay; the observer's tracker (the chain itself) is linked beside it.
    expect(superseded).to.include("Answer from relay");
    expect(await tracker.getAttribute("#track-public a", "href")).to.equal(
      `${e.trackerUrl}?code=${aliceCodes[1]}`,
    );
    await shot(tracker, "19-track-superseded");

    await tracker.goto(`${e.relayA.url}/track.html?code=${aliceCodes[3].toLowerCase().replace(/-/g, " ")}`);
    await tracker.locator("#track-result[data-status=on-chain]").waitFor();
    await shot(tracker, "20-track-on-chain");

    await tracker.goto(`${e.relayA.url}/track.html?code=${aliceCodes[0]}`); // the challenged ballot was never cast
    await tracker.locator("#track-result.result-bad").waitFor();
    expect(await tracker.textContent("#track-result")).to.include(
      "No relay of this election knows this tracking code",
    );

    await tracker.fill("#input-tracking-code", "not a code");
    await tracker.click("#form-track button[type=submit]");
    expect(await errorShown(tracker)).to.include("This is not a tracking code");
  });

  it("refuses a ballot once voting has closed, and then shows the final ballot as counted", async () => {
    await advanceTimeTo(e.chain.client, e.chain.manifest.votingWindow.closesAt);
    for (const relay of [e.relayA, e.relayB])
      for (let i = 0; ; i++) {
        const info = (await (await fetch(`${relay.url}/v1/election`)).json()) as {
          window: { code?: string };
        };
        if (info.window.code === "voting-closed") break;
        if (i > 100) throw new Error("the relay did not see the window close");
        await new Promise((r) => setTimeout(r, 100));
      }
    await carol.click("#button-cast");
    const shown = await errorShown(carol);
    expect(shown).to.include("Voting is closed");
    expect(shown).to.include("voting-closed");
    await shot(carol, "21-voting-closed");

    const tracker = await newPage();
    await tracker.goto(`${e.relayA.url}/track.html?code=${aliceCodes[3]}`);
    await tracker.locator("#track-result[data-status=counted]").waitFor();
    await shot(tracker, "22-track-counted");

    await openBooth(alice);
    expect(await alice.textContent("#signin-heading")).to.equal("Your ballots");
    expect(await alice.isVisible("#election-revote")).to.equal(false);
    expect(await alice.isVisible("#signin-import")).to.equal(false);
    expect(await alice.isVisible("#button-continue")).to.equal(false);
    expect(await alice.locator("#history-list li").count()).to.equal(2);
    await shot(alice, "22b-after-close-with-key");

    await openBooth(tracker);
    expect(await tracker.textContent("#election-closed")).to.equal("Voting is closed.");
    expect(await tracker.isVisible("#form-signin")).to.equal(false);
    await tracker.click("button[data-lang=ru]");
    expect(await tracker.textContent("#election-closed")).to.equal("Голосование завершено.");
    await shot(tracker, "23-closed-russian");
  });

  it("the tally recomputed from the chain record matches the choices made in the browser", async () => {
    const { context, client, election, trusteeSecrets, registrarKeys } = e.chain;
    const record = await readElectionRecord(client, election);
    expect(record.ballots).to.have.length(6); // alice x3, bob, erin x2; neither the challenged ballot nor carol's
    const rules = {
      context,
      registrarKeys: new Map(registrarKeys.map((key, style) => [style, key.modulus])),
    };
    const inputs = await Promise.all(
      record.ballots.map(async (b) => ({
        index: b.index,
        nullifier: b.nullifier,
        check: await checkSignedBallot(rules, signedBallotOfRecord(b)),
      })),
    );
    const { verdicts, counted } = applyCountingRules(inputs);
    expect(verdicts.map((v) => v.status).sort()).to.deep.equal([
      "counted",
      "counted",
      "counted",
      "superseded",
      "superseded",
      "superseded",
    ]);
    const aggregate = aggregateBallots(
      context,
      counted.map((c) => c.ballot),
    );
    const shareOf = (index: number) =>
      secretKeyShare(trusteeSecrets.map((secret) => evaluatePolynomial(secret.polynomial, index)));
    const shares = [1, 3].map(
      (index) => createDecryptionShare(context, aggregate, index, shareOf(index)).share,
    );
    const tally = computeTally(context, aggregate, shares);
    if (!tally.ok) throw new Error(tally.reason);
    expect(tally.result).to.deep.equal({
      mayor: { ivanova: 1, petrov: 1, sidorov: 1 },
      council: { "council-a": 0, "council-b": 1, "council-c": 0, "council-d": 1 },
      referendum: { yes: 1, no: 0 },
    });
  });

  it("with the relays down, the receipt's track link still finds the ballot on chain at the observer's tracker", async () => {
    const code = (await bob.textContent("#receipt-code"))!.trim();
    // The observer has read the close of voting and judged the ballot (it follows the chain by itself).
    for (let i = 0; ; i++) {
      const answer = await fetch(`${e.observerUrl}/api/ballots/${code}`);
      if (answer.ok && ((await answer.json()) as { votingClosed: boolean }).votingClosed) break;
      if (i > 600) throw new Error(`the observer did not find ${code} on chain`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // The observer's own judgement of alice's ballots: the first two replaced by her third, which counts.
    const judged = async (trackingCode: string) =>
      ((await (await fetch(`${e.observerUrl}/api/ballots/${trackingCode}`)).json()) as TrackAnswer).ballots;
    expect((await judged(aliceCodes[1]))[0]).to.include({
      sequence: "1",
      status: "superseded",
      supersededBySequence: "3",
    });
    const counted = (await judged(aliceCodes[3]))[0];
    expect(counted).to.include({ sequence: "3", status: "counted", exclusion: null });
    // Where it was recorded, as the node itself tells: the transaction's block, and its BallotCast log.
    const receipt = await e.chain.client.getTransactionReceipt({
      hash: counted.transactionHash as `0x${string}`,
    });
    expect(String(receipt.blockNumber)).to.equal(counted.blockNumber);
    expect(receipt.logs.some((log) => log.data.toLowerCase().includes(counted.ballotHash.slice(2)))).to.equal(
      true,
    );
    const invalid = await fetch(`${e.observerUrl}/api/ballots/not-a-code`);
    expect(invalid.status).to.equal(400);
    expect(((await invalid.json()) as { error: { code: string } }).error.code).to.equal(
      "invalid-tracking-code",
    );
    const unknown = await fetch(`${e.observerUrl}/api/ballots/${aliceCodes[0]}`);
    expect(unknown.status).to.equal(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).to.equal(
      "unknown-tracking-code",
    );

    // The relay that served the booth and the relay that took the ballot both stop.
    await e.relayA.close();
    await e.relayB.close();
    for (const url of [e.relayA.url, e.relayB.url])
      expect(
        await fetch(`${url}/v1/election`).then(
          () => "answered",
          () => "down",
        ),
      ).to.equal("down");

    const href = (await bob.getAttribute("#receipt-track", "href"))!;
    expect(href).to.equal(`${e.trackerUrl}?code=${code}`);
    await bob.click("#receipt-track");
    await bob.waitForURL(href);
    const result = bob.locator("#track-result[data-source=chain][data-status=counted]");
    await result.waitFor();
    const shown = (await result.textContent())!;
    expect(shown).to.include("Counted: your ballot is in the final tally.");
    expect(shown).to.include("Answer from the chain");
    expect(shown).to.include("No relay was asked.");
    expect(shown).to.include(code);
    expect(await bob.evaluate(() => document.documentElement.scrollWidth)).to.be.at.most(390);
    await shot(bob, "24-public-tracker-relays-down");
    await bob.click("button[data-lang=ru]");
    const russian = (await result.textContent())!;
    expect(russian).to.include("Учтён: ваш бюллетень вошёл в окончательные итоги.");
    expect(russian).to.include("Ответ из блокчейна");
    expect(russian).not.to.match(/Counted|Answer from/);
    await shot(bob, "24b-public-tracker-russian");

    // A code the chain does not hold, and a string that is no code, are told apart.
    await bob.fill("#input-tracking-code", aliceCodes[0]); // challenged, never cast
    await bob.click("#form-track button[type=submit]");
    await bob.locator("#track-result[data-status=unknown]").waitFor();
    expect(await bob.textContent("#track-result")).to.include("Бюллетеня с этим кодом в блокчейне нет");
    await bob.fill("#input-tracking-code", "not a code");
    await bob.click("#form-track button[type=submit]");
    await bob.waitForFunction(() =>
      document.querySelector("#track-result")?.textContent?.includes("Это не код"),
    );
  });

  it("no page met a Content-Security-Policy violation or an uncaught script error", () => {
    expect(pageErrors).to.deep.equal([]);
    const violations = logs.filter((l) => /Content Security Policy|Refused to|integrity/i.test(l.text));
    expect(violations).to.deep.equal([]);
  });
});
