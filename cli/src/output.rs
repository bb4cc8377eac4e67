//! What commands print: plain text for people, or JSON with `--json`.

use std::path::Path;

use anyhow::Result;
use telecenter_node::api::{InfoView, ListingView, ListingsView, PeerView, TrustView};
use telecenter_node::money::format_rupiah;
use telecenter_node::sync::RoundReport;
use telecenter_protocol::Profile;

use crate::words::{fill, words};

/// `label` padded to the width of the longest label of `listing show` and
/// `info` (`price:     ` in English), then one space.
fn label(label: &str) -> String {
    let w = words();
    let width = [
        w.label_price,
        w.label_stock,
        w.label_category,
        w.label_producer,
        w.label_status,
        w.label_center,
        w.label_updated,
        w.label_center_id,
        w.label_region,
        w.label_contact,
        w.label_whatsapp,
        w.label_fee,
        w.label_address,
        w.label_version,
    ]
    .iter()
    .map(|l| l.chars().count())
    .max()
    .unwrap_or(10);
    format!("{label:<width$} ")
}

/// A listing status (`active`, `hidden`, `removed`) in the table's words.
fn listing_status(word: &str) -> &str {
    let w = words();
    match word {
        "active" => w.listing_active,
        "hidden" => w.listing_hidden,
        "removed" => w.listing_removed,
        other => other,
    }
}

/// An RFC 3339 time from the node as people read it: in the center's zone,
/// with the zone named (`23 Nov 2026 08.19 WIB`); unreadable text as it is.
pub(crate) fn local_time(at: &str) -> String {
    let lang = match crate::words::lang() {
        crate::words::Lang::Id => telecenter_protocol::catalog::Lang::Id,
        crate::words::Lang::En => telecenter_protocol::catalog::Lang::En,
    };
    telecenter_node::clock::parse_rfc3339_ms(at)
        .map(|ms| telecenter_node::web::local_time(lang, ms))
        .filter(|text| !text.is_empty())
        .unwrap_or_else(|| at.to_owned())
}

pub(crate) fn print_json(value: &impl serde::Serialize) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// With `--json`, prints `value` as JSON; otherwise runs `text`, which prints
/// it for people.
pub(crate) fn json_or_text(
    json: bool,
    value: &impl serde::Serialize,
    text: impl FnOnce(),
) -> Result<()> {
    if json {
        return print_json(value);
    }
    text();
    Ok(())
}

/// After `init`.
pub(crate) fn created(profile: &Profile, data: &Path, json: bool) -> Result<()> {
    if json {
        return print_json(&serde_json::json!({
            "center_id": profile.center.to_string(),
            "name": profile.name,
            "region": profile.region,
            "data": data.display().to_string(),
        }));
    }
    println!("{}", profile.center);
    eprintln!(
        "{}",
        fill(
            words().created,
            &[
                &profile.name,
                &profile.region,
                &data.display(),
                &data.display()
            ]
        )
    );
    Ok(())
}

/// When the node starts serving.
pub(crate) fn serving(profile: &Profile, url: &str, json: bool) -> Result<()> {
    if json {
        return print_json(&serde_json::json!({
            "center_id": profile.center.to_string(),
            "name": profile.name,
            "url": url,
        }));
    }
    println!(
        "{}",
        fill(
            words().serving,
            &[&profile.name, &profile.center.short(), &url]
        )
    );
    Ok(())
}

/// After `listing add`: the id alone, so scripts can capture it.
pub(crate) fn listing_id(view: &ListingView, json: bool) -> Result<()> {
    json_or_text(json, view, || {
        println!("{}", view.id);
    })
}

/// After `listing remove`.
pub(crate) fn removed(view: &ListingView, json: bool) -> Result<()> {
    json_or_text(json, view, || {
        println!("{}", fill(words().removed, &[&view.id, &view.title]));
    })
}

/// One listing in full.
pub(crate) fn listing(view: &ListingView, json: bool) -> Result<()> {
    json_or_text(json, view, || {
        let w = words();
        println!("{}  {}", view.id, view.title);
        println!(
            "  {}{} / {}",
            label(w.label_price),
            format_rupiah(view.price_idr),
            view.unit
        );
        println!("  {}{}", label(w.label_stock), view.stock);
        println!("  {}{}", label(w.label_category), view.category);
        if !view.producer.is_empty() {
            println!("  {}{}", label(w.label_producer), view.producer);
        }
        println!(
            "  {}{}",
            label(w.label_status),
            listing_status(&view.status)
        );
        println!(
            "  {}{} ({})",
            label(w.label_center),
            view.center_name,
            view.center_region
        );
        println!(
            "  {}{}",
            label(w.label_updated),
            local_time(&view.updated_at)
        );
        if !view.description.is_empty() {
            println!("  {}", view.description.replace('\n', "\n  "));
        }
    })
}

/// A page of listings.
pub(crate) fn listings(page: &ListingsView, json: bool, own: bool) -> Result<()> {
    json_or_text(json, page, || {
        let w = words();
        if let Some(corrected) = &page.did_you_mean {
            println!("{}", fill(w.did_you_mean, &[corrected]));
        }
        if page.items.is_empty() {
            println!("{}", w.no_listings);
            if !page.suggestions.is_empty() {
                println!("{}", fill(w.try_words, &[&page.suggestions.join(", ")]));
            }
            return;
        }
        // The status column is as wide as the longest status word.
        let status_width = ["active", "hidden", "removed"]
            .iter()
            .map(|s| listing_status(s).chars().count())
            .max()
            .unwrap_or(7);
        for item in &page.items {
            let price = format_rupiah(item.price_idr);
            if own {
                println!(
                    "{}  {:<status_width$} {:>14}  {} {:>5}  {}",
                    item.id,
                    listing_status(&item.status),
                    price,
                    w.stock_word,
                    item.stock,
                    item.title
                );
            } else {
                println!(
                    "{}  {:>14}  {}  — {} ({})",
                    item.id, price, item.title, item.center_name, item.center_region
                );
            }
        }
        println!("{}", fill(w.shown, &[&page.items.len(), &page.total]));
    })
}

/// The center's info.
pub(crate) fn info(view: &InfoView, json: bool) -> Result<()> {
    json_or_text(json, view, || {
        let w = words();
        println!("{}", view.name);
        println!("  {}{}", label(w.label_center_id), view.center_id);
        println!("  {}{}", label(w.label_region), view.region);
        if !view.contact.is_empty() {
            println!("  {}{}", label(w.label_contact), view.contact);
        }
        if let Some(whatsapp) = &view.whatsapp {
            println!("  {}{whatsapp}", label(w.label_whatsapp));
        }
        let fee = fill(
            w.fee_line,
            &[
                &telecenter_protocol::fee::percent_text(view.referral_fee_bp),
                &format_rupiah(view.referral_fee_min_idr),
            ],
        );
        println!("  {}{fee}", label(w.label_fee));
        let address = match &view.address {
            Some(address) => fill(w.address_published, &[address]),
            None => w.address_none.to_owned(),
        };
        println!("  {}{address}", label(w.label_address));
        println!("  {}{}", label(w.label_version), view.version);
    })
}

/// After `peer add`.
pub(crate) fn peer_added(peer: &PeerView, json: bool) -> Result<()> {
    json_or_text(json, peer, || {
        let w = words();
        println!("{}", fill(w.peer_added, &[&peer.name, &peer.center_id]));
        match &peer.url {
            Some(url) => println!("  {} {url}", w.label_address),
            None => println!("  {}", w.peer_no_address),
        }
        println!("  {}", w.peer_trusted_note);
    })
}

/// `peer list`.
pub(crate) fn peers(peers: &[PeerView], json: bool) -> Result<()> {
    json_or_text(json, &peers, || {
        let w = words();
        if peers.is_empty() {
            println!("{}", w.no_peers);
            return;
        }
        for peer in peers {
            println!("{}  {}", peer.center_id, peer.name);
            println!(
                "  {:<11} {}",
                w.label_address,
                peer.url.as_deref().unwrap_or(w.connects_to_us)
            );
            println!(
                "  {:<11} {}",
                w.last_sync,
                peer.last_sync_at
                    .as_deref()
                    .map_or_else(|| w.never.to_owned(), local_time)
            );
            println!(
                "  {:<11} {}",
                w.label_behind,
                fill(w.changes, &[&peer.behind])
            );
            if let Some(error) = &peer.last_error {
                println!(
                    "  {:<11} {} ({})",
                    w.label_last_error,
                    error,
                    peer.last_error_at
                        .as_deref()
                        .map(local_time)
                        .unwrap_or_default()
                );
            }
        }
    })
}

/// `trust`, `block`, `unblock`.
pub(crate) fn trust(view: &TrustView, json: bool) -> Result<()> {
    json_or_text(json, view, || {
        let w = words();
        for decision in &view.decisions {
            let state = match decision.state.as_str() {
                "trusted" => w.state_trusted,
                "blocked" => w.state_blocked,
                other => other,
            };
            println!("{state}  {}", decision.center_id);
        }
        println!("{}", fill(w.accepted_catalogs, &[&view.accepted.len()]));
        for center in &view.accepted {
            let how = match center.depth {
                0 => w.this_center.to_owned(),
                1 => w.state_trusted.to_owned(),
                d => fill(w.vouched_depth, &[&d]),
            };
            println!("  {}  {how}", center.center_id);
        }
    })
}

/// `sync`.
pub(crate) fn sync(reports: &[RoundReport], json: bool) -> Result<()> {
    json_or_text(json, &reports, || {
        let w = words();
        if reports.is_empty() {
            println!("{}", w.no_sync_peers);
        }
        for report in reports {
            match &report.error {
                None => println!(
                    "{}",
                    fill(
                        w.sync_ok,
                        &[&report.name, &report.received, &report.sent, &report.behind]
                    )
                ),
                Some(error) => println!("{}", fill(w.sync_failed, &[&report.name, error])),
            }
        }
    })
}
