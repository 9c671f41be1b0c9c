"""The tasks a command names: an exact name, a batch by its prefix, or a glob of names.

Every face that takes task names from a user (the CLI's `run`, `stop`, `wait`, `rm`, `pin`,
`show`...) resolves them here, so `pyr-tui gen spec.yaml -n sweep --run` can be followed by
`pyr-tui wait sweep` instead of twenty names:

- a live task's exact name is that task (it always wins, whatever it looks like; where it is
  also a batch's prefix, `batch_notes` says how to name the batch);
- a batch: `sweep` stands for the tasks named `sweep_1-of-20` ... `sweep_20-of-20`, as `gen -n
  sweep` (or the Generator) names them, and `sweep_1-of-20_2`... of a later batch with the same
  prefix; the timestamp `gen` printed (`1206-101457`) works the same way;
- a glob (`'sweep_*-of-4'`, `'*_1-of-*'`: `*`, `?` and `[...]` as in the shell, quoted so the
  shell leaves it alone) matches names.

A batch or a glob expands in the listing's order (oldest first, a batch in its natural order).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase

from pyruns_tui.errors import WorkspaceError

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from pyruns_tui.workspace.store import TaskStore

_GLOB_CHARS = frozenset("*?[")


def is_pattern(word: str) -> bool:
    """Whether `word` is a glob rather than a name or a batch."""
    return not _GLOB_CHARS.isdisjoint(word)


# how a batch's task name ends after its prefix: `_2-of-4`, `_2-of-4_3` (a later batch of that prefix)
_BATCH_TAIL = r"_\d+-of-\d+(?:_\d+)?"
_ENDS_AS_BATCH = re.compile(_BATCH_TAIL + r"\Z")


def batch_prefix(name: str) -> str | None:
    """The batch a task belongs to by its name (`sweep` for sweep_2-of-4 and sweep_2-of-4_3), or
    None. A name ends in such a tail in one way only, so a name has one batch at most."""
    tail = _ENDS_AS_BATCH.search(name)
    return None if tail is None else name[:tail.start()]


def _matcher(word: str) -> Callable[[str], bool]:
    if is_pattern(word):
        return lambda name: fnmatchcase(name, word)
    batch = re.compile(re.escape(word) + _BATCH_TAIL)  # (what batch_prefix says, twice as fast over a listing)
    return lambda name: batch.fullmatch(name) is not None


def matches_in(word: str, names: Iterable[str]) -> list[str]:
    """The names of `names` that the batch or glob `word` stands for, in their order."""
    match = _matcher(word)
    return [name for name in names if match(name)]


def matching(store: TaskStore, word: str, names: Sequence[str] | None = None) -> list[str]:
    """The live tasks `word` names, in the listing's order (empty when none)."""
    if store.exists(word):
        return [word]
    found = matches_in(word, store.names() if names is None else names)
    if len(found) < 2:
        return found
    from pyruns_tui.workspace.store import listing_key

    tasks = sorted(store.get_many(found), key=listing_key)
    return [task.name for task in tasks]


def _nothing(store: TaskStore, word: str) -> WorkspaceError:
    where = f"in workspace {store.layout.name!r} (see `pyr-tui ls`)"
    if is_pattern(word):
        return WorkspaceError(f"no task matches {word!r} {where}")
    return WorkspaceError(f"no task named {word!r} {where}")


def _picked(words: Sequence[str], find: Callable[[str], list[str]], nothing: Callable[[str], Exception]) -> list[str]:
    """What each word names (`find`), in the order given, each once; the first word naming none
    raises `nothing(word)`."""
    picked: dict[str, None] = {}
    for word in words:
        found = find(word)
        if not found:
            raise nothing(word)
        picked.update(dict.fromkeys(found))
    return list(picked)


@dataclass(frozen=True)
class Named:
    """What the words a user typed name: the tasks, and a note (one line) for each word that
    named a task by its exact name while also being the prefix of a batch it left out."""

    tasks: list[str]
    notes: list[str]


def resolve(store: TaskStore, words: Sequence[str]) -> Named:
    """The tasks `words` name, in the order given, each once; a word naming none is one error
    (nothing is done to the others). Exact names cost one `stat` each: the listing is read only
    for a batch or a glob, or for the notes of an exact name that could be a batch's prefix
    (`batch_notes`), and once."""
    listing: list[str] = []

    def names() -> list[str]:
        if not listing:
            listing.extend(store.names())
        return listing

    def find(word: str) -> list[str]:
        return [word] if store.exists(word) else matching(store, word, names())

    tasks = _picked(words, find, lambda word: _nothing(store, word))
    return Named(tasks, batch_notes(words, tasks, names))


def batch_notes(words: Sequence[str], picked: Sequence[str], names: Callable[[], Sequence[str]]) -> list[str]:
    """A note for each word that named a task by its exact name (it wins over a batch) while it
    is also the prefix of a batch among `names()` whose tasks were not all `picked`, with a glob
    naming that batch: the user who meant the batch learns why one task was picked. A word that
    is itself the name of a batch's task (sweep_2-of-4) or a glob is not looked at as a prefix,
    so naming tasks as `ls --names` prints them reads no listing."""
    chosen = set(picked)
    exact = {word for word in words if word in chosen and not is_pattern(word) and batch_prefix(word) is None}
    if not exact:
        return []
    listing = names()
    starts = tuple(word + "_" for word in exact)  # a cheap look first: 100,000 names in ~10 ms
    batches: dict[str, list[str]] = {}
    for name in listing:
        if name.startswith(starts) and (prefix := batch_prefix(name)) in exact:
            batches.setdefault(prefix, []).append(name)
    notes = []
    for word in dict.fromkeys(words):
        members = batches.get(word, [])
        if chosen.issuperset(members):
            continue
        count = f"{len(members)} {'task' if len(members) == 1 else 'tasks'}"
        glob = _glob_of(word, members, listing)
        named_by = f"{glob!r} names those" if glob else "give their names"
        notes.append(f"{word!r} is a task's name, so it names that task alone, not the {count} of batch {word!r}; "
                     f"{named_by}")
    return notes


def _glob_of(word: str, members: list[str], names: Sequence[str]) -> str | None:
    """A glob that matches the batch `word`'s `members` and no other of `names` (`word` holds no
    glob character): `sweep_*-of-4` for one batch of 4, else `sweep_*-of-*`, else `sweep_*`."""
    shapes = {"_*" + name[name.rindex("-of-"):] for name in members}
    candidates = [word + shape for shape in shapes if len(shapes) == 1] + [f"{word}_*-of-*", f"{word}_*"]
    wanted = set(members)
    for glob in candidates:
        if {name for name in names if fnmatchcase(name, glob)} == wanted:
            return glob
    return None


def _trashed(store: TaskStore) -> list[str]:
    """The names of the trash (`ls --trash`), in the listing's order."""
    from pyruns_tui.workspace.store import listing_key

    return [task.name for task in sorted(store.scan_trash(), key=listing_key)]


def _in(word: str, names: list[str]) -> list[str]:
    return [word] if word in names else matches_in(word, names)


def matching_trashed(store: TaskStore, word: str) -> list[str]:
    """`matching` over the trash."""
    return _in(word, _trashed(store))


def resolve_trashed(store: TaskStore, words: Sequence[str]) -> Named:
    """`resolve` over the trash (`restore`): the trashed tasks `words` name, by their names in
    `ls --trash`, a batch or a glob in the listing's order."""
    names = _trashed(store)

    def nothing(word: str) -> WorkspaceError:
        return WorkspaceError(f"no task {'matches' if is_pattern(word) else 'named'} {word!r} in the trash "
                              "(see `pyr-tui ls --trash`)")

    tasks = _picked(words, lambda word: _in(word, names), nothing)
    return Named(tasks, batch_notes(words, tasks, lambda: names))


def resolve_one(store: TaskStore, word: str) -> str:
    """The one task `word` names: a batch or a glob of several is refused, naming a few."""
    found = matching(store, word)
    if not found:
        raise _nothing(store, word)
    if len(found) > 1:
        shown = f"{found[0]} ... {found[-1]}" if len(found) > 2 else " and ".join(found)
        raise WorkspaceError(f"{word!r} names {len(found)} tasks ({shown}); this command takes one task name")
    return found[0]
