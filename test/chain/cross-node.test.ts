import { expect } from "chai";
import { startLocalNode, type LocalNode } from "../../server/chain/local-node";
import { runLedgerFlow, type LedgerFlowResult } from "./ledger-flow";

/**
 * The same deploy and cast flow against the Hardhat node and against anvil, an independent EVM
 * implementation: the contracts and the client code rely on nothing Hardhat-specific.
 */
describe("chain: the same flow on Hardhat's node and on anvil", function () {
  this.timeout(180_000);
  const results: Record<string, LedgerFlowResult> = {};

  for (const kind of ["hardhat", "anvil"] as const) {
    it(`deploys, runs a ceremony and casts ballots on ${kind}`, async () => {
      let node: LocalNode | undefined;
      try {
        node = await startLocalNode({ kind });
        const result = await runLedgerFlow({ rpcUrl: node.rpcUrl, chainId: node.chainId }, node.privateKeys);
        expect(result.outcomes[0].accepted.map((a) => a.position)).to.deep.equal([0, 1, 2]);
        expect(result.outcomes[1].accepted.map((a) => a.position)).to.deep.equal([0]);
        expect(result.outcomes[1].rejected.map((r) => [r.position, r.reasonName])).to.deep.equal([
          [1, "SequenceNotHigher"],
          [2, "InvalidBallotSignature"],
        ]);
        expect(result.ballotCount).to.equal(4n);
        expect(result.phase).to.equal(2);
        results[kind] = result;
      } finally {
        await node?.stop();
      }
    });
  }

  it("ends with the same addresses and the same running hash on both nodes", () => {
    expect(results.anvil.election).to.equal(results.hardhat.election);
    expect(results.anvil.runningHash).to.equal(results.hardhat.runningHash);
    expect(results.anvil.outcomes[0].accepted).to.deep.equal(results.hardhat.outcomes[0].accepted);
  });
});
