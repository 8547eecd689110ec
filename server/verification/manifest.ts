import { manifestBytes, parseManifestBytes, type Manifest } from "../protocol/manifest";
import { bytesEqual, fromHex, toHex } from "../protocol/primitives/bytes";
import { taggedDigest32 } from "../protocol/primitives/hash";
import { sameHex, type Findings } from "./findings";
import type { RecordHeader } from "./report";

/**
 * V1, the manifest (docs/protocol.md 10.1): the bytes posted with
 * ElectionCreated parse (V1.1), are exactly the canonical encoding of what
 * they parse to (V1.2), hash to the contract's manifestHash (V1.3), and the
 * contract's parameters are the manifest's (V1.4, V1.5). Returns the parsed
 * manifest whenever it parses: the later checks run on it even when V1.2 or
 * V1.3 fail (their contexts then use the hash of the canonical bytes, which
 * is the hash of the posted bytes whenever V1.2 holds).
 */
export function checkManifest(header: RecordHeader, findings: Findings): Manifest | null {
  const bytes = fromHex(header.manifest);
  const parsed = bytes === null ? null : parseManifestBytes(bytes);
  if (bytes === null || parsed === null || !parsed.ok) {
    findings.fault(
      "V1.1",
      "manifest-unparsable",
      "manifest",
      `the manifest posted with ElectionCreated does not parse${parsed && !parsed.ok ? `: ${parsed.reason}` : ""}`,
    );
    return null;
  }
  const manifest = parsed.manifest;
  if (!bytesEqual(bytes, manifestBytes(manifest)))
    findings.fault(
      "V1.2",
      "manifest-not-canonical",
      "manifest",
      "the posted manifest bytes are not its canonical JSON (protocol.md section 2): they must not be reformatted",
    );
  const postedHash = toHex(taggedDigest32("manifest", [bytes]));
  if (!sameHex(postedHash, header.manifestHash))
    findings.fault(
      "V1.3",
      "manifest-hash-mismatch",
      "manifest",
      `H32("manifest"; posted bytes) is ${postedHash}, the contract holds ${header.manifestHash}`,
    );
  const expectations: [string, unknown, unknown][] = [
    ["trustee count", manifest.trustees.count, header.trusteeCount],
    ["threshold", manifest.trustees.threshold, header.threshold],
    ["ballot style count", manifest.ballotStyles.length, header.ballotStyleCount],
    ["re-vote policy", manifest.revotePolicy, header.revotePolicy],
    ["opening time", manifest.votingWindow.opensAt, header.opensAt],
  ];
  for (const [what, inManifest, onChain] of expectations)
    if (inManifest !== onChain)
      findings.fault(
        "V1.4",
        "parameters-mismatch",
        "manifest",
        `${what}: the manifest says ${String(inManifest)}, the contract ${String(onChain)}`,
      );
  if (header.closesAt < manifest.votingWindow.closesAt)
    findings.fault(
      "V1.5",
      "window-mismatch",
      "manifest",
      `closing time: the contract closes at ${header.closesAt}, before the manifest's ${manifest.votingWindow.closesAt}`,
    );
  return manifest;
}
