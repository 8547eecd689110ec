import type { ElectionContext } from "../protocol/context";
import type { Manifest } from "../protocol/manifest";
import type { Point } from "../protocol/primitives/group";
import type { ElectionRecord } from "../protocol/record";
import { checkCeremony } from "./ceremony";
import { Findings } from "./findings";
import { checkManifest } from "./manifest";
import { checkRegistrarKeys } from "./registrar-keys";
import type { RecordHeader } from "./report";

/**
 * What ballots are checked against, derived in this one place for the
 * relay, the voter, the trustees, the commission, the observers and the
 * audit: the manifest posted at creation (V1), the context of the ceremony
 * round that published the joint key (V2) and the valid registrar key of
 * each style (V3). The verification derives exactly this too.
 */
export interface ElectionRules {
  manifest: Manifest;
  context: ElectionContext;
  /** The valid registrar RSA modulus per ballot style (V3). */
  registrarKeys: Map<number, Uint8Array>;
  revotesAllowed: boolean;
}

export interface DerivedRules {
  manifest: Manifest | null;
  /** Null while no round published a joint key, or when the keys of that round do not decode or prove. */
  rules: ElectionRules | null;
  publicKeyShares: Point[];
  /** The valid registrar keys per style (V3), also before the joint key. */
  registrarKeys: Map<number, Uint8Array>;
  /** The findings of V1 to V3. */
  findings: Findings;
}

/** The record without its three long lists: what the derivation and most checks read. */
export function headerOf(record: ElectionRecord): RecordHeader {
  const { ballots: _ballots, issuances: _issuances, rejections: _rejections, ...header } = record;
  return header;
}

export function deriveRules(header: RecordHeader, findings: Findings = new Findings()): DerivedRules {
  const manifest = checkManifest(header, findings);
  if (manifest === null)
    return { manifest, rules: null, publicKeyShares: [], registrarKeys: new Map(), findings };
  const ceremony = checkCeremony(header, manifest, findings);
  const registrarKeys = checkRegistrarKeys(header, findings);
  const context = ceremony?.context ?? null;
  return {
    manifest,
    rules:
      context === null
        ? null
        : { manifest, context, registrarKeys, revotesAllowed: header.revotePolicy === "last-ballot-counts" },
    publicKeyShares: ceremony?.publicKeyShares ?? [],
    registrarKeys,
    findings,
  };
}

/** The rules alone (null while there are none). */
export const electionRulesOf = (header: RecordHeader): ElectionRules | null => deriveRules(header).rules;
