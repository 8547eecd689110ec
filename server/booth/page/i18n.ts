/**
 * The booth's words in Russian and English. Static text in the HTML carries
 * data-i18n="key" (text) or data-i18n-attr="attribute:key" (an attribute);
 * scripts call t(key, params). A missing key is a type error.
 */
export const LANGUAGES = ["ru", "en"] as const;
export type Language = (typeof LANGUAGES)[number];

const en = {
  "app.title": "Ballot booth",
  "app.checkerTitle": "Ballot challenge checker",
  "app.trackTitle": "Track a ballot",
  "nav.booth": "Vote",
  "nav.checker": "Check a challenge",
  "nav.track": "Track a ballot",
  "lang.switch": "Language",
  "skip.main": "Skip to the main content",
  "status.loading": "Loading the election…",
  "status.working": "Working…",
  "status.encrypting": "Encrypting your ballot and proving it is well formed…",
  "status.credential": "Getting your anonymous voting credential…",
  "status.casting": "Sending your ballot to a relay…",
  "election.heading": "Election",
  "election.window": "Voting window: {opens} – {closes}",
  "election.revoteAllowed": "You may vote again while voting is open; only your last ballot counts.",
  "election.revoteNone": "You can vote only once: a cast ballot cannot be replaced.",
  "election.notOpen": "Voting has not opened yet.",
  "election.closed": "Voting is closed.",
  "election.paused": "The election is paused. Try again later.",
  "signin.heading": "Sign in",
  "signin.intro":
    "Enter the voter id and the one-time code you received. They are sent to the registrar only, which issues an anonymous credential: it never sees your vote.",
  "signin.voterId": "Voter id",
  "signin.code": "One-time code",
  "signin.submit": "Sign in",
  "signin.haveKey": "This browser already holds your voting key for this election.",
  "signin.continue": "Continue to the ballot",
  "signin.forget": "Forget this key (another voter on this device)",
  "signin.forgetConfirm":
    "Forget the voting key held in this browser? Export it first if you may want to re-vote: without it you cannot replace your ballot.",
  "signin.import": "Import a voting key file",
  "signin.importHint": "Use this to re-vote from another device: import the file you exported after voting.",
  "signin.imported": "Voting key imported.",
  "ballot.heading": "Your ballot",
  "ballot.style": "Ballot: {style}",
  "ballot.chooseOne": "Choose one.",
  "ballot.chooseOneOptional": "Choose one, or none.",
  "ballot.chooseUpTo": "Choose up to {max}.",
  "ballot.chooseBetween": "Choose from {min} to {max}.",
  "ballot.chooseExactly": "Choose exactly {max}.",
  "ballot.noChoice": "No choice (blank)",
  "ballot.count": "{n} of {max} selected",
  "ballot.limitReached": "You have chosen the most allowed; unselect an option to pick another.",
  "ballot.tooFew": "{contest}: choose at least {min}.",
  "ballot.incomplete": "The ballot is not complete. {problems}",
  "ballot.encrypt": "Review and encrypt",
  "ballot.sequence": "This will be ballot number {n} of this voting key.",
  "review.heading": "Check before casting",
  "review.intro":
    "Your ballot is encrypted. Write down the tracking code: you can look it up later. Then cast the ballot, or challenge it to check that the booth encrypted exactly your choices.",
  "review.trackingCode": "Tracking code",
  "review.choices": "Your choices",
  "review.blank": "(no choice)",
  "review.cast": "Cast this ballot",
  "review.challenge": "Challenge (check the encryption)",
  "review.back": "Change my choices",
  "challenge.heading": "Challenged ballot",
  "challenge.intro":
    "This ballot was opened and will never be cast. Save the file below and check it on another device with the public checker page or with the command “ballot-ledger audit challenge FILE”: it must show your choices and the tracking code {code}.",
  "challenge.download": "Download the challenge file",
  "challenge.openChecker": "Open the checker",
  "challenge.again": "Encrypt again and continue",
  "receipt.heading": "Your ballot was accepted",
  "receipt.intro": "The relay signed a receipt. Save it: it proves the relay accepted this ballot.",
  "receipt.trackingCode": "Tracking code",
  "receipt.ballotHash": "Ballot hash",
  "receipt.sequence": "Ballot number",
  "receipt.relay": "Relay",
  "receipt.acceptedAt": "Accepted at",
  "receipt.download": "Save the receipt (JSON)",
  "receipt.exportKey": "Export the voting key (for re-voting on another device)",
  "receipt.exportWarning": "Keep the key file private: whoever holds it can replace your ballot.",
  "receipt.track": "Track this ballot",
  "receipt.revote": "Vote again",
  "receipt.noRevote": "This election allows no re-vote: this ballot is final.",
  "history.heading": "Ballots cast from this browser",
  "history.entry": "Ballot {n}: {code}",
  "checker.heading": "Check a challenged ballot",
  "checker.intro":
    "Load the challenge file saved by the booth (or paste its content). The page opens the ballot with the revealed nonces and shows which choices it encrypts.",
  "checker.file": "Challenge file",
  "checker.paste": "Or paste the file's content",
  "checker.check": "Check",
  "checker.ok": "The ballot encrypts exactly these choices.",
  "checker.trackingCode": "Its tracking code is {code}: it must be the code the booth showed.",
  "checker.failed": "The check failed: {reason}",
  "checker.wrongElection": "This file is for another election ({election}).",
  "checker.empty": "Choose a file or paste its content first.",
  "track.heading": "Track a ballot",
  "track.intro":
    "Enter a tracking code to see whether the ballot is queued, on chain, counted or replaced by a re-vote.",
  "track.code": "Tracking code",
  "track.check": "Look up",
  "track.invalid": "This is not a tracking code: 16 letters and digits, for example ABCD-EFGH-JKMN-PQRS.",
  "track.unknown": "No relay of this election knows this tracking code.",
  "track.unknownHint":
    "A ballot from another relay can be checked on chain with the command “ballot-ledger audit track CODE”.",
  "track.status.queued": "Queued: the relay accepted the ballot and will put it on chain shortly.",
  "track.status.on-chain":
    "On chain: recorded in block {block}. It counts unless replaced by a later ballot of the same voter.",
  "track.status.counted":
    "Counted: on chain in block {block}, the voter's last ballot, and voting is closed.",
  "track.status.superseded":
    "Superseded: on chain in block {block}, but replaced by a later ballot of the same voter (ballot number {latest}).",
  "track.status.rejected": "Rejected: {reason}",
  "track.relay": "Answered by {url}",
  "track.transaction": "Transaction",
  "track.sequence": "Ballot number",
  "track.acceptedAt": "Accepted at",
  "track.noSupersedeInfo": "This relay does not report re-votes: check the record for a later ballot.",
  "file.invalid": "The file is not a valid voting key file: {reason}",
  "file.wrongElection": "This voting key file is for another election.",
  "file.credentialInvalid": "The credential in this file is not valid for this election.",
  "error.generic": "Something went wrong: {message}",
  "error.code": "Error code: {code}",
  "error.network": "The service at {url} could not be reached.",
  "error.storage":
    "The browser refused to store the voting key (private mode or storage full). Export it before leaving the page.",
  "error.keysMismatch":
    "The registrar and the relay disagree on the registrar's key: do not continue, report this to the election commission.",
  "error.receiptInvalid":
    "The relay's receipt does not match your ballot ({reason}). Keep the tracking code and check it later.",
  "error.credentialInvalid":
    "The registrar's answer is not a valid credential. Try again; if it persists, report it.",
  "error.noStyleKey": "The registrar has no key for your ballot style yet.",
  "error.electionData": "The election data served by this relay are inconsistent: {reason}",
  "code.authentication-failed": "Unknown voter id or wrong one-time code.",
  "code.too-many-attempts": "Too many wrong codes for this voter id. Wait a while before trying again.",
  "code.already-issued":
    "A credential was already issued to this voter. If you voted in another browser, import your voting key file here.",
  "code.wrong-style": "The ballot style does not match your registration.",
  "code.issuance-closed": "Credentials are no longer issued: voting is closed.",
  "code.election-paused": "The election is paused. Try again later.",
  "code.registrar-key-missing": "The registrar has no key for your ballot style yet.",
  "code.registrar-not-authorized":
    "The registrar is not authorized on chain. Report this to the election commission.",
  "code.registrar-key-mismatch":
    "The registrar's key does not match the one recorded on chain: do not continue, report this to the election commission.",
  "code.chain-unavailable": "The service cannot reach the chain right now. Try again in a minute.",
  "code.issuance-refused": "The chain refused to record your credential. Try again later.",
  "code.chain-inconsistent": "The service found an inconsistency on chain. Try again later.",
  "code.invalid-blinded-message": "The credential request was malformed. Reload the page and try again.",
  "code.voting-not-open": "Voting has not opened yet.",
  "code.voting-closed": "Voting is closed: the ballot cannot be cast any more.",
  "code.revote-not-allowed": "You have already voted, and this election allows no re-vote.",
  "code.sequence-not-higher":
    "A newer ballot of yours is already recorded (perhaps cast from another device). Import the latest voting key file, or track your last ballot.",
  "code.duplicate-ballot": "This ballot was already accepted.",
  "code.invalid-signature": "The relay refused the ballot's signature.",
  "code.malformed-ballot": "The relay refused the ballot as malformed.",
  "code.unknown-style": "The relay does not know this ballot style.",
  "code.invalid-credential": "The relay refused the voting credential.",
  "code.invalid-proof": "The relay refused the ballot's proofs.",
  "code.wrong-election": "This relay serves another election.",
  "code.refused-by-chain": "The chain would refuse this ballot.",
  "code.rate-limited": "Too many requests from this network. Wait a minute and try again.",
  "code.payload-too-large": "The request is too large.",
  "code.invalid-request": "The request was malformed.",
  "code.relay-unreachable":
    "No relay could be reached. Check your connection and try again: your ballot was not cast.",
  "code.registrar-unreachable": "The registrar could not be reached. Check your connection and try again.",
  "code.chain-error": "The chain refused the service's transaction. Try again later.",
  "code.invalid-tracking-code": "This is not a tracking code.",
  "code.unknown-tracking-code": "This relay does not know this tracking code.",
  "code.malformed-json": "The request was malformed.",
  "code.malformed-request": "The request was malformed.",
  "code.request-aborted": "The request was interrupted. Try again.",
  "code.unsupported-media-type": "The request was malformed.",
  "code.not-found": "The service does not offer this request: its address may be misconfigured.",
  "code.internal-error": "The service failed. Try again later.",
} as const;

export type MessageKey = keyof typeof en;

const ru: Record<MessageKey, string> = {
  "app.title": "Кабина для голосования",
  "app.checkerTitle": "Проверка оспоренного бюллетеня",
  "app.trackTitle": "Отслеживание бюллетеня",
  "nav.booth": "Голосовать",
  "nav.checker": "Проверить бюллетень",
  "nav.track": "Отследить бюллетень",
  "lang.switch": "Язык",
  "skip.main": "Перейти к основному содержанию",
  "status.loading": "Загрузка данных о выборах…",
  "status.working": "Выполняется…",
  "status.encrypting": "Бюллетень шифруется, строятся доказательства его корректности…",
  "status.credential": "Получение анонимного удостоверения избирателя…",
  "status.casting": "Бюллетень отправляется на ретранслятор…",
  "election.heading": "Выборы",
  "election.window": "Голосование: {opens} – {closes}",
  "election.revoteAllowed":
    "Пока идёт голосование, можно проголосовать повторно; учитывается последний бюллетень.",
  "election.revoteNone": "Проголосовать можно только один раз: отправленный бюллетень заменить нельзя.",
  "election.notOpen": "Голосование ещё не началось.",
  "election.closed": "Голосование завершено.",
  "election.paused": "Выборы приостановлены. Попробуйте позже.",
  "signin.heading": "Вход",
  "signin.intro":
    "Введите идентификатор избирателя и полученный одноразовый код. Они отправляются только регистратору, который выдаёт анонимное удостоверение: ваш выбор он не видит.",
  "signin.voterId": "Идентификатор избирателя",
  "signin.code": "Одноразовый код",
  "signin.submit": "Войти",
  "signin.haveKey": "В этом браузере уже хранится ваш ключ для голосования на этих выборах.",
  "signin.continue": "Перейти к бюллетеню",
  "signin.forget": "Забыть этот ключ (другой избиратель на этом устройстве)",
  "signin.forgetConfirm":
    "Удалить ключ для голосования из этого браузера? Если вы можете захотеть проголосовать повторно, сначала сохраните его: без него заменить бюллетень нельзя.",
  "signin.import": "Загрузить файл ключа",
  "signin.importHint":
    "Чтобы проголосовать повторно с другого устройства, загрузите файл ключа, сохранённый после голосования.",
  "signin.imported": "Ключ для голосования загружен.",
  "ballot.heading": "Ваш бюллетень",
  "ballot.style": "Бюллетень: {style}",
  "ballot.chooseOne": "Выберите один вариант.",
  "ballot.chooseOneOptional": "Выберите один вариант или ни одного.",
  "ballot.chooseUpTo": "Выберите не более {max}.",
  "ballot.chooseBetween": "Выберите от {min} до {max}.",
  "ballot.chooseExactly": "Выберите ровно {max}.",
  "ballot.noChoice": "Без выбора (пустой)",
  "ballot.count": "Выбрано {n} из {max}",
  "ballot.limitReached": "Выбрано максимальное число вариантов; снимите отметку, чтобы выбрать другой.",
  "ballot.tooFew": "{contest}: выберите не менее {min}.",
  "ballot.incomplete": "Бюллетень заполнен не полностью. {problems}",
  "ballot.encrypt": "Проверить и зашифровать",
  "ballot.sequence": "Это будет бюллетень номер {n} для этого ключа.",
  "review.heading": "Проверьте перед отправкой",
  "review.intro":
    "Бюллетень зашифрован. Запишите код отслеживания: по нему можно найти бюллетень позже. Затем отправьте бюллетень или оспорьте его, чтобы проверить, что кабина зашифровала именно ваш выбор.",
  "review.trackingCode": "Код отслеживания",
  "review.choices": "Ваш выбор",
  "review.blank": "(без выбора)",
  "review.cast": "Отправить бюллетень",
  "review.challenge": "Оспорить (проверить шифрование)",
  "review.back": "Изменить выбор",
  "challenge.heading": "Оспоренный бюллетень",
  "challenge.intro":
    "Этот бюллетень раскрыт и никогда не будет отправлен. Сохраните файл и проверьте его на другом устройстве на открытой странице проверки или командой «ballot-ledger audit challenge FILE»: должен быть показан ваш выбор и код отслеживания {code}.",
  "challenge.download": "Скачать файл проверки",
  "challenge.openChecker": "Открыть страницу проверки",
  "challenge.again": "Зашифровать заново и продолжить",
  "receipt.heading": "Бюллетень принят",
  "receipt.intro": "Ретранслятор подписал квитанцию. Сохраните её: она доказывает, что бюллетень был принят.",
  "receipt.trackingCode": "Код отслеживания",
  "receipt.ballotHash": "Хеш бюллетеня",
  "receipt.sequence": "Номер бюллетеня",
  "receipt.relay": "Ретранслятор",
  "receipt.acceptedAt": "Принят",
  "receipt.download": "Сохранить квитанцию (JSON)",
  "receipt.exportKey": "Сохранить ключ для голосования (для повторного голосования с другого устройства)",
  "receipt.exportWarning": "Храните файл ключа в тайне: его владелец может заменить ваш бюллетень.",
  "receipt.track": "Отследить этот бюллетень",
  "receipt.revote": "Проголосовать повторно",
  "receipt.noRevote": "На этих выборах повторное голосование не допускается: бюллетень окончательный.",
  "history.heading": "Бюллетени, отправленные из этого браузера",
  "history.entry": "Бюллетень {n}: {code}",
  "checker.heading": "Проверка оспоренного бюллетеня",
  "checker.intro":
    "Загрузите файл проверки, сохранённый кабиной (или вставьте его содержимое). Страница раскроет бюллетень по опубликованным случайным числам и покажет, какой выбор в нём зашифрован.",
  "checker.file": "Файл проверки",
  "checker.paste": "Или вставьте содержимое файла",
  "checker.check": "Проверить",
  "checker.ok": "В бюллетене зашифрован именно этот выбор.",
  "checker.trackingCode": "Его код отслеживания — {code}: он должен совпадать с кодом, показанным кабиной.",
  "checker.failed": "Проверка не пройдена: {reason}",
  "checker.wrongElection": "Этот файл относится к другим выборам ({election}).",
  "checker.empty": "Сначала выберите файл или вставьте его содержимое.",
  "track.heading": "Отслеживание бюллетеня",
  "track.intro":
    "Введите код отслеживания, чтобы узнать, ожидает ли бюллетень записи, записан ли он в блокчейн, учтён ли или заменён повторным голосованием.",
  "track.code": "Код отслеживания",
  "track.check": "Найти",
  "track.invalid": "Это не код отслеживания: 16 букв и цифр, например ABCD-EFGH-JKMN-PQRS.",
  "track.unknown": "Ни один ретранслятор этих выборов не знает этот код.",
  "track.unknownHint":
    "Бюллетень, принятый другим ретранслятором, можно проверить в блокчейне командой «ballot-ledger audit track CODE».",
  "track.status.queued": "В очереди: ретранслятор принял бюллетень и вскоре запишет его в блокчейн.",
  "track.status.on-chain":
    "В блокчейне: записан в блоке {block}. Будет учтён, если избиратель не заменит его более поздним бюллетенем.",
  "track.status.counted":
    "Учтён: записан в блоке {block}, это последний бюллетень избирателя, голосование завершено.",
  "track.status.superseded":
    "Заменён: записан в блоке {block}, но избиратель позже отправил новый бюллетень (номер {latest}).",
  "track.status.rejected": "Отклонён: {reason}",
  "track.relay": "Ответил {url}",
  "track.transaction": "Транзакция",
  "track.sequence": "Номер бюллетеня",
  "track.acceptedAt": "Принят",
  "track.noSupersedeInfo":
    "Этот ретранслятор не сообщает о повторных голосованиях: проверьте в записи выборов, нет ли более позднего бюллетеня.",
  "file.invalid": "Файл не является файлом ключа для голосования: {reason}",
  "file.wrongElection": "Этот файл ключа относится к другим выборам.",
  "file.credentialInvalid": "Удостоверение в этом файле недействительно для этих выборов.",
  "error.generic": "Произошла ошибка: {message}",
  "error.code": "Код ошибки: {code}",
  "error.network": "Сервис {url} недоступен.",
  "error.storage":
    "Браузер не позволил сохранить ключ (приватный режим или нет места). Сохраните ключ в файл, прежде чем покинуть страницу.",
  "error.keysMismatch":
    "Регистратор и ретранслятор сообщают разные ключи регистратора: не продолжайте и сообщите об этом избирательной комиссии.",
  "error.receiptInvalid":
    "Квитанция ретранслятора не соответствует вашему бюллетеню ({reason}). Сохраните код отслеживания и проверьте его позже.",
  "error.credentialInvalid":
    "Ответ регистратора не является действительным удостоверением. Повторите попытку; если ошибка повторится, сообщите о ней.",
  "error.noStyleKey": "У регистратора пока нет ключа для вашего вида бюллетеня.",
  "error.electionData": "Данные о выборах, полученные от ретранслятора, противоречивы: {reason}",
  "code.authentication-failed": "Неизвестный идентификатор избирателя или неверный одноразовый код.",
  "code.too-many-attempts":
    "Слишком много неверных кодов для этого идентификатора. Подождите некоторое время и повторите попытку.",
  "code.already-issued":
    "Удостоверение этому избирателю уже выдано. Если вы голосовали в другом браузере, загрузите здесь файл ключа.",
  "code.wrong-style": "Вид бюллетеня не соответствует вашей регистрации.",
  "code.issuance-closed": "Удостоверения больше не выдаются: голосование завершено.",
  "code.election-paused": "Выборы приостановлены. Попробуйте позже.",
  "code.registrar-key-missing": "У регистратора пока нет ключа для вашего вида бюллетеня.",
  "code.registrar-not-authorized":
    "Регистратор не имеет полномочий в блокчейне. Сообщите об этом избирательной комиссии.",
  "code.registrar-key-mismatch":
    "Ключ регистратора не совпадает с записанным в блокчейне: не продолжайте и сообщите об этом избирательной комиссии.",
  "code.chain-unavailable": "Сервис сейчас не может связаться с блокчейном. Повторите через минуту.",
  "code.issuance-refused": "Блокчейн отказался записать выдачу удостоверения. Попробуйте позже.",
  "code.chain-inconsistent": "Сервис обнаружил несогласованность в блокчейне. Попробуйте позже.",
  "code.invalid-blinded-message":
    "Запрос удостоверения повреждён. Перезагрузите страницу и повторите попытку.",
  "code.voting-not-open": "Голосование ещё не началось.",
  "code.voting-closed": "Голосование завершено: бюллетень больше нельзя отправить.",
  "code.revote-not-allowed": "Вы уже проголосовали, а повторное голосование на этих выборах не допускается.",
  "code.sequence-not-higher":
    "Уже записан более новый ваш бюллетень (возможно, отправленный с другого устройства). Загрузите последний файл ключа или отследите последний бюллетень.",
  "code.duplicate-ballot": "Этот бюллетень уже принят.",
  "code.invalid-signature": "Ретранслятор отклонил подпись бюллетеня.",
  "code.malformed-ballot": "Ретранслятор отклонил бюллетень как повреждённый.",
  "code.unknown-style": "Ретранслятор не знает этот вид бюллетеня.",
  "code.invalid-credential": "Ретранслятор отклонил удостоверение избирателя.",
  "code.invalid-proof": "Ретранслятор отклонил доказательства бюллетеня.",
  "code.wrong-election": "Этот ретранслятор обслуживает другие выборы.",
  "code.refused-by-chain": "Блокчейн отклонил бы этот бюллетень.",
  "code.rate-limited": "Слишком много запросов из вашей сети. Подождите минуту и повторите.",
  "code.payload-too-large": "Запрос слишком большой.",
  "code.invalid-request": "Запрос повреждён.",
  "code.relay-unreachable":
    "Ни один ретранслятор недоступен. Проверьте подключение и повторите: бюллетень не отправлен.",
  "code.registrar-unreachable": "Регистратор недоступен. Проверьте подключение и повторите попытку.",
  "code.chain-error": "Блокчейн отклонил транзакцию сервиса. Попробуйте позже.",
  "code.invalid-tracking-code": "Это не код отслеживания.",
  "code.unknown-tracking-code": "Этот ретранслятор не знает такой код отслеживания.",
  "code.malformed-json": "Запрос повреждён.",
  "code.malformed-request": "Запрос повреждён.",
  "code.request-aborted": "Запрос прерван. Повторите попытку.",
  "code.unsupported-media-type": "Запрос повреждён.",
  "code.not-found": "Сервис не выполняет такой запрос: возможно, его адрес настроен неверно.",
  "code.internal-error": "Сбой сервиса. Попробуйте позже.",
};

const tables: Record<Language, Record<MessageKey, string>> = { en, ru };

let current: Language = "en";

export const isMessageKey = (key: string): key is MessageKey => Object.hasOwn(en, key);

export const messageKeys = (): MessageKey[] => Object.keys(en) as MessageKey[];

/** The message in the current language with {name} placeholders filled in. */
export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  return tables[current][key].replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.hasOwn(params, name) ? String(params[name]) : whole,
  );
}

export const language = (): Language => current;

/** The stored choice, else the browser's preference (Russian when it comes first), else English. */
export function initialLanguage(stored: string | null, preferred: readonly string[]): Language {
  if (stored === "ru" || stored === "en") return stored;
  for (const tag of preferred) {
    const base = tag.toLowerCase().slice(0, 2);
    if (base === "ru" || base === "en") return base;
  }
  return "en";
}

/** Sets the language of t() (applyLanguage also rewrites the page). */
export function setLanguage(lang: Language): void {
  current = lang;
}

/** Sets the language and rewrites every data-i18n element under `root`. */
export function applyLanguage(lang: Language, root: ParentNode): void {
  setLanguage(lang);
  for (const el of Array.from(root.querySelectorAll<HTMLElement>("[data-i18n]"))) {
    const key = el.dataset.i18n ?? "";
    if (isMessageKey(key)) el.textContent = t(key);
  }
  for (const el of Array.from(root.querySelectorAll<HTMLElement>("[data-i18n-attr]"))) {
    for (const pair of (el.dataset.i18nAttr ?? "").split(";")) {
      const [attribute, key] = pair.split(":").map((part: string) => part.trim());
      if (attribute && key && isMessageKey(key)) el.setAttribute(attribute, t(key));
    }
  }
}

/** A localized manifest text: the current language, else English, else the first given. */
export function localized(text: Readonly<Record<string, string>>): string {
  return text[current] ?? text.en ?? Object.values(text)[0] ?? "";
}
