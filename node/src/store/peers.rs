//! Configured peers with how syncing with each went, and local trust decisions.

use rusqlite::params;
use telecenter_protocol::CenterId;

use super::{Store, StoreError};

/// A configured peer and how syncing with it went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerRow {
    /// The peer center.
    pub center_id: CenterId,
    /// Its name when added.
    pub name: String,
    /// Where to reach it; `None` for a peer that only connects to us (behind NAT).
    pub url: Option<String>,
    /// When it was added.
    pub added_at_ms: i64,
    /// Last successful sync.
    pub last_ok_ms: Option<i64>,
    /// Last error, if the last attempt failed.
    pub last_error: Option<String>,
    /// When that error happened.
    pub last_error_ms: Option<i64>,
    /// Changes the peer had that this node lacked at the last summary.
    pub behind: u64,
}

/// A local trust decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TrustState {
    /// Accept this center's catalog.
    Trusted,
    /// Never accept, store, show or relay it.
    Blocked,
}

impl Store {
    /// Every local trust decision.
    pub fn trust_list(&self) -> Result<Vec<(CenterId, TrustState)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT center_id, state FROM trust ORDER BY center_id")?;
        let rows = stmt.query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (center, state) = row?;
            let center = center
                .parse()
                .map_err(|_| StoreError::Corrupt("center id in trust".into()))?;
            let state = match state.as_str() {
                "trusted" => TrustState::Trusted,
                _ => TrustState::Blocked,
            };
            out.push((center, state));
        }
        Ok(out)
    }

    /// Records a trust decision (`None` forgets it).
    pub fn set_trust(
        &mut self,
        center: &CenterId,
        state: Option<TrustState>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        match state {
            None => {
                self.conn.execute(
                    "DELETE FROM trust WHERE center_id = ?1",
                    params![center.to_string()],
                )?;
            }
            Some(state) => {
                let word = match state {
                    TrustState::Trusted => "trusted",
                    TrustState::Blocked => "blocked",
                };
                self.conn.execute(
                    "INSERT INTO trust (center_id, state, at_ms) VALUES (?1, ?2, ?3)
                     ON CONFLICT (center_id) DO UPDATE SET state = excluded.state, at_ms = excluded.at_ms",
                    params![center.to_string(), word, now_ms],
                )?;
            }
        }
        Ok(())
    }

    /// Every configured peer.
    pub fn peers(&self) -> Result<Vec<PeerRow>, StoreError> {
        self.peers_where("", "")
    }

    /// One configured peer, if `center` is one.
    pub fn peer(&self, center: &CenterId) -> Result<Option<PeerRow>, StoreError> {
        Ok(self
            .peers_where("WHERE center_id = ?1", &center.to_string())?
            .into_iter()
            .next())
    }

    fn peers_where(&self, condition: &str, value: &str) -> Result<Vec<PeerRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT center_id, name, url, added_at_ms, last_ok_ms, last_error, last_error_ms, behind
             FROM peers {condition} ORDER BY added_at_ms, center_id"
        ))?;
        let params: &[&dyn rusqlite::ToSql] = if condition.is_empty() { &[] } else { &[&value] };
        let rows = stmt.query_map(params, |row| {
            Ok((
                row.get::<_, String>(0)?,
                PeerRow {
                    center_id: CenterId::from_bytes([0; 32]),
                    name: row.get(1)?,
                    url: row.get(2)?,
                    added_at_ms: row.get(3)?,
                    last_ok_ms: row.get(4)?,
                    last_error: row.get(5)?,
                    last_error_ms: row.get(6)?,
                    behind: row.get::<_, i64>(7)?.unsigned_abs(),
                },
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (center, mut peer) = row?;
            peer.center_id = center
                .parse()
                .map_err(|_| StoreError::Corrupt("center id in peers".into()))?;
            out.push(peer);
        }
        Ok(out)
    }

    /// Adds or updates a peer (keeps its sync history).
    pub fn upsert_peer(
        &mut self,
        center: &CenterId,
        name: &str,
        url: Option<&str>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO peers (center_id, name, url, added_at_ms) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (center_id) DO UPDATE SET name = excluded.name, url = excluded.url",
            params![center.to_string(), name, url, now_ms],
        )?;
        Ok(())
    }

    /// Removes a peer; returns whether it existed.
    pub fn remove_peer(&mut self, center: &CenterId) -> Result<bool, StoreError> {
        let removed = self.conn.execute(
            "DELETE FROM peers WHERE center_id = ?1",
            params![center.to_string()],
        )?;
        Ok(removed > 0)
    }

    /// Records the outcome of a sync attempt with a peer.
    pub fn record_sync(
        &mut self,
        center: &CenterId,
        now_ms: i64,
        outcome: Result<u64, &str>,
    ) -> Result<(), StoreError> {
        match outcome {
            Ok(behind) => self.conn.execute(
                "UPDATE peers SET last_ok_ms = ?2, last_error = NULL, last_error_ms = NULL, behind = ?3
                 WHERE center_id = ?1",
                params![center.to_string(), now_ms, i64::try_from(behind).unwrap_or(i64::MAX)],
            )?,
            Err(error) => self.conn.execute(
                "UPDATE peers SET last_error = ?2, last_error_ms = ?3 WHERE center_id = ?1",
                params![center.to_string(), error, now_ms],
            )?,
        };
        Ok(())
    }
}
