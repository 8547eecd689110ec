/**
 * An expected failure of a command (bad input, wrong phase, refused request):
 * printed as one line without a stack trace, with a non-zero exit code.
 * Exit codes: 2 usage or input error, 3 refused by the chain or a service,
 * 4 verification failed (a check did not hold), 1 anything else expected.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = 1,
  ) {
    super(message);
    this.name = "CliError";
  }
}

export const EXIT_USAGE = 2;
export const EXIT_REFUSED = 3;
export const EXIT_VERIFICATION_FAILED = 4;
