# Setup for the deployer's tests (sourced by scripts/test.sh; never exits).
# The deployer's integration tests start their own moto_server on a loopback port, so CI needs
# moto's server extra. moto_server has no --version flag (pip_install's probe), so the probe here
# is `moto_server --help`: install only when that fails, then require that it works.
if ! moto_server --help >/dev/null 2>&1; then
    pip_install moto_server 'moto[server]'
fi
if ! moto_server --help >/dev/null 2>&1; then
    echo "error: 'moto_server --help' fails after installing moto[server]; the deployer tests need it" >&2
    return 1
fi
MOTO_SERVER=$(command -v moto_server)
export MOTO_SERVER

# The AWS CLI for the credential step of `scripts/deploy.sh --plan` (the moto test asserts its
# "deploying as" line). A pip awscli next to moto's botocore breaks (ImportError: awscli 1.x pins
# its own botocore), so it lives in its own venv, and only its `aws` is put on PATH (through a
# directory holding just that link), never the venv's python or pip.
AWSCLI_VENV="${AWSCLI_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/hwdash-awscli}"
if ! "$AWSCLI_VENV/bin/aws" --version >/dev/null 2>&1; then
    echo "installing the AWS CLI into $AWSCLI_VENV"
    python3 -m venv --clear "$AWSCLI_VENV" \
        && "$AWSCLI_VENV/bin/python" -m pip install --quiet --disable-pip-version-check 'awscli>=1.32,<2'
fi
if ! "$AWSCLI_VENV/bin/aws" --version >/dev/null 2>&1; then
    echo "error: the AWS CLI in $AWSCLI_VENV does not run; the deploy.sh --plan test needs it" >&2
    return 1
fi
mkdir -p "$AWSCLI_VENV/only-aws"
ln -sfn "$AWSCLI_VENV/bin/aws" "$AWSCLI_VENV/only-aws/aws"
DEPLOYER_AWS_CLI_DIR="$AWSCLI_VENV/only-aws"
export DEPLOYER_AWS_CLI_DIR
