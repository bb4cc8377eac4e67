//! Storage of sealed mail (schema version 5): mail this node sealed for other
//! centers (`outbox`: its waiting pair messages; `reply`: answers to mail it
//! took in), mail it holds for others as a relay (`relay`), and the ids of mail
//! already handed on or taken in (`gone`, body dropped), kept until the mail
//! expires so that the same mail coming back (a loop, a replay) is recognised.
//! Only ciphertext is stored: nothing here can be read without the recipient's key.

use rusqlite::{OptionalExtension, params};
use telecenter_protocol::CenterId;
use telecenter_protocol::sealed::SealedMail;

use super::{Store, StoreError};

/// Why this node holds a mail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailKind {
    /// This node's waiting pair messages, sealed for their recipient.
    Outbox,
    /// This node's answers to mail it took in.
    Reply,
    /// Another center's mail, held for its recipient.
    Relay,
}

impl MailKind {
    fn word(self) -> &'static str {
        match self {
            Self::Outbox => "outbox",
            Self::Reply => "reply",
            Self::Relay => "relay",
        }
    }

    fn from_word(word: &str) -> Option<Self> {
        Some(match word {
            "outbox" => Self::Outbox,
            "reply" => Self::Reply,
            "relay" => Self::Relay,
            _ => return None,
        })
    }
}

/// A mail this node holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailRow {
    /// The mail's id (section 11.1 of the protocol).
    pub id: String,
    /// The mail.
    pub mail: SealedMail,
    /// Its size as counted against quotas.
    pub size: u64,
    /// Why it is held.
    pub kind: MailKind,
    /// The center that handed it over (none for this node's own).
    pub came_from: Option<CenterId>,
    /// When this node took it.
    pub received_ms: i64,
}

/// Mail held for others: how many and how many bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MailUse {
    /// Number of mails.
    pub count: u64,
    /// Their bytes.
    pub bytes: u64,
}

/// How the last pair message travelled to or from a counterpart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairRoute {
    /// The center that took it from this node, or handed it to this node (the
    /// counterpart itself when it travelled directly).
    pub via: CenterId,
    /// When, ms since the epoch.
    pub at_ms: i64,
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("unreadable {what}"))
}

/// Inserts a mail (with its body when `kind` is set; only its id, as `gone`,
/// otherwise); `false` if its id was there already.
fn insert(
    conn: &rusqlite::Connection,
    id: &str,
    mail: &SealedMail,
    kind: Option<MailKind>,
    came_from: Option<&CenterId>,
    now_ms: i64,
) -> Result<bool, StoreError> {
    let body = match kind {
        Some(_) => Some(
            serde_json::to_string(mail)
                .map_err(|e| StoreError::Corrupt(format!("mail not serialisable: {e}")))?,
        ),
        None => None,
    };
    let inserted = conn.execute(
        "INSERT OR IGNORE INTO mail
             (id, sender, recipient, at_ms, size, body, kind, came_from, received_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            id,
            mail.from.to_string(),
            mail.to.to_string(),
            mail.at,
            i64::try_from(mail.size()).unwrap_or(i64::MAX),
            body,
            kind.map_or("gone", MailKind::word),
            came_from.map(CenterId::to_string),
            now_ms,
        ],
    )?;
    Ok(inserted == 1)
}

fn center(text: &str) -> Result<CenterId, StoreError> {
    text.parse().map_err(|_| corrupt("center id in mail"))
}

impl Store {
    /// Whether this node holds or has handled the mail with this id.
    pub fn mail_known(&self, id: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM mail WHERE id = ?1")?
            .query_row([id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Stores a mail to hold (`kind`), or, with `kind` `None`, only remembers
    /// its id as handled (mail for this node, taken in). Returns `false` if the
    /// id was known already.
    pub fn mail_insert(
        &mut self,
        id: &str,
        mail: &SealedMail,
        kind: Option<MailKind>,
        came_from: Option<&CenterId>,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        insert(&self.conn, id, mail, kind, came_from, now_ms)
    }

    /// Mail held for others (`relay`), optionally only from `sender` and/or to
    /// `recipient`.
    pub fn mail_use(
        &self,
        sender: Option<&CenterId>,
        recipient: Option<&CenterId>,
    ) -> Result<MailUse, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM mail
             WHERE kind = 'relay' AND (?1 IS NULL OR sender = ?1)
               AND (?2 IS NULL OR recipient = ?2)",
        )?;
        let (count, bytes) = stmt.query_row(
            params![
                sender.map(CenterId::to_string),
                recipient.map(CenterId::to_string)
            ],
            |row| Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?)),
        )?;
        Ok(MailUse {
            count: count.unsigned_abs(),
            bytes: bytes.unsigned_abs(),
        })
    }

    /// Every recipient this node holds mail for, with how many.
    pub fn mail_recipients(&self) -> Result<Vec<(CenterId, u64)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT recipient, COUNT(*) FROM mail WHERE kind <> 'gone' GROUP BY recipient",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (recipient, count) = row?;
            out.push((center(&recipient)?, count.unsigned_abs()));
        }
        Ok(out)
    }

    /// Held mail for `recipient`, oldest first, that did not come from `not_from`,
    /// at most `limit` mails.
    pub fn mail_held_for(
        &self,
        recipient: &CenterId,
        not_from: &CenterId,
        limit: usize,
    ) -> Result<Vec<MailRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, body, size, kind, came_from, received_ms FROM mail
             WHERE recipient = ?1 AND kind <> 'gone'
               AND (came_from IS NULL OR came_from <> ?2)
             ORDER BY received_ms, rowid LIMIT ?3",
        )?;
        let rows = stmt.query_map(
            params![
                recipient.to_string(),
                not_from.to_string(),
                i64::try_from(limit).unwrap_or(i64::MAX)
            ],
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, Option<String>>(1)?,
                    row.get::<_, i64>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, Option<String>>(4)?,
                    row.get::<_, i64>(5)?,
                ))
            },
        )?;
        let mut out = Vec::new();
        for row in rows {
            let (id, body, size, kind, came_from, received_ms) = row?;
            let mail: SealedMail = serde_json::from_str(&body.ok_or_else(|| corrupt("held mail"))?)
                .map_err(|_| corrupt("held mail"))?;
            out.push(MailRow {
                id,
                mail,
                size: size.unsigned_abs(),
                kind: MailKind::from_word(&kind).ok_or_else(|| corrupt("mail kind"))?,
                came_from: came_from.as_deref().map(center).transpose()?,
                received_ms,
            });
        }
        Ok(out)
    }

    /// Marks a held mail as handed to `to` (its body is dropped, its id kept).
    /// Returns what it was, or `None` if it was not held.
    pub fn mail_handed(
        &mut self,
        id: &str,
        to: &CenterId,
        now_ms: i64,
    ) -> Result<Option<(MailKind, CenterId, CenterId)>, StoreError> {
        let Some(held) = self.mail_header(id)? else {
            return Ok(None);
        };
        self.conn.execute(
            "UPDATE mail SET kind = 'gone', body = NULL, handed_to = ?2, handed_ms = ?3
             WHERE id = ?1",
            params![id, to.to_string(), now_ms],
        )?;
        Ok(Some(held))
    }

    /// Replaces this node's own sealed outbox mail for `recipient` by `mails`
    /// (which carry every message still waiting), in one transaction.
    pub fn mail_replace_outbox(
        &mut self,
        recipient: &CenterId,
        mails: &[(String, SealedMail)],
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE mail SET kind = 'gone', body = NULL
             WHERE recipient = ?1 AND kind = 'outbox'",
            [recipient.to_string()],
        )?;
        for (id, mail) in mails {
            insert(&tx, id, mail, Some(MailKind::Outbox), None, now_ms)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Kind, sender and recipient of a held mail.
    pub fn mail_header(
        &self,
        id: &str,
    ) -> Result<Option<(MailKind, CenterId, CenterId)>, StoreError> {
        let row = self
            .conn
            .prepare_cached(
                "SELECT kind, sender, recipient FROM mail WHERE id = ?1 AND kind <> 'gone'",
            )?
            .query_row([id], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                ))
            })
            .optional()?;
        row.map(|(kind, sender, recipient)| {
            Ok((
                MailKind::from_word(&kind).ok_or_else(|| corrupt("mail kind"))?,
                center(&sender)?,
                center(&recipient)?,
            ))
        })
        .transpose()
    }

    /// Forgets every mail dated before `before_ms` (held or handled); returns
    /// the held ones that expired undelivered: (id, sender, recipient, kind).
    pub fn mail_expire(
        &mut self,
        before_ms: i64,
    ) -> Result<Vec<(String, CenterId, CenterId, MailKind)>, StoreError> {
        let mut expired = Vec::new();
        {
            let mut stmt = self.conn.prepare_cached(
                "SELECT id, sender, recipient, kind FROM mail
                 WHERE at_ms < ?1 AND kind <> 'gone' LIMIT 10000",
            )?;
            let rows = stmt.query_map([before_ms], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                ))
            })?;
            for row in rows {
                let (id, sender, recipient, kind) = row?;
                expired.push((
                    id,
                    center(&sender)?,
                    center(&recipient)?,
                    MailKind::from_word(&kind).ok_or_else(|| corrupt("mail kind"))?,
                ));
            }
        }
        self.conn
            .execute("DELETE FROM mail WHERE at_ms < ?1", [before_ms])?;
        Ok(expired)
    }

    /// Records how the last pair message travelled to (`outgoing`) or from a
    /// counterpart.
    pub fn set_pair_route(
        &mut self,
        counterpart: &CenterId,
        outgoing: bool,
        via: &CenterId,
        at_ms: i64,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO pair_routes (counterpart, direction, via, at_ms) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (counterpart, direction) DO UPDATE SET via = ?3, at_ms = ?4",
            params![
                counterpart.to_string(),
                if outgoing { "out" } else { "in" },
                via.to_string(),
                at_ms
            ],
        )?;
        Ok(())
    }

    /// How the last pair message travelled to (`outgoing`) or from a counterpart.
    pub fn pair_route(
        &self,
        counterpart: &CenterId,
        outgoing: bool,
    ) -> Result<Option<PairRoute>, StoreError> {
        let row = self
            .conn
            .prepare_cached(
                "SELECT via, at_ms FROM pair_routes WHERE counterpart = ?1 AND direction = ?2",
            )?
            .query_row(
                params![counterpart.to_string(), if outgoing { "out" } else { "in" }],
                |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?)),
            )
            .optional()?;
        row.map(|(via, at_ms)| {
            Ok(PairRoute {
                via: center(&via)?,
                at_ms,
            })
        })
        .transpose()
    }
}
