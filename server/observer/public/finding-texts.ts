import type { ExclusionCode } from "../../protocol/counting";
import type { FindingCode } from "../../verification/findings";

/**
 * What each finding of the verification means, in Russian and English, by its
 * code (the closed union of server/verification/findings.ts): the dashboard
 * shows these sentences, never the verifier's English `reason`, which it keeps
 * only as a technical detail. The type makes a code without a text a compile
 * error; test/booth/dashboard-texts.test.ts checks every code of CHECKS at run
 * time too. dashboard.ts serves this table as /finding-texts.js.
 */
export interface FindingText {
  en: string;
  ru: string;
}

export const FINDING_TEXTS: Record<FindingCode, FindingText> = {
  // V1: manifest
  "manifest-unparsable": {
    en: "The manifest published with the election cannot be read: its rules are unknown.",
    ru: "Манифест, опубликованный при создании выборов, не читается: правила выборов неизвестны.",
  },
  "manifest-not-canonical": {
    en: "The published manifest bytes are not in the canonical form the protocol requires.",
    ru: "Опубликованный манифест записан не в канонической форме, которую требует протокол.",
  },
  "manifest-hash-mismatch": {
    en: "The manifest's hash held by the contract is not the hash of the published manifest.",
    ru: "Хеш манифеста в контракте не совпадает с хешем опубликованного манифеста.",
  },
  "parameters-mismatch": {
    en: "The contract's parameters (trustees, ballot styles, re-vote policy) differ from the manifest.",
    ru: "Параметры контракта (доверенные лица, виды бюллетеня, правило переголосования) расходятся с манифестом.",
  },
  "window-mismatch": {
    en: "The contract closes voting earlier than the manifest says.",
    ru: "Контракт завершает голосование раньше срока, указанного в манифесте.",
  },
  // V2: key ceremony
  "several-joint-keys": {
    en: "More than one round of the key ceremony published an election key.",
    ru: "Ключ выборов опубликован более чем в одном раунде церемонии ключей.",
  },
  "keys-missing": {
    en: "A trustee did not publish their keys in the key ceremony.",
    ru: "Доверенное лицо не опубликовало свои ключи в церемонии ключей.",
  },
  "keys-malformed": {
    en: "A trustee's published keys cannot be read.",
    ru: "Опубликованные ключи доверенного лица не читаются.",
  },
  "proof-of-knowledge-invalid": {
    en: "A trustee's proof that they know their secret key does not verify.",
    ru: "Доказательство того, что доверенное лицо знает свой секретный ключ, не проходит проверку.",
  },
  "duplicate-keys": {
    en: "A trustee published keys twice in one round of the key ceremony.",
    ru: "Доверенное лицо дважды опубликовало ключи в одном раунде церемонии ключей.",
  },
  "shares-missing": {
    en: "A trustee did not publish the key shares meant for the other trustees.",
    ru: "Доверенное лицо не опубликовало доли ключа для других доверенных лиц.",
  },
  "shares-malformed": {
    en: "A trustee's published key shares cannot be read.",
    ru: "Опубликованные доли ключа доверенного лица не читаются.",
  },
  "duplicate-shares": {
    en: "A trustee published key shares twice in one round of the key ceremony.",
    ru: "Доверенное лицо дважды опубликовало доли ключа в одном раунде церемонии ключей.",
  },
  "complaint-upheld": {
    en: "A complaint against this trustee is founded: they gave another trustee a wrong key share.",
    ru: "Жалоба на это доверенное лицо обоснована: оно передало другому доверенному лицу неверную долю ключа.",
  },
  "complaint-unfounded": {
    en: "This trustee complained about a key share that was in fact correct.",
    ru: "Это доверенное лицо пожаловалось на долю ключа, которая на самом деле верна.",
  },
  "complaint-evidence-invalid": {
    en: "A complaint in the key ceremony cannot be judged: the keys or shares it concerns are missing.",
    ru: "Жалобу в церемонии ключей нельзя рассмотреть: нет ключей или долей, к которым она относится.",
  },
  "confirmation-mismatch": {
    en: "A trustee confirmed an election key other than the published one.",
    ru: "Доверенное лицо подтвердило не тот ключ выборов, что опубликован.",
  },
  "confirmations-missing": {
    en: "Not every trustee confirmed the election key.",
    ru: "Ключ выборов подтвердили не все доверенные лица.",
  },
  "joint-key-mismatch": {
    en: "The published election key is not the one the trustees' commitments give.",
    ru: "Опубликованный ключ выборов не совпадает с ключом, который следует из обязательств доверенных лиц.",
  },
  // V3: registrar keys
  "registrar-key-unknown-style": {
    en: "The registrar published a key for a ballot style the election does not have.",
    ru: "Регистратор опубликовал ключ для вида бюллетеня, которого нет в этих выборах.",
  },
  "invalid-modulus": {
    en: "A registrar key is not a valid RSA key.",
    ru: "Ключ регистратора не является корректным ключом RSA.",
  },
  "registrar-key-absent": {
    en: "This ballot style has no registrar key: no voter of it can get a credential.",
    ru: "Для этого вида бюллетеня нет ключа регистратора: его избиратели не могут получить удостоверение.",
  },
  // V4: the ledger of recorded ballots
  "ballot-index": {
    en: "A ballot is recorded under a number out of order.",
    ru: "Бюллетень записан под номером не по порядку.",
  },
  "ballots-without-context": {
    en: "Ballots are recorded, but there is no valid election key to check them against.",
    ru: "Бюллетени записаны, но нет действительного ключа выборов, чтобы их проверить.",
  },
  "count-mismatch": {
    en: "The contract's ballot count differs from the number of recorded ballots.",
    ru: "Число бюллетеней в контракте расходится с числом записанных бюллетеней.",
  },
  "running-hash-diverges": {
    en: "From this ballot on, the running hash recomputed by the observer differs from the recorded one.",
    ru: "Начиная с этого бюллетеня сквозной хеш, пересчитанный наблюдателем, расходится с записанным.",
  },
  "running-hash-contract-mismatch": {
    en: "The running hash held by the contract differs from the one recomputed over all ballots.",
    ru: "Сквозной хеш в контракте расходится с хешем, пересчитанным по всем бюллетеням.",
  },
  // V5: each recorded ballot (a ballot that fails is excluded from the count)
  "bytes-mismatch": {
    en: "The ballot's data in the transaction is not what the contract recorded: the ballot is not counted.",
    ru: "Данные бюллетеня в транзакции не совпадают с записанными контрактом: бюллетень не учитывается.",
  },
  "invalid-signature": {
    en: "The voter's signature on the ballot does not verify: the ballot is not counted.",
    ru: "Подпись избирателя на бюллетене не проходит проверку: бюллетень не учитывается.",
  },
  "unknown-style": {
    en: "The ballot is of a ballot style the election does not have: it is not counted.",
    ru: "Бюллетень относится к виду, которого нет в этих выборах: он не учитывается.",
  },
  "malformed-ballot": {
    en: "The ballot cannot be read: it is not counted.",
    ru: "Бюллетень не читается: он не учитывается.",
  },
  "registrar-key-missing": {
    en: "There is no registrar key for the ballot's style, so its credential cannot be checked: it is not counted.",
    ru: "Для вида этого бюллетеня нет ключа регистратора, удостоверение проверить нельзя: бюллетень не учитывается.",
  },
  "invalid-credential": {
    en: "The ballot's credential was not issued by the registrar: the ballot is not counted.",
    ru: "Удостоверение в бюллетене выдано не регистратором: бюллетень не учитывается.",
  },
  "invalid-proof": {
    en: "The ballot's proof that it holds allowed choices does not verify: the ballot is not counted.",
    ru: "Доказательство допустимости выбора в бюллетене не проходит проверку: бюллетень не учитывается.",
  },
  "nullifier-mismatch": {
    en: "The ballot's voter number (nullifier) does not belong to its credential: the ballot is not counted.",
    ru: "Номер избирателя (нуллификатор) в бюллетене не соответствует его удостоверению: бюллетень не учитывается.",
  },
  "sequence-not-higher": {
    en: "The ballot's number is not higher than that of the same voter's previous ballot.",
    ru: "Номер бюллетеня не больше номера предыдущего бюллетеня того же избирателя.",
  },
  "revote-not-allowed": {
    en: "A voter's second ballot was recorded although this election allows no re-vote.",
    ru: "Записан второй бюллетень избирателя, хотя в этих выборах переголосование не разрешено.",
  },
  // V6: credential issuance
  "issuance-unknown-style": {
    en: "Credentials were issued for a ballot style the election does not have.",
    ru: "Выданы удостоверения для вида бюллетеня, которого нет в этих выборах.",
  },
  "duplicate-issuance": {
    en: "A second credential was issued to the same voter.",
    ru: "Одному и тому же избирателю выдано второе удостоверение.",
  },
  "more-counted-than-issued": {
    en: "More ballots of this style are counted than credentials were issued.",
    ru: "Учтено больше бюллетеней этого вида, чем выдано удостоверений.",
  },
  // V7: decryption shares
  "duplicate-share": {
    en: "A trustee posted a second decryption share; only the first counts.",
    ru: "Доверенное лицо опубликовало вторую долю расшифровки; учитывается только первая.",
  },
  "unknown-trustee": {
    en: "A decryption share was posted for a trustee the election does not have.",
    ru: "Опубликована доля расшифровки от доверенного лица, которого нет в этих выборах.",
  },
  "aggregate-mismatch": {
    en: "A trustee's decryption share is for another set of ballots than the counted ones.",
    ru: "Доля расшифровки доверенного лица относится не к тем бюллетеням, что учтены.",
  },
  "invalid-share": {
    en: "A trustee's decryption share does not verify against their public key.",
    ru: "Доля расшифровки доверенного лица не проходит проверку по его открытому ключу.",
  },
  // V8: tally and result
  "counted-undecodable": {
    en: "A counted ballot cannot be decoded for the tally.",
    ru: "Учтённый бюллетень не удаётся разобрать для подсчёта.",
  },
  "not-decryptable": {
    en: "The valid decryption shares do not decrypt the tally.",
    ru: "Действительные доли расшифровки не расшифровывают итоги.",
  },
  "result-not-verifiable": {
    en: "A result is published, but too few valid decryption shares exist to check it.",
    ru: "Результат опубликован, но действительных долей расшифровки недостаточно, чтобы его проверить.",
  },
  "result-mismatch": {
    en: "The published result differs from the result the observer recomputed.",
    ru: "Опубликованный результат расходится с результатом, пересчитанным наблюдателем.",
  },
  "result-hash-mismatch": {
    en: "The published result's hash is not the hash of the recomputed result.",
    ru: "Хеш опубликованного результата не совпадает с хешем пересчитанного результата.",
  },
  // V9: attestations
  "attestation-signature-invalid": {
    en: "An observer's attestation is not signed by that observer.",
    ru: "Заключение наблюдателя подписано не этим наблюдателем.",
  },
  "attestation-not-observer": {
    en: "An attestation comes from an account that is not an appointed observer.",
    ru: "Заключение опубликовано учётной записью, которая не назначена наблюдателем.",
  },
  "other-result": {
    en: "An observer attests a result other than the published one.",
    ru: "Наблюдатель подтверждает не тот результат, что опубликован.",
  },
  "tally-differs": {
    en: "An observer attests a tally other than the one this observer computed.",
    ru: "Наблюдатель подтверждает не те итоги, что подсчитал этот наблюдатель.",
  },
  "disputes-result": {
    en: "An observer attests that the published result does not match the ballots.",
    ru: "Наблюдатель заявляет, что опубликованный результат не соответствует бюллетеням.",
  },
  // V10: paper and online channels (one person, one channel)
  "roll-unknown-style": {
    en: "An online voter roll was published for a ballot style the election does not have.",
    ru: "Опубликован список избирателей для вида бюллетеня, которого нет в этих выборах.",
  },
  "duplicate-roll-entry": {
    en: "A voter appears twice on the online voter roll.",
    ru: "Избиратель дважды внесён в список электронного голосования.",
  },
  "issuance-not-on-roll": {
    en: "A credential was issued to a voter who is not on that style's online roll.",
    ru: "Удостоверение выдано избирателю, которого нет в списке электронного голосования для этого вида бюллетеня.",
  },
  "paper-not-on-roll": {
    en: "A paper ballot was recorded for a voter who is not on that style's online roll.",
    ru: "Бумажный бюллетень записан на избирателя, которого нет в списке электронного голосования для этого вида бюллетеня.",
  },
  "duplicate-paper": {
    en: "A second paper ballot was recorded for the same voter.",
    ru: "На одного избирателя записан второй бумажный бюллетень.",
  },
  "paper-after-credential": {
    en: "A voter who had an online credential voted on paper without cancelling the online vote.",
    ru: "Избиратель с удостоверением для электронного голосования проголосовал на бумаге, не отменив электронный голос.",
  },
  "credential-after-paper": {
    en: "A voter who had voted on paper was then issued an online credential.",
    ru: "Избирателю, проголосовавшему на бумаге, затем выдано удостоверение для электронного голосования.",
  },
  "cancellation-not-allowed": {
    en: "An online vote was cancelled at a precinct, but this election allows no cancellation.",
    ru: "Электронный голос отменён на участке, хотя в этих выборах отмена не разрешена.",
  },
  "cancellation-invalid-credential": {
    en: "A cancellation at a precinct does not carry a valid credential of the voter.",
    ru: "Отмена на участке не подтверждена действительным удостоверением избирателя.",
  },
  "cancellation-without-credential": {
    en: "An online vote was cancelled for a voter who was never issued a credential.",
    ru: "Отменён электронный голос избирателя, которому удостоверение не выдавалось.",
  },
  "cancellation-style-mismatch": {
    en: "A cancellation names another ballot style than the voter's credential.",
    ru: "В отмене указан не тот вид бюллетеня, что в удостоверении избирателя.",
  },
  "cancellation-without-paper": {
    en: "An online vote was cancelled, but no paper ballot of that voter follows.",
    ru: "Электронный голос отменён, но бумажного бюллетеня этого избирателя за отменой нет.",
  },
  "duplicate-cancellation": {
    en: "The same voter's online vote was cancelled twice.",
    ru: "Электронный голос одного и того же избирателя отменён дважды.",
  },
  "roll-exceeded": {
    en: "More credentials and paper ballots than voters on the online roll of this style.",
    ru: "Удостоверений и бумажных бюллетеней больше, чем избирателей в списке электронного голосования для этого вида.",
  },
  "online-exceeds-credentials": {
    en: "More online ballots are counted (with cancellations) than credentials were issued for this style.",
    ru: "Учтённых электронных бюллетеней (вместе с отменами) больше, чем выдано удостоверений для этого вида.",
  },
};

/** Short names of the exclusion codes, for the dashboard's chart of refused and excluded ballots. */
export const EXCLUSION_LABELS: Record<ExclusionCode, FindingText> = {
  "bytes-mismatch": { en: "data differ from the record", ru: "данные не совпадают с записью" },
  "invalid-signature": { en: "invalid signature", ru: "неверная подпись" },
  "unknown-style": { en: "unknown ballot style", ru: "неизвестный вид бюллетеня" },
  "malformed-ballot": { en: "unreadable ballot", ru: "бюллетень не читается" },
  "registrar-key-missing": { en: "no registrar key", ru: "нет ключа регистратора" },
  "invalid-credential": { en: "invalid credential", ru: "недействительное удостоверение" },
  "invalid-proof": { en: "invalid proof", ru: "неверное доказательство" },
  "nullifier-mismatch": { en: "wrong voter number", ru: "неверный номер избирателя" },
};

/** The script the pages load before dashboard.js: both tables as global constants. */
export const findingTextsScript = (): string =>
  [
    `"use strict";`,
    `// Generated by server/observer/dashboard.ts from server/observer/public/finding-texts.ts.`,
    `const FINDING_TEXTS = ${JSON.stringify(FINDING_TEXTS)};`,
    `const EXCLUSION_LABELS = ${JSON.stringify(EXCLUSION_LABELS)};`,
    "",
  ].join("\n");
