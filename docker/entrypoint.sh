#!/bin/sh
set -e
python manage.py wait_for_db --timeout "${DB_WAIT_SECONDS:-60}"
python manage.py migrate --noinput
python manage.py collectstatic --noinput --verbosity 0
exec gunicorn booking_site.wsgi:application \
    --bind "0.0.0.0:${PORT:-8000}" \
    --workers "${GUNICORN_WORKERS:-3}" \
    --access-logfile - \
    --logger-class booking_site.gunicorn.RedactingLogger \
    --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-*}"
