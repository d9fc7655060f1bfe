#!/usr/bin/env bash
# Run the whole test suite (extra arguments go to pytest instead of the defaults).
source "$(dirname "$0")/bootstrap.sh"
exec .venv/bin/python scripts/launch.py test "$@"
