from django.core.exceptions import NON_FIELD_ERRORS


def add_action_errors(form, error):
    """Show an action's ValidationError next to the fields it names.

    Errors for things the form has no field for (e.g. "supplies" when
    quantities are many inputs) go to the top of the form.
    """
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, messages in error.message_dict.items():
        target = name if name in form.fields else None
        if name == NON_FIELD_ERRORS:
            target = None
        for message in messages:
            form.add_error(target, message)
