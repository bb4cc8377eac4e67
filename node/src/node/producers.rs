//! The producers this center sells for: adding and editing them (every field
//! bounded, WhatsApp normalised), linking a listing to one (which sets the
//! listing's public `producer` and `producer_village` through the normal
//! catalog edit path) and unlinking it (which leaves them),
//! recording payouts. Contact, bank account and WhatsApp stay in this node's
//! database: nothing here writes them into the catalog.

use serde::{Deserialize, Serialize};
use telecenter_protocol::ListingId;
use telecenter_protocol::catalog::input::ListingPatch;
use telecenter_protocol::fee::parse_commission;
use telecenter_protocol::limits::{
    PAYOUT_NOTE_CHARS_MAX, PAYOUTS_PER_PRODUCER_PER_DAY_MAX, PRODUCER_CHARS_MAX,
    PRODUCER_PAYOUT_IDR_MAX, PRODUCER_PRIVATE_CHARS_MAX, PRODUCER_VILLAGE_CHARS_MAX, PRODUCERS_MAX,
};
use telecenter_protocol::phone::normalize_phone;
use telecenter_protocol::text::{InvalidInput, in_range, text_line};

use crate::store::{ListingRow, PayoutRow, ProducerFields, ProducerRow, Store};

use super::{Node, NodeError, lock};

/// How far back a payout may be dated, ms (a year and a day).
pub const PAYOUT_PAST_MS_MAX: i64 = 366 * 24 * 60 * 60 * 1_000;
/// How far ahead a payout may be dated (clock differences), ms.
pub const PAYOUT_FUTURE_MS_MAX: i64 = 24 * 60 * 60 * 1_000;
const DAY_MS: i64 = 24 * 60 * 60 * 1_000;

/// A producer as typed by an operator (CLI, admin API, pages). On creation
/// `name` and `village` are required; on an edit, absent fields stay.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProducerInput {
    /// Name (public).
    pub name: Option<String>,
    /// Village (public).
    pub village: Option<String>,
    /// How to reach them (this node only).
    pub contact: Option<String>,
    /// Bank account for payouts (this node only).
    pub bank_account: Option<String>,
    /// WhatsApp in any Indonesian form, or empty (this node only).
    pub whatsapp: Option<String>,
    /// Commission as a percentage: `10`, `7,5`.
    pub commission: Option<String>,
}

impl ProducerInput {
    /// Checks the input over `base` (the producer's current fields, if any).
    fn apply(&self, base: Option<&ProducerFields>) -> Result<ProducerFields, InvalidInput> {
        let pick = |new: &Option<String>, old: Option<&String>| {
            new.clone().or_else(|| old.cloned()).unwrap_or_default()
        };
        let name = text_line(
            "name",
            &pick(&self.name, base.map(|b| &b.name)),
            1,
            PRODUCER_CHARS_MAX,
        )?;
        let village = text_line(
            "village",
            &pick(&self.village, base.map(|b| &b.village)),
            1,
            PRODUCER_VILLAGE_CHARS_MAX,
        )?;
        let contact = text_line(
            "contact",
            &pick(&self.contact, base.map(|b| &b.contact)),
            0,
            PRODUCER_PRIVATE_CHARS_MAX,
        )?;
        let bank_account = text_line(
            "bank_account",
            &pick(&self.bank_account, base.map(|b| &b.bank_account)),
            0,
            PRODUCER_PRIVATE_CHARS_MAX,
        )?;
        let whatsapp = match &self.whatsapp {
            Some(raw) if raw.trim().is_empty() => String::new(),
            Some(raw) => normalize_phone("whatsapp", raw)?,
            None => base.map(|b| b.whatsapp.clone()).unwrap_or_default(),
        };
        let commission_bp = match &self.commission {
            Some(text) => parse_commission(text)?,
            None => base.map_or(0, |b| b.commission_bp),
        };
        Ok(ProducerFields {
            name,
            village,
            contact,
            bank_account,
            whatsapp,
            commission_bp,
        })
    }
}

/// A payout as typed by an operator.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayoutInput {
    /// Amount, whole rupiah (1 to `PRODUCER_PAYOUT_IDR_MAX`).
    pub amount_idr: i64,
    /// `cash` or `transfer`.
    pub method: String,
    /// A note (may be empty).
    #[serde(default)]
    pub note: String,
    /// When it was paid, UTC ms (default: now); at most a year back.
    #[serde(default)]
    pub at_ms: Option<i64>,
}

fn no_such_producer(id: i64) -> NodeError {
    NodeError::NoSuchProducer(id)
}

fn fields_of(row: &ProducerRow) -> ProducerFields {
    ProducerFields {
        name: row.name.clone(),
        village: row.village.clone(),
        contact: row.contact.clone(),
        bank_account: row.bank_account.clone(),
        whatsapp: row.whatsapp.clone(),
        commission_bp: row.commission_bp,
    }
}

impl Node {
    /// Runs `f` on the read-only store (reports and statements).
    pub fn with_reader<T>(&self, f: impl FnOnce(&Store) -> T) -> T {
        f(&lock(&self.reader))
    }

    /// All producers of this center.
    pub fn producers(&self) -> Result<Vec<ProducerRow>, NodeError> {
        Ok(lock(&self.reader).producers()?)
    }

    /// One producer.
    pub fn producer(&self, id: i64) -> Result<ProducerRow, NodeError> {
        lock(&self.reader)
            .producer(id)?
            .ok_or_else(|| no_such_producer(id))
    }

    /// Adds a producer.
    pub fn add_producer(&self, input: &ProducerInput) -> Result<ProducerRow, NodeError> {
        let fields = input.apply(None)?;
        let id = {
            let mut writer = lock(&self.writer);
            if writer.store.producer_count()? >= PRODUCERS_MAX {
                return Err(NodeError::Full(format!(
                    "this center already has {PRODUCERS_MAX} producers"
                )));
            }
            duplicate_check(&writer.store, &fields, None)?;
            writer.store.insert_producer(&fields, self.clock.now_ms())?
        };
        self.producer(id)
    }

    /// Changes a producer. A new name or village is written into the public
    /// `producer` and `producer_village` of each of their listings.
    pub fn edit_producer(&self, id: i64, input: &ProducerInput) -> Result<ProducerRow, NodeError> {
        let old = self.producer(id)?;
        let fields = input.apply(Some(&fields_of(&old)))?;
        {
            let mut writer = lock(&self.writer);
            duplicate_check(&writer.store, &fields, Some(id))?;
            writer.store.update_producer(id, &fields)?;
        }
        if fields.name != old.name || fields.village != old.village {
            let listings = lock(&self.reader).producer_listings(id)?;
            for listing in listings {
                let Ok(listing) = listing.parse::<ListingId>() else {
                    continue;
                };
                self.set_listing_producer_text(&listing, &fields.name, &fields.village)?;
            }
        }
        self.producer(id)
    }

    /// Makes one of this center's listings the producer's (`None`: nobody's)
    /// and, for a producer, sets the listing's public `producer` and
    /// `producer_village` to their name and village. Unlinking leaves both as
    /// they are: the listing still names who made it.
    pub fn link_listing(
        &self,
        listing: &ListingId,
        producer: Option<i64>,
    ) -> Result<ListingRow, NodeError> {
        let row = self.own_listing(listing)?;
        let name = producer.map(|id| self.producer(id)).transpose()?;
        lock(&self.writer)
            .store
            .link_listing(&listing.to_string(), producer)?;
        match name {
            Some(p)
                if p.name != row.listing.producer || p.village != row.listing.producer_village =>
            {
                self.set_listing_producer_text(listing, &p.name, &p.village)
            }
            _ => Ok(row),
        }
    }

    /// Takes one of this center's listings from the producer `producer`: the
    /// link goes, the listing's public producer name and village stay.
    pub fn unlink_listing(&self, producer: i64, listing: &ListingId) -> Result<(), NodeError> {
        self.producer(producer)?;
        let mut writer = lock(&self.writer);
        if writer.store.listing_producer(listing.as_str())? != Some(producer) {
            return Err(InvalidInput::new(
                "listing",
                "not_linked",
                format!("listing {listing} is not linked to producer {producer}"),
            )
            .into());
        }
        writer.store.link_listing(listing.as_str(), None)?;
        Ok(())
    }

    fn set_listing_producer_text(
        &self,
        listing: &ListingId,
        name: &str,
        village: &str,
    ) -> Result<ListingRow, NodeError> {
        let patch = ListingPatch {
            producer: Some(name.to_owned()),
            producer_village: Some(village.to_owned()),
            ..ListingPatch::default()
        };
        match self.update_listing(listing, &patch) {
            // A removed listing keeps its old text; the link alone matters.
            Err(NodeError::Removed(_)) => self.own_listing(listing),
            other => other,
        }
    }

    /// The listings (ids) linked to a producer.
    pub fn producer_listings(&self, id: i64) -> Result<Vec<String>, NodeError> {
        Ok(lock(&self.reader).producer_listings(id)?)
    }

    /// Records a payout to a producer.
    pub fn record_payout(&self, id: i64, input: &PayoutInput) -> Result<PayoutRow, NodeError> {
        self.producer(id)?;
        let now = self.clock.now_ms();
        in_range(
            "amount",
            "the payout",
            input.amount_idr,
            1..=PRODUCER_PAYOUT_IDR_MAX,
            " rupiah",
        )?;
        let method = input.method.trim();
        if !matches!(method, "cash" | "transfer") {
            return Err(InvalidInput::new(
                "method",
                "not_a_method",
                "a payout is made in cash or by transfer (method cash or transfer)".into(),
            )
            .into());
        }
        let note = text_line("note", &input.note, 0, PAYOUT_NOTE_CHARS_MAX)?;
        let at_ms = input.at_ms.unwrap_or(now);
        if at_ms < now.saturating_sub(PAYOUT_PAST_MS_MAX)
            || at_ms > now.saturating_add(PAYOUT_FUTURE_MS_MAX)
        {
            return Err(InvalidInput::new(
                "date",
                "out_of_range",
                "a payout may be dated at most a year back and not in the future".into(),
            )
            .into());
        }
        let mut writer = lock(&self.writer);
        if writer.store.payouts_since(id, now.saturating_sub(DAY_MS))?
            >= PAYOUTS_PER_PRODUCER_PER_DAY_MAX
        {
            return Err(NodeError::Full(format!(
                "at most {PAYOUTS_PER_PRODUCER_PER_DAY_MAX} payouts to one producer a day"
            )));
        }
        let payout = writer
            .store
            .insert_payout(id, at_ms, input.amount_idr, method, &note)?;
        Ok(PayoutRow {
            id: payout,
            producer: id,
            at_ms,
            amount_idr: input.amount_idr,
            method: method.to_owned(),
            note,
        })
    }

    /// Records a local sale (a sale made at the counter or from a buyer
    /// request); idempotent on (kind, reference).
    pub fn record_sale(&self, sale: &crate::store::NewSale) -> Result<bool, NodeError> {
        Ok(lock(&self.writer).store.record_sale(sale)?)
    }
}

fn duplicate_check(
    store: &Store,
    fields: &ProducerFields,
    except: Option<i64>,
) -> Result<(), NodeError> {
    if store
        .producer_named(&fields.name, &fields.village, except)?
        .is_some()
    {
        return Err(InvalidInput::new(
            "name",
            "duplicate",
            format!(
                "a producer named {:?} in {:?} already exists",
                fields.name, fields.village
            ),
        )
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests;
