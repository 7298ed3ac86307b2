"""The recognisers behind the free-text screen, as Presidio recognisers, and the analyzer that runs them offline.

Presidio's own pattern recognisers find the structured kinds: phone numbers (Google's ``phonenumbers``, UK
numbering), e-mail addresses, web addresses, NHS numbers (with the modulus-11 check digit), National Insurance
numbers, UK postcodes and dates. Three recognisers are circles' own:

:class:`NameRecognizer`
    people's names, from the names the run knows (speakers, participants, staff), a gazetteer of given names
    and surnames (``data/README.md``), titles ("Mrs Patel") and relationship cues ("my daughter chloe"); an
    unknown capitalised word inside a sentence is a *possible* name, scored low so the quote is held for review.
:class:`PlaceRecognizer`
    named streets, schools, surgeries, nurseries and other places that can locate a family ("Audley Range",
    "St Barnabas Primary").
:class:`WrittenDateRecognizer`
    full dates written with the month's name ("3 March 2015", "12th of May 2009"), which Presidio's date
    patterns do not cover.

Every recogniser works without a language model: the analyzer gets a blank spaCy English tokenizer
(:class:`TokenizerOnlyEngine`), so no model is downloaded or loaded at run time, and e-mail addresses are
checked against the public-suffix list that ships with ``tldextract`` instead of a fresh copy from the web.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any

from presidio_analyzer import AnalyzerEngine, EntityRecognizer, Pattern, PatternRecognizer, RecognizerRegistry
from presidio_analyzer import RecognizerResult as _Result
from presidio_analyzer.nlp_engine import SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import (
    DateRecognizer,
    EmailRecognizer,
    NhsRecognizer,
    PhoneRecognizer,
    UkNinoRecognizer,
    UkPostcodeRecognizer,
    UrlRecognizer,
)
from spacy.lang.en.stop_words import STOP_WORDS

__all__ = [
    "looks_like_a_name",
    "NameRecognizer",
    "PlaceRecognizer",
    "WrittenDateRecognizer",
    "TokenizerOnlyEngine",
    "build_analyzer",
    "structured_recognisers",
    "given_names",
    "surnames",
]

#: Scores: at or above ``REDACT`` a finding is redacted; between ``HOLD`` and ``REDACT`` the quote is held.
REDACT = 0.5
HOLD = 0.3

_WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ'’\-]*")
_POSSESSIVE = re.compile(r"['’]s?$")
_SENTENCE_END = re.compile(r"[.!?:;\"“”(\[\n]\s*$|^\s*$|^\s*[-*•]\s*$")

#: Titles that precede a surname or a given name.
TITLES = frozenset(
    "mr mrs ms miss mx dr doctor nurse sister auntie aunty uncle nan nana grandad grandma sir madam prof "
    "father fr pastor imam councillor cllr".split()
)
#: Words that, after "my", "her", "our"... announce a person's name: "my daughter Chloe", "her fella Dean".
RELATIONS = frozenset(
    "son daughter lad girl boy baby kid kids child partner husband wife boyfriend girlfriend ex fella bloke "
    "mum mam mom dad brother sister sis bro cousin aunt auntie uncle nan nana gran grandma grandad granddad "
    "grandson granddaughter niece nephew friend mate neighbour stepdad stepmum worker keyworker nurse teacher "
    "youngest eldest oldest little".split()
)
_OWNERS = frozenset("my our her his their your me".split())
_NAMING = frozenset({"called", "named", "name's", "names"})
#: Given names that are also everyday words: a name only where the capital cannot come from the sentence.
COMMON_WORD_NAMES = frozenset(
    "will may june april august summer autumn winter hope grace faith joy dawn mark bill frank rose robin "
    "amber ruby holly ivy lily daisy poppy iris jasmine heather violet crystal star sky sunny misty honey "
    "charity patience mercy chance chase hunter mason cooper taylor baker carter parker page lane dale glen "
    "brook rich guy art pat sue don jean gene ray bob rob sandy penny cash king earl duke major bud buddy "
    "wade drew miles max sonny angel blessing comfort precious harmony melody destiny trinity unique "
    "lucky happy gay rusty dusty lance pierce grant hale heath lee young long bell hall price long".split()
)
#: Capitalised words that name no one: days, months, festivals, faiths, nationalities, family words, and the
#: words of services and roles that notes capitalise.
PUBLIC_WORDS = frozenset(
    """
    monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
    september october november december christmas easter eid ramadan diwali vaisakhi hanukkah halloween bonfire
    new year's god allah jesus lord english british scottish welsh irish polish romanian slovak lithuanian
    pakistani indian bangladeshi asian african caribbean european muslim christian hindu sikh jewish catholic
    urdu punjabi gujarati bengali arabic mum mam mom dad nan nana gran grandma grandad mummy daddy
    i i'm i've i'll i'd ok okay yeah yes no oh hiya
    social worker workers health visitor visitors visiting service services team teams council police hospital
    centre center hub school schools court family families children child care help early recovery job
    citizens advice home start housing benefits benefit universal credit mental drug drugs alcohol support group
    groups meeting workshop facilitator parent parents participant note-taker young people person nurse doctor
    gp gps a&e nhs trust programme program project unit ward wards officer manager lead worker's practice
    surgery clinic borough town hall street road centre's aa na adhd camhs dwp pip uc esa jsa
    facebook instagram insta tiktok snapchat whatsapp youtube google twitter netflix amazon ebay zoom teams
    tesco asda aldi lidl sainsbury sainsbury's morrisons spar greggs iceland mcdonalds mcdonald's kfc costa
    guinness carling stella strongbow fosters lambrini email e-mail emails text texts mobile online internet
    website app wifi covid sms detox rehab antabuse librium methadone subutex naloxone acamprosate
    coordinator advocate inspector navigator mentor practitioner therapist counsellor consultant midwife
    paramedic sergeant constable pc dc teacher head headteacher senco receptionist volunteer keyworker
    england britain uk wales scotland ireland europe
    """.split()
)
#: Words of roles and services: a capitalised word before one is part of a title ("Key Worker").
ROLE_WORDS = frozenset(
    "worker workers team service services officer coordinator manager nurse visitor advocate lead navigator "
    "mentor practitioner therapist counsellor consultant midwife teacher programme project hub unit centre "
    "group support review plan meeting panel board partnership".split()
)
#: Last words of a place that can locate a family.
PLACE_WORDS = (
    "Road|Rd|Street|St|Lane|Ln|Avenue|Ave|Close|Drive|Dr|Way|Range|Terrace|Crescent|Grove|Place|Square|Gardens|"
    "Row|Brow|Court|Mews|Walk|Parade|Estate|Primary School|Primary|Infant School|Junior School|High School|School|"
    "Academy|College|Nursery|Surgery|Medical Centre|Health Centre|Medical Practice|Practice|Arms|Inn|Tavern|"
    "Church|Mosque|Masjid|Chapel|Temple|Gurdwara|Flats|House|Towers|Park|Rec|Recreation Ground|"
    "Children's Centre|Community Centre|Centre|Library|Unit|General|Infirmary|Prison"
)
# capitalised words, with "of", "and", "C of E" inside ("St Silas' C of E Primary")
_CAP = r"(?:St\.?\s+|Saint\s+|The\s+)?(?:[A-Z][A-Za-z'’\-]*\s+(?:(?:of|and|de)\s+)?){1,4}"
_PLACE = re.compile(rf"\b{_CAP}(?:{PLACE_WORDS})\b(?![A-Za-z])")
#: Places that need no trimming: a hospital ward ("Ward C18"), a prison ("HMP Preston"), a house number and
#: the street after it ("27 Bank Top").
_FIXED_PLACES = (
    re.compile(r"\bWard\s+[A-Z]?[0-9]{1,3}[A-Z]?\b"),
    re.compile(r"\b(?:HMP|HMYOI|HMP/YOI)\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?\b"),
)
_HOUSE_NUMBER = re.compile(r"\b[0-9]{1,4}[a-z]?,?\s+((?:[A-Z][a-z'’]+\s+){0,2}[A-Z][a-z'’]+)\b")
_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December|"
    "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
_DAY = r"(?:[0-2]?[0-9]|3[01])(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)[0-9]{2}"
#: ``3 March 2015``, ``12th of May 2009``, ``March 3rd, 2015``, ``Mon 3 March 2015``.
WRITTEN_DATES = (
    Pattern("day month year", rf"\b{_DAY}\s+(?:of\s+)?(?:{_MONTHS})\.?,?\s+{_YEAR}\b", 0.6),
    Pattern("month day year", rf"\b(?:{_MONTHS})\.?\s+{_DAY},?\s+{_YEAR}\b", 0.6),
    Pattern("dd.mm.yyyy", r"\b(?:0?[1-9]|[12][0-9]|3[01])[./-](?:0?[1-9]|1[0-2])[./-](?:19|20)?[0-9]{2}\b", 0.6),
)
#: An NHS number as Presidio's pattern writes it (3, 3 and 4 digits, spaces or hyphens between), except the digits
#: after a decimal point or before one (``0.6671214603`` is a rate that happens to pass the modulus-11 check, not a
#: number a person has). A comma beside it still counts: it separates fields in a CSV.
NHS_NUMBER = Pattern("NHS (not a decimal)", r"(?<![0-9]\.)\b[0-9]{3}[- ]?[0-9]{3}[- ]?[0-9]{4}\b(?!\.[0-9])", 0.5)
#: A profile address: a domain and a path, with an ``@`` handle Presidio's URL pattern stops at.
PROFILE_URLS = (
    Pattern(
        "profile",
        r"\b(?:https?://)?(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|co\.uk|org|net|uk|me|io|tv|ly)"
        r"/[^\s,;)\]]*[^\s,;)\].!?]",
        0.6,
    ),
)


def _words(file: str) -> frozenset[str]:
    text = resources.files("circles.ingest.screening").joinpath("data", file).read_text(encoding="utf-8")
    return frozenset(line for line in text.splitlines() if line)


@cache
def ordinary_words() -> frozenset[str]:
    """Lower-case English words (``data/ordinary_words.txt.gz``): a capitalised one is not taken for a name."""
    data = resources.files("circles.ingest.screening").joinpath("data", "ordinary_words.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode("utf-8").split())


def is_ordinary(key: str) -> bool:
    """Whether a lower-case word is an ordinary English word, or one with a plural or verb ending; a hyphenated
    word when each part is ("drop-in", "take-up")."""
    if "-" in key.strip("-"):
        return all(is_ordinary(part) or part in PUBLIC_WORDS for part in key.split("-") if part)
    words = ordinary_words()
    if key in words or key in STOP_WORDS:
        return True
    for ending, restore in (("s", ""), ("es", ""), ("ies", "y"), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e")):
        if key.endswith(ending) and key[: -len(ending)] + restore in words:
            return True
    return False


@cache
def given_names() -> frozenset[str]:
    """The gazetteer of given names, lower case (``data/given_names.txt``)."""
    return _words("given_names.txt")


@cache
def surnames() -> frozenset[str]:
    """The gazetteer of surnames, lower case (``data/surnames.txt``)."""
    return _words("surnames.txt")


def _key(word: str) -> str:
    """The word to look up: lower case, without a possessive; a contraction's first part ("we've" -> "we")."""
    key = _POSSESSIVE.sub("", word).casefold().replace("’", "'")
    head, _, tail = key.partition("'")
    return head if tail in {"ve", "re", "ll", "d", "m", "t"} else key


def _public_word(key: str, public: frozenset[str]) -> bool:
    """``key`` or its singular ("Mondays") is a public word."""
    return key in public or (key.endswith("s") and key[:-1] in public)


def looks_like_a_name(label: str) -> bool:
    """Whether a speaker label or attendee is a person's name ("Jane", "Mr Khan"), not a role ("GP",
    "Recovery worker", "Parent A"): a word of two or more letters, not all capitals, that is a given name or
    surname, or no ordinary or public word."""
    for word in _WORD.findall(label):
        key = _key(word)
        if len(key) < 2 or word.isupper() or key in PUBLIC_WORDS or key in STOP_WORDS:
            continue
        if key in given_names() or key in surnames() or not is_ordinary(key):
            return True
    return False


def _phrase_pattern(phrases: Iterable[str]) -> re.Pattern[str] | None:
    """One case-insensitive, whole-word regex for ``phrases`` (longest first), or ``None`` when empty."""
    cleaned = sorted({" ".join(p.split()) for p in phrases if p and len(p.strip()) >= 2}, key=len, reverse=True)
    if not cleaned:
        return None
    body = "|".join(r"\s+".join(re.escape(w) for w in p.split()) for p in cleaned)
    return re.compile(rf"(?<![\w])(?:{body})(?![\w])", re.IGNORECASE)


class NameRecognizer(EntityRecognizer):
    """People's names: known names, gazetteer names, titles and relationship cues; unknown capitals held.

    Scores (``PERSON``; :data:`REDACT` and above are redacted, :data:`HOLD` to :data:`REDACT` hold the text):

    * 1.0 — a name the run knows ("Dean Walsh");
    * 0.9 — after a title or a relationship ("Mrs Patel", "my son jake", "our Kiera");
    * 0.85 — a gazetteer given name, capitalised, inside a sentence;
    * 0.7 — the same at the start of a sentence, or a name that is also a word inside one ("had Grace round");
    * 0.6 — a gazetteer given name in lower case that is no English word ("me and kacey"); a gazetteer surname
      inside a sentence;
    * 0.4 — a name that is also a word, starting a sentence ("Hope is ..."); a capitalised word that is no
      name, no English word and not public ("Brookhouse").

    A capitalised given name or surname after a name joins its span ("Chloe Smith"). Words of a phrase known to
    be public (a service, a ward), days, months, festivals, roles and brands (:data:`PUBLIC_WORDS`) are never
    names, nor is a capitalised word before a number ("Tier 4") or a role ("Key Worker").

    Parameters
    ----------
    people : iterable of str
        Names the run knows: speakers, participants, staff.
    public : iterable of str
        Names known to be public: services, organisations, wards and places the analysis publishes.
    """

    ENTITIES = ("PERSON",)

    def __init__(self, people: Iterable[str] = (), public: Iterable[str] = ()) -> None:
        self.people = _phrase_pattern(people)
        self.public = _phrase_pattern(public)
        self.public_words = PUBLIC_WORDS | {_key(w) for p in public for w in _WORD.findall(p)}
        super().__init__(supported_entities=list(self.ENTITIES), name="circles names", supported_language="en")

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[_Result]:
        results: list[_Result] = []
        if self.people is not None:
            for match in self.people.finditer(text):
                results.append(self._result(text, match.start(), match.end(), 1.0, "a name the run knows"))
        public_spans = [m.span() for m in self.public.finditer(text)] if self.public is not None else []
        words = [m for m in _WORD.finditer(text) if not any(a <= m.start() < b for a, b in public_spans)]
        i = 0
        while i < len(words):
            score, why = self._judge(text, words, i)
            if not score:
                i += 1
                continue
            end = self._extend(text, words, i)
            results.append(self._result(text, words[i].start(), words[end].end(), score, why))
            i = end + 1
        return results

    def _judge(self, text: str, words: list[re.Match[str]], i: int) -> tuple[float, str]:
        """The score and reason for a name starting at word ``i`` (0 when it is not one)."""
        word = words[i]
        token, key = word.group(), _key(word.group())
        previous = [w.group().casefold() for w in words[max(0, i - 2) : i]]
        first = bool(_SENTENCE_END.search(text[: word.start()]))
        capital = token[0].isupper() and not (token.isupper() and len(token) > 1)
        parts = [part for part in key.split("-") if part]  # "Ruby-Mae", "Kerry-Ann": every part a given name
        given = key in given_names() or (len(parts) > 1 and all(part in given_names() for part in parts))
        known = _public_word(key, self.public_words)
        stop = key in STOP_WORDS
        if key in TITLES and capital and i + 1 < len(words) and self._adjacent(text, word, words[i + 1]):
            nxt = words[i + 1].group()
            if nxt[0].isupper() and _key(nxt) not in STOP_WORDS and _key(nxt) not in ROLE_WORDS:
                return 0.9, f"a title ({token})"
        if self._cue(previous) and not known and ((given and not stop) or capital):
            return 0.9, "after '" + " ".join(previous[-2:]) + "'"
        ordinary = is_ordinary(key) and not (given and "-" in key)
        if not capital and given and not ordinary and not stop and not known and len(key) > 2:
            return 0.6, "a given name in lower case"  # "me and kacey", texts written without capitals
        if not capital or stop or known or self._number_follows(text, word) or self._role_follows(text, words, i):
            return 0.0, ""
        if given and not ordinary:
            return (0.7 if first else 0.85), "a given name"
        if given:  # Hope, Jenny, Grace: a name inside a sentence; at its start, held unless a surname follows
            if not first:
                return 0.7, "a given name that is also a word"
            if self._extend(text, words, i) > i:
                return 0.7, "a given name and surname"
            return 0.4, "a given name that is also a word, starting a sentence (a name?)"
        if key in surnames() and not ordinary and not first:
            return 0.6, "a surname"
        if not ordinary and len(key) > 1:
            return 0.4, "a capitalised word the screen does not know (a name?)"
        return 0.0, ""

    def _cue(self, previous: list[str]) -> bool:
        """'my daughter', 'her fella', 'called', 'named': a name follows."""
        if len(previous) >= 2 and previous[-2] in _OWNERS and _key(previous[-1]) in RELATIONS:
            return True
        if previous and previous[-1] == "our":  # "our Kiera": a family member, in the North West
            return True
        return bool(previous) and previous[-1] in _NAMING or previous[-2:] == ["name", "is"]

    def _role_follows(self, text: str, words: list[re.Match[str]], i: int) -> bool:
        """ "Key Worker", "Recovery Coordinator": a capitalised word before a capitalised public word (a role,
        a service) is part of that title, not a name."""
        if i + 1 >= len(words) or not self._adjacent(text, words[i], words[i + 1]):
            return False
        nxt = words[i + 1].group()
        return nxt[0].isupper() and _public_word(_key(nxt), ROLE_WORDS)

    @staticmethod
    def _number_follows(text: str, word: re.Match[str]) -> bool:
        """ "Tier 4", "Room 12", "Bus 1": a capitalised word before a number names a thing, not a person."""
        return bool(re.match(r"\s+[0-9]", text[word.end() :]))

    @staticmethod
    def _adjacent(text: str, a: re.Match[str], b: re.Match[str]) -> bool:
        return text[a.end() : b.start()] in (" ", ". ")

    def _extend(self, text: str, words: list[re.Match[str]], i: int) -> int:
        """The index of the last word of the name starting at ``i``: capitalised names that follow join it."""
        end = i
        while end + 1 < len(words) and self._adjacent(text, words[end], words[end + 1]):
            if words[end].group().endswith(("'s", "’s")):
                break
            nxt = words[end + 1].group()
            key = _key(nxt)
            if not nxt[0].isupper() or _public_word(key, self.public_words) or key in STOP_WORDS:
                break
            if key not in surnames() and key not in given_names() and is_ordinary(key):
                break
            end += 1
        return end

    def _result(self, text: str, start: int, end: int, score: float, why: str) -> _Result:
        if text[start:end].endswith(("'s", "’s")):  # "Kyle's dad" -> "[name]'s dad"
            end -= 2
        return _Result(
            entity_type="PERSON",
            start=start,
            end=end,
            score=score,
            analysis_explanation=None,
            recognition_metadata={"recognizer_name": self.name, "reason": why},
        )


class PlaceRecognizer(EntityRecognizer):
    """Named places that can locate a family: streets, schools, surgeries, nurseries, pubs, hospital wards.

    A run of capitalised words ending in a place word (:data:`PLACE_WORDS`: Road, Range, Primary, Surgery,
    Arms...) is a place (``LOCATION``, 0.85), unless it is a public name (a ward, a service's venue).
    """

    ENTITIES = ("LOCATION",)
    _units = frozenset("year years month months week weeks day days hour hours times cans pints units tier".split())

    def __init__(self, public: Iterable[str] = ()) -> None:
        self.public = _phrase_pattern(public)
        self.public_words = PUBLIC_WORDS | {_key(w) for p in public for w in _WORD.findall(p)}
        super().__init__(supported_entities=list(self.ENTITIES), name="circles places", supported_language="en")

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[_Result]:
        public = [m.span() for m in self.public.finditer(text)] if self.public is not None else []
        spans = [(m.start(), m.end(), True) for m in _PLACE.finditer(text)]
        spans += [(m.start(), m.end(), False) for pattern in _FIXED_PLACES for m in pattern.finditer(text)]
        for m in _HOUSE_NUMBER.finditer(text):  # "27 Bank Top": not "3 March", "10 Mondays"
            if not {_key(w) for w in m.group(1).split()} & (PUBLIC_WORDS | self._units):
                spans.append((m.start(), m.end(), False))
        results = []
        for start, end, trim in spans:
            start = self._trim(text, start, end) if trim else start
            if start is None or any(a <= start and end <= b for a, b in public) or self._all_public(text[start:end]):
                continue
            results.append(
                _Result(
                    entity_type="LOCATION",
                    start=start,
                    end=end,
                    score=0.85,
                    analysis_explanation=None,
                    recognition_metadata={"recognizer_name": self.name, "reason": "a named place"},
                )
            )
        return results

    def _all_public(self, span: str) -> bool:
        """ "The Job Centre" (public words only), "Higher Croft and Queen's Park" (public names joined)."""
        words = [_key(w) for w in _WORD.findall(span) if w[0].isupper() and _key(w) != "the"]
        if words and all(w in PUBLIC_WORDS for w in words):
            return True
        parts = re.split(r"\s+(?:and|&|of)\s+", re.sub(r"^(?:The|the)\s+", "", span))
        return self.public is not None and all(self.public.fullmatch(part) for part in parts)

    @staticmethod
    def _trim(text: str, start: int, end: int) -> int | None:
        """Drop leading words that are not part of the place ("The", "At", a sentence's first word)."""
        words = list(_WORD.finditer(text, start, end))
        while len(words) > 1 and (
            _key(words[0].group()) in {"at", "in", "on", "to", "from", "near", "by", "and", "i", "we", "she", "he"}
            or _key(words[0].group()) in PUBLIC_WORDS - {"st"}
        ):
            words = words[1:]
        if len(words) < 2:
            return None
        return words[0].start()


class WrittenDateRecognizer(PatternRecognizer):
    """Full dates written with the month's name: ``3 March 2015``, ``12th of May 2009``, ``March 3rd, 2015``."""

    def __init__(self) -> None:
        super().__init__(
            supported_entity="DATE_TIME",
            patterns=list(WRITTEN_DATES),
            context=["born", "birthday", "birth", "dob"],
            name="circles written dates",
        )


class _OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's e-mail recogniser, checking the domain against tldextract's bundled public-suffix list.

    The stock recogniser asks ``tldextract`` with its defaults, which fetch the list from the web on first use.
    """

    def validate_result(self, pattern_text: str) -> bool:
        return _offline_suffixes()(pattern_text).fqdn != ""


@cache
def _offline_suffixes() -> Any:
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


class TokenizerOnlyEngine(SpacyNlpEngine):
    """Presidio's spaCy engine on a blank English tokenizer: tokens and lower-case words, no model, no NER.

    Presidio raises a pattern's score when a context word ("born", "postcode", "ring") is near it; it reads those
    words from the tokens this engine gives, so context works without a trained pipeline.
    """

    def __init__(self) -> None:
        super().__init__(models=[{"lang_code": "en", "model_name": "blank:en"}])

    def load(self) -> None:
        import spacy

        self.nlp = {"en": spacy.blank("en")}

    def _doc_to_nlp_artifact(self, doc: Any, language: str) -> Any:
        artifacts = super()._doc_to_nlp_artifact(doc, language)
        artifacts.lemmas = [token.lower_ for token in doc]
        artifacts.keywords = artifacts.set_keywords(self, artifacts.lemmas, language)
        return artifacts

    def _get_entities(self, doc: Any) -> list[Any]:
        return []

    def _get_scores_for_entities(self, doc: Any) -> list[float]:
        return []

    def _get_updated_entities(self, entities: list[Any], scores: list[float]) -> tuple[list[Any], list[float]]:
        return [], []


_STRUCTURED_ENTITIES = {
    "phone": "PHONE_NUMBER",
    "email": "EMAIL_ADDRESS",
    "url": "URL",
    "nhs_number": "UK_NHS",
    "ni_number": "UK_NINO",
    "postcode": "UK_POSTCODE",
    "date": "DATE_TIME",
    "date_of_birth": "DATE_TIME",
}


def _structured() -> list[EntityRecognizer]:
    return [
        # leniency 0: a number that could be a phone number counts, the Ofcom drama ranges (07700 900xxx) too
        PhoneRecognizer(supported_regions=("GB",), leniency=0, context=["ring", "call", "text", "phone", "number"]),
        _OfflineEmailRecognizer(),
        UrlRecognizer(),
        PatternRecognizer(supported_entity="URL", patterns=list(PROFILE_URLS), name="circles profile addresses"),
        NhsRecognizer(patterns=[NHS_NUMBER]),  # and its modulus-11 check
        UkNinoRecognizer(),
        UkPostcodeRecognizer(),
        DateRecognizer(context=["born", "birthday", "birth", "dob", "date"]),
        WrittenDateRecognizer(),
    ]


@cache
def structured_recognisers(kinds: tuple[str, ...]) -> tuple[EntityRecognizer, ...]:
    """The recognisers of the structured ``kinds`` (phone, email, ...), for scanning whole files."""
    entities = {_STRUCTURED_ENTITIES[k] for k in kinds}
    return tuple(r for r in _structured() if set(r.supported_entities) & entities)


def build_analyzer(people: Iterable[str] = (), public: Iterable[str] = ()) -> AnalyzerEngine:
    """A Presidio :class:`~presidio_analyzer.AnalyzerEngine` with circles' recognisers, working offline.

    Parameters
    ----------
    people : iterable of str
        Names the run knows (speakers, participants, staff): always names.
    public : iterable of str
        Public names (services, organisations, wards): never names or places.
    """
    people, public = list(people), list(public)
    registry = RecognizerRegistry(supported_languages=["en"])
    for recogniser in (*_structured(), NameRecognizer(people, public), PlaceRecognizer(public)):
        registry.add_recognizer(recogniser)
    return AnalyzerEngine(registry=registry, nlp_engine=TokenizerOnlyEngine(), supported_languages=["en"])
