"""Property tests of the CSV value parsers and of the file reader (hypothesis)."""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from storage.importing.csv_formats import header_key, money, parse_rows, percent
from storage.reads.accounts import name_key


@given(st.integers(min_value=0, max_value=10**12), st.sampled_from(["", "$"]), st.booleans())
def test_money_reads_every_common_spelling(value: int, symbol: str, grouped: bool) -> None:
    text = f"{symbol}{value:,}" if grouped else f"{symbol}{value}"
    assert money(text) == float(value)


@given(st.decimals(min_value=0, max_value=100, places=2), st.booleans())
def test_percent_reads_with_or_without_the_sign(value, with_sign: bool) -> None:  # type: ignore[no-untyped-def]
    text = f"{value}%" if with_sign else f"{value}"
    assert percent(0, 100)(text) == float(value)


@given(st.sampled_from(["annual_revenue", "wallet_share", "prospect_fit", "name"]), st.data())
def test_header_spelling_variants_normalise(column: str, data: st.DataObject) -> None:
    words = column.split("_")
    sep = data.draw(st.sampled_from([" ", "_", "  ", " _ "]))
    spelled = sep.join(w.upper() if data.draw(st.booleans()) else w.capitalize() for w in words)
    assert header_key(f" {spelled} ") == column


printable = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), whitelist_characters="\n\r"), min_size=1, max_size=40
).filter(lambda s: bool(s.strip() and name_key(s)) and not s.strip().startswith("'"))


@settings(max_examples=60, deadline=None)
@given(st.lists(printable, min_size=1, max_size=15, unique_by=name_key), st.sampled_from(["\n", "\r\n"]))
def test_any_names_survive_csv_quoting_with_their_line_numbers(names: list[str], newline: str) -> None:
    out = io.StringIO(newline="")
    writer = csv.writer(
        out, lineterminator=newline, quoting=csv.QUOTE_ALL
    )  # minimal quoting misses a bare \r
    writer.writerow(["name", "industry"])
    for name in names:
        writer.writerow([name, "x"])
    rows = parse_rows("accounts", out.getvalue().encode("utf-8"))
    assert [r.name for r in rows] == [n.strip() for n in names]
    lines = [2]
    for name in names[:-1]:
        lines.append(lines[-1] + 1 + name.count("\n") + name.count("\r") - name.count("\r\n"))
    assert [r.line for r in rows] == lines
