"""Background jobs: each a thin call of a service (DESIGN.md)."""

from django_tasks import task

from notifications import services


@task()
def deliver_mail(mail_id: int) -> str:
    return services.deliver(mail_id)


@task()
def sweep_outbox() -> int:
    return services.sweep()


@task()
def clear_expired_sessions() -> None:
    services.clear_expired_sessions()


@task()
def prune_finished_work() -> int:
    return services.prune()
