# What the checks that run the real hashicorp/aws 5.100.0 provider against moto share
# (check-terraform-provider.sh, check-terraform-moves.sh). Sourced after lib.sh and
# setup-infra.sh / setup-deployer.sh (INFRA_PYTHON, MOTO_SERVER); defines functions only.

# tf5_mirror CHECK: sets MIRROR to the provider's filesystem-mirror directory (TF_PROVIDER_MIRROR,
# /opt/tf-plugins, or wherever the binary is on this machine); fails CHECK loudly without it.
tf5_mirror() {
    MIRROR="${TF_PROVIDER_MIRROR:-/opt/tf-plugins}"
    [ -x "$MIRROR/registry.terraform.io/hashicorp/aws/5.100.0/linux_amd64/terraform-provider-aws_v5.100.0_x5" ] && return 0
    local found
    found=$(find / -name 'terraform-provider-aws_v5.100.0*' -not -path '/proc/*' 2>/dev/null | head -n1 || true)
    if [ -z "$found" ]; then
        echo "$1: FAILED: no hashicorp/aws 5.100.0 provider in $MIRROR or anywhere on this machine;" >&2
        echo "  this check needs the real provider binary (set TF_PROVIDER_MIRROR to its filesystem-mirror directory)" >&2
        exit 1
    fi
    MIRROR=${found%/registry.terraform.io/*}
}

# tf5_copy PROVIDER5_PY DEST: the copy of infra/terraform that 5.100.0 loads (made by that
# tree's infra/tests/provider5.py), pointed at moto, initialised from MIRROR.
tf5_copy() {
    "$INFRA_PYTHON" "$1" "$2"
    cat >"$2/provider_override.tf" <<'TF'
# Only for the offline check: moto accepts any credentials.
provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIDMOTO"
  secret_key                  = "secret"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
}
TF
    TF_CLI_CONFIG_FILE=/dev/null TF_IN_AUTOMATION=1 terraform -chdir="$2" init -backend=false \
        -input=false -no-color -plugin-dir="$MIRROR" >"$2/init.log" 2>&1 \
        || { cat "$2/init.log" >&2; echo "FAILED: terraform init in $2" >&2; exit 1; }
}

# start_moto LOG: a moto server on a port it binds itself (port 0); sets MOTO_PID (for the
# caller's cleanup) and exports AWS_ENDPOINT_URL. Waits at most 30 s.
start_moto() {
    "$MOTO_SERVER" -H 127.0.0.1 -p 0 2>"$1" &
    MOTO_PID=$!
    local endpoint=""
    for _ in $(seq 1 150); do
        endpoint=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$1" | head -n1 || true)
        [ -n "$endpoint" ] && break
        sleep 0.2
    done
    [ -n "$endpoint" ] || { cat "$1" >&2; echo "FAILED: moto did not start within 30 s" >&2; exit 1; }
    export AWS_ENDPOINT_URL="$endpoint"
}
