import { expect } from "chai";
import { encryptBallot } from "../../server/protocol/ballot";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import { VerifierPool, workerSource } from "../../server/verifier/pool";
import { dummyCredential, nullifierOf, referenceManifest, setupElection } from "../protocol/fixtures";

describe("verifier: worker pool", function () {
  this.timeout(60_000);

  it("starts its workers from one esbuild bundle of the sources, not through tsx's hook", async () => {
    // The fallback is silent: a module of the worker's that esbuild cannot parse once made every worker
    // start through tsx (about 1.1 s of CPU each instead of 0.2 s).
    const source = await workerSource();
    expect("code" in source && source.code.startsWith("(function (require) {")).to.equal(true);
  });

  it("verifies ballots on worker threads, in order, with reasons", async () => {
    await initCrypto();
    const { context } = setupElection(referenceManifest());
    const ballots = Array.from({ length: 24 }, (_, i) => {
      const nullifier = nullifierOf(i + 1);
      const { bytes } = encryptBallot(
        context,
        0,
        { "party-list": [`party-list-option-${(i % 5) + 1}`] },
        nullifier,
        dummyCredential(),
      );
      return { bytes, nullifier };
    });
    const tasks = ballots.map((b, i) =>
      i % 5 === 3
        ? { bytes: b.bytes, nullifier: nullifierOf(200) }
        : i % 7 === 6
          ? { bytes: b.bytes.subarray(1), nullifier: b.nullifier }
          : b,
    );
    const pool = await VerifierPool.create(context, { threads: 2, batchSize: 5 });
    try {
      expect(pool.threads).to.equal(2);
      const outcomes = await pool.verifyMany(tasks);
      expect(outcomes).to.have.length(24);
      outcomes.forEach((outcome, i) => {
        if (i % 5 === 3)
          expect(outcome).to.deep.equal({
            ok: false,
            reason: "contest party-list option party-list-option-1: 0/1 proof fails",
          });
        else if (i % 7 === 6)
          expect(outcome).to.deep.equal({ ok: false, reason: "ballot: bad magic (expected BLB1)" });
        else expect(outcome, `ballot ${i}`).to.deep.equal({ ok: true });
      });
      expect(await pool.verify(ballots[0])).to.deep.equal({ ok: true });
    } finally {
      await pool.close();
    }
    let error: Error | null = null;
    await pool.verify(ballots[0]).catch((e: Error) => (error = e));
    expect(error).to.be.an("error");
  });
});
