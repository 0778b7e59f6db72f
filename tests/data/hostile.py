"""The hostile-input corpus (hostile.txt beside this file), decoded: one string a line."""
import re
from pathlib import Path

from cone.services import validation

CORPUS = Path(__file__).with_name("hostile.txt")
_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[nrt\\\"])")
_REPEAT = re.compile(r"\{repeat:(\d+):(.*)\}")
_SIMPLE = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", '"': '"'}


def decode(line: str) -> str:
    """A corpus line as the string it stands for."""
    if m := _REPEAT.fullmatch(line):
        return decode(m.group(2)) * int(m.group(1))
    return _ESCAPE.sub(lambda m: _SIMPLE.get(m.group(1)) or chr(int(m.group(1)[1:], 16)), line)


def strings() -> list[str]:
    """Every string of the corpus, in file order."""
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    return [decode(line) for line in lines if line and line != "#" and not line.startswith("# ")]


def refused(value: str, *, multiline: bool = False, trimmed: bool = True) -> bool:
    """Whether the rule refuses value (once the outer blank space forms trim is gone)."""
    try:
        validation.plain_text(value.strip() if trimmed else value, multiline=multiline)
    except validation.Invalid:
        return True
    return False
