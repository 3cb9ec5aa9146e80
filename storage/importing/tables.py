"""The tables inside an export file: a CSV (any of the usual encodings and separators), each sheet of an XLSX
workbook, each CSV or XLSX member of a ZIP archive. Streaming: a table's records are read from the file each
time they are asked for, never held in memory, so a 1 GB export costs no more memory than a small one.

Problems with a file as a whole raise `csv_formats.BadFile`, with the line and what to do.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any

from storage.importing.csv_formats import FIELD_LIMIT, BadFile

Opener = Callable[[], AbstractContextManager[IO[bytes]]]
CHUNK = 1 << 20
UTF8_FIX = (
    "Save the file as UTF-8 (in Excel: 'CSV UTF-8 (Comma delimited)'), or pass --encoding with the encoding it "
    "was saved in (usually --encoding latin-1 or --encoding cp1252 for files from Excel or a Salesforce report)."
)
# Text that was UTF-8, read as Latin-1/cp1252 and saved as UTF-8 again: "é" -> "Ã©", "ü" -> "Ã¼", "’" -> "â€™".
_MOJIBAKE = re.compile("Ã[\u0080-\u00bf]|â€|Â[\u00a0-\u00bf]|Ã[ŠŒŽšœžŸ‚„…†‡ˆ‰‹‘’“”•–—˜™›]")
SEPARATORS = {",": "commas", ";": "semicolons", "\t": "tabs"}


@dataclass(frozen=True)
class Table:
    name: str  # the path as given; "path!member.csv" in a zip; "path[Sheet]" for xlsx sheets
    header_line: int  # file line (CSV) or sheet row of the header
    header: list[str]  # raw header cells (BOM stripped)
    _read: Callable[[], Iterator[tuple[int, list[str]]]] = field(repr=False, compare=False)

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """Every record after the header, blank ones included, with the line (sheet row) where it starts."""
        return self._read()


def open_tables(path: Path, encoding: str | None = None) -> list[Table]:
    """The tables of one file, by its content (a ZIP, an XLSX workbook, or CSV text); raises BadFile."""
    path = Path(path)
    if encoding is not None:
        _codec(encoding)
    try:
        with path.open("rb") as fh:
            magic = fh.read(4)
    except FileNotFoundError:
        raise BadFile("no such file.") from None
    except IsADirectoryError:
        raise BadFile("this is a directory; give the path of an export file (.csv, .xlsx or .zip).") from None
    except OSError as exc:
        raise BadFile(f"cannot read it ({exc.strerror}).") from None
    name = str(path)
    if magic.startswith(b"PK\x03\x04") or magic.startswith(b"PK\x05\x06"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError) as exc:
            raise BadFile(
                f"it looks like a ZIP archive (or an XLSX workbook) but cannot be opened ({exc})."
            ) from None
        if "xl/workbook.xml" in names or "[Content_Types].xml" in names:
            return _xlsx_tables(name, lambda: _file(path))
        return _zip_tables(path, names, encoding)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise BadFile(
            "this is an old Excel (.xls) workbook; save it as .xlsx or as 'CSV UTF-8 (Comma delimited)' and import that."
        )
    table = _csv_table(name, lambda: _file(path), encoding)
    return [table]


@contextmanager
def _file(path: Path) -> Iterator[IO[bytes]]:
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise BadFile(f"cannot read it ({exc.strerror}).") from None
    with fh:
        yield fh


# ------------------------------------------------------------------------------------------- zip


def _zip_tables(path: Path, names: list[str], encoding: str | None) -> list[Table]:
    tables: list[Table] = []
    for member in names:
        if (
            member.endswith("/")
            or "__MACOSX" in member.split("/")
            or member.rsplit("/", 1)[-1].startswith("._")
        ):
            continue
        lower = member.casefold()
        opener = _member_opener(path, member)
        name = f"{path}!{member}"
        if lower.endswith(".csv"):
            tables.append(_csv_table(name, opener, encoding))
        elif lower.endswith((".xlsx", ".xlsm")):
            tables.extend(_xlsx_tables(name, opener))
    if not tables:
        raise BadFile("the ZIP archive holds no .csv or .xlsx file.")
    return tables


def _member_opener(path: Path, member: str) -> Opener:
    @contextmanager
    def opener() -> Iterator[IO[bytes]]:
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise BadFile(f"cannot open the ZIP archive ({exc}).") from None
        with archive, archive.open(member) as fh:
            yield fh

    return opener


# ------------------------------------------------------------------------------------------- csv


def _codec(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise BadFile(
            f"--encoding {encoding!r} is not an encoding Python knows; use a name such as latin-1, cp1252 or utf-16."
        ) from None


def _scan_utf8(opener: Opener) -> tuple[int, int] | None:
    """(line, byte) of the first byte that is not UTF-8, or None when the whole file is UTF-8. Streams."""
    line = 1
    carry = b""
    with opener() as fh:
        while True:
            chunk = fh.read(CHUNK)
            data = carry + chunk
            if not data:
                return None
            try:
                data.decode("utf-8")
                carry = b""
                good = data
            except UnicodeDecodeError as exc:
                if chunk and exc.reason == "unexpected end of data" and len(data) - exc.start < 4:
                    good, carry = data[: exc.start], data[exc.start :]
                else:
                    return line + data.count(b"\n", 0, exc.start), data[exc.start]
            line += good.count(b"\n")
            if not chunk:
                return None


def _choose_encoding(opener: Opener, encoding: str | None) -> str:
    """The encoding to read with: a BOM decides; else UTF-8 when the bytes are UTF-8 (even with --encoding: a
    batch may mix files); else the --encoding given; else BadFile naming the line."""
    with opener() as fh:
        start = fh.read(4)
    if start.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if start.startswith(b"\xef\xbb\xbf") or encoding is None:
        return "utf-8-sig"
    codec = _codec(encoding)
    if codec in ("utf-8", "utf-8-sig"):
        return "utf-8-sig"
    return "utf-8-sig" if _scan_utf8(opener) is None else codec


def _not_utf8(opener: Opener) -> BadFile:
    found = _scan_utf8(opener)
    if found is None:  # pragma: no cover - the decoder and the scan disagree
        return BadFile(f"the file is not UTF-8 text. {UTF8_FIX}")
    line, byte = found
    return BadFile(f"line {line}: byte 0x{byte:02x} is not UTF-8 text: the file is not UTF-8. {UTF8_FIX}")


def _checked(lines: Iterable[str], first: int, counter: list[int]) -> Iterator[str]:
    """Physical lines, refused when they hold NUL characters or text converted twice; counter[0] = lines read."""
    n = first - 1
    for text in lines:
        n += 1
        counter[0] = n
        if "\0" in text:
            raise BadFile(
                f"line {n}: the file contains a NUL character, so it is not a text CSV (perhaps UTF-16 without a "
                "byte-order mark, or a spreadsheet file). Save it as 'CSV UTF-8 (Comma delimited)'."
            )
        bad = _MOJIBAKE.search(text)
        if bad:
            raise BadFile(
                f"line {n}: {bad.group()!r} looks like text converted twice (mojibake: UTF-8 read as Latin-1 and "
                "saved again), so names would be garbled. Re-export the file from the CRM as UTF-8 and import that."
            )
        yield text


def _separator(first_line: str) -> str:
    """Comma, unless the header line clearly uses semicolons or tabs instead."""
    outside = re.sub(r'"[^"]*"', "", first_line)
    counts = {sep: outside.count(sep) for sep in SEPARATORS}
    best = max((";", "\t"), key=lambda s: counts[s])
    return best if counts[best] > counts[","] else ","


@contextmanager
def _text(opener: Opener, encoding: str) -> Iterator[io.TextIOWrapper]:
    with opener() as fh:
        stream = io.TextIOWrapper(fh, encoding=encoding, errors="strict", newline="")
        try:
            yield stream
        finally:
            stream.detach()


def _csv_records(opener: Opener, encoding: str) -> Generator[tuple[int, list[str]], None, None]:
    """Every record of the file (header included) with the line where it starts."""
    counter = [0]
    previous_end = 0
    try:
        with _text(opener, encoding) as stream:
            first = stream.readline()
            lines = _checked(_chain(first, stream), 1, counter)
            reader = csv.reader(lines, delimiter=_separator(first), strict=True)
            for cells in reader:
                start, previous_end = previous_end + 1, counter[0]
                yield start, cells
    except UnicodeDecodeError:
        if encoding.startswith("utf-8"):
            raise _not_utf8(opener) from None
        raise BadFile(
            f"line {counter[0] + 1}: the bytes are not {encoding} text; check the --encoding given."
        ) from None
    except csv.Error as exc:
        line = previous_end + 1  # where the record that could not be read begins
        if "field larger than field limit" in str(exc) or "unexpected end of data" in str(exc):
            raise BadFile(
                f'line {line}: a value is longer than {FIELD_LIMIT:,} characters or never ends. Usually a quote (") '
                "opened on this line is not closed and swallows the rest of the file."
            ) from None
        raise BadFile(f"line {line}: the file is not valid CSV ({exc}).") from None


def _chain(first: str, rest: IO[str]) -> Iterator[str]:
    if first:
        yield first
    yield from iter(rest.readline, "")  # not the stream itself: closing this generator must not close it


def _csv_table(name: str, opener: Opener, encoding: str | None) -> Table:
    chosen = _choose_encoding(opener, encoding)
    header: list[str] | None = None
    header_line = 0
    records = _csv_records(opener, chosen)
    try:
        for line, cells in records:
            if any(c.strip() for c in cells):
                header, header_line = cells, line
                break
    finally:
        records.close()
    if header is None:
        raise BadFile("the file is empty; an export starts with a header line naming its columns.")
    header = [header[0].lstrip("\ufeff"), *header[1:]]

    def read() -> Iterator[tuple[int, list[str]]]:
        for line, cells in _csv_records(opener, chosen):
            if line > header_line:
                yield line, cells

    return Table(name, header_line, header, read)


# ------------------------------------------------------------------------------------------- xlsx


def cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.time() == time(0) and value.tzinfo is None:
            return value.strftime("%Y-%m-%d")
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    return str(value).lstrip("\ufeff") if isinstance(value, str) else str(value)


@contextmanager
def _workbook(opener: Opener) -> Iterator[Any]:
    from openpyxl import load_workbook  # imported here: only workbooks need it

    with opener() as fh:
        data: IO[bytes] = fh
        if not fh.seekable():  # pragma: no cover - zip members are seekable since Python 3.7
            data = io.BytesIO(fh.read())
        try:
            book = load_workbook(data, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken workbook
            raise BadFile(f"cannot read the workbook ({exc}). Save it again as .xlsx, or as CSV.") from None
        try:
            yield book
        finally:
            book.close()


def _rows(sheet: Any) -> Iterator[tuple[int, list[str]]]:
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = [cell_text(v) for v in row]
        while cells and not cells[-1]:
            cells.pop()
        yield number, cells


def _xlsx_tables(name: str, opener: Opener) -> list[Table]:
    found: list[tuple[str, int, list[str]]] = []
    with _workbook(opener) as book:
        titles = list(book.sheetnames)
        for title in titles:
            sheet = book[title]
            if not hasattr(sheet, "iter_rows"):
                continue  # a chart sheet
            for number, cells in _rows(sheet):
                if any(c.strip() for c in cells):
                    found.append((title, number, cells))
                    break
    if not found:
        raise BadFile("the workbook has no sheet with data.")
    tables = []
    for title, header_line, header in found:

        def read(
            title: str = title, header_line: int = header_line, width: int = len(header)
        ) -> Iterator[tuple[int, list[str]]]:
            with _workbook(opener) as book:
                for number, cells in _rows(book[title]):
                    if number > header_line:
                        yield number, cells + [""] * (width - len(cells))

        tables.append(Table(name if len(titles) == 1 else f"{name}[{title}]", header_line, header, read))
    return tables
