#!/usr/bin/env bash
# Set up and run the whole system with demo data: web (gunicorn), worker and beat.
source "$(dirname "$0")/bootstrap.sh"
exec .venv/bin/python scripts/launch.py run
