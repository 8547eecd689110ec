// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Election} from "./Election.sol";
import {ElectionParams} from "./ElectionTypes.sol";

/// @title ElectionFactory
/// @notice Creates one Election contract per election and announces it with its full manifest, so
/// observers and auditors discover every election and its rules from the chain alone.
contract ElectionFactory is AccessControl {
    bytes32 public constant ELECTION_CREATOR_ROLE = keccak256("ELECTION_CREATOR_ROLE");
    uint256 public constant MAX_MANIFEST_BYTES = 128 * 1024;

    address[] private _elections;
    mapping(address election => bool) public isElection;

    event ElectionCreated(
        address indexed election,
        address indexed commission,
        bytes32 manifestHash,
        uint64 opensAt,
        uint64 closesAt,
        bytes manifest
    );

    error InvalidManifest(uint256 length);
    error InvalidAdmin();

    /// @param admin Receives the admin and election-creator roles.
    constructor(address admin) {
        if (admin == address(0)) revert InvalidAdmin();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(ELECTION_CREATOR_ROLE, admin);
    }

    /// @notice Deploys an election; its commission becomes the election's admin.
    /// @param params Rules of the election (the Election constructor validates them).
    /// @param manifest Canonical manifest bytes; observers check them against params.manifestHash.
    /// @return election The new Election's address.
    function createElection(
        ElectionParams calldata params,
        bytes calldata manifest
    ) external onlyRole(ELECTION_CREATOR_ROLE) returns (address election) {
        if (manifest.length == 0 || manifest.length > MAX_MANIFEST_BYTES)
            revert InvalidManifest(manifest.length);
        election = address(new Election(params));
        _elections.push(election);
        isElection[election] = true;
        emit ElectionCreated(
            election,
            params.commission,
            params.manifestHash,
            params.opensAt,
            params.closesAt,
            manifest
        );
    }

    /// @notice Number of elections created by this factory.
    function electionCount() external view returns (uint256) {
        return _elections.length;
    }

    /// @notice The `i`-th election created (0-based, in creation order).
    function electionAt(uint256 i) external view returns (address) {
        return _elections[i];
    }
}
