"""Every install needs the Common Core: the 2005 edition (six areas, the default)
and the 2010 edition, whose areas list skills and knowledge as elements."""

from django.db import migrations

CORE_2005 = [
    (1, "Effective communication and engagement with children, young people, their families "
        "and carers", "Communication"),
    (2, "Child and young person development", "Development"),
    (3, "Safeguarding and promoting the welfare of the child", "Safeguarding"),
    (4, "Supporting transitions", "Transitions"),
    (5, "Multi-agency working", "Multi-agency working"),
    (6, "Sharing information", "Information sharing"),
]

CORE_2010 = [
    (1, "Effective communication and engagement with children, young people and families",
     "Communication",
     ["Listening and building empathy", "Summarising and explaining",
      "Consultation and negotiation"],
     ["How communication works", "Sources of support", "Importance of respect"]),
    (2, "Child and young person development", "Development",
     ["Observation and judgment", "Empathy and understanding"],
     ["Understand context", "Understand how babies, children and young people develop",
      "Be clear about your own job role"]),
    (3, "Safeguarding and promoting the welfare of the child or young person", "Safeguarding",
     ["Relate, recognise and take considered action", "Communication, recording and reporting",
      "Personal skills"],
     ["Legal and procedural frameworks", "Wider context of services", "Self understanding"]),
    (4, "Supporting transitions", "Transitions",
     ["Identify transitions", "Provide support"],
     ["How children and young people respond to change", "When and how to intervene"]),
    (5, "Multi-agency and integrated working", "Multi-agency working",
     ["Communication and teamwork", "Assertiveness"],
     ["Your role and remit", "Know how to make queries", "Procedures and working methods"]),
    (6, "Information sharing", "Information sharing",
     ["Information handling", "Engagement"],
     ["Importance of information sharing", "Roles and responsibilities",
      "Awareness of complexities", "Awareness of laws and legislation"]),
]


def create_frameworks(apps, schema_editor):
    Framework = apps.get_model("commoncore", "Framework")
    Area = apps.get_model("commoncore", "Area")
    Element = apps.get_model("commoncore", "Element")

    core_2005, _ = Framework.objects.get_or_create(
        slug="common-core-2005",
        defaults={
            "name": "Common Core of Skills and Knowledge (2005)",
            "edition": "2005",
            "is_default": True,
            "description": "The six areas of expertise everyone working with children, young "
            "people and families should have (DfES, 2005).",
        },
    )
    for number, title, short in CORE_2005:
        Area.objects.get_or_create(
            framework=core_2005, number=number, defaults={"title": title, "short_title": short}
        )

    core_2010, _ = Framework.objects.get_or_create(
        slug="common-core-2010",
        defaults={
            "name": "Common Core of Skills and Knowledge (2010)",
            "edition": "2010",
            "description": "The refreshed Common Core (CWDC, 2010): the six areas with the "
            "skills and knowledge listed under each.",
        },
    )
    for number, title, short, skills, knowledge in CORE_2010:
        area, _ = Area.objects.get_or_create(
            framework=core_2010, number=number, defaults={"title": title, "short_title": short}
        )
        entries = [("skill", t) for t in skills] + [("knowledge", t) for t in knowledge]
        for order, (kind, element_title) in enumerate(entries, start=1):
            Element.objects.get_or_create(
                area=area, order=order, defaults={"kind": kind, "title": element_title}
            )


class Migration(migrations.Migration):
    dependencies = [("commoncore", "0001_initial")]

    operations = [migrations.RunPython(create_frameworks, migrations.RunPython.noop)]
