import { expect } from "chai";
import { createPrivateKey } from "node:crypto";
import { privateKeyToAccount } from "viem/accounts";
import { bytesEqual, concatBytes, fromHex } from "../../server/protocol/primitives/bytes";
import {
  blindCredentialRequest,
  checkRegistrarModulus,
  credentialMessage,
  finalizeCredential,
  registrarPublicKey,
  verifyCredential,
} from "../../server/protocol/credential";
import {
  blindSign,
  BlindSignError,
  generateRegistrarKey,
  modulusOf,
  type RegistrarKeyPair,
} from "../../server/protocol/credential-issuer";
import { RSABSSA } from "@cloudflare/blindrsa-ts";
import vector from "../vectors/rfc9474.json";
import { CHAIN_ID, ELECTION } from "./fixtures";
import { nativeCoreOrSkip } from "./native-core";

const hex = (value: string): Uint8Array => fromHex(value)!;
const big = (value: string): bigint => BigInt(`0x${value}`);
const b64 = (value: bigint): string => {
  let h = value.toString(16);
  if (h.length % 2) h = `0${h}`;
  return Buffer.from(h, "hex").toString("base64url");
};
const mod = (a: bigint, m: bigint): bigint => ((a % m) + m) % m;
function inverse(a: bigint, m: bigint): bigint {
  let [r0, r1, s0, s1] = [mod(a, m), m, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1, s0, s1] = [r1, r0 - q * r1, s1, s0 - q * s1];
  }
  return mod(s0, m);
}

/** The RFC 9474 Appendix A key as a node:crypto private key. */
function rfcKey(): RegistrarKeyPair {
  const [p, q, d] = [big(vector.p), big(vector.q), big(vector.d)];
  const privateKey = createPrivateKey({
    format: "jwk",
    key: {
      kty: "RSA",
      n: b64(big(vector.n)),
      e: b64(big(vector.e)),
      d: b64(d),
      p: b64(p),
      q: b64(q),
      dp: b64(d % (p - 1n)),
      dq: b64(d % (q - 1n)),
      qi: b64(inverse(q, p)),
    },
  });
  return { privateKey, modulus: modulusOf(privateKey) };
}

const location = { chainId: CHAIN_ID, election: ELECTION };
const voter = privateKeyToAccount("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");

describe("credentials (RFC 9474 RSABSSA-SHA384-PSS-Randomized)", () => {
  let registrar: RegistrarKeyPair;
  before(() => {
    registrar = generateRegistrarKey(2048);
  });

  it("RFC 9474 vector: native BlindSign, Finalize (the active backend's) and WebCrypto verification agree with the RFC", async () => {
    const key = rfcKey();
    expect(bytesEqual(key.modulus, hex(vector.n))).to.equal(true);
    expect(
      bytesEqual(hex(vector.prepared_msg), concatBytes(hex(vector.msg_prefix), hex(vector.msg))),
    ).to.equal(true);
    const blindSig = blindSign(key, hex(vector.blinded_msg));
    expect(Buffer.from(blindSig).toString("hex")).to.equal(vector.blind_sig);
    const credential = await finalizeCredential(
      key.modulus,
      {
        preparedMessage: hex(vector.prepared_msg),
        blindedMessage: hex(vector.blinded_msg),
        inverse: hex(vector.inv),
      },
      blindSig,
    );
    expect(Buffer.from(credential.signature).toString("hex")).to.equal(vector.sig);
    const publicKey = await registrarPublicKey(key.modulus);
    expect(
      await RSABSSA.SHA384.PSS.Randomized().verify(publicKey, hex(vector.sig), hex(vector.prepared_msg)),
    ).to.equal(true);
    const verified = await globalThis.crypto.subtle.verify(
      { name: "RSA-PSS", saltLength: 48 },
      publicKey,
      new Uint8Array(hex(vector.sig)),
      new Uint8Array(hex(vector.prepared_msg)),
    );
    expect(verified).to.equal(true);
  });

  it("issues a credential bound to election, style and voting address", async () => {
    const message = credentialMessage(location, 1, voter.address);
    const request = await blindCredentialRequest(registrar.modulus, message);
    expect(request.blindedMessage.length).to.equal(256);
    const credential = await finalizeCredential(
      registrar.modulus,
      request,
      blindSign(registrar, request.blindedMessage),
    );
    expect(credential.messagePrefix.length).to.equal(32);
    expect(await verifyCredential(location, 1, voter.address, credential, registrar.modulus)).to.deep.equal({
      ok: true,
    });
    const refused = { ok: false, reason: "credential signature is not valid" };
    expect(await verifyCredential(location, 0, voter.address, credential, registrar.modulus)).to.deep.equal(
      refused,
    );
    const other = privateKeyToAccount("0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a");
    expect(await verifyCredential(location, 1, other.address, credential, registrar.modulus)).to.deep.equal(
      refused,
    );
    expect(
      await verifyCredential({ ...location, chainId: 1n }, 1, voter.address, credential, registrar.modulus),
    ).to.deep.equal(refused);
    const otherKey = generateRegistrarKey(2048);
    expect(await verifyCredential(location, 1, voter.address, credential, otherKey.modulus)).to.deep.equal(
      refused,
    );
  });

  it("refuses tampered credentials with a reason and never throws", async () => {
    const message = credentialMessage(location, 0, voter.address);
    const request = await blindCredentialRequest(registrar.modulus, message);
    const credential = await finalizeCredential(
      registrar.modulus,
      request,
      blindSign(registrar, request.blindedMessage),
    );
    for (const at of [0, 100, 255]) {
      const signature = new Uint8Array(credential.signature);
      signature[at] ^= 0x10;
      expect(
        (await verifyCredential(location, 0, voter.address, { ...credential, signature }, registrar.modulus))
          .ok,
      ).to.equal(false);
    }
    const prefix = new Uint8Array(credential.messagePrefix);
    prefix[5] ^= 1;
    expect(
      (
        await verifyCredential(
          location,
          0,
          voter.address,
          { ...credential, messagePrefix: prefix },
          registrar.modulus,
        )
      ).ok,
    ).to.equal(false);
    expect(
      await verifyCredential(
        location,
        0,
        voter.address,
        { ...credential, messagePrefix: prefix.slice(1) },
        registrar.modulus,
      ),
    ).to.deep.equal({
      ok: false,
      reason: "credential prefix must be 32 bytes",
    });
    expect((await verifyCredential(location, 0, voter.address, credential, new Uint8Array(256))).ok).to.equal(
      false,
    );
  });

  it("the registrar refuses out-of-range and wrong-length blinded messages; finalize refuses a wrong blind signature", async () => {
    expect(() => blindSign(registrar, new Uint8Array(255))).to.throw(
      BlindSignError,
      "blinded message must be 256 bytes",
    );
    expect(() => blindSign(registrar, new Uint8Array(256))).to.throw(BlindSignError, "out of range");
    expect(() => blindSign(registrar, new Uint8Array(256).fill(0xff))).to.throw(
      BlindSignError,
      "out of range",
    );
    const request = await blindCredentialRequest(
      registrar.modulus,
      credentialMessage(location, 0, voter.address),
    );
    const wrong = blindSign(
      generateRegistrarKey(2048),
      request.blindedMessage.map((b, i) => (i === 0 ? b & 0x3f : b)),
    );
    let failed = false;
    try {
      await finalizeCredential(registrar.modulus, request, wrong);
    } catch {
      failed = true;
    }
    expect(failed).to.equal(true);
  });

  it("checks registrar moduli as the contract stores them", () => {
    expect(checkRegistrarModulus(registrar.modulus)).to.deep.equal({ ok: true });
    expect(checkRegistrarModulus(registrar.modulus.slice(1)).ok).to.equal(false);
    const even = new Uint8Array(registrar.modulus);
    even[255] &= 0xfe;
    expect(checkRegistrarModulus(even)).to.deep.equal({ ok: false, reason: "modulus is even" });
  });
});

describe("the voter's blind RSA: native core (blind-rsa-signatures) against @cloudflare/blindrsa-ts", () => {
  const library = RSABSSA.SHA384.PSS.Randomized();
  let addon: ReturnType<typeof nativeCoreOrSkip>["addon"];
  let registrar: RegistrarKeyPair;
  before(function () {
    addon = nativeCoreOrSkip(this).addon;
    registrar = generateRegistrarKey(2048);
  });
  const split = (blinded: Uint8Array, size: number) => ({
    blindedMessage: blinded.slice(0, size),
    inverse: blinded.slice(size),
  });

  it("finalizes the RFC 9474 vector to the RFC's signature, as blindrsa-ts does", async () => {
    const key = rfcKey();
    const publicKey = await registrarPublicKey(key.modulus);
    const [prepared, blindSig, inv] = [hex(vector.prepared_msg), hex(vector.blind_sig), hex(vector.inv)];
    const native = addon.blindRsaFinalize(key.modulus, prepared, blindSig, inv);
    expect(Buffer.from(native).toString("hex")).to.equal(vector.sig);
    const js = await library.finalize(publicKey, prepared, blindSig, inv);
    expect(bytesEqual(native, js)).to.equal(true);
  });

  it("each side finalizes the other's requests to the same bytes, for 2048- and 3072-bit keys", async () => {
    for (const key of [registrar, generateRegistrarKey(3072)]) {
      const size = key.modulus.length;
      const publicKey = await registrarPublicKey(key.modulus);
      for (let i = 0; i < 3; i++) {
        const prepared = library.prepare(credentialMessage(location, i, voter.address));
        const native = split(addon.blindRsaBlind(key.modulus, prepared), size);
        const js = await library.blind(publicKey, prepared);
        const requests = [native, { blindedMessage: js.blindedMsg, inverse: js.inv }];
        for (const request of requests) {
          expect(request.blindedMessage.length).to.equal(size);
          expect(request.inverse.length).to.equal(size);
          const blindSig = blindSign(key, request.blindedMessage);
          const fromNative = addon.blindRsaFinalize(key.modulus, prepared, blindSig, request.inverse);
          const fromJs = await library.finalize(publicKey, prepared, blindSig, request.inverse);
          expect(bytesEqual(fromNative, fromJs)).to.equal(true);
          expect(await library.verify(publicKey, fromNative, prepared)).to.equal(true);
        }
        expect(bytesEqual(native.blindedMessage, requests[1].blindedMessage)).to.equal(false);
      }
    }
  });

  it("blinds afresh each time and refuses what blindrsa-ts refuses", async () => {
    const prepared = library.prepare(credentialMessage(location, 0, voter.address));
    const first = addon.blindRsaBlind(registrar.modulus, prepared);
    const second = addon.blindRsaBlind(registrar.modulus, prepared);
    expect(bytesEqual(first.slice(0, 256), second.slice(0, 256))).to.equal(false);
    expect(bytesEqual(first.slice(256), second.slice(256))).to.equal(false);
    expect(() => addon.blindRsaBlind(registrar.modulus.slice(1), prepared)).to.throw(
      "modulus must be 256, 384 or 512 bytes, got 255",
    );
    const request = split(first, 256);
    const wrong = blindSign(
      generateRegistrarKey(2048),
      request.blindedMessage.map((b, i) => (i === 0 ? b & 0x3f : b)),
    );
    expect(() => addon.blindRsaFinalize(registrar.modulus, prepared, wrong, request.inverse)).to.throw(
      "invalid signature",
    );
    expect(() =>
      addon.blindRsaFinalize(registrar.modulus, prepared, wrong.slice(1), request.inverse),
    ).to.throw("blind signature must be 256 bytes, got 255");
    const publicKey = await registrarPublicKey(registrar.modulus);
    let refused = false;
    try {
      await library.finalize(publicKey, prepared, wrong, request.inverse);
    } catch {
      refused = true;
    }
    expect(refused).to.equal(true);
  });
});
