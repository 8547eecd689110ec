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
  "election.window": "Voting window: {opens} – {closes} ({zone})",
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
  "ballot.chooseUpTo": "Choose up to {max} {max:option|options}.",
  "ballot.chooseBetween": "Choose from {min} to {max} options.",
  "ballot.chooseExactly": "Choose exactly {max} {max:option|options}.",
  "ballot.noChoice": "Leave blank",
  "ballot.count": "{n} of {max} selected",
  "ballot.limitReached": "You have chosen the most allowed; unselect an option to pick another.",
  "ballot.tooFew": "{contest}: choose at least {min}.",
  "ballot.incomplete": "The ballot is not complete. {problems}",
  "ballot.encrypt": "Review and encrypt",
  "ballot.sequence": "This will be your ballot number {n} in this election.",
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
  "receipt.relay": "Accepted by",
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
  "checker.wrongElection":
    "This challenge file is for another election ({election}): open the checker of that election.",
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
  "track.relay": "Answer from relay {url}: what its queue and its own copy of the chain say.",
  "track.transaction": "Transaction",
  "track.sequence": "Ballot number",
  "track.acceptedAt": "Accepted at",
  "track.noSupersedeInfo": "This relay does not report re-votes: check the record for a later ballot.",
  "file.invalid": "The file is not a valid voting key file: {reason}",
  "file.wrongElection": "This voting key file is for another election.",
  "file.credentialInvalid": "The credential in this file is not valid for this election.",
  "error.generic":
    "Something unexpected happened in the page. Reload it and try again; if it happens again, report it to the election commission.",
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
  "error.electionData":
    "The election data served by this site are inconsistent: do not vote here, and report it to the election commission.",
  "code.authentication-failed": "Unknown voter id or wrong one-time code.",
  "code.too-many-attempts": "Too many wrong codes for this voter id. Wait a while before trying again.",
  "code.already-issued":
    "A credential was already issued to this voter. If you voted in another browser, import your voting key file here.",
  "code.wrong-style": "The ballot style does not match your registration.",
  "code.paper-ballot-issued":
    "You were given a paper ballot at a polling station, so you cannot also vote online. Your paper ballot is your vote.",
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
  "code.payload-too-large": "The request is too large. Reload the page and try again.",
  "code.invalid-request": "The request was incomplete. Fill in every field and try again.",
  "code.relay-unreachable":
    "No relay could be reached. Check your internet connection and try again: your ballot was not cast.",
  "code.registrar-unreachable":
    "The registrar could not be reached. Check your internet connection and try again in a minute.",
  "code.chain-error": "The chain refused the service's transaction. Try again later.",
  "code.invalid-tracking-code": "This is not a tracking code.",
  "code.unknown-tracking-code": "This relay does not know this tracking code.",
  "code.malformed-json": "The request could not be read. Reload the page and try again.",
  "code.malformed-request": "The request could not be read. Reload the page and try again.",
  "code.request-aborted": "The request was interrupted. Try again.",
  "code.unsupported-media-type": "The request could not be read. Reload the page and try again.",
  "code.not-found": "The service does not offer this request: its address may be misconfigured.",
  "code.malformed-path":
    "The page asked for an address that could not be read. Reload the page and try again.",
  "code.invalid-content-encoding": "The request could not be read. Reload the page and try again.",
  "code.internal-error": "The service failed. Try again later.",
  "status.castingRelay": "Sending your ballot to relay {n} of {count} ({host})…",
  "status.elapsed": "Waiting for an answer: {seconds} s.",
  "status.castingSlow":
    "This relay is slow to answer: after {timeout} s the next one is tried. Your ballot counts at most once.",
  "signin.headingReturning": "Continue voting",
  "signin.headingDone": "Your ballots",
  "signin.missingVoterId": "Enter your voter id.",
  "signin.missingCode": "Enter the one-time code you received.",
  "ballot.tooMany": "{contest}: choose at most {max}.",
  "receipt.trackHint":
    "The tracker asks every relay of this election, so it works even if the relay that accepted your ballot is down.",
  "receipt.trackHintPublic":
    "This tracker is run by an election observer: it looks your ballot up on the chain itself, so it works even if every relay is down.",
  "receipt.trackOthers": "Other trackers:",
  "receipt.lost":
    "Your ballot was accepted, but the relay's answer with the signed receipt was lost on the way: {url} confirms that it holds this very ballot, or that the chain records it. It counts like any other; track it with its tracking code.",
  "receipt.confirmedBy": "Confirmed by",
  "receipt.trackObserver": "observer {host}",
  "receipt.trackRelay": "relay {host}",
  "track.public": "See it on the chain itself, at an observer's tracker:",
  "receipt.done": "Finish",
  "receipt.finished": "You can close this page. Keep the receipt and the tracking code.",
  "checker.okTitle": "The booth was honest: the ballot encrypts exactly these choices.",
  "checker.lieTitle": "The booth lied: the ballot does not encrypt the choices it showed you.",
  "checker.lieContest": "{contest}: the ballot encrypts {encrypted}; the booth said {stated}.",
  "checker.lieAdvice":
    "Do not vote with this booth. Keep the challenge file and report it, with the address of the page that produced it, to {contact}.",
  "checker.brokenTitle":
    "This challenge file does not open: it was damaged, edited, or produced by a faulty booth.",
  "checker.brokenAdvice":
    "If you saved it from the booth without changing it, report it to {contact} with the file.",
  "checker.notChallengeTitle": "This is not a challenge file.",
  "checker.notChallengeAdvice":
    "Choose the file the booth saved after “Challenge” (challenge-XXXX-….json), or paste its whole content.",
  "checker.defaultContact": "the election commission",
  "checker.nothing": "nothing",
  "track.reason.SequenceNotHigher":
    "a later ballot of the same voter was already on chain, so this one was not recorded.",
  "track.reason.RevoteNotAllowed": "the voter had already voted, and this election allows no re-vote.",
  "track.reason.InvalidBallotSignature": "the ballot's signature was not valid.",
  "track.reason.InvalidBallotSize": "the ballot was malformed.",
  "track.reason.UnknownBallotStyle": "the ballot style is not part of this election.",
  "track.reason.VotingClosed": "voting had closed before the ballot reached the chain.",
  "track.reason.voting-closed": "voting had closed before the ballot reached the chain.",
  "track.reason.OutsideVotingWindow": "the ballot reached the chain outside the voting window.",
  "track.reason.unknown": "the chain refused it (reason {reason}). Vote again if voting is open.",
  "track.tracker": "Asked: {relays}",
  "error.details": "Details: {detail}",
  "code.unknown":
    "The service refused the request (code {code}). Try again later; if it happens again, report it to the election commission.",
  "code.too-many-selections": "The ballot has more choices than allowed.",
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
  "election.window": "Голосование: {opens} – {closes} ({zone})",
  "election.revoteAllowed":
    "Пока идёт голосование, можно проголосовать повторно; учитывается последний бюллетень.",
  "election.revoteNone": "Проголосовать можно только один раз: отправленный бюллетень заменить нельзя.",
  "election.notOpen": "Голосование ещё не началось.",
  "election.closed": "Голосование завершено.",
  "election.paused": "Выборы приостановлены. Попробуйте позже.",
  "signin.heading": "Вход",
  "signin.intro":
    "Введите идентификатор избирателя и одноразовый код, которые вы получили. Они передаются только регистратору: он выдаёт анонимное удостоверение и не видит, за кого вы голосуете.",
  "signin.voterId": "Идентификатор избирателя",
  "signin.code": "Одноразовый код",
  "signin.submit": "Войти",
  "signin.haveKey": "Этот браузер помнит вас на этих выборах: можно продолжить без повторного входа.",
  "signin.continue": "Перейти к бюллетеню",
  "signin.forget": "Забыть меня на этом устройстве (здесь будет голосовать другой избиратель)",
  "signin.forgetConfirm":
    "Удалить ключ для голосования из этого браузера? Если вы можете захотеть проголосовать повторно, сначала сохраните его: без него заменить бюллетень нельзя.",
  "signin.import": "Загрузить файл ключа голосования",
  "signin.importHint":
    "Чтобы проголосовать повторно с другого устройства, загрузите файл ключа, сохранённый после голосования.",
  "signin.imported": "Ключ для голосования загружен.",
  "ballot.heading": "Ваш бюллетень",
  "ballot.style": "Бюллетень: {style}",
  "ballot.chooseOne": "Выберите один вариант.",
  "ballot.chooseOneOptional": "Выберите один вариант или ни одного.",
  "ballot.chooseUpTo": "Выберите не более {max} {max:варианта|вариантов|вариантов}.",
  "ballot.chooseBetween": "Выберите от {min} до {max} {max:варианта|вариантов|вариантов}.",
  "ballot.chooseExactly": "Выберите ровно {max} {max:вариант|варианта|вариантов}.",
  "ballot.noChoice": "Оставить без отметки",
  "ballot.count": "Выбрано {n} из {max}",
  "ballot.limitReached":
    "Выбрано максимальное число вариантов. Чтобы выбрать другой, снимите одну из отметок.",
  "ballot.tooFew": "{contest}: выберите хотя бы {min}.",
  "ballot.incomplete": "Бюллетень заполнен не полностью. {problems}",
  "ballot.encrypt": "Проверить и зашифровать",
  "ballot.sequence": "Это будет ваш бюллетень № {n} на этих выборах.",
  "review.heading": "Проверьте перед отправкой",
  "review.intro":
    "Бюллетень зашифрован. Запишите код отслеживания: по нему бюллетень можно найти позже. Затем отправьте бюллетень — или проверьте шифрование, чтобы убедиться, что кабина зашифровала именно ваш выбор.",
  "review.trackingCode": "Код отслеживания",
  "review.choices": "Ваш выбор",
  "review.blank": "(ничего не отмечено)",
  "review.cast": "Отправить бюллетень",
  "review.challenge": "Проверить шифрование (бюллетень будет вскрыт)",
  "review.back": "Изменить выбор",
  "challenge.heading": "Бюллетень вскрыт для проверки",
  "challenge.intro":
    "Этот бюллетень вскрыт и отправлен не будет. Сохраните файл проверки и откройте его на другом устройстве — на общедоступной странице проверки или командой «ballot-ledger audit challenge FILE». Там должен быть ваш выбор и код отслеживания {code}.",
  "challenge.download": "Скачать файл проверки",
  "challenge.openChecker": "Открыть страницу проверки",
  "challenge.again": "Зашифровать заново и продолжить",
  "receipt.heading": "Бюллетень принят",
  "receipt.intro": "Ретранслятор подписал квитанцию. Сохраните её: она подтверждает, что бюллетень принят.",
  "receipt.trackingCode": "Код отслеживания",
  "receipt.ballotHash": "Хеш бюллетеня",
  "receipt.sequence": "Номер бюллетеня",
  "receipt.relay": "Принял",
  "receipt.acceptedAt": "Принят",
  "receipt.download": "Сохранить квитанцию (JSON)",
  "receipt.exportKey": "Сохранить файл ключа голосования (чтобы переголосовать с другого устройства)",
  "receipt.exportWarning": "Никому не передавайте файл ключа: с ним можно заменить ваш бюллетень.",
  "receipt.track": "Отследить этот бюллетень",
  "receipt.revote": "Проголосовать повторно",
  "receipt.noRevote": "На этих выборах повторное голосование не допускается: бюллетень окончательный.",
  "history.heading": "Бюллетени, отправленные из этого браузера",
  "history.entry": "Бюллетень {n}: {code}",
  "checker.heading": "Проверка оспоренного бюллетеня",
  "checker.intro":
    "Загрузите файл проверки, сохранённый кабиной (или вставьте его содержимое). Страница вскроет бюллетень с помощью раскрытых случайных чисел и покажет, какой выбор в нём зашифрован.",
  "checker.file": "Файл проверки",
  "checker.paste": "Или вставьте содержимое файла",
  "checker.check": "Проверить",
  "checker.ok": "В бюллетене зашифрован именно этот выбор.",
  "checker.trackingCode": "Его код отслеживания — {code}: он должен совпадать с кодом, показанным кабиной.",
  "checker.failed": "Проверка не пройдена: {reason}",
  "checker.wrongElection":
    "Этот файл проверки относится к другим выборам ({election}): откройте страницу проверки тех выборов.",
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
  "track.relay": "Ответ ретранслятора {url}: по его очереди и его собственной копии блокчейна.",
  "track.transaction": "Транзакция",
  "track.sequence": "Номер бюллетеня",
  "track.acceptedAt": "Принят",
  "track.noSupersedeInfo":
    "Этот ретранслятор не сообщает о повторных голосованиях: проверьте в записи выборов, нет ли более позднего бюллетеня.",
  "file.invalid": "Это не файл ключа голосования: {reason}",
  "file.wrongElection": "Этот файл ключа относится к другим выборам.",
  "file.credentialInvalid": "Удостоверение в этом файле недействительно для этих выборов.",
  "error.generic":
    "На странице произошла непредвиденная ошибка. Перезагрузите её и повторите попытку; если ошибка повторится, сообщите о ней в избирательную комиссию.",
  "error.code": "Код ошибки: {code}",
  "error.network": "Сервис {url} недоступен.",
  "error.storage":
    "Браузер не позволил сохранить ключ голосования (приватный режим или нет места). Прежде чем закрыть страницу, сохраните ключ в файл.",
  "error.keysMismatch":
    "Регистратор и ретранслятор сообщают разные ключи регистратора: не продолжайте и сообщите об этом в избирательную комиссию.",
  "error.receiptInvalid":
    "Квитанция ретранслятора не соответствует вашему бюллетеню ({reason}). Сохраните код отслеживания и проверьте его позже.",
  "error.credentialInvalid":
    "Ответ регистратора не является действительным удостоверением. Повторите попытку; если ошибка повторится, сообщите о ней.",
  "error.noStyleKey": "У регистратора пока нет ключа для вашего вида бюллетеня.",
  "error.electionData":
    "Данные о выборах, полученные с этого сайта, противоречивы: не голосуйте здесь и сообщите об этом в избирательную комиссию.",
  "code.authentication-failed": "Неизвестный идентификатор избирателя или неверный одноразовый код.",
  "code.too-many-attempts":
    "Слишком много неверных кодов для этого идентификатора. Подождите некоторое время и повторите попытку.",
  "code.already-issued":
    "Удостоверение этому избирателю уже выдано. Если вы голосовали в другом браузере, загрузите здесь файл ключа.",
  "code.wrong-style": "Вид бюллетеня не соответствует вашей регистрации.",
  "code.paper-ballot-issued":
    "Вам выдан бумажный бюллетень на избирательном участке, поэтому голосовать электронно вы не можете. Ваш голос — бумажный бюллетень.",
  "code.issuance-closed": "Удостоверения больше не выдаются: голосование завершено.",
  "code.election-paused": "Выборы приостановлены. Попробуйте позже.",
  "code.registrar-key-missing": "У регистратора пока нет ключа для вашего вида бюллетеня.",
  "code.registrar-not-authorized":
    "У регистратора нет полномочий в блокчейне. Сообщите об этом в избирательную комиссию.",
  "code.registrar-key-mismatch":
    "Ключ регистратора не совпадает с записанным в блокчейне: не продолжайте и сообщите об этом в избирательную комиссию.",
  "code.chain-unavailable": "Сервис сейчас не может связаться с блокчейном. Повторите через минуту.",
  "code.issuance-refused": "Блокчейн не принял запись о выдаче удостоверения. Повторите попытку позже.",
  "code.chain-inconsistent": "Сервис обнаружил несогласованность в блокчейне. Попробуйте позже.",
  "code.invalid-blinded-message":
    "Запрос удостоверения повреждён. Перезагрузите страницу и повторите попытку.",
  "code.voting-not-open": "Голосование ещё не началось.",
  "code.voting-closed": "Голосование завершено: бюллетень больше нельзя отправить.",
  "code.revote-not-allowed": "Вы уже проголосовали, а повторное голосование на этих выборах не допускается.",
  "code.sequence-not-higher":
    "Уже записан ваш более новый бюллетень (возможно, отправленный с другого устройства). Загрузите последний файл ключа голосования или отследите последний бюллетень.",
  "code.duplicate-ballot": "Этот бюллетень уже принят.",
  "code.invalid-signature": "Ретранслятор отклонил подпись бюллетеня.",
  "code.malformed-ballot": "Ретранслятор отклонил бюллетень как повреждённый.",
  "code.unknown-style": "Ретранслятор не знает этот вид бюллетеня.",
  "code.invalid-credential": "Ретранслятор отклонил удостоверение избирателя.",
  "code.invalid-proof": "Ретранслятор отклонил доказательства бюллетеня.",
  "code.wrong-election": "Этот ретранслятор обслуживает другие выборы.",
  "code.refused-by-chain": "Блокчейн не принял бы этот бюллетень.",
  "code.rate-limited": "Слишком много запросов из вашей сети. Подождите минуту и повторите.",
  "code.payload-too-large": "Запрос слишком большой. Перезагрузите страницу и повторите попытку.",
  "code.invalid-request": "Запрос заполнен не полностью. Заполните все поля и повторите попытку.",
  "code.relay-unreachable":
    "Не удалось связаться ни с одним ретранслятором. Проверьте подключение к интернету и повторите попытку: бюллетень не отправлен.",
  "code.registrar-unreachable":
    "Не удалось связаться с регистратором. Проверьте подключение к интернету и повторите попытку через минуту.",
  "code.chain-error": "Блокчейн отклонил транзакцию сервиса. Попробуйте позже.",
  "code.invalid-tracking-code": "Это не код отслеживания.",
  "code.unknown-tracking-code": "Этот ретранслятор не знает такой код отслеживания.",
  "code.malformed-json": "Запрос не удалось прочитать. Перезагрузите страницу и повторите попытку.",
  "code.malformed-request": "Запрос не удалось прочитать. Перезагрузите страницу и повторите попытку.",
  "code.request-aborted": "Запрос прерван. Повторите попытку.",
  "code.unsupported-media-type": "Запрос не удалось прочитать. Перезагрузите страницу и повторите попытку.",
  "code.not-found":
    "Сервис не выполняет такой запрос: возможно, его адрес указан неверно. Сообщите об этом в избирательную комиссию.",
  "code.malformed-path":
    "Страница запросила адрес, который не удалось прочитать. Перезагрузите страницу и повторите попытку.",
  "code.invalid-content-encoding": "Запрос не удалось прочитать. Перезагрузите страницу и повторите попытку.",
  "code.internal-error": "Сбой сервиса. Попробуйте позже.",
  "status.castingRelay": "Бюллетень отправляется на ретранслятор {n} из {count} ({host})…",
  "status.elapsed": "Ожидание ответа: {seconds} с.",
  "status.castingSlow":
    "Ретранслятор отвечает медленно: через {timeout} с будет выбран следующий. Бюллетень в любом случае будет учтён не больше одного раза.",
  "signin.headingReturning": "Продолжение голосования",
  "signin.headingDone": "Ваши бюллетени",
  "signin.missingVoterId": "Введите идентификатор избирателя.",
  "signin.missingCode": "Введите полученный одноразовый код.",
  "ballot.tooMany": "{contest}: можно выбрать не более {max}.",
  "receipt.trackHint":
    "Страница отслеживания опрашивает все ретрансляторы этих выборов, поэтому работает, даже если принявший бюллетень ретранслятор недоступен.",
  "receipt.trackHintPublic":
    "Эту страницу отслеживания ведёт наблюдатель за выборами: он ищет ваш бюллетень прямо в блокчейне, поэтому она работает, даже если недоступны все ретрансляторы.",
  "receipt.trackOthers": "Другие страницы отслеживания:",
  "receipt.lost":
    "Ваш бюллетень принят, но ответ ретранслятора с подписанной квитанцией потерялся по дороге: {url} подтверждает, что у него есть именно этот бюллетень или что он уже записан в блокчейн. Он учитывается, как любой другой; отследить его можно по коду отслеживания.",
  "receipt.confirmedBy": "Подтвердил",
  "receipt.trackObserver": "наблюдатель {host}",
  "receipt.trackRelay": "ретранслятор {host}",
  "track.public": "Проверить прямо в блокчейне на странице наблюдателя:",
  "receipt.done": "Завершить",
  "receipt.finished": "Эту страницу можно закрыть. Сохраните квитанцию и код отслеживания.",
  "checker.okTitle": "Кабина не обманула: в бюллетене зашифрован именно этот выбор.",
  "checker.lieTitle": "Кабина обманула: в бюллетене зашифрован не тот выбор, который она вам показала.",
  "checker.lieContest": "{contest}: в бюллетене зашифровано «{encrypted}», а кабина показала «{stated}».",
  "checker.lieAdvice":
    "Не голосуйте через эту кабину. Сохраните файл проверки и сообщите об этом — с адресом страницы, выдавшей файл, — по контакту: {contact}.",
  "checker.brokenTitle": "Файл проверки не открывается: он повреждён, изменён или выдан неисправной кабиной.",
  "checker.brokenAdvice":
    "Если вы сохранили его из кабины и не меняли, передайте файл по контакту: {contact}.",
  "checker.notChallengeTitle": "Это не файл проверки.",
  "checker.notChallengeAdvice":
    "Выберите файл, который кабина сохранила после проверки шифрования (challenge-XXXX-….json), или вставьте его содержимое целиком.",
  "checker.defaultContact": "избирательная комиссия",
  "checker.nothing": "ничего",
  "track.reason.SequenceNotHigher":
    "в блокчейне уже был более поздний бюллетень того же избирателя, поэтому этот не записан.",
  "track.reason.RevoteNotAllowed":
    "избиратель уже проголосовал, а повторное голосование на этих выборах не допускается.",
  "track.reason.InvalidBallotSignature": "подпись бюллетеня недействительна.",
  "track.reason.InvalidBallotSize": "бюллетень повреждён.",
  "track.reason.UnknownBallotStyle": "такого вида бюллетеня на этих выборах нет.",
  "track.reason.VotingClosed": "голосование завершилось раньше, чем бюллетень попал в блокчейн.",
  "track.reason.voting-closed": "голосование завершилось раньше, чем бюллетень попал в блокчейн.",
  "track.reason.OutsideVotingWindow": "бюллетень попал в блокчейн вне времени голосования.",
  "track.reason.unknown":
    "блокчейн его отклонил (причина {reason}). Если голосование ещё идёт, проголосуйте снова.",
  "track.tracker": "Опрошены: {relays}",
  "error.details": "Подробности: {detail}",
  "code.unknown":
    "Сервис отклонил запрос (код {code}). Повторите попытку позже; если ошибка повторится, сообщите о ней в избирательную комиссию.",
  "code.too-many-selections": "В бюллетене отмечено больше вариантов, чем разрешено.",
};

const tables: Record<Language, Record<MessageKey, string>> = { en, ru };

let current: Language = "en";

export const isMessageKey = (key: string): key is MessageKey => Object.hasOwn(en, key);

export const messageKeys = (): MessageKey[] => Object.keys(en) as MessageKey[];

/**
 * Plural forms: {name:one|few|many} in Russian, {name:one|other} in English,
 * chosen for the number params[name] by the language's plural rules.
 */
const PLURAL_ORDER: Record<Language, Intl.LDMLPluralRule[]> = {
  ru: ["one", "few", "many"],
  en: ["one", "other"],
};

export function plural(lang: Language, n: number, forms: readonly string[]): string {
  const category = new Intl.PluralRules(lang).select(n);
  const index = PLURAL_ORDER[lang].indexOf(category);
  return forms[index >= 0 ? index : forms.length - 1] ?? "";
}

/** The message in the current language with {name} placeholders (and {name:plural|forms}) filled in. */
export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  return tables[current][key]
    .replace(/\{(\w+):([^{}]+)\}/g, (whole, name: string, forms: string) =>
      Object.hasOwn(params, name) ? plural(current, Number(params[name]), forms.split("|")) : whole,
    )
    .replace(/\{(\w+)\}/g, (whole, name: string) =>
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
