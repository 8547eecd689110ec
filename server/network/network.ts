import { execFile, spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { createPublicClient, http, type Address, type Hex, type PublicClient } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { ipc } from "viem/node";
import { cliqueGenesis, qbftGenesis } from "./genesis";
import { gethBinary, GETH_VERSION } from "./geth";
import { NETWORK_PARAMS } from "./params";

/**
 * A local permissioned network on loopback (docs/network.md): go-ethereum
 * nodes with Clique proof of authority, from a genesis the project generates.
 *
 *   validator-1..4   Clique signers; the registrar and the relays send to them
 *   observer-1..2    one non-validating node per observer, which follows its own node
 *   audit            the node the audit export reads from
 *
 * Every node has every other as a static (and trusted) peer, discovery off,
 * HTTP JSON-RPC on 127.0.0.1 (eth, net, web3, txpool, clique) and its admin
 * API on its IPC socket only. Everything lives under one folder: keys,
 * genesis, each node's data, logs and pid file; the folder's network.json
 * describes it. Nodes are separate processes (detached), so `npm run network
 * -- up` can return and `down` stop them later; a restart reuses the data.
 */
export type NodeRole = "validator" | "observer" | "audit";

export interface NodeSpec {
  name: string;
  role: NodeRole;
  p2pPort: number;
  httpPort: number;
  authPort: number;
  enode: string;
  /** The Clique signer address of a validator. */
  signer: Address | null;
}

export interface AccountSpec {
  address: Address;
  /** Key file, relative to the network folder: one line, 0x and 64 hex digits. */
  keyFile: string;
}

export interface NetworkLayout {
  client: string;
  chainId: number;
  blockPeriodSeconds: number;
  blockGasLimit: number;
  nodes: NodeSpec[];
  /** The accounts funded at genesis, by actor name (commission, registrar, relay-1, ...). */
  accounts: Record<string, AccountSpec>;
}

/** The actors of the main job, funded at genesis, plus spare accounts for tests and benchmarks. */
export const NETWORK_ACCOUNTS = [
  "commission",
  "registrar",
  "relay-1",
  "relay-2",
  "trustee-1",
  "trustee-2",
  "trustee-3",
  "trustee-4",
  "trustee-5",
  "observer-1",
  "observer-2",
  ...Array.from({ length: 8 }, (_, i) => `spare-${i + 1}`),
] as const;

export interface CreateOptions {
  /** "fixed": p2p 30311.., HTTP 8561.., authrpc 8661.. (the CLI); "free": any free ports (tests). */
  ports?: "fixed" | "free";
  chainId?: number;
  blockPeriodSeconds?: number;
  validators?: number;
  observers?: number;
}

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const LAYOUT_FILE = "network.json";

function writeSecret(file: string, text: string): void {
  fs.writeFileSync(file, text, { mode: 0o600, flag: "wx" });
}

/** The enode URL of a node key on 127.0.0.1. */
function enodeOf(nodeKey: Hex, port: number): string {
  return `enode://${privateKeyToAccount(nodeKey).publicKey.slice(4)}@127.0.0.1:${port}`;
}

const nodeIdOf = (enode: string) => enode.slice("enode://".length, enode.indexOf("@")).toLowerCase();

export class NetworkError extends Error {
  override name = "NetworkError";
}

/** True while `pid` is a live (not zombie) process. */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

export class GethNode {
  constructor(
    readonly network: LocalNetwork,
    readonly spec: NodeSpec,
  ) {}

  get name(): string {
    return this.spec.name;
  }
  get dir(): string {
    return path.join(this.network.dir, this.spec.name);
  }
  get dataDir(): string {
    return path.join(this.dir, "data");
  }
  get rpcUrl(): string {
    return `http://127.0.0.1:${this.spec.httpPort}`;
  }
  get ipcPath(): string {
    return path.join(this.dataDir, "geth.ipc");
  }
  get logFile(): string {
    return path.join(this.dir, "geth.log");
  }
  private get pidFile(): string {
    return path.join(this.dir, "geth.pid");
  }

  client(): PublicClient {
    return createPublicClient({ transport: http(this.rpcUrl, { retryCount: 0, timeout: 5_000 }) });
  }

  /** The pid of the running node, or null. */
  pid(): number | null {
    let pid: number;
    try {
      pid = Number(fs.readFileSync(this.pidFile, "utf8"));
    } catch {
      return null;
    }
    if (!alive(pid)) return null;
    // The pid file may be stale and the pid reused: it must be geth with this data folder.
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
    return cmdline.includes(this.dataDir) ? pid : null;
  }

  running(): boolean {
    return this.pid() !== null;
  }

  private args(): string[] {
    const { spec, network } = this;
    const args = [
      "--datadir",
      this.dataDir,
      "--config",
      path.join(this.dir, "config.toml"),
      "--nodekey",
      path.join(this.dir, "nodekey"),
      "--networkid",
      String(network.layout.chainId),
      "--port",
      String(spec.p2pPort),
      "--nodiscover",
      "--nat",
      "none",
      "--http",
      "--http.addr",
      "127.0.0.1",
      "--http.port",
      String(spec.httpPort),
      "--http.api",
      "eth,net,web3,txpool,clique",
      "--authrpc.addr",
      "127.0.0.1",
      "--authrpc.port",
      String(spec.authPort),
      "--syncmode",
      "full",
      // Every state kept: a reader may ask for a contract view at any block.
      "--gcmode",
      "archive",
      "--state.scheme",
      "hash",
      "--cache",
      "128",
      // The lowest price geth allows: its pool refuses a tip below 1 wei (txpool.pricelimit has a floor of 1).
      "--txpool.pricelimit",
      "1",
      "--miner.gasprice",
      "1",
      "--gpo.maxprice",
      "1",
      "--rpc.txfeecap",
      "0",
      "--miner.gaslimit",
      String(network.layout.blockGasLimit),
      "--verbosity",
      "3",
    ];
    if (spec.role === "validator" && spec.signer !== null)
      args.push(
        "--mine",
        "--miner.etherbase",
        spec.signer,
        "--unlock",
        spec.signer,
        "--password",
        path.join(network.dir, "keys", "password"),
        // The signer key is unlocked for sealing; HTTP stays on loopback and offers no account API.
        "--allow-insecure-unlock",
      );
    return args;
  }

  /** Starts the node (a detached process logging to geth.log) and waits until it answers. */
  async start(): Promise<void> {
    if (this.running()) return;
    const binary = gethBinary();
    const log = fs.openSync(this.logFile, "a");
    const child = spawn(binary, this.args(), { detached: true, stdio: ["ignore", log, log] });
    fs.closeSync(log);
    child.unref();
    if (child.pid === undefined) throw new NetworkError(`${this.name}: geth did not start`);
    fs.writeFileSync(this.pidFile, String(child.pid));
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (!alive(child.pid)) throw new NetworkError(`${this.name}: geth exited at start:\n${this.tail()}`);
      try {
        await this.client().getChainId();
        return;
      } catch {
        if (Date.now() > deadline)
          throw new NetworkError(`${this.name}: no answer on ${this.rpcUrl} in 60 s`);
        await sleep(200);
      }
    }
  }

  /** The end of the node's log. */
  tail(lines = 20): string {
    try {
      return fs.readFileSync(this.logFile, "utf8").split("\n").slice(-lines).join("\n");
    } catch {
      return "";
    }
  }

  /** Clean shutdown (SIGTERM: geth writes its state and exits), SIGKILL after 30 s. */
  async stop(): Promise<void> {
    await this.signal("SIGTERM", 30_000);
  }

  /** kill -9: the fault tests' crash. */
  async kill(): Promise<void> {
    await this.signal("SIGKILL", 10_000);
  }

  private async signal(signal: NodeJS.Signals, graceMs: number): Promise<void> {
    const pid = this.pid();
    if (pid === null) return;
    process.kill(pid, signal);
    const deadline = Date.now() + graceMs;
    while (alive(pid)) {
      if (Date.now() > deadline) process.kill(pid, "SIGKILL");
      await sleep(100);
    }
    fs.rmSync(this.pidFile, { force: true });
  }

  /** A call on the node's IPC socket (admin_* methods are offered there only). */
  async ipc<T>(method: string, params: unknown[] = []): Promise<T> {
    const client = createPublicClient({ transport: ipc(this.ipcPath, { retryCount: 0 }) });
    try {
      return (await client.request({ method: method as never, params: params as never })) as T;
    } finally {
      await client.transport.getRpcClient().then((rpc: { close(): void }) => rpc.close());
    }
  }

  /** The node id (public key, lower-case hex) in this node's enode address. */
  get id(): string {
    return nodeIdOf(this.spec.enode);
  }

  /** The node ids of this node's connected peers (a peer's port may be any: ids, not addresses). */
  async peerIds(): Promise<Set<string>> {
    const peers = await this.ipc<{ enode: string }[]>("admin_peers");
    return new Set(peers.map((peer) => nodeIdOf(peer.enode)));
  }

  async head(): Promise<{ number: bigint; hash: Hex }> {
    const block = await this.client().getBlock({ blockTag: "latest" });
    return { number: block.number, hash: block.hash };
  }
}

/** Whether each pair's nodes list each other as peers: on both sides, one, or none. */
async function linksOf(
  pairs: readonly (readonly [GethNode, GethNode])[],
): Promise<(pair: readonly [GethNode, GethNode]) => "both" | "one" | "none"> {
  const peersOf = new Map<GethNode, Set<string>>();
  await Promise.all([...new Set(pairs.flat())].map(async (node) => peersOf.set(node, await node.peerIds())));
  return ([a, b]) => {
    const sides = Number(peersOf.get(a)!.has(b.id)) + Number(peersOf.get(b)!.has(a.id));
    return sides === 2 ? "both" : sides === 1 ? "one" : "none";
  };
}

/** A node's config.toml: every given node is a static and trusted peer (dialled at start, kept connected). */
function writePeerConfig(nodeDir: string, peers: readonly NodeSpec[]): void {
  const enodes = peers.map((n) => JSON.stringify(n.enode)).join(", ");
  fs.writeFileSync(
    path.join(nodeDir, "config.toml"),
    `[Node.P2P]\nStaticNodes = [${enodes}]\nTrustedNodes = [${enodes}]\n`,
  );
}

/**
 * A port nobody listens on, below the kernel's ephemeral range. The nodes bind
 * their ports only when they start, later than the layout is made; a port of
 * the ephemeral range may meanwhile be the source port of an outgoing
 * connection (one node dialling a peer), and the node that should listen on
 * it then fails with "address already in use".
 */
async function unusedPort(taken: Set<number>): Promise<number> {
  let ephemeralLow = 32768;
  try {
    ephemeralLow = Number(fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").split(/\s+/)[0]);
  } catch {
    // not Linux: the usual range
  }
  const low = 20000;
  const high = Math.max(low + 1000, ephemeralLow);
  for (let attempt = 0; attempt < 200; attempt++) {
    const candidate = low + crypto.randomInt(high - low);
    if (taken.has(candidate)) continue;
    // geth listens for peers on every interface: the port must be free on all of them.
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once("error", () => resolve(false));
      server.listen(candidate, () => server.close(() => resolve(true)));
    });
    if (free) {
      taken.add(candidate);
      return candidate;
    }
  }
  throw new NetworkError(`no free port between ${low} and ${high}`);
}

export class LocalNetwork {
  readonly nodes: GethNode[];

  private constructor(
    readonly dir: string,
    readonly layout: NetworkLayout,
  ) {
    this.nodes = layout.nodes.map((spec) => new GethNode(this, spec));
  }

  static exists(dir: string): boolean {
    return fs.existsSync(path.join(dir, LAYOUT_FILE));
  }

  /** Opens a network created earlier in `dir`. */
  static open(dir: string): LocalNetwork {
    const file = path.join(path.resolve(dir), LAYOUT_FILE);
    if (!fs.existsSync(file))
      throw new NetworkError(
        `no network in ${dir} (${LAYOUT_FILE} is missing): run \`npm run network -- up\``,
      );
    return new LocalNetwork(path.resolve(dir), JSON.parse(fs.readFileSync(file, "utf8")) as NetworkLayout);
  }

  /**
   * Creates a network in an empty `dir`: keys (validators' signer and node
   * keys, every actor's account), the Clique genesis and, from the same
   * input, the Besu QBFT genesis (besu-genesis.json), each node's data folder
   * initialised from the genesis, and network.json.
   */
  static async create(dir: string, options: CreateOptions = {}): Promise<LocalNetwork> {
    const root = path.resolve(dir);
    if (fs.existsSync(root) && fs.readdirSync(root).length > 0)
      throw new NetworkError(`${root} is not empty: a network is created in an empty folder`);
    const binary = gethBinary();
    const validators = options.validators ?? NETWORK_PARAMS.validators;
    const observers = options.observers ?? 2;
    const chainId = options.chainId ?? NETWORK_PARAMS.localChainId;
    const blockPeriodSeconds = options.blockPeriodSeconds ?? NETWORK_PARAMS.blockPeriodSeconds;
    fs.mkdirSync(path.join(root, "keys"), { recursive: true, mode: 0o700 });
    const names: { name: string; role: NodeRole }[] = [
      ...Array.from({ length: validators }, (_, i) => ({
        name: `validator-${i + 1}`,
        role: "validator" as const,
      })),
      ...Array.from({ length: observers }, (_, i) => ({
        name: `observer-${i + 1}`,
        role: "observer" as const,
      })),
      { name: "audit", role: "audit" },
    ];
    const taken = new Set<number>();
    const port = async (fixed: number) => (options.ports === "free" ? unusedPort(taken) : fixed);
    const nodeKeys = new Map<string, Hex>();
    const signerKeys = new Map<string, Hex>();
    const nodes: NodeSpec[] = [];
    for (const [i, { name, role }] of names.entries()) {
      const nodeKey = generatePrivateKey();
      nodeKeys.set(name, nodeKey);
      const signerKey = role === "validator" ? generatePrivateKey() : null;
      if (signerKey !== null) signerKeys.set(name, signerKey);
      const p2pPort = await port(30311 + i);
      nodes.push({
        name,
        role,
        p2pPort,
        httpPort: await port(8561 + i),
        authPort: await port(8661 + i),
        enode: enodeOf(nodeKey, p2pPort),
        signer: signerKey === null ? null : privateKeyToAccount(signerKey).address,
      });
    }
    const accounts: Record<string, AccountSpec> = {};
    for (const name of NETWORK_ACCOUNTS) {
      const key = generatePrivateKey();
      const keyFile = path.join("keys", `${name}.key`);
      writeSecret(path.join(root, keyFile), `${key}\n`);
      accounts[name] = { address: privateKeyToAccount(key).address, keyFile };
    }
    const layout: NetworkLayout = {
      client: `go-ethereum ${GETH_VERSION} (Clique)`,
      chainId,
      blockPeriodSeconds,
      blockGasLimit: NETWORK_PARAMS.blockGasLimit,
      nodes,
      accounts,
    };
    const genesisInput = {
      chainId,
      blockPeriodSeconds,
      validators: nodes.filter((n) => n.signer !== null).map((n) => n.signer!),
      accounts: Object.values(accounts).map((a) => a.address),
    };
    const genesisFile = path.join(root, "genesis.json");
    fs.writeFileSync(genesisFile, `${JSON.stringify(cliqueGenesis(genesisInput), null, 2)}\n`);
    fs.writeFileSync(
      path.join(root, "besu-genesis.json"),
      `${JSON.stringify(qbftGenesis(genesisInput), null, 2)}\n`,
    );
    writeSecret(path.join(root, "keys", "password"), crypto.randomBytes(24).toString("hex"));
    for (const spec of nodes) {
      const nodeDir = path.join(root, spec.name);
      fs.mkdirSync(nodeDir, { recursive: true });
      writeSecret(path.join(nodeDir, "nodekey"), nodeKeys.get(spec.name)!.slice(2));
      writePeerConfig(
        nodeDir,
        nodes.filter((n) => n.name !== spec.name),
      );
      const dataDir = path.join(nodeDir, "data");
      await run(binary, ["--datadir", dataDir, "--state.scheme", "hash", "init", genesisFile]);
      const signerKey = signerKeys.get(spec.name);
      if (signerKey !== undefined) {
        const keyFile = path.join(root, "keys", `${spec.name}.signer.key`);
        writeSecret(keyFile, signerKey.slice(2));
        await run(binary, [
          "--datadir",
          dataDir,
          "account",
          "import",
          "--lightkdf",
          "--password",
          path.join(root, "keys", "password"),
          keyFile,
        ]);
      }
    }
    fs.writeFileSync(path.join(root, LAYOUT_FILE), `${JSON.stringify(layout, null, 2)}\n`);
    return new LocalNetwork(root, layout);
  }

  node(name: string): GethNode {
    const node = this.nodes.find((n) => n.name === name);
    if (node === undefined) throw new NetworkError(`no node ${name} in ${this.dir}`);
    return node;
  }

  get validators(): GethNode[] {
    return this.nodes.filter((n) => n.spec.role === "validator");
  }

  /** The private key of a genesis account (commission, registrar, relay-1, ..., spare-8). */
  accountKey(name: string): Hex {
    const account = this.layout.accounts[name];
    if (account === undefined) throw new NetworkError(`no account ${name} in ${this.dir}`);
    return fs.readFileSync(path.join(this.dir, account.keyFile), "utf8").trim() as Hex;
  }

  /** Starts every node that is not running, then waits until every node has a peer and blocks are made. */
  async start(): Promise<void> {
    for (const node of this.nodes) await node.start();
    await this.waitForBlocks(2);
  }

  /** Stops every node cleanly. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }

  /** Waits until every running node's head has grown by `blocks`. */
  async waitForBlocks(blocks: number, timeoutMs = 60_000): Promise<void> {
    const running = this.nodes.filter((n) => n.running());
    const start = await Promise.all(running.map((n) => n.client().getBlockNumber({ cacheTime: 0 })));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const heads = await Promise.all(
        running.map((n) =>
          n
            .client()
            .getBlockNumber({ cacheTime: 0 })
            .catch(() => -1n),
        ),
      );
      if (heads.every((h, i) => h >= start[i] + BigInt(blocks))) return;
      if (Date.now() > deadline)
        throw new NetworkError(
          `blocks did not advance by ${blocks} on every node in ${timeoutMs / 1000} s (heads ${heads.join(", ")})`,
        );
      await sleep(250);
    }
  }

  /**
   * Waits until every running node has the same block at `height` or the
   * lowest common head, and returns it: the nodes agree on the chain.
   */
  async agreedHead(timeoutMs = 30_000): Promise<{ number: bigint; hash: Hex }> {
    const running = this.nodes.filter((n) => n.running());
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const heads = await Promise.all(running.map((n) => n.head()));
      const lowest = heads.reduce((a, b) => (b.number < a.number ? b : a)).number;
      const hashes = await Promise.all(
        running.map(async (n) => (await n.client().getBlock({ blockNumber: lowest })).hash),
      );
      if (hashes.every((h) => h === hashes[0])) return { number: lowest, hash: hashes[0] };
      if (Date.now() > deadline)
        throw new NetworkError(`the nodes disagree on block ${lowest}: ${hashes.join(", ")}`);
      await sleep(500);
    }
  }

  /**
   * Drops the peer link of every pair. Until both nodes of a pair have
   * dropped the other from their static and trusted sets, the one still
   * holding it re-dials at once: each link is checked gone on both sides, and
   * dropped again until it is. Nodes work in parallel, each node's own IPC
   * calls one after the other (viem shares one socket per IPC path).
   */
  async disconnect(pairs: readonly (readonly [GethNode, GethNode])[]): Promise<void> {
    let linked = pairs;
    for (let attempt = 0; linked.length > 0; attempt++) {
      if (attempt === 10)
        throw new NetworkError(
          `still connected: ${linked.map(([a, b]) => `${a.name}-${b.name}`).join(", ")}`,
        );
      if (attempt > 0) await sleep(100);
      await this.eachNode(linked, async (from, to) => {
        await from.ipc("admin_removeTrustedPeer", [to.spec.enode]);
        await from.ipc("admin_removePeer", [to.spec.enode]);
      });
      const links = await linksOf(linked);
      linked = linked.filter((pair) => links(pair) !== "none");
    }
  }

  /** Runs `step(from, to)` for both directions of every pair: nodes in parallel, each node's steps in turn. */
  private async eachNode(
    pairs: readonly (readonly [GethNode, GethNode])[],
    step: (from: GethNode, to: GethNode) => Promise<void>,
  ): Promise<void> {
    const targets = new Map<GethNode, GethNode[]>();
    for (const [a, b] of pairs) {
      targets.set(a, [...(targets.get(a) ?? []), b]);
      targets.set(b, [...(targets.get(b) ?? []), a]);
    }
    await Promise.all(
      [...targets].map(async ([from, tos]) => {
        for (const to of tos) await step(from, to);
      }),
    );
  }

  /**
   * Restores the peer link of every pair, and waits until each is up on both
   * sides. go-ethereum does not dial a node it dialled in the last 35 s
   * (its dial history), so a link cut and restored soon after can take that
   * long to come back; both sides add the other, and the links are checked
   * (and added again) until `timeoutMs` has passed.
   */
  async connect(pairs: readonly (readonly [GethNode, GethNode])[], timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let unlinked = pairs;
    for (let attempt = 0; unlinked.length > 0; attempt++) {
      if (attempt > 0) {
        if (Date.now() > deadline)
          throw new NetworkError(
            `not connected after ${timeoutMs} ms: ${unlinked.map(([a, b]) => `${a.name}-${b.name}`).join(", ")}`,
          );
        await sleep(1_000);
      }
      if (attempt % 5 === 0)
        await this.eachNode(unlinked, async (from, to) => {
          await from.ipc("admin_addTrustedPeer", [to.spec.enode]);
          await from.ipc("admin_addPeer", [to.spec.enode]);
        });
      const links = await linksOf(unlinked);
      unlinked = unlinked.filter((pair) => links(pair) !== "both");
    }
  }

  /** Each node: running, head, peer count (and its signer for a validator). */
  async status(): Promise<NodeStatus[]> {
    return Promise.all(
      this.nodes.map(async (node): Promise<NodeStatus> => {
        const base = {
          name: node.name,
          role: node.spec.role,
          rpcUrl: node.rpcUrl,
          signer: node.spec.signer,
        };
        if (!node.running()) return { ...base, running: false, head: null, hash: null, peers: null };
        try {
          const client = node.client();
          const [head, peers] = await Promise.all([
            node.head(),
            client.request({ method: "net_peerCount" as never }) as Promise<Hex>,
          ]);
          return { ...base, running: true, head: head.number, hash: head.hash, peers: Number(peers) };
        } catch {
          return { ...base, running: true, head: null, hash: null, peers: null };
        }
      }),
    );
  }
}

export interface NodeStatus {
  name: string;
  role: NodeRole;
  rpcUrl: string;
  signer: Address | null;
  running: boolean;
  head: bigint | null;
  hash: Hex | null;
  peers: number | null;
}
