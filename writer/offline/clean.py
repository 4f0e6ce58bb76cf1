"""Clean an idea before the offline improver reads it: drop chatter addressed to an AI, keep the
request, and keep the person's own output rules as constraints.

"As an AI, I will help you create a function" asks for a function; "Output rules: bullet points,
max 200 words" are two constraints; "Remember I'm an AI" is nothing. None of that meta language may
reach the prompt, which would otherwise tell the next model it is an AI following "output rules".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from writer.text import fold

# Whole sentences that only talk to (or about) the AI: dropped.
_META_SENTENCE = re.compile(
    r"\b(?:as an? (?:ai|a\.i\.|artificial intelligence|language model|llm|assistant|chatbot)"
    r"|(?:i'?m|i am|you'?re|you are|eres|soy|actua|actuas) (?:como )?(?:an? |una? )?"
    r"(?:ai|ia|a\.i\.|chatgpt|gpt|claude|gemini|llm|bot|chatbot|asistente|assistant|"
    r"helpful assistant|modelo de lenguaje|language model|inteligencia artificial)\b"
    r"|(?:large )?language model|modelo de lenguaje|inteligencia artificial|\bchatgpt\b"
    r"|como (?:una? )?(?:ia|asistente|modelo)\b"
    r"|(?:remember|recuerda|no olvides|don'?t forget)\b.*\b(?:ai|ia|assistant|asistente|bot)\b"
    r"|(?:do not|don'?t|never|no) (?:mention|say|reveal|menciones|digas)\b.*"
    r"\b(?:ai|ia|model|modelo|assistant|asistente|disclaimer)"
    r"|\b(?:no|without|sin) (?:disclaimers?|descargos?|advertencias)\b"
    r"|^(?:sure|of course|certainly|claro|por supuesto)[,!.]"
    r"|\b(?:thanks|thank you|gracias|thx|ty)\b[!. ]*$)",
)
# "Output rules:", "Hard rules -", "Reglas de salida:": what follows are the person's rules.
_RULES_LABEL = re.compile(
    r"(?:^|(?<=[\s.;]))(?:(?:hard|output|strict|formatting|format|response|answer)\s+rules?"
    r"|rules?|constraints?|output format|formato de (?:salida|respuesta)|reglas(?: de (?:salida|"
    r"formato|respuesta))?|restricciones)\s*[:\-]\s*",
    re.IGNORECASE,
)
# Openings that wrap the real request: "I will help you create ..." -> "create ...".
_WRAPPER = re.compile(
    r"^(?:(?:ok(?:ay)?|so|well|hi|hello|hey|hola|bueno|vale)[,!.]?\s+)*"
    r"(?:i(?: will|'ll| can| am going to|'m going to) help you(?: to)?"
    r"|te (?:ayudare|voy a ayudar) a"
    r"|(?:can|could|would) you(?: please)?|please|por favor,?|i want you to|i need you to"
    r"|(?:puedes|podrias|quiero que|necesito que)(?: por favor)?)\s+",
    re.IGNORECASE,
)
# Role assignments aimed at the model ("You are an expert copywriter.", "Actúa como..."): the
# improver writes its own role, so these sentences are dropped.
_ROLE_ASSIGNMENT = re.compile(
    r"^(?:you are|you're|act as|acting as|pretend (?:to be|you are)|imagine you are|"
    r"from now on,? you|eres|actua como|actuando como|haz de|imagina que eres|finge que eres)\b"
)
_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|\n|$)")
# Left in no prompt, whatever survives the rules above.
FORBIDDEN = re.compile(
    r"as an ai|language model|modelo de lenguaje|hard rules?|output rules?|reglas de salida|"
    r"i'?m an ai|como (?:una )?ia\b",
    re.IGNORECASE,
)


@dataclass
class CleanIdea:
    request: str
    rules: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def _split_rules(text: str) -> list[str]:
    parts = re.split(r"\s*(?:;|\n|\s-\s|(?<=[a-z0-9)])\.\s+|,\s+(?=[a-z]+ ))", text.strip())
    rules = []
    for part in parts:
        part = part.strip(" -*•.,")
        if len(part) >= 3 and not _META_SENTENCE.search(fold(part)):
            rules.append(part[0].upper() + part[1:])
    return rules


def clean(idea: str) -> CleanIdea:
    """The request without AI chatter, the person's rules, and what was removed."""
    text = idea.strip()
    rules: list[str] = []
    removed: list[str] = []
    label = _RULES_LABEL.search(text)
    if label and label.start() > 0:  # "<request>. Output rules: a; b"
        rules = _split_rules(text[label.end() :])
        removed.append(text[label.start() :].strip())
        text = text[: label.start()]
    elif label:  # "Hard rules: a; b. <request>": the rules end with their sentence
        end = re.search(r"[.!?\n]\s+", text[label.end() :])
        if end:
            rules = _split_rules(text[label.end() : label.end() + end.start()])
            removed.append(text[: label.end() + end.end()].strip())
            text = text[label.end() + end.end() :]
    kept = []
    for sentence in _SENTENCE.findall(text):
        folded = fold(sentence.strip())
        if not folded:
            continue
        unwrapped = _WRAPPER.sub("", sentence.strip())
        if unwrapped != sentence.strip():  # "Can you plan a trip?" asks for a plan
            unwrapped = re.sub(r"\?+$", ".", unwrapped)
        unwrapped = re.sub(r",?\s+(?:please|por favor)([.!?]*)$", r"\1", unwrapped)
        meta = _META_SENTENCE.search(folded)
        if meta or _ROLE_ASSIGNMENT.match(folded):
            # "As an AI, I will help you create X" still asks for X: keep what follows the chatter.
            rest = _strip_meta_prefix(sentence.strip())
            if rest and rest != sentence.strip() and not _META_SENTENCE.search(fold(rest)):
                kept.append(rest)
            removed.append(sentence.strip())
            continue
        kept.append(unwrapped)
    request = " ".join(s.strip() for s in kept if s.strip())
    request = FORBIDDEN.sub("", request)
    request = re.sub(r"\s+([,.;:!?])", r"\1", " ".join(request.split())).strip(" ,;:")
    if len(request) < 3:  # nothing but chatter: keep the original words rather than nothing
        request = " ".join(FORBIDDEN.sub("", idea).split())
    if request:
        request = request[0].upper() + request[1:]
    return CleanIdea(request, rules[:4], removed)


_META_PREFIX = re.compile(
    r"^(?:(?:as|como) (?:an?|una?)?\s*(?:ai|ia|a\.i\.|artificial intelligence|inteligencia "
    r"artificial|language model|modelo de lenguaje|llm|assistant|asistente|chatbot)"
    r"(?: (?:assistant|asistente|model|modelo))?\s*[,:]?\s*)",
    re.IGNORECASE,
)


def _strip_meta_prefix(sentence: str) -> str:
    rest = _META_PREFIX.sub("", sentence)
    # "Act as a language model and write a poem" -> "write a poem"
    joined = re.split(r",?\s+(?:and then|and|then|y luego|y|luego)\s+", rest, maxsplit=1)
    if len(joined) == 2 and (
        _META_SENTENCE.search(fold(joined[0])) or _ROLE_ASSIGNMENT.match(fold(joined[0]))
    ):
        rest = joined[1]
    elif _ROLE_ASSIGNMENT.match(fold(rest)):
        return ""
    rest = _WRAPPER.sub("", rest).strip()
    if rest == sentence:
        return ""
    return rest[0].upper() + rest[1:] if rest else ""
