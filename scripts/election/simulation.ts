import type { BallotChoices } from "../../server/protocol/ballot";
import type { Manifest } from "../../server/protocol/manifest";

/**
 * The simulated electorate: voters with a ballot style and a one-time code,
 * and how they choose. Everything is drawn from one seeded generator, so a
 * seed reproduces the same election.
 */
export interface SimulatedVoter {
  voterId: string;
  style: number;
  code: string;
}

/** Votes per option per contest: `counts[contestId][optionId]`. */
export type Counts = Record<string, Record<string, number>>;

/** A small deterministic generator (mulberry32), so a seed reproduces the same simulated choices. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` voters, ballot styles in turn, each with a one-time code. */
export function drawVoters(count: number, manifest: Manifest, next: () => number): SimulatedVoter[] {
  return Array.from({ length: count }, (_, i) => ({
    voterId: `voter-${String(i + 1).padStart(7, "0")}`,
    style: i % manifest.ballotStyles.length,
    code: `one-time-${i + 1}-${Math.floor(next() * 1e9).toString(36)}`,
  }));
}

export function emptyCounts(manifest: Manifest): Counts {
  return Object.fromEntries(
    manifest.contests.map((c) => [c.id, Object.fromEntries(c.options.map((o) => [o.id, 0]))]),
  );
}

/** Choices for one voter of a style: one option per contest, skewed so the result is not uniform. */
export function drawChoices(manifest: Manifest, style: number, next: () => number): BallotChoices {
  const contests = manifest.ballotStyles[style].contests.map((id) =>
    manifest.contests.find((c) => c.id === id)!,
  );
  return Object.fromEntries(
    contests.map((contest) => {
      const weights = contest.options.map((_, i) => 1 / (i + 1.5));
      let pick = next() * weights.reduce((a, b) => a + b);
      let index = 0;
      while (pick > weights[index] && index < weights.length - 1) pick -= weights[index++];
      return [contest.id, [contest.options[index].id]];
    }),
  );
}

/** Runs `work` over `items` with at most `width` at a time. */
export async function inParallel<T>(
  items: readonly T[],
  width: number,
  work: (item: T, i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await work(items[i], i);
      }
    }),
  );
}
