import { keccak256, stringToHex, type Abi, type Hex } from "viem";
import { electionAbi, electionFactoryAbi } from "../chain/generated/abis";

/**
 * An expected failure of a command (bad input, wrong phase, refused request):
 * printed as one line without a stack trace, with a non-zero exit code.
 * Exit codes: 2 usage or input error, 3 refused by the chain or a service,
 * 4 verification failed (a check did not hold), 1 anything else expected.
 *
 * Every message names the contracts' custom errors: a bare 4-byte selector
 * that a library left in a message (viem does when the ABI it was given
 * lacks the error) is replaced by the error's name, e.g.
 * `0x4e0b042e` -> `AlreadyPosted (0x4e0b042e)`.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = 1,
  ) {
    super(nameErrorSelectors(message));
    this.name = "CliError";
  }
}

export const EXIT_USAGE = 2;
export const EXIT_REFUSED = 3;
export const EXIT_VERIFICATION_FAILED = 4;

/** Selector -> name of every custom error of the project's contracts. */
const CUSTOM_ERRORS: ReadonlyMap<string, string> = new Map(
  ([electionAbi, electionFactoryAbi] as readonly Abi[]).flatMap((abi) =>
    abi
      .filter((item) => item.type === "error")
      .map((item) => {
        const signature = `${item.name}(${item.inputs.map((input) => input.type).join(",")})`;
        return [keccak256(stringToHex(signature)).slice(0, 10), item.name] as const;
      }),
  ),
);

/** Replaces each known custom-error selector in a text by "Name (selector)". */
export function nameErrorSelectors(text: string): string {
  return text.replace(/0x[0-9a-fA-F]{8}(?![0-9a-fA-F])/g, (selector) => {
    const name = CUSTOM_ERRORS.get(selector.toLowerCase() as Hex);
    return name === undefined ? selector : `${name} (${selector})`;
  });
}
