import { z } from "zod";
import { canonicalJson } from "./canonical-json";
import { utf8 } from "./primitives/bytes";
import { taggedDigest32 } from "./primitives/hash";

/**
 * The election manifest: everything a verifier needs to know about the rules.
 * It is published in full in the factory's ElectionCreated event; the contract
 * stores its hash.
 */
const identifier = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,63}$/,
    "ids are 1-64 chars of a-z, 0-9 and '-', starting with a letter or digit",
  );

const localizedText = z
  .record(z.string().regex(/^[a-z]{2}$/, "language codes are ISO 639-1"), z.string().min(1).max(500))
  .refine((text) => Object.keys(text).length >= 1, "at least one language");

export const MAX_CONTESTS = 32;
export const MAX_OPTIONS_PER_CONTEST = 64;
export const MAX_TRUSTEES = 32;

const optionSchema = z.strictObject({ id: identifier, title: localizedText });

const contestSchema = z
  .strictObject({
    id: identifier,
    title: localizedText,
    minSelections: z.number().int().min(0),
    maxSelections: z.number().int().min(1),
    options: z.array(optionSchema).min(1).max(MAX_OPTIONS_PER_CONTEST),
  })
  .refine((c) => c.minSelections <= c.maxSelections, "minSelections must not exceed maxSelections")
  .refine((c) => c.maxSelections <= c.options.length, "maxSelections must not exceed the number of options")
  .refine((c) => new Set(c.options.map((o) => o.id)).size === c.options.length, "option ids must be unique");

const ballotStyleSchema = z.strictObject({
  id: identifier,
  title: localizedText,
  contests: z.array(identifier).min(1).max(MAX_CONTESTS),
});

export const manifestSchema = z
  .strictObject({
    version: z.literal(1),
    electionId: identifier,
    title: localizedText,
    contests: z.array(contestSchema).min(1).max(MAX_CONTESTS),
    ballotStyles: z.array(ballotStyleSchema).min(1).max(1024),
    votingWindow: z.strictObject({
      opensAt: z.number().int().min(0),
      closesAt: z.number().int().min(1),
    }),
    revotePolicy: z.enum(["none", "last-ballot-counts"]),
    trustees: z.strictObject({
      count: z.number().int().min(1).max(MAX_TRUSTEES),
      threshold: z.number().int().min(1),
    }),
    /**
     * Optional: the audited web booth's digest (booth-manifest.json's
     * boothSha256, docs/booth.md), so observers can check that relays serve it.
     * Absent, the canonical bytes are those of a manifest without the field.
     */
    boothSha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, "boothSha256 must be 64 lowercase hex digits (SHA-256)")
      .optional(),
    /**
     * Optional: "at-precinct" lets a credential holder cancel the online
     * channel at a precinct and vote on paper (docs/protocol.md 11.4). Absent,
     * no cancellation is allowed.
     */
    paperCancellation: z.literal("at-precinct").optional(),
    /**
     * Optional: whom a voter reports a problem to (the election commission's
     * contact: a name, an address, a phone number or an e-mail address), shown
     * by the web booth when a check fails (docs/booth.md). Absent, the
     * canonical bytes are those of a manifest without the field.
     */
    commissionContact: localizedText.optional(),
    /**
     * Optional: the IANA time zone of the election (e.g. "Europe/Moscow"), in
     * which the observer dashboard draws its dates and days of the window.
     * Absent, UTC; the canonical bytes are then those of a manifest without it.
     * Validity is the pattern alone, never the runtime's time-zone database
     * (which differs between verifiers); a display that does not know the zone
     * falls back to UTC.
     */
    timeZone: z
      .string()
      .max(64)
      .regex(
        /^[A-Za-z]+(?:\/[A-Za-z0-9_+-]+)*$/,
        "timeZone must be an IANA time zone name such as Europe/Moscow",
      )
      .optional(),
    /**
     * Optional: the public ballot trackers (an observer's tracker page, which
     * looks a tracking code up on chain through the observer's own node:
     * docs/observer.md), each opened as `URL?code=CODE`. The booth's receipt
     * links the first and lists the others, so a voter can track a ballot
     * when the relay that served the booth is down (docs/booth.md). Validity
     * is the pattern alone (http or https, a host name or IPv4 address, an
     * optional port and path, no query or fragment). Absent, the canonical
     * bytes are those of a manifest without the field.
     */
    trackerUrls: z
      .array(
        z
          .string()
          .max(256)
          .regex(
            /^https?:\/\/[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?(?:\/[A-Za-z0-9._~%/-]*)?$/,
            "a tracker URL is http(s)://host[:port][/path], without query or fragment",
          ),
      )
      .min(1)
      .max(8)
      .optional(),
  })
  .superRefine((m, ctx) => {
    const issue = (message: string, path: (string | number)[]) =>
      ctx.addIssue({ code: "custom", message, path });
    if (m.votingWindow.opensAt >= m.votingWindow.closesAt)
      issue("opensAt must be before closesAt", ["votingWindow"]);
    if (m.trustees.threshold > m.trustees.count) issue("threshold must not exceed count", ["trustees"]);
    const contestIds = new Set(m.contests.map((c) => c.id));
    if (contestIds.size !== m.contests.length) issue("contest ids must be unique", ["contests"]);
    if (new Set(m.ballotStyles.map((s) => s.id)).size !== m.ballotStyles.length)
      issue("ballot style ids must be unique", ["ballotStyles"]);
    m.ballotStyles.forEach((style, i) => {
      if (new Set(style.contests).size !== style.contests.length)
        issue("a style lists a contest twice", ["ballotStyles", i]);
      for (const id of style.contests)
        if (!contestIds.has(id)) issue(`unknown contest ${id}`, ["ballotStyles", i, "contests"]);
    });
  });

export type Manifest = z.infer<typeof manifestSchema>;
export type Contest = Manifest["contests"][number];
export type BallotStyle = Manifest["ballotStyles"][number];

export type ManifestResult = { ok: true; manifest: Manifest } | { ok: false; reason: string };

/** Validates an untrusted value (parsed JSON); never throws. */
export function parseManifest(value: unknown): ManifestResult {
  const parsed = manifestSchema.safeParse(value);
  if (parsed.success) return { ok: true, manifest: parsed.data };
  const first = parsed.error.issues[0];
  return { ok: false, reason: `manifest.${first.path.join(".") || "(root)"}: ${first.message}` };
}

/** Parses and validates manifest bytes (UTF-8 JSON); never throws. */
export function parseManifestBytes(bytes: Uint8Array): ManifestResult {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return { ok: false, reason: "manifest: not UTF-8 JSON" };
  }
  return parseManifest(value);
}

/** The canonical bytes published on chain: canonical JSON (RFC 8785 subset) in UTF-8. */
export const manifestBytes = (manifest: Manifest): Uint8Array => utf8(canonicalJson(manifest));

/** manifestHash = H32("manifest"; canonical manifest bytes). */
export const manifestHash = (manifest: Manifest): Uint8Array =>
  taggedDigest32("manifest", [manifestBytes(manifest)]);

/** The contests a voter of this ballot style sees, in the style's order. */
export function contestsOfStyle(manifest: Manifest, styleIndex: number): Contest[] | null {
  const style = manifest.ballotStyles[styleIndex];
  if (style === undefined) return null;
  return style.contests.map((id) => manifest.contests.find((c) => c.id === id)!);
}
