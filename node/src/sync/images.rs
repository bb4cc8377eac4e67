//! Photos between nodes: thumbnails fetched from peers after each sync round,
//! medium images on demand for `/foto/{hash}`, always checked against their hash
//! before they are kept.

use std::sync::Arc;
use std::time::Duration;

use super::{SyncEngine, peer_client, read_limited};
use crate::images::ImageError;
use crate::node::{Node, run_blocking as blocking};
use crate::store::PeerRow;

/// Most images fetched after one round.
const IMAGES_PER_ROUND_MAX: usize = 200;

/// Fetches one image by hash from `url` (a peer's base address). The bytes are
/// not trusted yet: [`Node::put_fetched_image`] checks them against the hash.
pub async fn fetch_image(client: &reqwest::Client, url: &str, hash: &str) -> Option<Vec<u8>> {
    let response = client
        .get(format!("{url}/api/v1/images/{hash}"))
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .ok()?;
    if !response.status().is_success() {
        return None;
    }
    read_limited(url, response, telecenter_protocol::limits::IMAGE_BYTES_MAX)
        .await
        .ok()
}

/// Asks each peer with an address for an image this node lacks but a listing
/// held here names (e.g. a medium image someone wants to see); keeps the first
/// that matches its hash. Bounded, since anyone may ask for any name: at most
/// `IMAGE_FETCHES_MAX` fetches at once (beyond, [`ImageError::Busy`] without
/// fetching), and a name whose fetch failed is not asked for again for
/// `IMAGE_FETCH_RETRY_MS`.
pub async fn fetch_image_from_peers(
    node: &Arc<Node>,
    hash: &str,
) -> Result<Option<Vec<u8>>, ImageError> {
    let guards = node.images();
    if !telecenter_protocol::catalog::is_image_hash(hash)
        || guards.failed_recently(hash, node.clock().now_ms())
    {
        return Ok(None);
    }
    // The slot also bounds the look-up below, which reads every listing's photos.
    let _slot = guards.fetch_slot().ok_or(ImageError::Busy)?;
    let (named, wanted) = (node.clone(), hash.to_owned());
    if !matches!(
        blocking(move || named.image_is_named(&wanted)).await,
        Ok(true)
    ) {
        return Ok(None);
    }
    let Ok(client) = peer_client(node) else {
        return Ok(None);
    };
    for peer in node.peers().unwrap_or_default() {
        let Some(url) = peer.url else { continue };
        if let Some(bytes) = fetch_image(&client, &url, hash).await {
            let store = node.clone();
            let (name, kept) = (hash.to_owned(), bytes.clone());
            // Stored (and handed on) only if the bytes match their name.
            if let Ok(true) = blocking(move || store.put_fetched_image(&name, &kept)).await {
                return Ok(Some(bytes));
            }
        }
    }
    guards.remember_failure(hash, node.clock().now_ms());
    Ok(None)
}

impl SyncEngine {
    /// Fetches from `peer` the thumbnails of shown listings that this node lacks:
    /// thumbnails travel with the catalogs (medium images only on demand).
    pub(super) async fn pull_thumbnails(&self, peer: &PeerRow) {
        let Some(url) = peer.url.clone() else { return };
        if !self.transport.carries_images() {
            return;
        }
        let node = self.node.clone();
        let Ok(missing) = blocking(move || node.missing_thumbnails(IMAGES_PER_ROUND_MAX)).await
        else {
            return;
        };
        for hash in missing {
            if let Some(bytes) = fetch_image(&self.client, &url, &hash).await {
                let node = self.node.clone();
                let _ = blocking(move || node.put_fetched_image(&hash, &bytes)).await;
            }
        }
    }
}
