import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { toHex, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { publicClientFor, walletClientFor, type AccountWalletClient } from "../../server/chain/clients";
import { castBallots, type ChainPublicClient } from "../../server/chain/deploy";
import { loadElection, sendElectionTx } from "../../server/chain/election-reader";
import { electionAbi } from "../../server/chain/generated/abis";
import { startLocalNode, type LocalNode } from "../../server/chain/local-node";
import type { BallotChoices } from "../../server/protocol/ballot";
import type { SignedBallot } from "../../server/protocol/ballot-check";
import {
  dealShares,
  decodeTrusteeKeys,
  judgeComplaint,
  shareRecipients,
} from "../../server/protocol/ceremony";
import type { ElectionContext } from "../../server/protocol/context";
import { generateRegistrarKey, type RegistrarKeyPair } from "../../server/protocol/credential-issuer";
import { concatBytes, hexToBytes } from "../../server/protocol/primitives/bytes";
import { decodeScalar, randomScalar, scalarAdd, scalarFromInt } from "../../server/protocol/primitives/group";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import { createDecryptionShare } from "../../server/protocol/tally";
import { runCeremony, type CeremonyOutcome } from "../../server/trustee/ceremony-step";
import { runDecryption } from "../../server/trustee/decrypt";
import { StepRefusal } from "../../server/trustee/errors";
import { initTrustee } from "../../server/trustee/init";
import { KDF_INTERACTIVE, TrusteeKeystore } from "../../server/trustee/keystore";
import { publishResult } from "../../server/trustee/publish";
import { tallyRecordedBallots } from "../../server/trustee/recorded-tally";
import { openTrusteeSession, type TrusteeSession } from "../../server/trustee/session";
import { buildManifest, credentialedVoter, signedBallotOf, type TestVoter } from "../protocol/fixtures";
import { runCli } from "./cli";

/**
 * The trustees' and the commission's whole path on a local Hardhat node:
 * commission CLI (factory, election from a manifest file, roles, restart),
 * a 5-trustee threshold-3 ceremony with a cheating dealer caught by a
 * complaint and replaced, real credentialed ballots with a re-vote and an
 * invalid credential, decryption with two trustees absent, a wrong decryption
 * share excluded at publication, and the refusals (wrong passphrase,
 * corrupted key file, wrong phase, not a trustee) that post nothing.
 */
const PASSPHRASE = "trustee passphrase for tests";
const DAY = 86_400;

interface Trustee {
  name: string;
  key: Hex;
  address: Address;
  keyFile: string;
}

async function expectRefusal(promise: Promise<unknown>, code: string, text: RegExp): Promise<void> {
  try {
    await promise;
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(StepRefusal);
    expect((error as StepRefusal).code).to.equal(code);
    expect((error as Error).message).to.match(text);
    return;
  }
  expect.fail(`expected a StepRefusal ${code}`);
}

describe("trustee: ceremony, decryption and publication on a local chain", function () {
  this.timeout(600_000);
  let node: LocalNode;
  let client: ChainPublicClient;
  let dir: string;
  let commissionKeyFile: string;
  let passphraseFile: string;
  let election: Address;
  let trustees: Trustee[];
  let replacement: Trustee;
  let outsider: Trustee;
  let relay: AccountWalletClient;
  let registrar: AccountWalletClient;
  let closesAt: number;
  let opensAt: number;
  let context: ElectionContext;
  const registrarKeys: RegistrarKeyPair[] = [];
  const expected: Record<string, Record<string, number>> = {};

  const keyFileOf = (name: string) => path.join(dir, `${name}.key`);
  const nonceOf = (address: Address) => client.getTransactionCount({ address });
  const advanceTo = async (timestamp: number) => {
    const now = Number((await client.getBlock()).timestamp);
    if (timestamp > now)
      await client.request({ method: "evm_increaseTime" as never, params: [timestamp - now] as never });
    await client.request({ method: "evm_mine" as never, params: [] as never });
  };
  const cliEnv = () => ({ BALLOT_LEDGER_RPC: node.rpcUrl });
  const commission = (...args: string[]) =>
    runCli(["commission", ...args, "--private-key-file", commissionKeyFile], cliEnv());

  async function withSession<T>(trustee: Trustee, body: (session: TrusteeSession) => Promise<T>): Promise<T> {
    const keystore = TrusteeKeystore.open(trustee.keyFile, PASSPHRASE);
    try {
      return await body(await openTrusteeSession(node.rpcUrl, keystore));
    } finally {
      keystore.close();
    }
  }
  const ceremony = (trustee: Trustee): Promise<CeremonyOutcome> =>
    withSession(trustee, (s) => runCeremony(s));

  async function init(trustee: Trustee) {
    const outcome = await initTrustee({
      rpcUrl: node.rpcUrl,
      election,
      accountKey: trustee.key,
      keyFile: trustee.keyFile,
      passphrase: PASSPHRASE,
      kdf: KDF_INTERACTIVE,
    });
    outcome.keystore.close();
    return outcome;
  }

  before(async () => {
    await initCrypto();
    node = await startLocalNode({ kind: "hardhat" });
    client = publicClientFor({ rpcUrl: node.rpcUrl, chainId: node.chainId });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "trustee-election-"));
    const account = (i: number, name: string): Trustee => ({
      name,
      key: node.privateKeys[i],
      address: privateKeyToAccount(node.privateKeys[i]).address,
      keyFile: keyFileOf(name),
    });
    commissionKeyFile = path.join(dir, "commission.pk");
    fs.writeFileSync(commissionKeyFile, `${node.privateKeys[0]}\n`, { mode: 0o600 });
    passphraseFile = path.join(dir, "passphrase");
    fs.writeFileSync(passphraseFile, `${PASSPHRASE}\n`, { mode: 0o600 });
    const endpoint = { rpcUrl: node.rpcUrl, chainId: node.chainId };
    registrar = walletClientFor(endpoint, node.privateKeys[1]);
    relay = walletClientFor(endpoint, node.privateKeys[2]);
    trustees = [3, 4, 5, 6, 7].map((i, k) => account(i, `trustee-${k + 1}`));
    replacement = account(8, "replacement");
    outsider = account(9, "outsider");
  });

  after(async () => {
    await node?.stop();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("commission CLI: deploys a factory, creates the election from a manifest file, appoints services", async () => {
    const deployed = await commission("deploy-factory");
    expect(deployed.code, deployed.stderr).to.equal(0);
    const factory = deployed.stdout.trim();
    expect(factory).to.match(/^0x[0-9a-fA-F]{40}$/);

    const now = Number((await client.getBlock()).timestamp);
    opensAt = now + 3600;
    closesAt = opensAt + DAY;
    const manifest = {
      ...buildManifest(
        [
          { id: "mayor", options: ["ada", "brook", "cyril"], min: 1, max: 1 },
          { id: "council", options: ["dana", "eli", "fay", "gus"], min: 0, max: 2 },
        ],
        [["mayor", "council"], ["mayor"]],
        { count: 5, threshold: 3 },
      ),
      votingWindow: { opensAt, closesAt },
    };
    const manifestFile = path.join(dir, "manifest.json");
    fs.writeFileSync(manifestFile, JSON.stringify(manifest, null, 2));
    const trusteeList = trustees.map((t) => t.address).join(",");

    const short = await commission(
      "create",
      "--factory",
      factory,
      "--manifest",
      manifestFile,
      "--trustees",
      trusteeList.split(",").slice(0, 4).join(","),
    );
    expect(short.code).to.equal(2);
    expect(short.stderr).to.match(/names 5 trustees, 4 addresses given/);
    const badManifestFile = path.join(dir, "bad-manifest.json");
    fs.writeFileSync(badManifestFile, JSON.stringify({ ...manifest, trustees: { count: 5, threshold: 6 } }));
    const bad = await commission(
      "create",
      "--factory",
      factory,
      "--manifest",
      badManifestFile,
      "--trustees",
      trusteeList,
    );
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.match(/threshold must not exceed count/);

    const created = await commission(
      "create",
      "--factory",
      factory,
      "--manifest",
      manifestFile,
      "--trustees",
      trusteeList,
    );
    expect(created.code, created.stderr).to.equal(0);
    election = created.stdout.trim() as Address;
    expect(election).to.match(/^0x[0-9a-fA-F]{40}$/);

    for (const [role, account] of [
      ["registrar", registrar.account.address],
      ["relay", relay.account.address],
    ] as const) {
      const appointed = await commission(
        "appoint",
        "--election",
        election,
        "--role",
        role,
        "--account",
        account,
      );
      expect(appointed.code, appointed.stderr).to.equal(0);
      expect(appointed.stdout).to.include(`appointed ${account} as ${role}`);
    }
    const wrongRole = await commission(
      "appoint",
      "--election",
      election,
      "--role",
      "king",
      "--account",
      outsider.address,
    );
    expect(wrongRole.code).to.equal(2);
  });

  it("init: key files for the five appointed trustees (one through the CLI); an outsider is refused", async () => {
    const viaCli = trustees[0];
    const pkFile = path.join(dir, "trustee-1.pk");
    fs.writeFileSync(pkFile, `${viaCli.key}\n`, { mode: 0o600 });
    const initCli = await runCli(
      [
        "trustee",
        "init",
        "--election",
        election,
        "--key-file",
        viaCli.keyFile,
        "--private-key-file",
        pkFile,
        "--passphrase-file",
        passphraseFile,
        "--kdf",
        "interactive",
      ],
      cliEnv(),
    );
    expect(initCli.code, initCli.stderr).to.equal(0);
    expect(initCli.stdout).to.include(`trustee 1 (${viaCli.address})`);
    expect(fs.statSync(viaCli.keyFile).mode & 0o777).to.equal(0o600);
    const again = await runCli(
      [
        "trustee",
        "init",
        "--election",
        election,
        "--key-file",
        viaCli.keyFile,
        "--private-key-file",
        pkFile,
        "--passphrase-file",
        passphraseFile,
      ],
      cliEnv(),
    );
    expect(again.code).to.equal(2);
    expect(again.stderr).to.match(/already exists: refusing to overwrite/);

    for (const [i, trustee] of trustees.entries()) {
      if (i === 0) continue;
      const outcome = await init(trustee);
      expect(outcome.trusteeIndex).to.equal(i + 1);
      expect(outcome.round).to.equal(0);
    }
    await expectRefusal(init(outsider), "not-trustee", /is not a trustee of ceremony round 0/);
    expect(fs.existsSync(outsider.keyFile)).to.equal(false);
  });

  it("round 0: a dealer's wrong share is answered by a complaint the contract records and anyone upholds", async () => {
    const [t1, t2, t3, t4, t5] = trustees;
    // Trustee 3 posts its keys honestly, then waits for the others.
    expect((await ceremony(t3)).status).to.equal("waiting-for-keys");
    for (const t of [t1, t2, t4]) {
      const outcome = await ceremony(t);
      expect(outcome.status).to.equal("waiting-for-keys");
      expect(outcome.actions).to.have.length(1);
    }
    // The last one's keys complete the set: it deals its shares in the same run.
    const fifth = await ceremony(t5);
    expect(fifth.status).to.equal("waiting-for-shares");
    expect(fifth.actions.map((a) => a.split(":")[0])).to.deep.equal([
      "posted the keys of trustee 5",
      "posted the shares of trustee 5",
    ]);

    // Trustee 3 cheats: the share it sends trustee 1 is off by one.
    const loaded = await loadElection(client, election);
    const round = loaded.record.ceremonyRounds[0];
    const keys = [1, 2, 3, 4, 5].map((i) => {
      const posted = round.keys.find((k) => k.trusteeIndex === i)!;
      const decoded = decodeTrusteeKeys(i, 3, {
        commitments: hexToBytes(posted.commitments),
        proofs: hexToBytes(posted.proofs),
        boxKey: hexToBytes(posted.boxKey),
      });
      if (!decoded.ok) throw new Error(decoded.reason);
      return decoded.keys;
    });
    const cheaterKeystore = TrusteeKeystore.open(t3.keyFile, PASSPHRASE);
    const cheaterSecret = cheaterKeystore.data.current.secret;
    cheaterKeystore.close();
    const honest = dealShares(loaded.ceremonyBase, 3, cheaterSecret, keys);
    const toTrustee1 = shareRecipients(3, 5).indexOf(1) * 64;
    const padded = decodeScalar(honest.subarray(toTrustee1 + 32, toTrustee1 + 64))!;
    const wrong = concatBytes(
      honest.subarray(0, toTrustee1 + 32),
      scalarAdd(padded, scalarFromInt(1)),
      honest.subarray(toTrustee1 + 64),
    );
    await sendElectionTx(
      walletClientFor({ rpcUrl: node.rpcUrl, chainId: node.chainId }, t3.key),
      client,
      election,
      "postShares",
      [toHex(wrong)],
    );

    // Trustee 1 through the CLI: posts its shares, finds the bad one, complains, and reports the dispute.
    const run = await runCli(
      [
        "trustee",
        "ceremony",
        "--key-file",
        t1.keyFile,
        "--passphrase-file",
        passphraseFile,
        "--election",
        election,
      ],
      cliEnv(),
    );
    expect(run.code, run.stderr).to.equal(4);
    expect(run.stdout).to.include("posted the shares of trustee 1");
    expect(run.stdout).to.include("complained against trustee 3");
    expect(run.stderr).to.match(/trustee 1 against trustee 3: accused-guilty/);
    expect(run.stderr).to.match(/commission must restart the ceremony/);
    expect(run.stderr).not.to.match(/\n\s+at /);

    for (const t of [t2, t4, t5]) {
      const nonce = await nonceOf(t.address);
      const outcome = await ceremony(t);
      expect(outcome.status).to.equal("disputed");
      expect(outcome.complaints).to.deep.equal([
        {
          complainer: 1,
          accused: 3,
          verdict: "accused-guilty",
          reason: "the disclosed share does not match the commitments",
        },
      ]);
      // Only the missing shares were posted; nobody confirms a joint key in a disputed round.
      expect(await nonceOf(t.address)).to.equal(nonce + (t === t5 ? 0 : 1));
    }

    const hasComplained = await client.readContract({
      address: election,
      abi: electionAbi,
      functionName: "hasComplained",
      args: [0, 1, 3],
    });
    expect(hasComplained).to.equal(true);
    const progress = await client.readContract({
      address: election,
      abi: electionAbi,
      functionName: "ceremonyProgress",
      args: [0],
    });
    expect(progress.complaints).to.equal(1);
    expect(progress.confirmations).to.equal(0);
    // Any observer judges the complaint from chain data alone.
    const after = (await loadElection(client, election)).record.ceremonyRounds[0];
    const complaint = after.complaints[0];
    const verdict = judgeComplaint(
      loaded.ceremonyBase,
      keys[0],
      keys[2],
      hexToBytes(after.shares.find((s) => s.trusteeIndex === 3)!.encryptedShares),
      hexToBytes(complaint.evidence),
      5,
    );
    expect(verdict.verdict).to.equal("accused-guilty");
  });

  it("round 1: the commission replaces the cheater; the old one is refused; the new round completes", async () => {
    const [t1, t2, t3, t4, t5] = trustees;
    const round1 = [t1, t2, replacement, t4, t5];
    const restarted = await commission(
      "restart-ceremony",
      "--election",
      election,
      "--trustees",
      round1.map((t) => t.address).join(","),
    );
    expect(restarted.code, restarted.stderr).to.equal(0);
    expect(restarted.stdout).to.include("ceremony round 1 started");

    const nonce = await nonceOf(t3.address);
    await expectRefusal(ceremony(t3), "not-trustee", /is not a trustee of ceremony round 1/);
    const viaCli = await runCli(
      ["trustee", "ceremony", "--key-file", t3.keyFile, "--passphrase-file", passphraseFile],
      cliEnv(),
    );
    expect(viaCli.code).to.equal(3);
    expect(viaCli.stderr).to.match(/is not a trustee of ceremony round 1/);
    expect(await nonceOf(t3.address)).to.equal(nonce);

    expect((await init(replacement)).trusteeIndex).to.equal(3);
    // Trustee 2 takes its first step of the new round through the CLI: fresh secrets, then its keys.
    const first = await runCli(
      ["trustee", "ceremony", "--key-file", t2.keyFile, "--passphrase-file", passphraseFile],
      cliEnv(),
    );
    expect(first.code, first.stderr).to.equal(0);
    expect(first.stdout).to.match(/waiting for the keys of trustee\(s\) 1, 3, 4, 5 \(trustee 2, round 1\)/);
    expect(first.stdout).to.include("generated fresh secrets for ceremony round 1");

    const started = Date.now();
    const statuses = new Map<string, string>();
    for (let pass = 0; pass < 4 && [...statuses.values()].filter((s) => s === "complete").length < 5; pass++)
      for (const t of round1) statuses.set(t.name, (await ceremony(t)).status);
    expect([...statuses.values()]).to.deep.equal(Array(5).fill("complete"));
    console.log(`      ceremony round 1 (5 trustees, 4 passes, library calls): ${Date.now() - started} ms`);

    const loaded = await loadElection(client, election);
    expect(loaded.context).not.to.equal(null);
    context = loaded.context!;
    const phase = await client.readContract({ address: election, abi: electionAbi, functionName: "phase" });
    expect(phase).to.equal(1);
    // Idempotent: nothing left to do, nothing posted.
    const nonce1 = await nonceOf(t1.address);
    const again = await ceremony(t1);
    expect(again.status).to.equal("complete");
    expect(again.actions).to.deep.equal([]);
    expect(again.jointKey).to.equal(toHex(context.jointKey));
    expect(await nonceOf(t1.address)).to.equal(nonce1);
  });

  it("voting: real credentialed ballots, a re-vote and an invalid credential; decrypt refuses before the close", async () => {
    const [t1] = trustees;
    for (let style = 0; style < 2; style++) {
      const key = generateRegistrarKey(2048);
      registrarKeys.push(key);
      await sendElectionTx(registrar, client, election, "setRegistrarKey", [style, toHex(key.modulus)]);
    }

    // Wrong phase: the election is Ready (not yet Tallying): nothing is posted.
    const nonce = await nonceOf(t1.address);
    await expectRefusal(
      withSession(t1, (s) => runDecryption(s)),
      "wrong-phase",
      /phase Ready: decryption starts when voting has closed/,
    );
    const viaCli = await runCli(
      ["trustee", "decrypt", "--key-file", t1.keyFile, "--passphrase-file", passphraseFile],
      cliEnv(),
    );
    expect(viaCli.code).to.equal(3);
    expect(viaCli.stderr).to.match(/is in phase Ready/);
    expect(await nonceOf(t1.address)).to.equal(nonce);

    await advanceTo(opensAt);
    const plan: { style: number; choices: BallotChoices; revote?: BallotChoices }[] = [
      { style: 0, choices: { mayor: ["ada"], council: ["dana", "eli"] } },
      { style: 0, choices: { mayor: ["brook"], council: [] } },
      {
        style: 0,
        choices: { mayor: ["ada"], council: ["fay"] },
        revote: { mayor: ["cyril"], council: ["fay", "gus"] },
      },
      { style: 1, choices: { mayor: ["ada"] } },
      { style: 1, choices: { mayor: ["cyril"] } },
      { style: 0, choices: { mayor: ["ada"], council: ["eli", "gus"] } },
      { style: 1, choices: { mayor: ["brook"] } },
    ];
    const count = (choices: BallotChoices) => {
      for (const [contest, options] of Object.entries(choices))
        for (const option of options) expected[contest][option] += 1;
    };
    expected.mayor = { ada: 0, brook: 0, cyril: 0 };
    expected.council = { dana: 0, eli: 0, fay: 0, gus: 0 };
    const first: SignedBallot[] = [];
    const revotes: SignedBallot[] = [];
    const voters: TestVoter[] = [];
    for (const entry of plan) {
      const voter = await credentialedVoter(context, registrarKeys[entry.style], entry.style);
      voters.push(voter);
      first.push(await signedBallotOf(context, voter, entry.choices));
      if (entry.revote) revotes.push(await signedBallotOf(context, voter, entry.revote, 2n));
      count(entry.revote ?? entry.choices);
    }
    // A ballot whose credential was signed by another key: recorded by the contract, excluded by every counter.
    const forged = await credentialedVoter(context, generateRegistrarKey(2048), 1);
    const invalid = await signedBallotOf(context, forged, { mayor: ["brook"] });
    const asHex = (b: SignedBallot) => ({
      ballot: toHex(b.ballot),
      sequence: b.sequence,
      signature: b.signature,
    });
    const cast1 = await castBallots(relay, client, election, [...first, invalid].map(asHex));
    const cast2 = await castBallots(relay, client, election, revotes.map(asHex));
    expect(cast1.accepted).to.have.length(plan.length + 1);
    expect(cast2.accepted).to.have.length(1);
    await advanceTo(closesAt);
  });

  it("decryption with two trustees absent gives the right counts; a wrong share is excluded at publication", async () => {
    const [t1, t2, , t4, t5] = trustees;
    const posted = await withSession(t1, (s) => runDecryption(s, { threads: 0 }));
    expect(posted.status).to.equal("posted");
    expect(posted.ballots).to.deep.equal({ recorded: 9, counted: 7, superseded: 1, excluded: 1 });
    // Idempotent.
    expect((await withSession(t1, (s) => runDecryption(s, { threads: 0 }))).status).to.equal(
      "already-posted",
    );

    const commissionWallet = walletClientFor(
      { rpcUrl: node.rpcUrl, chainId: node.chainId },
      node.privateKeys[0],
    );
    await expectRefusal(
      publishResult(commissionWallet, client, election, { threads: 0, dryRun: true }),
      "not-enough-shares",
      /1 valid decryption share\(s\) of 5 trustees, 3 needed/,
    );

    // Trustee 2 through the CLI (with worker threads), twice at once (issue 15: the second run ends
    // with the contract error's name, never a bare selector); trustee 4 through the library; 3 and 5
    // are absent.
    const runs = await Promise.all(
      [1, 2].map(() =>
        runCli(
          [
            "trustee",
            "decrypt",
            "--key-file",
            t2.keyFile,
            "--passphrase-file",
            passphraseFile,
            "--threads",
            "2",
          ],
          cliEnv(),
        ),
      ),
    );
    const postedRuns = runs.filter((r) => r.code === 0 && /^posted:/m.test(r.stdout));
    expect(postedRuns, runs.map((r) => `${r.code} ${r.stdout} ${r.stderr}`).join("\n")).to.have.length(1);
    const cli = postedRuns[0];
    const second = runs.find((r) => r !== cli)!;
    if (second.code === 0) expect(second.stdout).to.match(/^already posted/m);
    else {
      expect(second.code, second.stderr).to.equal(3);
      expect(second.stderr, second.stderr).to.match(/AlreadyPosted/);
      expect(second.stderr).to.not.match(/0x[0-9a-fA-F]{8}(?![0-9a-fA-F)])/);
    }
    expect(cli.stdout).to.match(
      /posted: decryption share of trustee 2 .* 7 of 9 recorded ballots counted \(1 superseded, 1 excluded\)/,
    );
    await withSession(t4, (s) => runDecryption(s, { threads: 0 }));

    const dry = await publishResult(commissionWallet, client, election, { threads: 0, dryRun: true });
    expect(dry.status).to.equal("dry-run");
    expect(dry.combined).to.deep.equal([1, 2, 4]);
    expect(dry.result).to.deep.equal(expected);

    // Trustee 5 posts a share made with a wrong key: its proofs fail against P_5.
    const loaded = await loadElection(client, election);
    const { aggregate } = await tallyRecordedBallots(loaded, { threads: 0 });
    const { bytes } = createDecryptionShare(context, aggregate, 5, randomScalar());
    await sendElectionTx(
      walletClientFor({ rpcUrl: node.rpcUrl, chainId: node.chainId }, t5.key),
      client,
      election,
      "postDecryptionShare",
      [posted.aggregateHash, toHex(bytes)],
    );

    const published = await commission("publish", "--election", election, "--json", "--threads", "0");
    expect(published.code, published.stderr).to.equal(0);
    const outcome = JSON.parse(published.stdout);
    expect(outcome.status).to.equal("published");
    expect(outcome.result).to.deep.equal(expected);
    expect(outcome.combined).to.deep.equal([1, 2, 4]);
    expect(outcome.shares.find((s: { trusteeIndex: number }) => s.trusteeIndex === 5)).to.deep.include({
      valid: false,
    });
    expect(outcome.shares.find((s: { trusteeIndex: number }) => s.trusteeIndex === 5).reason).to.match(
      /proof fails/,
    );
    expect(published.stderr).to.match(/excluded the decryption share of trustee 5/);

    const resultHash = await client.readContract({
      address: election,
      abi: electionAbi,
      functionName: "resultHash",
    });
    expect(resultHash).to.equal(outcome.resultHash);
    const status = await runCli(["commission", "status", "--election", election, "--json"], cliEnv());
    expect(status.code, status.stderr).to.equal(0);
    const parsed = JSON.parse(status.stdout);
    expect(parsed.phase).to.equal("ResultPublished");
    expect(parsed.result.result).to.deep.equal(expected);
    expect(parsed.ceremony.round).to.equal(1);
    expect(parsed.decryptionShares.map((s: { trusteeIndex: number }) => s.trusteeIndex)).to.deep.equal([
      1, 2, 4, 5,
    ]);

    // After publication: a trustee that decrypted has nothing to do; one that did not is refused.
    const again = await runCli(
      ["trustee", "decrypt", "--key-file", t1.keyFile, "--passphrase-file", passphraseFile],
      cliEnv(),
    );
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.match(/already posted: decryption share of trustee 1/);
    await expectRefusal(
      withSession(replacement, (s) => runDecryption(s)),
      "wrong-phase",
      /the result is already published/,
    );
  });

  it("a wrong passphrase and a corrupted key file: clear errors, nothing posted", async () => {
    const t1 = trustees[0];
    const nonce = await nonceOf(t1.address);
    const wrongFile = path.join(dir, "wrong-passphrase");
    fs.writeFileSync(wrongFile, "this is not the passphrase\n", { mode: 0o600 });
    const wrong = await runCli(
      ["trustee", "ceremony", "--key-file", t1.keyFile, "--passphrase-file", wrongFile],
      cliEnv(),
    );
    expect(wrong.code).to.equal(2);
    expect(wrong.stderr.trim()).to.equal(`ballot-ledger: wrong passphrase for key file ${t1.keyFile}`);

    const corruptFile = path.join(dir, "corrupt.key");
    const text = fs.readFileSync(t1.keyFile, "utf8");
    fs.writeFileSync(
      corruptFile,
      text.replace(/"ciphertext": "0x(.)/, (_m, c) => `"ciphertext": "0x${c === "a" ? "b" : "a"}`),
      { mode: 0o600 },
    );
    const corrupt = await runCli(["trustee", "decrypt", "--key-file", corruptFile], {
      ...cliEnv(),
      BALLOT_LEDGER_PASSPHRASE: PASSPHRASE,
    });
    expect(corrupt.code).to.equal(4);
    expect(corrupt.stderr).to.match(/key file is corrupted: checksum mismatch/);

    const noPassphrase = await runCli(["trustee", "decrypt", "--key-file", t1.keyFile], {
      ...cliEnv(),
      BALLOT_LEDGER_PASSPHRASE: "",
    });
    expect(noPassphrase.code).to.equal(2);
    expect(noPassphrase.stderr).to.match(
      /no passphrase: pass --passphrase-file PATH or set BALLOT_LEDGER_PASSPHRASE/,
    );
    expect(await nonceOf(t1.address)).to.equal(nonce);
  });
});
