from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.render.blocks import Message
from bot.render.plaintext import message_as_text, mrkdwn_as_text


def test_mrkdwn_links_mentions_and_escapes() -> None:
    text = (
        "<https://x.example/a?b=1|Acme &amp; Co> for <@U01AMARA>, <!here> &lt;b&gt; <https://y.example/> "
        "<!date^1795497614^{date_short_pretty} {time}|24 Nov 2026 05:20 UTC>"
    )
    assert mrkdwn_as_text(text, {"U01AMARA": "Amara"}) == (
        "Acme & Co (https://x.example/a?b=1) for @Amara, @here <b> https://y.example/ 24 Nov 2026 05:20 UTC"
    )


def test_message_blocks_in_order() -> None:
    message = Message(
        text="fallback",
        blocks=[
            HeaderBlock(text="Your accounts"),
            SectionBlock(text=MarkdownTextObject(text="*Acme* is overdue")),
            ContextBlock(elements=[MarkdownTextObject(text="last touch 40 days ago")]),
            DividerBlock(),
            ActionsBlock(elements=[ButtonElement(text="Log touch", action_id="log_touch", value="Acme")]),
        ],
    )
    assert message_as_text(message).splitlines() == [
        "YOUR ACCOUNTS",
        "*Acme* is overdue",
        "  last touch 40 days ago",
        "  " + "-" * 40,
        "  [Log touch]",
    ]


def test_message_without_blocks_reads_its_fallback() -> None:
    assert message_as_text(Message(text="Hello <@U1>")) == "Hello @U1"
