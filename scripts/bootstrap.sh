# Sourced by scripts/run.sh and scripts/test.sh: a virtualenv with the pinned requirements
# (requirements-test.txt: production + the embedded servers + the test tools).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# The interpreter: PYTHON if set; else the distribution's Python 3.11 where it has one with venv
# (Debian builds it with profile-guided and link-time optimisation: a 20-million-step loop takes
# 1.3 s against 1.9 s for a plain source build of 3.11, such as pyenv's, and the test suite's
# processes are mostly Python); else python3.
if [ -z "${PYTHON:-}" ]; then
  PYTHON=python3
  if [ -x /usr/bin/python3.11 ] && /usr/bin/python3.11 -c "import ensurepip, venv" 2>/dev/null; then
    PYTHON=/usr/bin/python3.11
  fi
fi
# A virtualenv made from another interpreter than the one chosen is made again.
interpreter='import sys; print(sys.base_prefix, sys.version_info[:2])'
chosen=$("$PYTHON" -c "$interpreter")
if [ -x .venv/bin/python ] && [ "$(.venv/bin/python -c "$interpreter" 2>/dev/null)" != "$chosen" ]; then
  rm -rf .venv
fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.requirements.sha
want=$(cat requirements.txt requirements-dev.txt requirements-test.txt | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r requirements-test.txt
  echo "$want" > "$stamp"
fi
