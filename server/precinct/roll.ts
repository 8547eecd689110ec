import fs from "node:fs";
import type { Hex } from "viem";
import { journalKey, MIN_JOURNAL_CODE_LENGTH } from "../protocol/channel";
import type { ElectionLocation } from "../protocol/context";
import { parseRollCsv, VOTER_ID_PATTERN } from "../registrar/roll";

/**
 * The precinct table: the online-roll voters of a district with their journal
 * keys (docs/protocol.md 11.1), made by the invitation office from the plain
 * roll (voterId, style, code) it printed the invitations from:
 *
 *   CSV: a header line "voterId,style,voterIdHash", then one voter a line
 *
 * The table holds no code: a precinct learns from it who applied for online
 * voting, and can look their journal entry up, nothing else.
 */
export interface PrecinctEntry {
  voterId: string;
  style: number;
  voterIdHash: Hex;
}

export class PrecinctRollError extends Error {}

const KEY_PATTERN = /^0x[0-9a-f]{64}$/;

/** Journal keys of a plain roll; refuses codes below 80 bits, duplicates, bad ids and styles. */
export function precinctRollOf(
  location: ElectionLocation,
  rows: readonly Record<string, unknown>[],
  styleCount: number,
): PrecinctEntry[] {
  const seen = new Set<string>();
  return rows.map((row, i) => {
    const line = `line ${i + 2}`;
    const voterId = String(row.voterId ?? "");
    const style = Number(row.style);
    const code = String(row.code ?? "");
    if (!VOTER_ID_PATTERN.test(voterId)) throw new PrecinctRollError(`${line}: invalid voter id`);
    if (!Number.isInteger(style) || style < 0 || style >= styleCount)
      throw new PrecinctRollError(`${line}: ballot style ${String(row.style)} does not exist`);
    if (code.length < MIN_JOURNAL_CODE_LENGTH)
      throw new PrecinctRollError(
        `${line}: the one-time code must have at least ${MIN_JOURNAL_CODE_LENGTH} characters (80 bits), so that nobody can find a voter's journal key by trying codes`,
      );
    if (seen.has(voterId)) throw new PrecinctRollError(`${line}: voter ${voterId} appears twice`);
    seen.add(voterId);
    return { voterId, style, voterIdHash: journalKey(location, voterId, code) };
  });
}

export const precinctRollToCsv = (entries: readonly PrecinctEntry[]): string =>
  ["voterId,style,voterIdHash", ...entries.map((e) => `${e.voterId},${e.style},${e.voterIdHash}`)].join(
    "\n",
  ) + "\n";

export function parsePrecinctRoll(text: string): PrecinctEntry[] {
  let rows: Record<string, unknown>[];
  try {
    rows = parseRollCsv(text);
  } catch (error) {
    throw new PrecinctRollError((error as Error).message);
  }
  const seen = new Set<string>();
  return rows.map((row, i) => {
    const line = `line ${i + 2}`;
    const voterId = String(row.voterId ?? "");
    const style = Number(row.style);
    const voterIdHash = String(row.voterIdHash ?? "").toLowerCase();
    if (!VOTER_ID_PATTERN.test(voterId)) throw new PrecinctRollError(`${line}: invalid voter id`);
    if (!Number.isInteger(style) || style < 0) throw new PrecinctRollError(`${line}: invalid style`);
    if (!KEY_PATTERN.test(voterIdHash))
      throw new PrecinctRollError(`${line}: voterIdHash must be 32 bytes of hex`);
    if (seen.has(voterId)) throw new PrecinctRollError(`${line}: voter ${voterId} appears twice`);
    seen.add(voterId);
    return { voterId, style, voterIdHash: voterIdHash as Hex };
  });
}

export function loadPrecinctRoll(file: string): PrecinctEntry[] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new PrecinctRollError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code}`);
  }
  try {
    return parsePrecinctRoll(text);
  } catch (error) {
    throw new PrecinctRollError(`precinct roll ${file}: ${(error as Error).message}`);
  }
}

/** The roll's keys per style in chunks of at most `chunk`, as publishOnlineRoll takes them. */
export function rollChunks(
  entries: readonly PrecinctEntry[],
  chunk: number,
): { style: number; keys: Hex[] }[] {
  const byStyle = new Map<number, Hex[]>();
  for (const entry of entries) {
    const keys = byStyle.get(entry.style) ?? [];
    keys.push(entry.voterIdHash);
    byStyle.set(entry.style, keys);
  }
  const chunks: { style: number; keys: Hex[] }[] = [];
  for (const [style, keys] of [...byStyle].sort((a, b) => a[0] - b[0]))
    for (let i = 0; i < keys.length; i += chunk) chunks.push({ style, keys: keys.slice(i, i + chunk) });
  return chunks;
}
