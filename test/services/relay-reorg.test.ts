import { expect } from "chai";
import pino from "pino";
import { toHex, type Hex } from "viem";
import { electionAbi } from "../../server/chain/generated/abis";
import { readElectionRecord } from "../../server/chain/election-reader";
import type { RunningRelay } from "../../server/relay/app";
import { credentialedVoter, signedBallotOf } from "../protocol/fixtures";
import { getJson, postJson, startTestRelay, tempDir, waitFor } from "./harness";
import { startLiveElection, type LiveElection } from "./live-election";

/**
 * A relay that waits for confirmations (as on Clique, docs/network.md) and
 * whose batch's block is replaced before they come: the Hardhat node is
 * reverted to before the batch and mines other blocks in its place, as a
 * reorganisation would leave it. The relay must see that the transaction is
 * no longer in the chain, send the same signed bytes again, and settle the
 * ballot once it is confirmed where the chain now has it.
 */
describe("services: the relay sends a batch again when its block is replaced", function () {
  this.timeout(180_000);
  let live: LiveElection;
  let relay: RunningRelay;
  const warnings: string[] = [];

  before(async () => {
    live = await startLiveElection({ relays: 1 });
    const logger = pino({ level: "warn" }, { write: (line: string) => warnings.push(line) });
    relay = await startTestRelay(live, 0, tempDir("relay-reorg"), { confirmations: 3, logger });
  });
  after(async () => {
    await relay?.close();
    await live?.stop();
  });

  const rpc = (method: string, params: unknown[] = []) =>
    live.client.request({ method: method as never, params: params as never });
  const ballotCount = () =>
    live.client.readContract({ address: live.election, abi: electionAbi, functionName: "ballotCount" });
  const statusOf = async (code: string) => (await getJson(`${relay.url}/v1/ballots/${code}`)).body;

  it("finds its batch gone after the replacement, sends it again, and settles it once", async () => {
    const snapshot = (await rpc("evm_snapshot")) as Hex;
    const voter = await credentialedVoter(live.context, live.registrarKeys.get(0)!, 0);
    const signed = await signedBallotOf(live.context, voter, { "party-list": ["party-list-option-2"] });
    const accepted = await postJson(`${relay.url}/v1/ballots`, {
      ballot: toHex(signed.ballot),
      sequence: signed.sequence.toString(),
      signature: signed.signature,
    });
    expect(accepted.status, JSON.stringify(accepted.body)).to.equal(202);
    const code = accepted.body.trackingCode as string;

    await waitFor("the batch mined", async () => (await ballotCount()) === 1n);
    const first = await statusOf(code);
    expect(first.status, "not settled before 3 blocks on top").to.equal("queued");
    const minedIn = (await live.client.getBlock()).hash;

    // The batch's block and everything after the snapshot are replaced by empty blocks.
    expect(await rpc("evm_revert", [snapshot])).to.equal(true);
    expect(await ballotCount()).to.equal(0n);
    for (let i = 0; i < 4; i++) await rpc("evm_mine");

    const settled = await waitFor(
      "the ballot settled on chain again",
      async () => {
        const status = await statusOf(code);
        if (status.status === "on-chain") return status;
        await rpc("evm_mine");
        return null;
      },
      60_000,
    );
    expect(warnings.some((line) => line.includes("the batch's block was replaced"))).to.equal(true);
    const record = await readElectionRecord(live.client, live.election);
    expect(record.ballots.map((b) => b.ballotHash.toLowerCase())).to.deep.equal([
      (settled.ballotHash as string).toLowerCase(),
    ]);
    const block = await live.client.getBlock({ blockNumber: BigInt(settled.blockNumber as string) });
    expect(block.hash, "settled where the chain now has it").to.not.equal(minedIn);
    expect(block.transactions).to.include(settled.transactionHash);
  });
});
