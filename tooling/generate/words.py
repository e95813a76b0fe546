"""Word lists for the synthetic data generator (``tooling.generate``).

Every name the generator writes is built from these lists: the eleven sectors of the
2005 workforce clusters, with the subjects of their qualifications, their occupations,
the topics of their modules, and how their modules tend to map to the Common Core.
Names of places, colleges and awarding bodies are invented.
"""

from dataclasses import dataclass

#: Level codes in the order of ``Sector.levels``: Entry, 1 to 8, not levelled.
LEVELS: tuple[int | None, ...] = (0, 1, 2, 3, 4, 5, 6, 7, 8, None)


@dataclass(frozen=True)
class Sector:
    name: str
    #: share of the qualifications and roles (the weights add up to 100)
    weight: int
    #: its cluster in the second ("by service") scheme
    service: str
    #: how its qualifications spread over LEVELS (Social Care has none at 4 and 5)
    levels: tuple[int, ...]
    subjects: tuple[str, ...]
    #: job titles and their usual level
    occupations: tuple[tuple[str, int | None], ...]
    #: names of further clusters of the sector at larger scales
    specialisms: tuple[str, ...]
    setting: str
    #: module topics that no Common Core area covers
    technical: tuple[str, ...]
    #: how likely its modules are to cover each area, relative to all modules
    area_bias: tuple[float, float, float, float, float, float] = (1, 1, 1, 1, 1, 1)
    #: the share of its modules that cover no area, relative to all modules
    none_bias: float = 1.0


SECTORS: tuple[Sector, ...] = (
    Sector(
        "Early Years", 16, "Early childhood services",
        (3, 8, 22, 40, 8, 7, 6, 3, 0, 3),
        ("Children's Care, Learning and Development", "Child Care and Education",
         "Early Years Practice", "Pre-school Practice", "Home-based Childcare",
         "Early Years Care and Education", "Nursery Nursing", "Early Childhood Studies",
         "Early Years Leadership", "Caring for Children"),
        (("Nursery assistant", 2), ("Early years practitioner", 3), ("Childminder", None),
         ("Playgroup leader", 3), ("Crèche worker", 2), ("Room supervisor", 3),
         ("Nursery manager", 4), ("Children's centre manager", 5), ("Early years teacher", 6),
         ("Early years professional", 6), ("Family outreach worker", 3), ("Nanny", 3)),
        ("Children's centres", "Day nurseries", "Childminding networks", "Pre-schools",
         "Crèches", "Nursery schools", "Home-based care", "Early intervention",
         "Early years inclusion", "Early years leadership", "Out-of-school care",
         "Family centres"),
        "early years settings",
        ("Planning the early years environment", "Food and nutrition in the early years",
         "Running a childcare business", "Resources for early learning"),
        area_bias=(1.15, 1.3, 1.0, 1.1, 0.9, 0.9),
    ),
    Sector(
        "Education & Training", 15, "Schools and colleges",
        (2, 6, 18, 24, 12, 10, 14, 10, 2, 2),
        ("Supporting Teaching and Learning in Schools", "Learning Support",
         "Teaching in the Lifelong Learning Sector", "Primary Education",
         "Secondary Education", "Special Educational Needs", "Education Studies",
         "School Business Management", "Learning Mentoring", "Higher Level Teaching"),
        (("Teaching assistant", 2), ("Higher level teaching assistant", 4),
         ("Learning mentor", 3), ("Cover supervisor", 3), ("Primary teacher", 6),
         ("Secondary teacher", 6), ("Special needs coordinator", 7),
         ("School business manager", 5), ("Bilingual support assistant", 3),
         ("Further education lecturer", 5), ("Head teacher", 7), ("Education welfare officer", 5)),
        ("Primary schools", "Secondary schools", "Special schools", "Further education",
         "Pupil referral units", "Extended schools", "Academies", "Sixth form colleges",
         "School support staff", "Adult learning", "Teacher training", "Independent schools"),
        "schools",
        ("Curriculum planning", "Literacy and numeracy support", "ICT in the classroom",
         "Assessment for learning", "Subject knowledge"),
        area_bias=(1.1, 1.25, 0.45, 1.2, 0.45, 1.0),
    ),
    Sector(
        "Health", 12, "Health services",
        (1, 5, 15, 18, 10, 10, 18, 15, 3, 5),
        ("Health and Social Care", "Children's Nursing", "Midwifery", "Health Visiting",
         "School Nursing", "Speech and Language Therapy", "Child and Adolescent Mental Health",
         "Allied Health Support", "Paediatric First Aid", "Community Public Health"),
        (("Health care assistant", 2), ("Children's nurse", 6), ("Midwife", 6),
         ("Health visitor", 6), ("School nurse", 6), ("Speech and language therapist", 6),
         ("Child psychologist", 8), ("Paediatrician", 7), ("Mental health worker", 4),
         ("Nursery nurse (health)", 3), ("Maternity support worker", 3),
         ("Community health worker", 3)),
        ("Acute care", "Community health", "Mental health", "Maternity services",
         "Public health", "Therapy services", "Primary care", "Child health",
         "Hospital play", "Sexual health", "Health promotion", "Disability services"),
        "health settings",
        ("Clinical skills", "Medicines management", "Anatomy and physiology",
         "Infection control", "Clinical governance"),
        area_bias=(1.0, 1.0, 1.2, 1.3, 1.45, 1.45), none_bias=0.7,
    ),
    Sector(
        "Health and Fitness", 7, "Health services",
        (3, 15, 35, 30, 8, 3, 4, 1, 0, 1),
        ("Exercise and Fitness", "Health Related Exercise", "Fitness Instructing",
         "Personal Training", "Exercise and Health Studies", "Nutrition and Health",
         "Physical Activity for Children", "Gym Instruction", "Exercise Referral",
         "Aquatic Teaching"),
        (("Fitness instructor", 2), ("Personal trainer", 3), ("Gym supervisor", 3),
         ("Swimming teacher", 2), ("Exercise referral officer", 4), ("Leisure attendant", 2),
         ("Health trainer", 3), ("Physical activity officer", 4), ("Lifeguard", 2),
         ("Fitness manager", 4), ("Dance instructor", 3), ("Pilates instructor", 3)),
        ("Gyms", "Swimming", "Exercise referral", "Leisure centres", "Children's fitness",
         "Dance", "Healthy lifestyles", "Aquatics", "Outdoor fitness", "Active ageing",
         "Group exercise", "Weight management"),
        "fitness settings",
        ("Anatomy and physiology for exercise", "Gym-based exercise programmes",
         "Nutrition for health and fitness", "Exercise equipment and the gym environment",
         "Principles of exercise and fitness"),
        area_bias=(1.35, 1.3, 1.3, 0.2, 0.2, 0.2), none_bias=1.1,
    ),
    Sector(
        "Outdoor Education, Training and Recreation", 5, "Sport, play and leisure services",
        (4, 18, 30, 28, 10, 4, 4, 1, 0, 1),
        ("Outdoor Education", "Outdoor Leadership", "Adventure Activities",
         "Mountain Leadership", "Forest School Leadership", "Water Sports Instruction",
         "Outdoor Activity Instruction", "Expedition Leadership"),
        (("Outdoor instructor", 3), ("Outdoor centre manager", 5), ("Forest school leader", 3),
         ("Expedition leader", 3), ("Climbing instructor", 3), ("Water sports instructor", 3),
         ("Outdoor activity assistant", 2), ("Field studies tutor", 5)),
        ("Residential centres", "Forest schools", "Water sports", "Mountaineering",
         "Field studies", "Expeditions", "Adventure playgrounds", "Countryside recreation"),
        "outdoor settings",
        ("Navigation and route planning", "Water safety and rescue", "Expedition skills",
         "Managing outdoor equipment"),
        area_bias=(1.0, 1.0, 1.1, 0.8, 0.7, 0.8),
    ),
    Sector(
        "Play work", 6, "Sport, play and leisure services",
        (4, 12, 32, 34, 8, 5, 3, 1, 0, 1),
        ("Playwork", "Play and Learning", "Out of School Care", "Play Development",
         "Playwork Management", "Inclusive Play"),
        (("Playworker", 2), ("Senior playworker", 3), ("Play development officer", 4),
         ("Out of school club leader", 3), ("Holiday scheme coordinator", 3),
         ("Play ranger", 2), ("Playwork manager", 4), ("Hospital play specialist", 4)),
        ("Adventure playgrounds", "Out-of-school clubs", "Holiday play schemes",
         "Mobile play", "Inclusive play", "Play in hospitals", "Play ranging",
         "Play development"),
        "play settings",
        ("Designing play spaces", "Play equipment and resources", "Running a play scheme"),
    ),
    Sector(
        "Sport", 7, "Sport, play and leisure services",
        (4, 16, 30, 28, 8, 5, 6, 2, 0, 1),
        ("Sport and Active Leisure", "Coaching", "Sports Development",
         "Community Sports Leadership", "Sport and Exercise Science", "Sports Coaching",
         "Sports Leadership"),
        (("Sports coach", 3), ("Assistant coach", 2), ("Sports development officer", 4),
         ("School sport coordinator", 5), ("Community sports leader", 2),
         ("Sports club volunteer", None), ("Head coach", 4), ("PE teacher", 6)),
        ("School sport", "Community clubs", "Disability sport", "Talent development",
         "Coaching", "Sports development", "Football", "Athletics"),
        "sport",
        ("Coaching techniques", "Sports rules and officiating", "Planning a coaching session",
         "Event management in sport", "Sports injuries"),
        area_bias=(1.2, 1.1, 1.0, 0.6, 0.6, 0.6),
    ),
    Sector(
        "Social Care", 14, "Social care services",
        (3, 12, 28, 30, 0, 0, 20, 5, 0, 2),
        ("Health and Social Care (Children and Young People)", "Social Work",
         "Residential Child Care", "Foster Care", "Caring for Children and Young People",
         "Social Care Management", "Child Protection", "Leadership and Management for Care",
         "Family Support"),
        (("Residential child care worker", 3), ("Social worker", 6), ("Foster carer", None),
         ("Family support worker", 3), ("Social work assistant", 3), ("Care manager", 3),
         ("Counsellor", None), ("Senior social worker", 7), ("Residential home manager", 3),
         ("Adoption worker", 6), ("Leaving care worker", 3), ("Respite care worker", 2)),
        ("Residential care", "Fostering", "Adoption", "Children in need", "Child protection",
         "Disabled children", "Leaving care", "Family support", "Short breaks",
         "Youth offending support", "Asylum-seeking children", "Kinship care"),
        "social care settings",
        ("Care planning", "Legislation and policy in social care", "Managing care resources",
         "Medication in care settings"),
        area_bias=(1.0, 1.0, 1.25, 1.3, 1.45, 1.45), none_bias=0.7,
    ),
    Sector(
        "Voluntary Work", 5, "Youth and community services",
        (6, 18, 28, 22, 8, 4, 4, 2, 0, 8),
        ("Volunteer Management", "Community Development Work",
         "Working in the Voluntary Sector", "Advice and Guidance", "Mentoring and Befriending",
         "Community Volunteering"),
        (("Volunteer coordinator", 3), ("Community development worker", 4),
         ("Befriender", None), ("Advice worker", 3), ("Volunteer mentor", 2),
         ("Project manager (voluntary sector)", 5), ("Charity support worker", 2),
         ("Trustee", None)),
        ("Befriending", "Community development", "Faith groups", "Advice services",
         "Mentoring schemes", "Uniformed organisations", "Charities", "Self-help groups"),
        "voluntary organisations",
        ("Volunteer recruitment", "Fundraising", "Managing projects", "Charity governance"),
    ),
    Sector(
        "Youth Justice", 5, "Justice and community safety services",
        (0, 6, 20, 30, 14, 8, 10, 6, 1, 5),
        ("Youth Justice", "Effective Practice in Youth Justice", "Working with Young Offenders",
         "Restorative Justice", "Community Justice", "Substance Misuse"),
        (("Youth offending team officer", 4), ("Youth justice worker", 3),
         ("Restorative justice practitioner", 4), ("Secure unit officer", 3),
         ("Substance misuse worker", 4), ("Probation officer", 6), ("Court officer", 3),
         ("Youth offending team manager", 6)),
        ("Youth offending teams", "Secure estate", "Restorative justice", "Prevention",
         "Substance misuse", "Courts", "Resettlement", "Victim services"),
        "youth justice settings",
        ("The youth justice system", "Assessment of offending behaviour", "Court procedures",
         "Managing risk in custody"),
        area_bias=(1.0, 0.9, 1.1, 1.2, 1.3, 1.3),
    ),
    Sector(
        "Youth Work and Support", 8, "Youth and community services",
        (3, 10, 26, 30, 10, 6, 10, 3, 0, 2),
        ("Youth Work", "Youth Work Practice", "Information, Advice and Guidance",
         "Learning, Development and Support Services", "Personal Advice for Young People",
         "Community and Youth Work", "Counselling", "Careers Guidance"),
        (("Youth worker", 3), ("Youth support worker", 2), ("Personal adviser", 4),
         ("Senior youth worker", 6), ("Careers adviser", 4), ("Counsellor", None),
         ("Detached youth worker", 3), ("Youth service manager", 6),
         ("Young people's participation officer", 4), ("Learning mentor (youth)", 3)),
        ("Detached youth work", "Youth centres", "Careers guidance", "Participation",
         "Targeted youth support", "Connexions", "Rural youth work", "Faith-based youth work"),
        "youth work settings",
        ("Group work", "Youth participation and democracy", "Outreach and detached youth work",
         "Running a youth project"),
        area_bias=(1.2, 1.1, 1.0, 1.3, 1.1, 1.0),
    ),
)

#: Topics of modules whose main area is 1…6 (index 0 is area 1).
AREA_TOPICS: tuple[tuple[str, ...], ...] = (
    ("communication with children and young people", "engagement with parents and carers",
     "positive relationships with children", "listening to children and young people",
     "communication and professional relationships", "consulting children and young people",
     "working in partnership with families"),
    ("child and young person development", "children's behaviour",
     "learning and development", "play and development", "adolescent development",
     "observation and assessment of development", "inclusive practice and diversity"),
    ("safeguarding children and young people", "child protection procedures",
     "health, safety and welfare of children", "promoting children's wellbeing",
     "responding to abuse and neglect", "safe working practice", "paediatric first aid"),
    ("transitions in children's lives", "supporting children through change",
     "moves between settings", "young people's preparation for adulthood",
     "loss and bereavement"),
    ("multi-agency working", "working with other professionals",
     "integrated working and the team around the child", "partnership working",
     "the Common Assessment Framework"),
    ("information sharing", "record keeping and confidentiality",
     "recording and reporting concerns", "information and data in practice"),
)

#: Topics no sector owns and no area covers.
GENERAL_TOPICS: tuple[str, ...] = (
    "Personal and professional development", "Reflective practice", "Research methods",
    "Leadership and management", "Health and safety at work", "Equality and diversity",
    "Study skills", "Work placement", "Team working", "Customer care",
)

#: How a module title starts, by the module's level band.
MODULE_STEMS: dict[str, tuple[str, ...]] = {
    "low": ("Introduction to", "Understanding", "Awareness of"),
    "mid": ("Principles of", "Practice in", "Supporting", "Developing"),
    "high": ("Leading", "Managing", "Critical perspectives on", "Theory and practice of"),
    "top": ("Advanced study of", "Research in", "Strategic leadership of"),
}

SUBJECT_FOCUS: tuple[str, ...] = (
    "Children and Young People", "Early Years", "Management", "Supervision",
    "Inclusive Practice", "Families", "Disabled Children", "Community Settings",
)

#: Syllables of invented English place names.
PLACE_STARTS: tuple[str, ...] = (
    "Ash", "Brook", "Thorn", "Elm", "Oak", "Kings", "Bar", "Wick", "Stan", "Mel", "Hart",
    "Wood", "Black", "White", "Red", "Green", "Fern", "Bran", "Holm", "Lang", "Mar", "Nor",
    "Pen", "Ros", "Sel", "Tam", "Wen", "Chad", "Dun", "Fair", "Gran", "Hal", "Ken", "Lid",
    "Mill", "Nether", "Over", "Rad", "Sandy", "Tid", "Up", "Wal", "Yar", "Bex", "Cal",
    "Dal", "East", "West", "Her", "Lin",
)
PLACE_ENDS: tuple[str, ...] = (
    "ford", "ley", "ton", "bury", "field", "ham", "wick", "mouth", "bridge", "dale", "stow",
    "worth", "by", "thorpe", "borough", "combe", "hurst", "well", "minster", "side", "mere",
    "gate", "holme", "stead", "caster", "cliffe", "don", "firth", "haven", "wood",
)
PLACE_PREFIXES: tuple[str, ...] = ("", "", "", "", "North ", "South ", "East ", "West ",
                                   "Upper ", "Great ", "Little ", "Old ")

PROVIDER_KINDS: tuple[str, ...] = (
    "{place} College", "{place} College of Further Education", "{place} Training",
    "{place} Training Partnership", "{place} Learning Centre", "University of {place}",
    "{place} Community Learning", "{place} Childcare Training", "{place} Sixth Form College",
    "{place} Academy of Care", "{place} Sports Academy", "{place} Skills Centre",
    "{place} Adult Education Service", "{place} Youth Training Trust", "{place} Institute",
)
DISTANCE_KINDS: tuple[str, ...] = (
    "{place} Distance Learning", "{place} Online College", "{place} Open Learning",
)

AWARDING_KINDS: tuple[str, ...] = (
    "{place} Awards", "{place} Qualifications", "{place} Examinations Board",
    "{place} Open College Network", "{place} Vocational Awards Council",
)
UNIVERSITY_KINDS: tuple[str, ...] = (
    "University of {place}", "{place} University", "{place} Institute of Education",
)
COUNCIL_KINDS: tuple[str, ...] = (
    "National {field} Council", "{field} Standards Board", "Institute for {field}",
    "{place} {field} Partnership",
)
COUNCIL_FIELDS: tuple[str, ...] = (
    "Children's Workforce", "Youth Work", "Social Care", "Playwork", "Sport Coaching",
    "Fitness Professionals", "Youth Justice", "Teaching", "Health Visiting",
    "Outdoor Learning", "Volunteering", "Early Years",
)

OFFERING_MODES: tuple[tuple[str, int], ...] = (
    ("part-time", 40), ("full-time", 25), ("work-based", 15), ("distance", 8),
    ("evening", 6), ("blended", 6),
)

#: relative populations of the nine regions, by the names the migration gives them
REGION_WEIGHTS: dict[str, int] = {
    "North East": 5, "North West": 13, "Yorkshire and the Humber": 10, "East Midlands": 9,
    "West Midlands": 11, "East of England": 11, "London": 16, "South East": 16,
    "South West": 10,
}

RETURN_REASONS: tuple[str, ...] = (
    "Several units are ticked for Safeguarding without evidence in their outcomes.",
    "The qualification row repeats what the units already cover; please review.",
    "Unit titles alone are not enough here: check the learning outcomes.",
    "Multi-agency working is ticked for units that only mention teamwork.",
)

NOTES: tuple[str, ...] = (
    "Includes a work placement.", "Mandatory and optional units; see the specification.",
    "Delivered in partnership with employers.", "Replaces an earlier version of the award.",
    "Assessment by portfolio and observation.",
)
