// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title TypedDataDomain
/// @notice EIP-712 typed-data hashing under the domain (name, version, chainId, verifyingContract),
/// computed as OpenZeppelin's EIP712 computes it, so signatures and digests are unchanged.
/// @dev OpenZeppelin 5.5 and later reach the Cancun-only `mcopy` instruction through
/// EIP712 -> MessageHashUtils -> Strings -> Bytes. The contracts are compiled for the "paris" EVM
/// so that the same bytecode runs on every chain the project targets, including go-ethereum's
/// Clique network, which refuses the Shanghai and later forks (docs/network.md). This contract
/// needs nothing but keccak256.
abstract contract TypedDataDomain {
    bytes32 private constant TYPE_HASH = keccak256(
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    );

    bytes32 private immutable _hashedName;
    bytes32 private immutable _hashedVersion;
    bytes32 private immutable _cachedDomainSeparator;
    uint256 private immutable _cachedChainId;
    address private immutable _cachedThis;

    /// @param name The EIP-712 domain name.
    /// @param version The EIP-712 domain version.
    constructor(string memory name, string memory version) {
        _hashedName = keccak256(bytes(name));
        _hashedVersion = keccak256(bytes(version));
        _cachedChainId = block.chainid;
        _cachedThis = address(this);
        _cachedDomainSeparator = _buildDomainSeparator();
    }

    /// @dev The domain separator of this contract on the current chain (recomputed after a fork
    /// that changed the chain id).
    function _domainSeparatorV4() internal view returns (bytes32) {
        if (address(this) == _cachedThis && block.chainid == _cachedChainId) return _cachedDomainSeparator;
        return _buildDomainSeparator();
    }

    /// @dev keccak256(0x1901 || domainSeparator || structHash), the EIP-712 digest of a struct hash.
    function _hashTypedDataV4(bytes32 structHash) internal view returns (bytes32 digest) {
        bytes32 separator = _domainSeparatorV4();
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, hex"1901")
            mstore(add(ptr, 0x02), separator)
            mstore(add(ptr, 0x22), structHash)
            digest := keccak256(ptr, 0x42)
        }
    }

    function _buildDomainSeparator() private view returns (bytes32) {
        return keccak256(abi.encode(TYPE_HASH, _hashedName, _hashedVersion, block.chainid, address(this)));
    }
}
