import { z } from "zod";
import { verifyChallenge, type ChallengeResult } from "../protocol/ballot";
import type { ElectionContext } from "../protocol/context";
import { fromHex } from "../protocol/primitives/bytes";

/**
 * `audit challenge FILE`: checks a Benaloh challenge (protocol.md 5.6) on a
 * device other than the booth. The file (docs/record.md) holds the challenged
 * ballot's bytes and the booth's reveal, and optionally the election address.
 */
export const challengeFileSchema = z.strictObject({
  version: z.literal(1).optional(),
  election: z
    .string()
    .regex(/^0x[0-9a-fA-F]{40}$/, "an address")
    .optional(),
  ballot: z.string().regex(/^0x([0-9a-fA-F]{2})+$/, "the ballot bytes as 0x hex"),
  reveal: z.custom<object>(
    (value) => typeof value === "object" && value !== null,
    "the booth's reveal object (protocol.md 5.6) is missing",
  ),
});

export type ChallengeFile = z.infer<typeof challengeFileSchema>;

export type ChallengeFileResult = { ok: true; file: ChallengeFile } | { ok: false; reason: string };

export function parseChallengeFile(text: string): ChallengeFileResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: "the challenge file is not JSON" };
  }
  const parsed = challengeFileSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, reason: `${issue.path.join(".") || "(root)"}: ${issue.message}` };
  }
  return { ok: true, file: parsed.data };
}

/** verifyChallenge on the file's ballot and reveal. */
export function checkChallenge(context: ElectionContext, file: ChallengeFile): ChallengeResult {
  const bytes = fromHex(file.ballot);
  if (bytes === null) return { ok: false, reason: "ballot: not hex" };
  return verifyChallenge(context, bytes, file.reveal);
}
