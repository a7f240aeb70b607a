"""Sentence templates of the plot outline, one set per act.

Beat templates put the characters after the verb, so that one name or three read the same.
"""

BEATS: tuple[tuple[str, ...], ...] = (
    (
        "A rumour about the {kw} finds {who} at {place}.",
        "At {place}, the first sign of {threat} catches {who} off guard.",
        "An argument over the {kw} at {place} leaves {who} with a choice to make.",
        "The discovery of {object} at {place} pulls {who} into the story of the {kw}.",
        "A stranger at {place} asks {who} about the {kw}, and the question will not go away.",
        "Word of the {kw} brings {who} to {place} for the first time in years.",
        "An old debt tied to the {kw} is called in at {place}, and the bill goes to {who}.",
    ),
    (
        "At {place}, a deal over the {kw} goes wrong and costs {who} an ally.",
        "A trap at {place} separates {who} from everything familiar.",
        "The truth about {object} surfaces at {place}, and it divides {who}.",
        "A chase through {place} puts the {kw} within reach of {who} and then snatches it away.",
        "At {place}, an old promise about the {kw} comes due for {who}.",
        "Betrayal at {place} forces {who} to bargain with the people behind the {kw}.",
        "A night at {place} shows {who} how far {threat} has already spread.",
    ),
    (
        "Everything converges on {place}, where the struggle over the {kw} finally tests {who}.",
        "At {place}, a last confession about the {kw} changes what is asked of {who}.",
        "The final stand at {place} asks {who} to give up the thing wanted most.",
        "{threat} breaks over {place}, and only {who} can still turn the {kw} aside.",
        "In the quiet after the storm at {place}, the cost of the {kw} settles on {who}.",
        "A choice at {place} decides what the {kw} will mean for {who}.",
        "Dawn at {place} finds {who} counting the full cost of the {kw}.",
    ),
)
CAMEO = (
    "{name} is there too, watching what happens to the {kw}.",
    "{name} turns up unexpectedly, with news about the {kw}.",
    "{name} steps in at the worst moment, with a stake in the {kw}.",
    "{name} quietly takes a side over the {kw}.",
)
CHAPTER_TITLES = (
    "The {Kw}",
    "{place}",
    "Night at {place}",
    "The {noun}",
    "Leaving {place}",
    "What the {Kw} Wants",
    "A {noun} in {place}",
)
CHAPTER_SUMMARIES = (
    "Chapter {number} follows {hero} from {start} to {end} as the trouble over the {kw} closes in.",
    "In chapter {number}, {hero} trades the safety of {start} for answers in {end}, and talk "
    "of the {kw} follows.",
    "Chapter {number} moves between {start} and {end}, tightening the knot of the {kw} around "
    "{hero}.",
    "By the end of chapter {number}, {hero} has left {start} behind, and {end} holds the next "
    "piece of the {kw}.",
)
ACT_TITLES = (
    ("Beginnings", "The Call", "First Light"),
    ("The Turn", "Deep Water", "Complications"),
    ("Reckoning", "The Last Door", "Aftermath"),
)
ACT_SUMMARIES = (
    (
        "The first act sets {hero} in {place}, shows the price of the {kw}, and ends when "
        "{villain} "
        "makes it personal.",
        "Act one introduces {hero}, {place} and the quiet rule of the {kw}, until {villain} makes "
        "ignoring it impossible.",
    ),
    (
        "The second act drives {hero} away from {place} and into the open conflict with {villain} "
        "over the {kw}.",
        "Act two turns the search for the {kw} into a war of nerves between {hero} and {villain}.",
    ),
    (
        "The third act brings {hero} back to {place} to face {villain} and settle the {kw} for "
        "good.",
        "Act three pays off every promise: {hero} and {villain} meet over the {kw}, and {place} "
        "lives with the result.",
    ),
)
