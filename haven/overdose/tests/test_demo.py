import io

from django.core.management import call_command

from haven.overdose.actions import do_detect_spikes
from haven.overdose.models import Area, DrugAlert, DrugCheck, NaloxoneDistribution, OverdoseReport

SMALL = {"participants": 40, "contacts": 300, "days": 30, "stdout": io.StringIO()}


def test_demo_program_has_overdose_records_and_a_spike_to_find(db):
    call_command("load_demo_data", **SMALL)
    assert Area.objects.filter(code="85281").exists()
    assert OverdoseReport.objects.count() == 127
    assert DrugCheck.objects.count() == 150
    assert NaloxoneDistribution.objects.exists()
    assert DrugAlert.objects.current().public().count() == 1
    flagged = {flag.area.code for flag in do_detect_spikes(notify=False) if flag.area}
    assert "rio-salado" in flagged
