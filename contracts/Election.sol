// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";
import {ElectionParams, Phase, RevotePolicy, SignedBallot} from "./ElectionTypes.sol";
import {TypedDataDomain} from "./TypedDataDomain.sol";

/// @title Election
/// @notice The public ledger of one election: rules, key ceremony, issuance journal, encrypted
/// ballots (as commitments under nullifiers), decryption shares, result and observer attestations.
/// @dev The contract stores hashes and counters and emits the data in events or keeps it in
/// calldata; it cannot check the cryptography (proofs, credentials), which every observer does.
/// See docs/contracts.md for the phase machine and the batch semantics of castBallots.
contract Election is AccessControl, Pausable, TypedDataDomain {
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");
    bytes32 public constant RELAY_ROLE = keccak256("RELAY_ROLE");
    bytes32 public constant OBSERVER_ROLE = keccak256("OBSERVER_ROLE");

    /// @notice EIP-712 type of a ballot signed by the voter's voting key.
    bytes32 public constant BALLOT_TYPEHASH = keccak256("Ballot(bytes ballot,uint64 sequence)");
    /// @notice EIP-712 type of an observer's attestation (docs/protocol.md section 9).
    bytes32 public constant ATTESTATION_TYPEHASH = keccak256(
        "Attestation(address election,bytes32 resultHash,bytes32 tallyHash,bool resultMatches)"
    );

    uint256 public constant MAX_TRUSTEES = 32;
    uint256 public constant MAX_BATCH = 200;
    /// @notice Most entries in one recordIssuances call (about 5.8 Mgas and 19 KB of calldata).
    uint256 public constant MAX_ISSUANCE_BATCH = 200;
    uint256 public constant MAX_BALLOT_BYTES = 32768;
    uint256 public constant MAX_DECRYPTION_SHARE_BYTES = 96 * 4096;
    uint256 private constant POINT_BYTES = 32;
    uint256 private constant PROOF_BYTES = 64;
    uint256 private constant SHARE_CIPHERTEXT_BYTES = 64;
    uint256 private constant COMPLAINT_EVIDENCE_BYTES = 96;

    /// @notice Progress of one key-ceremony round.
    struct CeremonyRound {
        uint8 keysPosted;
        uint8 sharesPosted;
        uint8 confirmations;
        uint16 complaints;
        bytes32 candidateJointKey;
    }

    /// @notice One entry of the issuance journal (see recordIssuance).
    struct Issuance {
        bytes32 voterIdHash;
        uint32 style;
        bytes32 requestHash;
    }

    bytes32 public immutable manifestHash;
    uint64 public immutable opensAt;
    RevotePolicy public immutable revotePolicy;
    uint8 public immutable threshold;
    uint8 public immutable trusteeCount;
    uint32 public immutable ballotStyleCount;
    /// @notice The factory that created this election (its ElectionCreated event carries the manifest).
    address public immutable factory;

    uint64 public closesAt;
    Phase private _storedPhase;

    uint32 public ceremonyRound;
    address[] private _trustees;
    mapping(uint32 round => mapping(address trustee => uint8 index)) private _trusteeIndex;
    mapping(uint32 round => CeremonyRound) private _rounds;
    mapping(uint32 round => mapping(uint8 index => bytes32 keysHash)) public trusteeKeysHash;
    mapping(uint32 round => mapping(uint8 index => bytes32 sharesHash)) public trusteeSharesHash;
    mapping(uint32 round => mapping(uint8 index => bool)) public hasConfirmedJointKey;
    mapping(uint32 round => mapping(uint8 complainer => mapping(uint8 accused => bool))) public hasComplained;
    bytes32 public jointKey;

    mapping(uint32 style => bytes32 keyHash) public registrarKeyHash;
    mapping(bytes32 voterIdHash => bool) public isIssued;
    mapping(uint32 style => uint256 count) public issuedCount;
    uint256 public issuedTotal;

    mapping(bytes32 nullifier => uint64 sequence) public latestSequence;
    uint256 public ballotCount;
    bytes32 public runningHash;

    mapping(uint8 index => bytes32 shareHash) public decryptionShareHash;
    uint8 public decryptionShareCount;
    bytes32 public resultHash;
    mapping(address observer => bool) public hasAttested;

    // ----------------------------------------------------------------- events

    event PhaseChanged(Phase phase);
    event VotingWindowExtended(uint64 previousClosesAt, uint64 newClosesAt);
    event RegistrarKeySet(uint32 indexed style, bytes32 keyHash, bytes rsaModulus);
    event CeremonyRestarted(uint32 round, address[] trustees);
    event TrusteeKeysPosted(
        uint32 indexed round,
        uint8 indexed trusteeIndex,
        bytes commitments,
        bytes proofs,
        bytes32 boxKey
    );
    event SharesPosted(uint32 indexed round, uint8 indexed trusteeIndex, bytes encryptedShares);
    event ComplaintFiled(
        uint32 indexed round,
        uint8 indexed complainer,
        uint8 indexed accused,
        bytes evidence
    );
    event JointKeyConfirmed(uint32 indexed round, uint8 indexed trusteeIndex, bytes32 jointKey);
    event JointKeyPublished(uint32 round, bytes32 jointKey);
    event CredentialIssued(bytes32 indexed voterIdHash, uint32 indexed style, bytes32 requestHash);
    /// @dev The ballot's index is its position among all BallotCast events of this election.
    event BallotCast(bytes32 indexed nullifier, uint64 sequence, bytes32 ballotHash, bytes32 runningHash);
    event BallotRejected(
        uint256 indexed position,
        bytes32 indexed nullifier,
        bytes32 ballotHash,
        bytes4 reason
    );
    event DecryptionSharePosted(uint8 indexed trusteeIndex, bytes32 aggregateHash, bytes share);
    event ResultPublished(bytes32 resultHash, bytes result);
    event AttestationPosted(
        address indexed observer,
        bytes32 resultHash,
        bytes32 tallyHash,
        bool resultMatches,
        bytes signature
    );

    // ----------------------------------------------------------------- errors: creation

    error InvalidManifestHash();
    error InvalidCommission();
    error InvalidVotingWindow(uint64 opensAt, uint64 closesAt, uint64 currentTime);
    error InvalidThreshold(uint256 threshold, uint256 trusteeCount);
    error InvalidTrustee(address trustee);
    error InvalidBallotStyleCount();

    // ----------------------------------------------------------------- errors: phases and window

    error WrongPhase(Phase current);
    error OutsideVotingWindow(uint64 currentTime, uint64 opensAt, uint64 closesAt);
    error VotingClosed(uint64 closesAt);
    error InvalidExtension(uint64 closesAt, uint64 requested);

    // ----------------------------------------------------------------- errors: registrar

    error UnknownBallotStyle(uint32 style);
    error InvalidRegistrarKey(uint256 length);
    error RegistrarKeysLocked(uint64 opensAt);
    error RegistrarKeyMissing(uint32 style);
    error InvalidVoterIdHash();
    error AlreadyIssued(bytes32 voterIdHash);

    // ----------------------------------------------------------------- errors: ceremony

    error NotTrustee(address account);
    error AlreadyPosted(uint8 trusteeIndex);
    error InvalidCommitmentsLength(uint256 length, uint256 expected);
    error InvalidProofsLength(uint256 length, uint256 expected);
    error InvalidBoxKey();
    error InvalidSharesLength(uint256 length, uint256 expected);
    error InvalidEvidenceLength(uint256 length, uint256 expected);
    error CeremonyStepNotReady();
    error InvalidTrusteeIndex(uint8 index);
    error AlreadyComplained(uint8 complainer, uint8 accused);
    error CeremonyDisputed(uint32 round, uint256 complaints);
    error InvalidJointKey();
    error JointKeyMismatch(bytes32 candidate, bytes32 proposed);

    // ----------------------------------------------------------------- errors: ballots

    error EmptyBatch();
    error BatchTooLarge(uint256 size, uint256 max);
    /// @dev Per-ballot faults: castBallots reports them by selector in BallotRejected.
    error InvalidBallotSize(uint256 size);
    error InvalidBallotSignature();
    error RevoteNotAllowed();
    error SequenceNotHigher(uint64 latest);

    // ----------------------------------------------------------------- errors: tally

    error InvalidDecryptionShare(uint256 length);
    error InvalidAggregateHash();
    error NotEnoughDecryptionShares(uint256 have, uint256 need);
    error InvalidResult();
    error AlreadyAttested(address observer);
    error InvalidAttestationSignature();

    // ----------------------------------------------------------------- construction

    /// @notice Creates the election in the KeyCeremony phase with trustee round 0.
    /// @param params Rules of the election; see ElectionParams.
    constructor(ElectionParams memory params) TypedDataDomain("ballot-ledger", "1") {
        if (params.manifestHash == bytes32(0)) revert InvalidManifestHash();
        if (params.commission == address(0)) revert InvalidCommission();
        if (params.opensAt >= params.closesAt || params.closesAt <= block.timestamp) {
            revert InvalidVotingWindow(params.opensAt, params.closesAt, uint64(block.timestamp));
        }
        if (params.ballotStyleCount == 0) revert InvalidBallotStyleCount();
        uint256 n = params.trustees.length;
        if (n == 0 || n > MAX_TRUSTEES || params.threshold == 0 || params.threshold > n) {
            revert InvalidThreshold(params.threshold, n);
        }
        manifestHash = params.manifestHash;
        opensAt = params.opensAt;
        closesAt = params.closesAt;
        revotePolicy = params.revotePolicy;
        threshold = params.threshold;
        trusteeCount = uint8(n);
        ballotStyleCount = params.ballotStyleCount;
        factory = msg.sender;
        _grantRole(DEFAULT_ADMIN_ROLE, params.commission);
        _appointTrustees(0, params.trustees);
    }

    // ----------------------------------------------------------------- views

    /// @notice The current phase; Voting and Tallying follow from the block time.
    function phase() public view returns (Phase) {
        Phase stored = _storedPhase;
        if (stored != Phase.Ready) return stored;
        if (block.timestamp < opensAt) return Phase.Ready;
        if (block.timestamp < closesAt) return Phase.Voting;
        return Phase.Tallying;
    }

    /// @notice The trustees of the current ceremony round, in index order (index = position + 1).
    function trustees() external view returns (address[] memory) {
        return _trustees;
    }

    /// @notice The trustee index (1..n) of `account` in the current round, or 0.
    function trusteeIndexOf(address account) external view returns (uint8) {
        return _trusteeIndex[ceremonyRound][account];
    }

    /// @notice Progress of a ceremony round: keys, shares, confirmations and complaints posted.
    function ceremonyProgress(uint32 round) external view returns (CeremonyRound memory) {
        return _rounds[round];
    }

    // ----------------------------------------------------------------- commission

    /// @notice Moves the close of voting later. Only the commission, only while voting is not closed.
    /// @param newClosesAt The new close time, strictly later than the current one.
    function extendWindow(uint64 newClosesAt) external onlyRole(DEFAULT_ADMIN_ROLE) {
        uint64 previous = closesAt;
        if (block.timestamp >= previous) revert VotingClosed(previous);
        if (newClosesAt <= previous) revert InvalidExtension(previous, newClosesAt);
        closesAt = newClosesAt;
        emit VotingWindowExtended(previous, newClosesAt);
    }

    /// @notice Stops issuance and ballot casting (e.g. during an incident). Only the commission.
    function pause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _pause();
    }

    /// @notice Resumes issuance and ballot casting. Only the commission.
    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _unpause();
    }

    /// @notice Replaces the trustees and starts a new ceremony round (after a failed round).
    /// @param newTrustees Exactly n distinct non-zero addresses.
    function restartCeremony(address[] calldata newTrustees) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _requireStoredPhase(Phase.KeyCeremony);
        if (newTrustees.length != trusteeCount) revert InvalidThreshold(threshold, newTrustees.length);
        uint32 round = ceremonyRound + 1;
        ceremonyRound = round;
        _appointTrustees(round, newTrustees);
        emit CeremonyRestarted(round, newTrustees);
    }

    /// @notice Publishes the decrypted result once at least t trustees posted decryption shares.
    /// @param newResultHash H32("result"; Q, result) as defined in docs/protocol.md.
    /// @param result The canonical result bytes.
    function publishResult(
        bytes32 newResultHash,
        bytes calldata result
    ) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _requirePhase(Phase.Tallying);
        if (decryptionShareCount < threshold)
            revert NotEnoughDecryptionShares(decryptionShareCount, threshold);
        if (newResultHash == bytes32(0) || result.length == 0) revert InvalidResult();
        resultHash = newResultHash;
        _storedPhase = Phase.ResultPublished;
        emit ResultPublished(newResultHash, result);
        emit PhaseChanged(Phase.ResultPublished);
    }

    // ----------------------------------------------------------------- registrar

    /// @notice Publishes the registrar's RSA key for a ballot style (public exponent 65537).
    /// @param style Ballot style id (index in the manifest's ballotStyles).
    /// @param rsaModulus Big-endian modulus of 256, 384 or 512 bytes.
    function setRegistrarKey(uint32 style, bytes calldata rsaModulus) external onlyRole(REGISTRAR_ROLE) {
        if (block.timestamp >= opensAt) revert RegistrarKeysLocked(opensAt);
        if (style >= ballotStyleCount) revert UnknownBallotStyle(style);
        // The one modulus rule (docs/protocol.md section 8): 256, 384 or 512 bytes, top bit set, odd.
        uint256 length = rsaModulus.length;
        if (
            (length != 256 && length != 384 && length != 512) ||
            uint8(rsaModulus[0]) < 0x80 ||
            uint8(rsaModulus[length - 1]) & 1 == 0
        ) {
            revert InvalidRegistrarKey(length);
        }
        bytes32 keyHash = keccak256(rsaModulus);
        registrarKeyHash[style] = keyHash;
        emit RegistrarKeySet(style, keyHash, rsaModulus);
    }

    /// @notice Journals one credential issuance; a voter gets at most one per election.
    /// @param voterIdHash Salted hash of the voter's identifier (the salt stays with the registrar).
    /// @param style The voter's ballot style.
    /// @param requestHash Hash of the blinded request, so a repeated request can be answered the same way.
    function recordIssuance(
        bytes32 voterIdHash,
        uint32 style,
        bytes32 requestHash
    ) external onlyRole(REGISTRAR_ROLE) whenNotPaused {
        _requireIssuanceOpen();
        _journalIssuance(voterIdHash, style, requestHash);
        issuedTotal += 1;
    }

    /// @notice Journals a batch of credential issuances in one transaction, all or nothing: an entry
    /// recordIssuance would refuse (a voter twice in the batch included) reverts the whole batch with
    /// that entry's error. Each entry emits its own CredentialIssued, in batch order.
    /// @param issuances 1..MAX_ISSUANCE_BATCH entries (voterIdHash, style, requestHash), as in recordIssuance.
    function recordIssuances(Issuance[] calldata issuances) external onlyRole(REGISTRAR_ROLE) whenNotPaused {
        _requireIssuanceOpen();
        uint256 size = issuances.length;
        if (size == 0) revert EmptyBatch();
        if (size > MAX_ISSUANCE_BATCH) revert BatchTooLarge(size, MAX_ISSUANCE_BATCH);
        for (uint256 i = 0; i < size; ++i) {
            Issuance calldata entry = issuances[i];
            _journalIssuance(entry.voterIdHash, entry.style, entry.requestHash);
        }
        issuedTotal += size;
    }

    /// @dev Credentials are issued while the online channel is open: Ready or Voting.
    function _requireIssuanceOpen() private view {
        Phase current = phase();
        if (current != Phase.Ready && current != Phase.Voting) revert WrongPhase(current);
    }

    /// @dev The per-entry checks and effects of the journal, shared by recordIssuance and
    /// recordIssuances (the caller adds the entries to issuedTotal).
    function _journalIssuance(bytes32 voterIdHash, uint32 style, bytes32 requestHash) private {
        if (voterIdHash == bytes32(0)) revert InvalidVoterIdHash();
        if (style >= ballotStyleCount) revert UnknownBallotStyle(style);
        if (registrarKeyHash[style] == bytes32(0)) revert RegistrarKeyMissing(style);
        if (isIssued[voterIdHash]) revert AlreadyIssued(voterIdHash);
        if (hasPaperBallot[voterIdHash]) revert PaperBallotAlreadyIssued(voterIdHash);
        isIssued[voterIdHash] = true;
        issuedCount[style] += 1;
        emit CredentialIssued(voterIdHash, style, requestHash);
    }

    // ----------------------------------------------------------------- key ceremony

    /// @notice Posts the caller's coefficient commitments, their proofs of knowledge and box key.
    /// @param commitments t points of 32 bytes.
    /// @param proofs t Schnorr proofs of 64 bytes.
    /// @param boxKey The trustee's share-encryption public key (a ristretto255 point).
    function postTrusteeKeys(bytes calldata commitments, bytes calldata proofs, bytes32 boxKey) external {
        _requireStoredPhase(Phase.KeyCeremony);
        uint32 round = ceremonyRound;
        uint8 index = _callerTrusteeIndex(round);
        if (trusteeKeysHash[round][index] != bytes32(0)) revert AlreadyPosted(index);
        uint256 t = threshold;
        if (commitments.length != POINT_BYTES * t) {
            revert InvalidCommitmentsLength(commitments.length, POINT_BYTES * t);
        }
        if (proofs.length != PROOF_BYTES * t) revert InvalidProofsLength(proofs.length, PROOF_BYTES * t);
        if (boxKey == bytes32(0)) revert InvalidBoxKey();
        trusteeKeysHash[round][index] = keccak256(abi.encode(commitments, proofs, boxKey));
        _rounds[round].keysPosted += 1;
        emit TrusteeKeysPosted(round, index, commitments, proofs, boxKey);
    }

    /// @notice Posts the caller's shares, encrypted to each other trustee, once every trustee posted keys.
    /// @param encryptedShares n-1 ciphertexts of 64 bytes, recipients in increasing index order.
    function postShares(bytes calldata encryptedShares) external {
        _requireStoredPhase(Phase.KeyCeremony);
        uint32 round = ceremonyRound;
        uint8 index = _callerTrusteeIndex(round);
        if (_rounds[round].keysPosted != trusteeCount) revert CeremonyStepNotReady();
        if (trusteeSharesHash[round][index] != bytes32(0)) revert AlreadyPosted(index);
        uint256 expected = SHARE_CIPHERTEXT_BYTES * (uint256(trusteeCount) - 1);
        if (encryptedShares.length != expected) revert InvalidSharesLength(encryptedShares.length, expected);
        trusteeSharesHash[round][index] = keccak256(encryptedShares);
        _rounds[round].sharesPosted += 1;
        emit SharesPosted(round, index, encryptedShares);
    }

    /// @notice Accuses another trustee of sending the caller a share that fails its commitments.
    /// @param accused The accused trustee's index.
    /// @param evidence The decryption key material with its proof (96 bytes, docs/protocol.md).
    function complain(uint8 accused, bytes calldata evidence) external {
        _requireStoredPhase(Phase.KeyCeremony);
        uint32 round = ceremonyRound;
        uint8 complainer = _callerTrusteeIndex(round);
        if (accused == 0 || accused > trusteeCount || accused == complainer)
            revert InvalidTrusteeIndex(accused);
        if (trusteeSharesHash[round][accused] == bytes32(0)) revert CeremonyStepNotReady();
        if (evidence.length != COMPLAINT_EVIDENCE_BYTES) {
            revert InvalidEvidenceLength(evidence.length, COMPLAINT_EVIDENCE_BYTES);
        }
        if (hasComplained[round][complainer][accused]) revert AlreadyComplained(complainer, accused);
        hasComplained[round][complainer][accused] = true;
        _rounds[round].complaints += 1;
        emit ComplaintFiled(round, complainer, accused, evidence);
    }

    /// @notice Confirms the joint key the caller computed; the election is Ready when all n agree.
    /// @param proposedJointKey The joint public key (a ristretto255 point).
    function confirmJointKey(bytes32 proposedJointKey) external {
        _requireStoredPhase(Phase.KeyCeremony);
        uint32 round = ceremonyRound;
        uint8 index = _callerTrusteeIndex(round);
        CeremonyRound storage progress = _rounds[round];
        if (progress.sharesPosted != trusteeCount) revert CeremonyStepNotReady();
        if (progress.complaints != 0) revert CeremonyDisputed(round, progress.complaints);
        if (proposedJointKey == bytes32(0)) revert InvalidJointKey();
        if (hasConfirmedJointKey[round][index]) revert AlreadyPosted(index);
        bytes32 candidate = progress.candidateJointKey;
        if (candidate == bytes32(0)) {
            progress.candidateJointKey = proposedJointKey;
        } else if (candidate != proposedJointKey) {
            revert JointKeyMismatch(candidate, proposedJointKey);
        }
        hasConfirmedJointKey[round][index] = true;
        progress.confirmations += 1;
        emit JointKeyConfirmed(round, index, proposedJointKey);
        if (progress.confirmations == trusteeCount) {
            jointKey = proposedJointKey;
            _storedPhase = Phase.Ready;
            emit JointKeyPublished(round, proposedJointKey);
            emit PhaseChanged(Phase.Ready);
        }
    }

    // ----------------------------------------------------------------- ballots

    /// @notice Records a batch of signed ballots. Batch-level faults revert; a faulty ballot is skipped
    /// and reported in BallotRejected with the selector of its custom error (see docs/contracts.md).
    /// @param batch 1..MAX_BATCH signed ballots.
    /// @return accepted The number of ballots recorded.
    function castBallots(
        SignedBallot[] calldata batch
    ) external onlyRole(RELAY_ROLE) whenNotPaused returns (uint256 accepted) {
        _requireVotingWindow();
        uint256 size = batch.length;
        if (size == 0) revert EmptyBatch();
        if (size > MAX_BATCH) revert BatchTooLarge(size, MAX_BATCH);
        bytes32 chained = runningHash;
        for (uint256 position = 0; position < size; ++position) {
            SignedBallot calldata signed = batch[position];
            bytes32 ballotHash = _hashCalldata(signed.ballot);
            (bytes4 reason, bytes32 nullifier) = _checkBallot(signed, ballotHash);
            if (reason != bytes4(0)) {
                emit BallotRejected(position, nullifier, ballotHash, reason);
                continue;
            }
            latestSequence[nullifier] = signed.sequence;
            chained = _hashWords(chained, nullifier, bytes32(uint256(signed.sequence)), ballotHash);
            emit BallotCast(nullifier, signed.sequence, ballotHash, chained);
            unchecked {
                ++accepted;
            }
        }
        if (accepted != 0) {
            runningHash = chained;
            ballotCount += accepted;
        }
    }

    /// @notice Applies the per-ballot rules of castBallots to one ballot against the current state.
    /// @param signed The ballot as a relay would submit it.
    /// @return reason Zero when the ballot would be recorded now, else its custom error's selector.
    /// @return nullifier The ballot's nullifier (zero when the signature does not recover).
    function checkBallot(
        SignedBallot calldata signed
    ) external view returns (bytes4 reason, bytes32 nullifier) {
        return _checkBallot(signed, _hashCalldata(signed.ballot));
    }

    // ----------------------------------------------------------------- tally

    /// @notice Posts the caller's decryption shares of the tally with their proofs.
    /// @param aggregateHash Hash of the aggregate the trustee decrypted (docs/protocol.md).
    /// @param share The encoded decryption shares and proofs.
    function postDecryptionShare(bytes32 aggregateHash, bytes calldata share) external {
        _requirePhase(Phase.Tallying);
        uint8 index = _callerTrusteeIndex(ceremonyRound);
        if (decryptionShareHash[index] != bytes32(0)) revert AlreadyPosted(index);
        if (aggregateHash == bytes32(0)) revert InvalidAggregateHash();
        if (share.length == 0 || share.length > MAX_DECRYPTION_SHARE_BYTES)
            revert InvalidDecryptionShare(share.length);
        decryptionShareHash[index] = keccak256(abi.encode(aggregateHash, share));
        decryptionShareCount += 1;
        emit DecryptionSharePosted(index, aggregateHash, share);
    }

    /// @notice Records an observer's verdict on the published result, with the observer's EIP-712
    /// signature of it, so that the record alone proves who attested what (docs/protocol.md section 9).
    /// @param attestedResultHash The result hash the observer checked.
    /// @param tallyHash The observer's own tally hash (docs/protocol.md), comparable across observers.
    /// @param resultMatches Whether the observer's recomputation matches the published result.
    /// @param signature The caller's 65-byte EIP-712 signature of Attestation(this, the three values).
    function attest(
        bytes32 attestedResultHash,
        bytes32 tallyHash,
        bool resultMatches,
        bytes calldata signature
    ) external onlyRole(OBSERVER_ROLE) {
        _requirePhase(Phase.ResultPublished);
        if (hasAttested[msg.sender]) revert AlreadyAttested(msg.sender);
        bytes32 digest = _hashTypedDataV4(
            keccak256(
                abi.encode(ATTESTATION_TYPEHASH, address(this), attestedResultHash, tallyHash, resultMatches)
            )
        );
        (address signer, ECDSA.RecoverError error, ) = ECDSA.tryRecoverCalldata(digest, signature);
        if (error != ECDSA.RecoverError.NoError || signer != msg.sender) revert InvalidAttestationSignature();
        hasAttested[msg.sender] = true;
        emit AttestationPosted(msg.sender, attestedResultHash, tallyHash, resultMatches, signature);
    }

    // ----------------------------------------------------------------- one person, one channel
    // The online roll, paper ballots issued to online-roll voters and cancellations of the online
    // channel (docs/protocol.md section 11). Everything of it is in this block except the one check
    // of the issuance journal (_journalIssuance) that refuses a credential after a paper ballot.

    bytes32 public constant PRECINCT_ROLE = keccak256("PRECINCT_ROLE");
    /// @notice EIP-712 type of a cancellation signed by the voter's voting key (docs/protocol.md 11.4).
    bytes32 public constant CANCELLATION_TYPEHASH = keccak256(
        "Cancellation(bytes32 voterIdHash,uint32 style,bytes credential)"
    );
    uint256 public constant MAX_ROLL_CHUNK = 500;

    mapping(uint32 style => uint256 size) public onlineRollSize;
    mapping(bytes32 voterIdHash => bool) public hasPaperBallot;
    mapping(uint32 style => uint256 count) public paperBallotCount;
    mapping(uint32 style => uint256 count) public cancellationCount;

    event OnlineRollPublished(uint32 indexed style, bytes32[] voterIdHashes);
    event PaperBallotIssued(bytes32 indexed voterIdHash, uint32 indexed style, address precinct);
    event OnlineBallotCancelled(
        bytes32 indexed voterIdHash,
        bytes32 indexed nullifier,
        uint32 style,
        bytes credential,
        bytes signature
    );

    error InvalidRollChunk(uint256 size, uint256 max);
    error OnlineRollLocked(uint64 opensAt);
    error CredentialAlreadyIssued(bytes32 voterIdHash);
    error PaperBallotAlreadyIssued(bytes32 voterIdHash);
    error NoCredentialToCancel(bytes32 voterIdHash);
    error InvalidCancellationSignature();
    error AlreadyCancelled(bytes32 nullifier);

    /// @notice Publishes keys of the online roll of one ballot style (district), before voting opens.
    /// @param style Ballot style id.
    /// @param voterIdHashes 1..MAX_ROLL_CHUNK journal keys (docs/protocol.md 11.1), none zero.
    function publishOnlineRoll(
        uint32 style,
        bytes32[] calldata voterIdHashes
    ) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (block.timestamp >= opensAt) revert OnlineRollLocked(opensAt);
        if (style >= ballotStyleCount) revert UnknownBallotStyle(style);
        uint256 size = voterIdHashes.length;
        if (size == 0 || size > MAX_ROLL_CHUNK) revert InvalidRollChunk(size, MAX_ROLL_CHUNK);
        for (uint256 i = 0; i < size; ++i) {
            if (voterIdHashes[i] == bytes32(0)) revert InvalidVoterIdHash();
        }
        onlineRollSize[style] += size;
        emit OnlineRollPublished(style, voterIdHashes);
    }

    /// @notice Records a paper ballot handed to an online-roll voter who holds no credential; no
    /// credential can be issued to the voter afterwards.
    /// @param voterIdHash The voter's journal key.
    /// @param style The voter's ballot style.
    function recordPaperBallot(
        bytes32 voterIdHash,
        uint32 style
    ) external onlyRole(PRECINCT_ROLE) whenNotPaused {
        _requirePaperAllowed(voterIdHash, style);
        if (isIssued[voterIdHash]) revert CredentialAlreadyIssued(voterIdHash);
        _recordPaperBallot(voterIdHash, style);
    }

    /// @notice Cancels the online channel of a credential holder (their nullifier takes the highest
    /// sequence, so nothing more is recorded under it and nothing under it counts) and records the
    /// paper ballot handed to them. Only while the online channel is open (Ready or Voting).
    /// @param voterIdHash The voter's journal key.
    /// @param style The voter's ballot style.
    /// @param credential The credential fields LP(prefix) || LP(signature) (docs/protocol.md 5.1).
    /// @param signature The voting key's EIP-712 signature of Cancellation(voterIdHash, style, credential).
    function recordPaperBallotAfterCancellation(
        bytes32 voterIdHash,
        uint32 style,
        bytes calldata credential,
        bytes calldata signature
    ) external onlyRole(PRECINCT_ROLE) whenNotPaused {
        _requirePaperAllowed(voterIdHash, style);
        Phase current = phase();
        if (current != Phase.Ready && current != Phase.Voting) revert WrongPhase(current);
        if (!isIssued[voterIdHash]) revert NoCredentialToCancel(voterIdHash);
        bytes32 digest = _hashTypedDataV4(
            keccak256(abi.encode(CANCELLATION_TYPEHASH, voterIdHash, style, keccak256(credential)))
        );
        (address voter, ECDSA.RecoverError error, ) = ECDSA.tryRecoverCalldata(digest, signature);
        if (error != ECDSA.RecoverError.NoError) revert InvalidCancellationSignature();
        bytes32 nullifier = Hashes.efficientKeccak256(
            bytes32(uint256(uint160(address(this)))),
            bytes32(uint256(uint160(voter)))
        );
        if (latestSequence[nullifier] == type(uint64).max) revert AlreadyCancelled(nullifier);
        latestSequence[nullifier] = type(uint64).max;
        cancellationCount[style] += 1;
        emit OnlineBallotCancelled(voterIdHash, nullifier, style, credential, signature);
        _recordPaperBallot(voterIdHash, style);
    }

    function _requirePaperAllowed(bytes32 voterIdHash, uint32 style) private view {
        Phase current = phase();
        if (current == Phase.KeyCeremony || current == Phase.ResultPublished) revert WrongPhase(current);
        if (voterIdHash == bytes32(0)) revert InvalidVoterIdHash();
        if (style >= ballotStyleCount) revert UnknownBallotStyle(style);
        if (hasPaperBallot[voterIdHash]) revert PaperBallotAlreadyIssued(voterIdHash);
    }

    function _recordPaperBallot(bytes32 voterIdHash, uint32 style) private {
        hasPaperBallot[voterIdHash] = true;
        paperBallotCount[style] += 1;
        emit PaperBallotIssued(voterIdHash, style, msg.sender);
    }

    // ----------------------------------------------------------------- internals

    function _checkBallot(
        SignedBallot calldata signed,
        bytes32 ballotHash
    ) private view returns (bytes4 reason, bytes32 nullifier) {
        uint256 size = signed.ballot.length;
        if (size == 0 || size > MAX_BALLOT_BYTES) return (InvalidBallotSize.selector, bytes32(0));
        bytes32 digest = _hashTypedDataV4(
            keccak256(abi.encode(BALLOT_TYPEHASH, ballotHash, signed.sequence))
        );
        (address voter, ECDSA.RecoverError error, ) = ECDSA.tryRecoverCalldata(digest, signed.signature);
        if (error != ECDSA.RecoverError.NoError) return (InvalidBallotSignature.selector, bytes32(0));
        nullifier = Hashes.efficientKeccak256(
            bytes32(uint256(uint160(address(this)))),
            bytes32(uint256(uint160(voter)))
        );
        uint64 latest = latestSequence[nullifier];
        if (latest != 0 && revotePolicy == RevotePolicy.None) return (RevoteNotAllowed.selector, nullifier);
        if (signed.sequence <= latest) return (SequenceNotHigher.selector, nullifier);
        return (bytes4(0), nullifier);
    }

    /// @dev keccak256 of calldata bytes, using memory past the free pointer as scratch so that a
    /// batch does not grow memory by the size of every ballot.
    function _hashCalldata(bytes calldata data) private pure returns (bytes32 digest) {
        assembly ("memory-safe") {
            let scratch := mload(0x40)
            calldatacopy(scratch, data.offset, data.length)
            digest := keccak256(scratch, data.length)
        }
    }

    /// @dev keccak256(abi.encode(a, b, c)) hashed in scratch memory (no allocation per ballot).
    function _hashWords(bytes32 a, bytes32 b, bytes32 c) private pure returns (bytes32 digest) {
        assembly ("memory-safe") {
            let scratch := mload(0x40)
            mstore(scratch, a)
            mstore(add(scratch, 0x20), b)
            mstore(add(scratch, 0x40), c)
            digest := keccak256(scratch, 0x60)
        }
    }

    /// @dev keccak256(abi.encode(a, b, c, d)) hashed in scratch memory.
    function _hashWords(bytes32 a, bytes32 b, bytes32 c, bytes32 d) private pure returns (bytes32 digest) {
        assembly ("memory-safe") {
            let scratch := mload(0x40)
            mstore(scratch, a)
            mstore(add(scratch, 0x20), b)
            mstore(add(scratch, 0x40), c)
            mstore(add(scratch, 0x60), d)
            digest := keccak256(scratch, 0x80)
        }
    }

    function _appointTrustees(uint32 round, address[] memory appointed) private {
        delete _trustees;
        for (uint256 i = 0; i < appointed.length; ++i) {
            address trustee = appointed[i];
            if (trustee == address(0) || _trusteeIndex[round][trustee] != 0) revert InvalidTrustee(trustee);
            _trusteeIndex[round][trustee] = uint8(i + 1);
            _trustees.push(trustee);
        }
    }

    function _callerTrusteeIndex(uint32 round) private view returns (uint8 index) {
        index = _trusteeIndex[round][msg.sender];
        if (index == 0) revert NotTrustee(msg.sender);
    }

    function _requireStoredPhase(Phase expected) private view {
        if (_storedPhase != expected) revert WrongPhase(phase());
    }

    function _requirePhase(Phase expected) private view {
        Phase current = phase();
        if (current != expected) revert WrongPhase(current);
    }

    function _requireVotingWindow() private view {
        if (_storedPhase != Phase.Ready) revert WrongPhase(phase());
        if (block.timestamp < opensAt || block.timestamp >= closesAt) {
            revert OutsideVotingWindow(uint64(block.timestamp), opensAt, closesAt);
        }
    }
}
