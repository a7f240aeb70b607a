"""The consistency rules of each stage.

Each function returns one entry per rule: that rule's findings, empty when it holds. A rule
that needs an upstream artifact that was not given yields an `upstream.<stage>` finding.
The rules about names drifting between stages are in `name_rules`.
"""

from collections.abc import Mapping

from genesis_pipeline.domain.artifacts import (
    Artifact,
    Beat,
    BibleNarrative,
    Cast,
    Concept,
    PlotOutline,
    Story,
    StoryBible,
    Worldview,
)
from genesis_pipeline.domain.session import SessionSpec
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.domain.verdicts import Finding
from genesis_pipeline.gates.inputs import upstream_artifact
from genesis_pipeline.gates.name_rules import blurb_drift, story_cast_drift
from genesis_pipeline.gates.rule_findings import duplicates, missing_upstream, unknown_reference

RuleResults = list[list[Finding]]


def _repeated_themes(themes: list[str], path: str) -> list[Finding]:
    """A theme listed twice ("Mystery", "Mystery") is one theme, padded."""
    return duplicates(
        ((f"{path}[{i}]", theme) for i, theme in enumerate(themes)), "theme", fold_case=True
    )


def concept_rules(concept: Concept) -> RuleResults:
    titles = ((f"candidates[{i}].title", c.title) for i, c in enumerate(concept.candidates))
    themes = [
        finding
        for i, candidate in enumerate(concept.candidates)
        for finding in _repeated_themes(candidate.themes, f"candidates[{i}].themes")
    ]
    return [duplicates(titles, "title", fold_case=True), themes]


def story_rules(story: Story, upstream: Mapping[Stage, Artifact]) -> RuleResults:
    repeated = _repeated_themes(story.themes, "themes")
    concept = upstream_artifact(upstream, Stage.CONCEPT, Concept)
    if concept is None:
        return [missing_upstream(Stage.CONCEPT)] * 2 + [repeated]
    chosen = concept.chosen
    title: list[Finding] = []
    if story.title.strip().lower() != chosen.title.strip().lower():
        title = [
            Finding(
                field="title",
                problem=f"the story follows the selected concept: expected {chosen.title!r}, "
                f"got {story.title!r}",
            )
        ]
    concept_themes = {theme.strip().lower() for theme in chosen.themes}
    themes: list[Finding] = []
    if not any(theme.strip().lower() in concept_themes for theme in story.themes):
        themes = [
            Finding(
                field="themes",
                problem=f"share at least one theme with the selected concept: {chosen.themes}",
            )
        ]
    return [title, themes, repeated]


def worldview_rules(world: Worldview) -> RuleResults:
    faction_ids = {faction.id for faction in world.factions}
    groups: dict[str, list[tuple[str, str]]] = {
        "locations": [(place.id, place.name) for place in world.locations],
        "factions": [(faction.id, faction.name) for faction in world.factions],
        "rules": [(rule.id, rule.name) for rule in world.rules],
    }
    results: RuleResults = [
        duplicates(((f"{group}[{i}].id", ids) for i, (ids, _) in enumerate(items)), "id")
        for group, items in groups.items()
    ]
    results += [
        duplicates(
            ((f"{group}[{i}].name", name) for i, (_, name) in enumerate(groups[group])), "name"
        )
        for group in ("locations", "factions")
    ]
    results.append(
        [
            finding
            for i, place in enumerate(world.locations)
            if place.faction_id is not None
            for finding in unknown_reference(
                f"locations[{i}].faction_id", place.faction_id, faction_ids, "faction id"
            )
        ]
    )
    return results


def _references(pairs: list[tuple[str, str]], known: set[str], what: str) -> list[Finding]:
    """Findings for every (path, id) pair whose id is not in `known`."""
    return [f for path, value in pairs for f in unknown_reference(path, value, known, what)]


def characters_rules(
    cast: Cast, upstream: Mapping[Stage, Artifact], spec: SessionSpec | None = None
) -> RuleResults:
    people = list(enumerate(cast.characters))
    has_protagonist = any(person.role == "protagonist" for _, person in people)
    results: RuleResults = [
        duplicates(((f"characters[{i}].id", p.id) for i, p in people), "id"),
        duplicates(((f"characters[{i}].name", p.name) for i, p in people), "name", fold_case=True),
        [] if has_protagonist else [Finding(field="characters", problem="no protagonist")],
    ]
    world = upstream_artifact(upstream, Stage.WORLDVIEW, Worldview)
    if world is None:
        results += [missing_upstream(Stage.WORLDVIEW)] * 2
    else:
        homes = [(f"characters[{i}].home_location_id", p.home_location_id) for i, p in people]
        factions = [
            (f"characters[{i}].faction_id", p.faction_id)
            for i, p in people
            if p.faction_id is not None
        ]
        results.append(_references(homes, _location_ids(world), "worldview location id"))
        results.append(_references(factions, _faction_ids(world), "worldview faction id"))
    results.append(_relationship_findings(cast))
    story = upstream_artifact(upstream, Stage.STORY, Story)
    if story is None:
        results.append(missing_upstream(Stage.STORY))
    else:
        results.append(story_cast_drift(cast, story, world, spec))
    return results


def _relationship_findings(cast: Cast) -> list[Finding]:
    cast_ids = {person.id for person in cast.characters}
    findings: list[Finding] = []
    for i, person in enumerate(cast.characters):
        for r, link in enumerate(person.relationships):
            path = f"characters[{i}].relationships[{r}].character_id"
            if link.character_id == person.id:
                findings.append(Finding(field=path, problem="points to the character itself"))
            else:
                findings += unknown_reference(path, link.character_id, cast_ids, "cast member id")
    return findings


def _location_ids(world: Worldview) -> set[str]:
    return {place.id for place in world.locations}


def _faction_ids(world: Worldview) -> set[str]:
    return {faction.id for faction in world.factions}


def _beats_with_paths(plot: PlotOutline) -> list[tuple[str, Beat]]:
    return [
        (f"acts[{a}].chapters[{c}].beats[{b}]", beat)
        for a, act in enumerate(plot.acts)
        for c, chapter in enumerate(act.chapters)
        for b, beat in enumerate(chapter.beats)
    ]


def plot_rules(plot: PlotOutline, upstream: Mapping[Stage, Artifact]) -> RuleResults:
    beats = _beats_with_paths(plot)
    results: RuleResults = [duplicates(((f"{p}.id", beat.id) for p, beat in beats), "beat id")]
    cast = upstream_artifact(upstream, Stage.CHARACTERS, Cast)
    if cast is None:
        results += [missing_upstream(Stage.CHARACTERS)] * 2
    else:
        cast_ids = {person.id for person in cast.characters}
        present = [
            (f"{path}.character_ids[{k}]", character_id)
            for path, beat in beats
            for k, character_id in enumerate(beat.character_ids)
        ]
        results.append(_references(present, cast_ids, "cast member id"))
        appearing = {character_id for _, character_id in present}
        results.append(
            [
                Finding(
                    field="acts[*].chapters[*].beats[*].character_ids",
                    problem=f"main character {person.id!r} ({person.name}, {person.role}) "
                    "appears in no beat",
                )
                for person in cast.characters
                if person.is_main and person.id not in appearing
            ]
        )
    world = upstream_artifact(upstream, Stage.WORLDVIEW, Worldview)
    if world is None:
        results.append(missing_upstream(Stage.WORLDVIEW))
    else:
        places = [(f"{path}.location_id", beat.location_id) for path, beat in beats]
        results.append(_references(places, _location_ids(world), "worldview location id"))
    return results


def _version_findings(actual: Mapping[Stage, int], expected: Mapping[Stage, int]) -> list[Finding]:
    findings: list[Finding] = []
    for stage in sorted(set(expected) | set(actual), key=list(Stage).index):
        path = f"versions.{stage.value}"
        if stage not in actual:
            problem = f"missing; the passed version is {expected[stage]}"
        elif stage not in expected:
            problem = f"version {actual[stage]} has not passed its gates"
        elif actual[stage] != expected[stage]:
            problem = f"version {actual[stage]}, but the passed version is {expected[stage]}"
        else:
            continue
        findings.append(Finding(field=path, problem=problem))
    return findings


def bible_rules(
    bible: BibleNarrative,
    upstream: Mapping[Stage, Artifact],
    passed_versions: Mapping[Stage, int],
    spec: SessionSpec | None = None,
) -> RuleResults:
    # The bible records the stages it was assembled from; it never lists itself.
    expected: dict[Stage, int] = {
        s: v for s, v in passed_versions.items() if s is not Stage.STORY_BIBLE
    }
    # A bare narrative (versions not yet filled in) holds no versions at all.
    actual: Mapping[Stage, int] = bible.versions if isinstance(bible, StoryBible) else {}
    versions = _version_findings(actual, expected)
    drift = blurb_drift(bible, upstream, spec)
    story = upstream_artifact(upstream, Stage.STORY, Story)
    if story is None:
        return [versions, missing_upstream(Stage.STORY), drift]
    title: list[Finding] = []
    if bible.title.strip().lower() != story.title.strip().lower():
        problem = f"expected the story title {story.title!r}, got {bible.title!r}"
        title = [Finding(field="title", problem=problem)]
    return [versions, title, drift]
