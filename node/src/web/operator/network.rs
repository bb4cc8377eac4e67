//! The network page (`/operator/jaringan`): connected telecenters and their
//! sync state, mail carried for others, adding a peer, syncing now, and the
//! trust and block decisions.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;
use telecenter_protocol::CenterId;
use telecenter_protocol::catalog::Lang;

use super::i18n::operator::{carried_mail, carried_mail_heading};
use super::{
    CsrfForm, NoFields, field_error, html_page, i18n, internal, operator_nav, page, problem_box,
    words,
};
use crate::node::{Node, NodeError};
use crate::server::AppState;
use crate::web::local_time;
use crate::web::operator::OperatorPage;

/// The form that connects a peer.
#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct PeerFields {
    url: String,
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
) -> Result<Markup, NodeError> {
    let (t, w) = (i18n::texts(lang), words(lang));
    let peers = node.peers()?;
    let (decisions, accepted) = node.trust_state();
    let names = crate::api::CenterNames::load(node)?;
    let name_of = |c: &CenterId| names.of(c);
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
                    h3 { (peer.name) }
                    p.muted { (peer.url.as_deref().unwrap_or("—")) }
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
        h2 { (w.add_peer) }
        form method="post" action="/operator/jaringan/peer" {
            input type="hidden" name="csrf" value=(csrf);
            label for="url" { (w.peer_address) }
            input #url name="url" type="url" required placeholder="http://203.0.113.7:8470";
            p { button type="submit" { (w.add_peer) } }
        }
        h2 { (w.trusted_centers) }
        ul {
            @for (center, depth) in &accepted {
                @if *depth > 0 { li { (name_of(center)) " — " (center.short()) " (" (depth) ")" } }
            }
            @for (center, state) in &decisions {
                @if *state == crate::store::TrustState::Blocked { li { strong { (w.block) ": " } (name_of(center)) " — " (center.short()) } }
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
    render_network(state, lang, csrf, StatusCode::OK, None, None).await
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
    render_network(state, lang, csrf, status, problem, message).await
}

async fn render_network(
    state: AppState,
    lang: Lang,
    csrf: String,
    status: StatusCode,
    problem: Option<String>,
    message: Option<String>,
) -> Response {
    let t = i18n::texts(lang);
    match state
        .run(move |node| network_page(node, lang, &csrf, problem, message))
        .await
    {
        Ok(markup) => html_page(status, page(t, words(lang).network, "/operator", markup)),
        Err(error) => internal(lang, &error),
    }
}

/// `POST /operator/jaringan/peer`.
pub(crate) async fn add_peer(
    State(state): State<AppState>,
    CsrfForm {
        session,
        lang,
        fields,
    }: CsrfForm<PeerFields>,
) -> Response {
    let (csrf, url) = (session.csrf, fields.url);
    let engine = match state.engine() {
        Ok(engine) => engine,
        Err(error) => return internal(lang, &error),
    };
    let outcome = crate::sync::add_peer_by_url(&state.node, engine.client(), &url)
        .await
        .map(|info| format!("{} ({}) — {}", info.name, info.region, info.center_id))
        .map_err(|e| e.to_string());
    network_after(state, lang, csrf, outcome).await
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
