"""The cast and plot outline of the sample set (see `samples`), kept as tables.

Apart from `samples` only because the rows would push one module past 300 lines.
"""

from genesis_pipeline.domain.artifacts import (
    Act,
    Beat,
    Cast,
    Chapter,
    Character,
    PlotOutline,
    Relationship,
)

# (id, name, role, home location, faction, goal, flaw, arc)
_CAST = [
    ("ada_venn", "Ada Venn", "protagonist", "gull_point_light", None,
     "Bring the lost crews of 1791 home before Saltmere drowns.",
     "Ada trusts the lamp more than people and keeps her discoveries to herself.",
     "From a solitary keeper at Gull Point Light to the voice of the whole harbor."),
    ("corin_hale", "Corin Hale", "antagonist", "lower_harbor", "harbor_guild",
     "Keep the Harbor Guild solvent and its 1791 crime out of every ledger.",
     "He believes any debt to the sea can be settled with Guild coin and silence.",
     "From master of the guild to the man who finally opens the Lower Harbor ledgers."),
    ("maren_holt", "Maren Holt", "mentor", "drowned_chapel", "tide_wardens",
     "Read the names of the drowned aloud at the Drowned Chapel every spring tide.",
     "Maren speaks only in riddles taken from the Tide Wardens' registers.",
     "From a keeper of names to a guide who walks Ada Venn to the water's edge."),
    ("tomas_reed", "Tomas Reed", "ally", "lower_harbor", None,
     "Protect Ada Venn and keep his ferry running across the flooded harbor.",
     "Tomas avoids every quarrel, even the ones Saltmere needs him to join.",
     "He grows from a ferryman who looks away into the pilot who steers the 1791 brig in."),
]  # fmt: skip
# character id -> (other character id, kind, description)
_RELATIONSHIPS = {
    "ada_venn": [
        ("corin_hale", "adversary",
         "Ada and Corin Hale grew up on one quay and now stand on opposite sides of the lamp."),
        ("maren_holt", "mentor",
         "Maren Holt taught Ada to read the tides and the Drowned Chapel registers."),
    ],
}  # fmt: skip


def characters() -> Cast:
    return Cast(
        characters=[
            Character.model_validate(
                {
                    "id": id_,
                    "name": name,
                    "role": role,
                    "home_location_id": home,
                    "faction_id": faction,
                    "goal": goal,
                    "flaw": flaw,
                    "arc": arc,
                    "relationships": [
                        Relationship(character_id=other, kind=kind, description=text)
                        for other, kind, text in _RELATIONSHIPS.get(id_, [])
                    ],
                }
            )
            for id_, name, role, home, faction, goal, flaw, arc in _CAST
        ]
    )


# (act title, act summary, chapters); chapter = (title, summary, beats);
# beat = (id, summary, character ids, location id).
_OUTLINE = [
    ("The Signal", "Ada Venn sees the lamp turn green and learns what it is calling.", [
        ("Storm Night", "A storm floods Saltmere and the lamp answers a brig.", [
            ("b01", "Ada Venn trims the wick as the storm breaks over Gull Point.",
             ["ada_venn"], "gull_point_light"),
            ("b02", "The lamp burns green and a brig from 1791 signals back to Ada.",
             ["ada_venn"], "gull_point_light"),
        ]),
        ("The Ferry", "Tomas Reed carries Ada across the flooded Lower Harbor.", [
            ("b03", "Tomas Reed ferries Ada Venn past the drowned warehouses.",
             ["tomas_reed", "ada_venn"], "lower_harbor"),
            ("b04", "Corin Hale warns Ada to keep the lamp dark on spring tides.",
             ["corin_hale", "ada_venn"], "lower_harbor"),
        ]),
    ]),
    ("The Ledger", "Ada digs into the Harbor Guild's past while Corin Hale closes ranks.", [
        ("Names in Water", "Maren Holt shows Ada the Drowned Chapel registers.", [
            ("b05", "Maren Holt reads the 1791 crew names aloud to Ada Venn.",
             ["maren_holt", "ada_venn"], "drowned_chapel"),
            ("b06", "Ada finds her own great-grandfather listed as a Harbor Guild clerk.",
             ["ada_venn"], "drowned_chapel"),
        ]),
        ("The Guild Hall", "Ada steals the guild ledger from Corin Hale's office.", [
            ("b07", "Tomas Reed keeps watch while Ada Venn breaks into the guild hall.",
             ["tomas_reed", "ada_venn"], "lower_harbor"),
            ("b08", "Corin Hale catches Ada with the ledger and offers her a bribe.",
             ["corin_hale", "ada_venn"], "lower_harbor"),
        ]),
    ]),
    ("Homecoming", "On the spring tide Ada Venn lights the lamp and the drowned come home.", [
        ("Spring Tide", "The Harbor Guild tries to smash the lamp at Gull Point.", [
            ("b09", "Corin Hale leads guildsmen up the lighthouse stair at midnight.",
             ["corin_hale"], "gull_point_light"),
            ("b10", "Ada Venn holds the lamp room door while Maren Holt chants the names.",
             ["ada_venn", "maren_holt"], "gull_point_light"),
        ]),
        ("Ashore", "The ghost brig lands and Saltmere pays what it owes.", [
            ("b11", "Tomas Reed pilots the 1791 brig into the Lower Harbor.",
             ["tomas_reed"], "lower_harbor"),
            ("b12", "Corin Hale opens the ledger before the drowned crew and Ada Venn.",
             ["corin_hale", "ada_venn"], "lower_harbor"),
        ]),
    ]),
]  # fmt: skip


def plot_outline() -> PlotOutline:
    """Three acts of two chapters of two beats; every main character appears in a beat."""
    acts = []
    chapter_number = 0
    for act_number, (act_title, act_summary, chapter_rows) in enumerate(_OUTLINE, start=1):
        chapters = []
        for title, summary, beat_rows in chapter_rows:
            chapter_number += 1
            beats = [
                Beat(id=id_, summary=text, character_ids=list(who), location_id=where)
                for id_, text, who, where in beat_rows
            ]
            chapters.append(
                Chapter(number=chapter_number, title=title, summary=summary, beats=beats)
            )
        acts.append(Act(number=act_number, title=act_title, summary=act_summary, chapters=chapters))
    return PlotOutline(acts=acts)
