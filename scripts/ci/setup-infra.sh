# Installs what the infrastructure checks need (sourced by scripts/test.sh and by the
# check-infra / check-images scripts, so each also runs alone). Idempotent.
#
#   checkov            PyPI, in its own venv (exports CHECKOV, its path): static analysis of
#                      infra/terraform. Not in the system Python: it pins boto3 and botocore,
#                      and installed there it downgrades the botocore of the image's AWS CLI,
#                      after which `aws` (and a plain `cargo test` of the deploy.sh --plan
#                      test, which falls back to it) fails with an ImportError.
#   python-hcl2+pytest in their own venv: checkov depends on bc-python-hcl2, which installs a
#                      different package under the same import name `hcl2`, so the two must
#                      not share site-packages. Exports INFRA_PYTHON.
#   podman, runc       Debian: builds and runs the images (scripts/ci/check-images.sh).
#                      Exports CONTAINERS_CONF (the settings that work here, see
#                      ../shared/ENVIRONMENT.md).
# terraform itself is part of the machine image.

apt_install podman runc
CHECKOV_VENV="${CHECKOV_VENV:-$HOME/.cache/hwdash-checkov}"
if ! "$CHECKOV_VENV/bin/checkov" --version >/dev/null 2>&1; then
    echo "installing checkov into $CHECKOV_VENV"
    python3 -m venv --clear "$CHECKOV_VENV" \
        && "$CHECKOV_VENV/bin/python" -m pip install --quiet --disable-pip-version-check 'checkov>=3.2,<4'
fi
"$CHECKOV_VENV/bin/checkov" --version >/dev/null 2>&1 || { echo "error: checkov in $CHECKOV_VENV does not run" >&2; return 1; }
export CHECKOV="$CHECKOV_VENV/bin/checkov"

INFRA_VENV="${INFRA_VENV:-$HOME/.cache/hwdash-infra-venv}"
if ! "$INFRA_VENV/bin/python" -c 'import hcl2, pytest' >/dev/null 2>&1; then
    echo "creating $INFRA_VENV (python-hcl2, pytest)"
    python3 -m venv "$INFRA_VENV"
    "$INFRA_VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        'python-hcl2>=8.1,<9' 'pytest>=8,<10'
fi
export INFRA_PYTHON="$INFRA_VENV/bin/python"

use_containers_conf
