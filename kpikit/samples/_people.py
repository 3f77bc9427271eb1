"""Fake people and companies: names, emails, phones and sales notes.

Everything here is invented. Names are picked so that none is an English word
or a substring-prone token that also appears in a campaign name; every
character is in Windows-1252 (the Salesforce client's export encoding).
"""

from __future__ import annotations

import unicodedata

import numpy as np

FIRST_NAMES = (
    "Anneliese", "Bastian", "Cornelia", "Dorothea", "Elmar", "Fridolin", "Gudrun", "Henrike", "Ingolf", "Jasmina",
    "Konstantin", "Leonore", "Magdalena", "Niklas", "Ottilie", "Quirin", "Roswitha", "Severin", "Theresia", "Ulrike",
    "Valentin", "Wiebke", "Xaver", "Yvonne", "Zacharias", "Jürgen", "Zoë", "José", "François", "Søren",
    "Agnieszka", "Bartholomew", "Cressida", "Desmond", "Eleanora", "Fergus", "Gwendolyn", "Hamish", "Isolde",
    "Jolyon", "Kirsten", "Lachlan", "Morwenna", "Nigella", "Oisin", "Peregrine", "Rosalind", "Tamsin", "Ulysses",
    "Winifred", "Yusuf", "Aaliyah", "Bogdan", "Chiamaka", "Dmitri", "Esperanza", "Folasade", "Giuseppe",
    "Hiroshi", "Ingrid", "Jovana", "Kwabena", "Ludmila", "Mateusz", "Nkechi", "Oksana", "Pradeep", "Radoslav",
    "Svetlana", "Tadeusz", "Umberto", "Vasilis", "Wojciech", "Ximena", "Yolanda", "Zdenek", "Anouk", "Benedikt",
    "Clothilde", "Dragomir", "Evangeline", "Florentin", "Gerlinde", "Ignatius", "Jacinta", "Kasimir",
    "Lavinia", "Maximilian", "Nathanael", "Octavia", "Philippa", "Rainer", "Sieglinde", "Thaddeus", "Ursula",
    "Vittoria", "Wilhelmina", "Abigail", "Cormac", "Deirdre", "Eamon", "Fionnuala", "Grainne", "Padraig",
)  # fmt: skip
LAST_NAMES = (
    "Achterberg", "Bergkamper", "Castellanos", "Dobrowolski", "Eisenhauer", "Falkenberg", "Gottschalk", "Hohenstein",
    "Iwaszkiewicz", "Jankowiak", "Kaltenbrunner", "Marchetti", "Niederhauser", "Oyelowo", "Pfannenstiel",
    "Quartermaine", "Rautenberg", "Schwarzkopf", "Tuominen", "Uhlenbrock", "Vanderbilt", "Wolfenstein", "Yamamura",
    "Zimmerling", "Müller-Lüdenscheidt", "Peña", "Dvořák", "Lefèvre", "Ødegaard", "Abernethy", "Blackwood",
    "Carmichael", "Drummond", "Fairweather", "Galbraith", "Hetherington", "Inglethorpe", "Kilbride", "Lockhart",
    "McAllister", "Northcott", "Ogilvie", "Pemberton", "Rutherford", "Strachan", "Thistlewood", "Urquhart",
    "Wedderburn", "Ackroyd", "Bellweather", "Cholmondeley", "Dunsmuir", "Etheridge", "Featherstone", "Greenhalgh",
    "Hollingsworth", "Kowalczyk", "Lindgren", "Mortensen", "Nakashima", "Oyelaran", "Przybylski", "Rasmussen",
    "Szymanski", "Thorvaldsen", "Vukovic", "Wisniewski", "Zielinski", "Abramowicz", "Baranowska", "Ciesielski",
    "Delacroix", "Esposito", "Fontaine", "Giordano", "Hernandez", "Ivanova", "Jorgensen", "Kristiansen", "Lombardi",
    "Moreau", "Novakova", "Okonkwo", "Papadopoulos", "Quintero", "Rossignol", "Santangelo", "Takahashi", "Underhill",
    "Valdivia", "Whitcombe", "Xenakis", "Yilmaz", "Zavattari",
)  # fmt: skip
# Dvořák is not in Windows-1252: the Salesforce client draws from the cp1252-safe subset.

JOB_TITLES = (
    "Head of Data", "IT Director", "Data Engineer", "CFO", "Finance Director", "Plant Manager", "Procurement Lead",
    "Operations Manager", "CTO", "Marketing Manager", "Analytics Lead", "Managing Director", "Controller",
    "Maintenance Engineer", "Student", "Consultant",
)  # fmt: skip

_PREFIXES = (
    "Aldmoor", "Brisvane", "Corthell", "Dunmere", "Elvaston", "Farrowby", "Glenwick", "Halvard", "Istrelle", "Jorvik",
    "Kelsano", "Lorrimer", "Maravel", "Nettlefold", "Ormsby", "Pellucid", "Quenford", "Rivenhall", "Starling",
    "Trevanion", "Umbrell", "Varnholt", "Westerley", "Yarrowdale", "Zennor", "Ashgrove", "Bramcote", "Calloway",
    "Dravenport", "Emberton", "Fyldecrest", "Gantry", "Holmcroft", "Ivybridge", "Kingsmere", "Larkspur", "Millbeck",
    "Northgate", "Oakhaven", "Pinnacle", "Redfern", "Silverdale", "Thornbury", "Upfield", "Valemont", "Wyndham",
)  # fmt: skip
_SUFFIXES = (
    ("Systems", "systems"), ("Logistics", "logistics"), ("Analytics", "analytics"), ("Partners", "partners"),
    ("Industries", "industries"), ("Solutions", "solutions"), ("Group", "group"), ("Labs", "labs"),
    ("Manufacturing", "mfg"), ("Holdings", "holdings"), ("Consulting", "consulting"), ("Services", "services"),
)  # fmt: skip


def ascii_fold(text: str) -> str:
    """Lower-case ASCII for email local parts: 'Zoë Peña' -> 'zoe pena'."""
    special = {"ø": "o", "Ø": "o", "ß": "ss", "æ": "ae"}
    text = "".join(special.get(ch, ch) for ch in text)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()


def cp1252_safe(names: tuple[str, ...]) -> tuple[str, ...]:
    out = []
    for n in names:
        try:
            n.encode("cp1252")
        except UnicodeEncodeError:
            continue
        out.append(n)
    return tuple(out)


def companies(rng: np.random.Generator, n: int, tlds: tuple[str, ...]) -> list[tuple[str, str]]:
    """``n`` distinct invented (company name, domain) pairs."""
    pairs = [(p, s) for p in _PREFIXES for s in _SUFFIXES]
    idx = rng.permutation(len(pairs))[:n]
    out = []
    for i in idx:
        prefix, (suffix, slug) = pairs[int(i)]
        tld = tlds[int(i) % len(tlds)]
        out.append((f"{prefix} {suffix}", f"{prefix.lower()}-{slug}{tld}"))
    return out


def phone(rng: np.random.Generator, style: str) -> str:
    d = rng.integers(0, 10, size=10)
    s = "".join(str(int(x)) for x in d)
    if style == "us":
        return f"({s[0:3]}) 555-{s[3:7]}" if rng.random() < 0.7 else f"+1 {s[0:3]} 555 {s[3:7]}"
    if style == "uk":
        return f"07700 900{s[0:3]}" if rng.random() < 0.5 else f"+44 20 7946 {s[0:4]}"
    if style == "nl":
        return f"+31 6 {s[0:8]}" if rng.random() < 0.6 else f"+31 20 {s[0:3]} {s[3:7]}"
    area = ("30", "40", "89", "69", "221")[int(d[9]) % 5]
    if rng.random() < 0.2:
        return f"+41 44 {s[0:3]} {s[3:5]} {s[5:7]}"
    return f"+49 {area} {s[0:7]}"


NOTE_TEMPLATES = (
    "",
    "",
    "",
    "Asked for pricing for {seats} users; call {first} back on {phone}.",
    "Met at the booth, wants a demo next quarter. Prefers email: {email}",
    'Downloaded the guide; said "just browsing" on the phone.',
    "Existing customer's colleague, route to account manager {owner}.",
    "Budget approved for Q3, decision maker is {first} {last}.\nFollow up after the board meeting.",
    "Student / job seeker, not a buyer.",
    "Left voicemail at {phone}, no answer yet.",
    "Competitor research? Uses a gmail address, unclear company.",
)


def note(rng: np.random.Generator, first: str, last: str, email: str, phone_: str, owner: str) -> str:
    template = NOTE_TEMPLATES[int(rng.integers(0, len(NOTE_TEMPLATES)))]
    return template.format(
        seats=int(rng.integers(5, 200)), first=first, last=last, email=email, phone=phone_, owner=owner
    )
