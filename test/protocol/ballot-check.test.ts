import { expect } from "chai";
import { checkSignedBallot, type BallotRules } from "../../server/protocol/ballot-check";
import { generateRegistrarKey, type RegistrarKeyPair } from "../../server/protocol/credential-issuer";
import { nullifierOf, signBallot } from "../../server/protocol/eip712";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import { VerifierPool } from "../../server/verifier/pool";
import { buildManifest, credentialedVoter, setupElection, signedBallotOf } from "./fixtures";

describe("protocol: the shared check of a signed ballot", function () {
  this.timeout(60_000);
  let rules: BallotRules;
  let registrars: RegistrarKeyPair[];

  before(async () => {
    await initCrypto();
    const manifest = buildManifest(
      [
        { id: "party-list", options: 4, min: 1, max: 1 },
        { id: "district", options: 3, min: 1, max: 1 },
      ],
      [["party-list", "district"], ["party-list"]],
    );
    const { context } = setupElection(manifest);
    registrars = [generateRegistrarKey(2048), generateRegistrarKey(2048)];
    rules = { context, registrarKeys: new Map(registrars.map((key, style) => [style, key.modulus])) };
  });

  it("accepts a credentialed, signed, proven ballot and returns its voting address, nullifier and hash", async () => {
    const voter = await credentialedVoter(rules.context, registrars[0], 0);
    const signed = await signedBallotOf(rules.context, voter, {
      "party-list": ["party-list-option-2"],
      district: ["district-option-1"],
    });
    const check = await checkSignedBallot(rules, signed);
    expect(check.ok).to.equal(true);
    if (!check.ok) return;
    expect(check.votingAddress).to.equal(voter.account.address);
    expect(check.nullifier).to.equal(nullifierOf(rules.context.election, voter.account.address));
  });

  it("refuses each fault with its code", async () => {
    const voter = await credentialedVoter(rules.context, registrars[0], 0);
    const choices = { "party-list": ["party-list-option-1"], district: ["district-option-3"] };
    const signed = await signedBallotOf(rules.context, voter, choices);

    const badSignature = {
      ...signed,
      signature: `${signed.signature.slice(0, 10)}00${signed.signature.slice(12)}` as `0x${string}`,
    };
    expect((await checkSignedBallot(rules, badSignature)).ok).to.equal(false);
    // Signed by another key: valid signature, but the credential and the proofs belong to the first voter.
    const thief = await credentialedVoter(rules.context, registrars[0], 0);
    const stolen = {
      ...signed,
      signature: await signBallot(thief.account, rules.context, signed.ballot, 1n),
    };
    expect(await checkSignedBallot(rules, stolen)).to.deep.include({ ok: false, code: "invalid-credential" });
    // A credential of style 1 used on a style-0 ballot.
    const wrongStyle = await credentialedVoter(rules.context, registrars[1], 1);
    const misused = await signedBallotOf(rules.context, { ...wrongStyle, styleIndex: 0 }, choices);
    expect(await checkSignedBallot(rules, misused)).to.deep.include({
      ok: false,
      code: "invalid-credential",
    });
    // A flipped proof byte, re-signed by the voter: the signature holds, the proof does not.
    const tampered = new Uint8Array(signed.ballot);
    tampered[tampered.length - 1] ^= 1;
    const resigned = {
      ballot: tampered,
      sequence: 1n,
      signature: await signBallot(voter.account, rules.context, tampered, 1n),
    };
    expect(await checkSignedBallot(rules, resigned)).to.deep.include({ ok: false, code: "invalid-proof" });
    const truncated = signed.ballot.subarray(0, 100);
    const short = {
      ballot: truncated,
      sequence: 1n,
      signature: await signBallot(voter.account, rules.context, truncated, 1n),
    };
    expect(await checkSignedBallot(rules, short)).to.deep.include({ ok: false, code: "malformed-ballot" });
    const noKeys = { ...rules, registrarKeys: new Map<number, Uint8Array>() };
    expect(await checkSignedBallot(noKeys, signed)).to.deep.include({
      ok: false,
      code: "registrar-key-missing",
    });
  });

  it("the worker pool runs the same check on every core, in order", async () => {
    const voters = await Promise.all(
      [0, 1, 0, 1].map((style) => credentialedVoter(rules.context, registrars[style], style)),
    );
    const signed = await Promise.all(
      voters.map((voter) =>
        signedBallotOf(
          rules.context,
          voter,
          voter.styleIndex === 0
            ? { "party-list": ["party-list-option-4"], district: ["district-option-2"] }
            : { "party-list": ["party-list-option-3"] },
        ),
      ),
    );
    signed[2] = { ...signed[2], sequence: 2n };
    const pool = await VerifierPool.create(rules, { threads: 2, batchSize: 1 });
    try {
      const checks = await pool.checkMany(signed);
      expect(checks.map((c) => c.ok)).to.deep.equal([true, true, false, true]);
      expect(checks[2]).to.deep.include({ ok: false, code: "invalid-credential" });
    } finally {
      await pool.close();
    }
  });
});
