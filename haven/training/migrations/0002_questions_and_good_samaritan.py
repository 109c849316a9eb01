"""Haven's own short quiz (two questions per area of the Opioid Overdose
Knowledge Scale, English and Spanish) and a first Good Samaritan paragraph.
Both are the program's to edit afterwards."""

from django.db import migrations

# (area, question, question in Spanish, [(choice, choice in Spanish, correct)])
QUESTIONS = [
    (
        "risks",
        "When is the risk of an overdose highest?",
        "¿Cuándo es más alto el riesgo de una sobredosis?",
        [
            ("After a break from using, such as after jail or treatment", "Después de un tiempo sin usar, por ejemplo al salir de la cárcel o de un tratamiento", True),
            ("When using every day at the same amount", "Al usar todos los días la misma cantidad", False),
            ("Only when injecting for the first time", "Solo al inyectarse por primera vez", False),
        ],
    ),
    (
        "risks",
        "Which mix raises the risk of an overdose?",
        "¿Qué mezcla aumenta el riesgo de una sobredosis?",
        [
            ("Opioids with alcohol or benzodiazepines (pills like Xanax)", "Opioides con alcohol o benzodiacepinas (pastillas como Xanax)", True),
            ("Opioids with water", "Opioides con agua", False),
            ("Opioids with food", "Opioides con comida", False),
        ],
    ),
    (
        "signs",
        "Which is a sign of an opioid overdose?",
        "¿Cuál es una señal de una sobredosis de opioides?",
        [
            ("Slow or no breathing, and blue or grey lips", "Respiración lenta o ausente, y labios azules o grises", True),
            ("Fast talking and a lot of energy", "Hablar rápido y tener mucha energía", False),
            ("Wide, large pupils", "Pupilas grandes y dilatadas", False),
        ],
    ),
    (
        "signs",
        "The person does not wake up when you shout their name and rub their chest hard. What does it mean?",
        "La persona no despierta cuando usted grita su nombre y le frota el pecho con fuerza. ¿Qué significa?",
        [
            ("It may be an overdose: act now", "Puede ser una sobredosis: actúe ahora", True),
            ("They are sleeping deeply: let them rest", "Está durmiendo profundamente: déjela descansar", False),
            ("Nothing to worry about", "No hay de qué preocuparse", False),
        ],
    ),
    (
        "actions",
        "What should you do first for someone who is not breathing well?",
        "¿Qué debe hacer primero por alguien que no respira bien?",
        [
            ("Call 911, give naloxone and help them breathe", "Llamar al 911, dar naloxona y ayudarle a respirar", True),
            ("Put them in a cold shower", "Meterle en una ducha fría", False),
            ("Leave them to sleep it off", "Dejarle dormir para que se le pase", False),
        ],
    ),
    (
        "actions",
        "If you must leave the person alone for a moment, how should you lay them?",
        "Si tiene que dejar sola a la persona un momento, ¿cómo debe acostarla?",
        [
            ("On their side (the recovery position)", "De lado (la posición de recuperación)", True),
            ("Flat on their back", "Boca arriba", False),
            ("Sitting up against a wall", "Sentada contra una pared", False),
        ],
    ),
    (
        "naloxone",
        "How is nasal naloxone given?",
        "¿Cómo se da la naloxona nasal?",
        [
            ("One spray in one nostril; another after 2–3 minutes if there is no change", "Un atomizador en una fosa nasal; otro a los 2–3 minutos si no hay cambio", True),
            ("Swallowed with water", "Tragada con agua", False),
            ("Rubbed on the skin", "Frotada en la piel", False),
        ],
    ),
    (
        "naloxone",
        "Naloxone wears off in 30 to 90 minutes. What does this mean?",
        "La naloxona deja de hacer efecto en 30 a 90 minutos. ¿Qué significa?",
        [
            ("Stay with the person: the overdose can come back", "Quédese con la persona: la sobredosis puede volver", True),
            ("The person is safe once they wake up", "La persona está a salvo en cuanto despierta", False),
            ("Give naloxone only after 90 minutes", "Dar naloxona solo después de 90 minutos", False),
        ],
    ),
]

GOOD_SAMARITAN = (
    "Many states protect a person who calls 911 for an overdose, and the person "
    "who overdosed, from arrest for small amounts of drugs. Ask us what the law "
    "says here."
)
GOOD_SAMARITAN_ES = (
    "Muchos estados protegen de ser arrestada por pequeñas cantidades de drogas a "
    "la persona que llama al 911 por una sobredosis, y a la persona que tuvo la "
    "sobredosis. Pregúntenos qué dice la ley aquí."
)


def seed(apps, schema_editor):
    Question = apps.get_model("training", "Question")
    Choice = apps.get_model("training", "Choice")
    CourseText = apps.get_model("training", "CourseText")
    for position, (area, text, text_es, choices) in enumerate(QUESTIONS):
        question = Question.objects.create(
            area=area, text=text, text_es=text_es, position=position
        )
        for order, (choice, choice_es, correct) in enumerate(choices):
            Choice.objects.create(
                question=question,
                text=choice,
                text_es=choice_es,
                correct=correct,
                # The right answer is not always first.
                position=(order + position) % len(choices),
            )
    CourseText.objects.create(key="good_samaritan", text=GOOD_SAMARITAN, text_es=GOOD_SAMARITAN_ES)


def unseed(apps, schema_editor):
    apps.get_model("training", "Question").objects.all().delete()
    apps.get_model("training", "CourseText").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("training", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
