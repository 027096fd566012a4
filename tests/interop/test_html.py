"""Anki field HTML to plain text and back."""

from __future__ import annotations

import pytest

from trainer.interop.html import html_to_text, text_to_html

CASES = [
    pytest.param("plain text", "plain text", (), id="plain"),
    pytest.param("a &amp; b &lt;c&gt; &quot;d&quot;", 'a & b <c> "d"', (), id="entities"),
    pytest.param("query&ndash;key &#8212; &#x41;", "query\u2013key \u2014 A", (), id="numeric"),
    pytest.param("one<br>two<br/>three<BR >four", "one\ntwo\nthree\nfour", (), id="br"),
    pytest.param("intro<div>first</div><div>second</div>", "intro\nfirst\nsecond", (), id="div"),
    pytest.param("a<div><br></div><div>b</div>", "a\n\nb", (), id="anki-blank-line"),
    pytest.param("<div><div><div>deep</div></div></div>", "deep", (), id="nested-blocks"),
    pytest.param("<p>one</p><p>two</p>", "one\ntwo", (), id="paragraphs"),
    pytest.param("<ul><li>x</li><li>y</li></ul>", "x\ny", (), id="list"),
    pytest.param("<b>bold</b> and <i>it</i><u>u</u>", "bold and itu", (), id="inline-tags"),
    pytest.param("  lots   of\n\tspace  ", "lots of space", (), id="whitespace"),
    pytest.param("weights, &nbsp;decoupled&nbsp;", "weights, decoupled", (), id="nbsp"),
    pytest.param("a<br><br><br><br>b", "a\n\nb", (), id="blank-lines-collapse"),
    pytest.param("<br>a<br>", "a", (), id="edge-breaks"),
    pytest.param(
        'see <img src="attention.png"> here',
        "see [image:attention.png] here",
        ("attention.png",),
        id="img",
    ),
    pytest.param("say [sound:hello.mp3]", "say [sound:hello.mp3]", ("hello.mp3",), id="sound-kept"),
    pytest.param(
        '<img src="a.png"><img src="a.png">[sound:b.mp3]',
        "[image:a.png][image:a.png][sound:b.mp3]",
        ("a.png", "b.mp3"),
        id="media-listed-once",
    ),
    pytest.param("<img alt=x>", "", (), id="img-without-src"),
    pytest.param("x<script>alert(1)</script><style>b{}</style>y", "xy", (), id="hidden"),
    pytest.param('<a href="https://x">link</a>', "link", (), id="link"),
    pytest.param("a < b and c > d", "a < b and c > d", (), id="bare-angle-brackets"),
    pytest.param("<table><tr><td>1</td><td>2</td></tr></table>", "1 2", (), id="table"),
    pytest.param("[bold]not markup[/bold]", "[bold]not markup[/bold]", (), id="rich-markup"),
    pytest.param("<b>unclosed", "unclosed", (), id="unclosed"),
    pytest.param("", "", (), id="empty"),
]


@pytest.mark.parametrize(("markup", "text", "media"), CASES)
def test_html_to_text(markup: str, text: str, media: tuple[str, ...]) -> None:
    result = html_to_text(markup)
    assert result.text == text
    assert result.media == media


@pytest.mark.parametrize(
    "text",
    [
        "plain",
        "a < b & c > d",
        "quotes \" and ' stay",
        "two\nlines",
        "blank\n\nline",
        "<b>not a tag</b>",
        "&amp; literally",
    ],
)
def test_text_survives_a_trip_through_html(text: str) -> None:
    assert html_to_text(text_to_html(text)).text == text


def test_text_to_html_escapes_markup_and_keeps_line_breaks() -> None:
    assert text_to_html("a <b> & c\nd") == "a &lt;b&gt; &amp; c<br>d"


def test_plain_fields_read_as_the_parser_reads_them() -> None:
    """Fields without markup skip the parser; whatever their spacing, the text is the same."""
    import random

    rng = random.Random(7)
    alphabet = list("ab  \t\n\r\xa0\u2028\u3000x.,é[]")
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        assert html_to_text(text).text == html_to_text(text + "<i></i>").text, repr(text)
