/**
 * The protocol module's public API: pure functions, no I/O (see docs/protocol.md).
 * It runs in Node and in browsers; the registrar's private RSA operation
 * (credential-issuer.ts, node:crypto) is imported directly by the registrar.
 */
export * from "./primitives/bytes";
export * from "./primitives/sodium";
export * from "./primitives/group";
export * from "./primitives/hash";
export * from "./primitives/encoding";
export * from "./primitives/proofs";
export * from "./primitives/elgamal";
export * from "./primitives/disjunctive";
export * from "./primitives/lagrange";
export * from "./primitives/dlog";
export * from "./primitives/share-encryption";
export * from "./canonical-json";
export * from "./manifest";
export * from "./context";
export * from "./ballot";
export * from "./tally";
export * from "./ceremony";
export * from "./credential";
export * from "./eip712";
