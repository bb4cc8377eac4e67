//! The settlements page (`/operator/biaya/setoran`): payments waiting for this
//! center's answer, the form that records a payment, and the settlement list.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;
use telecenter_protocol::CenterId;
use telecenter_protocol::catalog::Lang;
use telecenter_protocol::limits::{REASON_CHARS_MAX, REFERENCE_CHARS_MAX};
use telecenter_protocol::order::OrderId;
use telecenter_protocol::text::InvalidInput;

use super::{
    CsrfForm, OrderPath, expired, frame, input_problem, internal, not_found, operator_nav,
    refusal_box, refusal_status, rows_table, see_other, settlement_problem, statement_href,
};
use crate::accounting::{self, BalanceLine};
use crate::api::CenterNames as Names;
use crate::money::format_rupiah;
use crate::money::parse_rupiah;
use crate::node::{Node, NodeError};
use crate::server::AppState;
use crate::store::SettlementRow;
use crate::web::i18n;
use crate::web::i18n::orders::{balance_text, words};
use crate::web::local_time;
use crate::web::operator::OperatorPage;

struct SettleData {
    rows: Vec<SettlementRow>,
    names: Names,
    balances: Vec<BalanceLine>,
    /// Centers a payment may go to: those with a balance, and accepted ones.
    payees: Vec<CenterId>,
}

fn settle_data(node: &Node) -> Result<SettleData, NodeError> {
    let names = Names::load(node)?;
    let balances = accounting::balances(node)?;
    let own = node.center_id();
    let mut payees: Vec<CenterId> = balances.iter().map(|b| b.center).collect();
    payees.extend(node.trust_state().1.into_iter().map(|(c, _)| c));
    payees.retain(|c| *c != own);
    payees.sort_by_key(|c| (names.of(c), *c));
    payees.dedup();
    Ok(SettleData {
        rows: node.settlements(None)?,
        names,
        balances,
        payees,
    })
}

/// The payment form as typed (and as posted).
#[derive(Default, Deserialize)]
#[serde(default)]
pub(in crate::web) struct PayValues {
    payee: String,
    amount: String,
    reference: String,
}

/// A refused answer: which payment, and the reason typed.
struct AnswerTyped {
    id: OrderId,
    reason: String,
}

fn settle_status(lang: Lang, row: &SettlementRow) -> (&'static str, &'static str) {
    let w = words(lang);
    match row.status.as_str() {
        "confirmed" => (w.settle_statuses[1], "tag ok"),
        "declined" => (w.settle_statuses[2], "tag bad"),
        _ => (w.settle_statuses[0], "tag wait"),
    }
}

fn answer_forms(
    lang: Lang,
    csrf: &str,
    row: &SettlementRow,
    typed: Option<&AnswerTyped>,
) -> Markup {
    let w = words(lang);
    let action = format!("/operator/biaya/setoran/{}", row.id);
    let id = format!("reason-{}", row.id);
    let reason = typed
        .filter(|t| t.id == row.id)
        .map(|t| t.reason.as_str())
        .unwrap_or("");
    html! {
        div.steps {
            form.step method="post" action=(action) {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="answer" value="confirm";
                button type="submit" {
                    @if row.correction_owed_to.is_some() { (words(lang).agree_correction) }
                    @else { (w.confirm) }
                }
            }
            form.step method="post" action=(action) {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="answer" value="decline";
                label for=(id) { (w.reason) }
                input id=(id) name="reason" value=(reason) required maxlength=(REASON_CHARS_MAX);
                button.danger type="submit" { (w.decline) }
            }
        }
    }
}

/// What the settlements page shows besides the node's data: the payment form
/// as typed, a problem or a message, and a refused answer's typed reason.
#[derive(Default)]
struct SettleForm {
    values: PayValues,
    problem: Option<String>,
    message: Option<&'static str>,
    typed: Option<AnswerTyped>,
}

fn settlements_body(lang: Lang, csrf: &str, data: &SettleData, form: &SettleForm) -> Markup {
    let (t, w) = (i18n::texts(lang), words(lang));
    let (values, typed) = (&form.values, form.typed.as_ref());
    let names = &data.names;
    let balance_of: BTreeMap<CenterId, i64> = data
        .balances
        .iter()
        .map(|b| (b.center, b.balance_idr))
        .collect();
    let to_answer: Vec<&SettlementRow> = data
        .rows
        .iter()
        .filter(|r| r.payee == names.own && r.status == "waiting")
        .collect();
    html! {
        (operator_nav(t, csrf))
        p { a href="/operator/biaya" { "← " (w.fees) } }
        h1 { (w.settlements) }
        @if let Some(message) = form.message { p.order role="status" { (message) } }
        (refusal_box(lang, &form.problem))
        @if !to_answer.is_empty() {
            h2 { (words(lang).waiting_our_answer) }
            ul.cards {
                @for row in &to_answer {
                    li.card {
                        h3 { (format_rupiah(row.amount_idr)) }
                        @if let Some(owed_to) = row.correction_owed_to {
                            p { strong { (w.kinds[3]) ": " }
                                @if owed_to == names.own { (words(lang).proposed_owed_to_us) }
                                @else { (words(lang).proposed_we_owe) } }
                        }
                        p { (words(lang).paid_by) strong { (names.of(&row.payer)) } " · " (local_time(lang, row.at_ms)) }
                        @if !row.reference.is_empty() { p.muted { (row.reference) } }
                        (answer_forms(lang, csrf, row, typed))
                    }
                }
            }
        }
        h2 #bayar { (w.record_payment) }
        p.muted { (w.record_hint) }
        @if data.payees.is_empty() {
            p { (w.no_balances) }
        } @else {
            form method="post" action="/operator/biaya/setoran" {
                input type="hidden" name="csrf" value=(csrf);
                label for="payee" { (w.payee) }
                select #payee name="payee" required {
                    option value="" { (w.choose) }
                    @for center in &data.payees {
                        @let balance = balance_of.get(center).copied().unwrap_or(0);
                        option value=(center.to_string()) selected[values.payee == center.to_string()] {
                            (names.of(center)) " — " (balance_text(lang, balance))
                        }
                    }
                }
                label for="amount" { (w.amount) }
                input #amount name="amount" inputmode="numeric" value=(values.amount) required placeholder="43.650";
                label for="reference" { (w.reference) }
                input #reference name="reference" value=(values.reference) maxlength=(REFERENCE_CHARS_MAX);
                p { button type="submit" { (w.save_payment) } }
            }
        }
        h2 { (w.settlements) }
        @if data.rows.is_empty() {
            p { (w.no_settlements) }
        } @else {
            (rows_table(
                &[(w.date, false), (w.direction, false), (w.counterpart, false), (w.amount, true), (w.reference, false), (w.status, false)],
                html! {
                    @for row in &data.rows {
                        @let (label, class) = settle_status(lang, row);
                        tr {
                            td data-label=(w.date) { span { (local_time(lang, row.at_ms)) } }
                            td data-label=(w.direction) { span {
                                @if let Some(owed_to) = row.correction_owed_to {
                                    (w.kinds[3]) ": " @if owed_to == names.own { (words(lang).owed_to_us) } @else { (words(lang).we_owe_short) }
                                } @else if row.payer == names.own { (w.we_paid) } @else { (w.we_received) }
                            } }
                            td data-label=(w.counterpart) { a href=(statement_href(&row.counterpart)) { (names.of(&row.counterpart)) } }
                            td.num data-label=(w.amount) { span { (format_rupiah(row.amount_idr)) } }
                            td data-label=(w.reference) { span { (row.reference) } }
                            td data-label=(w.status) {
                                div {
                                    span class=(class) { (label) }
                                    @if let Some(reason) = &row.reason { br; small { (reason) } }
                                }
                            }
                        }
                    }
                }
            ))
        }
    }
}

async fn render_settlements(
    state: &AppState,
    lang: Lang,
    csrf: &str,
    status: StatusCode,
    form: SettleForm,
) -> Response {
    match state.run(settle_data).await {
        Ok(data) => frame(
            lang,
            status,
            words(lang).settlements,
            settlements_body(lang, csrf, &data, &form),
        ),
        Err(error) => internal(lang, &error),
    }
}

/// `GET /operator/biaya/setoran[?pusat=tc1…&jumlah=43650]`.
pub(in crate::web) async fn settlements(
    State(state): State<AppState>,
    OperatorPage { csrf, lang }: OperatorPage,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let values = PayValues {
        payee: query.get("pusat").cloned().unwrap_or_default(),
        amount: query
            .get("jumlah")
            .and_then(|a| a.parse::<i64>().ok())
            .filter(|a| *a > 0)
            .map(|a| format_rupiah(a).trim_start_matches("Rp ").to_owned())
            .unwrap_or_default(),
        reference: String::new(),
    };
    let message = match (
        query.get("tercatat"),
        query.get("dijawab").map(String::as_str),
    ) {
        (Some(_), _) => Some(words(lang).payment_recorded),
        (_, Some("confirm")) => Some(words(lang).payment_confirmed),
        (_, Some("decline")) => Some(words(lang).payment_declined),
        _ => None,
    };
    let form = SettleForm {
        values,
        message,
        ..SettleForm::default()
    };
    render_settlements(&state, lang, &csrf, StatusCode::OK, form).await
}

/// `POST /operator/biaya/setoran`: records a payment this center made.
pub(in crate::web) async fn record_payment(
    State(state): State<AppState>,
    CsrfForm {
        session,
        lang,
        fields: values,
    }: CsrfForm<PayValues>,
) -> Response {
    let csrf = session.csrf;
    let checked = values
        .payee
        .trim()
        .parse::<CenterId>()
        .map_err(|_| InvalidInput::new("payee", "unknown", String::new()))
        .and_then(|payee| Ok((payee, parse_rupiah("amount_idr", &values.amount)?)));
    let (payee, amount) = match checked {
        Ok(checked) => checked,
        Err(e) => {
            let form = SettleForm {
                values,
                problem: Some(input_problem(lang, &e)),
                ..SettleForm::default()
            };
            return render_settlements(&state, lang, &csrf, StatusCode::BAD_REQUEST, form).await;
        }
    };
    let reference = values.reference.clone();
    match state
        .run(move |node| node.record_settlement(&payee, amount, &reference))
        .await
    {
        Ok(_) => see_other("/operator/biaya/setoran?tercatat=1"),
        Err(error @ (NodeError::Order { .. } | NodeError::Invalid(_))) => {
            let form = SettleForm {
                values,
                problem: Some(settlement_problem(lang, &error)),
                ..SettleForm::default()
            };
            render_settlements(&state, lang, &csrf, refusal_status(&error), form).await
        }
        Err(error) => internal(lang, &error),
    }
}

/// The answer to a payment made to this center, as posted.
#[derive(Default, Deserialize)]
#[serde(default)]
pub(in crate::web) struct AnswerFields {
    answer: String,
    reason: String,
}

/// `POST /operator/biaya/setoran/{id}`: confirms or declines a payment made to
/// this center (`answer` = `confirm` or `decline`, with a `reason` to decline).
pub(in crate::web) async fn answer_payment(
    State(state): State<AppState>,
    OrderPath(id): OrderPath,
    CsrfForm {
        session,
        lang,
        fields,
    }: CsrfForm<AnswerFields>,
) -> Response {
    let csrf = session.csrf;
    let confirmed = match fields.answer.as_str() {
        "confirm" => true,
        "decline" => false,
        _ => return expired(lang),
    };
    let reason = fields.reason;
    let (target, typed) = (id.clone(), reason.clone());
    match state
        .run(move |node| node.answer_settlement(&target, confirmed, Some(typed.as_str())))
        .await
    {
        Ok(_) => see_other(&format!(
            "/operator/biaya/setoran?dijawab={}",
            if confirmed { "confirm" } else { "decline" }
        )),
        Err(NodeError::NoSuchSettlement(_)) => not_found(lang),
        Err(error @ (NodeError::Order { .. } | NodeError::Invalid(_))) => {
            let form = SettleForm {
                problem: Some(settlement_problem(lang, &error)),
                typed: Some(AnswerTyped { id, reason }),
                ..SettleForm::default()
            };
            render_settlements(&state, lang, &csrf, refusal_status(&error), form).await
        }
        Err(error) => internal(lang, &error),
    }
}
