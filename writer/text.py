"""Plain-Python text tools shared by the offline improver, few-shot demo selection and metrics:
accent folding, cheap stemming, language detection and a TF-IDF nearest-neighbour index."""

from __future__ import annotations

import heapq
import math
import re
import unicodedata
from array import array
from collections import Counter

# Verbs that say what to do, not what about: they match too many documents to carry weight.
WEAK = {
    w[:6]
    for w in """write escribe escribir redacta redactar create crea crear make build
    design disena disenar help ayuda ayudame improve
    mejorar mejora generate genera get give dame show muestra plan planifica planea organiza
    explain explica summarize resume compare compara review revisa analyze analiza research
    investiga ideas hazme""".split()
}

STOPWORDS = set(
    """a an the and or of to for in on at by with from into about as is are be be this that
    these those it its my our your me we i you can could should would please want need how what
    which who why when where do does make create some any all more most very using use un una
    unos unas el la los las lo de del al y o u en con por para sobre que como es son ser mi mis
    tu tus su sus nuestro nuestra me te se le les necesito quiero puedes podrias haz hacer este
    esta estos estas ese esa eso""".split()
)

_SPANISH = set(
    """el la los las un una unos unas de del que para con por mi mis en y es como sobre necesito
    quiero haz crea escribe redacta analiza disena documenta explica ayudame dame puedes podrias
    hazme tengo estoy mejor cual cuales donde cuando porque pero muy mas este esta estos estas
    nuestro nuestra hijo hija hijos su sus se le les lo al preguntas ideas necesito dime sin
    hay tiene tienen puedo quiero o u q xq pq x pa tb tmb hago mucho poco algo nada todo cada
    otro otra cuanto cuanta donde quien desde hasta entre sobre tras sin ni ya""".split()
)
_ENGLISH = set(
    """the an of for to and with in is my how write create make design explain help on about
    i me you your can could should what which need want this that it our we are be have get
    give please from into at by""".split()
)


_SPANISH_ENDING = re.compile(r"(?:cion|ciones|ando|iendo|mente|idad|ado|ada|ados|adas|ito|ita)$")
_ENGLISH_ENDING = re.compile(r"(?:ing|tion|ness|ship|ly|ed|'s)$")


def fold(text: str) -> str:
    """Lower-case, accents removed: "Función" -> "funcion"."""
    lowered = text.lower()
    if lowered.isascii():  # most text: nothing to decompose (a fifth of the warm-up otherwise)
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokens(text: str) -> list[str]:
    """Accent-folded, stop-word-free words, cut to 6 characters as a cheap stem."""
    words = re.findall(r"[a-z0-9+#]+", fold(text))
    return [w[:6] for w in words if w not in STOPWORDS and len(w) > 1]


def language(text: str) -> str:
    """'es' or 'en': which of the two the text is written in (English when unsure)."""
    words = re.findall(r"[a-z]+", fold(text))
    es = sum(w in _SPANISH for w in words) + 2 * bool(re.search(r"[ñáéíóú¿¡]", text.lower()))
    # Spanish word endings, for fragments with no function word ("presupuesto mensual ganando").
    es += 0.5 * sum(bool(_SPANISH_ENDING.search(w)) for w in words)
    en = sum(w in _ENGLISH for w in words)
    en += 0.5 * sum(bool(_ENGLISH_ENDING.search(w)) for w in words)
    return "es" if es > en else "en"


class TfidfIndex:
    """TF-IDF cosine nearest neighbours over token lists, in plain Python (no numpy).

    Picks the offline improver's nearest examples and the k nearest trainset examples per
    request for `knn` few-shot programs. An inverted index keeps a query proportional to the
    documents that share a term with it, not to the whole pool."""

    def __init__(self, docs: list[list[str]]):
        df = Counter(term for doc in docs for term in set(doc))
        n = len(docs)
        self.idf = {term: math.log((1 + n) / (1 + count)) + 1 for term, count in df.items()}
        self.size = n
        # Only the postings are kept: per term, the documents holding it and their weights,
        # as two arrays (12 bytes a posting, not a tuple of boxed numbers: ~80).
        self._postings: dict[str, tuple[array, array]] = {}
        for i, doc in enumerate(docs):  # one document's counts at a time: a lower peak
            for term, weight in self._normalise(Counter(doc)).items():
                ids, weights = self._postings.setdefault(term, (array("I"), array("d")))
                ids.append(i)
                weights.append(weight)

    def _normalise(self, counts: Counter) -> dict[str, float]:
        weights = {
            t: c * self.idf.get(t, 0.0) * (0.25 if t in WEAK else 1.0) for t, c in counts.items()
        }
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {t: w / norm for t, w in weights.items() if w}

    def nearest(self, text: str, k: int) -> list[tuple[float, int]]:
        """(similarity, position) of the k nearest documents, best first."""
        query = self._normalise(Counter(tokens(text)))
        scores: dict[int, float] = {}
        for term, weight in query.items():
            posting = self._postings.get(term)
            if posting is None:
                continue
            for i, doc_weight in zip(*posting, strict=True):
                scores[i] = scores.get(i, 0.0) + weight * doc_weight
        # Documents sharing no term score 0; they fill the list in pool order if k asks for more.
        ranked = heapq.nsmallest(k, scores.items(), key=lambda pair: (-pair[1], pair[0]))
        if len(ranked) < k:
            ranked += [(i, 0.0) for i in range(self.size) if i not in scores][: k - len(ranked)]
        # Ties are broken by pool order, so the same input always gives the same output.
        return [(round(score, 4), i) for i, score in ranked]
