import hre from "hardhat";
import { expect } from "chai";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { hexToBytes, keccak256, stringToHex, toHex, type Address, type Hex } from "viem";
import { ballotDomain, ballotTypes } from "../../server/protocol/eip712";

export const DAY = 86_400n;
export const T = 3;
export const N = 5;

export const role = (name: string): Hex => keccak256(stringToHex(name));

/** Random bytes standing for what the contract treats as opaque (ballots, commitments, keys). */
export function randomBytes(length: number, seed = Math.random()): Hex {
  const bytes = new Uint8Array(length);
  let state = Math.floor(seed * 0xffffffff) || 1;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    bytes[i] = (state >>> 16) & 0xff || 1;
  }
  return toHex(bytes);
}

export async function expectRevert(promise: Promise<unknown>, errorName: string): Promise<void> {
  try {
    await promise;
  } catch (error) {
    const message = String((error as Error).message);
    expect(message, message.slice(0, 400)).to.include(errorName);
    return;
  }
  expect.fail(`expected a revert with ${errorName}`);
}

export async function deployElectionFixture(
  options: { revotePolicy?: number; threshold?: number; trustees?: number } = {},
) {
  const wallets = await hre.viem.getWalletClients();
  const publicClient = await hre.viem.getPublicClient();
  const [admin, commission, registrar, relay, observer, outsider, ...rest] = wallets;
  const trusteeWallets = rest.slice(0, options.trustees ?? N);
  const factory = await hre.viem.deployContract("ElectionFactory", [admin.account.address]);
  const now = BigInt(await time.latest());
  const opensAt = now + DAY;
  const closesAt = opensAt + 3n * DAY;
  const params = {
    manifestHash: keccak256(stringToHex("manifest")),
    opensAt,
    closesAt,
    revotePolicy: options.revotePolicy ?? 1,
    threshold: options.threshold ?? T,
    trustees: trusteeWallets.map((w) => w.account.address),
    ballotStyleCount: 2,
    commission: commission.account.address,
  };
  const manifest = stringToHex('{"sample":true}');
  const hash = await factory.write.createElection([params, manifest]);
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  const events = await factory.getEvents.ElectionCreated({}, { blockHash: receipt.blockHash });
  const electionAddress = events[0].args.election as Address;
  const election = await hre.viem.getContractAt("Election", electionAddress);
  const asCommission = await hre.viem.getContractAt("Election", electionAddress, {
    client: { wallet: commission },
  });
  await asCommission.write.grantRole([role("REGISTRAR_ROLE"), registrar.account.address]);
  await asCommission.write.grantRole([role("RELAY_ROLE"), relay.account.address]);
  await asCommission.write.grantRole([role("OBSERVER_ROLE"), observer.account.address]);
  const as = (wallet: (typeof wallets)[number]) =>
    hre.viem.getContractAt("Election", electionAddress, { client: { wallet } });
  const chainId = BigInt(await publicClient.getChainId());
  return {
    factory,
    election,
    electionAddress,
    params,
    manifest,
    publicClient,
    chainId,
    admin,
    commission,
    registrar,
    relay,
    observer,
    outsider,
    trusteeWallets,
    as,
  };
}

export type Fixture = Awaited<ReturnType<typeof deployElectionFixture>>;

/** Runs the ceremony with byte strings of the right lengths (the contract does not check the math). */
export async function completeCeremony(f: Fixture, jointKey: Hex = randomBytes(32, 0.5)): Promise<Hex> {
  const t = f.params.threshold;
  const n = f.trusteeWallets.length;
  for (const [i, wallet] of f.trusteeWallets.entries()) {
    const c = await f.as(wallet);
    await c.write.postTrusteeKeys([
      randomBytes(32 * t, i + 0.1),
      randomBytes(64 * t, i + 0.2),
      randomBytes(32, i + 0.3),
    ]);
  }
  for (const [i, wallet] of f.trusteeWallets.entries()) {
    await (await f.as(wallet)).write.postShares([randomBytes(64 * (n - 1), i + 0.4)]);
  }
  for (const wallet of f.trusteeWallets) await (await f.as(wallet)).write.confirmJointKey([jointKey]);
  return jointKey;
}

/** Bytes shaped as an RSA modulus by the one rule (docs/protocol.md section 8): top bit set, odd. */
export function modulusLike(length: number, seed = Math.random()): Hex {
  const bytes = hexToBytes(randomBytes(length, seed));
  bytes[0] |= 0x80;
  bytes[length - 1] |= 1;
  return toHex(bytes);
}

export async function setRegistrarKeys(f: Fixture): Promise<void> {
  const registrar = await f.as(f.registrar);
  for (const style of [0, 1]) await registrar.write.setRegistrarKey([style, modulusLike(256, style + 0.7)]);
}

/**
 * An election ready to issue (key ceremony done, registrar keys set) with a
 * precinct holding PRECINCT_ROLE (development wallet 15).
 */
export async function precinctFixture() {
  const f = await deployElectionFixture();
  await completeCeremony(f);
  await setRegistrarKeys(f);
  const precinctWallet = (await hre.viem.getWalletClients())[15];
  await (await f.as(f.commission)).write.grantRole([role("PRECINCT_ROLE"), precinctWallet.account.address]);
  return { ...f, precinctWallet, precinct: await f.as(precinctWallet) };
}

export async function openVoting(f: Fixture): Promise<void> {
  await time.increaseTo(f.params.opensAt);
}

export interface Voter {
  account: PrivateKeyAccount;
  nullifier: Hex;
}

export function newVoter(f: Fixture): Voter {
  const account = privateKeyToAccount(generatePrivateKey());
  return { account, nullifier: nullifierFor(f.electionAddress, account.address) };
}

export function nullifierFor(election: Address, voter: Address): Hex {
  return keccak256(
    `0x${election.slice(2).toLowerCase().padStart(64, "0")}${voter.slice(2).toLowerCase().padStart(64, "0")}`,
  );
}

export async function signedBallot(
  f: Fixture,
  voter: Voter,
  sequence: bigint,
  ballot: Hex = randomBytes(1400),
) {
  const signature = await voter.account.signTypedData({
    domain: ballotDomain(f.chainId, f.electionAddress),
    types: ballotTypes,
    primaryType: "Ballot",
    message: { ballot, sequence },
  });
  return { ballot, sequence, signature };
}
