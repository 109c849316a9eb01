"""The three yes/no boxes of the old enrolment form become consent records.

Each kind gets a first version of its text (the program edits them on the
consent texts page). A box that was ticked becomes a consent given at
enrolment, recorded by whoever enrolled the person, "ticked on the old
enrolment form"; an unticked box is left unrecorded, because the old form
cannot tell "refused" from "not asked". "Agrees to have contacts recorded"
was ticked in advance, so its consents say so in their text.
"""

from django.db import migrations

FIRST_TEXTS = {
    "record_keeping": (
        "Haven keeps a record of your contacts with the program (date, place, supplies and "
        "services) under your card code, without your name. You can ask to see it, and you "
        "can withdraw this consent at any time.",
        "Haven guarda un registro de sus contactos con el programa (fecha, lugar, insumos y "
        "servicios) bajo el código de su tarjeta, sin su nombre. Puede pedir verlo y puede "
        "retirar este consentimiento en cualquier momento.",
    ),
    "contact": (
        "Staff may call or text you to follow up, for example about a referral. You can "
        "withdraw this consent at any time.",
        "El personal puede llamarle o enviarle mensajes para dar seguimiento, por ejemplo "
        "sobre una derivación. Puede retirar este consentimiento en cualquier momento.",
    ),
    "sharing": (
        "When you are referred, staff may share your card code, alias, year of birth and what "
        "you need with the provider named, so that they can help you. You can withdraw this "
        "consent at any time; what was already shared is listed for you on request.",
        "Cuando le deriven a un servicio, el personal puede compartir el código de su tarjeta, su apodo, su "
        "año de nacimiento y lo que necesita con el proveedor indicado, para que le ayuden. "
        "Puede retirar este consentimiento en cualquier momento; lo ya compartido se le "
        "muestra si lo pide.",
    ),
    "certificate_name": (
        "Your name may be printed on your training certificate. Without this consent the "
        "certificate carries no name.",
        "Su nombre puede aparecer en su certificado de capacitación. Sin este consentimiento "
        "el certificado no lleva nombre.",
    ),
    "research": (
        "Your records, without your name, may be used in research approved by the program. "
        "You can withdraw this consent at any time.",
        "Sus registros, sin su nombre, pueden usarse en investigaciones aprobadas por el "
        "programa. Puede retirar este consentimiento en cualquier momento.",
    ),
    "tpo": (
        "You agree that your records may be disclosed for your treatment, for payment and for "
        "health care operations, as 42 CFR part 2 allows with a single consent. You can "
        "revoke it in writing at any time, except for what was already done relying on it.",
        "Usted acepta que sus registros se divulguen para su tratamiento, para el pago y para "
        "operaciones de atención médica, como lo permite 42 CFR parte 2 con un solo "
        "consentimiento. Puede revocarlo por escrito en cualquier momento, salvo lo ya hecho "
        "con base en él.",
    ),
}

# What each box of the old form said: version 1 of its kind, kept with the
# consents migrated from it; the program's wording above is version 2.
OLD_BOXES = {
    "consent_to_services": (
        "record_keeping",
        "Old enrolment form: “agrees to have contacts recorded” (this box was ticked in "
        "advance).",
        "Formulario de inscripción anterior: «acepta que se registren sus contactos» (esta "
        "casilla venía marcada).",
    ),
    "consent_to_contact": (
        "contact",
        "Old enrolment form: “agrees to be contacted for follow-up”.",
        "Formulario de inscripción anterior: «acepta que le contacten para seguimiento».",
    ),
    "consent_to_data_sharing": (
        "sharing",
        "Old enrolment form: “agrees to share records with referral partners”.",
        "Formulario de inscripción anterior: «acepta compartir sus registros con los socios "
        "de derivación».",
    ),
}


def forwards(apps, schema_editor):
    ConsentText = apps.get_model("consents", "ConsentText")
    Consent = apps.get_model("consents", "Consent")
    Participant = apps.get_model("participants", "Participant")
    old_texts = {
        box: ConsentText.objects.create(kind=kind, version=1, body_en=english, body_es=spanish)
        for box, (kind, english, spanish) in OLD_BOXES.items()
    }
    migrated_kinds = {kind for kind, _english, _spanish in OLD_BOXES.values()}
    for kind, (english, spanish) in FIRST_TEXTS.items():
        version = 2 if kind in migrated_kinds else 1
        ConsentText.objects.create(kind=kind, version=version, body_en=english, body_es=spanish)
    rows = Participant.objects.values_list(
        "pk", "enrolled_at", "enrolled_site_id", "created_by_id", *OLD_BOXES
    )
    batch = []
    for pk, enrolled_at, site_id, created_by_id, *ticked in rows.iterator():
        for box, was_ticked in zip(OLD_BOXES, ticked, strict=True):
            if was_ticked:
                batch.append(
                    Consent(
                        participant_id=pk,
                        kind=OLD_BOXES[box][0],
                        text=old_texts[box],
                        language="en",
                        decision="given",
                        how="old_form",
                        recorded_at=enrolled_at,
                        recorded_by_id=created_by_id,
                        site_id=site_id,
                    )
                )
        if len(batch) >= 2000:
            Consent.objects.bulk_create(batch)
            batch = []
    Consent.objects.bulk_create(batch)


def backwards(apps, schema_editor):
    apps.get_model("consents", "Consent").objects.all().delete()
    apps.get_model("consents", "ConsentText").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("consents", "0001_initial"),
        ("participants", "0002_participant_first_naloxone_at"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
