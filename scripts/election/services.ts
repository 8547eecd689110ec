import path from "node:path";
import type { Logger } from "pino";
import { publicClientFor, walletClientFor } from "../../server/chain/clients";
import { Observer } from "../../server/observer/observer";
import { generateRegistrarKey, type RegistrarKeyPair } from "../../server/protocol/credential-issuer";
import { startRegistrar, type RunningRegistrar } from "../../server/registrar/app";
import { publishRegistrarKeys } from "../../server/registrar/keys";
import { hashRoll, type RollEntry, RollIdentityProvider } from "../../server/registrar/roll";
import { startRelay, type RunningRelay } from "../../server/relay/app";
import type { Chain } from "./chain";
import type { CreatedElection } from "./create-election";
import { progressBar, step } from "./progress";
import type { SimulatedVoter } from "./simulation";

/**
 * Stage 3, the services: the registrar's keys (RSA-2048, one per ballot style)
 * published on chain, the voter roll (one-time codes hashed with scrypt), the
 * registrar, two relays and two observer nodes, all on loopback with their
 * logs in one file.
 */
export interface Services {
  registrar: RunningRegistrar;
  relays: RunningRelay[];
  observers: Observer[];
  /** Stops the relays (at the close of voting); `close` then leaves them alone. */
  closeRelays(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The relays' longest wait before a partial batch on the embedded chain (server/relay/submitter.ts):
 * its blocks are mined at once and its clock is moved, so no block period sets the wait; voters reach
 * each relay at a few a second, so batches fill over seconds, and receipts are given at acceptance. On
 * a real-time chain (the local network's 1-s blocks) the relays keep the submitter's default, two blocks.
 */
const EMBEDDED_CHAIN_MAX_WAIT_MS = 5_000;

/** The simulation's roll uses a lighter scrypt cost (N = 2^12) than the default, to keep 100k voters practical. */
const SIMULATION_ROLL_LOG_N = 12;

async function hashVoterRoll(voters: readonly SimulatedVoter[]): Promise<RollEntry[]> {
  const bar = progressBar("voter roll", voters.length);
  const roll: RollEntry[] = [];
  const chunk = 500;
  for (let start = 0; start < voters.length; start += chunk) {
    const rows = voters
      .slice(start, start + chunk)
      .map(({ voterId, style, code }) => ({ voterId, style, code }));
    roll.push(...(await hashRoll(rows, SIMULATION_ROLL_LOG_N)));
    bar.tick(rows.length);
  }
  bar.stop();
  return roll;
}

export async function startServices(
  chain: Chain,
  { election, manifest }: CreatedElection,
  voters: readonly SimulatedVoter[],
  outDir: string,
  logger: Logger,
): Promise<Services> {
  const { accounts, roles } = chain;
  const client = publicClientFor(roles.registrar);
  step(`registrar keys (RSA-2048, one per ballot style) and the voter roll of ${voters.length} voters`);
  const registrarKeys = new Map<number, RegistrarKeyPair>(
    manifest.ballotStyles.map((_, s) => [s, generateRegistrarKey(2048)]),
  );
  await publishRegistrarKeys(
    walletClientFor(roles.registrar, accounts.registrar),
    client,
    election,
    registrarKeys,
  );
  const roll = await hashVoterRoll(voters);

  const running: { close(): Promise<void> }[] = [];
  const closeAll = async () => {
    for (const service of running.splice(0).reverse()) await service.close().catch(() => undefined);
  };
  try {
    const registrar = await startRegistrar({
      endpoint: roles.registrar,
      election,
      accountKey: accounts.registrar,
      identity: new RollIdentityProvider(roll),
      keys: registrarKeys,
      journalFile: path.join(outDir, "services", "registrar.sqlite"),
      rateLimit: { windowMs: 60_000, limit: 10_000_000 },
      // Every simulated voter signs in from 127.0.0.1, and a check counts as a wrong code until its code is
      // found right: on a real-time chain (slower issuance) 8 voters at once would exhaust one source's allowance.
      attempts: { sourceFreeFailures: 1_000_000 },
      logger: logger.child({ service: "registrar" }),
    });
    running.push(registrar);
    const relays: RunningRelay[] = [];
    for (const [i, accountKey] of accounts.relays.entries()) {
      const relay = await startRelay({
        endpoint: roles.relays[i],
        confirmations: chain.confirmations,
        election,
        accountKey,
        queueFile: path.join(outDir, "services", `relay-${i + 1}.sqlite`),
        verifierThreads: 1,
        pollMs: 200,
        maxWaitMs: chain.moveClockTo !== null ? EMBEDDED_CHAIN_MAX_WAIT_MS : undefined,
        rateLimit: { windowMs: 60_000, limit: 10_000_000 },
        logger: logger.child({ service: `relay-${i + 1}` }),
      });
      relays.push(relay);
      running.push(relay);
    }
    const observers: Observer[] = [];
    for (const [i, observerKey] of accounts.observers.entries()) {
      const observer = await Observer.open({
        endpoint: roles.observers[i],
        election,
        dataDir: path.join(outDir, "observers", `observer-${i + 1}`),
        observerKey,
        confirmations: chain.confirmations,
        threads: 1,
        logger: logger.child({ service: `observer-${i + 1}` }),
      });
      observers.push(observer);
      running.push(observer);
    }
    step(
      `registrar ${registrar.url}, relays ${relays.map((r) => r.url).join(", ")}, ${observers.length} observers`,
    );
    return {
      registrar,
      relays,
      observers,
      closeRelays: async () => {
        for (const relay of relays) {
          running.splice(running.indexOf(relay), 1);
          await relay.close();
        }
      },
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
