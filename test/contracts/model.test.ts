import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { encodeAbiParameters, keccak256, zeroHash, type Hex } from "viem";
import {
  completeCeremony,
  deployElectionFixture,
  newVoter,
  openVoting,
  randomBytes,
  setRegistrarKeys,
  signedBallot,
  type Voter,
} from "./fixture";

/** A seeded generator (mulberry32) so a failing sequence can be replayed. */
function prng(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = Math.imul(state ^ (state >>> 15), 1 | state);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** The ledger rules, written plainly: what castBallots must do to nullifiers, counts and the running hash. */
class LedgerModel {
  latest = new Map<Hex, bigint>();
  count = 0n;
  running: Hex = zeroHash;
  constructor(readonly revoteAllowed: boolean) {}

  apply(nullifier: Hex | null, sequence: bigint, ballotHash: Hex): boolean {
    if (nullifier === null) return false;
    const latest = this.latest.get(nullifier) ?? 0n;
    if (latest !== 0n && !this.revoteAllowed) return false;
    if (sequence <= latest) return false;
    this.latest.set(nullifier, sequence);
    this.running = keccak256(
      encodeAbiParameters(
        [{ type: "bytes32" }, { type: "bytes32" }, { type: "uint64" }, { type: "bytes32" }],
        [this.running, nullifier, sequence, ballotHash],
      ),
    );
    this.count += 1n;
    return true;
  }
}

for (const [policyName, revotePolicy] of [
  ["last-ballot-counts", 1],
  ["none", 0],
] as const) {
  describe(`Election: randomized casting against a model (${policyName})`, () => {
    async function fixture() {
      const f = await deployElectionFixture({ revotePolicy });
      await completeCeremony(f);
      await setRegistrarKeys(f);
      await openVoting(f);
      return f;
    }

    it("agrees with the model on every nullifier, count and running hash over 300 operations", async () => {
      const f = await loadFixture(fixture);
      const relay = await f.as(f.relay);
      const random = prng(revotePolicy === 1 ? 20261124 : 4242);
      const model = new LedgerModel(revotePolicy === 1);
      const voters: Voter[] = [];
      const nextSequence = new Map<Hex, bigint>();
      let operations = 0;
      while (operations < 300) {
        const size = 1 + Math.floor(random() * 12);
        const batch = [];
        const expected: boolean[] = [];
        for (let i = 0; i < size; i++, operations++) {
          const roll = random();
          let voter: Voter;
          let sequence: bigint;
          let signatureOk = true;
          if (voters.length === 0 || roll < 0.4) {
            voter = newVoter(f);
            voters.push(voter);
            sequence = 1n;
          } else {
            voter = voters[Math.floor(random() * voters.length)];
            const last = nextSequence.get(voter.nullifier) ?? 1n;
            if (roll < 0.7) sequence = last + 1n + BigInt(Math.floor(random() * 3));
            else if (roll < 0.85) sequence = BigInt(Math.floor(random() * Number(last + 1n)));
            else {
              sequence = last + 1n;
              signatureOk = false;
            }
          }
          const ballot = randomBytes(40 + Math.floor(random() * 200), random());
          const signed = await signedBallot(f, voter, sequence, ballot);
          if (!signatureOk) signed.signature = `0x${signed.signature.slice(2, 130)}1f`;
          batch.push(signed);
          const accepted = model.apply(signatureOk ? voter.nullifier : null, sequence, keccak256(ballot));
          if (accepted) nextSequence.set(voter.nullifier, sequence);
          expected.push(accepted);
        }
        const fromBlock = await f.publicClient.getBlockNumber();
        await relay.write.castBallots([batch]);
        const rejected = await f.election.getEvents.BallotRejected({}, { fromBlock: fromBlock + 1n });
        const rejectedPositions = rejected.map((r) => Number(r.args.position));
        expect(rejectedPositions).to.deep.equal(expected.flatMap((ok, i) => (ok ? [] : [i])));
        expect(await f.election.read.ballotCount()).to.equal(model.count);
        expect(await f.election.read.runningHash()).to.equal(model.running);
      }
      for (const voter of voters) {
        expect(await f.election.read.latestSequence([voter.nullifier])).to.equal(
          model.latest.get(voter.nullifier) ?? 0n,
        );
      }
    });
  });
}
