# ECR and ECS bookkeeping of scripts/deploy.sh, in functions so tests can call them against
# moto (infra/tests/test_ecr_images.py). The caller defines: awscli (aws with --region), run
# (runs a command that changes something), die, info.
#
# The invariant they keep together with the lifecycle policy of infra/terraform/modules/ecr:
# every image an ACTIVE task definition revision uses carries a release-<tag> tag, and ECR
# never expires release- images; revisions beyond the newest N are deregistered and lose it.

# find_image REPOSITORY TAG: prints the image's tags when it exists; fails with status 3
# when ECR says it does not (ImageNotFoundException); any other error (permissions, a wrong
# region, throttling) stops the deployment with AWS's own message, since pushing to an
# immutable tag that in fact exists would fail later, less clearly.
find_image() {
    local out
    if out=$(awscli ecr describe-images --repository-name "$1" --image-ids "imageTag=$2" \
        --query 'imageDetails[0].imageTags' --output text 2>&1); then
        printf '%s\n' "$out"
    elif [[ "$out" == *ImageNotFoundException* ]]; then
        return 3
    else
        die "cannot look up $1:$2 in ECR: $out"
    fi
}

# ecr_tag REPOSITORY TAG NEW_TAG: adds NEW_TAG to the image TAG names, in ECR itself (AWS's
# documented retagging: put-image with the image's own manifest), so it lands on exactly that
# image and not on a local build of the same content. Adding a tag is allowed with immutable
# tags; only moving one is not.
ecr_tag() {
    local manifest media
    status=0
    find_image "$1" "$3" >/dev/null || status=$?
    [ "$status" = 0 ] && return 0
    manifest=$(awscli ecr batch-get-image --repository-name "$1" --image-ids "imageTag=$2" \
        --query 'images[0].imageManifest' --output text)
    media=$(awscli ecr batch-get-image --repository-name "$1" --image-ids "imageTag=$2" \
        --query 'images[0].imageManifestMediaType' --output text)
    run awscli ecr put-image --repository-name "$1" --image-tag "$3" \
        --image-manifest "$manifest" --image-manifest-media-type "$media" >/dev/null
}

# keep_revisions CLUSTER SERVICE REPOSITORY N: deregisters the service's ACTIVE revisions
# older than the newest N (never the one it runs), then removes the release- tag from every
# image no remaining ACTIVE revision uses, so ECR's count rule may expire it.
keep_revisions() {
    local cluster=$1 service=$2 repository=$3 keep=$4
    local running family arn image tag i
    local -a revisions used_tags release_tags
    running=$(awscli ecs describe-services --cluster "$cluster" --services "$service" \
        --query 'services[0].taskDefinition' --output text)
    family=${running##*/}
    family=${family%:*}
    # Newest first, by revision number (the ARN's last field), whatever order the API returns.
    mapfile -t revisions < <(awscli ecs list-task-definitions --family-prefix "$family" --status ACTIVE \
        --query 'taskDefinitionArns[]' --output text | tr '\t' '\n' | grep . | sort -t: -k7,7nr || true)
    used_tags=()
    for i in "${!revisions[@]}"; do
        arn=${revisions[$i]}
        if [ "$i" -ge "$keep" ] && [ "$arn" != "$running" ]; then
            run awscli ecs deregister-task-definition --task-definition "$arn" >/dev/null
        else
            image=$(awscli ecs describe-task-definition --task-definition "$arn" \
                --query 'taskDefinition.containerDefinitions[0].image' --output text)
            used_tags+=("release-${image##*:}")
        fi
    done
    mapfile -t release_tags < <(awscli ecr list-images --repository-name "$repository" --filter tagStatus=TAGGED \
        --query 'imageIds[].imageTag' --output text | tr '\t' '\n' | grep '^release-' || true)
    for tag in "${release_tags[@]}"; do
        if [[ " ${used_tags[*]} " != *" $tag "* ]]; then
            # Removes this tag only; the image keeps its other tags until ECR expires it.
            run awscli ecr batch-delete-image --repository-name "$repository" --image-ids "imageTag=$tag" >/dev/null
        fi
    done
    info "$service: ${#revisions[@]} ACTIVE revisions, the newest $keep kept (and the running one); ${#used_tags[@]} images tagged release-"
}
