import datetime

import pytest

from haven.participants import uic


def test_default_recipe_builds_mother_letters_day_and_year(settings):
    settings.UIC_RECIPE = ["mother_first_name:2", "birth_day", "birth_year"]
    code = uic.build({"mother_first_name": "maría", "birth_date": datetime.date(1988, 7, 5)})
    assert code == "MA051988"


def test_recipe_is_configurable(settings):
    settings.UIC_RECIPE = ["father_first_name:3", "birth_month", "birth_year:2"]
    answers = {"father_first_name": "José Luis", "birth_date": datetime.date(1975, 11, 30)}
    assert uic.build(answers) == "JOS1175"
    assert uic.fields_needed() == ["father_first_name", "birth_date"]


def test_short_names_are_padded_not_refused():
    answers = {"mother_first_name": "A", "birth_date": datetime.date(2000, 1, 9)}
    assert uic.build(answers, ["mother_first_name:2", "birth_day"]) == "A909"


def test_missing_answers_name_the_field():
    with pytest.raises(uic.UICError) as error:
        uic.build({"mother_first_name": "123"}, ["mother_first_name:2"])
    assert error.value.field == "mother_first_name"
    with pytest.raises(uic.UICError) as error:
        uic.build({"mother_first_name": "Ana"}, ["mother_first_name:2", "birth_day"])
    assert error.value.field == "birth_date"


def test_future_birth_date_is_refused():
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    with pytest.raises(uic.UICError, match="future"):
        uic.build({"birth_date": tomorrow}, ["birth_year"])


def test_unknown_recipe_part_is_refused_loudly():
    with pytest.raises(ValueError, match="shoe_size"):
        uic.parse_recipe(["shoe_size"])
