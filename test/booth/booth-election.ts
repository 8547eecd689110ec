/**
 * The booth tests' election: a local Hardhat node, a real election with a real
 * key ceremony (setUpElection), the real registrar and two real relays on
 * loopback, the booth built with the production build and served by relay A,
 * and a real observer whose public tracker the manifest names (trackerUrls).
 */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import express, { type Express } from "express";
import pino from "pino";
import { walletClientFor } from "../../server/chain/clients";
import { roleId } from "../../server/chain/deploy";
import { sendElectionTx } from "../../server/chain/election-reader";
import { startLocalNode, type LocalNode } from "../../server/chain/local-node";
import { parseManifest, type Manifest } from "../../server/protocol/manifest";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import { startRegistrar, type RunningRegistrar } from "../../server/registrar/app";
import { hashRoll, RollIdentityProvider } from "../../server/registrar/roll";
import { startRelay, type RunningRelay } from "../../server/relay/app";
import { dashboardApp } from "../../server/observer/dashboard";
import { Observer } from "../../server/observer/observer";
import { listen, type Listening } from "../../server/service/http";
import { buildBooth, type BoothBuild } from "../../scripts/build-booth";
import { advanceTimeTo, setUpElection, type ElectionOnChain } from "../chain/election-flow";

const text = (en: string, ru: string) => ({ en, ru });

/**
 * Two districts: North votes mayor + council (choose 1 to 2), South votes
 * mayor + referendum (optional). The manifest publishes the booth's digest.
 */
export function boothManifest(opensAt: number, boothSha256?: string, trackerUrls?: string[]): Manifest {
  const parsed = parseManifest({
    version: 1,
    electionId: "city-2031",
    title: text("City elections 2031", "Городские выборы 2031"),
    contests: [
      {
        id: "mayor",
        title: text("Mayor", "Мэр"),
        minSelections: 1,
        maxSelections: 1,
        options: [
          { id: "ivanova", title: text("Anna Ivanova", "Анна Иванова") },
          { id: "petrov", title: text("Boris Petrov", "Борис Петров") },
          { id: "sidorov", title: text("Viktor Sidorov", "Виктор Сидоров") },
        ],
      },
      {
        id: "council",
        title: text("City council", "Городской совет"),
        minSelections: 1,
        maxSelections: 2,
        options: [
          { id: "council-a", title: text("Greens", "Зелёные") },
          { id: "council-b", title: text("Builders", "Строители") },
          { id: "council-c", title: text("Teachers", "Учителя") },
          { id: "council-d", title: text("Cyclists", "Велосипедисты") },
        ],
      },
      {
        id: "referendum",
        title: text("Build a new park?", "Строить новый парк?"),
        minSelections: 0,
        maxSelections: 1,
        options: [
          { id: "yes", title: text("Yes", "Да") },
          { id: "no", title: text("No", "Нет") },
        ],
      },
    ],
    ballotStyles: [
      { id: "north", title: text("North district", "Северный округ"), contests: ["mayor", "council"] },
      { id: "south", title: text("South district", "Южный округ"), contests: ["mayor", "referendum"] },
    ],
    votingWindow: { opensAt, closesAt: opensAt + 86_400 },
    revotePolicy: "last-ballot-counts",
    trustees: { count: 3, threshold: 2 },
    boothSha256,
    commissionContact: text(
      "City Election Commission, +7 495 000-00-00, complaints@city.example",
      "Городская избирательная комиссия, +7 495 000-00-00, complaints@city.example",
    ),
    trackerUrls,
  });
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.manifest;
}

export interface BoothVoter {
  voterId: string;
  style: number;
  code: string;
}

export const VOTERS = {
  alice: { voterId: "alice", style: 0, code: "alice-otc-314159" },
  bob: { voterId: "bob", style: 1, code: "bob-otc-271828" },
  carol: { voterId: "carol", style: 0, code: "carol-otc-161803" },
  erin: { voterId: "erin", style: 1, code: "erin-otc-141421" },
} satisfies Record<string, BoothVoter>;

export interface BoothElection {
  node: LocalNode;
  chain: ElectionOnChain;
  registrar: RunningRegistrar;
  /** Serves the booth; listed last in the booth's relay order. */
  relayA: RunningRelay;
  /** Takes the ballots: the first relay of the booth's order that answers. */
  relayB: RunningRelay;
  /** The first relay of the booth's order: nothing listens there. */
  deadRelayUrl: string;
  /** Follows the election from the node; serves the dashboard and the public tracker. */
  observer: Observer;
  /** Where the observer's pages are served. */
  observerUrl: string;
  /** The manifest's public tracker: observerUrl + "/track". */
  trackerUrl: string;
  booth: BoothBuild;
  dir: string;
  stop(): Promise<void>;
}

/** A loopback port nothing listens on (taken from the OS, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const silent = pino({ level: "silent" });

export async function startBoothElection(): Promise<BoothElection> {
  await initCrypto();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ballot-ledger-booth-"));
  const booth = await buildBooth(path.join(dir, "booth"));
  const node = await startLocalNode({ kind: "hardhat" });
  const started: { close(): Promise<void> }[] = [];
  const stop = async () => {
    for (const service of started.reverse()) await service.close().catch(() => undefined);
    await node.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    // The observer's address goes into the manifest, which is on chain before the observer can start:
    // its port is taken first (port 0, kept), and its pages are served there once it runs.
    let observerApp: Express | null = null;
    const front = express();
    front.use((req, res, next) => {
      if (observerApp === null) res.status(503).end();
      else observerApp(req, res, next);
    });
    const observerHttp: Listening = await listen(front, "127.0.0.1", 0);
    started.push(observerHttp);
    const trackerUrl = `${observerHttp.url}/track`;
    const chain = await setUpElection(node, (opensAt) =>
      boothManifest(opensAt, booth.manifest.boothSha256, [trackerUrl]),
    );
    // A second relay account (accounts 0-3 and the trustees 4-6 are taken).
    const relayBKey = node.privateKeys[10];
    await sendElectionTx(chain.commission, chain.client, chain.election, "grantRole", [
      roleId("RELAY_ROLE"),
      walletClientFor(chain.endpoint, relayBKey).account.address,
    ]);
    await advanceTimeTo(chain.client, chain.manifest.votingWindow.opensAt);

    const roll = await hashRoll(Object.values(VOTERS), 10);
    const registrar = await startRegistrar({
      endpoint: chain.endpoint,
      election: chain.election,
      accountKey: node.privateKeys[1],
      identity: new RollIdentityProvider(roll),
      keys: new Map(chain.registrarKeys.map((key, style) => [style, key])),
      journalFile: path.join(dir, "registrar.sqlite"),
      rateLimit: { windowMs: 60_000, limit: 10_000 },
      logger: silent,
      defaultMetrics: false,
    });
    started.push(registrar);
    const relayCommon = {
      endpoint: chain.endpoint,
      election: chain.election,
      maxWaitMs: 50,
      pollMs: 200,
      verifierThreads: 1,
      rateLimit: { windowMs: 60_000, limit: 100_000 },
      logger: silent,
      defaultMetrics: false,
    };
    const relayB = await startRelay({
      ...relayCommon,
      accountKey: relayBKey,
      queueFile: path.join(dir, "relay-b.sqlite"),
    });
    started.push(relayB);
    const deadRelayUrl = `http://127.0.0.1:${await freePort()}`;
    const relayAPort = await freePort();
    const relayA = await startRelay(
      {
        ...relayCommon,
        accountKey: node.privateKeys[2], // setUpElection granted RELAY_ROLE to account 2
        queueFile: path.join(dir, "relay-a.sqlite"),
        booth: {
          dir: booth.dir,
          registrarUrl: registrar.url,
          relayUrls: [deadRelayUrl, relayB.url, `http://127.0.0.1:${relayAPort}`],
        },
      },
      { port: relayAPort },
    );
    started.push(relayA);

    const observer = await Observer.open({
      endpoint: chain.endpoint,
      election: chain.election,
      dataDir: path.join(dir, "observer"),
      threads: 0,
      pollIntervalMs: 300,
      logger: silent,
    });
    const following = observer.run();
    started.push({
      close: async () => {
        observer.stop();
        await following;
        await observer.close();
      },
    });
    observerApp = dashboardApp(observer, silent);
    return {
      node,
      chain,
      registrar,
      relayA,
      relayB,
      deadRelayUrl,
      observer,
      observerUrl: observerHttp.url,
      trackerUrl,
      booth,
      dir,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
