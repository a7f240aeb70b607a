"""Lexicons of the genres set in a recognisable world: mystery, romance, thriller, literary."""

from genesis_pipeline.generation.offline.lexicon import GenreLexicon, phrases, words

REALIST_GENRES: dict[str, GenreLexicon] = {
    "mystery": GenreLexicon(
        label="mystery",
        cues=words(
            "murder detective investigat clue disappear missing inspector body kill "
            "corpse suspect crime police sleuth whodunit death poison"
        ),
        name_style="plain",
        tones=phrases(
            "dry and observant; cosy with a sharp edge; melancholy and precise; "
            "wry and procedural; quietly menacing"
        ),
        themes=phrases(
            "truth and its cost; small-town secrets; guilt and atonement; "
            "justice versus the law; the masks people wear; old debts; "
            "what families hide"
        ),
        place_kinds=words("Inn Quay Library Vicarage Manor Chapel Market Row Mill Lane Pier"),
        adjectives=words("Old Grey Crooked Quiet Marsh North Saint Lantern"),
        groups=words("Society Club Constabulary Trust Chamber Lodge Committee"),
        rule_kinds=words("Custom Code Alibi Silence Curfew Pact"),
        title_nouns=words("Ledger Alibi Lantern Witness Verdict Key Inquest Clue Confession"),
        objects=phrases(
            "an unsigned confession; a pocket watch stopped at midnight; "
            "a missing page of a parish register; a key to a room that is not "
            "on the plans; a photograph with one face scratched out; "
            "a ledger of quiet payments"
        ),
        threats=phrases(
            "a second killing; a town election; a closing inquest; "
            "a storm that cuts off the village; a scandal that would ruin the "
            "family; a witness about to leave for good"
        ),
        archetypes=phrases(
            "a retired inspector; an archivist with a perfect memory; "
            "a pub landlady; a junior constable; a true-crime podcaster; "
            "an insurance investigator"
        ),
        wants=phrases(
            "find out who really died that night; clear a brother's name; "
            "prove the drowning was no accident; recover the missing register; "
            "close the case before the inquest; learn why the letters stopped"
        ),
        flaws=phrases(
            "will never leave a lie alone; drinks to quiet old cases; "
            "suspects everyone but family; needs to be the cleverest in the room; "
            "keeps evidence back from everyone; is ruled by an old grudge"
        ),
    ),
    "romance": GenreLexicon(
        label="romance",
        cues=words(
            "love lover marri wedding heart romance romantic kiss bride groom dating "
            "boyfriend girlfriend crush engaged husband flirt"
        ),
        name_style="plain",
        tones=phrases(
            "warm and witty; bittersweet and tender; sparkling and quick; "
            "slow-burning and lush; rueful and hopeful"
        ),
        themes=phrases(
            "second chances; home and belonging; trust after hurt; "
            "choosing yourself; family expectations; love across lines; "
            "the courage to be seen"
        ),
        place_kinds=words(
            "Bakery Vineyard Bookshop Ballroom Cottage Cafe Garden Gallery Orchard Boardwalk"
        ),
        adjectives=words("Rosemary Sunday Little Golden Juniper Bluebell Honey Willow Coral"),
        groups=words("Society Committee Club Family Guild Association Ensemble"),
        rule_kinds=words("Promise Tradition Wager Contract Pact Vow"),
        title_nouns=words("Summer Promise Heart Honey Season Letter Vow Orchard Recipe"),
        objects=phrases(
            "a wedding invitation sent by mistake; a recipe book with a stranger's "
            "notes; a fake-engagement contract; a shared inheritance; "
            "a letter never posted; a lease on the same shop"
        ),
        threats=phrases(
            "a rival buying out the town; a wedding in three weeks; "
            "a job offer across the ocean; a family feud; a secret engagement; "
            "the end of summer"
        ),
        archetypes=phrases(
            "a burned-out chef; a wedding planner who hates weddings; "
            "a small-town vet; a celebrity ghostwriter; a widowed florist; "
            "a stubborn architect"
        ),
        wants=phrases(
            "save the family bakery; win the regional competition; "
            "stop a sister's wedding; keep the shop without losing heart; "
            "prove that coming home was right; say what should have been said years ago"
        ),
        flaws=phrases(
            "runs before anyone can leave first; jokes instead of feeling; "
            "plans every moment to stay safe; refuses every offer of help; "
            "assumes the worst of the one who stays; promises more than anyone could keep"
        ),
    ),
    "thriller": GenreLexicon(
        label="thriller",
        cues=words(
            "spy agent conspira assassin heist chase hostage bomb cartel hacker "
            "espionage terror fugitive kidnap smuggl undercover sniper"
        ),
        name_style="plain",
        tones=phrases(
            "taut and relentless; paranoid and sleek; cold and clipped; "
            "breathless and grim; slick and morally grey"
        ),
        themes=phrases(
            "trust nobody; the price of loyalty; power and surveillance; complicity; "
            "the lie that protects; survival at any cost; justice outside the law"
        ),
        place_kinds=words(
            "Terminal Embassy Tower Dock Safehouse Bunker Exchange Tunnel Hotel Depot"
        ),
        adjectives=words("Black Iron North Glass Red Central Silent West Steel"),
        groups=words("Agency Cartel Syndicate Bureau Network Cell Firm"),
        rule_kinds=words("Protocol Code Clause Leverage Treaty Mandate"),
        title_nouns=words("Protocol Cipher Asset Burn Leverage Zero Ghost Signal Handler"),
        objects=phrases(
            "a drive of stolen kill orders; a witness list; a launch code; "
            "a burned agent's notebook; a forged passport with the wrong face; "
            "a recording that could topple a minister"
        ),
        threats=phrases(
            "a bombing set for Friday; a mole inside the agency; "
            "a market crash engineered overnight; a kidnapping; "
            "an assassination at the summit; a leak that will burn every asset"
        ),
        archetypes=phrases(
            "a burned agent; a forensic accountant; a hostage negotiator; "
            "a hacker on parole; a disgraced journalist; "
            "a private security contractor"
        ),
        wants=phrases(
            "get the drive to the one honest prosecutor; clear a stolen name before the "
            "manhunt closes; find the mole; get a daughter out alive; "
            "stop the summit attack; expose the firm that built the lie"
        ),
        flaws=phrases(
            "trusts no one, even those who earned it; needs to win more than to be "
            "right; is addicted to the adrenaline; keeps one lie too many; "
            "believes the ends excuse anything; never walks away from a fight"
        ),
    ),
    "literary": GenreLexicon(
        label="literary fiction",
        cues=words(
            "family grief memory mother father childhood daughter sister brother "
            "widow funeral aging inherit farm village"
        ),
        name_style="plain",
        tones=phrases(
            "quiet and luminous; elegiac and precise; tender and unsentimental; "
            "wry and melancholy; spare and aching"
        ),
        themes=phrases(
            "grief and renewal; memory and forgetting; class and belonging; "
            "the burden of family; the passing of a place; forgiveness; "
            "ordinary courage"
        ),
        place_kinds=words("Street Farm Station School Parish Estate Shore Factory Terrace Valley"),
        adjectives=words("Long North Upper Saint Lower Willow Church Quarry"),
        groups=words("Union Family Congregation Cooperative Council Choir Association"),
        rule_kinds=words("Custom Tradition Silence Inheritance Habit Promise"),
        title_nouns=words("River Summer Inheritance Light Season Silence Orchard House"),
        objects=phrases(
            "a father's unfinished letter; a house everybody wants to sell; "
            "a box of tapes from 1987; a piano nobody plays; "
            "a plot of land on the river; a diary in a language nobody can read"
        ),
        threats=phrases(
            "the closing of the factory; a mother's diagnosis; "
            "a flood that takes the lower town; the sale of the family farm; "
            "a wedding that reopens old wounds; the last summer before the move"
        ),
        archetypes=phrases(
            "a translator returning home; a retired schoolteacher; "
            "a ferry captain's widow; a son who never left; "
            "a hospice volunteer; a piano tuner"
        ),
        wants=phrases(
            "keep the family farm; finish a dead father's translation; "
            "reconcile with an estranged sister; learn why a mother left; "
            "save the choir from closing; say goodbye properly this time"
        ),
        flaws=phrases(
            "confuses silence with kindness; will not forgive a younger self; "
            "keeps everyone at a polite distance; lives in the past; "
            "says yes to everything but what matters; measures love in sacrifices"
        ),
    ),
}
