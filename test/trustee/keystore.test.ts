import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { generateTrusteeSecret } from "../../server/protocol/ceremony";
import { baseMul, randomScalar, scalarEquals } from "../../server/protocol/primitives/group";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import {
  KDF_INTERACTIVE,
  KeystoreError,
  TrusteeKeystore,
  type TrusteeKeystoreData,
} from "../../server/trustee/keystore";

const PASSPHRASE = "correct horse battery staple";

function sampleData(): TrusteeKeystoreData {
  const accountKey = generatePrivateKey();
  return {
    chainId: 31337n,
    election: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    accountKey,
    trusteeAddress: privateKeyToAccount(accountKey).address,
    threshold: 3,
    current: {
      round: 0,
      trusteeIndex: 2,
      secret: generateTrusteeSecret(3),
      receivedShares: new Map(),
      secretKeyShare: null,
      jointKey: null,
    },
  };
}

function expectKeystoreError(run: () => unknown, code: string, text: RegExp): void {
  try {
    run();
  } catch (error) {
    expect(error).to.be.instanceOf(KeystoreError);
    expect((error as KeystoreError).code).to.equal(code);
    expect((error as Error).message).to.match(text);
    return;
  }
  expect.fail(`expected KeystoreError ${code}`);
}

describe("trustee: encrypted key file", function () {
  this.timeout(60_000);
  let dir: string;
  let file: string;

  before(async () => {
    await initCrypto();
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "trustee-keystore-"));
    file = path.join(dir, "trustee.key");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("round-trips the secrets, is mode 0600, holds no secret in clear, and saves updates atomically", () => {
    const data = sampleData();
    TrusteeKeystore.create(file, PASSPHRASE, data, KDF_INTERACTIVE).close();
    expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
    const text = fs.readFileSync(file, "utf8");
    expect(text).not.to.include(data.accountKey.slice(2));
    expect(text).not.to.include(Buffer.from(data.current.secret.boxSecret).toString("hex"));
    const envelope = JSON.parse(text);
    expect(envelope.format).to.equal("ballot-ledger/trustee-keystore");
    expect(envelope.version).to.equal(1);
    expect(envelope.kdf).to.include({ algorithm: "argon2id13", opsLimit: 2, memLimit: 64 * 1024 * 1024 });

    const opened = TrusteeKeystore.open(file, PASSPHRASE);
    expect(opened.data.accountKey).to.equal(data.accountKey);
    expect(opened.data.chainId).to.equal(31337n);
    opened.data.current.secret.polynomial.forEach((a, k) =>
      expect(scalarEquals(a, data.current.secret.polynomial[k])).to.equal(true),
    );
    const share = randomScalar();
    opened.updateRound((c) => ({
      ...c,
      receivedShares: new Map([[1, share]]),
      secretKeyShare: share,
      jointKey: baseMul(share),
    }));
    opened.close();
    expect(fs.readdirSync(dir)).to.deep.equal(["trustee.key"]);
    expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
    const reopened = TrusteeKeystore.open(file, PASSPHRASE);
    expect(scalarEquals(reopened.data.current.receivedShares.get(1)!, share)).to.equal(true);
    expect(scalarEquals(reopened.data.current.secretKeyShare!, share)).to.equal(true);
    expect(TrusteeKeystore.describe(file)).to.deep.equal({
      election: data.election,
      trusteeAddress: data.trusteeAddress,
    });
  });

  it("tells a wrong passphrase apart from a corrupted file", () => {
    TrusteeKeystore.create(file, PASSPHRASE, sampleData(), KDF_INTERACTIVE).close();
    expectKeystoreError(
      () => TrusteeKeystore.open(file, "not the passphrase at all"),
      "wrong-passphrase",
      /wrong passphrase/,
    );

    const envelope = JSON.parse(fs.readFileSync(file, "utf8"));
    const flipped =
      envelope.cipher.ciphertext.slice(0, 10) + (envelope.cipher.ciphertext[10] === "0" ? "1" : "0");
    envelope.cipher.ciphertext = flipped + envelope.cipher.ciphertext.slice(11);
    fs.writeFileSync(file, JSON.stringify(envelope), { mode: 0o600 });
    expectKeystoreError(
      () => TrusteeKeystore.open(file, PASSPHRASE),
      "corrupted",
      /corrupted: checksum mismatch/,
    );

    fs.writeFileSync(file, '{"format": "ballot-ledger/trustee-keystore", "version": 1, "kdf"', {
      mode: 0o600,
    });
    expectKeystoreError(() => TrusteeKeystore.open(file, PASSPHRASE), "corrupted", /corrupted: not JSON/);

    fs.writeFileSync(file, JSON.stringify({ ...envelope, version: 7 }), { mode: 0o600 });
    expectKeystoreError(() => TrusteeKeystore.open(file, PASSPHRASE), "unsupported-version", /version 7/);
  });

  it("refuses to overwrite, a weak passphrase, a missing file and a file others can read", () => {
    TrusteeKeystore.create(file, PASSPHRASE, sampleData(), KDF_INTERACTIVE).close();
    const before = fs.readFileSync(file, "utf8");
    expectKeystoreError(
      () => TrusteeKeystore.create(file, PASSPHRASE, sampleData(), KDF_INTERACTIVE),
      "exists",
      /already exists/,
    );
    expect(fs.readFileSync(file, "utf8")).to.equal(before);
    expectKeystoreError(
      () => TrusteeKeystore.create(path.join(dir, "other.key"), "short", sampleData(), KDF_INTERACTIVE),
      "weak-passphrase",
      /at least 12 characters/,
    );
    expect(fs.existsSync(path.join(dir, "other.key"))).to.equal(false);
    expectKeystoreError(
      () => TrusteeKeystore.open(path.join(dir, "missing.key"), PASSPHRASE),
      "not-found",
      /does not exist/,
    );
    fs.chmodSync(file, 0o644);
    expectKeystoreError(() => TrusteeKeystore.open(file, PASSPHRASE), "insecure-permissions", /chmod 600/);
  });
});
