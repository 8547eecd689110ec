import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { toHex, type Hex } from "viem";
import { walletClientFor, type AccountWalletClient } from "../../server/chain/clients";
import { castBallots, roleId } from "../../server/chain/deploy";
import { ElectionCallError, sendElectionTx } from "../../server/chain/election-reader";
import { electionAbi } from "../../server/chain/generated/abis";
import { startLocalNode, type LocalNode } from "../../server/chain/local-node";
import { readJournalEntry, journalVerdict } from "../../server/precinct/journal-check";
import {
  checkPaper,
  issuePaper,
  issuePaperAfterCancellation,
  openPrecinctElection,
  type PrecinctElection,
} from "../../server/precinct/precinct";
import {
  parsePrecinctRoll,
  precinctRollOf,
  precinctRollToCsv,
  PrecinctRollError,
  rollChunks,
} from "../../server/precinct/roll";
import { CANCELLED_SEQUENCE, journalKey, signCancellation } from "../../server/protocol/channel";
import { generateRegistrarKey } from "../../server/protocol/credential-issuer";
import { nullifierOf } from "../../server/protocol/eip712";
import { toHex as bytesToHex } from "../../server/protocol/primitives/bytes";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import {
  advanceTimeTo,
  districtElectionManifest,
  setUpElection,
  type ElectionOnChain,
} from "../chain/election-flow";
import { credentialedVoter, signedBallotOf } from "../protocol/fixtures";
import { runCli } from "../trustee/cli";

/** The precinct tool against a real election on a local node (docs/protocol.md section 11). */
const codeOf = (voterId: string) => `CODE-${voterId.toUpperCase()}-7Q2M9X4K`;
const PLAIN_ROLL = ["alice", "bob", "carol", "dave", "erin"].map((voterId, i) => ({
  voterId,
  style: i % 2,
  code: codeOf(voterId),
}));

describe("precinct: one person, one channel", function () {
  this.timeout(240_000);
  let node: LocalNode;
  let e: ElectionOnChain;
  let precinctWallet: AccountWalletClient;
  let p: PrecinctElection;

  const entryOf = (voterId: string) => p.table.get(voterId)!;
  const paperRecorded = (voterIdHash: Hex) =>
    e.client.readContract({
      address: e.election,
      abi: electionAbi,
      functionName: "hasPaperBallot",
      args: [voterIdHash],
    });
  const issueCredential = (voterId: string) =>
    sendElectionTx(e.registrar, e.client, e.election, "recordIssuance", [
      entryOf(voterId).voterIdHash,
      entryOf(voterId).style,
      toHex(new Uint8Array(32).fill(voterId.length)),
    ]);

  before(async () => {
    await initCrypto();
    node = await startLocalNode({ kind: "hardhat" });
    e = await setUpElection(node, (opensAt) =>
      districtElectionManifest(opensAt, { paperCancellation: "at-precinct" }),
    );
    precinctWallet = walletClientFor(e.endpoint, node.privateKeys[12]);
    await sendElectionTx(e.commission, e.client, e.election, "grantRole", [
      roleId("PRECINCT_ROLE"),
      precinctWallet.account.address,
    ]);
    const location = { chainId: BigInt(node.chainId), election: e.election };
    // The invitation office's table goes through its CSV form, as the CLI writes and reads it.
    const entries = parsePrecinctRoll(precinctRollToCsv(precinctRollOf(location, PLAIN_ROLL, 2)));
    for (const { style, keys } of rollChunks(entries, 2))
      await sendElectionTx(e.commission, e.client, e.election, "publishOnlineRoll", [style, keys]);
    p = await openPrecinctElection(e.client, e.election, entries);
  });
  after(async () => node?.stop());

  it("builds the table only from codes of 80 bits, known styles and unique voters", () => {
    const location = { chainId: BigInt(node.chainId), election: e.election };
    const attempt = (rows: Record<string, unknown>[]) => () => precinctRollOf(location, rows, 2);
    expect(attempt([{ voterId: "x", style: 0, code: "short-code" }])).to.throw(PrecinctRollError, /80 bits/);
    expect(attempt([{ voterId: "x", style: 2, code: codeOf("x") }])).to.throw(PrecinctRollError, /style 2/);
    expect(attempt([{ voterId: "x y", style: 0, code: codeOf("x") }])).to.throw(
      PrecinctRollError,
      /voter id/,
    );
    expect(attempt([PLAIN_ROLL[0], PLAIN_ROLL[0]])).to.throw(PrecinctRollError, /twice/);
    expect(() => parsePrecinctRoll("voterId,style,voterIdHash\nalice,0,0x1234\n")).to.throw(/32 bytes/);
    expect(entryOf("alice").voterIdHash).to.equal(journalKey(location, "alice", codeOf("alice")));
  });

  it("answers a voter off the online roll with paper and records nothing", async () => {
    const answer = await issuePaper(p, precinctWallet, "zoe");
    expect(answer).to.include({ mayIssue: true, code: "not-on-online-roll" });
    expect(answer.transactionHash).to.equal(undefined);
  });

  it("records paper for an online-roll voter without credential, then refuses a credential and a second paper", async () => {
    expect(await checkPaper(p, "alice")).to.include({ mayIssue: true, code: "may-issue" });
    const issued = await issuePaper(p, precinctWallet, "alice");
    expect(issued).to.include({ mayIssue: true, code: "may-issue" });
    expect(issued.transactionHash).to.match(/^0x[0-9a-f]{64}$/);
    expect(await paperRecorded(entryOf("alice").voterIdHash)).to.equal(true);
    try {
      await issueCredential("alice");
      expect.fail("a credential after paper must be refused");
    } catch (error) {
      expect(error).to.be.instanceOf(ElectionCallError);
      expect((error as ElectionCallError).errorName).to.equal("PaperBallotAlreadyIssued");
    }
    expect(await checkPaper(p, "alice")).to.include({ mayIssue: false, code: "paper-already-issued" });
    expect(await issuePaper(p, precinctWallet, "alice")).to.include({
      mayIssue: false,
      code: "paper-already-issued",
    });
  });

  it("refuses paper to a credential holder and records nothing", async () => {
    await issueCredential("bob");
    const answer = await issuePaper(p, precinctWallet, "bob");
    expect(answer).to.include({ mayIssue: false, code: "credential-issued" });
    expect(answer.reason).to.match(/cancels the online ballot/);
    expect(await paperRecorded(entryOf("bob").voterIdHash)).to.equal(false);
  });

  it("voids the online ballot of a voter who cancels with the voting key, refusing every bad cancellation", async () => {
    const carol = entryOf("carol");
    await advanceTimeTo(e.client, e.manifest.votingWindow.opensAt);
    await issueCredential("carol");
    const voter = await credentialedVoter(e.context, e.registrarKeys[carol.style], carol.style);
    const ballot = await signedBallotOf(e.context, voter, {
      "party-list": ["party-list-option-1"],
      district: ["district-option-1"],
    });
    const cast = await castBallots(e.relay, e.client, e.election, [
      { ballot: bytesToHex(ballot.ballot), sequence: 1n, signature: ballot.signature },
    ]);
    expect(cast.accepted).to.have.length(1);
    const good = await signCancellation(
      voter.account,
      e.context,
      carol.voterIdHash,
      carol.style,
      voter.credential,
    );

    const bad = [
      [{ ...good, voterIdHash: entryOf("erin").voterIdHash }, "cancellation-wrong-voter"],
      [{ ...good, style: 1 - carol.style }, "cancellation-wrong-style"],
      [{ ...good, election: e.relay.account.address }, "cancellation-wrong-election"],
      [{ ...good, credential: "0x00000020" as Hex }, "cancellation-malformed"],
      [{ ...good, signature: `${good.signature.slice(0, 130)}1d` as Hex }, "cancellation-bad-signature"],
    ] as const;
    for (const [cancellation, code] of bad)
      expect(await issuePaperAfterCancellation(p, precinctWallet, "carol", cancellation)).to.include({
        mayIssue: false,
        code,
      });
    // A real voting key with a credential of another registrar key: the credential does not verify.
    const forged = await credentialedVoter(e.context, generateRegistrarKey(2048), carol.style);
    const forgedCancellation = await signCancellation(
      forged.account,
      e.context,
      carol.voterIdHash,
      carol.style,
      forged.credential,
    );
    expect(await issuePaperAfterCancellation(p, precinctWallet, "carol", forgedCancellation)).to.include({
      mayIssue: false,
      code: "cancellation-invalid-credential",
    });
    expect(await issuePaperAfterCancellation(p, precinctWallet, "dave", good)).to.include({
      mayIssue: false,
      code: "cancellation-wrong-voter",
    });
    expect(await paperRecorded(carol.voterIdHash)).to.equal(false);

    const answer = await issuePaperAfterCancellation(p, precinctWallet, "carol", good);
    expect(answer).to.include({ mayIssue: true, code: "may-issue" });
    const nullifier = nullifierOf(e.election, voter.account.address);
    expect(
      await e.client.readContract({
        address: e.election,
        abi: electionAbi,
        functionName: "latestSequence",
        args: [nullifier],
      }),
    ).to.equal(CANCELLED_SEQUENCE);
    // The voter's device tries to vote online again: the chain records nothing.
    const revote = await signedBallotOf(
      e.context,
      voter,
      { "party-list": ["party-list-option-2"], district: ["district-option-2"] },
      2n,
    );
    const after = await castBallots(e.relay, e.client, e.election, [
      { ballot: bytesToHex(revote.ballot), sequence: 2n, signature: revote.signature },
    ]);
    expect(after.accepted).to.have.length(0);
    expect(after.rejected[0].reasonName).to.equal("SequenceNotHigher");
    expect(await issuePaperAfterCancellation(p, precinctWallet, "carol", good)).to.include({
      mayIssue: false,
      code: "paper-already-issued",
    });
  });

  it("lets each voter read their own journal entry, which another code does not find", async () => {
    const read = (voterId: string, code = codeOf(voterId)) =>
      readJournalEntry(e.client, e.election, voterId, code);
    const alice = await read("alice");
    expect(journalVerdict(alice)).to.equal("paper-ballot-issued");
    expect(alice.onOnlineRoll).to.deep.equal({ style: 0 });
    expect(alice.credential).to.equal(null);
    expect(alice.paperBallot!.precinct.toLowerCase()).to.equal(precinctWallet.account.address.toLowerCase());
    const bob = await read("bob");
    expect(journalVerdict(bob)).to.equal("credential-issued");
    expect(bob.credential!.style).to.equal(1);
    expect(journalVerdict(await read("carol"))).to.equal("cancelled-then-paper");
    // An abstainer confirms that no credential was issued in their name.
    const erin = await read("erin");
    expect(journalVerdict(erin)).to.equal("unused");
    expect(erin.credential).to.equal(null);
    // Someone without erin's code computes another key, which is on no roll and has nothing.
    const guess = await read("erin", "CODE-ERIN-WRONG-GUESS");
    expect(guess.voterIdHash).to.not.equal(erin.voterIdHash);
    expect(journalVerdict(guess)).to.equal("not-on-online-roll");
  });

  it("answers on the command line: a refusal's reason code and exit 3, a voter's own entry, usage errors exit 2", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "precinct-cli-"));
    try {
      const roll = path.join(dir, "table.csv");
      fs.writeFileSync(roll, precinctRollToCsv([...p.table.values()]));
      const chain = ["--rpc", node.rpcUrl, "--election", e.election];
      const refused = await runCli([
        "precinct",
        "check",
        "--roll",
        roll,
        ...chain,
        "--voter-id",
        "alice",
        "--json",
      ]);
      expect(refused.code).to.equal(3);
      expect(JSON.parse(refused.stdout)).to.include({ mayIssue: false, code: "paper-already-issued" });
      const regular = await runCli(["precinct", "check", "--roll", roll, ...chain, "--voter-id", "zoe"]);
      expect(regular.code).to.equal(0);
      expect(regular.stdout).to.match(/PAPER BALLOT \(not-on-online-roll\)/);
      const codeFile = path.join(dir, "code.txt");
      fs.writeFileSync(codeFile, `${codeOf("erin")}\n`);
      const own = await runCli([
        "journal",
        "check",
        ...chain,
        "--voter-id",
        "erin",
        "--code-file",
        codeFile,
        "--json",
      ]);
      expect(own.code, own.stderr).to.equal(0);
      expect(JSON.parse(own.stdout)).to.include({ verdict: "unused", credential: null });
      const badRoll = path.join(dir, "bad.csv");
      fs.writeFileSync(badRoll, "voterId,style,voterIdHash\nalice,0,0x12\n");
      const bad = await runCli(["precinct", "check", "--roll", badRoll, ...chain, "--voter-id", "alice"]);
      expect(bad.code).to.equal(2);
      expect(bad.stderr).to.match(/32 bytes/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
