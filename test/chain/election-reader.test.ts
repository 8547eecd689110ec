import { expect } from "chai";
import { toHex } from "viem";
import { castBallots } from "../../server/chain/deploy";
import {
  loadElection,
  readElectionRecord,
  sendElectionTx,
  signedBallotOfRecord,
  ElectionCallError,
} from "../../server/chain/election-reader";
import { startLocalNode, type LocalNode } from "../../server/chain/local-node";
import { checkSignedBallot } from "../../server/protocol/ballot-check";
import { ceremonyBaseHash } from "../../server/protocol/context";
import { verifyCeremony } from "../../server/protocol/ceremony";
import { applyCountingRules } from "../../server/protocol/counting";
import { hexToBytes } from "../../server/protocol/primitives/bytes";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import { credentialedVoter, signedBallotOf } from "../protocol/fixtures";
import {
  advanceTimeTo,
  districtElectionManifest,
  setUpElection,
  type ElectionOnChain,
} from "./election-flow";

describe("chain: election reader (logs and calldata into an election record)", function () {
  this.timeout(180_000);
  let node: LocalNode;
  let e: ElectionOnChain;

  before(async () => {
    await initCrypto();
    node = await startLocalNode({ kind: "hardhat" });
    e = await setUpElection(node, (opensAt) => districtElectionManifest(opensAt));
  });
  after(async () => node?.stop());

  it("reads the ceremony, registrar keys, ballots with their bytes, rejections and the running hash", async () => {
    const loaded = await loadElection(e.client, e.election);
    const round = loaded.record.ceremonyRounds[0];
    expect(round.keys).to.have.length(3);
    expect(round.trustees).to.deep.equal(e.trustees.map((t) => t.account.address));
    const report = verifyCeremony({
      ceremonyBase: ceremonyBaseHash({ chainId: BigInt(node.chainId), election: e.election }, e.manifest, 0),
      trusteeCount: 3,
      threshold: 2,
      keys: [1, 2, 3].map((i) => {
        const k = round.keys.find((x) => x.trusteeIndex === i)!;
        return {
          commitments: hexToBytes(k.commitments),
          proofs: hexToBytes(k.proofs),
          boxKey: hexToBytes(k.boxKey),
        };
      }),
      shares: [1, 2, 3].map((i) =>
        hexToBytes(round.shares.find((x) => x.trusteeIndex === i)!.encryptedShares),
      ),
      complaints: [],
    });
    expect(report.complete).to.equal(true);
    expect(toHex(report.jointKey!)).to.equal(round.jointKey);
    expect(loaded.registrarKeys.size).to.equal(2);

    await advanceTimeTo(e.client, e.manifest.votingWindow.opensAt);
    const alice = await credentialedVoter(e.context, e.registrarKeys[0], 0);
    const bob = await credentialedVoter(e.context, e.registrarKeys[1], 1);
    const a1 = await signedBallotOf(e.context, alice, {
      "party-list": ["party-list-option-1"],
      district: ["district-option-2"],
    });
    const b1 = await signedBallotOf(e.context, bob, { "party-list": ["party-list-option-3"] });
    const a2 = await signedBallotOf(
      e.context,
      alice,
      { "party-list": ["party-list-option-2"], district: ["district-option-1"] },
      2n,
    );
    const hex = (s: typeof a1) => ({ ballot: toHex(s.ballot), sequence: s.sequence, signature: s.signature });
    // Second batch: a replay of a1 (rejected by the contract: sequence not higher) between two good ballots.
    await castBallots(e.relay, e.client, e.election, [hex(a1), hex(b1)]);
    const outcome = await castBallots(e.relay, e.client, e.election, [hex(a1), hex(a2)]);
    expect(outcome.rejected.map((r) => r.reasonName)).to.deep.equal(["SequenceNotHigher"]);

    const record = await readElectionRecord(e.client, e.election, { pageSize: 3n });
    expect(record.ballots.map((b) => b.ballot)).to.deep.equal([
      toHex(a1.ballot),
      toHex(b1.ballot),
      toHex(a2.ballot),
    ]);
    expect(record.rejections).to.have.length(1);
    expect(record.rejections[0]).to.include({ position: 0, reason: "SequenceNotHigher" });
    expect(record.ballotCount).to.equal(3);
    expect(record.runningHash).to.equal(record.ballots[2].runningHash);

    const rules = { context: e.context, registrarKeys: loaded.registrarKeys };
    const checks = await Promise.all(
      record.ballots.map((b) => checkSignedBallot(rules, signedBallotOfRecord(b))),
    );
    const counted = applyCountingRules(
      record.ballots.map((b, i) => ({ index: b.index, nullifier: b.nullifier, check: checks[i] })),
    );
    expect(counted.verdicts.map((v) => v.status)).to.deep.equal(["superseded", "counted", "counted"]);
    expect(counted.counted.map((c) => c.index)).to.deep.equal([1, 2]);
  });

  it("pages the logs: pages of 1, 2 and 7 blocks read the same record as the default", async () => {
    const whole = await readElectionRecord(e.client, e.election);
    for (const pageSize of [1n, 2n, 7n])
      expect(await readElectionRecord(e.client, e.election, { pageSize })).to.deep.equal(whole);
  });

  it("sendElectionTx names the contract's custom error and sends nothing", async () => {
    const before = await e.client.getTransactionCount({ address: e.trustees[0].account.address });
    let error: unknown;
    try {
      await sendElectionTx(e.trustees[0], e.client, e.election, "confirmJointKey", [
        toHex(new Uint8Array(32).fill(1)),
      ]);
    } catch (caught) {
      error = caught;
    }
    expect(error).to.be.instanceOf(ElectionCallError);
    expect((error as ElectionCallError).errorName).to.equal("WrongPhase");
    expect(await e.client.getTransactionCount({ address: e.trustees[0].account.address })).to.equal(before);
  });
});
