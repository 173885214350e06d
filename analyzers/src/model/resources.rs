//! A container's requests and limits in a compact layout: the API's B-tree map takes a 544-byte node for the one or
//! two amounts a container sets, twice per container.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use serde::{Deserialize, Serialize};

/// The API's ResourceRequirements, with its two maps as [`ResourceList`]s.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ResourceRequirements {
    pub claims: Option<Vec<k8s_openapi::api::core::v1::ResourceClaim>>,
    pub limits: Option<ResourceList>,
    pub requests: Option<ResourceList>,
}

/// Named amounts (`cpu: 500m`), sorted by name as the API's map is, and read and written as that map.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResourceList(Vec<(String, Quantity)>);

impl ResourceList {
    pub fn get(&self, name: &str) -> Option<&Quantity> {
        self.0.binary_search_by(|(key, _)| key.as_str().cmp(name)).ok().map(|at| &self.0[at].1)
    }
    pub fn iter(&self) -> <&Self as IntoIterator>::IntoIter {
        self.into_iter()
    }
}

impl<'a> IntoIterator for &'a ResourceList {
    type Item = (&'a String, &'a Quantity);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (String, Quantity)>, fn(&'a (String, Quantity)) -> Self::Item>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(key, value)| (key, value))
    }
}

impl Serialize for ResourceList {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for ResourceList {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        BTreeMap::<String, Quantity>::deserialize(deserializer).map(|map| ResourceList(map.into_iter().collect()))
    }
}

/// Amounts by name, in a container's list or a limit range's map alike.
pub trait Amounts {
    fn amount(&self, name: &str) -> Option<&Quantity>;
}

impl Amounts for ResourceList {
    fn amount(&self, name: &str) -> Option<&Quantity> {
        self.get(name)
    }
}

impl Amounts for BTreeMap<String, Quantity> {
    fn amount(&self, name: &str) -> Option<&Quantity> {
        self.get(name)
    }
}
