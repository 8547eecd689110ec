import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import pino from "pino";
import { toHex, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { readRecordFolder, writeRecordFolder } from "../../server/audit/record-files";
import { walletClientFor, type AccountWalletClient } from "../../server/chain/clients";
import { castBallots, roleId } from "../../server/chain/deploy";
import { readElectionRecord, sendElectionTx } from "../../server/chain/election-reader";
import { startLocalNode, type LocalNode } from "../../server/chain/local-node";
import { Observer } from "../../server/observer/observer";
import {
  issuePaper,
  issuePaperAfterCancellation,
  openPrecinctElection,
} from "../../server/precinct/precinct";
import { precinctRollOf, rollChunks, type PrecinctEntry } from "../../server/precinct/roll";
import { journalKey, signCancellation } from "../../server/protocol/channel";
import type { BallotChoices } from "../../server/protocol/ballot";
import { toHex as bytesToHex } from "../../server/protocol/primitives/bytes";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import type { ElectionRecord } from "../../server/protocol/record";
import { verifyElectionRecord } from "../../server/verification/record";
import type { VerificationReport } from "../../server/verification/report";
import {
  advanceTimeTo,
  districtElectionManifest,
  setUpElection,
  type ElectionOnChain,
} from "../chain/election-flow";
import { credentialedVoter, signedBallotOf, type TestVoter } from "../protocol/fixtures";

/**
 * The public reconciliation per district (V10, docs/protocol.md 11.6): an
 * honest day reconciles; a registrar stuffing credentials off the roll and a
 * precinct recording a cancellation without a credential break conservation,
 * and every verifier (audit verify over a record, the observer over its index)
 * reports it; a record folder with a cancellation removed fails offline.
 */
const codeOf = (voterId: string) => `INVITE-${voterId.toUpperCase()}-K7Q2M9X4`;
const ROLL = [
  { voterId: "ann", style: 0 },
  { voterId: "ben", style: 0 },
  { voterId: "cat", style: 0 },
  { voterId: "dan", style: 1 },
  { voterId: "eve", style: 1 },
].map((v) => ({ ...v, code: codeOf(v.voterId) }));

const v10 = (report: VerificationReport) =>
  report.findings
    .filter((f) => f.check.startsWith("V10."))
    .map((f) => `${f.check} ${f.code}`)
    .sort();

describe("precinct: reconciliation per district, for every verifier", function () {
  this.timeout(300_000);
  let node: LocalNode;
  let e: ElectionOnChain;
  let precinctWallet: AccountWalletClient;
  let table: Map<string, PrecinctEntry>;
  let tmp: string;
  const quiet = pino({ level: "silent" });

  const issue = (voterIdHash: Hex, style: number) =>
    sendElectionTx(e.registrar, e.client, e.election, "recordIssuance", [
      voterIdHash,
      style,
      toHex(new Uint8Array(32)),
    ]);
  const vote = async (voter: TestVoter, sequence = 1n) => {
    const choices: BallotChoices =
      voter.styleIndex === 0
        ? { "party-list": ["party-list-option-1"], district: ["district-option-2"] }
        : { "party-list": ["party-list-option-3"] };
    const signed = await signedBallotOf(e.context, voter, choices, sequence);
    const outcome = await castBallots(e.relay, e.client, e.election, [
      { ballot: bytesToHex(signed.ballot), sequence, signature: signed.signature },
    ]);
    expect(outcome.accepted).to.have.length(1);
  };
  const credentialHolder = async (voterId: string) => {
    const entry = table.get(voterId)!;
    await issue(entry.voterIdHash, entry.style);
    return credentialedVoter(e.context, e.registrarKeys[entry.style], entry.style);
  };
  const audit = async () =>
    (await verifyElectionRecord(await readElectionRecord(e.client, e.election), { threads: 0 })).report;

  before(async () => {
    await initCrypto();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "reconciliation-"));
    node = await startLocalNode({ kind: "hardhat" });
    e = await setUpElection(node, (opensAt) =>
      districtElectionManifest(opensAt, { paperCancellation: "at-precinct" }),
    );
    precinctWallet = walletClientFor(e.endpoint, node.privateKeys[12]);
    await sendElectionTx(e.commission, e.client, e.election, "grantRole", [
      roleId("PRECINCT_ROLE"),
      precinctWallet.account.address,
    ]);
    const entries = precinctRollOf({ chainId: BigInt(node.chainId), election: e.election }, ROLL, 2);
    table = new Map(entries.map((entry) => [entry.voterId, entry]));
    for (const { style, keys } of rollChunks(entries, 500))
      await sendElectionTx(e.commission, e.client, e.election, "publishOnlineRoll", [style, keys]);
    await advanceTimeTo(e.client, e.manifest.votingWindow.opensAt);

    // An honest voting day: ann and ben vote online, cat takes paper, dan votes online then cancels
    // at the precinct and takes paper, eve does nothing.
    const precinct = await openPrecinctElection(e.client, e.election, entries);
    await vote(await credentialHolder("ann"));
    await vote(await credentialHolder("ben"));
    expect((await issuePaper(precinct, precinctWallet, "cat")).code).to.equal("may-issue");
    const dan = await credentialHolder("dan");
    await vote(dan);
    const cancellation = await signCancellation(
      dan.account,
      e.context,
      table.get("dan")!.voterIdHash,
      1,
      dan.credential,
    );
    expect((await issuePaperAfterCancellation(precinct, precinctWallet, "dan", cancellation)).code).to.equal(
      "may-issue",
    );
  });
  after(async () => {
    await node?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("an honest day reconciles per district, and the cancelled online ballot counts as nothing", async () => {
    const record = await readElectionRecord(e.client, e.election);
    const { report, verdicts } = await verifyElectionRecord(record, { threads: 0 });
    expect(report.findings, JSON.stringify(report.findings)).to.deep.equal([]);
    expect(report.checks.reconciliation).to.equal("holds");
    expect(report.reconciliation).to.deep.equal([
      {
        style: 0,
        id: "style-0",
        onlineRoll: 3,
        credentialsIssued: 2,
        onlineCounted: 2,
        paperBallots: 1,
        cancellations: 0,
        unused: 0,
      },
      {
        style: 1,
        id: "style-1",
        onlineRoll: 2,
        credentialsIssued: 1,
        onlineCounted: 0,
        paperBallots: 1,
        cancellations: 1,
        unused: 1,
      },
    ]);
    const dansBallot = record.ballots.findIndex(
      (b) => b.nullifier === record.channels.cancellations[0].nullifier,
    );
    expect(verdicts[dansBallot]).to.deep.equal({
      index: dansBallot,
      status: "superseded",
      supersededBy: null,
    });
    expect(report.tally!.canonical.counted).to.equal(2);
  });

  it("a record folder with the cancellation removed fails offline", async () => {
    const dir = path.join(tmp, "record");
    writeRecordFolder(dir, await readElectionRecord(e.client, e.election));
    const channelsFile = path.join(dir, "channels.json");
    const channels = JSON.parse(fs.readFileSync(channelsFile, "utf8")) as ElectionRecord["channels"];
    expect((await verifyElectionRecord(await readRecordFolder(dir), { threads: 0 })).report.holds).to.equal(
      true,
    );
    fs.writeFileSync(channelsFile, JSON.stringify({ ...channels, cancellations: [] }));
    const { report } = await verifyElectionRecord(await readRecordFolder(dir), { threads: 0 });
    expect(v10(report)).to.deep.equal(["V10.3 paper-after-credential"]);
    expect(report.checks.reconciliation).to.equal("fails");
    expect(report.reconciliation[1]).to.include({ onlineCounted: 1, cancellations: 0 });
  });

  it("stuffing off the roll and a cancellation without credential break conservation for audit and observer", async () => {
    // The registrar journals two credentials under keys nobody on the roll holds ...
    const location = { chainId: BigInt(node.chainId), election: e.election };
    for (const name of ["ghost-1", "ghost-2"]) await issue(journalKey(location, name, codeOf(name)), 0);
    // ... and eve, who holds a credential and votes, gets paper through a precinct that calls the
    // contract with a cancellation signed by a throwaway key over a made-up credential.
    const eve = await credentialHolder("eve");
    await vote(eve);
    const throwaway = privateKeyToAccount(generatePrivateKey());
    const forged = await signCancellation(throwaway, e.context, table.get("eve")!.voterIdHash, 1, {
      messagePrefix: new Uint8Array(32).fill(7),
      signature: new Uint8Array(256).fill(9),
    });
    await sendElectionTx(precinctWallet, e.client, e.election, "recordPaperBallotAfterCancellation", [
      forged.voterIdHash,
      forged.style,
      forged.credential,
      forged.signature,
    ]);

    const expected = [
      "V10.2 issuance-not-on-roll",
      "V10.2 issuance-not-on-roll",
      "V10.4 cancellation-invalid-credential",
      "V10.5 online-exceeds-credentials",
      "V10.5 roll-exceeded",
    ];
    const audited = await audit();
    expect(v10(audited)).to.deep.equal(expected);
    expect(audited.holds).to.equal(false);
    const observer = await Observer.open({
      endpoint: e.endpoint,
      election: e.election,
      dataDir: path.join(tmp, "observer"),
      threads: 0,
      logger: quiet,
    });
    try {
      await observer.sync();
      const observed = observer.verify().report;
      expect(v10(observed)).to.deep.equal(expected);
      expect(observed.reconciliation).to.deep.equal(audited.reconciliation);
      expect(observed.reconciliation[0]).to.include({ onlineRoll: 3, credentialsIssued: 4, paperBallots: 1 });
      expect(observed.reconciliation[1]).to.include({
        credentialsIssued: 2,
        onlineCounted: 1,
        cancellations: 2,
      });
    } finally {
      await observer.close();
    }
  });
});
