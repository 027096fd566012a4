"""The YAML side of deck files: PyYAML's safe loader and dumper, used only for decks
not in trainer's own form (hand-written ones) and for ``dump_deck``.

Kept apart from ``trainer.app.deckfile`` so that importing PyYAML (about a
third of a command's start-up) happens only when such a deck is read or
written: a command whose decks are all unchanged, or in trainer's own form,
never loads it. Only the safe loader is used, so a deck can never construct
Python objects; libyaml's C classes are used when present.
"""

from __future__ import annotations

from typing import Any

import yaml

from trainer.core.deck import DeckError, LineDict, deck_from_data
from trainer.core.model import Deck

#: YAML aliases a deck may use, and nodes it may stand for once aliases are expanded:
#: far beyond any hand-written deck, far below what a "billion laughs" file asks for
MAX_ALIASES = 10_000
MAX_EXPANDED_NODES = 5_000_000


SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SafeDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _LineLoader(SafeLoader):  # type: ignore[misc, valid-type]
    pass


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> LineDict:
    """A mapping that knows its line, and refuses a key given twice: PyYAML would
    keep the last silently, losing a definition typed over by a hand edit."""
    seen: set[object] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, str | int | float | bool) and key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"the key {key!r} appears twice", key_node.start_mark
            )
        if isinstance(key, str | int | float | bool):
            seen.add(key)
    mapping = LineDict(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_yaml(text: str, slug: str, source: str) -> Deck:
    """A hand-written deck's text as a validated Deck; every failure is a DeckError."""
    return deck_from_data(read_yaml(text, source), slug, source)


def read_yaml(text: str, source: str) -> Any:
    """The YAML document in ``text``, mappings as ``LineDict``; a DeckError if it is not
    YAML, or if its aliases would expand too far."""
    try:
        if "&" in text:  # an alias needs an anchor: most decks skip the count
            _check_expansion(text, source)
        data = yaml.load(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        problem = error.problem or error.context or "invalid YAML"
        raise DeckError(source, line, f"YAML syntax error: {problem}") from None
    except yaml.reader.ReaderError as error:
        raise _character_error(error, text, source) from None
    except yaml.YAMLError as error:  # messages fit on one line, like every DeckError
        first = str(error).strip().splitlines()[0] if str(error).strip() else "invalid YAML"
        raise DeckError(source, None, f"YAML error: {first}") from None
    except RecursionError:
        raise DeckError(source, None, "YAML nested too deeply") from None
    return data


def _check_expansion(text: str, source: str) -> None:
    """Refuse a document whose aliases would expand too far, before anything is built.

    Reads the event stream (no nodes are composed) keeping, per anchor, how
    many nodes it stands for; an alias adds that many. A few hundred bytes of
    nested aliases can stand for billions of nodes, which the loader and the
    validator would walk one by one.
    """
    sizes: dict[str, int] = {}
    stack: list[list[Any]] = [[0, None]]  # [nodes so far, anchor] of each open collection
    aliases = 0
    loader = SafeLoader(text)
    try:
        while (event := loader.get_event()) is not None:
            if isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_ALIASES:
                    raise DeckError(
                        source, event.start_mark.line + 1, f"more than {MAX_ALIASES} YAML aliases"
                    )
                stack[-1][0] += sizes.get(event.anchor or "", 1)
            elif isinstance(event, yaml.ScalarEvent):
                stack[-1][0] += 1
                if event.anchor:
                    sizes[event.anchor] = 1
            elif isinstance(event, yaml.CollectionStartEvent):
                stack.append([1, event.anchor])
            elif isinstance(event, yaml.CollectionEndEvent):
                size, anchor = stack.pop()
                if anchor:
                    sizes[anchor] = size
                stack[-1][0] += size
            if stack[-1][0] > MAX_EXPANDED_NODES or (
                len(stack) > 1
                and stack[0][0] + sum(level[0] for level in stack[1:]) > MAX_EXPANDED_NODES
            ):
                raise DeckError(
                    source,
                    event.start_mark.line + 1,
                    f"YAML aliases expand to more than {MAX_EXPANDED_NODES} values",
                )
    finally:
        loader.dispose()


def _character_error(error: yaml.reader.ReaderError, text: str, source: str) -> DeckError:
    """A character YAML refuses (a raw control character, say), with its line."""
    position = error.position if isinstance(error.position, int) else 0
    if SafeLoader is not yaml.SafeLoader:  # libyaml counts UTF-8 bytes, PyYAML characters
        before = text.encode("utf-8")[:position].decode("utf-8", "ignore")
    else:
        before = text[:position]
    code = error.character
    what = f"U+{code:04X}" if isinstance(code, int) else repr(code)
    line = before.count("\n") + 1
    return DeckError(source, line, f"character {what} is not allowed in YAML ({error.reason})")


def dump_data(data: dict[str, Any]) -> str:
    return yaml.dump(
        data,
        Dumper=SafeDumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )
