//! The network page (`/operator/jaringan`): connected telecenters (by name,
//! id on hover and under "id") and their sync state, mail carried for others,
//! adding a peer from a pasted center card (confirmed first, its id checked
//! against the node answering) or from an address typed alone, syncing now, and
//! the trust and block decisions. Errors are in plain words and keep what was
//! typed.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;
use telecenter_protocol::CenterId;
use telecenter_protocol::address::NodeAddress;
use telecenter_protocol::card::{CARD_HEADER, CardError, CenterCard};
use telecenter_protocol::catalog::Lang;
use telecenter_protocol::limits::CARD_BYTES_MAX;

use super::i18n::operator::{carried_mail, carried_mail_heading};
use super::{
    CsrfForm, NoFields, field_error, html_page, i18n, internal, operator_nav, page, problem_box,
    words,
};
use crate::node::{Node, NodeError};
use crate::server::AppState;
use crate::sync::SyncError;
use crate::web::i18n::center::{address_error, card_error, center_words, id_mismatch};
use crate::web::local_time;
use crate::web::operator::OperatorPage;

/// The form that connects a peer: a pasted center card or an address
/// (`kartu`; `url` is the older name of the same field), and `setuju` once the
/// operator confirmed the card.
#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct PeerFields {
    kartu: String,
    url: String,
    setuju: String,
}

/// What the add-peer part of the page shows besides the form.
#[derive(Default)]
struct PeerForm {
    /// What the operator typed or pasted, put back into the textarea.
    typed: String,
    /// A card read but not confirmed yet.
    confirm: Option<CenterCard>,
}

/// The trust form: a center id and what to do (`trust`, `block`, `unblock`).
#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct TrustFields {
    action: String,
    center: String,
}

fn network_page(
    node: &Node,
    lang: Lang,
    csrf: &str,
    problem: Option<String>,
    message: Option<String>,
    form: &PeerForm,
) -> Result<Markup, NodeError> {
    let (t, w, c) = (i18n::texts(lang), words(lang), center_words(lang));
    let peers = node.peers()?;
    let (decisions, accepted) = node.trust_state();
    let names = crate::api::CenterNames::load(node)?;
    // A peer not synced yet has no catalog name; the name it answered with is used then.
    let name_of = |c: &CenterId| {
        let known = names.of(c);
        match peers.iter().find(|p| p.center_id == *c) {
            Some(peer) if known == c.short() => peer.name.clone(),
            _ => known,
        }
    };
    let (held, held_total) = node.mailbox()?;
    Ok(html! {
        (operator_nav(t, csrf))
        h1 { (w.network) }
        @if let Some(message) = message { p.order role="status" { (message) } }
        (problem_box(t, &problem))
        @if held_total.count > 0 {
            section.order aria-labelledby="titipan" {
                h2 #titipan { (carried_mail_heading(lang)) }
                p { (carried_mail(lang, held_total.count, held_total.bytes.div_ceil(1024))) }
                ul {
                    @for (recipient, count) in &held {
                        @let name = peers.iter().find(|p| p.center_id == *recipient).map_or_else(|| name_of(recipient), |p| p.name.clone());
                        li { (name) ": " (count) }
                    }
                }
            }
        }
        h2 { (w.peers) }
        ul.cards {
            @for peer in &peers {
                li.card {
                    h3 title=(peer.center_id) { (peer.name) }
                    p.muted { (peer.url.as_deref().unwrap_or("—")) }
                    details { summary { (c.full_id) } code style="word-break:break-all" { (peer.center_id) } }
                    dl.facts {
                        dt { (w.last_sync) } dd { @match peer.last_ok_ms { Some(ms) => (local_time(lang, ms)), None => (w.never) } }
                        dt { (w.behind) } dd { (peer.behind) }
                        @if let Some(error) = &peer.last_error { dt { (w.last_error) } dd { (error) } }
                    }
                }
            }
        }
        form method="post" action="/operator/jaringan/sinkron" {
            input type="hidden" name="csrf" value=(csrf);
            button type="submit" { (w.sync_now) }
        }
        h2 #tambah-rekan { (w.add_peer) }
        @if let Some(card) = &form.confirm {
            section.order #konfirmasi-kartu aria-labelledby="konfirmasi-judul" {
                h3 #konfirmasi-judul { (c.confirm_heading) }
                dl.facts {
                    dt { (w.name) } dd { (card.name) }
                    dt { (w.region) } dd { (card.region) }
                    dt { (c.full_id) } dd { code style="word-break:break-all" { (card.id) } }
                    dt { (c.address) } dd { (card.address.as_ref().map_or("—", |a| a.as_str())) }
                }
                p { (c.confirm_hint) }
                form method="post" action="/operator/jaringan/peer" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="kartu" value=(form.typed);
                    input type="hidden" name="setuju" value="1";
                    button #setuju-kartu type="submit" { (c.confirm_yes) } " "
                    a.button href="/operator/jaringan" { (c.cancel) }
                }
            }
        }
        form method="post" action="/operator/jaringan/peer" {
            input type="hidden" name="csrf" value=(csrf);
            label for="tempel-kartu" { (c.paste_card) }
            textarea #tempel-kartu name="kartu" rows="6" required maxlength=(CARD_BYTES_MAX)
                style="width:100%;font-family:monospace"
                placeholder="TELECENTER-KARTU v1\nnama: …\nwilayah: …\nid: tc1…\nalamat: http://192.168.1.20:8470"
                aria-describedby="tempel-hint" { (form.typed) }
            p.muted #tempel-hint { (c.paste_hint) }
            p { button #sambungkan type="submit" { (c.connect) } }
        }
        h2 { (w.trusted_centers) }
        ul #dipercaya {
            @for (center, depth) in &accepted {
                @if *depth > 0 {
                    li title=(center) {
                        (name_of(center)) " — "
                        @if *depth == 1 { (c.trusted_direct) } @else { (c.trusted_vouched) }
                        details { summary { (c.full_id) } code style="word-break:break-all" { (center) } }
                    }
                }
            }
            @for (center, state) in &decisions {
                @if *state == crate::store::TrustState::Blocked {
                    li title=(center) {
                        strong { (w.block) ": " } (name_of(center))
                        details { summary { (c.full_id) } code style="word-break:break-all" { (center) } }
                    }
                }
            }
        }
        form method="post" action="/operator/jaringan/kepercayaan" {
            input type="hidden" name="csrf" value=(csrf);
            label for="center" { (w.center_id) }
            input #center name="center" required maxlength="70";
            p {
                button type="submit" name="action" value="trust" { (w.trust) } " "
                button type="submit" name="action" value="block" style="background:#b3261e" { (w.block) } " "
                button type="submit" name="action" value="unblock" { (w.unblock) }
            }
        }
    })
}

/// `GET /operator/jaringan`.
pub(crate) async fn network(
    State(state): State<AppState>,
    OperatorPage { csrf, lang }: OperatorPage,
) -> Response {
    render_network(
        state,
        lang,
        csrf,
        StatusCode::OK,
        None,
        None,
        PeerForm::default(),
    )
    .await
}

async fn network_after(
    state: AppState,
    lang: Lang,
    csrf: String,
    outcome: Result<String, String>,
) -> Response {
    let (status, problem, message) = match outcome {
        Ok(message) => (StatusCode::OK, None, Some(message)),
        Err(problem) => (StatusCode::BAD_REQUEST, Some(problem), None),
    };
    render_network(
        state,
        lang,
        csrf,
        status,
        problem,
        message,
        PeerForm::default(),
    )
    .await
}

async fn render_network(
    state: AppState,
    lang: Lang,
    csrf: String,
    status: StatusCode,
    problem: Option<String>,
    message: Option<String>,
    form: PeerForm,
) -> Response {
    let t = i18n::texts(lang);
    match state
        .run(move |node| network_page(node, lang, &csrf, problem, message, &form))
        .await
    {
        Ok(markup) => html_page(status, page(t, words(lang).network, "/operator", markup)),
        Err(error) => internal(lang, &error),
    }
}

/// A failure to reach or recognise a node, in plain words.
fn sync_problem(lang: Lang, typed: &str, error: &SyncError) -> String {
    let c = center_words(lang);
    match error {
        SyncError::Unreachable { .. } => c.unreachable.to_owned(),
        SyncError::Refused { .. } | SyncError::BadAnswer { .. } => c.not_a_telecenter.to_owned(),
        SyncError::BadAddress { .. } | SyncError::AddressRefused { .. } => {
            address_error(lang, typed)
        }
        SyncError::Node(NodeError::Invalid(e)) if e.code == "own_center" => c.self_card.to_owned(),
        SyncError::Node(NodeError::Invalid(e)) => field_error(lang, e),
        other => other.to_string(),
    }
}

/// `POST /operator/jaringan/peer`: a pasted card is shown for confirmation,
/// then (with `setuju`) its address is asked who it is and, when the answer
/// names the card's center, added as a peer and trusted; an address alone is
/// added at once.
pub(crate) async fn add_peer(
    State(state): State<AppState>,
    CsrfForm {
        session,
        lang,
        fields,
    }: CsrfForm<PeerFields>,
) -> Response {
    let csrf = session.csrf;
    let typed = if fields.kartu.trim().is_empty() {
        fields.url
    } else {
        fields.kartu
    };
    let c = center_words(lang);
    let failed = |problem: String, typed: String| {
        let form = PeerForm {
            typed,
            confirm: None,
        };
        let (state, csrf) = (state.clone(), csrf.clone());
        async move {
            render_network(
                state,
                lang,
                csrf,
                StatusCode::BAD_REQUEST,
                Some(problem),
                None,
                form,
            )
            .await
        }
    };
    if typed.len() > CARD_BYTES_MAX {
        // Neither a card nor an address: refused before it is read, and only
        // its start is put back into the page.
        let problem = card_error(lang, &CardError::TooLarge(typed.len()));
        let mut kept = typed;
        let mut end = CARD_BYTES_MAX;
        while !kept.is_char_boundary(end) {
            end -= 1;
        }
        kept.truncate(end);
        return failed(problem, kept).await;
    }
    let is_card = typed
        .trim_start()
        .get(..CARD_HEADER.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(CARD_HEADER));
    if !is_card {
        let address = typed.trim();
        if NodeAddress::parse(address).is_err() {
            let problem = address_error(lang, address);
            return failed(problem, typed).await;
        }
        let engine = match state.engine() {
            Ok(engine) => engine,
            Err(error) => return internal(lang, &error),
        };
        return match crate::sync::add_peer_by_url(&state.node, engine.client(), address).await {
            Ok(info) => {
                let message = format!("{}: {} ({})", c.connected, info.name, info.region);
                network_after(state, lang, csrf, Ok(message)).await
            }
            Err(error) => failed(sync_problem(lang, address, &error), typed).await,
        };
    }
    let card = match CenterCard::parse(&typed) {
        Ok(card) => card,
        Err(error) => return failed(card_error(lang, &error), typed).await,
    };
    if card.id == state.node.center_id() {
        return failed(c.self_card.to_owned(), typed).await;
    }
    let Some(address) = card.address.clone() else {
        return failed(c.card_without_address.to_owned(), typed).await;
    };
    if fields.setuju.is_empty() {
        let form = PeerForm {
            typed,
            confirm: Some(card),
        };
        return render_network(state, lang, csrf, StatusCode::OK, None, None, form).await;
    }
    let engine = match state.engine() {
        Ok(engine) => engine,
        Err(error) => return internal(lang, &error),
    };
    let url = address.as_str().to_owned();
    let (center, info) = match crate::sync::fetch_info(engine.client(), &url).await {
        Ok(answer) => answer,
        Err(error) => return failed(sync_problem(lang, &url, &error), typed).await,
    };
    if center != card.id {
        let answered = format!("{} ({})", info.name, center.short());
        let problem = id_mismatch(lang, &card.name, &url, &answered);
        return failed(problem, typed).await;
    }
    let name = info.name.clone();
    let added = state
        .run(move |node| node.add_peer(&center, &name, Some(&url)))
        .await;
    match added {
        Ok(()) => {
            let message = format!("{}: {} ({})", c.connected, info.name, info.region);
            network_after(state, lang, csrf, Ok(message)).await
        }
        Err(error) => {
            let problem = sync_problem(lang, address.as_str(), &SyncError::Node(error));
            failed(problem, typed).await
        }
    }
}

/// `POST /operator/jaringan/kepercayaan`.
pub(crate) async fn decide(
    State(state): State<AppState>,
    CsrfForm {
        session,
        lang,
        fields: TrustFields { action, center },
    }: CsrfForm<TrustFields>,
) -> Response {
    let csrf = session.csrf;
    let w = words(lang);
    let outcome = match center.trim().parse::<CenterId>() {
        Err(e) => Err(e.to_string()),
        Ok(center) => {
            type Decision = fn(&Node, &CenterId) -> Result<(), NodeError>;
            let (label, decision): (&str, Decision) = match action.as_str() {
                "block" => (w.block, Node::block),
                "unblock" => (w.unblock, Node::unblock),
                "trust" => (w.trust, Node::trust),
                _ => return network_after(state, lang, csrf, Err(w.bad_form.to_owned())).await,
            };
            state
                .run(move |node| decision(node, &center))
                .await
                .map(|()| format!("{label}: {}", center.short()))
                .map_err(|e| match e {
                    NodeError::Invalid(e) => field_error(lang, &e),
                    other => other.to_string(),
                })
        }
    };
    network_after(state, lang, csrf, outcome).await
}

/// `POST /operator/jaringan/sinkron`.
pub(crate) async fn sync_now(
    State(state): State<AppState>,
    CsrfForm { session, lang, .. }: CsrfForm<NoFields>,
) -> Response {
    let csrf = session.csrf;
    let engine = match state.engine() {
        Ok(engine) => engine,
        Err(error) => return internal(lang, &error),
    };
    let outcome = engine
        .sync_all()
        .await
        .map(|reports| {
            reports
                .iter()
                .map(|r| match &r.error {
                    None => format!("{}: ok (+{}, ->{})", r.name, r.received, r.sent),
                    Some(e) => format!("{}: {e}", r.name),
                })
                .collect::<Vec<_>>()
                .join(" · ")
        })
        .map_err(|e| e.to_string());
    network_after(state, lang, csrf, outcome).await
}
