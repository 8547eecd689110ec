//! Native crypto core of ballot-ledger (server/protocol/primitives/backend.ts): ristretto255 on
//! curve25519-dalek, secp256k1 public-key recovery on k256 and the voter's side of RFC 9474 blind
//! RSA on blind-rsa-signatures, as a Node addon (napi-rs).
//! Built by scripts/build-native.cjs; the libsodium wasm backend computes the same bytes and
//! test/protocol/backend.test.ts cross-checks the two (and @noble/curves, viem).
//!
//! Every function is synchronous, keeps no state but a per-thread cache of precomputed tables
//! for the election keys it has seen, and takes Uint8Array (or Buffer) arguments of fixed size
//! (an error otherwise). Results are fresh Uint8Arrays.
//!
//! Scalar arguments of `scalarMul` / `baseMul` follow libsodium's crypto_scalarmult_ristretto255:
//! any 32 bytes, the top bit cleared, the rest read as an integer (so reduced modulo q); the
//! identity result is returned as 32 zero bytes (libsodium refuses it; backend.ts maps that
//! refusal to the identity too). Point arguments must be canonical ristretto255 encodings
//! (RFC 9496 section 4.3.1; the identity included).

use std::cell::RefCell;
use std::collections::HashMap;

use blind_rsa_signatures::reexports::crypto_bigint::BoxedUint;
use blind_rsa_signatures::reexports::rsa::RsaPublicKey;
use blind_rsa_signatures::{
    BlindMessage, BlindSignature, BlindingResult, DefaultRng, PublicKeySha384PSSDeterministic,
    Secret,
};
use curve25519_dalek::constants::{RISTRETTO_BASEPOINT_POINT, RISTRETTO_BASEPOINT_TABLE};
use curve25519_dalek::ristretto::{
    CompressedRistretto, RistrettoPoint, VartimeRistrettoPrecomputation,
};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, VartimePrecomputedMultiscalarMul};
use k256::ecdsa::{Signature, SigningKey};
use k256::elliptic_curve::group::Group;
use k256::elliptic_curve::ops::{LinearCombination, Reduce};
use k256::elliptic_curve::point::DecompressPoint;
use k256::elliptic_curve::sec1::ToEncodedPoint;
use k256::elliptic_curve::subtle::Choice;
use k256::elliptic_curve::PrimeField;
use k256::{AffinePoint, ProjectivePoint, Scalar as K256Scalar, U256};
use napi::bindgen_prelude::{Error, Result, Status, Uint32Array, Uint8Array};
use napi_derive::napi;
use sha3::{Digest, Keccak256};

const BYTES: usize = 32;

fn invalid_arg(what: &str, expected: usize, got: usize) -> Error {
    Error::new(
        Status::InvalidArg,
        format!("{what} must be {expected} bytes, got {got}"),
    )
}

fn fixed<'a>(what: &str, bytes: &'a [u8]) -> Result<&'a [u8; BYTES]> {
    bytes
        .try_into()
        .map_err(|_| invalid_arg(what, BYTES, bytes.len()))
}

/// Points decoded by isValidPoint (the ballot decoder's check), kept decoded for the proof
/// commitments that follow on the same thread: each ciphertext point is decompressed once.
/// Keyed by the exact bytes, so a hit returns what decompressing them would.
const DECODED_CACHE: usize = 512;

thread_local! {
    static DECODED: RefCell<HashMap<[u8; BYTES], RistrettoPoint>> = RefCell::new(HashMap::new());
}

fn decode_point(what: &str, bytes: &[u8]) -> Result<RistrettoPoint> {
    let bytes = fixed(what, bytes)?;
    if let Some(point) = DECODED.with(|cache| cache.borrow().get(bytes).copied()) {
        return Ok(point);
    }
    CompressedRistretto(*bytes).decompress().ok_or_else(|| {
        Error::from_reason(format!("{what}: not a valid ristretto255 point encoding"))
    })
}

/// libsodium's reading of a scalar for crypto_scalarmult_ristretto255(_base): top bit cleared.
fn sodium_scalar(what: &str, bytes: &[u8]) -> Result<Scalar> {
    let mut s = *fixed(what, bytes)?;
    s[31] &= 0x7f;
    Ok(Scalar::from_bytes_mod_order(s))
}

fn canonical_scalar(what: &str, bytes: &[u8]) -> Result<Scalar> {
    Option::from(Scalar::from_canonical_bytes(*fixed(what, bytes)?))
        .ok_or_else(|| Error::from_reason(format!("{what}: not a canonical scalar")))
}

fn encode(point: &RistrettoPoint) -> Uint8Array {
    Uint8Array::new(point.compress().to_bytes().to_vec())
}

/// s * P (the identity for s = 0 mod q or P = identity).
#[napi(js_name = "scalarMul")]
pub fn scalar_mul(scalar: Uint8Array, point: Uint8Array) -> Result<Uint8Array> {
    let p = decode_point("point", &point)?;
    Ok(encode(&(sodium_scalar("scalar", &scalar)? * p)))
}

/// s * G with the precomputed base-point table (constant time).
#[napi(js_name = "baseMul")]
pub fn base_mul(scalar: Uint8Array) -> Result<Uint8Array> {
    Ok(encode(
        &(RISTRETTO_BASEPOINT_TABLE * &sodium_scalar("scalar", &scalar)?),
    ))
}

#[napi]
pub fn add(p: Uint8Array, q: Uint8Array) -> Result<Uint8Array> {
    Ok(encode(&(decode_point("p", &p)? + decode_point("q", &q)?)))
}

#[napi]
pub fn sub(p: Uint8Array, q: Uint8Array) -> Result<Uint8Array> {
    Ok(encode(&(decode_point("p", &p)? - decode_point("q", &q)?)))
}

/// Canonical ristretto255 encoding (the identity included).
#[napi(js_name = "isValidPoint")]
pub fn is_valid_point(bytes: Uint8Array) -> Result<bool> {
    let bytes = *fixed("point", &bytes)?;
    let Some(point) = CompressedRistretto(bytes).decompress() else {
        return Ok(false);
    };
    DECODED.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() >= DECODED_CACHE {
            cache.clear();
        }
        cache.insert(bytes, point);
    });
    Ok(true)
}

/// Precomputed wNAF tables of the fixed bases: G, and the election key K (one per key seen).
struct KeyTables {
    key: [u8; BYTES],
    tables: VartimeRistrettoPrecomputation,
}

struct Tables {
    base: VartimeRistrettoPrecomputation,
    keys: Vec<KeyTables>,
}

/// A handful of keys per thread: an observer or auditor may check several elections.
const KEY_CACHE: usize = 4;

thread_local! {
    static TABLES: RefCell<Option<Tables>> = const { RefCell::new(None) };
}

fn with_tables<T>(
    key_bytes: &[u8],
    f: impl FnOnce(&VartimeRistrettoPrecomputation, &VartimeRistrettoPrecomputation) -> Result<T>,
) -> Result<T> {
    let key = *fixed("key", key_bytes)?;
    TABLES.with(|cell| {
        let mut slot = cell.borrow_mut();
        let tables = slot.get_or_insert_with(|| Tables {
            base: VartimeRistrettoPrecomputation::new([RISTRETTO_BASEPOINT_POINT]),
            keys: Vec::new(),
        });
        let index = match tables.keys.iter().position(|entry| entry.key == key) {
            Some(index) => index,
            None => {
                let point = decode_point("key", &key)?;
                if tables.keys.len() >= KEY_CACHE {
                    tables.keys.remove(0);
                }
                tables.keys.push(KeyTables {
                    key,
                    tables: VartimeRistrettoPrecomputation::new([point]),
                });
                tables.keys.len() - 1
            }
        };
        f(&tables.base, &tables.keys[index].tables)
    })
}

/// 1/2 modulo q, little-endian: (q + 1) / 2.
const HALF_BYTES: [u8; BYTES] = [
    0xf7, 0xe9, 0x7a, 0x2e, 0x8d, 0x31, 0x09, 0x2c, 0x6b, 0xce, 0x7b, 0x51, 0xef, 0x7c, 0x6f, 0x0a,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08,
];

/// Output bytes with the encodings of some points still to be written: each point is kept as
/// P/2 and all are encoded at the end by one double_and_compress_batch (one field inversion
/// for all instead of one each; the encoding of 2 * (P/2) is that of P). The identity (whose
/// batch state would zero the common inverse) is left as its encoding, 32 zero bytes.
struct Output {
    bytes: Vec<u8>,
    halves: Vec<(usize, RistrettoPoint)>,
}

impl Output {
    fn with_capacity(capacity: usize) -> Output {
        Output {
            bytes: Vec::with_capacity(capacity),
            halves: Vec::new(),
        }
    }

    fn push_half(&mut self, half: RistrettoPoint) {
        self.halves.push((self.bytes.len(), half));
        self.bytes.extend_from_slice(&[0u8; BYTES]);
    }

    fn finish(mut self) -> Uint8Array {
        let identity = RistrettoPoint::identity();
        let live: Vec<&(usize, RistrettoPoint)> = self
            .halves
            .iter()
            .filter(|(_, half)| *half != identity)
            .collect();
        let encodings =
            RistrettoPoint::double_and_compress_batch(live.iter().map(|(_, half)| half));
        for ((offset, _), encoding) in live.iter().zip(encodings.iter()) {
            self.bytes[*offset..*offset + BYTES].copy_from_slice(encoding.as_bytes());
        }
        Uint8Array::new(self.bytes)
    }
}

/// Appends sum(c_j) || a_0 || b_0 || ... || a_{n-1} || b_{n-1} for one disjunctive proof
/// (protocol.md section 4.2) over the ciphertext (A, B) and the range lo..lo + n - 1:
///
///   a_j = z_j*G - c_j*A,   b_j = z_j*K - c_j*(B - (lo + j)*G)
///
/// each commitment (halved: see Output) one multi-scalar multiplication over a precomputed
/// table (G or K) and one variable base; B - m*G stays decoded from one branch to the next.
fn append_commitments(
    out: &mut Output,
    base: &VartimeRistrettoPrecomputation,
    key: &VartimeRistrettoPrecomputation,
    a: &RistrettoPoint,
    b: &RistrettoPoint,
    lo: u32,
    proof: &[u8],
) -> Result<()> {
    let n = proof.len() / (2 * BYTES);
    let mut sum = Scalar::ZERO;
    let mut scalars = Vec::with_capacity(2 * n);
    for chunk in proof.chunks_exact(BYTES) {
        scalars.push(canonical_scalar("proof scalar", chunk)?);
    }
    for c in &scalars[..n] {
        sum += c;
    }
    out.bytes.extend_from_slice(sum.as_bytes());
    let half = Scalar::from_canonical_bytes(HALF_BYTES).expect("(q + 1) / 2 is canonical");
    let mut shifted = if lo == 0 {
        *b
    } else {
        b - RISTRETTO_BASEPOINT_TABLE * &Scalar::from(lo)
    };
    for j in 0..n {
        let half_c = scalars[j] * half;
        let half_z = scalars[n + j] * half;
        out.push_half(base.vartime_mixed_multiscalar_mul([half_z], [-half_c], [*a]));
        out.push_half(key.vartime_mixed_multiscalar_mul([half_z], [-half_c], [shifted]));
        if j + 1 < n {
            shifted -= RISTRETTO_BASEPOINT_POINT;
        }
    }
    Ok(())
}

fn check_proof_length(what: &str, length: usize, branches: usize) -> Result<()> {
    if branches == 0 || length != 2 * BYTES * branches {
        return Err(Error::new(
            Status::InvalidArg,
            format!("{what} must be 64 bytes per branch ({branches} branches), got {length}"),
        ));
    }
    Ok(())
}

/// One disjunctive proof's challenge sum and recomputed commitments (see append_commitments),
/// `proof` = c_0 .. c_{n-1} || z_0 .. z_{n-1} with canonical scalars; A, B and K may be the
/// identity. Returns 32 + 64 * n bytes; the caller hashes the commitments into the challenge.
#[napi(js_name = "rangeProofCommitments")]
pub fn range_proof_commitments(
    key: Uint8Array,
    a: Uint8Array,
    b: Uint8Array,
    lo: u32,
    proof: Uint8Array,
) -> Result<Uint8Array> {
    check_proof_length("proof", proof.len(), proof.len() / (2 * BYTES))?;
    let a_point = decode_point("a", &a)?;
    let b_point = decode_point("b", &b)?;
    with_tables(&key, |base, key_tables| {
        let mut out = Output::with_capacity(BYTES + proof.len());
        append_commitments(&mut out, base, key_tables, &a_point, &b_point, lo, &proof)?;
        Ok(out.finish())
    })
}

/// Every proof of a ballot in one call (protocol.md section 5.3). `body` is the ballot's
/// encoding after the credential: per contest, per option A || B || c0 || c1 || z0 || z1, then
/// the contest's range proof; `shape` holds (options, lo, hi) per contest. Returns, per contest:
/// per option sum(c) || a0 || b0 || a1 || b1 (160 bytes), then the summed ciphertext
/// sum(A) || sum(B), then the range proof's sum(c) || commitments (32 + 64 * (hi - lo + 1)).
#[napi(js_name = "ballotCommitments")]
pub fn ballot_commitments(
    key: Uint8Array,
    body: Uint8Array,
    shape: Uint32Array,
) -> Result<Uint8Array> {
    if shape.len() % 3 != 0 {
        return Err(Error::new(
            Status::InvalidArg,
            format!("shape must hold 3 numbers per contest, got {}", shape.len()),
        ));
    }
    let mut expected = 0usize;
    let mut output = 0usize;
    for contest in shape.chunks_exact(3) {
        let (options, lo, hi) = (contest[0] as usize, contest[1], contest[2]);
        if hi < lo || hi - lo >= 65 || options == 0 || options > 1024 {
            return Err(Error::new(
                Status::InvalidArg,
                format!("bad contest shape ({options}, {lo}, {hi})"),
            ));
        }
        let branches = (hi - lo) as usize + 1;
        expected += options * 6 * BYTES + 2 * BYTES * branches;
        output += options * 5 * BYTES + 3 * BYTES + 2 * BYTES * branches;
    }
    if body.len() != expected {
        return Err(Error::new(
            Status::InvalidArg,
            format!(
                "body must be {expected} bytes for this shape, got {}",
                body.len()
            ),
        ));
    }
    with_tables(&key, |base, key_tables| {
        let mut out = Output::with_capacity(output);
        let mut offset = 0usize;
        for contest in shape.chunks_exact(3) {
            let (options, lo, hi) = (contest[0] as usize, contest[1], contest[2]);
            let mut sum_a = RistrettoPoint::identity();
            let mut sum_b = RistrettoPoint::identity();
            for _ in 0..options {
                let a = decode_point("a", &body[offset..offset + BYTES])?;
                let b = decode_point("b", &body[offset + BYTES..offset + 2 * BYTES])?;
                append_commitments(
                    &mut out,
                    base,
                    key_tables,
                    &a,
                    &b,
                    0,
                    &body[offset + 2 * BYTES..offset + 6 * BYTES],
                )?;
                sum_a += a;
                sum_b += b;
                offset += 6 * BYTES;
            }
            out.bytes.extend_from_slice(sum_a.compress().as_bytes());
            out.bytes.extend_from_slice(sum_b.compress().as_bytes());
            let length = 2 * BYTES * ((hi - lo) as usize + 1);
            append_commitments(
                &mut out,
                base,
                key_tables,
                &sum_a,
                &sum_b,
                lo,
                &body[offset..offset + length],
            )?;
            offset += length;
        }
        Ok(out.finish())
    })
}

/// keccak256 (Ethereum's), for the ballot hash and the EIP-712 digest.
#[napi]
pub fn keccak256(data: Uint8Array) -> Uint8Array {
    Uint8Array::new(Keccak256::digest(&data[..]).to_vec())
}

/// secp256k1 order / 2 (big-endian): a larger s is a malleable copy, refused as OpenZeppelin's
/// ECDSA and recoverBallotSigner refuse it.
const HALF_ORDER: [u8; BYTES] = [
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
];

/// The Ethereum address that signed a 32-byte digest with a 65-byte r || s || v signature, or
/// null: v must be 27 or 28, r and s in [1, n - 1], s <= n / 2, and R must be a curve point
/// (the checks of ecrecover plus OpenZeppelin's low-s rule). Never throws on a bad signature.
#[napi]
pub fn ecrecover(digest: Uint8Array, signature: Uint8Array) -> Result<Option<Uint8Array>> {
    let digest = fixed("digest", &digest)?;
    if signature.len() != 65 {
        return Err(invalid_arg("signature", 65, signature.len()));
    }
    let v = signature[64];
    if v != 27 && v != 28 {
        return Ok(None);
    }
    if signature[32..64] > HALF_ORDER[..] {
        return Ok(None);
    }
    // r and s in [1, n - 1].
    let Ok(sig) = Signature::from_slice(&signature[..64]) else {
        return Ok(None);
    };
    let (r, s) = sig.split_scalars();
    // R: the curve point with x = r and the parity v - 27 (r < n < p, so x = r + n never arises).
    let r_point = AffinePoint::decompress(&r.to_repr(), Choice::from(v - 27));
    let Some(r_point) = Option::<AffinePoint>::from(r_point) else {
        return Ok(None);
    };
    // Q = r^-1 * (s*R - e*G), e the digest reduced modulo n (SEC 1 4.1.6, as ecrecover; unlike
    // k256's recover_from_prehash, without re-verifying the signature under Q, which holds by
    // construction).
    let e = <K256Scalar as Reduce<U256>>::reduce_bytes(digest.into());
    let Some(r_inv) = Option::<K256Scalar>::from((*r).invert()) else {
        return Ok(None);
    };
    let q = ProjectivePoint::lincomb(
        &ProjectivePoint::GENERATOR,
        &-(r_inv * e),
        &ProjectivePoint::from(r_point),
        &(r_inv * *s),
    );
    if bool::from(q.is_identity()) {
        return Ok(None);
    }
    let point = q.to_affine().to_encoded_point(false);
    let hash = Keccak256::digest(&point.as_bytes()[1..]);
    Ok(Some(Uint8Array::new(hash[12..].to_vec())))
}

/// An ECDSA signature r || s || v (v = 27 + y parity of R) of a 32-byte digest with a secp256k1
/// private key: RFC 6979 deterministic nonce, low s (k256's sign_prehash_recoverable), the
/// bytes viem's LocalAccount.sign gives. For the relay's receipts.
#[napi(js_name = "signDigest")]
pub fn sign_digest(private_key: Uint8Array, digest: Uint8Array) -> Result<Uint8Array> {
    let key = SigningKey::from_slice(fixed("private key", &private_key)?).map_err(|_| {
        Error::new(
            Status::InvalidArg,
            "private key must be in [1, n - 1]".to_string(),
        )
    })?;
    let (signature, recovery) = key
        .sign_prehash_recoverable(fixed("digest", &digest)?)
        .map_err(|_| Error::from_reason("signing failed"))?;
    let mut out = signature.to_bytes().to_vec();
    out.push(27 + recovery.to_byte());
    Ok(Uint8Array::new(out))
}

/// Running sums of ristretto255 points kept decoded (the homomorphic tally, protocol.md section
/// 6): `slots` sums, each starting at the identity; `add` / `sub` take the 32-byte encodings of
/// consecutive slots from `first` on and decode each once (a point isValidPoint just checked is
/// not decompressed again); `encode` gives every sum's encoding, 32 bytes a slot, in order.
/// An invalid encoding or a range past the last slot changes no sum.
#[napi(js_name = "PointSums")]
pub struct PointSums {
    sums: Vec<RistrettoPoint>,
}

impl PointSums {
    fn decoded(&self, first: u32, points: &[u8]) -> Result<Vec<RistrettoPoint>> {
        if points.len() % BYTES != 0 {
            return Err(Error::new(
                Status::InvalidArg,
                format!("points must be 32 bytes each, got {} bytes", points.len()),
            ));
        }
        let count = points.len() / BYTES;
        if first as usize + count > self.sums.len() {
            return Err(Error::new(
                Status::InvalidArg,
                format!(
                    "{count} points from slot {first} pass the last of {} slots",
                    self.sums.len()
                ),
            ));
        }
        points
            .chunks_exact(BYTES)
            .map(|chunk| decode_point("point", chunk))
            .collect()
    }
}

#[napi]
impl PointSums {
    #[napi(constructor)]
    pub fn new(slots: u32) -> PointSums {
        PointSums {
            sums: vec![RistrettoPoint::identity(); slots as usize],
        }
    }

    /// sums[first + i] += points[i]
    #[napi]
    pub fn add(&mut self, first: u32, points: Uint8Array) -> Result<()> {
        let decoded = self.decoded(first, &points)?;
        for (sum, point) in self.sums[first as usize..].iter_mut().zip(decoded) {
            *sum += point;
        }
        Ok(())
    }

    /// sums[first + i] -= points[i]
    #[napi]
    pub fn sub(&mut self, first: u32, points: Uint8Array) -> Result<()> {
        let decoded = self.decoded(first, &points)?;
        for (sum, point) in self.sums[first as usize..].iter_mut().zip(decoded) {
            *sum -= point;
        }
        Ok(())
    }

    /// Every sum's canonical encoding (the identity as 32 zero bytes), slot after slot.
    #[napi]
    pub fn encode(&self) -> Uint8Array {
        let mut out = Vec::with_capacity(self.sums.len() * BYTES);
        for sum in &self.sums {
            out.extend_from_slice(sum.compress().as_bytes());
        }
        Uint8Array::new(out)
    }
}

/// The registrar key of a credential (credential.ts): the big-endian modulus of 256, 384 or 512
/// bytes, public exponent 65537, RSABSSA-SHA384-PSS (MGF1-SHA-384, salt 48 bytes). The message
/// given is already prepared (credential.ts prepends the 32-byte random prefix: RFC 9474's
/// Randomized variant), so the crate's Deterministic preparation (the message as it is) applies.
fn registrar_key(modulus: &[u8]) -> Result<PublicKeySha384PSSDeterministic> {
    if ![256, 384, 512].contains(&modulus.len()) {
        return Err(Error::new(
            Status::InvalidArg,
            format!(
                "modulus must be 256, 384 or 512 bytes, got {}",
                modulus.len()
            ),
        ));
    }
    let n = BoxedUint::from_be_slice(modulus, modulus.len() as u32 * 8)
        .map_err(|_| Error::new(Status::InvalidArg, "modulus is not an integer".to_string()))?;
    let key = RsaPublicKey::new(n, BoxedUint::from(65537u32))
        .map_err(|e| Error::new(Status::InvalidArg, format!("invalid RSA modulus: {e}")))?;
    Ok(PublicKeySha384PSSDeterministic::new(key))
}

/// RFC 9474 section 4.2 Blind, the voter's request for a credential: blinded message || inverse,
/// each as long as the modulus, the bytes @cloudflare/blindrsa-ts's `blind` gives (its `inv` is
/// the crate's secret, r^-1 mod n). The PSS salt and the blinding factor r come from the
/// operating system's generator.
#[napi(js_name = "blindRsaBlind")]
pub fn blind_rsa_blind(modulus: Uint8Array, prepared_message: Uint8Array) -> Result<Uint8Array> {
    let key = registrar_key(&modulus)?;
    let blinded = key
        .blind(&mut DefaultRng, &*prepared_message)
        .map_err(|e| Error::from_reason(format!("blinding failed: {e}")))?;
    let mut out = blinded.blind_message.0;
    out.extend_from_slice(&blinded.secret.0);
    Ok(Uint8Array::new(out))
}

/// RFC 9474 section 4.4 Finalize: the signature over the prepared message from the registrar's
/// blind signature and the request's inverse, checked against the key (an error when it does
/// not verify, as blindrsa-ts's `finalize` throws).
#[napi(js_name = "blindRsaFinalize")]
pub fn blind_rsa_finalize(
    modulus: Uint8Array,
    prepared_message: Uint8Array,
    blind_signature: Uint8Array,
    inverse: Uint8Array,
) -> Result<Uint8Array> {
    let key = registrar_key(&modulus)?;
    for (what, value) in [("blind signature", &blind_signature), ("inverse", &inverse)] {
        if value.len() != modulus.len() {
            return Err(invalid_arg(what, modulus.len(), value.len()));
        }
    }
    let request = BlindingResult {
        blind_message: BlindMessage(Vec::new()),
        secret: Secret(inverse.to_vec()),
        msg_randomizer: None,
    };
    let signature = key
        .finalize(
            &BlindSignature(blind_signature.to_vec()),
            &request,
            &*prepared_message,
        )
        .map_err(|_| Error::from_reason("invalid signature".to_string()))?;
    Ok(Uint8Array::new(signature.0))
}
