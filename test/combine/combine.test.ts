import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import pino from "pino";
import { combineRecords } from "../../server/audit/combine";
import { CombinedFollower, serveCombined } from "../../server/audit/combine-follow";
import { writeRecordFolder } from "../../server/audit/record-files";
import { walletClientFor } from "../../server/chain/clients";
import { readElectionRecord } from "../../server/chain/election-reader";
import { startLocalNode, type LocalNode } from "../../server/chain/local-node";
import { combinedTallyHash, encodeCombinedTally } from "../../server/protocol/combined-tally";
import { toHex } from "../../server/protocol/primitives/bytes";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import type { ElectionRecord } from "../../server/protocol/record";
import { setUpElection } from "../chain/election-flow";
import {
  fixtureManifest,
  newMaterial,
  runElection,
  type RecordedElection,
} from "../observer/election-fixture";
import { runCli } from "../trustee/cli";

/**
 * Two platforms (separate chains, factories, trustees, registrars and
 * relays) under the same rules, combined by `audit combine` (docs/protocol.md
 * section 12); refused with a reason when a record fails or rules differ.
 */
describe("audit combine: two platforms, one verified result", function () {
  this.timeout(600_000);
  const nodes: LocalNode[] = [];
  const platforms: RecordedElection[] = [];
  const records: ElectionRecord[] = [];
  let other: { contestDiffers: ElectionRecord; rulesDiffer: ElectionRecord };
  let tmp: string;

  before(async () => {
    await initCrypto();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "combine-"));
    for (const kind of ["hardhat", "anvil"] as const) {
      const node = await startLocalNode({ kind });
      nodes.push(node);
      if (kind === "anvil") {
        // Another platform's deployer history: its factory and election get other addresses.
        const wallet = walletClientFor({ rpcUrl: node.rpcUrl, chainId: node.chainId }, node.privateKeys[0]);
        await wallet.sendTransaction({ to: wallet.account.address, value: 0n });
      }
      const platform = await runElection(node, newMaterial());
      platforms.push(platform);
      records.push(await readElectionRecord(platform.client, platform.election));
    }
    // A third chain with two elections that share contest ids with the platforms but not their rules.
    const node = await startLocalNode({ kind: "hardhat" });
    nodes.push(node);
    const deployer = walletClientFor({ rpcUrl: node.rpcUrl, chainId: node.chainId }, node.privateKeys[0]);
    for (let i = 0; i < 3; i++) await deployer.sendTransaction({ to: deployer.account.address, value: 0n });
    const base = fixtureManifest();
    const contestDiffers = await setUpElection(node, (opensAt) => ({
      ...base,
      votingWindow: { opensAt, closesAt: opensAt + 86_400 },
      contests: base.contests.map((c) =>
        c.id === "party-list" ? { ...c, options: [...c.options].reverse() } : c,
      ),
    }));
    const rulesDiffer = await setUpElection(node, (opensAt) => ({
      ...base,
      votingWindow: { opensAt, closesAt: opensAt + 86_400 },
      revotePolicy: "none",
    }));
    other = {
      contestDiffers: await readElectionRecord(contestDiffers.client, contestDiffers.election),
      rulesDiffer: await readElectionRecord(rulesDiffer.client, rulesDiffer.election),
    };
  });
  after(async () => {
    for (const node of nodes) await node.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("combines the shared contests of two verified platforms under one combined tally hash", async () => {
    expect(records[0].election.toLowerCase()).to.not.equal(records[1].election.toLowerCase());
    const outcome = await combineRecords(
      records.map((record, i) => ({ label: `platform-${i + 1}`, record })),
      { threads: 0 },
    );
    if (!outcome.ok) expect.fail(`${outcome.code}: ${outcome.reason}`);
    for (const contest of fixtureManifest().contests) {
      const combined = outcome.tally.contests[contest.id];
      expect(combined.elections).to.equal(2);
      for (const option of contest.options)
        expect(combined.options[option.id]).to.equal(
          platforms[0].trueResult[contest.id][option.id] + platforms[1].trueResult[contest.id][option.id],
        );
    }
    // Anyone recomputes the hash from the published bytes, in either order of the inputs.
    expect(outcome.hash).to.equal(toHex(combinedTallyHash(new TextEncoder().encode(outcome.bytes))));
    expect(outcome.bytes).to.equal(new TextDecoder().decode(encodeCombinedTally(outcome.tally)));
    const reversed = await combineRecords(
      [...records].reverse().map((record, i) => ({ label: `p${i}`, record })),
      { threads: 0 },
    );
    expect(reversed.ok && reversed.hash).to.equal(outcome.hash);
    expect(outcome.tally.elections.map((e) => e.tallyHash)).to.have.length(2);
  });

  it("refuses too few records, one election twice and a record that fails, with a reason code", async () => {
    const refusal = async (inputs: ElectionRecord[]) => {
      const outcome = await combineRecords(
        inputs.map((record, i) => ({ label: `r${i}`, record })),
        { threads: 0 },
      );
      expect(outcome.ok).to.equal(false);
      return outcome.ok ? null : outcome;
    };
    expect((await refusal([records[0]]))!.code).to.equal("too-few-records");
    expect((await refusal([records[0], records[0]]))!.code).to.equal("same-election-twice");
    const published = JSON.parse(records[1].result!.result) as Record<string, Record<string, number>>;
    published["party-list"].blue += 1;
    const tampered: ElectionRecord = {
      ...records[1],
      result: { ...records[1].result!, result: JSON.stringify(published) },
    };
    const failed = (await refusal([records[0], tampered]))!;
    expect(failed.code).to.equal("record-fails");
    expect(failed.reason).to.match(/^r1: .*V8\.4 result-mismatch/);
  });

  it("refuses platforms whose shared contests or rules differ", async () => {
    const outcome = (inputs: ElectionRecord[]) =>
      combineRecords(
        inputs.map((record, i) => ({ label: `r${i}`, record })),
        { threads: 0 },
      );
    const differs = await outcome([records[0], other.contestDiffers]);
    expect(differs.ok === false && differs.code).to.equal("contest-differs");
    expect(differs.ok === false && differs.reason).to.match(/party-list/);
    const rules = await outcome([records[0], other.rulesDiffer]);
    expect(rules.ok === false && rules.code).to.equal("rules-differ");
    expect(rules.ok === false && rules.reason).to.match(/revotePolicy/);
  });

  it("follows both platforms in one process: each election and the combined result, as JSON, as a page and on the command line", async () => {
    const expected = await combineRecords(
      records.map((record, i) => ({ label: `platform-${i + 1}`, record })),
      { threads: 0 },
    );
    const follower = await CombinedFollower.open(
      platforms.map((platform, i) => ({
        label: `platform-${i + 1}`,
        endpoint: platform.endpoint,
        election: platform.election,
        dataDir: path.join(tmp, "follow", `platform-${i + 1}`),
      })),
      pino({ level: "silent" }),
    );
    try {
      await follower.sync();
      const view = follower.view();
      expect(view.elections.map((e) => e.verdict)).to.deep.equal(["holds", "holds"]);
      expect(view.combined.ok && view.combined.hash).to.equal(expected.ok && expected.hash);
      const served = await serveCombined(follower, "127.0.0.1", 0);
      try {
        const json = (await (await fetch(`${served.url}/api/combined`)).json()) as typeof view;
        expect(json.combined.ok && json.combined.hash).to.equal(expected.ok && expected.hash);
        const page = await fetch(served.url);
        expect(page.headers.get("content-security-policy")).to.match(/default-src 'none'/);
        const html = await page.text();
        expect(html)
          .to.include("platform-2")
          .and.to.include(expected.ok ? expected.hash : "-");
      } finally {
        await served.close();
      }
    } finally {
      await follower.close();
    }
    const follows = platforms.flatMap((platform, i) => [
      "--follow",
      `platform-${i + 1}=${platform.endpoint.rpcUrl},${platform.election}`,
    ]);
    const once = await runCli([
      "observe-combined",
      ...follows,
      "--data-dir",
      path.join(tmp, "cli"),
      "--once",
      "--log-level",
      "silent",
    ]);
    expect(once.code, once.stderr).to.equal(0);
    expect(JSON.parse(once.stdout).combined.hash).to.equal(expected.ok && expected.hash);
    const one = await runCli([
      "observe-combined",
      follows[0],
      follows[1],
      "--data-dir",
      path.join(tmp, "cli1"),
      "--once",
    ]);
    expect(one.code).to.equal(2);
  });

  it("is the `audit combine` command: exit 0 with the combined hash, exit 4 with the refusal's code", async () => {
    const dirs = records.map((record, i) => {
      const dir = path.join(tmp, `platform-${i + 1}`);
      writeRecordFolder(dir, record);
      return dir;
    });
    const ok = await runCli(["audit", "combine", ...dirs, "--json", "--threads", "0"]);
    expect(ok.code, ok.stderr).to.equal(0);
    const printed = JSON.parse(ok.stdout) as { ok: boolean; hash: string; bytes: string };
    expect(printed.ok).to.equal(true);
    expect(printed.hash).to.equal(toHex(combinedTallyHash(new TextEncoder().encode(printed.bytes))));
    const otherDir = path.join(tmp, "rules-differ");
    writeRecordFolder(otherDir, other.rulesDiffer);
    const refused = await runCli(["audit", "combine", dirs[0], otherDir, "--threads", "0"]);
    expect(refused.code).to.equal(4);
    expect(refused.stderr).to.match(/combination refused \(rules-differ\)/);
    const missing = await runCli(["audit", "combine", dirs[0], path.join(tmp, "nowhere")]);
    expect(missing.code).to.equal(2);
  });
});
