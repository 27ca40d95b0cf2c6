"""Words people type: commands and numbers, in English and in each supported language."""

from __future__ import annotations

import unicodedata
from enum import StrEnum


class Command(StrEnum):
    """What a participant can ask the bot to do, besides answering."""

    JOIN = "join"
    HELP = "help"
    BACK = "back"
    SKIP = "skip"
    REVIEW = "review"
    CHANGE = "change"
    WITHDRAW = "withdraw"
    PAUSE = "pause"
    RESUME = "resume"
    STOP = "stop"
    OPTOUT = "optout"
    LANGUAGE = "language"
    LINK = "link"
    TIMEZONE = "timezone"
    VERIFY = "verify"
    FOLLOW = "follow"
    UNFOLLOW = "unfollow"
    FOLLOWING = "following"
    AUTOFOLLOW = "autofollow"
    THEMES = "themes"
    UPDATE = "update"
    CANCEL = "cancel"
    TEXTONLY = "textonly"
    EASYREAD = "easyread"
    PRACTICES = "practices"
    PRACTICE = "practice"
    PUBLISH = "publish"


# English words work everywhere; each language adds its own. Keys are folded (see fold()).
COMMAND_WORDS: dict[str, dict[Command, tuple[str, ...]]] = {
    "en": {
        Command.JOIN: ("join", "start"),
        Command.HELP: ("help",),
        Command.BACK: ("back",),
        Command.SKIP: ("skip",),
        Command.REVIEW: ("review",),
        Command.CHANGE: ("change",),
        Command.WITHDRAW: ("withdraw",),
        Command.PAUSE: ("pause",),
        Command.RESUME: ("resume", "continue"),
        Command.STOP: ("stop",),
        Command.OPTOUT: ("optout", "opt-out", "unsubscribe"),
        Command.LANGUAGE: ("language",),
        Command.LINK: ("link",),
        Command.TIMEZONE: ("timezone", "tz"),
        Command.VERIFY: ("verify",),
        Command.FOLLOW: ("follow",),
        Command.UNFOLLOW: ("unfollow",),
        Command.FOLLOWING: ("following",),
        Command.AUTOFOLLOW: ("autofollow",),
        Command.THEMES: ("themes",),
        Command.UPDATE: ("update",),
        Command.CANCEL: ("cancel",),
        Command.TEXTONLY: ("textonly", "text-only"),
        Command.EASYREAD: ("easyread", "easy-read"),
        Command.PRACTICES: ("practices", "good-practices"),
        Command.PRACTICE: ("practice",),
        Command.PUBLISH: ("publish",),
    },
    "fr": {
        Command.JOIN: ("rejoindre",),
        Command.HELP: ("aide",),
        Command.BACK: ("retour",),
        Command.SKIP: ("passer",),
        Command.REVIEW: ("revoir", "recapitulatif"),
        Command.CHANGE: ("modifier",),
        Command.WITHDRAW: ("retirer",),
        Command.PAUSE: ("pause",),
        Command.RESUME: ("reprendre",),
        Command.STOP: ("arreter",),
        Command.OPTOUT: ("desinscrire", "desabonner"),
        Command.LANGUAGE: ("langue",),
        Command.LINK: ("lier",),
        Command.TIMEZONE: ("fuseau",),
        Command.VERIFY: ("verifier",),
        Command.FOLLOW: ("suivre",),
        Command.UNFOLLOW: ("ne-plus-suivre",),
        Command.FOLLOWING: ("suivis",),
        Command.AUTOFOLLOW: ("suivi-auto",),
        Command.THEMES: ("thematiques",),
        Command.UPDATE: ("mise-a-jour",),
        Command.CANCEL: ("annuler",),
        Command.TEXTONLY: ("texte-seul",),
        Command.EASYREAD: ("facile-a-lire",),
        Command.PRACTICES: ("pratiques", "bonnes-pratiques"),
        Command.PRACTICE: ("pratique",),
        Command.PUBLISH: ("publier",),
    },
    "es": {
        Command.JOIN: ("unirse",),
        Command.HELP: ("ayuda",),
        Command.BACK: ("atras", "volver"),
        Command.SKIP: ("saltar", "omitir"),
        Command.REVIEW: ("revisar",),
        Command.CHANGE: ("cambiar",),
        Command.WITHDRAW: ("retirar",),
        Command.PAUSE: ("pausa",),
        Command.RESUME: ("reanudar", "continuar"),
        Command.STOP: ("parar", "detener"),
        Command.OPTOUT: ("baja", "darse-de-baja"),
        Command.LANGUAGE: ("idioma",),
        Command.LINK: ("vincular",),
        Command.TIMEZONE: ("zona",),
        Command.VERIFY: ("verificar",),
        Command.FOLLOW: ("seguir",),
        Command.UNFOLLOW: ("dejar-de-seguir",),
        Command.FOLLOWING: ("siguiendo",),
        Command.AUTOFOLLOW: ("seguimiento-auto",),
        Command.THEMES: ("temas",),
        Command.UPDATE: ("actualizar",),
        Command.CANCEL: ("cancelar",),
        Command.TEXTONLY: ("solo-texto",),
        Command.EASYREAD: ("lectura-facil",),
        Command.PRACTICES: ("practicas", "buenas-practicas"),
        Command.PRACTICE: ("practica",),
        Command.PUBLISH: ("publicar",),
    },
    "ar": {
        Command.JOIN: ("انضمام",),
        Command.HELP: ("مساعدة",),
        Command.BACK: ("رجوع",),
        Command.SKIP: ("تخطي",),
        Command.REVIEW: ("مراجعة",),
        Command.CHANGE: ("تغيير",),
        Command.WITHDRAW: ("سحب",),
        Command.PAUSE: ("ايقاف-مؤقت",),
        Command.RESUME: ("استئناف",),
        Command.STOP: ("توقف",),
        Command.OPTOUT: ("الغاء-الاشتراك",),
        Command.LANGUAGE: ("اللغة",),
        Command.LINK: ("ربط",),
        Command.TIMEZONE: ("المنطقة-الزمنية",),
        Command.VERIFY: ("تحقق",),
        Command.FOLLOW: ("متابعة",),
        Command.UNFOLLOW: ("الغاء-المتابعة",),
        Command.FOLLOWING: ("متابعاتي",),
        Command.AUTOFOLLOW: ("متابعة-تلقائية",),
        Command.THEMES: ("المواضيع",),
        Command.UPDATE: ("تحديث",),
        Command.CANCEL: ("الغاء",),
        Command.TEXTONLY: ("نص-فقط",),
        Command.EASYREAD: ("سهل-القراءة",),
        Command.PRACTICES: ("ممارسات", "ممارسات-جيدة"),
        Command.PRACTICE: ("ممارسة",),
        Command.PUBLISH: ("نشر",),
    },
    "ru": {
        Command.JOIN: ("присоединиться",),
        Command.HELP: ("помощь",),
        Command.BACK: ("назад",),
        Command.SKIP: ("пропустить",),
        Command.REVIEW: ("обзор",),
        Command.CHANGE: ("изменить",),
        Command.WITHDRAW: ("отозвать",),
        Command.PAUSE: ("пауза",),
        Command.RESUME: ("продолжить",),
        Command.STOP: ("стоп",),
        Command.OPTOUT: ("отписаться",),
        Command.LANGUAGE: ("язык",),
        Command.LINK: ("связать",),
        Command.TIMEZONE: ("часовой-пояс",),
        Command.VERIFY: ("подтвердить",),
        Command.FOLLOW: ("следить",),
        Command.UNFOLLOW: ("не-следить",),
        Command.FOLLOWING: ("подписки",),
        Command.AUTOFOLLOW: ("автоподписка",),
        Command.THEMES: ("темы",),
        Command.UPDATE: ("обновление",),
        Command.CANCEL: ("отмена",),
        Command.TEXTONLY: ("только-текст",),
        Command.EASYREAD: ("легко-читать",),
        Command.PRACTICES: ("практики",),
        Command.PRACTICE: ("практика",),
        Command.PUBLISH: ("опубликовать",),
    },
    "zh": {
        Command.JOIN: ("加入",),
        Command.HELP: ("帮助",),
        Command.BACK: ("返回",),
        Command.SKIP: ("跳过",),
        Command.REVIEW: ("查看",),
        Command.CHANGE: ("修改",),
        Command.WITHDRAW: ("撤回",),
        Command.PAUSE: ("暂停",),
        Command.RESUME: ("继续",),
        Command.STOP: ("停止",),
        Command.OPTOUT: ("退订",),
        Command.LANGUAGE: ("语言",),
        Command.LINK: ("关联",),
        Command.TIMEZONE: ("时区",),
        Command.VERIFY: ("验证",),
        Command.FOLLOW: ("关注",),
        Command.UNFOLLOW: ("取消关注",),
        Command.FOLLOWING: ("我的关注",),
        Command.AUTOFOLLOW: ("自动关注",),
        Command.THEMES: ("主题",),
        Command.UPDATE: ("更新",),
        Command.CANCEL: ("取消",),
        Command.TEXTONLY: ("纯文本",),
        Command.EASYREAD: ("易读",),
        Command.PRACTICES: ("良好做法",),
        Command.PRACTICE: ("做法",),
        Command.PUBLISH: ("发布",),
    },
}

# Babel cannot spell numbers, so the words for 1-12 are kept here for typed answers.
NUMBER_WORDS: dict[str, tuple[str, ...]] = {
    "en": (
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
    ),
    "fr": (
        "un",
        "deux",
        "trois",
        "quatre",
        "cinq",
        "six",
        "sept",
        "huit",
        "neuf",
        "dix",
        "onze",
        "douze",
    ),
    "es": (
        "uno",
        "dos",
        "tres",
        "cuatro",
        "cinco",
        "seis",
        "siete",
        "ocho",
        "nueve",
        "diez",
        "once",
        "doce",
    ),
    "ar": (
        "واحد",
        "اثنان",
        "ثلاثة",
        "اربعة",
        "خمسة",
        "ستة",
        "سبعة",
        "ثمانية",
        "تسعة",
        "عشرة",
        "احد عشر",
        "اثنا عشر",
    ),
    "ru": (
        "один",
        "два",
        "три",
        "четыре",
        "пять",
        "шесть",
        "семь",
        "восемь",
        "девять",
        "десять",
        "одиннадцать",
        "двенадцать",
    ),
    "zh": ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二"),
}
EXTRA_NUMBER_WORDS: dict[str, int] = {"une": 1, "una": 1, "اثنين": 2, "两": 2, "одна": 1}
ARABIC_INDIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
ARABIC_SPELLINGS = str.maketrans("أإآ", "ااا", "ـ")


def fold(text: str) -> str:
    """Lower case without accents or Arabic hamza forms, so typed words match however written."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    # Arabic is often typed without hamza seats or tatweel.
    kept = kept.translate(ARABIC_SPELLINGS)
    return " ".join(kept.translate(ARABIC_INDIC_DIGITS).split())


def _index() -> dict[str, Command]:
    table: dict[str, Command] = {}
    for words in COMMAND_WORDS.values():
        for command, spellings in words.items():
            for spelling in spellings:
                table[fold(spelling)] = command
                table[fold(spelling).replace("-", " ")] = command
    return table


_COMMANDS = _index()


# Only these take a word after them; any other command must be the whole message, so that a
# free-text answer such as "stop the evictions" is never mistaken for `stop`.
TAKES_ARGUMENT = frozenset(
    {
        Command.JOIN,
        Command.CHANGE,
        Command.WITHDRAW,
        Command.LANGUAGE,
        Command.LINK,
        Command.TIMEZONE,
        Command.VERIFY,
        Command.FOLLOW,
        Command.UNFOLLOW,
        Command.AUTOFOLLOW,
        Command.UPDATE,
        Command.TEXTONLY,
        Command.EASYREAD,
        Command.PRACTICE,
    }
)


# Themes have names of several words ("follow birth registration"), and so have searches
# ("practices birth registration").
TAKES_PHRASE = frozenset({Command.FOLLOW, Command.UNFOLLOW, Command.PRACTICES})


QUOTES = "\"'«»“”„‘’「」『』"


def parse_command(text: str) -> tuple[Command, str] | None:
    """The command a message is, with its argument, or None for an ordinary answer."""
    # Help texts in some languages quote command words («обзор»); people copy the quotes.
    text = text.strip().strip(QUOTES).strip()
    slashed = text.startswith("/")
    words = fold(text.lstrip("/")).split()
    if not words:
        return None
    # Telegram appends the bot's name to commands in some clients: /review@ConsultaBot.
    words[0] = words[0].split("@", 1)[0]
    for size in (1, 2, 3):
        phrase = " ".join(words[:size])
        command = _COMMANDS.get(phrase)
        if command is None:
            continue
        rest = words[size:]
        if not rest or slashed:
            return command, " ".join(rest)
        if command in TAKES_ARGUMENT and len(rest) == 1:
            return command, rest[0]
        if command in TAKES_PHRASE:
            return command, " ".join(rest)
    return None


def number_from_word(text: str, language: str) -> int | None:
    """A number typed as digits or as a word (1-12) in English or the participant's language."""
    folded = fold(text).rstrip(".)")
    if folded.isdigit():
        return int(folded)
    for code in {"en", language.split("-")[0]}:
        words = [fold(w) for w in NUMBER_WORDS.get(code, ())]
        if folded in words:
            return words.index(folded) + 1
    return EXTRA_NUMBER_WORDS.get(folded)


def command_word(command: Command, language: str) -> str:
    """How a command is spelled in a language, for help texts."""
    return COMMAND_WORDS.get(language, COMMAND_WORDS["en"]).get(
        command, COMMAND_WORDS["en"][command]
    )[0]


# What turns a mode on or off after its command (autofollow, textonly, easyread), in any of
# the six languages; English works everywhere. Folded, like everything typed.
SWITCH_ON = frozenset(
    fold(w) for w in ("on", "yes", "oui", "activer", "sí", "activar", "نعم", "تشغيل", "да", "вкл")
) | frozenset({"开", "是", "打开"})
SWITCH_OFF = frozenset(
    fold(w) for w in ("off", "no", "non", "désactiver", "desactivar", "لا", "ايقاف", "нет", "выкл")
) | frozenset({"关", "否", "关闭"})
