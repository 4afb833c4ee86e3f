"""Answer files: reading them (through ``bpstep.files``), the numbers as written, and names
as the TUI and the exports print them (``∂E/∂w7``, ``h₁``, ``δ⁽³⁾[0,0]``).

An answer file is TOML with one ``name = number`` per line; ``[epoch.N]``, ``[batch.N]`` and
``[epoch.N.batch.M]`` tables address other steps (see ``bpstep.check``). Plain text only.
"""

from __future__ import annotations

import json
import math
import re
import sys
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bpstep import files
from bpstep.errors import ScenarioError
from bpstep.grading import decimals, number_texts
from bpstep.step_tables import Problem, walk

_BARE_KEY = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
# An answer's written precision: beyond this many decimals (either way) it is no answer.
MAX_DECIMALS = 400


class AnswerError(ScenarioError):
    """An answer file (or one answer) that cannot be graded: ``source: key: message``."""


@dataclass(frozen=True)
class Answer:
    """One entry of an answer file. ``text`` is the number as written, or None if blank."""

    name: str
    text: str | None
    epoch: int = 1
    batch: int = 1
    key: str = ""  # the dotted key path in the file, for messages




# --- reading answer files ------------------------------------------------------------------------

def read_answers(path: str | Path) -> list[Answer]:
    """Read an answer file; every problem is an ``AnswerError`` naming the file and key."""
    source = str(path)
    text = files.read_text(path, "answers", lambda m: AnswerError(source, "", m), "a TOML answer file")
    return parse_answers(text, source)


def parse_answers(text: str, source: str = "<answers>",
                  problems: list[AnswerError] | None = None) -> list[Answer]:
    """Parse answer-file TOML text into answers, in file order. With a ``problems`` list, a bad
    entry (``h1 = "0,9866"``, ``h1 = 0,9866``) is recorded there and the rest still parsed; without
    one, the first problem is raised. The top-level ``variant = N`` is not an answer (see
    ``answer_variant``)."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        if problems is not None:
            doc = _lenient_doc(text, source, problems)
        else:
            raise AnswerError(source, "", f"is not valid TOML: {exc} (write one `name = number` per line; "
                                          'names with / [ or , need quotes: "dE/dw7" = 0.0765)') from None
    except RecursionError:
        raise AnswerError(source, "", "is not usable TOML: arrays or tables nested too deeply") from None
    except ValueError:  # Python's limit on int-str conversion
        raise AnswerError(source, "", "is not usable TOML: it holds a whole number with more than "
                                      f"{sys.get_int_max_str_digits():,} digits") from None
    texts = number_texts(text)

    def problem(p: Problem) -> None:
        where = ".".join(p.path)
        if p.kind == "bad_number":
            article = "an" if p.table == "epoch" else "a"
            raise AnswerError(source, where, f"expected {article} {p.table} number "
                                             f"(a whole number from 1), got '{p.path[-1]}'")
        raise AnswerError(source, where, f"must be a table [{p.table}.{p.path[-1]}] of name = number "
                                         f"answers, got {_type_name(p.value)}")

    out: list[Answer] = []
    doc = {k: v for k, v in doc.items() if k != "variant"}
    for e in walk(doc, problem):
        if problems is not None:
            try:
                out.append(_entry(e, texts, source))
            except AnswerError as exc:
                problems.append(exc)
            continue
        out.append(_entry(e, texts, source))
    return out


def _entry(e: Any, texts: dict[tuple[str, ...], str], source: str) -> Answer:
    """One walked entry as an ``Answer``, or an ``AnswerError`` on its key."""
    where = ".".join((*e.path, e.key))
    if e.key in e.allowed:  # [epoch] or [batch] given a value, not tables of numbers
        raise AnswerError(source, where, f"must be a table like [{e.key}.2] (answers for {e.key} 2), "
                                         f"got {_type_name(e.value)}")
    if isinstance(e.value, dict):
        expected = {("epoch", "batch"): "[epoch.N], [batch.N] or [epoch.N.batch.M]",
                    ("batch",): "[epoch.N.batch.M]", (): "name = number entries"}[e.allowed]
        raise AnswerError(source, where, f"unexpected table; expected {expected} "
                                         "(epoch and batch numbers start at 1)")
    return _answer(e.key, e.value, e.path, e.epoch, e.batch, texts, source)


_ENTRY_LINE = re.compile(r"^\s*([^=#\[]+?)\s*=\s*(.*?)\s*$")


def _lenient_doc(text: str, source: str, problems: list[AnswerError]) -> dict[str, Any]:
    """An answer file that is not valid TOML, read a line at a time: each line that parses on its
    own (under its table header) is kept, each that does not is a problem on its key."""
    doc: dict[str, Any] = {}
    header = ""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("["):
            try:
                tomllib.loads(stripped)
                header = stripped
            except tomllib.TOMLDecodeError:
                problems.append(AnswerError(source, f"line {number}",
                                            f"is not a table header: {stripped[:60]!r}"))
                header = "[__skipped__]"
            continue
        try:
            part = tomllib.loads(f"{header}\n{stripped}")
        except tomllib.TOMLDecodeError:
            m = _ENTRY_LINE.match(stripped)
            key = m.group(1).strip() if m else f"line {number}"
            value = m.group(2).split("#")[0].strip() if m else stripped
            try:
                tomllib.loads(f"{key} = 0")
            except tomllib.TOMLDecodeError:  # the name, not the number: dE/dw7 = 0.0765
                problems.append(AnswerError(source, key, "is not valid TOML as a name: names with / [ or , "
                                                         f'need quotes: "{key}" = {value[:20]}'))
                continue
            comma = " (a decimal point, not a comma)" if "," in value else ""
            problems.append(AnswerError(source, key, "is not valid TOML: expected a number (like 0.0765) "
                                                     f'or "" for no answer, got {value[:40]!r}{comma}'))
            continue
        _merge(doc, part)
    doc.pop("__skipped__", None)
    return doc


def _merge(into: dict[str, Any], part: dict[str, Any]) -> None:
    for k, v in part.items():
        if isinstance(v, dict) and isinstance(into.get(k), dict):
            _merge(into[k], v)
        elif k not in into:
            into[k] = v


def answer_variant(text: str) -> int | None:
    """The ``variant = N`` an answer file names (the seed of ``bpstep vary``), or None."""
    m = re.search(r"^\s*variant\s*=\s*(\d{1,9})\s*(?:#.*)?$", text, re.M)
    return int(m.group(1)) if m else None


def _answer(name: str, value: Any, path: tuple[str, ...], epoch: int, batch: int,
            texts: dict[tuple[str, ...], str], source: str) -> Answer:
    key = ".".join(path + (_quote(name),))
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        extra = (' (one number per name: give elements like "Z2[0,1]" = 0.9950)'
                 if isinstance(value, list) else "")
        raise AnswerError(source, key, f'expected a number (like 0.0765) or "" for no answer, '
                                       f"got {_type_name(value)}{extra}")
    if isinstance(value, str):
        written = value.strip().replace("_", "")
        if not written:
            return Answer(name, None, epoch, batch, key)
        if not _is_decimal(written):
            raise AnswerError(source, key, f'expected a number (like 0.0765) or "" for no answer, '
                                           f"got {value!r}")
    elif isinstance(value, int):
        written = texts.get(path + (name,), str(value))
    else:
        if not math.isfinite(value):
            raise AnswerError(source, key, f"expected a finite number, got {value}")
        found = texts.get(path + (name,))
        if found is None:  # e.g. inside an inline table: the written decimals are lost
            raise AnswerError(source, key, "write each answer on its own line as name = number, "
                                           "so that its written decimals can be read")
        written = found
    if not _is_decimal(written):
        raise AnswerError(source, key, f"expected a finite number with at most {MAX_DECIMALS} "
                                       f"decimals, got {written[:40]}")
    return Answer(name, written, epoch, batch, key)


def _is_decimal(text: str) -> bool:
    """A finite number whose written precision is usable (``1e-999999999999`` is not)."""
    try:
        return abs(decimals(text)) <= MAX_DECIMALS and math.isfinite(float(text))
    except (ValueError, ArithmeticError):
        return False


def _quote(name: str) -> str:
    return name if name and set(name) <= _BARE_KEY else json.dumps(name, ensure_ascii=False)


def _type_name(value: Any) -> str:
    return {bool: "a boolean", str: "a string", list: "an array", dict: "a table",
            int: "an integer", float: "a number"}.get(type(value), type(value).__name__)


_SCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹₀₁₂₃₄₅₆₇₈₉⁽⁾₍₎", "0123456789" "0123456789" "()()")
_PAREN_DIGITS = re.compile(r"(?<=[A-Za-zδ])\((\d+)\)")


def ascii_name(name: str) -> str:
    """A name as the TUI and the exports print it, in the answer-file spelling: ``∂`` as ``d``,
    superscript and subscript digits as digits (``W⁽²⁾`` → ``W2``, ``h₁`` → ``h1``), ``δ`` as
    ``delta``, a proper minus as ``-``. ASCII names come back unchanged."""
    if name.isascii():
        return name
    text = unicodedata.normalize("NFC", name).translate(_SCRIPT_DIGITS)
    text = _PAREN_DIGITS.sub(r"\1", text)
    return text.replace("∂", "d").replace("δ", "delta").replace("−", "-").replace("\u00a0", " ")
