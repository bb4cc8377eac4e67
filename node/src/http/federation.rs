//! HTTP handlers of federation: the peer sync protocol (`/api/v1/sync/*`,
//! authenticated per hop) and the admin routes for peers, trust and sync.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde::de::DeserializeOwned;
use telecenter_protocol::CenterId;
use telecenter_protocol::sync::{
    Changes, FetchRequest, PushResponse, Rejected, SUMMARY_INLINE_BYTES_MAX, SYNC_CHANGES_MAX,
    SYNC_DOCS_MAX, SYNC_WAIT_MS_MAX, SummaryRequest, SummaryResponse, lacking,
};

use super::parse_center;
use crate::api::{AddPeer, CatalogView, PeerView, TrustView};
use crate::node::routes::ADVERT_ENTRIES_MAX;
use crate::node::{Ingested, Node, NodeError, reject_code};
use crate::node::{MAIL_BATCH_MAX, MAIL_PATH, MAIL_WAIT_MS_MAX, RECEIPTS_MAX};
use crate::server::{
    AdminToken, ApiError, ApiJson, ApiPath, ApiResult, AppState, Merged, PairHop, PeerHop, Stopping,
};
use crate::sync::{RoundReport, add_peer_by_url};
use telecenter_protocol::sealed::MailExchange;

fn parse<T: DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    serde_json::from_slice(body).map_err(|e| ApiError::BadRequest {
        code: "invalid_json",
        message: format!("invalid sync message: {e}"),
    })
}

fn too_many(what: &str, max: usize) -> ApiError {
    ApiError::BadRequest {
        code: "too_many",
        message: format!("at most {max} {what} per message"),
    }
}

/// `POST /api/v1/sync/summary`.
pub(super) async fn summary(
    State(state): State<AppState>,
    stopping: Stopping,
    PeerHop { auth, body }: PeerHop,
) -> ApiResult<Json<SummaryResponse>> {
    let request: SummaryRequest = parse(&body)?;
    if request.have.len() > SYNC_DOCS_MAX {
        return Err(too_many("documents", SYNC_DOCS_MAX));
    }
    // A delta lists only what changed since the caller's last summary request:
    // merged into the map remembered for it (protocol §10.3).
    let caller_has = if request.delta {
        match state.polled.merge(&auth.from, &request.have, SYNC_DOCS_MAX) {
            Merged::Map(map) => map,
            Merged::Unknown => {
                return Err(ApiError::BadRequest {
                    code: "poll_state_unknown",
                    message: "this node does not remember what you hold; send your whole have map"
                        .into(),
                });
            }
            Merged::TooMany => return Err(too_many("documents", SYNC_DOCS_MAX)),
        }
    } else {
        state.polled.set(auth.from, &request.have);
        request.have
    };
    if request.wait_ms > SYNC_WAIT_MS_MAX {
        return Err(ApiError::BadRequest {
            code: "invalid_wait",
            message: format!("wait_ms may be at most {SYNC_WAIT_MS_MAX}"),
        });
    }
    let center_id = state.node.center_id().to_string();
    if request.wait_ms == 0 {
        return Ok(Json(SummaryResponse {
            center_id,
            have: state.node.have(),
            changes: Vec::new(),
        }));
    }
    // Long poll: answer as soon as this node has something the caller lacks,
    // or at once (with nothing) when this node shuts down. While the caller
    // polls, this node's sync engine does not push to it (the answer brings
    // the news).
    let _open = state.node.poll_opened(auth.from);
    let mut changed = state.node.subscribe();
    let deadline = tokio::time::Instant::now() + Duration::from_millis(u64::from(request.wait_ms));
    let stopping = stopping.wait();
    tokio::pin!(stopping);
    loop {
        changed.mark_unchanged();
        let mine = state.node.have();
        // The chains the caller lacks changes of (a later writing epoch of a
        // catalog it follows counts as held up to 0), with the seq it holds.
        let want = lacking(&mine, &caller_has);
        if !want.is_empty() {
            let news: BTreeMap<String, u64> = want
                .keys()
                .filter_map(|chain| Some((chain.clone(), *mine.get(chain)?)))
                .collect();
            let inline = state
                .run(move |node| {
                    node.fetch_limited(&want, SYNC_CHANGES_MAX, SUMMARY_INLINE_BYTES_MAX)
                })
                .await?;
            return Ok(Json(SummaryResponse {
                center_id,
                have: news,
                changes: inline.changes,
            }));
        }
        tokio::select! {
            result = changed.changed() => {
                if result.is_err() {
                    break;
                }
            }
            () = tokio::time::sleep_until(deadline) => break,
            () = &mut stopping => break,
        }
    }
    Ok(Json(SummaryResponse {
        center_id,
        have: BTreeMap::new(),
        changes: Vec::new(),
    }))
}

/// `POST /api/v1/sync/fetch`.
pub(super) async fn fetch(
    State(state): State<AppState>,
    PeerHop { auth, body }: PeerHop,
) -> ApiResult<Json<Changes>> {
    let _ = auth;
    let request: FetchRequest = parse(&body)?;
    if request.want.len() > SYNC_DOCS_MAX {
        return Err(too_many("documents", SYNC_DOCS_MAX));
    }
    Ok(Json(
        state.run(move |node| node.fetch(&request.want)).await?,
    ))
}

/// `POST /api/v1/sync/push`.
pub(super) async fn push(
    State(state): State<AppState>,
    PeerHop { auth, body }: PeerHop,
) -> ApiResult<Json<PushResponse>> {
    let sender = auth.from;
    let request: Changes = parse(&body)?;
    if request.changes.len() > SYNC_CHANGES_MAX {
        return Err(too_many("changes", SYNC_CHANGES_MAX));
    }
    let mut response = PushResponse::default();
    let mut envelopes = Vec::new();
    let mut positions = Vec::new();
    for (index, text) in request.changes.iter().enumerate() {
        match telecenter_protocol::b64::decode(text) {
            Ok(bytes) => {
                envelopes.push(bytes);
                positions.push(index);
            }
            Err(e) => response.rejected.push(Rejected {
                index,
                code: "not_base64".to_owned(),
                message: format!("change is not base64: {e}"),
            }),
        }
    }
    let outcomes = state.run(move |node| node.receive(&envelopes)).await?;
    for (outcome, index) in outcomes.into_iter().zip(positions) {
        match outcome {
            Ok(Ingested::Applied) => response.applied += 1,
            Ok(Ingested::Duplicate) => response.duplicates += 1,
            Ok(Ingested::Pending) => response.pending += 1,
            Err(error) => {
                tracing::info!(peer = %sender, index, %error, "pushed change rejected");
                response.rejected.push(Rejected {
                    index,
                    code: reject_code(&error).to_owned(),
                    message: error.to_string(),
                });
            }
        }
    }
    response.rejected.sort_by_key(|r| r.index);
    Ok(Json(response))
}

fn peer_views(node: &Node) -> Result<Vec<PeerView>, NodeError> {
    Ok(node.peers()?.iter().map(PeerView::new).collect())
}

/// `GET /api/v1/admin/peers`.
pub(super) async fn list_peers(
    State(state): State<AppState>,
    _admin: AdminToken,
) -> ApiResult<Json<Vec<PeerView>>> {
    Ok(Json(state.run(peer_views).await?))
}

/// `POST /api/v1/admin/peers`.
pub(super) async fn add_peer(
    State(state): State<AppState>,
    _admin: AdminToken,
    ApiJson(request): ApiJson<AddPeer>,
) -> ApiResult<Json<PeerView>> {
    let center = match (&request.url, &request.center_id) {
        (Some(url), None) => {
            let engine = state.engine()?;
            let info = add_peer_by_url(&state.node, engine.client(), url)
                .await
                .map_err(|e| ApiError::BadRequest {
                    code: "peer_unreachable",
                    message: e.to_string(),
                })?;
            parse_center(&info.center_id)?
        }
        (None, Some(center)) => {
            let center = parse_center(center)?;
            let name = request
                .name
                .as_deref()
                .map(|n| telecenter_protocol::text::text_line("name", n, 1, 100))
                .transpose()?
                .ok_or_else(|| ApiError::BadRequest {
                    code: "invalid_input",
                    message: "a peer without address needs a name".to_owned(),
                })?;
            state
                .run(move |node| node.add_peer(&center, &name, None))
                .await?;
            center
        }
        _ => {
            return Err(ApiError::BadRequest {
                code: "invalid_input",
                message: "give either url, or center_id and name".to_owned(),
            });
        }
    };
    let views = state.run(move |node| node.peers()).await?;
    let view = views
        .iter()
        .find(|p| p.center_id == center)
        .map(PeerView::new)
        .ok_or_else(|| ApiError::Node(NodeError::Internal("peer vanished".into())))?;
    Ok(Json(view))
}

/// `DELETE /api/v1/admin/peers/{center}`.
pub(super) async fn remove_peer(
    State(state): State<AppState>,
    _admin: AdminToken,
    ApiPath(path): ApiPath<String>,
) -> ApiResult<Json<Vec<PeerView>>> {
    let center = parse_center(&path)?;
    Ok(Json(
        state
            .run(move |node| {
                node.remove_peer(&center)?;
                peer_views(node)
            })
            .await?,
    ))
}

/// `GET /api/v1/admin/catalogs`.
pub(super) async fn catalogs(
    State(state): State<AppState>,
    _admin: AdminToken,
) -> ApiResult<Json<Vec<CatalogView>>> {
    let views = state
        .node
        .catalogs()
        .into_iter()
        .map(|(center, seq, heads)| CatalogView {
            center_id: center.to_string(),
            seq,
            heads,
        })
        .collect();
    Ok(Json(views))
}

/// `GET /api/v1/admin/trust`.
pub(super) async fn get_trust(
    State(state): State<AppState>,
    _admin: AdminToken,
) -> ApiResult<Json<TrustView>> {
    Ok(Json(TrustView::of(&state.node)))
}

/// `POST /api/v1/admin/{trust,block,unblock}/{center}`: one trust decision
/// (`decision` is `Node::trust`, `Node::block` or `Node::unblock`), answered
/// with the trust state after it.
pub(super) async fn decide(
    State(state): State<AppState>,
    _admin: AdminToken,
    ApiPath(center): ApiPath<String>,
    decision: fn(&Node, &CenterId) -> Result<(), NodeError>,
) -> ApiResult<Json<TrustView>> {
    let center = parse_center(&center)?;
    Ok(Json(
        state
            .run(move |node| {
                decision(node, &center)?;
                Ok(TrustView::of(node))
            })
            .await?,
    ))
}

/// `POST /api/v1/admin/sync`: one round with every peer now.
pub(super) async fn sync_now(
    State(state): State<AppState>,
    _admin: AdminToken,
) -> ApiResult<Json<Vec<RoundReport>>> {
    Ok(Json(state.engine()?.sync_all().await?))
}

/// `POST /api/v1/mail/exchange`: sealed mail handed over by a peer or by the
/// recipient's counterpart, receipts for mail this node handed over, routes;
/// answers with receipts, this node's routes if they changed, and the mail it
/// holds for the caller (waiting up to `wait_ms` for some). The answer is signed.
pub(super) async fn mail_exchange(
    State(state): State<AppState>,
    stopping: Stopping,
    PairHop { auth, body }: PairHop,
) -> ApiResult<axum::response::Response> {
    let (from, nonce) = (auth.from, auth.nonce);
    let request: MailExchange = parse(&body)?;
    if request.mail.len() > MAIL_BATCH_MAX {
        return Err(too_many("mails", MAIL_BATCH_MAX));
    }
    if request.receipts.len() > RECEIPTS_MAX {
        return Err(too_many("receipts", RECEIPTS_MAX));
    }
    if request
        .routes
        .as_ref()
        .is_some_and(|r| r.len() > ADVERT_ENTRIES_MAX)
    {
        return Err(too_many("routes", ADVERT_ENTRIES_MAX));
    }
    let wait_ms = request.wait_ms.unwrap_or(0);
    if wait_ms > MAIL_WAIT_MS_MAX {
        return Err(ApiError::BadRequest {
            code: "invalid_wait",
            message: format!("wait_ms must be at most {MAIL_WAIT_MS_MAX}"),
        });
    }
    let mut wake = state.node.subscribe_mail();
    let have_routes = request.have_routes.clone();
    let handed = !request.mail.is_empty();
    let receipts = state
        .run(move |node| node.exchange_in(&from, request))
        .await?;
    let deadline = tokio::time::Instant::now() + Duration::from_millis(u64::from(wait_ms));
    // The long poll also ends when the caller lacks this node's routes for it
    // (first contact), or when they change during the wait, so routes travel on
    // at once. (A caller that holds them says so in `have_routes`.)
    let mut routes_before = have_routes.clone();
    // What this node accepts (and so its routes) changes with catalogs and trust.
    let mut catalogs = state.node.subscribe();
    // A node that shuts down answers at once with what it has.
    let stopping = stopping.wait();
    tokio::pin!(stopping);
    let mut stopped = false;
    loop {
        wake.mark_unchanged();
        catalogs.mark_unchanged();
        let (waiting, routes_now) = state
            .run(move |node| Ok((node.has_mail_for(&from)?, node.advert_digest_for(&from)?)))
            .await?;
        let routes_changed = routes_before.as_deref() != Some(routes_now.as_str());
        if waiting || handed || routes_changed || stopped || tokio::time::Instant::now() >= deadline
        {
            break;
        }
        routes_before = Some(routes_now);
        tokio::select! {
            _ = wake.changed() => {}
            _ = catalogs.changed() => {}
            () = tokio::time::sleep_until(deadline) => {}
            () = &mut stopping => stopped = true,
        }
    }
    let (body, signature) = state
        .run(move |node| {
            let answer = node.exchange_out(&from, receipts, have_routes.as_deref())?;
            let body =
                serde_json::to_vec(&answer).map_err(|e| NodeError::Internal(e.to_string()))?;
            let signature = node.sign_response(&from, nonce, MAIL_PATH, &body)?;
            Ok((body, signature))
        })
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (
                axum::http::HeaderName::from_static(crate::node::RESPONSE_HEADER),
                signature,
            ),
        ],
        body,
    )
        .into_response())
}
