import { parentPort } from "node:worker_threads";
import type { Address } from "viem";
import { publicClientFor, type ChainEndpoint } from "../../server/chain/clients";
import type { BallotChoices } from "../../server/protocol/ballot";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import { loadElectionRules, type ElectionRules } from "../../server/service/election-info";
import { castVote } from "../../server/voter/voter";

/**
 * One thread of simulated voters' devices (voter-threads.ts): each message is
 * one voter casting one ballot through the real voter client (castVote: sign
 * in, blind credential, encrypted ballot, relay receipt checked), as on the
 * voter's own device; several voters run at once on one thread.
 */
export interface VoterThreadInit {
  type: "init";
  endpoint: ChainEndpoint;
  election: Address;
  registrarUrl: string;
}

export interface VoterTask {
  type: "vote";
  id: number;
  voterId: string;
  code: string;
  style: number;
  choices: BallotChoices;
  walletFile: string;
  relayUrls: string[];
}

export type VoterThreadMessage =
  { type: "ready" } | { type: "done"; id: number } | { type: "failed"; id: number; error: string };

const port = parentPort;
if (port === null) throw new Error("the voter worker must run in a worker thread");

let setup: Promise<{ init: VoterThreadInit; rules: ElectionRules }> | null = null;
const client = (init: VoterThreadInit) => publicClientFor(init.endpoint);

port.on("message", (message: VoterThreadInit | VoterTask) => {
  if (message.type === "init") {
    setup = (async () => {
      await initCrypto();
      return { init: message, rules: await loadElectionRules(client(message), message.election) };
    })();
    setup.then(
      () => port.postMessage({ type: "ready" } satisfies VoterThreadMessage),
      (error: unknown) => port.postMessage({ type: "failed", id: 0, error: String(error) }),
    );
    return;
  }
  void vote(message);
});

let voterClient: ReturnType<typeof publicClientFor> | null = null;

async function vote(task: VoterTask): Promise<void> {
  try {
    if (setup === null) throw new Error("voter worker not initialised");
    const { init, rules } = await setup;
    voterClient ??= client(init);
    await castVote({
      client: voterClient,
      election: init.election,
      registrarUrl: init.registrarUrl,
      relayUrls: task.relayUrls,
      voterId: task.voterId,
      code: task.code,
      style: task.style,
      choices: task.choices,
      walletFile: task.walletFile,
      rules,
    });
    port!.postMessage({ type: "done", id: task.id } satisfies VoterThreadMessage);
  } catch (error) {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    port!.postMessage({ type: "failed", id: task.id, error: text } satisfies VoterThreadMessage);
  }
}
