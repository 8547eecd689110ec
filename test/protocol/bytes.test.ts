import { expect } from "chai";
import { fromHex, hexToBytes, toHex } from "../../server/protocol/primitives/bytes";

/**
 * The hex codec every canonical encoding uses (server/protocol/primitives/bytes.ts):
 * the same bytes as Node's, and null on anything that is not whole hex bytes
 * (Node's Buffer.from(s, "hex") stops silently at the first bad character instead).
 */
describe("protocol: hex codec", () => {
  const random = (n: number) => globalThis.crypto.getRandomValues(new Uint8Array(n));

  it("round-trips every byte value and agrees with Node's hex, in both cases, with or without 0x", () => {
    const every = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(toHex(every)).to.equal(`0x${Buffer.from(every).toString("hex")}`);
    for (const bytes of [new Uint8Array(0), every, random(1), random(2_160)]) {
      const hex = Buffer.from(bytes).toString("hex");
      for (const text of [`0x${hex}`, hex, `0X${hex.toUpperCase()}`, hex.toUpperCase()])
        expect(fromHex(text)).to.deep.equal(bytes);
      expect(hexToBytes(toHex(bytes))).to.deep.equal(bytes);
    }
  });

  it("refuses odd lengths and any character that is not a hex digit, wherever it is", () => {
    const good = Buffer.from(random(40)).toString("hex");
    for (const position of [0, 1, 39, 78, 79])
      for (const bad of ["g", "G", " ", "x", "-", "\u0660", "\u{1F600}".charAt(0), "\0"]) {
        const text = good.slice(0, position) + bad + good.slice(position + 1);
        expect(fromHex(text), JSON.stringify(text)).to.equal(null);
        expect(fromHex(`0x${text}`)).to.equal(null);
      }
    for (const odd of ["0x0", "abc", "0", "0x123"]) expect(fromHex(odd)).to.equal(null);
    expect(fromHex("0x")).to.deep.equal(new Uint8Array(0));
    expect(() => hexToBytes("0xzz")).to.throw(/not a hex string/);
  });
});
