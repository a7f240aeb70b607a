"""Lexicons of the genres set in invented worlds: fantasy, science fiction and horror."""

from genesis_pipeline.generation.offline.lexicon import GenreLexicon, phrases, words

SPECULATIVE_GENRES: dict[str, GenreLexicon] = {
    "fantasy": GenreLexicon(
        label="fantasy",
        cues=words(
            "dragon magic guild wizard witch kingdom sword spell sorcer elf elven curse "
            "prophec throne quest knight realm fae rune enchant"
        ),
        name_style="old",
        tones=phrases(
            "brooding and lyrical; wry and adventurous; mythic and grave; "
            "hopeful but bruised; lush and ominous"
        ),
        themes=phrases(
            "loyalty and betrayal; the price of power; inheritance; faith and doubt; "
            "exile and belonging; memory as a weapon; the cost of oaths"
        ),
        place_kinds=words("Harbor Keep Abbey Fen Citadel Market Tower Crossing Wood Vault"),
        adjectives=words("Ashen Hollow Gilded Thorned Silver Drowned Winter Broken Ember"),
        groups=words("Guild Order Circle Court Brotherhood Covenant Wardens Conclave"),
        rule_kinds=words("Oath Tithe Ward Binding Debt Price Covenant"),
        title_nouns=words("Crown Tide Oath Ember Ledger Thorn Bell Throne Ash Key"),
        objects=phrases(
            "a stolen crown; a map inked in blood; the last seed of a dead forest; "
            "a bell that rings for the dying; a ledger of true names; "
            "a cracked oathstone"
        ),
        threats=phrases(
            "a winter that will not end; a succession war; a plague of silence; "
            "the return of a drowned king; a famine of magic; a hunting host"
        ),
        archetypes=phrases(
            "a disgraced knight; a hedge witch; an apprentice cartographer; "
            "an exiled princess; a grave-singer; a smuggler-priest"
        ),
        wants=phrases(
            "win back a forfeited name; break an inherited curse; "
            "bring a lost sibling home; keep a sworn promise; find the true heir; "
            "close a door that should never have opened"
        ),
        flaws=phrases(
            "mistakes stubbornness for honour; never forgives a single betrayal; "
            "hoards secrets like coin; believes every debt is paid in blood; "
            "is too proud to ask for help; trusts prophecy more than people"
        ),
    ),
    "science fiction": GenreLexicon(
        label="science fiction",
        cues=words(
            "space ship starship planet robot android colony star alien future galax "
            "orbit station clone cyborg cyber mars asteroid interstellar"
        ),
        name_style="clipped",
        tones=phrases(
            "cool and cerebral; tense and claustrophobic; wondering and melancholy; "
            "sardonic and fast; vast and quiet"
        ),
        themes=phrases(
            "what makes a person; the ethics of survival; memory and identity; "
            "contact and translation; freedom versus safety; "
            "the loneliness of distance; progress and its casualties"
        ),
        place_kinds=words("Station Colony Array Deck Dome Spire Yard Relay Outpost Foundry"),
        adjectives=words("Cold Far Silent Orbital Red Deep Null Bright Lower"),
        groups=words("Syndicate Directorate Collective Union Authority Consortium Corps"),
        rule_kinds=words("Protocol Quota Limit Charter Lag Mandate Clause"),
        title_nouns=words("Signal Orbit Drift Array Horizon Echo Vector Relay Static Meridian"),
        objects=phrases(
            "a corrupted flight log; an alien signal nobody can decode; "
            "a stolen mind-backup; the key to the colony's seed vault; "
            "a prototype drive core; a memory chip with a dead captain's orders"
        ),
        threats=phrases(
            "a failing life-support grid; a corporate quarantine; "
            "a first-contact panic; a mutiny in the lower decks; a solar storm; "
            "a ship mind that has stopped answering"
        ),
        archetypes=phrases(
            "a salvage pilot; a disgraced xenolinguist; a station medic; "
            "a clone who remembers too much; a debt-bound engineer; "
            "a retired war navigator"
        ),
        wants=phrases(
            "get the crew home alive; prove the signal is real; "
            "buy back a stolen identity; expose the company's lie; "
            "reach the relay before it goes dark; keep the colony from splitting"
        ),
        flaws=phrases(
            "trusts machines more than people; hides behind procedure; "
            "will not let go of a dead crew; lies whenever the truth is inconvenient; "
            "takes every risk alone; confuses control with safety"
        ),
    ),
    "horror": GenreLexicon(
        label="horror",
        cues=words(
            "haunt ghost demon monster blood nightmare dead corpse possess zombie "
            "vampire creature evil occult ritual graveyard scream"
        ),
        name_style="archaic",
        tones=phrases(
            "dread-soaked and intimate; cold and creeping; feverish and grotesque; "
            "quiet and wrong; gothic and mournful"
        ),
        themes=phrases(
            "grief that will not rest; inherited guilt; the body betrayed; "
            "isolation; the hunger of places; faith and its absence; what we bury"
        ),
        place_kinds=words(
            "House Chapel Asylum Mill Cellar Marsh Orchard Well Crossroads Sanatorium"
        ),
        adjectives=words("Hollow Black Weeping Silent Crooked Cold Bleak Rotten Pale"),
        groups=words("Congregation Family Order Society Brotherhood Coven Lodge"),
        rule_kinds=words("Covenant Offering Curse Binding Tithe Hunger"),
        title_nouns=words("Hollow Hymn Cellar Hunger Bones Mourning Well Offering Night"),
        objects=phrases(
            "a child's drawing that keeps changing; a locked hymnal; "
            "a mirror wrapped in funeral cloth; a jar of teeth; "
            "a tape recording of a séance; a door painted over many times"
        ),
        threats=phrases(
            "a haunting that spreads to the neighbours; the thirteenth night; "
            "a possession; the drowning season; the thing under the floor waking; "
            "a town that forgets its dead"
        ),
        archetypes=phrases(
            "a grieving widow; a hospice nurse; a paranormal debunker; "
            "a new parish priest; a teenage caretaker; an estate clearer"
        ),
        wants=phrases(
            "sell the house before winter; find the missing sister; "
            "prove the voices are only grief; keep the children safe; "
            "end the family curse; learn what happened in the cellar"
        ),
        flaws=phrases(
            "refuses to believe what is plainly there; drinks to sleep through the noises; "
            "takes the blame for every death; keeps the family secrets even now; "
            "is too curious to leave; bargains when running is the only sane choice"
        ),
    ),
}
