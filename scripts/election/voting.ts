import fs from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { toHex, type Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { publicClientFor } from "../../server/chain/clients";
import type { ChainPublicClient } from "../../server/chain/deploy";
import { electionAbi } from "../../server/chain/generated/abis";
import type { BallotChoices } from "../../server/protocol/ballot";
import { signBallot } from "../../server/protocol/eip712";
import { hexToBytes } from "../../server/protocol/primitives/bytes";
import { loadElectionRules } from "../../server/service/election-info";
import { prepareBallot } from "../../server/voter/booth";
import { ServiceError, submitBallot } from "../../server/voter/services-client";
import { castVote } from "../../server/voter/voter";
import { reachTime, type Chain } from "./chain";
import type { CreatedElection } from "./create-election";
import { progressBar, step } from "./progress";
import { VoterThreads } from "./voter-threads";
import type { Services } from "./services";
import { drawChoices, emptyCounts, inParallel, type Counts, type SimulatedVoter } from "./simulation";

/**
 * Stage 4, the voters: over the three days of the window a third of the
 * electorate comes each day (92 % turnout); each voter signs in at the
 * registrar, gets a blind credential and sends an encrypted ballot through a
 * relay (with the other relay as fallback). Some earlier voters change their
 * mind (the last ballot counts), and one voter in a hundred also tries three
 * invalid ballots that must be refused. Ends when every accepted ballot is on
 * chain, with the counts the published result must equal.
 */
export interface VotingOutcome {
  /** The counts of every voter's last ballot: what the published result must be. */
  expected: Counts;
  /** Ballots accepted by a relay (first votes and re-votes). */
  cast: number;
  revotes: number;
  /** Invalid attempts, by the reason code the relay or registrar gave. */
  rejectedByRelay: Record<string, number>;
  /**
   * Where the voting stage's time went: seconds each voter-device thread was
   * busy, and seconds the main thread (registrar, relays, observers, the
   * simulation's own bookkeeping) was busy, against the stage's wall time.
   */
  busy: { voterThreadsSeconds: number[]; mainThreadSeconds: number };
}

const VOTERS_AT_ONCE = 32;
/** Voters trying invalid ballots at once (each voter's three attempts in turn). */
const TAMPERERS_AT_ONCE = 8;
/** Threads for the voters' devices (voter-threads.ts): the voters' work off the services' main thread. */
const VOTER_THREADS = 2;
const TURNOUT_SHARE = 0.92;
const REVOTE_SHARE = 0.05;
/** Relays follow the chain's clock (polling every 200 ms); give them a moment after it moves. */
const relaysSeeChainTime = () => new Promise((resolve) => setTimeout(resolve, 800));

export async function simulateVoting(
  chain: Chain,
  { election, manifest }: CreatedElection,
  services: Services,
  voters: readonly SimulatedVoter[],
  next: () => number,
  outDir: string,
): Promise<VotingOutcome> {
  const client = publicClientFor(chain.endpoint);
  const opensAt = manifest.votingWindow.opensAt;
  await reachTime(chain, client, opensAt);
  const rules = await loadElectionRules(client, election);
  const lastChoices = new Map<number, BallotChoices>();
  const rejectedByRelay: Record<string, number> = {};
  const refused = (code: string) => (rejectedByRelay[code] = (rejectedByRelay[code] ?? 0) + 1);
  let voterThreadsSeconds: number[] = [];
  let cast = 0;
  let revotes = 0;
  const relayUrls = services.relays.map((r) => r.url);
  const walletOf = (i: number) => path.join(outDir, "wallets", `${voters[i].voterId}.json`);
  const mainThreadAtStart = performance.eventLoopUtilization();
  const devices = new VoterThreads(VOTER_THREADS, {
    endpoint: chain.endpoint,
    election,
    registrarUrl: services.registrar.url,
  });
  const vote = async (i: number, choices: BallotChoices) => {
    await devices.vote({
      voterId: voters[i].voterId,
      code: voters[i].code,
      style: voters[i].style,
      choices,
      walletFile: walletOf(i),
      relayUrls: i % 2 === 0 ? relayUrls : [...relayUrls].reverse(),
    });
    lastChoices.set(i, choices);
    cast++;
  };
  try {
    const days = [0, 1, 2].map((d) => voters.map((_, i) => i).filter((i) => i % 3 === d));
    // Three days on the embedded chain; on a real-time chain, the window in three parts.
    const dayLength = chain.moveClockTo !== null ? 86_400 : (manifest.votingWindow.closesAt - opensAt) / 3;
    const dayStart = chain.moveClockTo !== null ? 60 : 1;
    for (const [day, todays] of days.entries()) {
      await reachTime(chain, client, Math.floor(opensAt + day * dayLength + dayStart));
      await relaysSeeChainTime();
      const voting = todays.filter(() => next() < TURNOUT_SHARE);
      const bar = progressBar(`day ${day + 1}: voting`, voting.length);
      // Choices are drawn before the voters run in parallel, so that a seed reproduces the same election.
      const choices = voting.map((i) => drawChoices(manifest, voters[i].style, next));
      await inParallel(voting, VOTERS_AT_ONCE, async (i, k) => {
        await vote(i, choices[k]);
        bar.tick();
      });
      bar.stop();
      const changing = [...lastChoices.keys()].sort((a, b) => a - b).filter(() => next() < REVOTE_SHARE);
      const revoteBar = progressBar(`day ${day + 1}: re-voting`, changing.length);
      const changed = changing.map((i) => drawChoices(manifest, voters[i].style, next));
      await inParallel(changing, VOTERS_AT_ONCE, async (i, k) => {
        await vote(i, changed[k]);
        revotes++;
        revoteBar.tick();
      });
      revoteBar.stop();
      const tamperers = voting.filter((_, k) => k % 100 === 0);
      // The replayed sequence must be one the chain holds, and both relays must have seen it there: they
      // batch for seconds, and the other relay (which holds nothing of this voter) would take it as new.
      await waitUntilOnChain(client, election, cast, "today's ballots");
      await relaysSeeChainTime();
      // Drawn beforehand, as the voters' choices, so that a seed reproduces the same attempts.
      const tamperChoices = tamperers.map((i) => drawChoices(manifest, voters[i].style, next));
      const refusals: string[][] = [];
      await inParallel(tamperers, TAMPERERS_AT_ONCE, async (i, k) => {
        refusals[k] = await tryInvalidBallots(i, walletOf(i), tamperChoices[k]);
      });
      for (const code of refusals.flat()) refused(code);
      step(
        `day ${day + 1}: ${voting.length} voted, ${changing.length} re-voted, ${tamperers.length * 3} invalid attempts refused`,
      );
    }
  } finally {
    voterThreadsSeconds = devices.busySeconds();
    await devices.close();
  }

  /**
   * Three invalid attempts by voter `i`, each of which must be refused: a
   * tampered proof, a replayed sequence number, a second credential. Returns
   * the reason codes.
   */
  async function tryInvalidBallots(i: number, walletFile: string, choices: BallotChoices): Promise<string[]> {
    const codes: string[] = [];
    const wallet = JSON.parse(fs.readFileSync(walletFile, "utf8"));
    const credential = wallet.credential;
    const prepared = await prepareBallot(rules.context, wallet.votingKey, credential, choices, 1_000_000n);
    const tampered = hexToBytes(prepared.request.ballot);
    tampered[tampered.length - 1] ^= 1;
    const signature = await signBallot(
      privateKeyToAccount(wallet.votingKey),
      rules.context,
      tampered,
      1_000_000n,
    );
    const stale = await prepareBallot(rules.context, wallet.votingKey, credential, choices, 1n);
    const attempts = [
      // 1. a proof byte flipped, signed by the voter's own key: the proof fails
      { ...prepared, request: { ...prepared.request, ballot: toHex(tampered), signature } },
      // 2. a valid ballot with a sequence number the voter already used
      stale,
    ];
    for (const attempt of attempts) {
      try {
        await submitBallot(relayUrls, attempt);
      } catch (error) {
        if (!(error instanceof ServiceError)) throw error;
        codes.push(error.code);
        continue;
      }
      throw new Error(`a relay accepted an invalid ballot of ${voters[i].voterId}`);
    }
    // 3. a second credential for the same voter
    try {
      await castVote({
        client,
        election,
        registrarUrl: services.registrar.url,
        relayUrls,
        voterId: voters[i].voterId,
        code: voters[i].code,
        choices,
        walletFile: path.join(outDir, "wallets", `${voters[i].voterId}.second.json`),
        rules,
      });
    } catch (error) {
      codes.push((error as { code?: string }).code ?? "unknown");
      return codes;
    }
    throw new Error(`the registrar issued a second credential to ${voters[i].voterId}`);
  }

  const expected = emptyCounts(manifest);
  for (const choices of lastChoices.values())
    for (const [contest, picked] of Object.entries(choices))
      for (const option of picked) expected[contest][option]++;
  await waitUntilOnChain(client, election, cast);
  const mainThreadSeconds = Math.round(performance.eventLoopUtilization(mainThreadAtStart).active) / 1000;
  return { expected, cast, revotes, rejectedByRelay, busy: { voterThreadsSeconds, mainThreadSeconds } };
}

/** Waits until the chain holds `cast` ballots: both relays have put every accepted ballot on chain. */
async function waitUntilOnChain(
  client: ChainPublicClient,
  election: Address,
  cast: number,
  what = "every accepted ballot",
): Promise<void> {
  step(`waiting for the relays to put ${what} on chain`);
  const bar = progressBar("on chain", cast);
  let seen = 0;
  for (;;) {
    const count = Number(
      await client.readContract({ address: election, abi: electionAbi, functionName: "ballotCount" }),
    );
    bar.tick(Math.min(count, cast) - seen);
    seen = Math.min(count, cast);
    if (count >= cast) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  bar.stop();
}
