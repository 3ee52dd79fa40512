//! Checks of a served OpenAPI document against what the service really answered.

use serde_json::Value;

/// Asserts that the operation `method path` of `document` documents `status` and, when the
/// response had one, its content type (compared by essence, without parameters). `uri` is
/// the request actually sent, for the message.
pub fn assert_response_documented(
    document: &Value,
    path: &str,
    method: &str,
    uri: &str,
    status: u16,
    content_type: Option<&str>,
) {
    let status = status.to_string();
    let documented = &document["paths"][path][method]["responses"][&status];
    assert!(
        documented.is_object(),
        "{method} {uri} answered {status}, which its operation does not document"
    );
    if let Some(content_type) = content_type {
        let essence = content_type.split(';').next().unwrap_or_default().trim();
        assert!(
            documented["content"].get(essence).is_some(),
            "{method} {uri} answered {content_type}, not documented for {status}"
        );
    }
}
