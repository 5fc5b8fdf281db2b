"""The CSV writer gives csv.writer's bytes, defused cells and all, for any rows."""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from pressctl.export.csvfile import Dialect, defuse, defuse_phone, write_csv

# Cells made of the characters that matter to quoting and defusing, with ordinary text between them.
SPECIAL = st.sampled_from(list(',;"\r\n =+-@\t\u00a0＝a1ß€\U0001F600'))
CELLS = st.text(alphabet=SPECIAL | st.characters(exclude_categories=("Cs",)), max_size=12)
DIALECTS = st.builds(Dialect, delimiter=st.sampled_from([",", ";", "\t"]), bom=st.booleans(),
                     quote_all=st.booleans(), spreadsheet=st.booleans())


def reference(header: list[str], rows: list[list[str]], dialect: Dialect, phones: set[str]) -> bytes:
    buffer = io.StringIO()
    if dialect.bom:
        buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=dialect.delimiter, lineterminator="\r\n",
                        quoting=csv.QUOTE_ALL if dialect.quote_all else csv.QUOTE_MINIMAL)
    writer.writerow(header)
    for row in rows:
        if dialect.spreadsheet:
            row = [(defuse_phone if name in phones else defuse)(cell) for name, cell in zip(header, row, strict=True)]
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8")


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[str], list[list[str]]]:
    width = draw(st.integers(0, 5))
    header = draw(st.lists(CELLS, min_size=width, max_size=width, unique=True))
    # Leading spaces and no-break spaces before a formula character are looked through.
    spaced = st.tuples(st.sampled_from([" ", "\u00a0", "  "]), CELLS).map("".join)
    cells = CELLS | spaced | st.just("") | st.just("+31612345678")
    rows = draw(st.lists(st.lists(cells, min_size=width, max_size=width), max_size=6))
    return header, rows


@settings(max_examples=1500, deadline=None)
@given(tables(), DIALECTS, st.booleans())
def test_rows_are_written_as_csv_writer_writes_them(table: tuple[list[str], list[list[str]]], dialect: Dialect,
                                                     first_is_phone: bool) -> None:
    header, rows = table
    phones = {header[0]} if first_is_phone and header else set()
    assert write_csv(header, rows, dialect, phone_columns=phones) == reference(header, rows, dialect, phones)


def test_a_row_of_one_empty_cell_is_quoted_so_that_it_reads_back_as_a_row() -> None:
    data = write_csv(["only"], [[""], ["x"]], Dialect())
    assert data == b'only\r\n""\r\nx\r\n'
    assert list(csv.reader(io.StringIO(data.decode("utf-8")))) == [["only"], [""], ["x"]]
