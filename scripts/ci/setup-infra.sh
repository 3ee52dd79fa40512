# Installs what the infrastructure checks need (sourced by scripts/test.sh and by the
# check-infra / check-images scripts, so each also runs alone). Idempotent.
#
#   checkov            PyPI, on PATH: static analysis of infra/terraform
#   python-hcl2+pytest in their own venv: checkov depends on bc-python-hcl2, which installs a
#                      different package under the same import name `hcl2`, so the two must
#                      not share site-packages. Exports INFRA_PYTHON.
#   podman, runc       Debian: builds and runs the images (scripts/ci/check-images.sh).
#                      Exports CONTAINERS_CONF (the settings that work here, see
#                      ../shared/ENVIRONMENT.md).
# terraform itself is part of the machine image.

apt_install podman runc
pip_install checkov checkov

INFRA_VENV="${INFRA_VENV:-$HOME/.cache/hwdash-infra-venv}"
if ! "$INFRA_VENV/bin/python" -c 'import hcl2, pytest' >/dev/null 2>&1; then
    echo "creating $INFRA_VENV (python-hcl2, pytest)"
    python3 -m venv "$INFRA_VENV"
    "$INFRA_VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        'python-hcl2>=8.1,<9' 'pytest>=8,<10'
fi
export INFRA_PYTHON="$INFRA_VENV/bin/python"

use_containers_conf
