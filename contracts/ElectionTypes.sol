// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @notice Whether a voter may replace their ballot while the window is open.
enum RevotePolicy {
    None,
    LastBallotCounts
}

/// @notice Election phases. KeyCeremony, Ready and ResultPublished are stored; Voting and Tallying
/// follow from the block time while the stored phase is Ready.
enum Phase {
    KeyCeremony,
    Ready,
    Voting,
    Tallying,
    ResultPublished
}

/// @notice Creation parameters of an election (see docs/contracts.md).
struct ElectionParams {
    bytes32 manifestHash;
    uint64 opensAt;
    uint64 closesAt;
    RevotePolicy revotePolicy;
    uint8 threshold;
    address[] trustees;
    uint32 ballotStyleCount;
    address commission;
}

/// @notice One ballot as a relay submits it: the ballot bytes (docs/protocol.md), the voter's
/// sequence number, and the EIP-712 signature of the voter's voting key over both.
struct SignedBallot {
    bytes ballot;
    uint64 sequence;
    bytes signature;
}
