import { keccak256 } from "viem";
import { utf8 } from "../../server/protocol/primitives/bytes";
import {
  conformanceManifest,
  RecordBuilder,
  REGISTRAR_MODULUS,
  type BallotTamper,
  type ConformanceCase,
} from "./kit";

/**
 * The cases of the conformance kit (docs/record.md): honest records (re-votes,
 * an absent trustee, a complaint resolved by a restarted ceremony, a record
 * before the tally) and one record per planted fault, each with what a
 * verifier must report.
 */

/** Six ballots of four voters: two re-votes, both styles. */
async function vote(b: RecordBuilder): Promise<RecordBuilder> {
  await b.cast("n-ann", { mayor: ["ada"], council: ["dee", "eve"] });
  await b.cast("n-ben", { mayor: ["bob"], council: [] });
  await b.cast("s-cat", { mayor: ["cyd"] });
  await b.cast("n-ann", { mayor: ["bob"], council: ["fay"] });
  await b.cast("s-dan", { mayor: ["ada"] });
  await b.cast("s-cat", { mayor: ["ada"] });
  return b;
}

async function honest(seed: string): Promise<RecordBuilder> {
  return vote(new RecordBuilder(seed).ceremonyRound());
}

const TAMPERS: { tamper: BallotTamper; what: string }[] = [
  { tamper: "bytes-mismatch", what: "ballot bytes that do not hash to the event's ballot hash (V5.1)" },
  { tamper: "invalid-signature", what: "a signature with v = 29, which recovers no signer (V5.2)" },
  { tamper: "unknown-style", what: "a ballot naming style 7, signed (V5.3 unknown-style)" },
  { tamper: "truncated", what: "a ballot one byte short, signed (V5.3 malformed-ballot)" },
  { tamper: "forged-credential", what: "a credential issued to another voting address (V5.5)" },
  {
    tamper: "changed-unsigned",
    what: "a ballot changed after signing: another signer recovers, its credential fails (V5.5, not V5.2)",
  },
  { tamper: "bad-proof", what: "a range proof response changed, then signed (V5.6)" },
  { tamper: "nullifier-mismatch", what: "an event nullifier that is not the signer's (V5.7)" },
];

export async function conformanceCases(): Promise<ConformanceCase[]> {
  const cases: ConformanceCase[] = [];

  cases.push(
    (await (await honest("honest-revotes")).decrypt([1, 2]).publish().attest("obs-1")).build(
      "honest-revotes-absent-trustee",
      "Four voters, two re-votes, trustee 3 absent at decryption (t = 2 of 3), the result and one observer's attestation: everything holds.",
    ),
  );

  const restarted = new RecordBuilder("honest-restarted")
    .ceremonyRound({ cheater: 2, victim: 3 })
    .ceremonyRound({ replace: 2 });
  cases.push(
    (await (await vote(restarted)).decrypt([1, 2, 3]).publish().attest("obs-1")).build(
      "honest-restarted-ceremony",
      "Round 0: trustee 2 deals trustee 3 a wrong share, 3 complains, the complaint is upheld; round 1 replaces trustee 2 and publishes the joint key. The upheld complaint of the abandoned round is no finding: everything holds.",
    ),
  );

  cases.push(
    (await honest("honest-open")).build(
      "honest-before-tally",
      "Voting recorded, no decryption share yet: everything holds; the tally's result is null.",
    ),
  );

  for (const { tamper, what } of TAMPERS) {
    const b = new RecordBuilder(`fault-${tamper}`).ceremonyRound();
    await b.cast("n-ann", { mayor: ["ada"], council: ["dee"] });
    await b.cast("n-eli", { mayor: ["bob"], council: ["eve"] }, { tamper });
    await b.cast("s-dan", { mayor: ["cyd"] });
    cases.push(
      b
        .decrypt([1, 2])
        .publish()
        .expectExcluded()
        .build(`fault-ballot-${tamper}`, `One ballot with ${what}: it is excluded, the others counted.`),
    );
  }

  {
    const b = await honest("fault-missing-line");
    b.mutate((record, builder) => {
      // Ballot 2 (s-cat's first, superseded by its re-vote) is left out of ballots.jsonl.
      record.ballots.splice(2, 1);
      builder.ballots.splice(2, 1);
    });
    b.decrypt([1, 2]).publish();
    for (const index of [3, 4, 5]) b.expect("V4.1", "ballot-index", `ballot ${index}`);
    b.expect("V4.3", "count-mismatch", "ledger")
      .expect("V4.4", "running-hash-diverges", b.subject(3))
      .expect("V4.5", "running-hash-contract-mismatch", "ledger");
    cases.push(
      b.build(
        "fault-missing-ballot-line",
        "A ballot line missing: the ledger checks fail (V4.1, V4.3-V4.5) and nothing else: the per-style figures are those of the remaining ballots, no more-counted-than-issued.",
      ),
    );
  }

  cases.push(
    (await honest("fault-other-aggregate"))
      .decrypt([1, 2], { trustee: 2, kind: "other-aggregate" })
      .publish()
      .expect("V7.3", "aggregate-mismatch", "trustee 2")
      .expect("V8.3", "result-not-verifiable", "result")
      .build(
        "fault-share-for-another-aggregate",
        "Trustee 2's share is posted for another aggregate hash (its proofs are of the right one): it does not count, one valid share of t = 2 is left, the published result cannot be verified and the tally's result is null.",
      ),
  );

  cases.push(
    (await honest("fault-invalid-share"))
      .decrypt([1, 2, 3], { trustee: 3, kind: "invalid" })
      .publish()
      .expect("V7.4", "invalid-share", "trustee 3")
      .build(
        "fault-invalid-share",
        "Trustee 3's share has a proof that fails: it does not count; shares 1 and 2 still decrypt the result.",
      ),
  );

  cases.push(
    (await honest("fault-result"))
      .decrypt([1, 2])
      .publish("off-by-one")
      .expect("V8.4", "result-mismatch", "result")
      .build(
        "fault-result-off-by-one",
        "The published result gives Ada one vote more than the shares decrypt.",
      ),
  );

  cases.push(
    (await honest("fault-result-hash"))
      .decrypt([1, 2])
      .publish("wrong-hash")
      .expect("V8.4", "result-hash-mismatch", "result")
      .build(
        "fault-result-hash",
        'The published result bytes are right, the posted resultHash is not H32("result"; Q, bytes).',
      ),
  );

  {
    const b = (await honest("fault-manifest")).decrypt([1, 2]).publish();
    b.mutate((record, builder) => {
      const pretty = `${JSON.stringify(JSON.parse(new TextDecoder().decode(Buffer.from(record.manifest.slice(2), "hex"))), null, 2)}\n`;
      record.manifest = `0x${Buffer.from(pretty, "utf8").toString("hex")}`;
      void builder;
    });
    b.expect("V1.2", "manifest-not-canonical", "manifest").expect(
      "V1.3",
      "manifest-hash-mismatch",
      "manifest",
    );
    cases.push(
      b.build(
        "fault-manifest-pretty-printed",
        "manifest.json holds the same manifest pretty-printed: its bytes are not canonical and do not hash to manifestHash. Q0 and Q take the hash of the canonical bytes, so everything else holds.",
      ),
    );
  }

  {
    const b = await honest("fault-modulus");
    b.mutate((record) => {
      const even = Buffer.from(REGISTRAR_MODULUS.slice(2), "hex");
      even[even.length - 1] &= 0xfe;
      record.registrarKeys[1] = { style: 1, modulus: `0x${even.toString("hex")}` };
    });
    b.excludeStyle(1, "registrar-key-missing").decrypt([1, 2]).publish();
    b.expect("V3.2", "invalid-modulus", "style 1").expectExcluded();
    cases.push(
      b.build(
        "fault-invalid-registrar-modulus",
        "Style 1's registrar modulus is even: V3.2 fails, the style has no valid key and each of its ballots is excluded as registrar-key-missing (V5.4).",
      ),
    );
  }

  {
    const b = new RecordBuilder(
      "fault-policy-none",
      conformanceManifest({ revotePolicy: "none" }),
    ).ceremonyRound();
    await b.cast("n-ann", { mayor: ["ada"], council: [] });
    await b.cast("s-dan", { mayor: ["bob"] });
    await b.cast("n-ann", { mayor: ["cyd"], council: ["fay"] });
    b.decrypt([1, 2]).publish().expect("V5.8", "revote-not-allowed", b.subject(2));
    cases.push(
      b.build(
        "fault-policy-none-two-ballots",
        "Policy none, yet two valid ballots of one voter are recorded: V5.8 fails; the counting rule is the same as for re-votes (the last valid ballot counts, the first is superseded).",
      ),
    );
  }

  {
    const b = await honest("fault-unjournaled");
    await b.cast("n-gus", { mayor: ["cyd"], council: ["dee"] }, { unjournaled: true });
    b.decrypt([1, 2])
      .publish()
      .expect("V6.3", "more-counted-than-issued", "style 0 (north)")
      // The reconciliation of channels (protocol.md 11.6) sees the same excess.
      .expect("V10.5", "online-exceeds-credentials", "style 0 (north)");
    cases.push(
      b.build(
        "fault-more-counted-than-issued",
        "A valid ballot whose credential was never journaled: style north counts 3 ballots for 2 issued credentials.",
      ),
    );
  }

  {
    const b = (await honest("warnings-attestation")).decrypt([1, 2]).publish();
    await b.attest("obs-1");
    await b.attest("obs-2", { tallyHash: keccak256(utf8("another tally")), resultMatches: false });
    const observer = b.lastObserver();
    b.expect("V9.2", "tally-differs", `observer ${observer}`).expect(
      "V9.3",
      "disputes-result",
      `observer ${observer}`,
    );
    cases.push(
      b.build(
        "warnings-only-disputing-observer",
        'Everything holds, but a second observer attests another tally and disputes the result: warnings only, verdict holds-with-warnings, exit 1 (not "everything holds").',
      ),
    );
  }

  {
    const b = (await honest("fault-attestation")).decrypt([1, 2]).publish();
    await b.attest("obs-1", { signedBy: "obs-3" });
    b.expect("V9.1", "attestation-signature-invalid", `observer ${b.lastObserver()}`);
    cases.push(
      b.build(
        "fault-attestation-signature",
        "An attestation whose EIP-712 signature is another key's: the record was not read from a contract that checks it (V9.1).",
      ),
    );
  }

  {
    const b = new RecordBuilder("fault-failed-ceremony").ceremonyRound({ cheater: 2, victim: 3 });
    await b.cast("n-ann", { mayor: ["ada"], council: [] });
    b.expect("V4.2", "ballots-without-context", "ledger");
    cases.push(
      b.build(
        "fault-failed-ceremony",
        "The only ceremony round is disputed (an upheld complaint) and publishes no joint key, yet a ballot is recorded: no ballot can be checked (V4.2), the ledger checks still run, no tally.",
        { noContext: true },
      ),
    );
  }
  return cases;
}
