//! Does an image exist in ECR? Asked before a release registers anything, so a typo in a tag
//! fails in a second with the repository named, not after a deployment that cannot pull.

use aws_sdk_ecr::types::ImageIdentifier;

use crate::aws::AwsClients;
use crate::error::{DeployError, error_code};
use crate::image::{EcrLocation, ImageRef, ImageVersion};

pub async fn ensure_image_exists(
    clients: &AwsClients,
    image: &ImageRef,
    ecr: &EcrLocation,
) -> Result<(), DeployError> {
    let id = match &image.version {
        ImageVersion::Tag(tag) => ImageIdentifier::builder().image_tag(tag),
        ImageVersion::Digest(digest) => ImageIdentifier::builder().image_digest(digest),
    }
    .build();
    let answer = clients
        .ecr
        .describe_images()
        .registry_id(&ecr.registry_id)
        .repository_name(&ecr.repository_name)
        .image_ids(id)
        .send()
        .await;
    match answer {
        Ok(output) if !output.image_details().is_empty() => Ok(()),
        Ok(_) => Err(not_found(image, ecr)),
        Err(err) => match error_code(&err) {
            Some("ImageNotFoundException") => Err(not_found(image, ecr)),
            Some("RepositoryNotFoundException") => Err(DeployError::RepositoryNotFound {
                repository: ecr.repository_name.clone(),
            }),
            _ => Err(DeployError::aws(
                format!("looking up image {} in ECR", image.short_name()),
                &err,
            )),
        },
    }
}

fn not_found(image: &ImageRef, ecr: &EcrLocation) -> DeployError {
    DeployError::ImageNotFound {
        image: image.short_name(),
        repository: ecr.repository_name.clone(),
    }
}
