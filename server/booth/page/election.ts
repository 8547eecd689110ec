import { z } from "zod";
import { electionContext, type Address, type ElectionContext } from "../../protocol/context";
import { parseManifest } from "../../protocol/manifest";
import { bytesEqual, hexToBytes, toHex } from "../../protocol/primitives/bytes";
import { decodePoint } from "../../protocol/primitives/group";

/**
 * The election's public data as the relay serves it at GET /v1/election
 * (docs/booth.md), checked and turned into the protocol's ElectionContext:
 * the page recomputes the manifest hash and the base hash Q from the manifest,
 * the joint key and the trustee commitments, and refuses data that disagree.
 */
const hex = z.string().regex(/^0x([0-9a-fA-F]{2})*$/, "0x hex");
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "an address");
const httpUrl = z
  .string()
  .max(2048)
  .refine((s) => /^https?:\/\/[^\s]+$/i.test(s), "an http(s) URL");

export const electionInfoSchema = z.object({
  chainId: z.number().int().min(1),
  election: address,
  relay: address,
  revotePolicy: z.enum(["none", "last-ballot-counts"]),
  opensAt: z.number().int().nullable(),
  closesAt: z.number().int().nullable(),
  window: z.object({ open: z.boolean(), code: z.string().optional(), message: z.string().optional() }),
  manifest: z.unknown(),
  manifestHash: hex,
  jointKey: hex,
  trusteeCommitments: z.array(z.array(hex)),
  baseHash: hex,
  registrarKeys: z.array(z.object({ style: z.number().int().min(0), modulus: hex })),
  registrarUrl: httpUrl.nullable(),
  relayUrls: z.array(httpUrl).max(16),
});

export type ElectionInfo = z.infer<typeof electionInfoSchema>;

export interface BoothElection {
  info: ElectionInfo;
  context: ElectionContext;
  registrarKeys: Map<number, Uint8Array>;
  /** Where ballots go, in order: the configured relays, else this page's origin. */
  relayUrls: string[];
  registrarUrl: string | null;
  revotesAllowed: boolean;
  /** The manifest's public trackers (trackerUrls): observers that look a ballot up on chain. */
  publicTrackers: string[];
}

export class ElectionDataError extends Error {}

/** A service base URL without trailing slashes (services may sit under a path). */
const baseUrl = (url: string) => url.replace(/\/+$/, "");

/** The relays to try, in order, without duplicates (the serving relay when none is configured). */
export function relayOrder(configured: readonly string[], pageOrigin: string): string[] {
  const urls = configured.length > 0 ? configured.map(baseUrl) : [pageOrigin];
  return [...new Set(urls)];
}

/** Checks the served data and builds the context; throws ElectionDataError naming the first problem. */
export function boothElectionOf(value: unknown, pageOrigin: string): BoothElection {
  const parsed = electionInfoSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ElectionDataError(`${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  const info = parsed.data;
  const manifest = parseManifest(info.manifest);
  if (!manifest.ok) throw new ElectionDataError(manifest.reason);
  const jointKey = decodePoint(hexToBytes(info.jointKey));
  if (jointKey === null) throw new ElectionDataError("the joint key is not a valid group element");
  const commitments = info.trusteeCommitments.map((row) =>
    row.map((c) => {
      const point = decodePoint(hexToBytes(c));
      if (point === null) throw new ElectionDataError("a trustee commitment is not a valid group element");
      return point;
    }),
  );
  if (commitments.length !== manifest.manifest.trustees.count)
    throw new ElectionDataError(
      `${commitments.length} trustees' commitments, the manifest names ${manifest.manifest.trustees.count}`,
    );
  const context = electionContext(
    { chainId: BigInt(info.chainId), election: info.election as Address },
    manifest.manifest,
    jointKey,
    commitments,
  );
  if (!bytesEqual(context.manifestHash, hexToBytes(info.manifestHash)))
    throw new ElectionDataError("the manifest hash does not match the manifest");
  if (!bytesEqual(context.baseHash, hexToBytes(info.baseHash)))
    throw new ElectionDataError(`the base hash does not match (computed ${toHex(context.baseHash)})`);
  if (info.revotePolicy !== manifest.manifest.revotePolicy)
    throw new ElectionDataError("the re-vote policy does not match the manifest");
  return {
    info,
    context,
    registrarKeys: new Map(info.registrarKeys.map((k) => [k.style, hexToBytes(k.modulus)])),
    relayUrls: relayOrder(info.relayUrls, pageOrigin),
    registrarUrl: info.registrarUrl === null ? null : baseUrl(info.registrarUrl),
    revotesAllowed: info.revotePolicy === "last-ballot-counts",
    publicTrackers: manifest.manifest.trackerUrls ?? [],
  };
}

/** A page where a voter looks a tracking code up. */
export interface TrackerLink {
  /** observer: a public tracker of the manifest (reads the chain); relay: a relay's tracker. */
  kind: "observer" | "relay";
  host: string;
  href: string;
}

/**
 * Every tracker for a code, best first: the manifest's public trackers (an
 * observer's own reading of the chain, whatever relay is down), then the
 * tracker of the relay serving this page, then the other relays' trackers.
 */
export function trackerLinks(election: BoothElection, code: string, pageOrigin: string): TrackerLink[] {
  const query = `?code=${encodeURIComponent(code)}`;
  const relays = relayOrder([pageOrigin, ...election.relayUrls], pageOrigin);
  return [
    ...election.publicTrackers.map((url) => ({
      kind: "observer" as const,
      host: new URL(url).host,
      href: `${url}${query}`,
    })),
    ...relays.map((url) => ({
      kind: "relay" as const,
      host: new URL(url).host,
      // This page's own tracker relatively (the booth may be served under a path).
      href: url === baseUrl(pageOrigin) ? `track.html${query}` : `${url}/track.html${query}`,
    })),
  ];
}

/** Fetches and checks the serving relay's election data. */
export async function loadBoothElection(): Promise<BoothElection> {
  const response = await fetch(new URL("/v1/election", location.origin), {
    headers: { accept: "application/json" },
  });
  if (!response.ok) throw new ElectionDataError(`GET /v1/election answered HTTP ${response.status}`);
  return boothElectionOf(await response.json(), location.origin);
}
