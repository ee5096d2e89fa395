"""Generated English-like text for benchmark posts (`manage.py seed_bench_posts`).

Content words are drawn with a Zipf-like distribution (a word's weight is 1 / its rank):
a few hundred real words head the list, so some appear in nearly every post, and a long
tail of made-up words follows, each found in only a handful of posts. Sentences glue the
content words with function words, as English does, so the text stems, stops and ranks
in PostgreSQL's `english` configuration the way real prose does. Deterministic: a post's
text depends only on its number and the seed.
"""

from __future__ import annotations

import html
import itertools
import random
from dataclasses import dataclass

# Real content words, roughly most frequent first (no stop words: those glue sentences).
COMMON = """
time people way year work day thing system design page post team data change user
code part number problem question place case point home world reader write read
search cache query server test build good new first last long great little own
other old right big high different small large next early young important few
public same able make know take see come think look want give use find tell ask
feel try leave call keep start show hear play run move live believe bring happen
provide sit stand lose pay meet include continue set learn lead understand watch
follow stop create speak allow add spend grow open walk win offer remember love
consider appear buy wait serve die send expect stay fall cut reach kill remain
suggest raise pass sell require report decide pull editor article story language
family group country problem hand week company program government night student
room fact month lot study book eye job word business issue side kind head house
service friend father power hour game line end member law car city community name
president team minute idea kid body information back parent face others level
office door health person art war history party result morning reason research
girl guy moment air teacher force education foot boy age policy process music
market sense nation plan college interest death experience effect class control
care field development role effort rate heart drug show leader light voice wife
police mind price report decision son view relationship town road arm difference
value building action model season society tax director position player record
paper space ground form event official matter center couple site project activity
star table need court oil situation cost industry figure street image phone data
picture practice piece land product doctor wall patient worker news test movie
north love support technology step baby computer type attention film tree source
organization hair window evidence population network database framework browser
template component style color font layout screen mobile desktop release version
feature bug deploy migration index request response header cookie session token
account password email message comment thread reply editor draft review publish
schedule archive category tag author theme plugin widget library package module
function method class object variable string integer array list queue stream
socket channel event signal worker process thread memory disk storage backup
garden kitchen coffee bread river mountain forest ocean island village bridge
winter summer autumn spring morning evening weather storm cloud rain snow wind
paint canvas pencil camera photo journey travel ticket train station harbour
letter notebook library museum theatre concert poem novel chapter sentence
""".split()  # noqa: SIM905

_ONSETS = "b bl br c ch cl cr d dr f fl fr g gl gr h j k l m n p pl pr qu r s sc sh sl sm sn sp st str t th tr v w z".split()  # noqa: SIM905
_NUCLEI = ["a", "e", "i", "o", "u", "ai", "ea", "ee", "oa", "ou", "io"]
_CODAS = ["", "", "n", "r", "l", "s", "t", "m", "nd", "rk", "st", "x", "th", "ng"]

FUNCTION_WORDS = """
the the the a a an of of to to and and in in is is that for it was on with as
be at by this from or but not are have has had were will would can could all
its their our your more most some any each every which when where while after
before over under between through about into than then very just also
""".split()  # noqa: SIM905


def _made_up_words(count: int) -> list[str]:
    """`count` distinct pronounceable words that are not real ones (the rare tail)."""
    syllables = [o + n + c for o, n, c in itertools.product(_ONSETS, _NUCLEI, _CODAS)]
    rng = random.Random(7)  # noqa: S311 (text, not secrets)
    taken = set(COMMON) | set(FUNCTION_WORDS)
    words: list[str] = []
    while len(words) < count:
        word = "".join(rng.choices(syllables, k=rng.choice((2, 2, 3))))
        if word not in taken and 5 <= len(word) <= 12:
            taken.add(word)
            words.append(word)
    return words[:count]


VOCABULARY: list[str] = list(dict.fromkeys(COMMON)) + _made_up_words(20_000)
_CUMULATIVE = list(itertools.accumulate(1 / rank for rank in range(1, len(VOCABULARY) + 1)))


def word_at_rank(rank: int) -> str:
    """The vocabulary's word of this rank (1 = the most frequent)."""
    return VOCABULARY[rank - 1]


@dataclass(frozen=True)
class GeneratedPost:
    title: str
    subtitle: str
    excerpt: str
    body: str
    body_html: str
    toc: list[dict[str, object]]
    words: int


class TextGenerator:
    def __init__(self, seed: int = 1) -> None:
        self.seed = seed

    def post(self, number: int) -> GeneratedPost:
        rng = random.Random(self.seed * 1_000_003 + number)  # noqa: S311
        title = self._phrase(rng, rng.randint(3, 7), top=3_000).capitalize()
        subtitle = self._sentence(rng, rng.randint(6, 12))
        excerpt = self._sentence(rng, rng.randint(14, 26))
        sections = []
        for _ in range(rng.randint(2, 3)):
            heading = self._phrase(rng, rng.randint(2, 4), top=1_000).capitalize()
            paragraphs = [
                " ".join(self._sentence(rng, rng.randint(8, 18)) for _ in range(rng.randint(3, 5)))
                for _ in range(rng.randint(1, 3))
            ]
            sections.append((heading, paragraphs))
        body = "\n\n".join(
            f"## {heading}\n\n" + "\n\n".join(paragraphs) for heading, paragraphs in sections
        )
        toc: list[dict[str, object]] = []
        parts = []
        for index, (heading, paragraphs) in enumerate(sections, start=1):
            anchor = f"section-{index}"
            toc.append({"level": 2, "id": anchor, "text": heading})
            parts.append(f'<h2 id="{anchor}">{html.escape(heading)}</h2>')
            parts.extend(f"<p>{html.escape(p)}</p>" for p in paragraphs)
        return GeneratedPost(
            title=title[:200],
            subtitle=subtitle[:200],
            excerpt=excerpt[:400],
            body=body,
            body_html="\n".join(parts),
            toc=toc,
            words=len(body.split()),
        )

    def _phrase(self, rng: random.Random, count: int, top: int | None = None) -> str:
        weights = _CUMULATIVE[:top] if top else _CUMULATIVE
        vocabulary = VOCABULARY[:top] if top else VOCABULARY
        return " ".join(rng.choices(vocabulary, cum_weights=weights, k=count))

    def _sentence(self, rng: random.Random, count: int) -> str:
        content = rng.choices(VOCABULARY, cum_weights=_CUMULATIVE, k=count)
        glue = rng.choices(FUNCTION_WORDS, k=count)
        words = []
        for index, (word, little) in enumerate(zip(content, glue, strict=True)):
            if index % 2 == 1 or rng.random() < 0.3:
                words.append(little)
            words.append(word)
        return " ".join(words).capitalize() + "."


def expected_posts_with(rank: int, words_per_post: int = 180) -> float:
    """Roughly the share of posts that contain the word of this rank (for picking queries)."""
    probability = (1 / rank) / _CUMULATIVE[-1]
    return 1 - (1 - probability) ** words_per_post
