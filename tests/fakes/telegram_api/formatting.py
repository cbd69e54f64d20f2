"""Telegram text formatting: Telegram-flavoured HTML parsed into plain text and MessageEntity dicts."""

from __future__ import annotations

import re
from typing import Any

from tests.fakes.telegram_api.errors import ApiError, bad


def _utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_HTML_ENTITY_RE = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _decode_entity(text: str, pos: int) -> tuple[str, int] | None:
    """The character an HTML entity at `pos` stands for and the position after it, or None."""
    match = _HTML_ENTITY_RE.match(text, pos)
    if not match:
        return None
    name, decimal, hexadecimal = match.groups()
    if name:
        return _NAMED_ENTITIES[name], match.end()
    code = int(decimal) if decimal else int(hexadecimal, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), match.end()


def _decode_attribute(value: str) -> str:
    """Attribute values with entities decoded (leniently: undecodable `&` stays)."""
    out: list[str] = []
    pos = 0
    while pos < len(value):
        decoded = _decode_entity(value, pos) if value[pos] == "&" else None
        if decoded:
            out.append(decoded[0])
            pos = decoded[1]
        else:
            out.append(value[pos])
            pos += 1
    return "".join(out)


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram-flavoured HTML into plain text and MessageEntity dicts; raise ApiError(400) when malformed."""

    def byte_offset(pos: int) -> int:
        return len(text[:pos].encode("utf-8"))

    def fail(reason: str) -> ApiError:
        return bad(f"can't parse entities: {reason}")

    out: list[str] = []
    length16 = 0
    stack: list[tuple[str, int, dict[str, str]]] = []
    entities: list[dict[str, Any]] = []
    size = len(text)
    pos = 0
    while pos < size:
        char = text[pos]
        if char == "<":
            begin = pos
            if pos + 1 < size and text[pos + 1] == "/":
                if not stack:
                    raise fail(f"Unexpected end tag at byte offset {byte_offset(begin)}")
                end = pos + 2
                while end < size and not text[end].isspace() and text[end] != ">":
                    end += 1
                name = text[pos + 2 : end].lower()
                while end < size and text[end].isspace():
                    end += 1
                if end >= size or text[end] != ">":
                    raise fail(f"Unclosed end tag at byte offset {byte_offset(begin)}")
                open_name, start, open_attrs = stack[-1]
                if name and name != open_name:
                    raise fail(
                        f"Unmatched end tag at byte offset {byte_offset(begin)}, "
                        f'expected "</{open_name}>", found "</{name}>"'
                    )
                stack.pop()
                entity_length = length16 - start
                language = open_attrs.get("class", "")
                if open_name == "code" and language.startswith("language-") and stack and stack[-1][0] == "pre":
                    stack[-1][2]["language"] = language[len("language-") :]
                elif entity_length > 0:
                    entity: dict[str, Any] = {"type": _HTML_TAGS[open_name], "offset": start, "length": entity_length}
                    if open_name == "a":
                        if not open_attrs.get("href"):
                            entity = {}
                        else:
                            entity["url"] = open_attrs["href"]
                    elif open_name == "pre" and open_attrs.get("language"):
                        entity["language"] = open_attrs["language"]
                    elif open_name == "blockquote" and "expandable" in open_attrs:
                        entity["type"] = "expandable_blockquote"
                    elif open_name == "tg-emoji":
                        entity["custom_emoji_id"] = open_attrs.get("emoji-id", "")
                    if entity:
                        entities.append(entity)
                pos = end + 1
                continue
            end = pos + 1
            while end < size and not text[end].isspace() and text[end] != ">":
                end += 1
            if end >= size:
                raise fail(f"Unclosed start tag at byte offset {byte_offset(begin)}")
            name = text[pos + 1 : end].lower()
            if name not in _HTML_TAGS:
                raise fail(f'Unsupported start tag "{name}" at byte offset {byte_offset(begin)}')
            attrs: dict[str, str] = {}
            while True:
                while end < size and text[end].isspace():
                    end += 1
                if end >= size:
                    raise fail(f"Unclosed start tag at byte offset {byte_offset(begin)}")
                if text[end] == ">":
                    end += 1
                    break
                name_end = end
                while name_end < size and not text[name_end].isspace() and text[name_end] not in "=>":
                    name_end += 1
                attribute = text[end:name_end].lower()
                if not attribute:
                    raise fail(f'Empty attribute name in the tag "{name}" at byte offset {byte_offset(begin)}')
                end = name_end
                while end < size and text[end].isspace():
                    end += 1
                if end < size and text[end] == "=":
                    end += 1
                    while end < size and text[end].isspace():
                        end += 1
                    if end >= size:
                        raise fail(f"Unclosed start tag at byte offset {byte_offset(begin)}")
                    if text[end] in "\"'":
                        closing = text.find(text[end], end + 1)
                        if closing < 0:
                            raise fail(f"Unclosed start tag at byte offset {byte_offset(begin)}")
                        raw = text[end + 1 : closing]
                        end = closing + 1
                    else:
                        value_end = end
                        while value_end < size and (text[value_end].isalnum() or text[value_end] in ".-_"):
                            value_end += 1
                        if value_end == end:
                            raise fail(
                                f'Expected quote in declaration of attribute "{attribute}" of the tag "{name}" '
                                f"at byte offset {byte_offset(begin)}"
                            )
                        raw = text[end:value_end]
                        end = value_end
                    attrs[attribute] = _decode_attribute(raw)
                else:
                    attrs[attribute] = ""
            if name == "span" and attrs.get("class") != "tg-spoiler":
                raise fail(f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset(begin)}')
            stack.append((name, length16, attrs))
            pos = end
            continue
        if char == "&":
            decoded = _decode_entity(text, pos)
            if decoded is None:
                raise fail(
                    f'Unsupported HTML entity or unescaped "&" at byte offset {byte_offset(pos)}; '
                    "use &amp; &lt; &gt; &quot;"
                )
            out.append(decoded[0])
            length16 += _utf16_len(decoded[0])
            pos = decoded[1]
            continue
        out.append(char)
        length16 += 2 if ord(char) > 0xFFFF else 1
        pos += 1
    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda item: (item["offset"], -item["length"]))
    return "".join(out), entities


def format_text(text: str | None, parse_mode: str | None, entities: Any) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entities of a text/caption under a parse mode."""
    text = text or ""
    if parse_mode:
        mode = parse_mode.lower()
        if mode == "html":
            return parse_html(text)
        if mode in ("markdown", "markdownv2"):
            return text, []
        raise bad(f"unsupported parse_mode {parse_mode!r}")
    return text, list(entities) if isinstance(entities, list) else []
