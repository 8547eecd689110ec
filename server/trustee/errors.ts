/**
 * Why a trustee or commission step refused to act. The CLI turns `refused`
 * into exit code 3 and `verification-failed` into exit code 4; nothing is
 * posted when one of these is thrown.
 */
export type StepRefusalKind = "refused" | "verification-failed";

export type StepRefusalCode =
  | "wrong-chain"
  | "wrong-election"
  | "wrong-phase"
  | "not-trustee"
  | "keystore-mismatch"
  | "invalid-trustee-keys"
  | "joint-key-mismatch"
  | "inconsistent-record"
  | "not-enough-shares"
  | "tally-failed";

export class StepRefusal extends Error {
  constructor(
    readonly code: StepRefusalCode,
    message: string,
    readonly kind: StepRefusalKind = "refused",
  ) {
    super(message);
    this.name = "StepRefusal";
  }
}

/** One line of progress, written by the CLI to stderr. */
export type Progress = (line: string) => void;

export const silent: Progress = () => {};
