import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { fromRlp, getAddress, parseEther, type Address, type Hex } from "viem";
import { walletClientFor } from "../../server/chain/clients";
import { cliqueExtraData, qbftGenesis } from "../../server/network/genesis";
import { LocalNetwork } from "../../server/network/network";

/**
 * The local Clique network of `npm run network`: seven go-ethereum nodes on
 * loopback agree on one chain, carry transactions from a validator to every
 * other node, stop cleanly and resume from the same data; the same generator
 * writes Besu's QBFT genesis.
 */
describe("network: the local Clique network", function () {
  this.timeout(240_000);
  let dir: string;
  let network: LocalNetwork;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "bl-net-"));
    network = await LocalNetwork.create(dir, { ports: "free" });
    await network.start();
  });

  after(async () => {
    await network?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("has 4 Clique signers, 7 nodes with 6 peers each, all at the same head", async () => {
    const signers = (await network.validators[0].client().request({
      method: "clique_getSigners" as never,
      params: ["latest"] as never,
    })) as Address[];
    const expected = network.validators.map((v) => v.spec.signer!.toLowerCase()).sort();
    expect(signers.map((s) => s.toLowerCase()).sort()).to.deep.equal(expected);
    const statuses = await network.status();
    expect(statuses).to.have.length(7);
    for (const s of statuses) {
      expect(s.running, s.name).to.equal(true);
      expect(s.peers, s.name).to.equal(6);
    }
    const head = await network.agreedHead();
    expect(head.number > 0n).to.equal(true);
  });

  it("carries a transaction sent to a validator to the observers' and the audit's nodes", async () => {
    const sender = walletClientFor(
      { rpcUrl: network.node("validator-2").rpcUrl, chainId: network.layout.chainId },
      network.accountKey("spare-1"),
    );
    const to = network.layout.accounts["spare-2"].address;
    const hash = await sender.sendTransaction({ to, value: parseEther("1") });
    for (const name of ["observer-1", "observer-2", "audit"]) {
      const receipt = await network.node(name).client().waitForTransactionReceipt({ hash, timeout: 30_000 });
      expect(receipt.status, name).to.equal("success");
    }
    // Gas costs at most a few wei a unit: geth's pool needs a tip of at least 1 wei.
    const receipt = await network.node("audit").client().getTransactionReceipt({ hash });
    expect(receipt.effectiveGasPrice <= 10n).to.equal(true);
  });

  it("stops cleanly and resumes from the same data", async () => {
    const before = await network.agreedHead();
    await network.stop();
    expect((await network.status()).every((s) => !s.running)).to.equal(true);
    const reopened = LocalNetwork.open(dir);
    await reopened.start();
    const after = await reopened.agreedHead();
    expect(after.number > before.number).to.equal(true);
    const kept = await reopened.node("observer-1").client().getBlock({ blockNumber: before.number });
    expect(kept.hash).to.equal(before.hash);
    network = reopened;
  });

  it("writes the Besu QBFT genesis from the same input (Besu's extraData format)", () => {
    const local = JSON.parse(fs.readFileSync(path.join(dir, "genesis.json"), "utf8"));
    const besu = JSON.parse(fs.readFileSync(path.join(dir, "besu-genesis.json"), "utf8"));
    expect(besu.config.chainId).to.equal(local.config.chainId);
    expect(besu.gasLimit).to.equal(local.gasLimit);
    expect(besu.config.qbft.blockperiodseconds).to.equal(local.config.clique.period);
    expect(besu.config.londonBlock).to.equal(0);
    expect(besu.config.shanghaiTime).to.equal(undefined);
    expect(besu.config.zeroBaseFee).to.equal(true);
    expect(Object.keys(besu.alloc)).to.deep.equal(Object.keys(local.alloc));
    const [vanity, validators, vote, round, seals] = fromRlp(besu.extraData as Hex) as [
      Hex,
      Hex[],
      Hex[],
      Hex,
      Hex[],
    ];
    expect(vanity).to.equal(`0x${"00".repeat(32)}`);
    const signers = network.validators.map((v) => getAddress(v.spec.signer!));
    expect(validators.map((v) => getAddress(v)).sort()).to.deep.equal([...signers].sort());
    expect(vote).to.deep.equal([]);
    expect(round).to.equal("0x");
    expect(seals).to.deep.equal([]);
    expect(local.extraData).to.equal(cliqueExtraData(signers));
    expect(qbftGenesis({ chainId: 7, validators: signers, accounts: [] }).extraData).to.equal(besu.extraData);
  });

  it("names the build command when the geth binary is missing", async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "bl-net-missing-"));
    try {
      await promisify(execFile)("npx", ["tsx", "scripts/network.ts", "up", "--dir", empty], {
        env: { ...process.env, BALLOT_LEDGER_GETH: path.join(empty, "no-geth") },
      });
      expect.fail("network up succeeded without a geth binary");
    } catch (error) {
      const { code, stderr } = error as { code: number; stderr: string };
      expect(code).to.equal(2);
      expect(stderr).to.contain("bash scripts/build-geth.sh");
      expect(fs.readdirSync(empty)).to.deep.equal([]);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});
