//! Reads of the catalog index and the image store for pages and the API.

use telecenter_protocol::catalog::is_image_hash;
use telecenter_protocol::{CenterId, ListingId, Profile};

use crate::search::SearchQuery;
use crate::store::{ListingRow, SearchPage};

use super::{Node, NodeError, lock};

impl Node {
    /// One of this center's listings, whatever its status.
    pub fn own_listing(&self, id: &ListingId) -> Result<ListingRow, NodeError> {
        lock(&self.reader)
            .listing(&self.center_id(), id)?
            .ok_or_else(|| NodeError::NoSuchListing(id.clone()))
    }

    /// Any indexed listing, whatever its status.
    pub fn listing(&self, center: &CenterId, id: &ListingId) -> Result<ListingRow, NodeError> {
        lock(&self.reader)
            .listing(center, id)?
            .ok_or_else(|| NodeError::UnknownListing {
                center: *center,
                listing: id.clone(),
            })
    }

    /// A stored image by its hash.
    pub fn image(&self, hash: &str) -> Result<Option<Vec<u8>>, NodeError> {
        if !is_image_hash(hash) {
            return Ok(None);
        }
        Ok(lock(&self.reader).image(hash)?)
    }

    /// Whether a listing held here names the image `hash` (only such images are
    /// fetched from peers).
    pub fn image_is_named(&self, hash: &str) -> Result<bool, NodeError> {
        if !is_image_hash(hash) {
            return Ok(false);
        }
        Ok(lock(&self.reader).image_is_named(hash)?)
    }

    /// The bounds on this node's image work.
    pub fn images(&self) -> &crate::images::ImageGuards {
        &self.images
    }

    /// Thumbnails named by shown listings that this node does not hold yet.
    pub fn missing_thumbnails(&self, limit: usize) -> Result<Vec<String>, NodeError> {
        Ok(lock(&self.reader).missing_thumbnails(limit)?)
    }

    /// Every center whose catalog is indexed here, by name.
    pub fn centers(&self) -> Result<Vec<Profile>, NodeError> {
        Ok(lock(&self.reader).centers()?)
    }

    /// One indexed center's profile.
    pub fn center(&self, center: &CenterId) -> Result<Option<Profile>, NodeError> {
        Ok(lock(&self.reader).center(center)?)
    }

    /// The newest `limit` listings buyers are shown (center, id, last change).
    pub fn shown_listings(
        &self,
        limit: usize,
    ) -> Result<Vec<(CenterId, ListingId, i64)>, NodeError> {
        Ok(lock(&self.reader).shown_listings(limit)?)
    }

    /// Builds the search index now, on a connection of its own and without
    /// holding the node's locks (it is otherwise built by the first search);
    /// `serve` calls it at start so that the first buyer does not wait.
    pub fn warm_search(&self) -> Result<(), NodeError> {
        let mut store = crate::store::Store::open_read_only(&self.db_path)?;
        store.use_search_index(self.search.clone());
        store.warm_search()?;
        Ok(())
    }

    /// Searches the index.
    pub fn search(&self, query: &SearchQuery) -> Result<SearchPage, NodeError> {
        Ok(lock(&self.reader).search(query)?)
    }
}
