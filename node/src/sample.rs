//! The sample catalog built into the binary, so a new node can be tried with no
//! setup: five East Java centers with 19-20 listings each of the products their
//! micro-businesses make. Catalog 0 (Kota Malang) is the single-node sample.
//! What people try (`telecenter demo`, `serve --sample`, `init --sample`) gets a
//! picture drawn for each sample listing ([`pictures`]), stored through the
//! same photo path as an operator's upload, and the catalog's producers
//! registered with their listings linked; the unit tests' fixtures do not
//! (drawing and resizing 20 pictures takes seconds in a debug build).

pub mod pictures;

use std::collections::BTreeMap;

use serde::Deserialize;
use telecenter_protocol::catalog::Photo;
use telecenter_protocol::catalog::input::{ListingPatch, NewListing, ProfileInput};
use telecenter_protocol::limits::PHOTO_DECODES_MAX;

use crate::node::{Node, NodeError, ProducerInput};

#[derive(Deserialize)]
struct SampleCatalog {
    profile: ProfileInput,
    /// The center's producers: name → village (what people try registers them
    /// and links their listings, so producer statements have something to show).
    #[serde(default)]
    producers: BTreeMap<String, String>,
    listings: Vec<SampleListing>,
}

/// The commission a sample center takes on its producers' sales, in percent.
const SAMPLE_COMMISSION: &str = "10";

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

/// The built-in sample catalogs: Kota Malang (the default sample) first, then
/// Kab Blitar, Ponorogo, Sumenep and Gresik (used by `telecenter demo`).
pub const SAMPLES: [&str; 5] = [
    include_str!("sample_catalog.json"),
    include_str!("sample_catalog_blitar.json"),
    include_str!("sample_catalog_ponorogo.json"),
    include_str!("sample_catalog_sumenep.json"),
    include_str!("sample_catalog_gresik.json"),
];

fn parse(index: usize) -> Result<SampleCatalog, NodeError> {
    let json = SAMPLES
        .get(index)
        .ok_or_else(|| NodeError::Internal(format!("no sample catalog {index}")))?;
    parse_json(json)
}

fn parse_json(json: &str) -> Result<SampleCatalog, NodeError> {
    serde_json::from_str(json).map_err(|e| NodeError::Internal(format!("sample catalog: {e}")))
}

/// The profile of a catalog in the sample format (`{"profile", "listings"}`,
/// as the built-in samples and the search test set are written).
pub fn catalog_profile(json: &str) -> Result<ProfileInput, NodeError> {
    Ok(parse_json(json)?.profile)
}

/// Adds the listings of a catalog in the sample format to `node`; returns how many.
/// These get no pictures (the search test set has no use for them).
pub fn add_catalog_listings(node: &Node, json: &str) -> Result<usize, NodeError> {
    add_listings(node, &parse_json(json)?, Pictures::None)
}

/// The profile of the sample center.
pub fn sample_profile() -> Result<ProfileInput, NodeError> {
    sample_profile_of(0)
}

/// The profile of sample center `index` (see [`SAMPLES`]).
pub fn sample_profile_of(index: usize) -> Result<ProfileInput, NodeError> {
    Ok(parse(index)?.profile)
}

/// Adds the sample listings to `node`, without pictures; returns how many
/// were added.
pub fn add_sample_listings(node: &Node) -> Result<usize, NodeError> {
    add_sample_listings_of(node, 0)
}

/// Adds the listings of sample catalog `index` to `node`, without pictures;
/// returns how many.
pub fn add_sample_listings_of(node: &Node, index: usize) -> Result<usize, NodeError> {
    add_listings(node, &parse(index)?, Pictures::None)
}

/// Adds the listings of sample catalog `index` to `node`, each with a picture
/// drawn for it and stored as an upload would be (checked, resized to a
/// thumbnail and a medium image, named by hash), so the signed catalog names
/// it and peers fetch its thumbnail; returns how many.
pub fn add_sample_listings_with_pictures(node: &Node, index: usize) -> Result<usize, NodeError> {
    add_listings(node, &parse(index)?, Pictures::Drawn)
}

/// Whether added listings get a drawn picture.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pictures {
    None,
    Drawn,
}

fn add_listings(
    node: &Node,
    catalog: &SampleCatalog,
    drawing: Pictures,
) -> Result<usize, NodeError> {
    let producers = match drawing {
        Pictures::None => BTreeMap::new(),
        Pictures::Drawn => add_producers(node, &catalog.producers)?,
    };
    let mut drawn = match drawing {
        Pictures::None => Vec::new(),
        Pictures::Drawn => draw_pictures(node, &catalog.listings)?,
    }
    .into_iter();
    for sample in &catalog.listings {
        let f = &sample.listing;
        let photos: Vec<Photo> = drawn.next().into_iter().collect();
        let row = node.add_listing(&NewListing {
            title: f.title.clone(),
            description: f.description.clone(),
            lang: None,
            category: f.category.clone(),
            price_idr: f.price_idr,
            stock: f.stock,
            unit: Some(f.unit.clone()),
            producer: Some(f.producer.clone()),
            producer_village: None,
            photos,
        })?;
        if let Some(producer) = producers.get(&f.producer) {
            node.link_listing(&row.listing.id, Some(*producer))?;
        }
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

/// Registers the sample producers (name and village; a made-up contact) with
/// the sample commission; returns each name's producer number.
fn add_producers(
    node: &Node,
    producers: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, i64>, NodeError> {
    producers
        .iter()
        .map(|(name, village)| {
            let row = node.add_producer(&ProducerInput {
                name: Some(name.clone()),
                village: Some(village.clone()),
                contact: Some(format!("{name}, {village} (contoh)")),
                commission: Some(SAMPLE_COMMISSION.to_owned()),
                ..ProducerInput::default()
            })?;
            Ok((name.clone(), row.id))
        })
        .collect()
}

/// Draws the picture of each listing and stores it as an upload is stored
/// (the same checks, resizing and naming); one photo per listing, in order.
/// The work is shared by up to [`PHOTO_DECODES_MAX`] threads, so this must run
/// while nothing else is storing photos (as a sample node is being set up):
/// a photo decode slot taken elsewhere makes it fail with "busy".
fn draw_pictures(node: &Node, listings: &[SampleListing]) -> Result<Vec<Photo>, NodeError> {
    let draw = |f: &NewListingFields| -> Result<Photo, NodeError> {
        let png = pictures::picture(&f.title, &f.category)
            .map_err(|e| NodeError::Internal(e.to_string()))?;
        node.store_photo(&png)
    };
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, PHOTO_DECODES_MAX);
    let share = listings.len().div_ceil(workers).max(1);
    std::thread::scope(|scope| {
        let parts: Vec<_> = listings
            .chunks(share)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|sample| draw(&sample.listing))
                        .collect::<Result<Vec<_>, _>>()
                })
            })
            .collect();
        let mut photos = Vec::with_capacity(listings.len());
        for part in parts {
            let drawn = part
                .join()
                .map_err(|_| NodeError::Internal("drawing a sample picture failed".into()))?;
            photos.extend(drawn?);
        }
        Ok(photos)
    })
}

#[cfg(test)]
mod tests;
