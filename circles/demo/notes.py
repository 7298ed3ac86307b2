"""Synthetic workshop and interview notes in ``Name: text`` speaker turns, voicing the case study's findings.

Every note starts with :data:`~circles.demo.design.SYNTHETIC_NOTICE`; the speakers are fictional. A few lines
name people, places and a phone number in passing, as real notes do, so the demo shows the screen at work:
the quote bank prints them redacted ("[name]", "[place]", "[phone]") and holds one back for review.
"""

from __future__ import annotations

import numpy as np

from circles.demo.design import _HOTSPOT_WARDS, PLANTED_HOTSPOTS, SYNTHETIC_NOTICE

# ----------------------------------------------------------------------------------------------------------
# Notes


def _notes(rng: np.random.Generator) -> dict[str, str]:
    """Workshop and interview notes in ``Name: text`` speaker turns, keyed by file name."""
    return {
        "01_parents_workshop.md": _parents_workshop(rng),
        "02_children_young_people_workshop.md": _children_workshop(rng),
        "03_provider_interview_alcohol_services.md": _provider_interview_alcohol(rng),
        "04_provider_interview_family_services.md": _provider_interview_family(rng),
        "05_challenge_workshop.md": _challenge_workshop(rng),
    }


def _some(rng: np.random.Generator, bank: tuple[str, ...], k: int, core: int = 0) -> list[str]:
    """``k`` lines from a bank, seeded: its first ``core`` lines (always voiced) and others drawn."""
    extra = core + rng.permutation(len(bank) - core)[: k - core]
    return [bank[i] for i in rng.permutation(np.concatenate([np.arange(core), extra]))]


def _turns(rng: np.random.Generator, speakers: list[str], lines: list[str]) -> list[str]:
    """Speaker turns, no speaker twice in a row."""
    out, last = [], None
    for line in lines:
        choices = [s for s in speakers if s != last]
        last = choices[int(rng.integers(len(choices)))]
        out.extend([f"{last}: {line}", ""])
    return out


def _workshop_date(rng: np.random.Generator, first: str, last: str) -> str:
    first_day, last_day = np.datetime64(first, "D"), np.datetime64(last, "D")
    return str(first_day + int(rng.integers(0, int((last_day - first_day) // np.timedelta64(1, "D")) + 1)))


def _header(title: str, details: list[str]) -> list[str]:
    return [SYNTHETIC_NOTICE, "", f"# {title}", "", *[f"- {d}" for d in details], ""]


_PARENT_HOPES = (
    "I want to stop drinking. Not cut down, stop. I've done cutting down.",
    "A good future for my children. That's it really. I want them to have better than I had.",
    "Strong family relationships. I want my kids to want to come home.",
    "To know what support exists. I didn't know half of what's out there until a nurse on the ward told me.",
    "To feel of value. Like I'm worth something, not just a case number.",
    "I want to be a proper dad again, take our Kayden and Mia to football on a Saturday and be sober for it.",
    "Get back into work, or volunteering. Something that's a reason to get up in the morning.",
    "For my mum and the school to trust me again.",
)
_PARENT_FEARS = (
    "Relapse. I've been here before. Three months dry and then one bad day.",
    "Having nothing to do. When the group finishes, what then? The days are long.",
    "That they'll take the kids. That's why you don't ask for help until it's too late.",
    "Going back to the same street, the same people, the same pub on the corner.",
    "That my daughter ends up like me.",
    "Weekends. From Friday night to Monday morning there's nobody to ring.",
)
_PARENT_BARRIERS = (
    "You only get help at crisis point. I had to end up in A&E before anyone listened.",
    "Support is nine to five. My worst times are ten at night.",
    "Telling my story again to every new service. Every form, every worker, right from the start.",
    "Services aren't joined up. The GP didn't know what the alcohol service was doing, and nor did housing.",
    "Being 'referred' feels like failure. Like you're being passed on because you're too much.",
    "Appointments come by letter for times I can't make with the kids at home.",
    "Six different workers in a year. You stop bothering to get to know them.",
)
_PARENT_IDEAS = (
    "One person who knows the whole story and sticks with you.",
    "Somewhere to go in the evenings and at weekends that isn't the pub.",
    "Someone who's been through it. People who get it without you having to explain.",
    "Help before it gets to crisis, when I first went to the GP, not two years later.",
    "Doing things as a family, not me in one room and the kids in another.",
    "Being asked what I want, not told what I'm getting.",
)


def _parents_workshop(rng: np.random.Generator) -> str:
    n = int(rng.integers(5, 8))
    parents = [f"Parent {chr(65 + i)}" for i in range(n)]
    lines = _header(
        "Customer engagement workshop: parents",
        [
            f"Date: {_workshop_date(rng, '2010-06-01', '2010-07-31')}",
            "Where: a community venue in Blackburn (fictional setting)",
            f"Present: Facilitator, Note-taker, {', '.join(parents)}",
            "Purpose: what matters to you and your family, what helps, and what gets in the way",
        ],
    )
    lines += [
        "Facilitator: Thank you all for coming. Nothing you say today goes down with your name on it. "
        "We want to hear what would make life better for you and your family, and what gets in the way.",
        "",
        "## What would a good life look like?",
        "",
        "Facilitator: If things went well from here, what would be different in a year?",
        "",
    ]
    lines += _turns(rng, parents, _some(rng, _PARENT_HOPES, 6, core=5))
    lines += [
        "## What worries you?",
        "",
        "Facilitator: And what worries you most about the months ahead?",
        "",
    ]
    lines += _turns(rng, parents, _some(rng, _PARENT_FEARS, 4, core=2))
    lines += [
        "## What gets in the way?",
        "",
        "Facilitator: When you have looked for help, what got in the way?",
        "",
    ]
    lines += _turns(rng, parents, _some(rng, _PARENT_BARRIERS, 6, core=5))
    lines += ["## What would make a difference?", "", "Facilitator: What one thing would you change?", ""]
    lines += _turns(rng, parents, _some(rng, _PARENT_IDEAS, 4))
    lines += [
        "## Facilitator's summary",
        "",
        "Facilitator: What I've heard today: you want to stop drinking, a good future for your children and "
        "strong family relationships; you want to know what support exists and to feel of value. You fear "
        "relapse and having nothing to do. Help comes only at crisis point and only nine to five, you tell "
        "your story again to every new service, the services aren't joined up, and being 'referred' feels "
        "like failure.",
        "",
    ]
    return "\n".join(lines)


_CHILD_HOPES = (
    "I want my mum to stop drinking and be happy.",
    "A good future. Go to college, get a job, have my own place.",
    "For us to be a proper family, eating tea together at the table.",
    "I want my dad to come to parents' evening and be OK.",
    "To have somebody to talk to who gets it.",
    "For my little sister not to have to know about any of it.",
)
_CHILD_FEARS = (
    "I worry about my mum when I'm at school. I check my phone all the time.",
    "That it'll start again. It's good now, but it was good last time too.",
    "That I'll get taken away, or my little brother will.",
    "Nobody asks me. They talk to mum and dad and I'm just sat there.",
    "I don't want my friends to find out.",
)
_CHILD_BARRIERS = (
    "My worker's only there in school hours, and the help at Brookhouse stops at half past three. It's worse at night.",
    "I had to tell my story to a new person again. I don't want to keep saying it.",
    "School didn't know, the doctor didn't know. Nobody talks to each other.",
    "You only get noticed when something really bad happens.",
    "Being 'referred' makes you feel like there's something wrong with you.",
)
_CHILD_IDEAS = (
    "A group with other kids who get it, where you can just be normal.",
    "Someone I can text when it's bad.",
    "Things to do in the holidays, days out with my mum and dad.",
    "Tell the teachers, so I don't get told off for being late when I've been sorting my brother out.",
)


def _children_workshop(rng: np.random.Generator) -> str:
    n = int(rng.integers(4, 7))
    young = [f"Young person {chr(65 + i)}" for i in range(n)]
    lines = _header(
        "Workshop with children and young people",
        [
            f"Date: {_workshop_date(rng, '2010-07-26', '2010-08-27')} (school holidays)",
            "Where: a youth centre in Blackburn (fictional setting)",
            f"Present: Facilitator, Youth worker, {', '.join(young)} (aged 10 to 17)",
            "Purpose: what it's like at home, what you hope for, and what would help",
        ],
    )
    lines += [
        "Facilitator: There are no right answers and you don't have to say anything you don't want to.",
        "",
        "## What do you hope for?",
        "",
    ]
    lines += _turns(rng, young, _some(rng, _CHILD_HOPES, 4, core=3))
    lines += ["## What do you worry about?", ""]
    lines += _turns(rng, young, _some(rng, _CHILD_FEARS, 4, core=1))
    lines += ["## What makes it harder?", ""]
    lines += _turns(rng, young, _some(rng, _CHILD_BARRIERS, 4, core=3))
    lines += ["## What would help?", ""]
    lines += _turns(rng, young, _some(rng, _CHILD_IDEAS, 3))
    lines += [
        "Youth worker: They want a good future, a family that is strong and somebody who sticks with them. "
        "They worry all day about home.",
        "",
    ]
    return "\n".join(lines)


_ALCOHOL_WHO = (
    "Most of the people we see come to us at crisis point: after an admission to Ward C18, a police incident, or when "
    "children's social care get involved.",
    "By the time they reach us the drinking has usually been harmful for years. The GP saw it early, but "
    "there wasn't anywhere obvious to send them.",
    "We work with around six hundred people a year in specialist treatment. A lot of them are parents, "
    "though we didn't always record that.",
    "Parents hide it because they're scared asking for help means losing the children.",
)
_ALCOHOL_BARRIERS = (
    "We're a nine to five service. The calls we miss are evenings and weekends.",
    "Every agency does its own assessment. A parent can tell their story five times in a month.",
    "We're not joined up with children's services. We might be working with mum while someone else works "
    "with the children, and neither of us knows.",
    "People hear 'referral' and they hear failure, like they're being passed on.",
    "Appointments in town are hard with children at home and no bus fare.",
)
_ALCOHOL_AFTER = (
    "Relapse is the fear everyone carries; one dad rang me on 07700 900461 at midnight. The risk is highest "
    "when structured treatment ends.",
    "Having nothing to do is the biggest risk. The drinking filled the day.",
    "The ones who do well find something that makes them feel of value: volunteering, peer mentoring, work.",
    "Peer support from people with lived experience makes a real difference. They've walked it.",
    "Families matter. When the children are part of the plan, people stick with it.",
)


def _provider_interview_alcohol(rng: np.random.Generator) -> str:
    speakers = ["Service manager", "Recovery worker"]
    lines = _header(
        "Provider interview: specialist alcohol services",
        [
            f"Date: {_workshop_date(rng, '2010-05-04', '2010-06-30')}",
            "Interviewees: a service manager and a recovery worker from a specialist alcohol provider "
            "(roles only; no real person is quoted)",
            "Interviewer: Circles of Need project team",
        ],
    )
    lines += ["## Who do you see, and when?", "", "Interviewer: Who comes to you, and at what point?", ""]
    lines += _turns(rng, speakers, _some(rng, _ALCOHOL_WHO, 3, core=1))
    lines += ["## What gets in the way?", "", "Interviewer: What stops people getting help sooner?", ""]
    lines += _turns(rng, speakers, _some(rng, _ALCOHOL_BARRIERS, 4, core=4))
    lines += ["## After treatment", "", "Interviewer: What happens when treatment ends?", ""]
    lines += _turns(rng, speakers, _some(rng, _ALCOHOL_AFTER, 4, core=3))
    return "\n".join(lines)


_FAMILY_LINES = (
    "The Family Intervention Programme works with the whole family, but we're usually brought in when things "
    "are already at crisis point.",
    "Children tell us they worry about their parents all day at school.",
    "Think Family is about looking at the whole family, not just the person in front of you.",
    "Parents are scared that asking for help means losing the children, so they hide it until they can't.",
    "We don't always know a parent is in alcohol treatment. There's no shared record.",
    "Children want someone who sticks with them, not another new face.",
    "A good future for the children is what motivates most parents. It's the strongest thing we have.",
    "Support is in office hours; crises are not.",
    "Families get a different worker from every service, and each one starts again from the beginning.",
)


def _provider_interview_family(rng: np.random.Generator) -> str:
    speakers = ["Family intervention worker", "Think Family advocate", "Young people's worker"]
    lines = _header(
        "Provider interviews: family and children's services",
        [
            f"Date: {_workshop_date(rng, '2010-05-04', '2010-06-30')}",
            "Interviewees: a family intervention worker, a Think Family advocate and a young people's worker "
            "(roles only; no real person is quoted)",
            "Interviewer: Circles of Need project team",
        ],
    )
    lines += [
        "Interviewer: What do you see when a parent is drinking at harmful levels, and what would help?",
        "",
    ]
    lines += _turns(rng, speakers, _some(rng, _FAMILY_LINES, 6, core=1))
    return "\n".join(lines)


_CHALLENGES = (
    ("Commissioner", "If most people reach us at crisis point, we are paying for the most expensive part."),
    ("GP", "We see these families early. We need somewhere to send them that isn't a six-week wait."),
    (
        "Police inspector",
        "Our officers go back to the same addresses again and again, mostly after five and at weekends.",
    ),
    (
        "Housing officer",
        "Rent arrears are often the first sign, and we never hear what happens after we pass it on.",
    ),
    ("Alcohol service manager", "We could share one assessment if we agreed how to share information."),
    (
        "Parent representative",
        "Don't make people tell their story again. Write it down once, with them, and share it with their say-so.",
    ),
    ("Family worker", "Stop calling it a referral. Call it an introduction, and go with them."),
)
_ACTIONS = (
    "Pilot a single shared assessment ('tell it once') across alcohol treatment, the Family Intervention "
    "Programme and children's services.",
    "Test evening and weekend support in the pilot wards.",
    "Replace 'referral' with a warm introduction, in letters and in conversation.",
    "Map what support exists and give it to parents in plain language.",
    "Start a peer mentoring and volunteering route so people leaving treatment have something to do and feel of value.",
    "Agree information sharing between the trust, the police, housing and GPs.",
    "Offer family activities in the school holidays for children of parents in treatment.",
)


def _challenge_workshop(rng: np.random.Generator) -> str:
    speakers = [who for who, _ in _CHALLENGES]
    hotspots = ", ".join(f"{code} ({_HOTSPOT_WARDS[code]})" for code in PLANTED_HOTSPOTS)
    lines = _header(
        "Challenge workshop: agencies and parents",
        [
            f"Date: {_workshop_date(rng, '2010-10-01', '2010-11-30')}",
            "Where: Blackburn town hall committee room (fictional setting)",
            f"Present: Chair, {', '.join(speakers)}",
            "Purpose: test the customer insight and the take-up maps, and agree what to change",
        ],
    )
    lines += [
        "## What the insight tells us",
        "",
        "Chair: The maps of service take-up show the highest counts of people in the neighbourhoods around "
        f"the pilot wards of Bastwell and Shadsworth with Whitebirk, in LSOAs {hotspots}. Parents told us they want to "
        "stop drinking, a good future for their children, strong family relationships, to know what support "
        "exists and to feel of value.",
        "",
        "## Challenges",
        "",
    ]
    order = rng.permutation(len(_CHALLENGES))[: int(rng.integers(5, len(_CHALLENGES) + 1))]
    for i in order:
        who, line = _CHALLENGES[i]
        lines += [f"{who}: {line}", ""]
    lines += ["## Actions agreed", ""]
    lines += [f"{n}. {action}" for n, action in enumerate(_some(rng, _ACTIONS, int(rng.integers(4, 7))), start=1)]
    lines += ["", "Chair: We meet again in three months to see what has changed.", ""]
    return "\n".join(lines)
