import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import pino from "pino";
import { keccak256 } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { readRecordFolder, writeRecordFolder } from "../../server/audit/record-files";
import { trackBallot } from "../../server/audit/track";
import type { Finding } from "../../server/verification/findings";
import { verifyElectionRecord } from "../../server/verification/record";
import type { VerificationReport } from "../../server/verification/report";
import { readElectionRecord } from "../../server/chain/election-reader";
import { startLocalNode, type LocalNode } from "../../server/chain/local-node";
import { serveDashboard } from "../../server/observer/dashboard";
import { Observer, type SyncProgress } from "../../server/observer/observer";
import { recoverAttestationSigner } from "../../server/protocol/attestation";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import {
  ALL_FAULTS,
  newMaterial,
  runElection,
  type ElectionMaterial,
  type RecordedElection,
} from "./election-fixture";
import { BROWSER_SETUP_TIMEOUT_MS } from "../booth/browser";
import { checkDashboardInBrowser } from "../booth/dashboard-browser";

/**
 * The observer against a recorded election with every fault the contract
 * cannot see planted on chain: a forged credential, a bad proof, a wrong
 * decryption share and a result off by one vote. It follows from Hardhat's
 * node with a restart in the middle, attests on chain, serves its dashboard;
 * a second observer with another key follows the same election replayed on
 * anvil and must reach a byte-identical tally.
 */
const quiet = pino({ level: "silent" });

const faultCodes = (findings: readonly Finding[]) =>
  findings
    .filter((f) => f.severity === "fault")
    .map((f) => `${f.check}/${f.code}/${f.ballot ?? f.trustee ?? f.style ?? "-"}`)
    .sort();

describe("observer: following a recorded election with planted faults", function () {
  this.timeout(600_000);
  let hardhat: LocalNode;
  let material: ElectionMaterial;
  let e: RecordedElection;
  let tmp: string;
  let firstRun: SyncProgress;
  let observer: Observer;
  let report: VerificationReport;

  before(async () => {
    await initCrypto();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "observer-test-"));
    material = newMaterial();
    hardhat = await startLocalNode({ kind: "hardhat" });
    e = await runElection(hardhat, material, ALL_FAULTS, async (phase, election) => {
      if (phase !== "first-batch") return;
      // Follow up to the first batch, then stop (as if the process were killed after a commit).
      const early = await Observer.open({
        endpoint: { rpcUrl: hardhat.rpcUrl, chainId: hardhat.chainId },
        election,
        dataDir: path.join(tmp, "observer-a"),
        threads: 2,
        pageSize: 7n,
        logger: quiet,
      });
      try {
        firstRun = await early.sync();
        expect(early.verify().report.holds).to.equal(true);
      } finally {
        await early.close();
      }
    });
  });

  after(async () => {
    await observer?.close();
    await hardhat?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("followed the first batch before the restart", () => {
    expect(firstRun.ballotsIndexed).to.equal(4);
    expect(firstRun.ballotsChecked).to.equal(4);
    expect(firstRun.ranges).to.be.greaterThan(1); // paged: 7 blocks per range
  });

  it("resumes after the restart from its index, without re-reading or re-checking", async () => {
    observer = await Observer.open({
      endpoint: { rpcUrl: hardhat.rpcUrl, chainId: hardhat.chainId },
      election: e.election,
      dataDir: path.join(tmp, "observer-a"),
      threads: 2,
      observerKey: e.observerKey,
      logger: quiet,
    });
    const before = observer.store.lastBlock();
    expect(before).to.equal(firstRun.lastBlock);
    const eventsBefore = observer.store.eventCount();
    const resumed = await observer.sync();
    const total = e.outcomes.reduce((n, o) => n + o.accepted.length, 0);
    expect(resumed.ballotsIndexed).to.equal(total - 4);
    expect(resumed.ballotsChecked).to.equal(total - 4);
    expect(observer.store.ballotCount()).to.equal(total);
    // Every event once: what the first run stored plus what this one read.
    expect(observer.store.eventCount()).to.equal(eventsBefore + resumed.logs);
    const ledger = [...observer.store.checkedBallots()];
    expect(ledger.map((b) => b.index)).to.deep.equal([...Array(total).keys()]);
  });

  it("reports each planted fault by kind, with the ballot or trustee it concerns", () => {
    report = observer.verify().report;
    const ballotIndex = (voter: string) => {
      const hash = keccak256(e.ballots.find((b) => b.voter === voter && b.expected === "excluded")!.bytes);
      return [...observer.store.checkedBallots()].find((b) => b.ballotHash === hash)!.index;
    };
    const mallory = ballotIndex("mallory");
    const frank = ballotIndex("frank");
    expect(faultCodes(report.findings)).to.deep.equal(
      [
        `V5.5/invalid-credential/${mallory}`,
        `V5.6/invalid-proof/${frank}`,
        "V7.4/invalid-share/3",
        "V8.4/result-mismatch/-",
      ].sort(),
    );
    const result = report.findings.find((f) => f.kind === "result")!;
    expect(result.reason).to.contain("party-list/blue: published 3, recomputed 2");
    expect(report.holds).to.equal(false);
    expect(report.checks).to.include({
      manifest: "holds",
      ceremony: "holds",
      registrarKeys: "holds",
      ledger: "holds",
      ballots: "fails",
      issuance: "holds",
      decryptionShares: "fails",
      result: "fails",
    });
    expect(report.ballots).to.deep.include({ recorded: 8, counted: 5, superseded: 1, revotes: 1 });
    expect(report.ballots.excluded).to.deep.equal({ "invalid-credential": 1, "invalid-proof": 1 });
    expect(report.ballots.rejectedByContract).to.deep.equal({ SequenceNotHigher: 1 });
    expect(report.styles.map((s) => [s.id, s.issued, s.voters, s.counted])).to.deep.equal([
      ["north", 3, 4, 3],
      ["south", 3, 3, 2],
    ]);
    expect(report.result.own).to.deep.equal(e.trueResult);
    expect(report.result.matches).to.equal(false);
  });

  it("cuts ranges at a ballot count and checks beside the indexing to the very same report", async () => {
    // Ranges cut after each ballot's block and chunks of one ballot: every range is checked
    // while the next is read, two chunks with the verifier at once.
    const eager = await Observer.open({
      endpoint: { rpcUrl: hardhat.rpcUrl, chainId: hardhat.chainId },
      election: e.election,
      dataDir: path.join(tmp, "observer-eager"),
      threads: 2,
      rangeBallots: 1,
      checkChunk: 1,
      logger: quiet,
    });
    try {
      const progress = await eager.sync();
      expect(progress.ballotsIndexed).to.equal(8);
      expect(progress.ballotsChecked).to.equal(8);
      expect(eager.store.uncheckedCount()).to.equal(0);
      expect(progress.ranges).to.be.greaterThan(3);
      expect(eager.verify().report).to.deep.equal(report);
    } finally {
      await eager.close();
    }
  });

  it("folds the index afresh when a ballot it folded is checked again", () => {
    const countedIndex = observer.verify().verdicts.find((v) => v.status === "counted")!.index;
    const counted = [...observer.store.checkedBallots()].find((b) => b.index === countedIndex)!;
    const recheck = (inspection: typeof counted.inspection) =>
      observer.store.saveInspections([{ index: counted.index, inspection }]);
    recheck({
      ...counted.inspection,
      check: { ok: false, code: "invalid-proof", reason: "checked again: a proof fails" },
    });
    const again = observer.verify(true).report;
    expect(faultCodes(again.findings)).to.include(`V5.6/invalid-proof/${counted.index}`);
    expect(again.ballots.counted).to.equal(report.ballots.counted - 1);
    recheck(counted.inspection);
    expect(observer.verify(true).report).to.deep.equal(report);
  });

  it("signs its attestation and posts it with the observer role", async () => {
    const attestation = await observer.attest(observer.verify());
    expect(attestation).to.not.equal(null);
    expect(attestation!.onChain).to.equal("posted");
    expect(attestation!.resultMatches).to.equal(false);
    expect(attestation!.tallyHash).to.equal(report.tally!.hash);
    const signer = await recoverAttestationSigner(e.context, attestation!, attestation!.signature);
    expect(signer).to.equal(privateKeyToAccount(e.observerKey).address);
    const record = await readElectionRecord(e.client, e.election);
    expect(record.attestations).to.deep.equal([
      {
        observer: privateKeyToAccount(e.observerKey).address,
        resultHash: record.result!.resultHash,
        tallyHash: report.tally!.hash,
        resultMatches: false,
        signature: attestation!.signature,
      },
    ]);
    // The record names the observer-role holders, so the signature and the role are checked offline (V9.1).
    expect(record.observers).to.include(privateKeyToAccount(e.observerKey).address);
    // A second round neither signs nor posts again.
    await observer.round();
    expect(observer.store.attestation()!.transactionHash).to.equal(attestation!.transactionHash);
  });

  it("serves the dashboard page, its script, /api/status and /metrics", async () => {
    const dashboard = await serveDashboard(observer, "127.0.0.1", 0);
    try {
      const page = await fetch(`${dashboard.url}/`);
      expect(page.status).to.equal(200);
      expect(page.headers.get("content-security-policy")).to.contain("script-src 'self'");
      const html = await page.text();
      expect(html).to.contain('<script src="/dashboard.js" defer></script>');
      expect(html).to.not.match(/<script>[^<]/);
      const script = await fetch(`${dashboard.url}/dashboard.js`);
      expect(script.headers.get("content-type")).to.contain("javascript");
      const status = (await (await fetch(`${dashboard.url}/api/status`)).json()) as {
        report: VerificationReport;
        series: { voters: { style: number; n: number }[]; issued: { style: number; n: number }[] };
        sync: { ballotsIndexed: number };
      };
      expect(status.report.ballots.recorded).to.equal(8);
      expect(status.sync.ballotsIndexed).to.equal(8);
      expect(status.series.voters.reduce((n, p) => n + p.n, 0)).to.equal(7);
      expect(status.series.issued.reduce((n, p) => n + p.n, 0)).to.equal(6);
      const metrics = await (await fetch(`${dashboard.url}/metrics`)).text();
      expect(metrics).to.contain('observer_ballots_excluded{code="invalid-credential"');
      expect(metrics).to.contain('observer_ballots_rejected_by_contract{reason="SequenceNotHigher"');
      expect(metrics).to.match(/observer_verification_holds\S* 0/);
      const missing = await fetch(`${dashboard.url}/api/nothing`);
      expect(missing.status).to.equal(404);
      expect(((await missing.json()) as { error: { code: string } }).error.code).to.equal("not-found");
    } finally {
      await dashboard.close();
    }
  });

  it("renders the dashboard in a browser at 1280 and 390 px, in English and Russian", async function () {
    this.timeout(BROWSER_SETUP_TIMEOUT_MS);
    const dashboard = await serveDashboard(observer, "127.0.0.1", 0);
    try {
      // The 4 faults, and a warning since the observer's own attestation (disputing the result) is on chain.
      expect(observer.latest().report.findings.length).to.equal(5);
      await checkDashboardInBrowser(dashboard.url, observer.latest().report, {
        styleNames: ["North", "South"],
        contestName: "Party list",
        faults: 4,
      });
    } finally {
      await dashboard.close();
    }
  });

  it("tracks a code: counted, superseded by a re-vote, excluded and why", async () => {
    const record = await readElectionRecord(e.client, e.election);
    const codeOf = (voter: string, expected: string) =>
      e.ballots.find((b) => b.voter === voter && b.expected === expected)!.trackingCode;
    const alice = await trackBallot(record, codeOf("alice", "counted").toLowerCase());
    expect(alice.ok && alice.ballots.map((b) => b.verdict.status)).to.deep.equal(["counted"]);
    const bob = await trackBallot(record, codeOf("bob", "superseded"));
    expect(bob.ok && bob.ballots[0].verdict).to.deep.include({ status: "superseded" });
    const frank = await trackBallot(record, codeOf("frank", "excluded"));
    expect(frank.ok && frank.ballots[0].verdict).to.deep.include({
      status: "excluded",
      code: "invalid-proof",
    });
    const unknown = await trackBallot(record, "0000-0000-0000-0000");
    expect(unknown).to.deep.include({ ok: false, reason: "not-found" });
    const invalid = await trackBallot(record, "not a code");
    expect(invalid).to.deep.include({ ok: false, reason: "invalid-code" });
  });

  it("exports the record and verifies it offline to the same tally and the same faults", async () => {
    const dir = path.join(tmp, "record");
    writeRecordFolder(dir, await readElectionRecord(e.client, e.election));
    const offline = (await verifyElectionRecord(await readRecordFolder(dir), { threads: 2 })).report;
    expect(offline.tally!.bytes).to.equal(report.tally!.bytes);
    expect(offline.tally!.hash).to.equal(report.tally!.hash);
    expect(faultCodes(offline.findings)).to.deep.equal(faultCodes(report.findings));
    // The observer's own attestation is in the record now: it agrees on the tally, disputes the result.
    expect(offline.findings.filter((f) => f.kind === "attestations").map((f) => f.code)).to.deep.equal([
      "disputes-result",
    ]);
  });

  it("prints the report and exits 4 from `observe --once`", () => {
    const cli = spawnSync(
      process.execPath,
      [
        path.join(__dirname, "..", "..", "bin", "ballot-ledger.cjs"),
        "observe",
        "--rpc",
        hardhat.rpcUrl,
        "--election",
        e.election,
        "--data",
        path.join(tmp, "observer-cli"),
        "--once",
        "--threads",
        "0",
      ],
      { encoding: "utf8" },
    );
    expect(cli.status, cli.stderr).to.equal(4);
    expect(cli.stdout).to.contain("V5.5 invalid-credential");
    expect(cli.stdout).to.contain("V7.4 invalid-share  trustee 3");
    expect(cli.stdout).to.contain(`tally hash ${report.tally!.hash}`);
    expect(cli.stderr).to.contain("verification failed");
    expect(cli.stderr).to.not.contain("    at ");
  });

  describe("a second observer on anvil, with another key", () => {
    let anvil: LocalNode;
    after(async () => anvil?.stop());

    it("reaches a byte-identical tally from the same election replayed on anvil", async () => {
      anvil = await startLocalNode({ kind: "anvil" });
      const replica = await runElection(anvil, material, ALL_FAULTS);
      expect(replica.election).to.equal(e.election);
      const second = await Observer.open({
        endpoint: { rpcUrl: anvil.rpcUrl, chainId: anvil.chainId },
        election: replica.election,
        dataDir: path.join(tmp, "observer-b"),
        threads: 0,
        observerKey: replica.secondObserverKey,
        logger: quiet,
      });
      try {
        const verification = await second.round();
        const tally = verification.report.tally!;
        expect(tally.bytes).to.equal(report.tally!.bytes);
        expect(tally.hash).to.equal(report.tally!.hash);
        expect(faultCodes(verification.report.findings)).to.deep.equal(faultCodes(report.findings));
        const attestation = second.store.attestation()!;
        expect(attestation.signer).to.equal(privateKeyToAccount(replica.secondObserverKey).address);
        expect(attestation.signer).to.not.equal(privateKeyToAccount(e.observerKey).address);
        expect(attestation.tallyHash).to.equal(report.tally!.hash);
        expect(attestation.onChain).to.equal("no-observer-role");
      } finally {
        await second.close();
      }
    });
  });
});
