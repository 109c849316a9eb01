"""Every API input refuses a number or yes/no answer of the wrong type (docs/api.md),
and text with a NUL in it.

The schemas are found by walking StrictSchema's subclasses, and the fields by
their JSON schema, so an input added tomorrow is checked tomorrow.
"""

import pytest
from pydantic import ValidationError

import haven.api.api  # noqa: F401 - imports every router, and so every input schema
from haven.api.schemas import StrictSchema

WRONG = {
    "integer": ["1", True, 1.0, "2"],
    "boolean": [0, 1, "true", "yes"],
    # PostgreSQL cannot store a NUL: every text field refuses it, naming itself.
    "text": ["a\x00b"],
}


def subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from subclasses(sub)


def kinds(schema, definitions):
    """The JSON types a property accepts (through $ref and anyOf)."""
    if "$ref" in schema:
        return kinds(definitions[schema["$ref"].rsplit("/", 1)[1]], definitions)
    if "anyOf" in schema:
        return {kind for part in schema["anyOf"] for kind in kinds(part, definitions)}
    if schema.get("type") == "string" and "format" not in schema and "enum" not in schema:
        return {"text"}
    return {schema.get("type")}


def typed_fields():
    for schema in subclasses(StrictSchema):
        document = schema.model_json_schema()
        definitions = document.get("$defs", {})
        for name, field in document["properties"].items():
            for kind in kinds(field, definitions) & set(WRONG):
                yield schema, name, kind, False
            items = field.get("items")
            if field.get("type") == "array" and items:
                for kind in kinds(items, definitions) & set(WRONG):
                    yield schema, name, kind, True


FIELDS = list(typed_fields())


def test_the_sweep_found_the_inputs():
    names = {(schema.__name__, name) for schema, name, _kind, _list in FIELDS}
    assert ("ContactIn", "site") in names
    assert ("OverdoseReportIn", "stayed_with_person") in names
    assert ("ContactIn", "services") in names
    assert ("ContactIn", "note") in names


@pytest.mark.parametrize(
    ("schema", "name", "kind", "in_list"),
    FIELDS,
    ids=[f"{s.__name__}.{n}" for s, n, _k, _l in FIELDS],
)
def test_a_value_of_the_wrong_type_is_refused(schema, name, kind, in_list):
    for value in WRONG[kind]:
        with pytest.raises(ValidationError) as refused:
            schema.model_validate({name: [value] if in_list else value})
        at_fault = {error["loc"][: 2 if in_list else 1] for error in refused.value.errors()}
        expected = (name, 0) if in_list else (name,)
        assert expected in at_fault, f"{schema.__name__}.{name} accepted {value!r}"
