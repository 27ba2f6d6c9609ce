"""A small QR code reader for tests: it turns the inline SVG a page shows back into the
text the code holds, with no library of the kind that drew it.

It reads what a scanner reads, following ISO/IEC 18004: the grid of modules (from the
SVG's path), the format information (error correction level and mask, checked against
its BCH code and its second copy), the data modules in their zigzag order, the
interleaved blocks, and the segments (numeric, alphanumeric, byte). It corrects no
errors (a drawn code has none): a symbol it cannot read cleanly fails the test.
Versions 1 to 10 are enough for the addresses the site shows."""

import re
from dataclasses import dataclass

# Per error correction level (in the order of their two format bits: M=0, L=1, H=2, Q=3),
# for versions 1-10: error correction codewords per block, and number of blocks.
_ECC_PER_BLOCK = {
    "L": (7, 10, 15, 20, 26, 18, 20, 24, 30, 18),
    "M": (10, 16, 26, 18, 24, 16, 18, 22, 22, 26),
    "Q": (13, 22, 18, 26, 18, 24, 18, 22, 20, 24),
    "H": (17, 28, 22, 16, 22, 28, 26, 26, 24, 28),
}
_BLOCKS = {
    "L": (1, 1, 1, 1, 1, 2, 2, 2, 2, 4),
    "M": (1, 1, 1, 2, 2, 4, 4, 4, 5, 5),
    "Q": (1, 1, 2, 2, 4, 4, 6, 6, 8, 8),
    "H": (1, 1, 2, 4, 4, 4, 5, 6, 8, 8),
}
_LEVEL_BY_BITS = {0: "M", 1: "L", 2: "H", 3: "Q"}
_ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_MASKS = (
    lambda x, y: (x + y) % 2 == 0,
    lambda x, y: y % 2 == 0,
    lambda x, y: x % 3 == 0,
    lambda x, y: (x + y) % 3 == 0,
    lambda x, y: (x // 3 + y // 2) % 2 == 0,
    lambda x, y: x * y % 2 + x * y % 3 == 0,
    lambda x, y: (x * y % 2 + x * y % 3) % 2 == 0,
    lambda x, y: ((x + y) % 2 + x * y % 3) % 2 == 0,
)


@dataclass(frozen=True)
class Symbol:
    text: str
    version: int
    level: str  # "L", "M", "Q" or "H"
    mask: int
    quiet_zone: int  # light modules on the narrowest side


def svg_modules(svg: str) -> list[list[bool]]:
    """The dark (True) and light modules of a QR code drawn as an SVG whose viewBox is
    one unit per module and whose dark modules are horizontal strokes of one path
    (``M x y+0.5 h n m dx dy h n ...``), the way segno draws one at scale 1."""
    box = re.search(r'viewBox="0 0 (\d+) (\d+)"', svg)
    assert box and box[1] == box[2], "a square viewBox, one unit per module"
    size = int(box[1])
    paths = re.findall(r'<path [^>]*\bd="([^"]+)"', svg)
    strokes = [path for path in paths if not path.startswith("M0 0h")]  # the white background
    assert len(strokes) == 1, f"one path for the dark modules, got {len(strokes)}"
    grid = [[False] * size for _ in range(size)]
    x = y = 0.0
    tokens = re.findall(r"[A-Za-z]|-?\d+(?:\.\d+)?", strokes[0])
    i = 0
    while i < len(tokens):
        command = tokens[i]
        if command in "Mm":
            dx, dy = float(tokens[i + 1]), float(tokens[i + 2])
            x, y = (dx, dy) if command == "M" else (x + dx, y + dy)
            i += 3
        elif command == "h":
            length = float(tokens[i + 1])
            row = int(y - 0.5)
            assert row + 0.5 == y and length > 0, "strokes along the middle of a row"
            for column in range(int(x), int(x + length)):
                grid[row][column] = True
            x += length
            i += 2
        else:
            raise AssertionError(f"unexpected path command {command!r}")
    return grid


def _crop(grid: list[list[bool]]) -> tuple[list[list[bool]], int]:
    """The symbol without its quiet zone, and the narrowest light margin around it."""
    size = len(grid)
    rows = [y for y in range(size) if any(grid[y])]
    columns = [x for x in range(size) if any(grid[y][x] for y in range(size))]
    top, bottom, left, right = rows[0], rows[-1], columns[0], columns[-1]
    assert bottom - top == right - left, "a square symbol"
    margin = min(top, left, size - 1 - bottom, size - 1 - right)
    return [row[left : right + 1] for row in grid[top : bottom + 1]], margin


def _alignment_positions(version: int, size: int) -> list[int]:
    if version == 1:
        return []
    count = version // 7 + 2
    step = (version * 8 + count * 3 + 5) // (count * 4 - 4) * 2
    return sorted([6] + [size - 7 - i * step for i in range(count - 1)])


def _function_modules(version: int, size: int) -> list[list[bool]]:
    """Finder, separator, timing, alignment, format and version modules: not data."""
    function = [[False] * size for _ in range(size)]

    def mark(x: int, y: int) -> None:
        if 0 <= x < size and 0 <= y < size:
            function[y][x] = True

    for i in range(size):
        mark(6, i)
        mark(i, 6)
    for cx, cy in ((3, 3), (size - 4, 3), (3, size - 4)):
        for dy in range(-4, 5):
            for dx in range(-4, 5):
                mark(cx + dx, cy + dy)
    positions = _alignment_positions(version, size)
    last = len(positions) - 1
    for i, ax in enumerate(positions):
        for j, ay in enumerate(positions):
            if (i, j) in ((0, 0), (0, last), (last, 0)):
                continue
            for dy in range(-2, 3):
                for dx in range(-2, 3):
                    mark(ax + dx, ay + dy)
    for i in range(9):
        mark(8, i)
        mark(i, 8)
    for i in range(8):
        mark(size - 1 - i, 8)
        mark(8, size - 1 - i)
    if version >= 7:
        for i in range(18):
            mark(size - 11 + i % 3, i // 3)
            mark(i // 3, size - 11 + i % 3)
    return function


def _format_bits(symbol: list[list[bool]]) -> tuple[str, int]:
    size = len(symbol)

    def dark(x: int, y: int) -> int:
        return int(symbol[y][x])

    first = [(8, i) for i in range(6)] + [(8, 7), (8, 8), (7, 8)] + [(14 - i, 8) for i in range(9, 15)]
    second = [(size - 1 - i, 8) for i in range(8)] + [(8, size - 15 + i) for i in range(8, 15)]
    copies = [sum(dark(x, y) << bit for bit, (x, y) in enumerate(places)) for places in (first, second)]
    assert copies[0] == copies[1], "both copies of the format information agree"
    assert dark(8, size - 8), "the dark module beside the bottom-left finder"
    bits = copies[0] ^ 0x5412
    data = bits >> 10
    remainder = data
    for _ in range(10):
        remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537)
    assert bits == (data << 10 | remainder), "the format information's BCH code holds"
    return _LEVEL_BY_BITS[data >> 3], data & 7


def _check_patterns(symbol: list[list[bool]]) -> None:
    size = len(symbol)
    for left, top in ((0, 0), (size - 7, 0), (0, size - 7)):
        for dy in range(7):
            for dx in range(7):
                ring = max(abs(dx - 3), abs(dy - 3))
                assert symbol[top + dy][left + dx] == (ring != 2), f"a finder pattern at ({left}, {top})"
    for i in range(8, size - 8):
        assert symbol[6][i] == (i % 2 == 0) and symbol[i][6] == (i % 2 == 0), "the timing patterns"


def _codewords(symbol: list[list[bool]], function: list[list[bool]], mask: int, count: int) -> list[int]:
    size = len(symbol)
    bits: list[int] = []
    right = size - 1
    while right >= 1:
        if right == 6:
            right = 5
        upward = (right + 1) & 2 == 0
        for vertical in range(size):
            y = size - 1 - vertical if upward else vertical
            for x in (right, right - 1):
                if not function[y][x]:
                    bits.append(int(symbol[y][x] ^ _MASKS[mask](x, y)))
        right -= 2
    bits = bits[: count * 8]
    return [int("".join(map(str, bits[i : i + 8])), 2) for i in range(0, len(bits), 8)]


def _data_codewords(codewords: list[int], version: int, level: str) -> list[int]:
    ecc, blocks = _ECC_PER_BLOCK[level][version - 1], _BLOCKS[level][version - 1]
    total = len(codewords)
    short_blocks = blocks - total % blocks
    short_length = total // blocks
    lengths = [short_length if j < short_blocks else short_length + 1 for j in range(blocks)]
    filled: list[list[int]] = [[] for _ in range(blocks)]
    stream = iter(codewords)
    # Data codewords first, block after block per position; the long blocks' extra one last.
    for i in range(short_length + 1 - ecc):
        for j in range(blocks):
            if i < lengths[j] - ecc:
                filled[j].append(next(stream))
    return [word for block in filled for word in block]


def _segments(data: list[int], version: int) -> str:
    bits = "".join(f"{word:08b}" for word in data)
    position = 0

    def take(n: int) -> int:
        nonlocal position
        value = int(bits[position : position + n], 2)
        position += n
        return value

    text = ""
    while position + 4 <= len(bits):
        mode = take(4)
        if mode == 0:
            break
        if mode == 0b0100:  # bytes, UTF-8
            length = take(8 if version < 10 else 16)
            text += bytes(take(8) for _ in range(length)).decode()
        elif mode == 0b0010:  # alphanumeric
            length = take(9 if version < 10 else 11)
            for _ in range(length // 2):
                pair = take(11)
                text += _ALPHANUMERIC[pair // 45] + _ALPHANUMERIC[pair % 45]
            if length % 2:
                text += _ALPHANUMERIC[take(6)]
        elif mode == 0b0001:  # numeric
            length = take(10 if version < 10 else 12)
            for _ in range(length // 3):
                text += f"{take(10):03d}"
            if length % 3 == 2:
                text += f"{take(7):02d}"
            elif length % 3 == 1:
                text += str(take(4))
        else:
            raise AssertionError(f"a segment mode this reader does not know: {mode:04b}")
    return text


def read_qr_svg(svg: str) -> Symbol:
    """The text a QR code drawn as SVG holds, with its version, level, mask and quiet zone."""
    symbol, quiet_zone = _crop(svg_modules(svg))
    size = len(symbol)
    assert (size - 17) % 4 == 0, f"a QR code's side is 17 + 4 × version, not {size}"
    version = (size - 17) // 4
    assert 1 <= version <= 10, f"version {version}: this reader goes up to 10"
    _check_patterns(symbol)
    level, mask = _format_bits(symbol)
    raw_modules = (16 * version + 128) * version + 64
    if version >= 2:
        count = version // 7 + 2
        raw_modules -= (25 * count - 10) * count - 55
    if version >= 7:
        raw_modules -= 36
    codewords = _codewords(symbol, _function_modules(version, size), mask, raw_modules // 8)
    text = _segments(_data_codewords(codewords, version, level), version)
    return Symbol(text=text, version=version, level=level, mask=mask, quiet_zone=quiet_zone)
