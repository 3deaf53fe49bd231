"""Phrase banks for the demo corpus: the text side of its quality signal.

Every response is a run of sentences; each sentence is "good" (concrete, specific, well
formed: numbers, names, causes) or "bad" (vague filler, rudeness, garbled repetition,
off-topic chatter) with a probability set by the response's latent quality. The markers
are the SAME in every subreddit (capitalised specifics versus "idk", "kinda", "stuff",
"lol", repeated words) while the content is each subreddit's own, so a reward model that
learns the markers on AskCulinary can carry them to WritingPrompts stories.
Changing any bank changes the corpus: bump ``GENERATOR_VERSION`` in ``demo.py``.
"""

from __future__ import annotations

import random

NAMES = ("Mara", "Tomas", "Ilse", "Dev", "Priya", "Oskar", "Lena", "Abe", "Noor", "Quinn", "Ruth", "Santi",
         "Yara", "Felix", "Hana", "Corin", "Bea", "Idris", "June", "Milo")
PLACES = ("the lighthouse", "the salt mine", "the night market", "the orbital station", "the flooded library",
          "the border checkpoint", "the last bakery in town", "the glacier camp", "the courthouse basement",
          "the tram depot")
OBJECTS = ("a brass key", "a cracked pocket watch", "a ledger with 40 torn pages", "a tin of matches",
           "a violin with three strings", "a map drawn on sailcloth", "a jar of river stones", "a radio tuned to 91.4")

SUBJECTS = {
    "AskAcademia": dict(
        topics=("tenure review", "grant proposal", "peer review", "teaching load", "postdoc contract",
                "journal submission", "conference talk", "hiring committee", "syllabus", "research statement"),
        questions=("How do I handle a {topic} that is going badly?", "Is it normal for a {topic} to take this long?",
                   "What should I prioritize: the {topic} or the {topic2}?", "Advice on my first {topic}?"),
        good=("In my department the {topic} takes about {n} weeks, so start the {topic2} before you hear back.",
              "Email the chair by {weekday} and ask for the {topic} criteria in writing, because verbal promises change.",
              "When I sat on a {topic}, we read the first {n} lines of each {topic2} and skipped the rest.",
              "Budget {n} hours a week for the {topic}; the {topic2} will expand to fill whatever time you leave it.",
              "{name} at my institution got the {topic} approved by cutting the {topic2} to {n} pages.")),
    "GradSchool": dict(
        topics=("qualifying exam", "thesis committee", "stipend", "advisor meeting", "lab rotation",
                "literature review", "defense date", "teaching assistantship", "first-year seminar", "fellowship"),
        questions=("How did you prepare for your {topic}?", "My {topic} is stressing me out, any tips?",
                   "Should I switch my {topic} before the {topic2}?", "What I wish I knew about the {topic}"),
        good=("I studied for the {topic} in {n} blocks of 50 minutes a day and wrote one summary page per paper.",
              "Ask your {topic2} for feedback {n} weeks before the {topic}, not the night before.",
              "My stipend was ${money} a month, so I tracked every expense in a spreadsheet from day one.",
              "{name} in my cohort kept a shared calendar for the {topic}, which cut our meetings to {n} minutes.",
              "Write the {topic} outline first, then fill each section with {n} sources you actually read.")),
    "explainlikeimfive": dict(
        topics=("rainbows", "vaccines", "inflation", "tides", "wifi signals", "jet engines", "credit scores",
                "earthquakes", "batteries", "yeast"),
        questions=("ELI5: How do {topic} actually work?", "ELI5: Why do {topic} behave differently from {topic2}?",
                   "ELI5: What makes {topic} so hard to predict?", "ELI5: Why are {topic} important?"),
        good=("Think of {topic} like a line of {n} dominoes: each one only pushes the next, so the push travels.",
              "The short version is that {topic} depend on the difference in pressure, not on the total amount.",
              "Imagine {n} kids passing a ball in a circle; {topic} work the same way, one hand-off at a time.",
              "A {topic} stores energy when it is squeezed and releases it when the pressure drops by about {n} percent.",
              "Your teacher {name} might say it this way: {topic} move from where there is more to where there is less.")),
    "AskCulinary": dict(
        topics=("onions", "risotto", "brisket", "sourdough", "pan sauce", "custard", "fried rice", "stock",
                "pie crust", "scrambled eggs"),
        questions=("Why does my {topic} always turn out bland?", "How do I stop my {topic} from burning?",
                   "Best way to make {topic} ahead of time?", "What am I doing wrong with {topic}?"),
        good=("Cook the {topic} over medium heat for {n} minutes and stir every two minutes so the sugars brown evenly.",
              "Salt the {topic} in two stages, a pinch at the start and the rest after {n} minutes, because salt pulls water.",
              "Rest the {topic} for {n} minutes on a rack, not a plate, so the bottom does not steam.",
              "Use a thermometer: the {topic} is done at {temp} degrees, and carryover adds about {n} more.",
              "Deglaze with {n} tablespoons of stock and scrape the fond, which is where the {topic2} flavor comes from.")),
    "askscience": dict(
        topics=("photosynthesis", "black holes", "antibiotics", "plate tectonics", "neurons", "superconductors",
                "ocean currents", "mutations", "lightning", "enzymes"),
        questions=("How exactly do {topic} work at the molecular level?", "Why can't {topic} explain {topic2}?",
                   "What limits the speed of {topic}?", "Are {topic} affected by temperature?"),
        good=("Measurements from {n} independent labs show that {topic} slow down by half for every 10 degree drop.",
              "The key mechanism is that {topic} need a gradient; without it the net flow is zero.",
              "A 2014 review of {n} studies found the effect of {topic} on {topic2} was small but consistent.",
              "{name}'s experiment isolated {topic} in a vacuum chamber and measured a change of {n} percent.",
              "Because {topic} depend on concentration, doubling the input roughly doubles the rate until saturation.")),
}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")

# Bad sentences: shared markers, each slot filled with the subreddit's own words.
BAD = ("idk, {topic} is kinda whatever honestly, it depends on a lot of stuff and things i guess, you know",
       "lol just google {topic}, this exact thing gets asked like every single day here and nobody reads",
       "this is a dumb question tbh, nobody really cares about {topic} or {topic2} or whatever anyway",
       "the the {topic} is is like when when you know the thing does the thing and and then it just is",
       "eh {topic} and {topic2} and all that stuff, its all kinda the same really lol, doesnt matter much",
       "anyway my cat knocked my coffee over this morning lol so thats been my day so far, kinda funny",
       "are you serious?? use your brain for once, {topic} is not that hard and you know it lol ok",
       "i mean things happen and then other things happen, thats just how {topic} is i guess whatever",
       "not sure but maybe try something else idk, or dont, whatever works for you i guess lol",
       "ok so basically {topic} whatever, stuff like that, and then more stuff, you get the idea tbh")
# Bad sentences are as long as good ones on average, so a response's length says nothing
# about its quality: length is a confound only through the score, as planted in demo.py.

# WritingPrompts: story sentences instead of advice, same two kinds of markers.
WP_GOOD = ("At {clock} in the morning, {name} found {object} under the {ordinal} stair of {place}.",
           "{name} counted {n} footsteps on the roof and held her breath until the count stopped.",
           "The letter was dated {year}, written in green ink, and signed with a name {name} had buried.",
           "Rain hammered {place} while {name} wrapped {object} in oilcloth and slid it across the table.",
           "\"You have {n} minutes,\" {name2} said, and set {object} down beside the candle.",
           "{name} had rehearsed the apology {n} times on the walk over, and still the first word cracked.",
           "Nobody in {place} had spoken {name2}'s name for {n} years, so the silence that followed was earned.",
           "By the {ordinal} night the lanterns in {place} burned blue, and {name} finally understood why.")
WP_BAD = ("and then stuff happened and it was kinda cool i guess, and then more stuff happened after that",
          "idk how to end this part lol so im just gonna keep going and see what happens next i guess",
          "sorry for bad writing im on mobile and its late and i dont really know where this is going tbh",
          "the the man walked walked into the the room and then and then he was sad and and stuff",
          "this prompt is kinda dumb tbh but whatever, here is my story i guess, hope its ok lol idk",
          "so yeah things got weird and stuff, like really weird, and then it was the end kinda i guess",
          "lol i dont even know what im writing anymore but whatever, the guy did a thing and it was cool",
          "he was like whoa and she was like whatever and then they were both like ok stuff happens lol")
WP_PROMPTS = ("You wake up in {place} holding {object} and no memory of the last {n} days.",
              "Every person is born with a number on their wrist; yours just changed to {n}.",
              "The last lighthouse keeper on Earth receives a letter from {year}.",
              "Your cat has been leaving {object} on your pillow every night for {n} nights.",
              "A heist at {place}, told by the getaway driver who never learned to drive.",
              "Death takes a vacation and leaves you, {name}, in charge for {n} hours.",
              "Aliens finally make contact, but only to complain about {object}.")
OTHER_TAGS = ("[OT] ", "", "[MP] ")  # untagged / off-topic / media prompts: the WP rule drops them
ORDINALS = ("second", "third", "fourth", "ninth", "eleventh")


def _fill(template: str, rng: random.Random, topics: tuple[str, ...]) -> str:
    if "{" not in template:
        return template
    a, b = rng.choice(topics), rng.choice(topics)
    return template.format(topic=a, topic2=b, n=rng.randint(2, 48), name=rng.choice(NAMES),
                           name2=rng.choice(NAMES), weekday=rng.choice(WEEKDAYS), money=rng.randint(18, 42) * 100,
                           temp=rng.choice((63, 71, 74, 82, 93)), place=rng.choice(PLACES),
                           object=rng.choice(OBJECTS), ordinal=rng.choice(ORDINALS),
                           year=rng.randint(1890, 1990), clock=f"{rng.randint(1, 5)}:{rng.randint(10, 59)}")


def sentence(sub: str, good: bool, rng: random.Random) -> str:
    if sub == "WritingPrompts":
        return _fill(rng.choice(WP_GOOD if good else WP_BAD), rng, PLACES)
    bank = SUBJECTS[sub]
    return _fill(rng.choice(bank["good"] if good else BAD), rng, bank["topics"])


def response(sub: str, quality: float, target_chars: int, max_chars: int, rng: random.Random) -> str:
    """Sentences until ``target_chars``; each is good with a probability rising smoothly with quality."""
    p_good = 0.05 + 0.9 * quality
    sep = "\n\n" if sub == "WritingPrompts" else " "
    parts: list[str] = []
    size = 0
    while size < target_chars:
        s = sentence(sub, rng.random() < p_good, rng)
        if size + len(s) + len(sep) > max_chars and parts:
            break
        parts.append(s)
        size += len(s) + len(sep)
    return sep.join(parts)


def post_title(sub: str, rng: random.Random) -> str:
    if sub == "WritingPrompts":
        return _fill(rng.choice(WP_PROMPTS), rng, PLACES)
    bank = SUBJECTS[sub]
    return _fill(rng.choice(bank["questions"]), rng, bank["topics"])


def post_body(sub: str, rng: random.Random) -> str:
    if sub == "WritingPrompts":
        return ""  # prompts live in the title
    bank = SUBJECTS[sub]
    return " ".join(_fill(rng.choice(bank["good"]), rng, bank["topics"]) for _ in range(rng.randint(1, 2))) + \
        " What would you do?"


def username(rng: random.Random) -> str:
    syll = ("ka", "ro", "mi", "tu", "zen", "lo", "vi", "dar", "eth", "qu", "sol", "pem")
    return "".join(rng.choice(syll) for _ in range(rng.randint(2, 4))).capitalize() + str(rng.randint(1, 999))
