import { expect } from "chai";
import { toHex } from "viem";
import { ceremonyBaseHash } from "../../server/protocol/context";
import {
  dealShares,
  encodeTrusteeKeys,
  generateTrusteeSecret,
  trusteePublicKeys,
} from "../../server/protocol/ceremony";
import type { RecordCeremonyRound } from "../../server/protocol/record";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import { checkedRoundKeys, secretShareOfRound } from "../../server/trustee/ceremony-step";
import { CHAIN_ID, ELECTION, referenceManifest } from "../protocol/fixtures";

/** The pure checks `trustee ceremony` applies to a round read from the chain. */
describe("trustee: ceremony checks on a round record", () => {
  before(initCrypto);

  function round(n: number, t: number) {
    const base = ceremonyBaseHash(
      { chainId: CHAIN_ID, election: ELECTION },
      referenceManifest({ count: n, threshold: t }),
      0,
    );
    const secrets = Array.from({ length: n }, () => generateTrusteeSecret(t));
    const keys = secrets.map((secret, i) => trusteePublicKeys(base, i + 1, secret));
    const record: RecordCeremonyRound = {
      round: 0,
      trustees: [],
      keys: keys.map((k) => {
        const e = encodeTrusteeKeys(k);
        return {
          trusteeIndex: k.index,
          commitments: toHex(e.commitments),
          proofs: toHex(e.proofs),
          boxKey: toHex(e.boxKey),
        };
      }),
      shares: secrets.map((secret, i) => ({
        trusteeIndex: i + 1,
        encryptedShares: toHex(dealShares(base, i + 1, secret, keys)),
      })),
      complaints: [],
      confirmations: [],
      jointKey: null,
    };
    return { base, secrets, record };
  }

  it("finds missing keys and keys whose proof of knowledge fails", () => {
    const { base, record } = round(4, 2);
    const proofs = record.keys[1].proofs;
    record.keys[1] = {
      ...record.keys[1],
      proofs: `0x${proofs.slice(2, 66)}${proofs.slice(66, 68) === "00" ? "01" : "00"}${proofs.slice(68)}`,
    };
    record.keys.splice(3, 1);
    const checked = checkedRoundKeys(base, record, 4, 2);
    expect(checked.missing).to.deep.equal([4]);
    expect(checked.invalid.map((k) => k.index)).to.deep.equal([2]);
    expect(checked.keys.size).to.equal(2);
  });

  it("derives a secret key share that matches the public key share, and refuses a foreign box secret", () => {
    const { base, secrets, record } = round(3, 2);
    const { keys } = checkedRoundKeys(base, record, 3, 2);
    const mine = {
      round: 0,
      trusteeIndex: 2,
      secret: secrets[1],
      receivedShares: new Map(),
      secretKeyShare: null,
      jointKey: null,
    };
    const derived = secretShareOfRound(base, record, 3, keys, mine);
    expect(derived.ok).to.equal(true);
    if (derived.ok) expect([...derived.received.keys()].sort()).to.deep.equal([1, 3]);
    const wrong = secretShareOfRound(base, record, 3, keys, {
      ...mine,
      secret: { ...secrets[1], boxSecret: secrets[0].boxSecret },
    });
    expect(wrong.ok).to.equal(false);
  });
});
