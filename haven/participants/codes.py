"""Participant card codes.

A card code is six random characters and one check character, written as
``ABCD-EFG``: seven characters in two groups. The
alphabet has 31 symbols: digits 2-9 and letters without I, L and O, so that
0/O and 1/I/L can never be confused when a code is read aloud or typed.

The check character makes the weighted sum of all seven symbol values,
with weights 1..7, divisible by 31. Because 31 is prime and the weights are
distinct and non-zero modulo 31, any single wrong character changes the sum
by w*(a-b) != 0 and any swap of two neighbours by (w1-w2)*(a-b) != 0, so
every such mistake is caught (the same idea as ISO 7064 pure systems).
"""

import secrets

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
MODULUS = len(ALPHABET)  # 31, a prime
BODY_LENGTH = 6
CODE_LENGTH = BODY_LENGTH + 1
_ZERO_OR_O = gettext_lazy("O or 0")
_ONE_I_OR_L = gettext_lazy("1, I or L")
CONFUSABLE = {
    "0": _ZERO_OR_O,
    "O": _ZERO_OR_O,
    "1": _ONE_I_OR_L,
    "I": _ONE_I_OR_L,
    "L": _ONE_I_OR_L,
}
_VALUES = {symbol: value for value, symbol in enumerate(ALPHABET)}


class CardCodeError(ValueError):
    pass


def _weighted_sum(symbols):
    return sum(weight * _VALUES[symbol] for weight, symbol in enumerate(symbols, start=1))


def check_character(body):
    """The symbol that makes the weighted sum of body + check divisible by 31."""
    weight = len(body) + 1
    # Solve weight * check = -sum (mod 31) with the modular inverse of weight.
    check_value = (-_weighted_sum(body) * pow(weight, -1, MODULUS)) % MODULUS
    return ALPHABET[check_value]


def generate(rng=None):
    """A new random code. `rng` (a random.Random) makes demo data repeatable."""
    choice = rng.choice if rng is not None else secrets.choice
    body = "".join(choice(ALPHABET) for _ in range(BODY_LENGTH))
    return body + check_character(body)


def normalise(text):
    """Upper-case and drop spaces and dashes, as people type codes."""
    return "".join(text.split()).replace("-", "").upper()


def validate(text):
    """Return the normalised code, or raise CardCodeError saying what is wrong."""
    code = normalise(text)
    typed = text.strip()
    if len(code) != CODE_LENGTH:
        raise CardCodeError(
            _("A card code has %(length)s characters; “%(typed)s” has %(count)s.")
            % {"length": CODE_LENGTH, "typed": typed, "count": len(code)}
        )
    for symbol in code:
        if symbol not in _VALUES:
            if symbol in CONFUSABLE:
                raise CardCodeError(
                    _(
                        "“%(typed)s” has “%(symbol)s”, which card codes never use "
                        "(they avoid %(avoided)s). Check the card again."
                    )
                    % {"typed": typed, "symbol": symbol, "avoided": CONFUSABLE[symbol]}
                )
            raise CardCodeError(
                _("“%(typed)s” has “%(symbol)s”, which card codes never use.")
                % {"typed": typed, "symbol": symbol}
            )
    if _weighted_sum(code) % MODULUS != 0:
        raise CardCodeError(
            _(
                "“%(code)s” is not a valid card code: it has a typo "
                "(a wrong or swapped character). Check the card again."
            )
            % {"code": format_code(code)}
        )
    return code


def is_valid(text):
    try:
        validate(text)
    except CardCodeError:
        return False
    return True


def format_code(code):
    """ABCDEFG -> ABCD-EFG, easier to read aloud."""
    return f"{code[:4]}-{code[4:]}" if len(code) == CODE_LENGTH else code


def messages_for_the_phone():
    """What the field app's scripts say about a typed card code, checked on the phone."""
    return {
        "code_length": _("A card code has %(length)s characters; “%(typed)s” has %(count)s."),
        "code_symbol": _("“%(typed)s” has “%(symbol)s”, which card codes never use."),
        "code_typo": _(
            "“%(code)s” is not a valid card code: it has a typo "
            "(a wrong or swapped character). Check the card again."
        ),
    }
