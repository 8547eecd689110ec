import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { RECORD_FILES } from "../../server/audit/record-files";
import type { VerificationReport } from "../../server/verification/report";
import { startLocalNode, type LocalNode } from "../../server/chain/local-node";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import { newMaterial, runElection, type RecordedElection } from "./election-fixture";

/**
 * The audit command line end to end against a clean recorded election:
 * export, offline verification (exit 0), the same folder with faults planted
 * where the contract would have refused them (ballot bytes that do not match
 * the running hash, a wrong decryption share, a result off by one vote, a
 * manifest that is not the one the contract holds), tracking codes, and a
 * Benaloh challenge.
 */
const CLI = path.join(__dirname, "..", "..", "bin", "ballot-ledger.cjs");
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8" });

function readLines(file: string): Record<string, unknown>[] {
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l));
}

function writeLines(file: string, items: unknown[]): void {
  fs.writeFileSync(file, items.map((i) => `${JSON.stringify(i)}\n`).join(""));
}

/** Flips the low bit of the hex digit at `position` (0 = first digit after 0x). */
function flipHexDigit(hex: string, position: number): string {
  const at = 2 + position;
  const digit = (parseInt(hex[at], 16) ^ 1).toString(16);
  return hex.slice(0, at) + digit + hex.slice(at + 1);
}

describe("audit: export, offline verification, planted record faults, track and challenge", function () {
  this.timeout(600_000);
  let node: LocalNode;
  let e: RecordedElection;
  let tmp: string;
  let dir: string;

  before(async () => {
    await initCrypto();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "audit-test-"));
    dir = path.join(tmp, "record");
    node = await startLocalNode({ kind: "hardhat" });
    e = await runElection(node, newMaterial());
  });

  after(async () => {
    await node?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** A copy of the exported record with one file changed. */
  function planted(name: string, change: (folder: string) => void): string {
    const copy = path.join(tmp, name);
    fs.cpSync(dir, copy, { recursive: true });
    change(copy);
    return copy;
  }

  function verifyJson(folder: string): { status: number | null; report: VerificationReport; stderr: string } {
    const cli = run("audit", "verify", folder, "--json", "--threads", "0");
    return { status: cli.status, report: JSON.parse(cli.stdout) as VerificationReport, stderr: cli.stderr };
  }

  it("exports the record in the documented layout", () => {
    const cli = run("audit", "export", "--rpc", node.rpcUrl, "--election", e.election, "--out", dir);
    expect(cli.status, cli.stderr).to.equal(0);
    expect(fs.readdirSync(dir).sort()).to.deep.equal(Object.values(RECORD_FILES).sort());
    expect(readLines(path.join(dir, RECORD_FILES.ballots))).to.have.length(7);
    expect(readLines(path.join(dir, RECORD_FILES.issuances))).to.have.length(6);
    expect(readLines(path.join(dir, RECORD_FILES.rejections))).to.have.length(1);
    expect(JSON.parse(fs.readFileSync(path.join(dir, RECORD_FILES.result), "utf8")).result).to.equal(
      e.publishedResult,
    );
    // An export never overwrites.
    const again = run("audit", "export", "--rpc", node.rpcUrl, "--election", e.election, "--out", dir);
    expect(again.status).to.equal(2);
    expect(again.stderr).to.contain("not an empty folder");
  });

  it("verifies the record offline: everything holds, exit 0", () => {
    const cli = run("audit", "verify", dir, "--threads", "2");
    expect(cli.status, cli.stdout + cli.stderr).to.equal(0);
    expect(cli.stdout).to.contain("verdict: everything holds");
    expect(cli.stdout).to.contain("published result");
    const { status, report } = verifyJson(dir);
    expect(status).to.equal(0);
    expect(report.holds).to.equal(true);
    expect(report.findings).to.deep.equal([]);
    expect(report.result.own).to.deep.equal(e.trueResult);
    expect(report.result.matches).to.equal(true);
    expect(report.ballots).to.deep.include({ recorded: 7, counted: 6, superseded: 1 });
  });

  it("catches ballot bytes that do not match the running hash", () => {
    const folder = planted("bytes", (copy) => {
      const file = path.join(copy, RECORD_FILES.ballots);
      const ballots = readLines(file);
      ballots[2].ballot = flipHexDigit(ballots[2].ballot as string, 1000);
      writeLines(file, ballots);
    });
    const { status, report } = verifyJson(folder);
    expect(status).to.equal(4);
    // The ballot is excluded and the others counted, as the trustees count (one rule everywhere);
    // the events still chain to the contract's running hash, so the ledger holds.
    // Without ballot 2 the counted ballots aggregate differently: the posted shares are of another
    // aggregate and do not count (V7.3), so the published result cannot be verified (V8.3).
    const codes = report.findings.map((f) => `${f.check}/${f.code}/${f.ballot ?? f.trustee ?? "-"}`);
    expect(codes).to.deep.equal([
      "V5.1/bytes-mismatch/2",
      ...JSON.parse(fs.readFileSync(path.join(folder, RECORD_FILES.decryptionShares), "utf8")).map(
        (s: { trusteeIndex: number }) => `V7.3/aggregate-mismatch/${s.trusteeIndex}`,
      ),
      "V8.3/result-not-verifiable/-",
    ]);
    expect(report.checks.ledger).to.equal("holds");
    expect(report.checks.ballots).to.equal("fails");
    expect(report.ballots.excluded).to.deep.equal({ "bytes-mismatch": 1 });
  });

  it("catches a wrong decryption share", () => {
    const folder = planted("share", (copy) => {
      const file = path.join(copy, RECORD_FILES.decryptionShares);
      const shares = JSON.parse(fs.readFileSync(file, "utf8"));
      const share = shares.find((s: { trusteeIndex: number }) => s.trusteeIndex === 2);
      // A proof scalar of the first option (after "BLD1" || u32 || M): its low byte.
      share.share = flipHexDigit(share.share, 2 * (8 + 32) + 1);
      fs.writeFileSync(file, JSON.stringify(shares));
    });
    const { status, report } = verifyJson(folder);
    expect(status).to.equal(4);
    const faults = report.findings.filter((f) => f.severity === "fault");
    expect(faults.map((f) => [f.check, f.code, f.trustee])).to.deep.equal([["V7.4", "invalid-share", 2]]);
    expect(faults[0].reason).to.contain("proof fails");
    // Two valid shares of three are enough: the result is still verified.
    expect(report.result.matches).to.equal(true);
  });

  it("catches a published result off by one vote", () => {
    const folder = planted("result", (copy) => {
      const file = path.join(copy, RECORD_FILES.result);
      const result = JSON.parse(fs.readFileSync(file, "utf8"));
      const counts = JSON.parse(result.result);
      counts["party-list"].red += 1;
      result.result = JSON.stringify(counts);
      fs.writeFileSync(file, JSON.stringify(result));
    });
    const { status, report } = verifyJson(folder);
    expect(status).to.equal(4);
    const faults = report.findings.filter((f) => f.severity === "fault");
    expect(faults.map((f) => `${f.check}/${f.code}`)).to.deep.equal(["V8.4/result-mismatch"]);
    expect(faults[0].reason).to.contain(
      `party-list/red: published ${e.trueResult["party-list"].red + 1}, recomputed ${e.trueResult["party-list"].red}`,
    );
  });

  it("catches a manifest that is not the one the contract holds", () => {
    const folder = planted("manifest", (copy) => {
      const file = path.join(copy, RECORD_FILES.manifest);
      fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("Observer fixture", "Observer fixturE"));
    });
    const { status, report } = verifyJson(folder);
    expect(status).to.equal(4);
    expect(report.findings.map((f) => `${f.check}/${f.code}`)).to.include("V1.3/manifest-hash-mismatch");
  });

  it("refuses a malformed record folder with a clear message (exit 2)", () => {
    const folder = planted("truncated", (copy) => {
      const file = path.join(copy, RECORD_FILES.ballots);
      writeLines(file, readLines(file).slice(0, 3));
    });
    const cli = run("audit", "verify", folder);
    expect(cli.status).to.equal(2);
    expect(cli.stderr).to.contain("ballots.jsonl: 3 entries, record.json announces 7");
    expect(cli.stderr).to.not.contain("    at ");
  });

  it("tracks codes from the folder and from the chain", () => {
    const code = (voter: string, expected: string) =>
      e.ballots.find((b) => b.voter === voter && b.expected === expected)!.trackingCode;
    const counted = run("audit", "track", code("erin", "counted"), "--dir", dir);
    expect(counted.status, counted.stderr).to.equal(0);
    expect(counted.stdout).to.contain("is COUNTED");
    const superseded = run(
      "audit",
      "track",
      code("bob", "superseded"),
      "--rpc",
      node.rpcUrl,
      "--election",
      e.election,
    );
    expect(superseded.status, superseded.stderr).to.equal(0);
    expect(superseded.stdout).to.match(/is SUPERSEDED by a re-vote \(ballot 4/);
    const missing = run("audit", "track", "0000-0000-0000-0000", "--dir", dir);
    expect(missing.status).to.equal(4);
    expect(missing.stderr).to.contain("no recorded ballot has tracking code");
    const bad = run("audit", "track", "hello", "--dir", dir);
    expect(bad.status).to.equal(2);
  });

  it("checks a Benaloh challenge and prints the choices; a false reveal fails", () => {
    const file = path.join(tmp, "challenge.json");
    fs.writeFileSync(
      file,
      JSON.stringify({ election: e.election, ballot: e.challenge.ballot, reveal: e.challenge.reveal }),
    );
    const ok = run("audit", "challenge", file, "--dir", dir);
    expect(ok.status, ok.stderr).to.equal(0);
    expect(ok.stdout).to.contain("party-list: green");
    expect(ok.stdout).to.contain("council: bob, cyd");
    const lying = path.join(tmp, "lying.json");
    const reveal = structuredClone(e.challenge.reveal);
    reveal.contests[0].selected = ["blue"];
    fs.writeFileSync(lying, JSON.stringify({ ballot: e.challenge.ballot, reveal }));
    const fails = run("audit", "challenge", lying, "--rpc", node.rpcUrl, "--election", e.election);
    expect(fails.status).to.equal(4);
    expect(fails.stderr).to.contain("the booth stated [blue]");
  });
});
