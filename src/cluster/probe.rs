//! Which kinds the identity may list, found the read-only way: one `GET ...?limit=1` per kind asking for metadata
//! only (`PartialObjectMetadata`), so no Secret value is ever fetched and no access review is created.

use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject, ListParams};
use mekhanikube_analyzers::Kind;

/// Whether a kind could be listed; the refusal says why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListAccess {
    Allowed,
    Forbidden(String),
    NotServed,
    Failed(String),
}

pub async fn probe_list(client: &Client, kinds: &[Kind]) -> Vec<(Kind, ListAccess)> {
    let probes = kinds.iter().map(|&kind| async move {
        let version = kind.api_version().rsplit('/').next().unwrap_or("v1");
        let resource = ApiResource {
            group: kind.group().to_string(),
            version: version.to_string(),
            api_version: kind.api_version().to_string(),
            kind: kind.name().to_string(),
            plural: kind.plural().to_string(),
        };
        let api: Api<DynamicObject> = Api::all_with(client.clone(), &resource);
        let access = match api.list_metadata(&ListParams::default().limit(1)).await {
            Ok(_) => ListAccess::Allowed,
            Err(kube::Error::Api(status)) if status.code == 403 => ListAccess::Forbidden(status.message),
            Err(kube::Error::Api(status)) if status.code == 404 => ListAccess::NotServed,
            Err(e) => ListAccess::Failed(e.to_string()),
        };
        (kind, access)
    });
    futures::future::join_all(probes).await
}
