import { createHmac, randomBytes } from "node:crypto";
import fs from "node:fs";
import { availableParallelism } from "node:os";
import path from "node:path";
import { z } from "zod";
import {
  DEFAULT_CODE_HASH_PARAMS,
  hashOneTimeCode,
  isOneTimeCodeHash,
  verifyOneTimeCode,
} from "../protocol/issuance";

/**
 * The voter roll: who may get a credential, for which ballot style, and the
 * hash of the one-time code each voter received by post (never the code).
 *
 *   JSON: { "voters": [ { "voterId": "...", "style": 0, "codeHash": "scrypt$..." } ] }  (or the bare array)
 *   CSV:  a header line "voterId,style,codeHash", then one voter a line
 *
 * Voter ids are 1-128 characters of [A-Za-z0-9._:@+-], so the CSV needs no quoting.
 */
export const VOTER_ID_PATTERN = /^[A-Za-z0-9._:@+-]{1,128}$/;

export interface RollEntry {
  voterId: string;
  style: number;
  codeHash: string;
}

export class RollError extends Error {}

const entrySchema = z.object({
  voterId: z.string().regex(VOTER_ID_PATTERN, "voter id must be 1-128 characters of [A-Za-z0-9._:@+-]"),
  style: z.number().int().min(0).max(0xffffffff),
  codeHash: z.string().refine(isOneTimeCodeHash, "codeHash must be a scrypt$... hash of the one-time code"),
});
const rollSchema = z.union([z.array(entrySchema), z.object({ voters: z.array(entrySchema) }).strict()]);

export function parseRollCsv(text: string): Record<string, unknown>[] {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "" && !line.startsWith("#"));
  if (lines.length === 0) return [];
  const header = lines[0].split(",").map((h) => h.trim());
  return lines.slice(1).map((line, i) => {
    const cells = line.split(",").map((c) => c.trim());
    if (cells.length !== header.length)
      throw new RollError(`line ${i + 2}: expected ${header.length} fields, found ${cells.length}`);
    const row: Record<string, unknown> = {};
    header.forEach((name, k) => (row[name] = name === "style" ? Number(cells[k]) : cells[k]));
    return row;
  });
}

/** Parses and checks a roll (unique voter ids, styles below `styleCount` when given). */
export function parseRoll(text: string, format: "json" | "csv", styleCount?: number): RollEntry[] {
  let raw: unknown;
  try {
    raw = format === "json" ? JSON.parse(text) : parseRollCsv(text);
  } catch (error) {
    throw new RollError(error instanceof Error ? error.message : String(error));
  }
  const parsed = rollSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RollError(`${issue.path.join(".")}: ${issue.message}`);
  }
  const entries = Array.isArray(parsed.data) ? parsed.data : parsed.data.voters;
  const seen = new Set<string>();
  for (const entry of entries) {
    if (seen.has(entry.voterId)) throw new RollError(`voter ${entry.voterId} appears twice`);
    seen.add(entry.voterId);
    if (styleCount !== undefined && entry.style >= styleCount)
      throw new RollError(`voter ${entry.voterId}: ballot style ${entry.style} does not exist`);
  }
  return entries;
}

export const rollFormatOf = (file: string): "json" | "csv" =>
  path.extname(file).toLowerCase() === ".csv" ? "csv" : "json";

export function loadRoll(file: string, styleCount?: number): RollEntry[] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new RollError(`cannot read the voter roll ${file}: ${(error as Error).message}`);
  }
  try {
    return parseRoll(text, rollFormatOf(file), styleCount);
  } catch (error) {
    throw new RollError(`voter roll ${file}: ${(error as Error).message}`);
  }
}

/**
 * Turns plain rows (voterId, style, code) into roll entries with hashed codes,
 * in the rows' order. Every row is checked before any is hashed; the hashes
 * (scrypt on libuv's thread pool) run one per core at once.
 */
export async function hashRoll(
  rows: readonly { voterId: string; style: number; code: string }[],
  logN?: number,
): Promise<RollEntry[]> {
  for (const row of rows) {
    if (!VOTER_ID_PATTERN.test(row.voterId))
      throw new RollError(`invalid voter id ${JSON.stringify(row.voterId)}`);
    if (!Number.isInteger(row.style) || row.style < 0)
      throw new RollError(`voter ${row.voterId}: invalid style`);
    if (typeof row.code !== "string" || row.code.length < 6)
      throw new RollError(`voter ${row.voterId}: the one-time code must have at least 6 characters`);
  }
  const params = logN === undefined ? undefined : { logN, r: 8, p: 1 };
  const entries: RollEntry[] = new Array(rows.length);
  let next = 0;
  const hasher = async () => {
    for (let i = next++; i < rows.length; i = next++) {
      const { voterId, style, code } = rows[i];
      entries[i] = { voterId, style, codeHash: await hashOneTimeCode(code, params) };
    }
  };
  await Promise.all(Array.from({ length: Math.min(availableParallelism(), rows.length) }, hasher));
  return entries;
}

export const rollToCsv = (entries: readonly RollEntry[]): string =>
  ["voterId,style,codeHash", ...entries.map((e) => `${e.voterId},${e.style},${e.codeHash}`)].join("\n") +
  "\n";

// ------------------------------------------------------------- identity providers

export interface VoterIdentity {
  voterId: string;
  style: number;
}

export type Authentication = { ok: true; voter: VoterIdentity } | { ok: false; reason: string };

/**
 * Who the voter is and which ballot style they vote. The registrar asks this
 * and nothing else, so any identity system can stand behind it.
 *
 * The roll (below) is the embedded default. An OpenID Connect provider plugs
 * in the same way: the booth sends the provider's ID token as `code` (and the
 * subject as `voterId`); an OidcIdentityProvider verifies the token's
 * signature against the provider's JWKS, its issuer, audience, expiry and
 * nonce, checks that `sub` equals `voterId`, and maps the subject (or a claim
 * such as a district) to the ballot style, for instance through a roll
 * without code hashes. Nothing else in the registrar changes: the on-chain
 * journal keys issuance by the journal key of the voter id and code either way (docs/protocol.md 11.1).
 */
export interface IdentityProvider {
  authenticate(voterId: string, secret: string): Promise<Authentication>;
}

const DUMMY_HASH_CODE = "not-a-real-code";
const HASH_PARAMS = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$/;

export interface RollProviderOptions {
  /** The code check; default verifyOneTimeCode (tests count its calls). */
  verify?: (code: string, stored: string) => Promise<boolean>;
}

/**
 * The roll as an identity provider. An unknown voter id costs exactly what a
 * known one with a wrong code costs: the same slow hash, at the cost of a
 * roll entry, is run against a dummy hash. Which entry's cost is chosen by a
 * keyed hash of the id, so over unknown ids the costs follow the roll's own
 * mix (one cost for a roll hashed at one cost, whatever that cost is).
 */
export class RollIdentityProvider implements IdentityProvider {
  private readonly byId: Map<string, RollEntry>;
  private readonly entries: readonly RollEntry[];
  /** One dummy hash per scrypt parameter set of the roll, made on first use. */
  private readonly dummies = new Map<string, Promise<string>>();
  private readonly choiceKey = randomBytes(32);
  private readonly verify: (code: string, stored: string) => Promise<boolean>;

  constructor(entries: readonly RollEntry[], options: RollProviderOptions = {}) {
    this.byId = new Map(entries.map((e) => [e.voterId, e]));
    this.entries = entries;
    this.verify = options.verify ?? verifyOneTimeCode;
    // Made now, so that the first unknown id does not pay for making its dummy.
    for (const entry of entries) this.dummyParams(entry.codeHash);
  }

  get size(): number {
    return this.byId.size;
  }

  async authenticate(voterId: string, code: string): Promise<Authentication> {
    const entry = this.byId.get(voterId);
    if (entry === undefined) {
      await this.verify(code, await this.dummyFor(voterId));
      return { ok: false, reason: "unknown voter or wrong code" };
    }
    if (!(await this.verify(code, entry.codeHash)))
      return { ok: false, reason: "unknown voter or wrong code" };
    return { ok: true, voter: { voterId: entry.voterId, style: entry.style } };
  }

  private dummyFor(voterId: string): Promise<string> {
    if (this.entries.length === 0) return this.dummyParams(null);
    const pick = createHmac("sha256", this.choiceKey).update(voterId).digest().readUInt32BE(0);
    return this.dummyParams(this.entries[pick % this.entries.length].codeHash);
  }

  /** The dummy hash at the parameters of `codeHash` (the default ones for null). */
  private dummyParams(codeHash: string | null): Promise<string> {
    const match = codeHash === null ? null : HASH_PARAMS.exec(codeHash);
    const params =
      match === null
        ? DEFAULT_CODE_HASH_PARAMS
        : { logN: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
    const key = `${params.logN}$${params.r}$${params.p}`;
    let dummy = this.dummies.get(key);
    if (dummy === undefined) {
      dummy = hashOneTimeCode(DUMMY_HASH_CODE, params);
      this.dummies.set(key, dummy);
    }
    return dummy;
  }
}
