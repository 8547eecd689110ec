import { expect } from "chai";
import { recoverTypedDataAddress, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import {
  receiptDigest,
  receiptDomain,
  receiptTypedDataHash,
  receiptTypes,
  recoverReceiptSigner,
  signReceipt,
  type BallotReceipt,
} from "../../server/protocol/receipt";

describe("relay receipts: EIP-712", () => {
  const location = { chainId: 31337n, election: "0x5FbDB2315678afecb367f032d93F642f64180aa3" as const };
  const receipt = (i: number): BallotReceipt => ({
    election: location.election,
    trackingCode: `CM4F-4YRJ-2B16-${String(i).padStart(4, "0")}`,
    ballotHash: `0x${(BigInt(i) * 0x9e3779b97f4a7c15n).toString(16).padStart(64, "0")}` as Hex,
    sequence: BigInt(i) + 1n,
    acceptedAt: 1796515200n + BigInt(i),
  });

  it("computes the same digest as viem's generic typed-data hash", () => {
    for (let i = 0; i < 20; i++)
      expect(receiptDigest(location, receipt(i))).to.equal(receiptTypedDataHash(location, receipt(i)));
    const other = { chainId: 1n, election: "0x00000000000000000000000000000000000000aa" as const };
    expect(receiptDigest(other, receipt(1))).to.equal(receiptTypedDataHash(other, receipt(1)));
    expect(receiptDigest(other, receipt(1))).to.not.equal(receiptDigest(location, receipt(1)));
    expect(() => receiptDigest(location, { ...receipt(1), sequence: 1n << 64n })).to.throw(RangeError);
  });

  it("is signed by the relay key and checkable by any EIP-712 tool", async () => {
    const relay = privateKeyToAccount(generatePrivateKey());
    const signature = await signReceipt(relay, location, receipt(7));
    expect(await recoverReceiptSigner(location, receipt(7), signature)).to.equal(relay.address);
    const recovered = await recoverTypedDataAddress({
      domain: receiptDomain(location),
      types: receiptTypes,
      primaryType: "Receipt",
      message: receipt(7),
      signature,
    });
    expect(recovered).to.equal(relay.address);
    expect(await recoverReceiptSigner(location, { ...receipt(7), acceptedAt: 1n }, signature)).to.not.equal(
      relay.address,
    );
    expect(await recoverReceiptSigner(location, receipt(7), "0x1234")).to.equal(null);
  });
});
