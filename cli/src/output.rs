//! What commands print: plain text for people, or JSON with `--json`.

use std::path::Path;

use anyhow::Result;
use telecenter_node::api::{InfoView, ListingView, ListingsView, PeerView, TrustView};
use telecenter_node::money::format_rupiah;
use telecenter_node::sync::RoundReport;
use telecenter_protocol::Profile;

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
        "Created {} ({}) in {}. Keep a copy of {}/identity.key somewhere safe: it is this center's identity.",
        profile.name,
        profile.region,
        data.display(),
        data.display()
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
        "{} ({}) is serving at {url}  — stop with Ctrl-C",
        profile.name,
        profile.center.short()
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
        println!("removed {} ({})", view.id, view.title);
    })
}

/// One listing in full.
pub(crate) fn listing(view: &ListingView, json: bool) -> Result<()> {
    json_or_text(json, view, || {
        println!("{}  {}", view.id, view.title);
        println!(
            "  price:     {} / {}",
            format_rupiah(view.price_idr),
            view.unit
        );
        println!("  stock:     {}", view.stock);
        println!("  category:  {}", view.category);
        if !view.producer.is_empty() {
            println!("  producer:  {}", view.producer);
        }
        println!("  status:    {}", view.status);
        println!("  center:    {} ({})", view.center_name, view.center_region);
        println!("  updated:   {}", local_time(&view.updated_at));
        if !view.description.is_empty() {
            println!("  {}", view.description.replace('\n', "\n  "));
        }
    })
}

/// A page of listings.
pub(crate) fn listings(page: &ListingsView, json: bool, own: bool) -> Result<()> {
    json_or_text(json, page, || {
        if let Some(corrected) = &page.did_you_mean {
            println!("did you mean: {corrected}");
        }
        if page.items.is_empty() {
            println!("no listings found");
            if !page.suggestions.is_empty() {
                println!("try: {}", page.suggestions.join(", "));
            }
            return;
        }
        for item in &page.items {
            let price = format_rupiah(item.price_idr);
            if own {
                println!(
                    "{}  {:<7} {:>14}  stock {:>5}  {}",
                    item.id, item.status, price, item.stock, item.title
                );
            } else {
                println!(
                    "{}  {:>14}  {}  — {} ({})",
                    item.id, price, item.title, item.center_name, item.center_region
                );
            }
        }
        println!("{} of {} shown", page.items.len(), page.total);
    })
}

/// The center's info.
pub(crate) fn info(view: &InfoView, json: bool) -> Result<()> {
    json_or_text(json, view, || {
        println!("{}", view.name);
        println!("  center id: {}", view.center_id);
        println!("  region:    {}", view.region);
        if !view.contact.is_empty() {
            println!("  contact:   {}", view.contact);
        }
        if let Some(whatsapp) = &view.whatsapp {
            println!("  whatsapp:  {whatsapp}");
        }
        println!(
            "  fee:       {} % referral fee paid to the center that brings a sale, minimum {}",
            telecenter_protocol::fee::percent_text(view.referral_fee_bp),
            format_rupiah(view.referral_fee_min_idr)
        );
        match &view.address {
            Some(address) => println!("  address:   {address} (other centers send orders here)"),
            None => {
                println!(
                    "  address:   none published (orders arrive over connections this node opens)"
                )
            }
        }
        println!("  version:   {}", view.version);
    })
}

/// After `peer add`.
pub(crate) fn peer_added(peer: &PeerView, json: bool) -> Result<()> {
    json_or_text(json, peer, || {
        println!("added peer {} ({})", peer.name, peer.center_id);
        match &peer.url {
            Some(url) => println!("  address: {url}"),
            None => println!("  no address: it connects to this node"),
        }
        println!("  its catalog is now trusted; check the id above with its operator");
    })
}

/// `peer list`.
pub(crate) fn peers(peers: &[PeerView], json: bool) -> Result<()> {
    json_or_text(json, &peers, || {
        if peers.is_empty() {
            println!("no peers yet: add one with 'telecenter peer add http://host:port'");
            return;
        }
        for peer in peers {
            println!("{}  {}", peer.center_id, peer.name);
            println!(
                "  address:    {}",
                peer.url.as_deref().unwrap_or("(connects to us)")
            );
            let w = crate::words::words();
            println!(
                "  {:<11} {}",
                w.last_sync,
                peer.last_sync_at
                    .as_deref()
                    .map_or_else(|| w.never.to_owned(), local_time)
            );
            println!("  behind by:  {} change(s)", peer.behind);
            if let Some(error) = &peer.last_error {
                println!(
                    "  last error: {} ({})",
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
        for decision in &view.decisions {
            println!("{}  {}", decision.state, decision.center_id);
        }
        println!("accepted catalogs: {}", view.accepted.len());
        for center in &view.accepted {
            let how = match center.depth {
                0 => "this center".to_owned(),
                1 => "trusted".to_owned(),
                d => format!("vouched for (depth {d})"),
            };
            println!("  {}  {how}", center.center_id);
        }
    })
}

/// `sync`.
pub(crate) fn sync(reports: &[RoundReport], json: bool) -> Result<()> {
    json_or_text(json, &reports, || {
        if reports.is_empty() {
            println!("no peers with an address to sync with");
        }
        for report in reports {
            match &report.error {
                None => println!(
                    "{}: ok, received {}, sent {}, behind {}",
                    report.name, report.received, report.sent, report.behind
                ),
                Some(error) => println!("{}: failed: {error}", report.name),
            }
        }
    })
}
