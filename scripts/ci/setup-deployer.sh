# Setup for the deployer's tests (sourced by scripts/test.sh; never exits).
# The deployer's integration tests start their own moto_server on a loopback port, from a venv
# of their own with the versions they were verified against pinned: moto answers from
# botocore's service models, so the image's moto 5.2.1 behaves differently under the image's
# botocore 1.43 (two tests fail) than under 1.35, and anything pip installs into the system
# Python can change that botocore under it. moto_server has no --version flag, so the probe is
# `moto_server --help`. The tests find this venv by itself too (a plain `cargo test` after one
# run of this script), else $MOTO_SERVER, else the moto_server on PATH.
MOTO_VENV="${MOTO_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/hwdash-moto}"
if ! "$MOTO_VENV/bin/moto_server" --help >/dev/null 2>&1; then
    echo "installing moto[server] 5.2.1 (botocore 1.35) into $MOTO_VENV"
    python3 -m venv --clear "$MOTO_VENV" \
        && "$MOTO_VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
            'moto[server]==5.2.1' 'botocore==1.35.99' 'boto3==1.35.49'
fi
if ! "$MOTO_VENV/bin/moto_server" --help >/dev/null 2>&1; then
    echo "error: '$MOTO_VENV/bin/moto_server --help' fails after installing moto[server]; the deployer tests need it" >&2
    return 1
fi
MOTO_SERVER="$MOTO_VENV/bin/moto_server"
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
