"""Policies that do not learn: a fixed assignment (``StaticPolicy``) and a uniformly random
choice per site execution (``RandomPolicy``).

Specs (``policy_from_spec`` / ``fmpc run --policy``)::

    static:smallest          every site uses its first (cheapest) backend
    static:largest           every site uses its last (most expensive) backend
    static:det-l,cls-s       each site uses the first of these names it offers
    static:0=det-l,2=cls-s   per site id (a name or an index); other sites: an error
    random                   uniform per (input, site, execution), seed from --seed (else 0)
    random:7                 the same with seed 7
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Mapping
from typing import Any

from fmpc.policies.base import BasePolicy, PolicyError, register_policy
from fmpc.runtime.policy import EXECUTION, Episode, SiteInfo

SMALLEST = "smallest"
LARGEST = "largest"

Assignment = str | tuple[str, ...] | Mapping[int, int | str]
"""``"smallest"``, ``"largest"``, a backend name, names in order of preference, or per-site
choices (an index or a backend name for each site id)."""


class _FixedEpisode(Episode):
    """Decisions made up front: a table of site -> backend index."""

    def __init__(self, choices: Mapping[int, int]) -> None:
        self._choices = choices

    def decide(self, site: int, features: Mapping[str, float]) -> int:
        return self._choices[site]


class StaticPolicy(BasePolicy):
    """The same backend at a site for every input; see ``Assignment``.

    Backend names must be offered by the sites they apply to: ``bind`` (called by the executor)
    raises ``PolicyError`` naming the site and its choices otherwise. ``default`` (``smallest``,
    ``largest`` or ``None``) covers sites a per-site mapping leaves out.
    """

    def __init__(self, assignment: Assignment, *, default: str | None = None) -> None:
        if default not in (None, SMALLEST, LARGEST):
            raise PolicyError(f"default must be 'smallest', 'largest' or None, got {default!r}")
        if isinstance(assignment, str) and not assignment.strip():
            raise PolicyError("a static assignment needs a backend name, 'smallest' or 'largest'")
        self.assignment: Assignment = (
            dict(assignment) if isinstance(assignment, Mapping) else assignment
        )
        self.default = default
        self._resolved: tuple[Mapping[int, SiteInfo], Mapping[int, int]] | None = None

    @property
    def name(self) -> str:
        """``static:<assignment>``."""
        a = self.assignment
        if isinstance(a, Mapping):
            return "static:" + ",".join(f"{site}={choice}" for site, choice in sorted(a.items()))
        return "static:" + (a if isinstance(a, str) else ",".join(a))

    def bind(self, sites: Mapping[int, SiteInfo]) -> None:
        """Resolve the assignment on ``sites``; ``PolicyError`` when it does not fit."""
        self._choices(sites)

    def start(self, input_id: str, image: Any, sites: Mapping[int, SiteInfo]) -> Episode:
        """The fixed choices."""
        return _FixedEpisode(self._choices(sites))

    def _choices(self, sites: Mapping[int, SiteInfo]) -> Mapping[int, int]:
        resolved = self._resolved
        if resolved is not None and resolved[0] is sites:
            return resolved[1]
        choices = {site: self._choose(info) for site, info in sites.items()}
        self._resolved = (sites, choices)
        return choices

    def _choose(self, info: SiteInfo) -> int:
        a = self.assignment
        if isinstance(a, Mapping):
            return self._choose_mapped(info, a)
        if a == SMALLEST:
            return 0
        if a == LARGEST:
            return len(info.backends) - 1
        names = (a,) if isinstance(a, str) else a
        for name in names:
            if name in info.backends:
                return info.backends.index(name)
        raise PolicyError(
            f"static policy: site {info.site} ({info.fn}) offers none of {', '.join(names)} "
            f"(its backends: {', '.join(info.backends)})"
        )

    def _choose_mapped(self, info: SiteInfo, mapping: Mapping[int, int | str]) -> int:
        choice = mapping.get(info.site)
        if choice is None:
            if self.default is None:
                raise PolicyError(
                    f"static policy: no backend given for site {info.site} ({info.fn})"
                )
            return 0 if self.default == SMALLEST else len(info.backends) - 1
        if isinstance(choice, str):
            try:
                return info.index(choice)
            except KeyError as exc:
                raise PolicyError(f"static policy: {exc.args[0]}") from None
        if not 0 <= choice < len(info.backends):
            raise PolicyError(
                f"static policy: site {info.site} ({info.fn}) has {len(info.backends)} backends, "
                f"no index {choice}"
            )
        return choice


class _RandomEpisode(Episode):
    def __init__(self, seed: int, input_id: str, sites: Mapping[int, SiteInfo]) -> None:
        self._prefix = struct.pack("<q", seed) + input_id.encode("utf-8") + b"\0"
        self._sites = sites

    def decide(self, site: int, features: Mapping[str, float]) -> int:
        execution = int(features.get(EXECUTION, 0))
        digest = hashlib.blake2b(self._prefix + struct.pack("<qq", site, execution), digest_size=8)
        return int.from_bytes(digest.digest(), "little") % len(self._sites[site].backends)


class RandomPolicy(BasePolicy):
    """A uniformly random backend per site execution, a pure function of ``(seed, input id,
    site, execution)``: the same input gets the same choices in any order, window or thread."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = int(seed)

    @property
    def name(self) -> str:
        """``random(seed=S)``."""
        return f"random(seed={self.seed})"

    def start(self, input_id: str, image: Any, sites: Mapping[int, SiteInfo]) -> Episode:
        """An episode drawing each choice from the hash of the input id, site and execution."""
        return _RandomEpisode(self.seed, input_id, sites)

    def state(self) -> Any:
        """``{"seed": seed}``."""
        return {"seed": self.seed}

    def restore(self, state: Any) -> None:
        """Take the seed of ``state``."""
        if not isinstance(state, Mapping) or "seed" not in state:
            raise PolicyError(f"random policy: expected a state {{'seed': int}}, got {state!r}")
        self.seed = int(state["seed"])


# ---------------------------------------------------------------- specs


@register_policy(
    "static", usage="static:smallest|largest|<backend>[,<backend>...]|<site>=<backend>,..."
)
def static_from_spec(argument: str | None, options: Mapping[str, Any]) -> StaticPolicy:
    """``static:ARGUMENT`` (see the module docstring)."""
    if not argument or not argument.strip():
        raise PolicyError(
            "static needs an assignment: static:smallest, static:largest or static:<backend>"
        )
    items = [item.strip() for item in argument.split(",")]
    if any(not item for item in items):
        raise PolicyError(f"static:{argument}: empty item in the list")
    if len(items) == 1 and "=" not in items[0]:
        return StaticPolicy(items[0])
    if all("=" not in item for item in items):
        return StaticPolicy(tuple(items))
    return StaticPolicy(_site_mapping(argument, items))


def _site_mapping(argument: str, items: list[str]) -> dict[int, int | str]:
    mapping: dict[int, int | str] = {}
    for item in items:
        site, sep, choice = (part.strip() for part in item.partition("="))
        if not sep or not site.isdigit() or not choice:
            raise PolicyError(f"static:{argument}: expected SITE=BACKEND items, got {item!r}")
        mapping[int(site)] = int(choice) if choice.isdigit() else choice
    return mapping


@register_policy("random", usage="random[:SEED]")
def random_from_spec(argument: str | None, options: Mapping[str, Any]) -> RandomPolicy:
    """``random`` (seed from the ``seed`` option, else 0) or ``random:SEED``."""
    if argument is None:
        return RandomPolicy(int(options.get("seed") or 0))
    try:
        return RandomPolicy(int(argument))
    except ValueError:
        raise PolicyError(f"random:{argument}: the seed must be an integer") from None
