#!/bin/sh
# One image, three roles: web (default), worker (the task backend's worker) and
# scheduler (enqueues the periodic jobs). Only web migrates and collects static files.
set -e
python manage.py wait_for_db --timeout "${DB_WAIT_SECONDS:-60}"
case "${1:-web}" in
    worker) exec python manage.py run_worker ;;
    scheduler) exec python manage.py run_scheduler ;;
    web) ;;
    *) exec "$@" ;;
esac
python manage.py migrate --noinput
python manage.py collectstatic --noinput --verbosity 0
exec gunicorn booking_site.wsgi:application \
    --bind "0.0.0.0:${PORT:-8000}" \
    --workers "${GUNICORN_WORKERS:-3}" \
    --access-logfile - \
    --logger-class booking_site.gunicorn.RedactingLogger \
    --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-*}"
