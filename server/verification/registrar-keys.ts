import { checkRegistrarModulus } from "../protocol/credential";
import { fromHex } from "../protocol/primitives/bytes";
import type { Findings } from "./findings";
import type { RecordHeader } from "./report";

/**
 * V3, registrar keys (docs/protocol.md 10.3): each posted modulus is of a
 * known style (V3.1) and a valid modulus by the one rule of section 8 (V3.2);
 * a style without a key is a warning (V3.3). Returns the valid keys per style:
 * the only ones ballots are checked against (a style whose modulus is invalid
 * has no key, so its ballots are excluded as registrar-key-missing, V5.4).
 */
export function checkRegistrarKeys(header: RecordHeader, findings: Findings | null): Map<number, Uint8Array> {
  const valid = new Map<number, Uint8Array>();
  for (const key of header.registrarKeys) {
    const modulus = fromHex(key.modulus);
    const check =
      modulus === null ? { ok: false as const, reason: "not hex" } : checkRegistrarModulus(modulus);
    if (key.style >= header.ballotStyleCount) {
      findings?.fault(
        "V3.1",
        "registrar-key-unknown-style",
        `style ${key.style}`,
        "a registrar key for an unknown style",
        { style: key.style },
      );
      continue;
    }
    if (!check.ok) {
      findings?.fault("V3.2", "invalid-modulus", `style ${key.style}`, check.reason, { style: key.style });
      continue;
    }
    valid.set(key.style, modulus!);
  }
  for (let style = 0; style < header.ballotStyleCount; style++)
    if (!header.registrarKeys.some((k) => k.style === style))
      findings?.warning(
        "V3.3",
        "registrar-key-absent",
        `style ${style}`,
        "no registrar key: no credential can be issued",
        { style },
      );
  return valid;
}
