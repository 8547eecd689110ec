/** The protocol module's public API: pure functions, no I/O (see docs/protocol.md). */
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
export * from "./canonical-json";
export * from "./manifest";
export * from "./context";
export * from "./ballot";
export * from "./tally";
