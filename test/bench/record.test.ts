import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { castBallots } from "../../server/chain/deploy";
import { readElectionRecord, sendElectionTx } from "../../server/chain/election-reader";
import { startLocalNode, type LocalNode } from "../../server/chain/local-node";
import { credentialMessage, verifyCredential } from "../../server/protocol/credential";
import { generateRegistrarKey } from "../../server/protocol/credential-issuer";
import { recoverBallotSigner } from "../../server/protocol/eip712";
import { concatBytes } from "../../server/protocol/primitives/bytes";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import { verifyElectionRecord } from "../../server/verification/record";
import {
  directCredential,
  expectedCounts,
  generateBallot,
  generateBallotFiles,
  readBallotFile,
} from "../../scripts/bench/record-ballots";
import { issuanceEntries, publishTally, recordManifest } from "../../scripts/bench/record-election";
import { advanceTimeTo, setUpElection } from "../chain/election-flow";
import { credentialedVoter, referenceManifest, setupElection } from "../protocol/fixtures";

/**
 * bench:record's generator (scripts/bench/record-ballots.ts): its direct
 * credentials are RFC 9474 credentials as the project checks them, and its
 * ballots make a record that holds, with the counts its choices give.
 */
describe("bench:record: the big-chain generator", function () {
  this.timeout(300_000);
  before(async () => {
    await initCrypto();
  });

  it("signs credentials directly that pass the credential check, as blind-issued ones do", async () => {
    const { context } = setupElection(referenceManifest());
    const registrar = generateRegistrarKey(2048);
    const privateKey = generatePrivateKey();
    const address = privateKeyToAccount(privateKey).address;
    const direct = directCredential(registrar, context, 0, address);
    const blind = (await credentialedVoter(context, registrar, 0, privateKey)).credential;
    const publicKey = crypto.createPublicKey(registrar.privateKey);
    for (const credential of [direct, blind]) {
      expect(credential.messagePrefix.length).to.equal(32);
      expect(credential.signature.length).to.equal(256);
      expect(await verifyCredential(context, 0, address, credential, registrar.modulus)).to.deep.equal({
        ok: true,
      });
      // The same scheme both ways: RSASSA-PSS, SHA-384, MGF1-SHA-384, 48-byte salt, over prefix || message.
      const prepared = concatBytes(credential.messagePrefix, credentialMessage(context, 0, address));
      expect(
        crypto.verify(
          "sha384",
          prepared,
          { key: publicKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 },
          credential.signature,
        ),
      ).to.equal(true);
    }
    // Bound to its style, its voting address and its registrar key.
    const other = privateKeyToAccount(generatePrivateKey()).address;
    expect((await verifyCredential(context, 0, other, direct, registrar.modulus)).ok).to.equal(false);
    expect((await verifyCredential(context, 1, address, direct, registrar.modulus)).ok).to.equal(false);
    const stranger = generateRegistrarKey(2048);
    expect((await verifyCredential(context, 0, address, direct, stranger.modulus)).ok).to.equal(false);
    // Two ballots: two voters, two prefixes, and each signed by its own voting key.
    const [a, b] = [
      await generateBallot(context, registrar, 0, 0),
      await generateBallot(context, registrar, 0, 1),
    ];
    expect(a.votingAddress).to.not.equal(b.votingAddress);
    expect(await recoverBallotSigner(context, a.ballot, 1n, a.signature)).to.equal(a.votingAddress);
  });

  describe("on anvil", () => {
    let node: LocalNode;
    let work: string;
    before(async () => {
      node = await startLocalNode({ kind: "anvil" });
      work = fs.mkdtempSync(path.join(os.tmpdir(), "bl-record-test-"));
    });
    after(async () => {
      await node?.stop();
      fs.rmSync(work, { recursive: true, force: true });
    });

    it("makes ballots the contract accepts, and a record that holds with the expected counts", async () => {
      const BALLOTS = 24;
      const e = await setUpElection(node, recordManifest, { relays: 1 });
      const { client, election, context, manifest } = e;
      const pem = e.registrarKeys[0].privateKey.export({ format: "pem", type: "pkcs8" }).toString();
      const files = await generateBallotFiles(
        { context, registrarPem: pem, styleIndex: 0 },
        BALLOTS,
        path.join(work, "ballots"),
        { threads: 2 },
      );
      expect(files).to.have.length(2);
      await sendElectionTx(e.registrar, client, election, "recordIssuances", [issuanceEntries(0, BALLOTS)]);
      await advanceTimeTo(client, manifest.votingWindow.opensAt);
      let accepted = 0;
      for (const file of files)
        for (const batch of readBallotFile(file, 5)) {
          const outcome = await castBallots(e.relay, client, election, batch);
          expect(outcome.rejected).to.deep.equal([]);
          accepted += outcome.accepted.length;
        }
      expect(accepted).to.equal(BALLOTS);

      await advanceTimeTo(client, manifest.votingWindow.closesAt + 1);
      const closed = await verifyElectionRecord(await readElectionRecord(client, election), { threads: 0 });
      expect(closed.report.ballots.counted).to.equal(BALLOTS);
      expect(new Set(closed.verdicts.map((v) => v.index)).size).to.equal(BALLOTS);
      expect(closed.tally).to.not.equal(null);
      await publishTally(e, closed.tally!.aggregate);

      const record = await readElectionRecord(client, election);
      expect(new Set(record.ballots.map((b) => b.nullifier)).size).to.equal(BALLOTS);
      expect(record.issuances).to.have.length(BALLOTS);
      const { report } = await verifyElectionRecord(record, { threads: 0 });
      expect(report.findings).to.deep.equal([]);
      expect(report.verdict).to.equal("holds");
      expect(report.ballots.recorded).to.equal(BALLOTS);
      expect(report.ballots.counted).to.equal(BALLOTS);
      expect(report.result.matches).to.equal(true);
      expect(report.result.own).to.deep.equal({ "party-list": expectedCounts(BALLOTS) });
    });
  });
});
