"""Rally articles in the format of the 2001–2004 Dakar ones: parse, import, verify.

An article prints, per category, the stage top 3 and the GC top 3 after every
stage, notes and prose, and the final standings. ``import_file`` turns one
into a log whose events say where each number comes from, with the rows as
printed kept beside it (``infer=True``: deciding by itself what no reviewed
editorial file decides, see docs/importing-articles.md); ``verify`` replays
the log against those rows. The synthetic articles it is measured on, written
with their truth beside them, are test data: ``tests/synthetic_articles.py``.
"""

from ._editorial import Editorial, load_editorial
from ._import import ArticleImportError, ImportResult, import_article
from ._infer import Inference, infer_decisions
from ._parse import Article, ArticleError, parse_article
from ._pipeline import ImportOutcome, import_file
from ._verify import VerifyReport, verify, verify_json

__all__ = [
    "Article",
    "ArticleError",
    "ArticleImportError",
    "Editorial",
    "ImportOutcome",
    "ImportResult",
    "Inference",
    "VerifyReport",
    "import_article",
    "import_file",
    "infer_decisions",
    "load_editorial",
    "parse_article",
    "verify",
    "verify_json",
]
