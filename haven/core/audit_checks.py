"""Checking the audit log's chain, and keeping signed checkpoints of it off the database.

The chain (haven/core/chain.py) has no secret: whoever owns the database can
switch its triggers off, edit an entry and recompute every later hash. A
checkpoint (the sequence number and hash of the last entry, at a time) kept
where the database's owner cannot write, and signed with a key the database
does not hold, turns such a rewrite into a mismatch at the next check.

`check()` walks the whole chain and compares it with every checkpoint kept so
far; the scheduled task (haven/core/tasks.py) runs it and, when the log holds,
appends a new signed checkpoint to the checkpoint file
(settings.HAVEN_AUDIT_CHECKPOINT_FILE) and writes the same line to the log, for
programs that ship their logs elsewhere. Each check's result is one JSON line
of that file, so the audit log page can say when the log was last found intact.
"""

import datetime
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from . import chain
from .models import AuditEntry

logger = logging.getLogger(__name__)

SALT = "haven.core.audit_checks.checkpoint"


def _key():
    return settings.HAVEN_AUDIT_CHECKPOINT_KEY or settings.SECRET_KEY


def signature(sequence, entry_hash, checked_at):
    message = f"{sequence}:{entry_hash}:{checked_at}"
    return salted_hmac(SALT, message, secret=_key(), algorithm="sha256").hexdigest()


@dataclass
class Checkpoint:
    sequence: int
    entry_hash: str
    checked_at: str  # ISO time, as signed

    def is_signed_by_us(self, given_signature):
        return constant_time_compare(
            given_signature, signature(self.sequence, self.entry_hash, self.checked_at)
        )


@dataclass
class Result:
    checked_at: str
    count: int = 0
    last_hash: str = chain.GENESIS
    problems: list = field(default_factory=list)

    @property
    def intact(self):
        return not self.problems


def _describe(problem):
    if isinstance(problem, chain.Break):
        return (
            f"entry id {problem.id} (sequence {problem.sequence}, "
            f"{problem.at:%Y-%m-%d %H:%M:%S %Z}): {problem.reason}"
        )
    return problem


def checkpoint_file():
    return Path(settings.HAVEN_AUDIT_CHECKPOINT_FILE)


def read_lines(path=None):
    """Every line of the checkpoint file as a dict; a line that is not JSON is a problem."""
    path = path or checkpoint_file()
    if not path.exists():
        return [], []
    lines, problems = [], []
    for number, text in enumerate(path.read_text().splitlines(), start=1):
        if not text.strip():
            continue
        try:
            line = json.loads(text)
            if not isinstance(line, dict):
                raise ValueError
        except ValueError:
            problems.append(f"{path}, line {number}: not a checkpoint line")
            continue
        lines.append(line)
    return lines, problems


def kept_checkpoints(path=None):
    """The signed checkpoints of the file, and a problem for each line that is forged."""
    lines, problems = read_lines(path)
    checkpoints = []
    for line in lines:
        if "sequence" not in line:
            continue  # a failed check's record: no checkpoint
        try:
            checkpoint = Checkpoint(int(line["sequence"]), line["hash"], line["checked_at"])
            signed = checkpoint.is_signed_by_us(line["signature"])
        except (KeyError, TypeError, ValueError):
            signed = False
        if not signed:
            problems.append(
                f"checkpoint line {json.dumps(line)[:120]} is not signed with this "
                "program's key: it was written or changed by someone else"
            )
            continue
        checkpoints.append(checkpoint)
    return checkpoints, problems


def check(extra_checkpoints=(), path=None):
    """Walk the chain and hold it against every kept checkpoint (and `extra_checkpoints`,
    pairs of sequence and hash given by hand)."""
    result = Result(checked_at=timezone.now().isoformat(timespec="seconds"))
    rows = AuditEntry.objects.order_by("sequence").values(*chain.FIELDS).iterator(2000)
    result.count, result.last_hash, breaks = chain.verify(rows)
    result.problems = [_describe(problem) for problem in breaks]
    checkpoints, forged = kept_checkpoints(path)
    result.problems += forged
    pairs = [(c.sequence, c.entry_hash) for c in checkpoints] + list(extra_checkpoints)
    stored = dict(
        AuditEntry.objects.filter(sequence__in={sequence for sequence, _ in pairs}).values_list(
            "sequence", "entry_hash"
        )
    )
    for sequence, expected_hash in pairs:
        if sequence not in stored:
            result.problems.append(f"checkpoint {sequence}: there is no entry {sequence} any more")
        elif stored[sequence] != expected_hash:
            result.problems.append(f"checkpoint {sequence}: entry {sequence} has a different hash")
    return result


def record(result, path=None):
    """Append the result of a check to the checkpoint file, signed, and log it."""
    path = path or checkpoint_file()
    if result.intact:
        line = {
            "checked_at": result.checked_at,
            "sequence": result.count,
            "hash": result.last_hash,
            "signature": signature(result.count, result.last_hash, result.checked_at),
        }
        logger.info("Audit log intact: checkpoint %s", json.dumps(line))
    else:
        line = {"checked_at": result.checked_at, "broken": result.problems[0]}
        logger.error(
            "Audit log broken: %s (%d problem(s) in %d entries)",
            result.problems[0],
            len(result.problems),
            result.count,
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as checkpoints:
        checkpoints.write(json.dumps(line) + "\n")


@dataclass
class LastCheck:
    checked_at: datetime.datetime
    intact: bool
    count: int | None
    problem: str


def last_check(path=None):
    """What the last recorded check found, for the audit log page; None if never checked."""
    path = path or checkpoint_file()
    if not path.exists():
        return None
    # The file grows by a line a check: the page reads only its end.
    with path.open("rb") as kept:
        kept.seek(max(0, path.stat().st_size - 4096))
        lines = [line for line in kept.read().splitlines() if line.strip()]
    try:
        line = json.loads(lines[-1])
        checked_at = datetime.datetime.fromisoformat(line["checked_at"])
    except (IndexError, KeyError, TypeError, ValueError):
        return None
    return LastCheck(
        checked_at=checked_at,
        intact="broken" not in line,
        count=line.get("sequence"),
        problem=line.get("broken", ""),
    )
