"""Long statements are rendered part by part (markdown.parts): the parts must render exactly as the whole."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pressctl.render import markdown

WORD = st.sampled_from(["dock", "wage", "*deal*", "**pay**", "`code`", "[site][ref]", "[x](https://example.org)",
                        "Café", "ឈ្នួល", "1.", "-", "```", "~~~", ">", "#", "<div>", "[ref]:", "ext."])
LINE = st.one_of(
    st.lists(WORD, min_size=1, max_size=6).map(" ".join),  # a paragraph line
    st.sampled_from(["", "", "", "- item", "* item", "1. first", "2) second", "  continued", "    indented code",
                     "   - nested", "```", "```python", "~~~", "  ```", "\t```", "````", "> quoted", ">",
                     "# Heading", "Setext", "===", "---", "***", "[ref]: https://example.org/ref",
                     "[Ref]: https://example.org/other", "<div>", "</div>", "  ", "\t", "\t- tabbed", "+ plus",
                     "10) ten", "  - indented item", "[ref]:", "  https://example.org/late", '  "a title"',
                     "[re", "f]: https://example.org/split", "```` ```", "~~~~", "    ```", "-", "1.", "\r"]),
)
MARKDOWN = st.lists(LINE, min_size=1, max_size=40).map("\n".join)


@settings(max_examples=400, deadline=None)
@given(MARKDOWN)
def test_rendering_in_parts_is_rendering_the_whole(source: str) -> None:
    whole = markdown.render(source, lead="AMSTERDAM, 26 June 2024 –", lead_html="<b>AMSTERDAM</b>",
                            part_size=len(source) + 1)
    cut = markdown.render(source, lead="AMSTERDAM, 26 June 2024 –", lead_html="<b>AMSTERDAM</b>", part_size=1)
    assert cut == whole


def test_a_long_statement_is_cut_only_between_top_level_blocks() -> None:
    source = "\n\n".join(["Para one.", "- a", "- b", "```", "code", "", "Not a cut", "```", "Para two.",
                          "    indented", "Para three."])
    pieces = list(markdown.parts(source, size=1))
    assert "".join(pieces) == source
    assert ["- a\n\n- b\n\n" in piece for piece in pieces].count(True) == 1  # one loose list, never two
    assert any(piece.startswith("```\n\ncode\n\n\n\nNot a cut\n\n```") for piece in pieces)
    assert len(pieces) > 3
