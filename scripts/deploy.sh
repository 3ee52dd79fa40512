#!/usr/bin/env bash
# Deploys the dashboard to AWS: build the three images, push them to ECR tagged with the git
# commit, terraform apply (which also rolls out metrics), release the new portal and hardware
# images with infra/deployer (ECS blue/green for portal), then wait until the services run
# healthy and the dashboard serves data.
# Safe to run again after a failure at any step: an image whose content is already in ECR is
# neither pushed nor released again, terraform applies only differences, releasing the
# running image changes nothing, and the wait is repeated every time.
#
# docs/deploy.md explains the first deployment (state bucket, backend.hcl) and operations.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TF_DIR="$ROOT/infra/terraform"
DOCKERFILE="$ROOT/infra/docker/Dockerfile"
SERVICES=(portal hardware metrics)
RUST_TARGET=x86_64-unknown-linux-gnu

usage() {
    cat <<'EOF'
Usage: scripts/deploy.sh [OPTIONS]

Builds the portal, hardware and metrics images, pushes them to ECR tagged with the current git
commit (never `latest`), runs `terraform apply` in infra/terraform (which rolls out metrics and
waits for it to be steady), releases portal and hardware with `deployer release` (blue/green
for portal, rolling for hardware), and waits until every service runs its desired count of
healthy tasks and the dashboard serves a page with data.
It reports success only then; a service that never gets there fails the run, naming it, the
stopped tasks' reasons and its last log lines. An image whose content (binary, CA bundle,
image files) is already in ECR is reused: not pushed, not released again.

Options (each also readable from the environment variable shown):
  --env NAME             Deploy the environment NAME (e.g. staging, production): variables
                         from infra/terraform/environments/NAME.tfvars (which sets the stack
                         `name`), state under key hwdash/NAME.tfstate of the backend, and a
                         separate .terraform-NAME directory, so environments never share
                         state or names.                                      [DEPLOY_ENV]
  --plan                 Change nothing: check prerequisites, print every step, run
                         `terraform plan` when the providers are installed, and run
                         `deployer verify` and `deployer release --dry-run`.   [DEPLOY_PLAN=1]
  --allow-dirty          Deploy a working tree with uncommitted changes; the tag becomes
                         <commit>-dirty-<unix time>, so it never overwrites a real commit's
                         image.                                               [DEPLOY_ALLOW_DIRTY=1]
  --yes                  Do not ask before `terraform apply` (for CI).        [DEPLOY_YES=1]
  --region REGION        AWS region.                      [AWS_REGION, default us-east-1]
  --backend-config FILE  S3 backend settings for `terraform init`.
                         [TF_BACKEND_CONFIG, default infra/terraform/backend.hcl]
  --var-file FILE        Extra Terraform variables (certificate, scaling target, ...).
                         [TF_VAR_FILE, default infra/terraform/terraform.tfvars if present]
  --engine NAME          Container engine: docker or podman.
                         [CONTAINER_ENGINE, default: docker if present, else podman]
  --builder WHERE        Where the Rust binaries are compiled: `local` (cargo on this
                         x86_64 Linux host, fast and cached) or `image` (the Dockerfile's
                         builder stage on the official Rust image; works on any host).
                         [DEPLOY_BUILDER, default local on x86_64 Linux, else image]
  --wait-timeout DURATION
                         How long to wait for the services to become healthy after the
                         apply and the releases (e.g. 900s, 15m).
                                                    [DEPLOY_WAIT_TIMEOUT, default 15m]
  --keep-revisions N     Task definition revisions kept ACTIVE per service (older ones are
                         deregistered, never the running one); the images they use are
                         tagged release-<tag> and never expire in ECR.
                                                    [DEPLOY_KEEP_REVISIONS, default 20]
  -h, --help             Show this help.

Environment:
  AWS_PROFILE, AWS_ACCESS_KEY_ID, ...  credentials, as for the aws CLI.
  AWS_ENDPOINT_URL                     sends every AWS call (aws CLI, terraform, deployer)
                                       to another endpoint, e.g. a moto server in tests.

Exit status: 0 when everything (or, with --plan, every check) succeeded; 1 otherwise; 2 for
a usage error.
EOF
}

# --- options -----------------------------------------------------------------------------------

truthy() { case "${1:-}" in 1 | true | yes) return 0 ;; *) return 1 ;; esac; }

PLAN=0; truthy "${DEPLOY_PLAN:-}" && PLAN=1
ALLOW_DIRTY=0; truthy "${DEPLOY_ALLOW_DIRTY:-}" && ALLOW_DIRTY=1
YES=0; truthy "${DEPLOY_YES:-}" && YES=1
REGION="${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}"
BACKEND_CONFIG="${TF_BACKEND_CONFIG:-$TF_DIR/backend.hcl}"
VAR_FILE="${TF_VAR_FILE:-}"
ENGINE="${CONTAINER_ENGINE:-}"
BUILDER="${DEPLOY_BUILDER:-}"
ENV_NAME="${DEPLOY_ENV:-}"
WAIT_TIMEOUT="${DEPLOY_WAIT_TIMEOUT:-15m}"
KEEP_REVISIONS="${DEPLOY_KEEP_REVISIONS:-20}"

usage_error() {
    echo "deploy.sh: $*" >&2
    echo "Try 'scripts/deploy.sh --help'." >&2
    exit 2
}

need_value() { [ $# -ge 2 ] && [ -n "$2" ] || usage_error "$1 needs a value"; }

while [ $# -gt 0 ]; do
    case "$1" in
        --plan | --dry-run) PLAN=1 ;;
        --allow-dirty) ALLOW_DIRTY=1 ;;
        --yes | -y) YES=1 ;;
        --region) need_value "$@"; REGION=$2; shift ;;
        --backend-config) need_value "$@"; BACKEND_CONFIG=$2; shift ;;
        --var-file) need_value "$@"; VAR_FILE=$2; shift ;;
        --engine) need_value "$@"; ENGINE=$2; shift ;;
        --builder) need_value "$@"; BUILDER=$2; shift ;;
        --env) need_value "$@"; ENV_NAME=$2; shift ;;
        --wait-timeout) need_value "$@"; WAIT_TIMEOUT=$2; shift ;;
        --keep-revisions) need_value "$@"; KEEP_REVISIONS=$2; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage_error "unknown option '$1'" ;;
    esac
    shift
done

[[ "$REGION" =~ ^[a-z]{2}(-[a-z]+)+-[0-9]+$ ]] || usage_error "'$REGION' is not an AWS region (e.g. us-east-1)"
export AWS_REGION="$REGION"

if [ -z "$ENGINE" ]; then
    if command -v docker >/dev/null 2>&1; then ENGINE=docker; else ENGINE=podman; fi
fi
case "$ENGINE" in docker | podman) ;; *) usage_error "--engine must be docker or podman, not '$ENGINE'" ;; esac

if [ -z "$BUILDER" ]; then
    if [ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ]; then BUILDER=local; else BUILDER=image; fi
fi
case "$BUILDER" in local | image) ;; *) usage_error "--builder must be local or image, not '$BUILDER'" ;; esac

[[ "$WAIT_TIMEOUT" =~ ^[0-9]+(s|m|h)?$ ]] || usage_error "--wait-timeout must be a duration like 900s or 15m, not '$WAIT_TIMEOUT'"
[[ "$KEEP_REVISIONS" =~ ^[0-9]+$ ]] && [ "$KEEP_REVISIONS" -ge 2 ] ||
    usage_error "--keep-revisions must be a whole number of at least 2 (the running release and one to roll back to), not '$KEEP_REVISIONS'"

# An environment selects its variables, its state and its own Terraform working directory
# in one flag: nothing of one environment can leak into another's plan.
BACKEND_ARGS=()
if [ -n "$ENV_NAME" ]; then
    [[ "$ENV_NAME" =~ ^[a-z][a-z0-9-]{0,30}$ ]] || usage_error "--env must be lowercase letters, digits or dashes, not '$ENV_NAME'"
    env_file="$TF_DIR/environments/$ENV_NAME.tfvars"
    [ -f "$env_file" ] || usage_error "--env '$ENV_NAME' has no variable file $env_file"
    [ -n "$VAR_FILE" ] && usage_error "--env and --var-file are exclusive (the environment's file is $env_file)"
    VAR_FILE="$env_file"
    BACKEND_ARGS=(-backend-config="key=hwdash/$ENV_NAME.tfstate")
    export TF_DATA_DIR="$TF_DIR/.terraform-$ENV_NAME"
fi
TF_DATA="${TF_DATA_DIR:-$TF_DIR/.terraform}"

if [ -z "$VAR_FILE" ] && [ -f "$TF_DIR/terraform.tfvars" ]; then VAR_FILE="$TF_DIR/terraform.tfvars"; fi
if [ -n "$VAR_FILE" ] && [ ! -f "$VAR_FILE" ]; then usage_error "--var-file '$VAR_FILE' does not exist"; fi

# --- output helpers ------------------------------------------------------------------------------

STEP=0
step() { STEP=$((STEP + 1)); printf '\n==> %d. %s\n' "$STEP" "$*"; }
info() { printf '    %s\n' "$*"; }
die() { printf 'deploy.sh: error: %s\n' "$*" >&2; exit 1; }

# run CMD...: runs a command that changes something; with --plan only prints it.
# quoted CMD...: the command as it could be pasted into a shell.
quoted() { local q; printf -v q '%q ' "$@"; printf '%s' "${q% }"; }

run() {
    if [ "$PLAN" = 1 ]; then
        printf '    [plan] would run: %s\n' "$(quoted "$@")"
    else
        printf '    + %s\n' "$(quoted "$@")"
        "$@"
    fi
}

# look CMD...: runs a command that only reads, in both modes.
look() {
    printf '    + %s\n' "$(quoted "$@")"
    "$@"
}

tf() { terraform -chdir="$TF_DIR" "$@"; }

# find_image, ecr_tag, keep_revisions: the ECR and ECS bookkeeping that keeps every image a
# revision may roll back to (tested against moto by infra/tests/test_ecr_images.py).
# shellcheck source=scripts/lib/ecr-images.sh
source "$ROOT/scripts/lib/ecr-images.sh"

# Every AWS CLI call names the region: AWS CLI v1 reads AWS_DEFAULT_REGION only, and a
# profile's region must never silently win over --region.
awscli() { aws --region "$AWS_REGION" "$@"; }

# --- 1. prerequisites ----------------------------------------------------------------------------

step "prerequisites"
missing=()
for tool in git terraform cargo aws "$ENGINE"; do
    if command -v "$tool" >/dev/null 2>&1; then
        info "found $tool"
    else
        missing+=("$tool")
    fi
done
hint_for() {
    case "$1" in
        aws) echo "AWS CLI v2: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html" ;;
        terraform) echo "Terraform >= 1.11: https://developer.hashicorp.com/terraform/install" ;;
        cargo) echo "Rust toolchain (rustup), version in Cargo.toml's rust-version" ;;
        docker | podman) echo "a container engine (Docker, or podman with --engine podman)" ;;
        git) echo "git" ;;
    esac
}
if [ ${#missing[@]} -gt 0 ]; then
    for tool in "${missing[@]}"; do
        printf 'deploy.sh: missing %s -- install %s\n' "$tool" "$(hint_for "$tool")" >&2
    done
    if [ "$PLAN" = 1 ]; then
        info "(--plan goes on; a real deployment stops here)"
    else
        exit 1
    fi
fi

# --- 2. AWS credentials --------------------------------------------------------------------------

step "AWS credentials (region $AWS_REGION${AWS_ENDPOINT_URL:+, endpoint $AWS_ENDPOINT_URL})"
# --region: AWS CLI v1 reads AWS_DEFAULT_REGION only, not AWS_REGION.
if command -v aws >/dev/null 2>&1 && identity=$(aws --region "$AWS_REGION" sts get-caller-identity --output text --query Arn 2>&1); then
    info "deploying as $identity"
else
    echo "deploy.sh: AWS credentials are not usable: ${identity:-aws CLI missing}" >&2
    echo "  Configure them with 'aws configure', 'aws sso login --profile NAME' (then export" >&2
    echo "  AWS_PROFILE=NAME), or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY." >&2
    [ "$PLAN" = 1 ] && info "(--plan goes on; a real deployment stops here)" || exit 1
fi

# --- 3. version ----------------------------------------------------------------------------------

step "version${ENV_NAME:+ (environment $ENV_NAME)}"
cd "$ROOT"
commit=$(git rev-parse --short=12 HEAD 2>/dev/null) || die "$ROOT is not a git checkout with a commit"
if [ -n "$(git status --porcelain --untracked-files=normal)" ]; then
    if [ "$ALLOW_DIRTY" = 1 ]; then
        TAG="$commit-dirty-$(date +%s)"
        info "working tree has uncommitted changes; deploying them as $TAG (--allow-dirty)"
    elif [ "$PLAN" = 1 ]; then
        TAG="$commit"
        info "working tree has uncommitted changes: a real deployment refuses (commit, or --allow-dirty)"
    else
        git status --short >&2
        die "the working tree has uncommitted changes; commit them (the image tag is the commit) or pass --allow-dirty"
    fi
else
    TAG="$commit"
fi
info "image tag: $TAG"
TF_VARS=(-var "aws_region=$AWS_REGION")
[ -n "$VAR_FILE" ] && TF_VARS+=(-var-file "$VAR_FILE")

# --- 4. terraform init and the image repositories --------------------------------------------------

step "terraform init (S3 backend from $BACKEND_CONFIG)"
if [ ! -f "$BACKEND_CONFIG" ]; then
    msg="no backend configuration at $BACKEND_CONFIG: copy infra/terraform/backend.hcl.example, fill in your state bucket (docs/deploy.md, 'First deployment')"
    [ "$PLAN" = 1 ] && info "$msg" || die "$msg"
fi
run terraform -chdir="$TF_DIR" init -input=false -backend-config="$BACKEND_CONFIG" "${BACKEND_ARGS[@]}"

# The repositories must exist before the first push; a targeted apply creates only them
# (and their KMS key) and is a no-op afterwards.
step "ECR repositories"
APPROVE=()
[ "$YES" = 1 ] && APPROVE=(-auto-approve)
run terraform -chdir="$TF_DIR" apply -input=false "${APPROVE[@]}" -target=module.ecr "${TF_VARS[@]}" \
    -var "portal_image_tag=$TAG" -var "hardware_image_tag=$TAG" -var "metrics_image_tag=$TAG"

repo_url() {
    local url
    url=$(tf output -raw "$1_ecr_repository_url" 2>/dev/null) || url=""
    if [ -n "$url" ]; then
        echo "$url"
    elif [ "$PLAN" = 1 ]; then
        echo "<account>.dkr.ecr.$AWS_REGION.amazonaws.com/<name>/$1" # not created yet
    else
        die "terraform has no output $1_ecr_repository_url after creating the repositories"
    fi
}
declare -A IMAGE REPO_URL
for service in "${SERVICES[@]}"; do
    REPO_URL[$service]="$(repo_url "$service")"
    IMAGE[$service]="${REPO_URL[$service]}:$TAG"
    info "$service -> ${IMAGE[$service]}"
done

# --- 5. images -----------------------------------------------------------------------------------

step "build images ($ENGINE, binaries built: $BUILDER)"
CONTEXT="$ROOT"
BUILD_ARGS=()
if [ "$BUILDER" = local ]; then
    run env RUSTFLAGS='-C target-feature=+crt-static' \
        cargo build --release --locked --target "$RUST_TARGET" -p portal -p hardware -p metrics
    # A small context holding only what the `prebuilt` stage and the runtime need.
    CONTEXT="$(mktemp -d -t hwdash-deploy.XXXXXX)"
    trap 'rm -rf "$CONTEXT"' EXIT
    target_dir="${CARGO_TARGET_DIR:-$ROOT/target}"
    run mkdir -p "$CONTEXT/prebuilt" "$CONTEXT/infra/docker"
    [ -f /etc/ssl/certs/ca-certificates.crt ] || die "no CA bundle at /etc/ssl/certs/ca-certificates.crt (install ca-certificates, or use --builder image)"
    run cp "$target_dir/$RUST_TARGET/release/portal" "$target_dir/$RUST_TARGET/release/hardware" \
        "$target_dir/$RUST_TARGET/release/metrics" /etc/ssl/certs/ca-certificates.crt "$CONTEXT/prebuilt/"
    run cp -r "$ROOT/infra/docker/rootfs" "$ROOT/infra/docker/writable" "$CONTEXT/infra/docker/"
    BUILD_ARGS=(--build-arg BINARY_FROM=prebuilt)
fi
FORMAT_ARGS=()
[ "$ENGINE" = podman ] && FORMAT_ARGS=(--format docker) # keeps HEALTHCHECK
for service in "${SERVICES[@]}"; do
    run "$ENGINE" build "${FORMAT_ARGS[@]}" -f "$DOCKERFILE" "${BUILD_ARGS[@]}" \
        --platform linux/amd64 --target "$service" -t "${IMAGE[$service]}" "$CONTEXT"
done

step "push images to ECR"
# What an image holds, as a digest: its binary, its CA bundle and the image's own files.
# Tags cannot tell (every commit gets a new one) and image digests cannot either (they carry
# build times); equal content digests mean the same program in the same files.
content_digest() {
    local service=$1 dir
    dir=$(mktemp -d -t hwdash-content.XXXXXX)
    if [ "$BUILDER" = local ]; then
        cp "$CONTEXT/prebuilt/$service" "$CONTEXT/prebuilt/ca-certificates.crt" "$dir/"
    else
        local container
        container=$("$ENGINE" create "${IMAGE[$service]}")
        "$ENGINE" cp "$container:/usr/local/bin/$service" "$dir/$service" >/dev/null
        "$ENGINE" cp "$container:/etc/ssl/certs/ca-certificates.crt" "$dir/ca-certificates.crt" >/dev/null
        "$ENGINE" rm "$container" >/dev/null
    fi
    {
        sha256sum "$dir/$service" "$dir/ca-certificates.crt" | cut -d' ' -f1
        sha256sum "$DOCKERFILE" | cut -d' ' -f1
        (cd "$ROOT/infra/docker" && find rootfs writable -type f -print0 | sort -z | xargs -0 sha256sum)
    } | sha256sum | cut -c1-40
    rm -rf "$dir"
}

if [ "$PLAN" = 1 ]; then
    info "[plan] would log $ENGINE in to ${IMAGE[portal]%%/*} and push what ECR does not hold yet: ${IMAGE[portal]} ${IMAGE[hardware]} ${IMAGE[metrics]}"
else
    registry="${IMAGE[portal]%%/*}"
    awscli ecr get-login-password | "$ENGINE" login --username AWS --password-stdin "$registry" >/dev/null
    for service in "${SERVICES[@]}"; do
        repository="${REPO_URL[$service]#*/}"
        digest=$(content_digest "$service")
        status=0
        existing=$(find_image "$repository" "content-$digest") || status=$?
        if [ "$status" = 0 ]; then
            # The same content was pushed before, under another commit's tag: use that image,
            # so nothing is pushed and the service is not released again.
            previous=$(tr '\t ' '\n\n' <<<"$existing" | grep -v -e '^content-' -e '^release-' -e '^None$' | head -n1)
            [ -n "$previous" ] || die "$repository has content-$digest but no commit tag on that image"
            IMAGE[$service]="${REPO_URL[$service]}:$previous"
            info "$service: content unchanged since $previous (content-$digest); not pushed, not released again"
            ecr_tag "$repository" "$previous" "release-$previous"
            continue
        fi
        status=0
        find_image "$repository" "$TAG" >/dev/null || status=$?
        if [ "$status" = 0 ]; then
            info "$repository:$TAG is already in ECR; not pushed again"
        else
            run "$ENGINE" push "${IMAGE[$service]}"
        fi
        # Extra tags: content-<digest> finds this content again; release-<tag> keeps the image
        # from expiring while a task definition revision may use it (modules/ecr).
        ecr_tag "$repository" "$TAG" "content-$digest"
        ecr_tag "$repository" "$TAG" "release-$TAG"
    done
fi
TF_VARS+=(-var "portal_image_tag=${IMAGE[portal]##*:}" -var "hardware_image_tag=${IMAGE[hardware]##*:}"
    -var "metrics_image_tag=${IMAGE[metrics]##*:}")

# --- 6. infrastructure -----------------------------------------------------------------------------

step "terraform apply"
if [ "$PLAN" = 1 ]; then
    if [ -d "$TF_DATA/providers" ] || [ -d "$TF_DATA/plugins" ]; then
        look terraform -chdir="$TF_DIR" plan -input=false -lock=false "${TF_VARS[@]}"
    else
        info "terraform plan skipped: the providers are not installed (terraform init has not run here)"
        info "[plan] would run: terraform -chdir=$TF_DIR apply ${TF_VARS[*]}"
    fi
else
    run terraform -chdir="$TF_DIR" apply -input=false "${APPROVE[@]}" "${TF_VARS[@]}"
fi

# ================================================================================================
# BEGIN release section (owned by the deployer engineer; edit only between BEGIN and END)
# Releases the pushed images. Terraform ignores task_definition changes on both services, so
# this is where a new version goes live: deployer registers a task definition revision with
# the new image and updates the service (ECS blue/green for portal, rolling for hardware),
# then follows it until it succeeds or ECS rolls it back.
#   DEPLOYER_BIN                a prebuilt deployer binary instead of `cargo run --release`
#                               (tests use the one cargo already built)
#   DEPLOYER_TERRAFORM_OUTPUTS  a saved `terraform output -json` instead of reading the state
#                               (the moto test of --plan has no Terraform state)
#   DEPLOY_SMOKE=1              smoke-check portal's release on the test listener named by the
#                               terraform outputs (http://<alb_dns_name>:8443/readyz) while it
#                               bakes, once test_listener_cidrs lets this machine in; failures
#                               roll back
#   DEPLOY_SMOKE_URL            the same with another URL
step "release"
if [ -n "${DEPLOYER_BIN:-}" ]; then
    DEPLOYER=("$DEPLOYER_BIN")
else
    DEPLOYER=(cargo run --release --quiet --locked -p deployer --)
fi
DEPLOYER_ARGS=()
[ -z "${DEPLOYER_TERRAFORM_OUTPUTS:-}" ] && DEPLOYER_ARGS=(--terraform-dir "$TF_DIR")
release_args() {
    local service=$1
    printf '%s\n' release "${DEPLOYER_ARGS[@]}" --service "$service" --image "${IMAGE[$service]}"
    if [ "$service" = portal ] && [ -n "${DEPLOY_SMOKE_URL:-}" ]; then
        printf '%s\n' --smoke-url "$DEPLOY_SMOKE_URL"
    elif [ "$service" = portal ] && truthy "${DEPLOY_SMOKE:-}"; then
        printf '%s\n' --smoke
    fi
}
if [ "$PLAN" = 1 ]; then
    look "${DEPLOYER[@]}" verify "${DEPLOYER_ARGS[@]}"
    # --plan pushed nothing, so the new tag is not in ECR yet.
    for service in hardware portal; do
        mapfile -t args < <(release_args "$service")
        look "${DEPLOYER[@]}" "${args[@]}" --dry-run --skip-image-check
    done
else
    # hardware first: the new portal may rely on what the new hardware serves. A release that
    # ECS rolls back exits non-zero (3), which stops this script before the next one.
    for service in hardware portal; do
        mapfile -t args < <(release_args "$service")
        run "${DEPLOYER[@]}" "${args[@]}"
    done
fi
# END release section
# ================================================================================================

# --- 8. steady state --------------------------------------------------------------------------
# `terraform apply` returns once ECS accepted the services, and a release returns once ECS
# finished its deployment; neither proves that tasks run. The first deployment in particular
# is followed by nothing else. Success is printed only after this.
step "wait for healthy services (timeout $WAIT_TIMEOUT)"
if [ "$PLAN" = 1 ]; then
    info "[plan] would run: $(quoted "${DEPLOYER[@]}" wait "${DEPLOYER_ARGS[@]}" --timeout "$WAIT_TIMEOUT" hardware portal)"
    info "[plan] would then fetch the dashboard until it serves a page with data"
else
    run "${DEPLOYER[@]}" wait "${DEPLOYER_ARGS[@]}" --timeout "$WAIT_TIMEOUT" hardware portal
    url=$(tf output -raw portal_url)
    # The page names an availability (HIGH, MEDIUM or LOW) only once portal has read hardware.
    deadline=$((SECONDS + 120))
    until page=$(curl --silent --show-error --fail --max-time 10 "$url" 2>&1) && grep -qE 'HIGH|MEDIUM|LOW' <<<"$page"; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            die "the services are healthy but $url serves no data after 120 s: ${page:0:300}"
        fi
        sleep 5
    done
    info "$url serves the dashboard with data"
fi

# --- 9. revisions and the images they need --------------------------------------------------------
# Task definition revisions stay ACTIVE after a release (skip_destroy) so a rollback can use
# them, and ECR keeps every image tagged release-*. This keeps both bounded together: the
# newest --keep-revisions revisions (and always the running one) stay; older ones are
# deregistered and their images lose the release- tag, so ECR's count rule may expire them.
step "keep $KEEP_REVISIONS revisions per service and the images they use"
cluster=""
[ "$PLAN" = 1 ] || cluster=$(tf output -raw cluster_name)
for service in "${SERVICES[@]}"; do
    if [ "$PLAN" = 1 ]; then
        info "[plan] would deregister $service revisions older than the newest $KEEP_REVISIONS and untag their images"
    else
        keep_revisions "$cluster" "$service" "${REPO_URL[$service]#*/}" "$KEEP_REVISIONS"
    fi
done

step "done"
if [ "$PLAN" = 1 ]; then
    info "plan only: nothing was changed"
else
    info "dashboard: $(tf output -raw portal_url)"
    info "every service runs its desired count of healthy tasks"
fi
