"""The redisclosure notice of 42 CFR 2.32, for documents that carry participant records.

In Part 2 mode (the HAVEN_PART2_MODE setting) the program is a federally
assisted substance use disorder program: every disclosure of a participant's
records carries this notice (haven/consents), and so does every document or
file that can take participant records out of the program: the participant's
card and own summary, the accounting of disclosures, referral details, and the
audit log's exports. Outside Part 2 mode the notice would claim a protection
that does not apply, so nothing prints it.
"""

from django.conf import settings
from django.utils.translation import gettext_lazy as _

# The notice of 42 CFR 2.32(a)(1), as amended in 2024.
NOTICE = _(
    "This record which has been disclosed to you is protected by Federal confidentiality "
    "rules (42 CFR part 2). These rules prohibit you from using or disclosing this record, "
    "or testimony that describes the information contained in this record, in any civil, "
    "criminal, administrative, or legislative proceedings by any Federal, State, or local "
    "authority, against the patient, unless authorized by the consent of the patient, "
    "except as provided at 42 CFR 2.12(c)(5) or as authorized by a court in accordance with "
    "42 CFR 2.64 or 2.65. In addition, the Federal rules prohibit you from making any other "
    "use or disclosure of this record unless at least one of the following applies: "
    "further use or disclosure is expressly permitted by the written consent of the "
    "individual whose information is being disclosed in this record or as otherwise "
    "permitted by 42 CFR part 2; you are a covered entity or business associate and have "
    "received the record for treatment, payment, or health care operations; or you have "
    "received the record from a covered entity or business associate as permitted by 45 CFR "
    "part 164, subparts A and E. A general authorization for the release of medical or "
    "other information is NOT sufficient to meet the required elements of written consent "
    "to further use or redisclose the record (see 42 CFR 2.31)."
)


def part2_mode():
    return settings.HAVEN_PART2_MODE


def notice():
    """The notice, in the active language, or "" outside Part 2 mode."""
    return str(NOTICE) if part2_mode() else ""
