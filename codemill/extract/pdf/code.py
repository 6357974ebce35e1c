"""Code listings: exact text and indentation from x-positions, re-joined wrapped lines, a language tag."""

from __future__ import annotations

import ast
import re
import warnings

from codemill.extract.pdf.blocks import Block
from codemill.extract.pdf.lines import WRAP_MARKS, Line
from codemill.extract.pdf.styles import DocumentStyle

# Statement shapes shared by most languages; program output (values, reprs, messages) has none.
_CODE_SHAPE = re.compile(
    r"^\s*[A-Za-z_][\w.\[\]'\",]*(?:,\s*[\w.\[\]'\"]+)*\s*(?:[-+*/%&|^]|//|\*\*)?=(?!=)\s*\S"  # assignment
    r"|^\s*(?:def|class|return|if|elif|else|for|while|import|from|try|except|with|print|function|var|let|const"
    r"|public|private|static|int|void|fn|func|package|using|namespace|#include|#define)\b(?!:)"
    r"|[;{]\s*$|^\s*\}|^\s*(?://|/\*)|^\s*#(?![!\s]*\d)|\S\s{2,}(?:#|//) "  # block punctuation, comments
    r"|^\s*[A-Za-z_][\w.]*\(.*\)\s*$",  # a bare call statement
    re.M,
)

_LANGUAGE_HINTS: list[tuple[str, re.Pattern]] = [
    ("python", re.compile(r"^\s*(>>> |def \w+\(.*\):|class \w+.*:$|import \w+|from [\w.]+ import |print\(|elif |for \w+ in .*:$|while .*:$)", re.M)),
    ("java", re.compile(r"^\s*(public|private|protected) (static )?(class|void|int|String)\b|System\.out\.print", re.M)),
    ("c", re.compile(r"^\s*#include\s*<|\bint main\s*\(|printf\s*\(", re.M)),
    ("javascript", re.compile(r"^\s*(const|let|var) \w+ = |console\.log\(|function \w+\s*\(|=> \{", re.M)),
    ("bash", re.compile(r"^\s*\$ \w+|^\s*(sudo|apt-get|pip|cd|ls|echo|export) ", re.M)),
    ("sql", re.compile(r"^\s*(SELECT .* FROM|INSERT INTO|CREATE TABLE|UPDATE \w+ SET)\b", re.M | re.I)),
    ("html", re.compile(r"^\s*<(!DOCTYPE|html|head|body|div|p|a)\b", re.M | re.I)),
]


def code_lines(block: Block, style: DocumentStyle) -> list[str]:
    """The listing's lines with blank lines restored and the block's common indentation removed."""
    rendered = []
    full: set[int] = set()  # rendered lines that end where the next line's first word would not fit
    near: set[int] = set()  # those of them that also end within a few characters of the column edge
    numbered = _has_line_numbers(block)
    lefts = _listing_lefts(block, numbered)
    grid = _grid_ratio(block, style, lefts)
    pitches = _span_pitches(block) if grid == 1.0 else {}
    for index, (line, blanks) in enumerate(zip(block.lines, block.blank_before)):
        edge = lefts[line.page, line.column] if numbered else line.left_edge  # numbers in the margin: from the code's edge
        text = _CALLOUTS.sub("", _place_spans(line, style, skip_number=numbered, grid=grid, left=edge, pitches=pitches))
        left = lefts[line.page, line.column]
        if style.marks_wraps and index and not blanks and _soft_wrapped(block.lines[index - 1], line, left):
            rendered[-1] += text.lstrip()  # the spaces kept at each break (or its hyphen) are the text's own
            continue
        if index and not blanks and _no_room_after(block.lines[index - 1], line):
            full.add(len(rendered) - 1)
            if _near_edge(block.lines[index - 1]):
                near.add(len(rendered) - 1)
        rendered.extend([""] * blanks)
        rendered.append(text)
    rendered, full = _join_wrapped(rendered, full)  # marked wraps first: a mark left in a line stops it parsing
    if style.marks_wraps or any(_has_wrap_mark(line.text) for line in block.lines):
        near = set()  # where the typesetter marks its wraps, an unmarked line end is the author's
    rendered, full = _join_evident_wraps(rendered, full, near)
    rendered = _join_unmarked_wraps(_dedent(rendered), full)  # a listing set indented (in a list) parses only dedented
    indent = min((len(t) - len(t.lstrip(" ")) for t in rendered if t.strip()), default=0)
    return _straight_quotes([t[indent:].rstrip() for t in rendered])


_CURLY_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
_CURLY_SINGLE = str.maketrans({"\u2018": "'", "\u2019": "'"})


def _straight_quotes(lines: list[str]) -> list[str]:
    """Curly quotes a typesetter put in place of straight ones (LaTeX's typewriter font without
    upquote prints ' as ’, word processors "smarten" quotes) made straight again: all of them when the
    listing then parses further as Python, the single ones when the listing holds no straight single
    quote at all (program output, other languages). A listing that also quotes straight is left alone."""
    text = "\n".join(lines)
    if not any(ch in text for ch in "\u2018\u2019\u201c\u201d"):
        return lines
    straight = [line.translate(_CURLY_QUOTES) for line in lines]
    if _first_error(straight) > _first_error(lines):
        return straight
    if "'" not in text and ("\u2018" in text or "\u2019" in text):
        return [line.translate(_CURLY_SINGLE) for line in lines]
    return lines


# circled and dingbat numbers (①, ❶, ➊, ㉑) that books set after a code line to point at its explanation
_CALLOUTS = re.compile(r"(?:\s*[\u2460-\u2473\u24eb-\u24ff\u2776-\u2793\u3251-\u325f\u32b1-\u32bf])+\s*$")


def _starts_numbered(line: Line) -> bool:
    """The line starts with a listing's line number: digits set apart from the code after them
    (smaller or not monospace)."""
    if len(line.spans) < 2:
        return False
    span, code_size = line.spans[0], max((s.size for s in line.spans if s.mono), default=line.size)
    return span.text.strip().isdigit() and (span.size < code_size - 0.5 or not span.mono)


def _code_spans(line: Line, numbered: bool) -> list:
    """The line's spans, its line number left out when the listing is numbered."""
    return line.spans[1:] if numbered and _starts_numbered(line) else line.spans


def _has_line_numbers(block: Block) -> bool:
    """Most lines of the listing start with a number set apart from the code that follows it (a
    one-line listing: the number 1)."""
    numbered = [line for line in block.lines if _starts_numbered(line)]
    if len(block.lines) == 1:
        return bool(numbered) and numbered[0].spans[0].text.strip() == "1"
    return len(numbered) >= 0.8 * len(block.lines)


def _listing_lefts(block: Block, numbered: bool) -> dict[tuple[int, int], float]:
    """The listing's left edge in each page and column it runs through (a listing cut by a column or
    page break has one in each part): where its code starts, line numbers in the margin left aside."""
    lefts: dict[tuple[int, int], float] = {}
    for line in block.lines:
        x0 = next((s.x0 for s in _code_spans(line, numbered) if s.text.strip()), line.x0)
        lefts[line.page, line.column] = min(x0, lefts.get((line.page, line.column), x0))
    return lefts


def _grid_ratio(block: Block, style: DocumentStyle, lefts: dict[tuple[int, int], float]) -> float:
    """How much wider the listing's character grid is than its glyphs' advance (LaTeX listings sets
    each character in a 0.6 em cell whatever the font's width): the factor that puts the starts of
    its words nearest to whole columns. 1.0 when the glyph advance already fits. Offsets count from
    the listing's left edge in each column it runs through."""
    offsets = []
    for line in block.lines:
        left = lefts[line.page, line.column]
        for span in line.spans:
            if span.mono and span.text.strip():
                offset = (span.x0 + (len(span.text) - len(span.text.lstrip())) * style.char_width(span.size) - left) / style.char_width(span.size)
                if offset > 0.5:
                    offsets.append(offset)
    if len(offsets) < 3:
        return 1.0

    def misfit(ratio: float) -> float:
        return sum(abs(o / ratio - round(o / ratio)) for o in offsets) / len(offsets)

    base = misfit(1.0)
    if base < 0.08:
        return 1.0
    best = min((1 + k / 200 for k in range(-20, 41)), key=misfit)
    return best if misfit(best) < 0.5 * base else 1.0


def _place_spans(line: Line, style: DocumentStyle, skip_number: bool = False, grid: float = 1.0, left: float | None = None,
                 pitches: dict[float, float] | None = None) -> str:
    """Put each span at the column its x-position gives, measured from `left` (the column's left edge
    unless given), on the listing's character grid (`grid` times the glyph advance). `pitches`: the
    listing's own character pitch per size, measured from its spans, for the slack check on grid 1."""
    left = line.left_edge if left is None else left
    text, prev_end = "", left
    for span in _code_spans(line, skip_number):
        width = (style.char_width(span.size) if span.mono else style.char_width(line.size)) * grid
        if span.mono and grid != 1.0:
            span_text = _without_slack_spaces(span, style.char_width(span.size), width)
        elif span.mono and pitches and span.size in pitches and " " in span.text.strip():
            span_text = _without_slack_spaces(span, pitches[span.size], pitches[span.size])
        else:
            span_text = span.text
        gap = span.x0 - prev_end
        if text and gap < 0.5 * width:
            text += span_text  # touching the previous span: no space, whatever rounding says
        else:
            column = max(0, round((span.x0 - left) / width))
            apart = 1 if text and not text.endswith(" ") and grid == 1.0 else 0  # on a wider grid, gaps are the cells' slack
            text += " " * max(column - len(text), apart)
            text += span_text
        prev_end = span.x1
    return text


_SLACK_SPACE = re.compile(r"(?<=\S) (?=[,.;:)\]}])|(?<=[(\[{]) (?=\S)")
_OPERATOR_SPACE = re.compile(r"(?<=\w) (?=[^\w\s])|(?<=[^\w\s]) (?=\w)")


def _without_slack_spaces(span, glyph: float, pitch: float) -> str:
    """A span on a wider grid holds as many characters as its cells; a space the PDF reader guessed
    from a cell's slack is dropped until the count fits: one before a comma or after a bracket first,
    then, where exactly as many are left over as the span has, the spaces between a word and an
    operator ('hour -1' in a span with room for 'hour-1'; 'x = 1' keeps its spaces: both fit)."""
    cells = round((span.x1 - span.x0 - glyph) / pitch) + 1
    text = span.text
    while len(text) > cells and _SLACK_SPACE.search(text):
        text = _SLACK_SPACE.sub("", text, count=1)
    inked = len(text.rstrip())  # a space the line ended on may have no width in the span's box
    if inked > cells and len(_OPERATOR_SPACE.findall(text)) == inked - cells:
        text = _OPERATOR_SPACE.sub("", text)
    return text


def _span_pitches(block: Block) -> dict[float, float]:
    """The listing's character pitch per size, from its monospace spans of four characters or more
    without a space (median width per character; three spans at least). LaTeX listings' fixed columns
    set each character in a cell wider than its glyph, which the glyph advance alone does not show."""
    samples: dict[float, list[float]] = {}
    for line in block.lines:
        for span in line.spans:
            if span.mono and len(span.text) >= 4 and " " not in span.text:
                samples.setdefault(span.size, []).append((span.x1 - span.x0) / len(span.text))
    return {size: sorted(widths)[len(widths) // 2] for size, widths in samples.items() if len(widths) >= 3}


def _soft_wrapped(prev: Line, line: Line, left: float) -> bool:
    """A line the renderer wrapped to fit the column (HTML `pre-wrap`): the line above still ends in
    the space it was broken at, and this line restarts at the listing's left edge. Only used where the
    document shows such marks (DocumentStyle.marks_wraps); geometry alone cannot tell a wrap from an
    author's line break."""
    same_place = prev.page == line.page and prev.column == line.column
    if not same_place or abs(line.x0 - left) > 1.0:
        return False
    if prev.text.endswith(" "):
        return True
    # a break after a hyphen leaves no space; it is a wrap when the next word could not have fitted.
    # The measured edge may be a wrapped line's kept space, which hangs one character past the box.
    char = (prev.x1 - prev.x0) / max(len(prev.text), 1)
    word = line.text.strip().split(" ", 1)[0]
    return prev.text.endswith("-") and prev.x1 + char * (len(word) + 1) > prev.right_edge


def _no_room_after(prev: Line, line: Line) -> bool:
    """`prev` reaches so near its column's right edge that `line`'s first word would not have fitted
    (also where a page or column break follows: the wrap and the break can fall together)."""
    char = (prev.x1 - prev.x0) / max(len(prev.text), 1)
    word = line.text.strip().split(" ", 1)[0]
    return prev.x1 + char * (len(word) + 1) > prev.right_edge


_EXCEPTION_LINE = re.compile(r"^\s*(?:\w+\.)*[A-Z]\w*(?:Error|Exception|Warning): ")


def _join_evident_wraps(lines: list[str], full: set[int], near: set[int]) -> tuple[list[str], set[int]]:
    """An exception's message that fills the column (`near` its edge), followed by a line at the left
    edge: a wrap that parsing cannot reveal (Python prints the message on one line)."""
    joined: list[str] = []
    last: list[int] = []
    for index, text in enumerate(lines):
        wrapped = joined and index - 1 in near and _EXCEPTION_LINE.match(joined[-1]) and text.strip() and text[:1] != " "
        if wrapped and not _PROMPT.match(text):
            joined[-1] = _glued(joined[-1], text)
            last[-1] = index
        else:
            joined.append(text)
            last.append(index)
    return joined, {at for at, index in enumerate(last) if index in full}


def _has_wrap_mark(text: str) -> bool:
    stripped = text.strip()
    return bool(stripped) and (stripped[0] in WRAP_MARKS or stripped[-1] in WRAP_MARKS)


def _near_edge(line: Line) -> bool:
    char = (line.x1 - line.x0) / max(len(line.text), 1)
    return line.x1 > line.right_edge - 8 * char


def _join_unmarked_wraps(lines: list[str], full: set[int]) -> list[str]:
    """Python that a typesetter wrapped at the column edge without a mark (LaTeX listings' breaklines):
    a line that fills the column is joined with the next one when that moves the listing's first
    syntax error further down (or removes it), or makes the listing down to it parse; a listing
    that parses is left alone."""
    if not full or python_valid(lines):
        return lines
    shift, current = 0, _first_error(lines)
    for index in sorted(full):
        at = index - shift
        if at + 1 >= len(lines) or not lines[at + 1].strip():
            continue
        trial = lines[:at] + [_glued(lines[at], lines[at + 1])] + lines[at + 2 :]
        error = _first_error(trial)
        later = error + (error > at + 1) > current  # counted in the unjoined listing's lines
        # or the listing down to the joined line parses only joined (an error further down, such as
        # another wrap's open string, can hide the gain from the whole-listing count)
        if later or (_first_error(trial[: at + 1]) == float("inf") and _first_error(lines[: at + 2]) != float("inf")):
            lines, shift, current = trial, shift + 1, error
    return lines


_NO_SPACE_AFTER = re.compile(r"(?:[^\W\d_]-|[.(\[{])$")
_NO_SPACE_BEFORE = re.compile(r"^[.,:;)\]}]")
_ANGLE_REST = re.compile(r"^[A-Za-z_][\w.]*>")


def _glued(head: str, tail: str) -> str:
    """A wrapped line and its rest as one: a break at a space lost the space, one inside a token
    (after a word hyphen, a dot, an opening bracket, quote or `<` of a `<name>`, before closing punctuation or
    quote) had none."""
    head, tail = head.rstrip(), tail.strip()
    quote = _open_quote(head)  # right after a string's opening quote or right before its closing one
    at_quote = bool(quote) and (head.endswith(quote) or tail.startswith(quote) or head.endswith("\\"))  # or in an escape
    angle = head.endswith("<") and bool(_ANGLE_REST.match(tail))  # '<module>' in a traceback, not 'a < b'
    return head + ("" if _NO_SPACE_AFTER.search(head) or _NO_SPACE_BEFORE.match(tail) or at_quote or angle else " ") + tail


def _open_quote(text: str) -> str:
    """The quote character of a string literal still open at the end of `text` ('' when none)."""
    quote = ""
    for index, char in enumerate(text):
        if char in "'\"" and (not quote or char == quote) and text[index - 1 : index] != "\\":
            quote = "" if quote else char
    return quote


def _first_error(lines: list[str]) -> float:
    """Where the listing first fails to parse (a line number; infinity when it parses)."""
    if python_valid(lines):
        return float("inf")
    if any(_PROMPT.match(t) for t in lines):
        return next((i for i in range(1, len(lines) + 1) if not python_valid(lines[:i])), 0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse("\n".join(lines))
    except SyntaxError as error:
        return error.lineno or 0
    except (ValueError, MemoryError, RecursionError):
        return 0
    return float("inf")


def python_valid(lines: list[str]) -> bool:
    """The listing parses as Python; for a REPL session, each prompted statement does."""
    if not any(_PROMPT.match(t) for t in lines):
        return _parses(lines)
    statements: list[list[str]] = []
    for text in lines:
        if text.lstrip().startswith(">>>"):
            statements.append([text.lstrip()[4:]])
        elif text.lstrip().startswith("...") and statements:
            statements[-1].append(text.lstrip()[4:])
    return all(_parses(s) for s in statements)


def _join_wrapped(lines: list[str], full: set[int]) -> tuple[list[str], set[int]]:
    """Lines the typesetter broke with a continuation mark are joined back into one; returns them
    with `full` (the lines that fill their column) counted in the joined lines."""
    joined: list[str] = []
    last: list[int] = []  # for each joined line, the index of the last line it took in
    for index, text in enumerate(lines):
        stripped = text.strip()
        if joined and stripped[:1] in WRAP_MARKS and stripped:
            joined[-1] = _glued(joined[-1].rstrip().rstrip(WRAP_MARKS), stripped[1:])
            last[-1] = index
        elif joined and joined[-1].rstrip()[-1:] in WRAP_MARKS and joined[-1].strip():
            joined[-1] = _glued(joined[-1].rstrip()[:-1], stripped)
            last[-1] = index
        else:
            joined.append(text)
            last.append(index)
    return joined, {at for at, index in enumerate(last) if index in full}


def hinted_language(lines: list[str]) -> str | None:
    """The language the listing's own content names (prompts, keywords, idioms), if any."""
    text = "\n".join(lines)
    return next((name for name, pattern in _LANGUAGE_HINTS if pattern.search(text)), None)


def guess_language(lines: list[str], default: str | None) -> str | None:
    """The content's language, else `default` (the document's language) when some line has the shape
    of a statement; None for program output (values, reprs, prompts and messages)."""
    hinted = hinted_language(lines)
    if hinted:
        return hinted
    if default and looks_like_code(lines):
        return default
    return None


def looks_like_code(lines: list[str]) -> bool:
    """Whether some line is shaped like a statement (assignment, keyword, block punctuation, call)."""
    return bool(_CODE_SHAPE.search("\n".join(lines)))


def dominant_language(listings: list[list[str]]) -> str | None:
    """The language most listings of a document name, when at least two do."""
    counts: dict[str, int] = {}
    for lines in listings:
        name = hinted_language(lines)
        if name:
            counts[name] = counts.get(name, 0) + 1
    best = max(counts, key=counts.get, default=None)
    return best if best and counts[best] >= 2 else None


_PROMPT = re.compile(r"^\s*(?:>>>|\.\.\.)(?: |$)")


def split_output(lines: list[str]) -> list[tuple[list[str], bool]]:
    """A box holding code and then, after a blank line, what it printed -> [(code, True), (output, False)].

    The trailing part is output when it does not parse as Python (or parses only as a bare literal,
    such as a printed list) while the part before it parses and reads as statements. A block that
    parses whole stays whole, and so does a REPL session (`>>>`/`...` lines are its code, the rest
    its output, interleaved)."""
    if any(_PROMPT.match(t) for t in lines):
        return [(lines, True)]
    groups = _groups(lines)
    if len(groups) < 2:
        return [(lines, True)]
    whole = _parses(lines)
    for k in range(len(groups) - 1, 0, -1):
        head = [t for g in groups[:k] for t in g + [""]][:-1]
        tail = [t for g in groups[k:] for t in g + [""]][:-1]
        if not (_parses(head) and looks_like_code(head)):
            continue
        literal = _bare_literal(tail)
        if (whole and literal and _prints(head)) or (not whole and (literal or not _parses(tail))):
            return [(head, True), (_dedent(tail), False)]
        if whole:
            break
    return [(lines, True)]


def _groups(lines: list[str]) -> list[list[str]]:
    groups: list[list[str]] = [[]]
    for text in lines:
        if text.strip():
            groups[-1].append(text)
        elif groups[-1]:
            groups.append([])
    return [g for g in groups if g]


def _parse(lines: list[str]) -> ast.Module | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences in printed text are not errors here
            return ast.parse("\n".join(lines))
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None


def _parses(lines: list[str]) -> bool:
    return _parse(lines) is not None


def _bare_literal(lines: list[str]) -> bool:
    """Every statement is a constant or a display of constants ('42', "'spam'", '[1, 2]'): a printed value."""
    tree = _parse(lines)
    if tree is None or not tree.body:
        return False
    return all(isinstance(node, ast.Expr) and _constant(node.value) for node in tree.body)


def _constant(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return _constant(node.operand)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return all(_constant(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is not None and _constant(k) and _constant(v) for k, v in zip(node.keys, node.values))
    return False


def _prints(lines: list[str]) -> bool:
    """The code writes something: a print call, or a last statement that is a bare expression."""
    tree = _parse(lines)
    if tree is None:
        return False
    calls = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "print" for n in ast.walk(tree))
    return calls or bool(tree.body and isinstance(tree.body[-1], ast.Expr))


def _dedent(lines: list[str]) -> list[str]:
    indent = min((len(t) - len(t.lstrip(" ")) for t in lines if t.strip()), default=0)
    return [t[indent:] for t in lines]
