//! The sample catalog built into the binary, so a new node can be tried with no
//! setup: a profile and twenty listings of the kind a telecenter in Malang serves.

use serde::Deserialize;
use telecenter_protocol::validate::{ListingPatch, NewListing, ProfileInput};

use crate::node::{Node, NodeError};

#[derive(Deserialize)]
struct SampleCatalog {
    profile: ProfileInput,
    listings: Vec<SampleListing>,
}

#[derive(Deserialize)]
struct SampleListing {
    #[serde(flatten)]
    listing: NewListingFields,
    /// The English title, added as a translation.
    en: Option<String>,
}

#[derive(Deserialize)]
struct NewListingFields {
    title: String,
    description: String,
    category: String,
    price_idr: i64,
    stock: i64,
    unit: String,
    producer: String,
}

const SAMPLE_JSON: &str = include_str!("sample_catalog.json");

fn parse() -> Result<SampleCatalog, NodeError> {
    serde_json::from_str(SAMPLE_JSON)
        .map_err(|e| NodeError::Internal(format!("sample catalog: {e}")))
}

/// The profile of the sample center.
pub fn sample_profile() -> Result<ProfileInput, NodeError> {
    Ok(parse()?.profile)
}

/// Adds the sample listings to `node`; returns how many were added.
pub fn add_sample_listings(node: &Node) -> Result<usize, NodeError> {
    let catalog = parse()?;
    for sample in &catalog.listings {
        let f = &sample.listing;
        let row = node.add_listing(&NewListing {
            title: f.title.clone(),
            description: f.description.clone(),
            lang: None,
            category: f.category.clone(),
            price_idr: f.price_idr,
            stock: f.stock,
            unit: Some(f.unit.clone()),
            producer: Some(f.producer.clone()),
        })?;
        if let Some(en) = &sample.en {
            node.update_listing(
                &row.listing.id,
                &ListingPatch {
                    lang: Some("en".to_owned()),
                    title: Some(en.clone()),
                    ..ListingPatch::default()
                },
            )?;
        }
    }
    Ok(catalog.listings.len())
}
