/** Running the registrar and relays in-process against a live election, for the service tests. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { startRegistrar, type RunningRegistrar } from "../../server/registrar/app";
import { hashRoll, RollIdentityProvider } from "../../server/registrar/roll";
import { startRelay, type RelayConfig, type RunningRelay } from "../../server/relay/app";
import type { LiveElection } from "./live-election";

export const silent = pino({ level: "silent" });

export const tempDir = (prefix: string): string =>
  fs.mkdtempSync(path.join(os.tmpdir(), `ballot-ledger-${prefix}-`));

export interface TestVoterEntry {
  voterId: string;
  style: number;
  code: string;
}

export const testVoters = (count: number, style = 0, prefix = "voter"): TestVoterEntry[] =>
  Array.from({ length: count }, (_, i) => ({
    voterId: `${prefix}-${i + 1}`,
    style,
    code: `code-${prefix}-${i + 1}-xyz`,
  }));

export async function startTestRegistrar(
  live: LiveElection,
  voters: readonly TestVoterEntry[],
  dir: string,
): Promise<RunningRegistrar> {
  const roll = await hashRoll(voters, 10);
  return startRegistrar({
    endpoint: live.endpoint,
    election: live.election,
    accountKey: live.registrarAccountKey,
    identity: new RollIdentityProvider(roll),
    keys: live.registrarKeys,
    journalFile: path.join(dir, "registrar.sqlite"),
    rateLimit: { windowMs: 60_000, limit: 10_000 },
    logger: silent,
    defaultMetrics: false,
  });
}

export function startTestRelay(
  live: LiveElection,
  index: number,
  dir: string,
  options: Partial<RelayConfig> = {},
): Promise<RunningRelay> {
  return startRelay({
    endpoint: live.endpoint,
    election: live.election,
    accountKey: live.relayAccountKeys[index],
    queueFile: path.join(dir, `relay-${index}.sqlite`),
    maxWaitMs: 50,
    pollMs: 200,
    verifierThreads: 1,
    rateLimit: { windowMs: 60_000, limit: 100_000 },
    logger: silent,
    defaultMetrics: false,
    ...options,
  });
}

export interface HttpAnswer {
  status: number;
  body: { error?: { code: string; message: string } & Record<string, unknown> } & Record<string, unknown>;
}

/** A raw request (any body, any content type) and its JSON answer. */
export async function rawPost(
  url: string,
  body: string,
  contentType = "application/json",
): Promise<HttpAnswer> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": contentType }, body });
  const text = await response.text();
  return { status: response.status, body: text === "" ? {} : JSON.parse(text) };
}

export const postJson = (url: string, value: unknown) => rawPost(url, JSON.stringify(value));

export async function getJson(url: string): Promise<HttpAnswer> {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
