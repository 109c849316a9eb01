"""Background tasks of the resource directory, run by `manage.py db_worker`."""

from django_tasks import task

from .actions import run_queued_import


@task()
def import_directory(batch_id):
    """Import a checked CSV into the directory; the counts (new, filled in, skipped)."""
    batch = run_queued_import(batch_id)
    return {
        "status": batch.status,
        "created": batch.created_count,
        "updated": batch.updated_count,
        "skipped": batch.skipped_count,
    }
