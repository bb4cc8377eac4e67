//! Storage of orders and their signed events (schema version 3). Rows here are
//! storage types; the wire types live in `telecenter_protocol::order`.

use rusqlite::{OptionalExtension, params};
use telecenter_protocol::CenterId;
use telecenter_protocol::order::{OrderId, OrderState, OrderTerms, Role, SignedMessage, Status};

use super::columns::{corrupt, json, parse, parse_json};
use super::{Store, StoreError};

/// Every status word an order can have here, in the order people follow them:
/// the protocol's statuses and `refused` (a placement refused on arrival).
pub const ORDER_STATUS_WORDS: [&str; 7] = [
    "placed",
    "accepted",
    "shipped",
    "completed",
    "rejected",
    "cancelled",
    "refused",
];

/// An order as this node holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderRow {
    /// The order as its (final and proposed) events define it.
    pub state: OrderState,
    /// This node's side.
    pub role: Role,
    /// The other center.
    pub counterpart: CenterId,
    /// `true` when the seller refused the placement itself: the order never
    /// existed on the seller's node.
    pub refused: bool,
    /// When it completed (completing event's time).
    pub completed_at_ms: Option<i64>,
    /// This node's steps the other side has not taken in yet (buyer only), e.g. `cancel`.
    pub pending: Option<String>,
    /// The last refusal or conflict, in plain words.
    pub problem: Option<String>,
}

impl OrderRow {
    /// The status word shown to people and programs: the protocol status, or
    /// `refused` for a placement the seller turned down.
    pub fn status_word(&self) -> &'static str {
        if self.refused {
            "refused"
        } else {
            self.state.status.word()
        }
    }
}

/// One stored order event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRow {
    /// The order.
    pub order: OrderId,
    /// Position in the chain.
    pub seq: u32,
    /// Hex SHA-256 of the body.
    pub hash: String,
    /// The signed message exactly as made or received.
    pub message: SignedMessage,
    /// A buyer's step the seller has not yet taken in.
    pub proposed: bool,
}

pub(super) fn role_word(role: Role) -> &'static str {
    match role {
        Role::Buyer => "buyer",
        Role::Seller => "seller",
    }
}

const ORDER_COLUMNS: &str = "order_id, role, counterpart, status, seq, head, terms, placed_at_ms,
    updated_at_ms, completed_at_ms, pending, problem";

type RawOrder = (
    String,
    String,
    String,
    String,
    u32,
    String,
    String,
    i64,
    i64,
    Option<i64>,
    Option<String>,
    Option<String>,
);

fn raw_order(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawOrder> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
        row.get(9)?,
        row.get(10)?,
        row.get(11)?,
    ))
}

fn order_row(raw: RawOrder) -> Result<OrderRow, StoreError> {
    let (
        id,
        role,
        counterpart,
        status,
        seq,
        head,
        terms,
        placed,
        updated,
        completed,
        pending,
        problem,
    ) = raw;
    let refused = status == "refused";
    let status: Status = if refused {
        Status::Placed
    } else {
        parse(&status, "status")?
    };
    let terms: OrderTerms = parse_json(&terms, "terms")?;
    Ok(OrderRow {
        state: OrderState {
            id: parse(&id, "order id")?,
            terms,
            status,
            seq,
            head,
            placed_at_ms: placed,
            updated_at_ms: updated,
        },
        role: match role.as_str() {
            "buyer" => Role::Buyer,
            "seller" => Role::Seller,
            _ => return Err(corrupt("role")),
        },
        counterpart: parse(&counterpart, "counterpart")?,
        refused,
        completed_at_ms: completed,
        pending,
        problem,
    })
}

/// Which orders to list.
#[derive(Clone, Debug, Default)]
pub struct OrderFilter {
    /// Only orders with this counterpart.
    pub counterpart: Option<CenterId>,
    /// Only orders in these statuses (status words, `refused` included).
    pub statuses: Vec<String>,
    /// Only orders where this node has this role.
    pub role: Option<Role>,
    /// At most this many, newest first (0: all).
    pub limit: u32,
    /// Only orders completed at or after the first and before the second time (UTC ms).
    pub completed_between: Option<(i64, i64)>,
}
impl Store {
    /// One order.
    pub fn order(&self, id: &OrderId) -> Result<Option<OrderRow>, StoreError> {
        self.conn
            .query_row(
                &format!("SELECT {ORDER_COLUMNS} FROM orders WHERE order_id = ?1"),
                params![id.as_str()],
                raw_order,
            )
            .optional()?
            .map(order_row)
            .transpose()
    }

    /// Orders, newest first.
    pub fn orders(&self, filter: &OrderFilter) -> Result<Vec<OrderRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {ORDER_COLUMNS} FROM orders
             WHERE (?1 IS NULL OR counterpart = ?1)
               AND (?2 IS NULL OR completed_at_ms >= ?2) AND (?3 IS NULL OR completed_at_ms < ?3)
               AND (?4 IS NULL OR status IN (SELECT value FROM json_each(?4)))
               AND (?5 IS NULL OR role = ?5)
             ORDER BY placed_at_ms DESC, order_id LIMIT ?6"
        ))?;
        let (from, to) = filter.completed_between.unzip();
        let counterpart = filter.counterpart.map(|c| c.to_string());
        let statuses = (!filter.statuses.is_empty())
            .then(|| json(&filter.statuses))
            .transpose()?;
        let role = filter.role.map(role_word);
        let limit = if filter.limit == 0 {
            -1
        } else {
            i64::from(filter.limit)
        };
        let mut out = Vec::new();
        let params = params![counterpart, from, to, statuses, role, limit];
        for raw in stmt.query_map(params, raw_order)? {
            out.push(order_row(raw?)?);
        }
        Ok(out)
    }

    /// The events of an order in chain order.
    pub fn order_events(&self, id: &OrderId) -> Result<Vec<EventRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, hash, message, proposed FROM order_events WHERE order_id = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map(params![id.as_str()], |row| {
            Ok((
                row.get::<_, u32>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, bool>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, hash, message, proposed) = row?;
            out.push(EventRow {
                order: id.clone(),
                seq,
                hash,
                message: parse_json(&message, "event message")?,
                proposed,
            });
        }
        Ok(out)
    }

    /// How many placements from `counterpart` (orders it placed with this center)
    /// were stored at or after `since_ms`.
    pub fn placements_since(
        &self,
        counterpart: &CenterId,
        since_ms: i64,
    ) -> Result<u64, StoreError> {
        let count: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM order_events e JOIN orders o ON o.order_id = e.order_id
              WHERE e.seq = 0 AND e.stored_at_ms >= ?2
                AND o.counterpart = ?1 AND o.role = 'seller'",
            params![counterpart.to_string(), since_ms],
            |row| row.get(0),
        )?;
        Ok(count.unsigned_abs())
    }

    /// Orders with `counterpart` that are not final, and its unanswered settlements.
    pub fn open_with(&self, counterpart: &CenterId) -> Result<(u64, u64), StoreError> {
        let orders: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM orders WHERE counterpart = ?1
               AND status NOT IN ('completed', 'rejected', 'cancelled', 'refused')",
            params![counterpart.to_string()],
            |row| row.get(0),
        )?;
        let settlements: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM settlements WHERE counterpart = ?1 AND status = 'waiting'",
            params![counterpart.to_string()],
            |row| row.get(0),
        )?;
        Ok((orders.unsigned_abs(), settlements.unsigned_abs()))
    }

    /// Counterparts of orders that are not final or of settlements not answered.
    pub fn open_counterparts(&self) -> Result<Vec<CenterId>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT counterpart FROM orders WHERE status NOT IN ('completed', 'rejected', 'cancelled', 'refused')
             UNION SELECT counterpart FROM settlements WHERE status = 'waiting'",
        )?;
        let rows = stmt.query_map([], |row| row.get::<_, String>(0))?;
        let mut out = Vec::new();
        for row in rows {
            out.push(parse(&row?, "counterpart")?);
        }
        Ok(out)
    }
}
