"""A product install (`pip install .`, no extras) pulls none of the development libraries.

The closure is walked offline over the installed distributions' own metadata (the venv holds
every extra, so every requirement is resolvable here): the product's requirements without
extras, then each requirement's requirements, markers evaluated for this interpreter. The
truth is the packages' published metadata, not ours.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, distribution

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

DEVELOPMENT_ONLY = {"aiohttp", "matplotlib", "secantusdb", "pytest", "readability-lxml"}


def runtime_closure(root: str, extras: tuple[str, ...] = ()) -> dict[str, str]:
    """Every distribution an install of `root[extras]` pulls, each with who asked for it."""
    seen: dict[str, str] = {canonicalize_name(root): "(root)"}
    queue: list[tuple[str, tuple[str, ...]]] = [(root, extras)]
    walked: set[tuple[str, tuple[str, ...]]] = set()
    while queue:
        name, wanted = queue.pop()
        if (canonicalize_name(name), wanted) in walked:
            continue
        walked.add((canonicalize_name(name), wanted))
        try:
            requires = distribution(name).requires or []
        except PackageNotFoundError:
            continue  # not installed here: nothing of ours asks for it without a marker
        for line in requires:
            requirement = Requirement(line)
            marker = requirement.marker
            if marker and not any(marker.evaluate({"extra": e}) for e in ("", *wanted)):
                continue  # another extra's requirement, or a marker for another platform
            key = canonicalize_name(requirement.name)
            seen.setdefault(key, name)
            queue.append((requirement.name, tuple(sorted(requirement.extras))))
    return seen


def test_product_install_pulls_no_development_library() -> None:
    closure = runtime_closure("finews-crawler")
    assert "scrapy" in closure and "lxml" in closure  # the walk reached the real dependencies
    pulled = {name: closure[name] for name in DEVELOPMENT_ONLY if name in closure}
    assert not pulled, f"a plain install pulls development libraries (name: required by): {pulled}"


def test_walk_sees_transitive_requirements() -> None:
    """The walk is deep: Scrapy's own requirements (Twisted, parsel) are in the closure."""
    closure = runtime_closure("finews-crawler")
    assert closure.get("twisted") == "Scrapy" or closure.get("twisted") == "scrapy"
    assert "parsel" in closure


def test_development_extras_do_pull_them() -> None:
    """The same walk over the `test` extra finds aiohttp and secantusdb: the check can fail."""
    closure = runtime_closure("finews-crawler", ("test",))
    assert "secantusdb" in closure
    assert "aiohttp" in closure  # through the `mock` extra the `test` extra names
