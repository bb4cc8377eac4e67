//! The producer pages behind the operator login: the list with this month's
//! figures and the add form (`/operator/produsen`), one producer with the edit
//! form, the listings linked to them, the month's statement, the payout form
//! and the statement's downloads (`/operator/produsen/{id}`: `laporan.xlsx`,
//! `laporan.csv`, with `?gaya=excel` for Indonesian spreadsheets), and the
//! center's monthly sales report per producer with the same downloads
//! (`/operator/penjualan`, `.xlsx`, `.csv`).
//!
//! Contact, bank account and WhatsApp appear only here, behind the login. Every
//! form carries the session's CSRF token; a saved form redirects (303), a
//! refused one shows the page again with one line saying what was wrong and
//! the typed values kept, and changes nothing.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use telecenter_protocol::ListingId;
use telecenter_protocol::catalog::Lang;
use telecenter_protocol::fee::percent_text;
use telecenter_protocol::text::InvalidInput;

use super::SALES_PATH;
use super::downloads::{Download, download_links, tables_download};
use super::orders::{month_picker, monthly, rows_table, this_month};
use super::{CsrfForm, OperatorPage, frame, i18n, internal, no_store, not_found, operator_nav};
use crate::accounting::{
    Month, ProducerStatement, producer_statement_tables, statement_csv, statement_csv_name,
    statement_from,
};
use crate::clock::local_offset;
use crate::money::{format_rupiah, parse_rupiah};
use crate::node::{Node, NodeError, PayoutInput, ProducerInput};
use crate::server::AppState;
use crate::store::{ListingRow, ProducerRow};
use crate::web::i18n::orders::month_name;
use crate::web::i18n::producers::{producer_problem, producer_words};

/// The list's address.
use super::PRODUCERS_PATH as PATH;

/// The producer form as typed (a missing field reads as empty).
#[derive(Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ProducerFields {
    name: String,
    village: String,
    contact: String,
    bank_account: String,
    whatsapp: String,
    commission: String,
}

impl ProducerFields {
    fn of(row: &ProducerRow) -> Self {
        Self {
            name: row.name.clone(),
            village: row.village.clone(),
            contact: row.contact.clone(),
            bank_account: row.bank_account.clone(),
            whatsapp: row.whatsapp.clone(),
            commission: percent_text(row.commission_bp),
        }
    }

    fn input(&self) -> ProducerInput {
        ProducerInput {
            name: Some(self.name.clone()),
            village: Some(self.village.clone()),
            contact: Some(self.contact.clone()),
            bank_account: Some(self.bank_account.clone()),
            whatsapp: Some(self.whatsapp.clone()),
            commission: Some(if self.commission.trim().is_empty() {
                "0".to_owned()
            } else {
                self.commission.clone()
            }),
        }
    }
}

/// The payout form as typed.
#[derive(Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct PayoutFields {
    amount: String,
    method: String,
    note: String,
    date: String,
}

/// The link form: a listing of this center, and whether to unlink it.
#[derive(Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct LinkFields {
    listing: String,
    unlink: String,
}

/// A 303 to `to`, not cached.
fn see_other(to: &str) -> Response {
    no_store(Redirect::to(to).into_response())
}

fn refusal(lang: Lang, problem: &Option<String>) -> Markup {
    html! {
        @if let Some(problem) = problem {
            div.error role="alert" { strong { (producer_words(lang).not_saved) } p { (problem) } }
        }
    }
}

/// A refusal of the node in one line, or `None` for a fault of the node.
fn problem_of(lang: Lang, error: &NodeError) -> Option<String> {
    match error {
        NodeError::Invalid(e) => Some(producer_problem(lang, e)),
        NodeError::Full(message) => Some(message.clone()),
        NodeError::NoSuchListing(_) | NodeError::Removed(_) => Some(producer_problem(
            lang,
            &InvalidInput::new("listing", "unknown", error.to_string()),
        )),
        _ => None,
    }
}

/// A day typed as `YYYY-MM-DD`, at noon in the center's zone, as UTC ms.
fn local_noon_ms(text: &str) -> Result<i64, InvalidInput> {
    let bad = || {
        InvalidInput::new(
            "date",
            "not_a_date",
            format!("expected a date such as 2026-12-31, found {text:?}"),
        )
    };
    let mut parts = text.trim().splitn(3, '-');
    let mut next = || parts.next().and_then(|p| p.parse::<u16>().ok());
    let (Some(year), Some(month), Some(day)) = (next(), next(), next()) else {
        return Err(bad());
    };
    let month = u8::try_from(month)
        .ok()
        .and_then(|m| time::Month::try_from(m).ok())
        .ok_or_else(bad)?;
    let day = u8::try_from(day).map_err(|_| bad())?;
    let date = time::Date::from_calendar_date(i32::from(year), month, day).map_err(|_| bad())?;
    let noon = date.with_hms(12, 0, 0).map_err(|_| bad())?;
    Ok(noon
        .assume_offset(local_offset())
        .unix_timestamp()
        .saturating_mul(1_000))
}

impl PayoutFields {
    fn input(&self) -> Result<PayoutInput, InvalidInput> {
        let amount_idr = parse_rupiah("amount", &self.amount)?;
        let at_ms = match self.date.trim() {
            "" => None,
            day => Some(local_noon_ms(day)?),
        };
        Ok(PayoutInput {
            amount_idr,
            method: self.method.clone(),
            note: self.note.clone(),
            at_ms,
        })
    }
}

fn producer_form(lang: Lang, csrf: &str, action: &str, values: &ProducerFields) -> Markup {
    let w = producer_words(lang);
    html! {
        form method="post" action=(action) {
            input type="hidden" name="csrf" value=(csrf);
            label for="name" { (w.name) }
            input #name name="name" value=(values.name) required maxlength="100";
            label for="village" { (w.village) }
            input #village name="village" value=(values.village) required maxlength="100";
            label for="commission" { (w.commission) }
            input #commission name="commission" value=(values.commission) inputmode="decimal" placeholder="10";
            label for="contact" { (w.contact) }
            input #contact name="contact" value=(values.contact) maxlength="200";
            label for="bank_account" { (w.bank_account) }
            input #bank_account name="bank_account" value=(values.bank_account) maxlength="200";
            label for="whatsapp" { (w.whatsapp) }
            input #whatsapp name="whatsapp" value=(values.whatsapp) inputmode="tel" placeholder="0812-3456-7890";
            p.muted { (w.private_note) }
            p { button type="submit" { (w.save) } }
        }
    }
}

/// Every producer with this month's statement.
fn list_data(node: &Node, month: Month) -> Result<Vec<ProducerStatement>, NodeError> {
    let producers = node.producers()?;
    node.with_reader(|store| {
        producers
            .iter()
            .map(|p| statement_from(store, p, month))
            .collect::<Result<Vec<_>, _>>()
    })
    .map_err(NodeError::from)
}

fn list_body(
    lang: Lang,
    csrf: &str,
    rows: &[(ProducerStatement, u32)],
    values: &ProducerFields,
    problem: &Option<String>,
) -> Markup {
    let (t, w) = (i18n::texts(lang), producer_words(lang));
    html! {
        (operator_nav(t, csrf))
        h1 { (w.title) }
        p { a href=(SALES_PATH) { (w.sales_title) } }
        @if rows.is_empty() {
            p { (w.none) }
        } @else {
            (rows_table(
                &[(w.name, false), (w.village, false), (w.commission, true), (w.owed_month, true), (w.balance, true)],
                html! {
                    @for (s, bp) in rows {
                        tr {
                            td data-label=(w.name) { a href=(format!("{PATH}/{}", s.producer)) { (s.name) } }
                            td data-label=(w.village) { span { (s.village) } }
                            td.num data-label=(w.commission) { span { (percent_text(*bp)) " %" } }
                            td.num data-label=(w.owed_month) { span { (format_rupiah(s.owed_idr)) } }
                            td.num data-label=(w.balance) { span { (format_rupiah(s.closing_idr)) } }
                        }
                    }
                }
            ))
        }
        h2 #tambah { (w.add) }
        (refusal(lang, problem))
        (producer_form(lang, csrf, PATH, values))
    }
}

async fn list_page(
    state: &AppState,
    lang: Lang,
    csrf: &str,
    values: &ProducerFields,
    problem: Option<String>,
) -> Response {
    let month = this_month(state);
    let found = state
        .run(move |node| {
            let statements = list_data(node, month)?;
            let producers = node.producers()?;
            Ok(statements
                .into_iter()
                .map(|s| {
                    let bp = producers
                        .iter()
                        .find(|p| p.id == s.producer)
                        .map_or(0, |p| p.commission_bp);
                    (s, bp)
                })
                .collect::<Vec<_>>())
        })
        .await;
    let rows = match found {
        Ok(rows) => rows,
        Err(error) => return internal(lang, &error),
    };
    let status = if problem.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    frame(
        lang,
        status,
        producer_words(lang).title,
        list_body(lang, csrf, &rows, values, &problem),
    )
}

/// `GET /operator/produsen`.
pub(in crate::web) async fn producers_page(
    State(state): State<AppState>,
    OperatorPage { csrf, lang }: OperatorPage,
) -> Response {
    list_page(&state, lang, &csrf, &ProducerFields::default(), None).await
}

/// `POST /operator/produsen`: adds a producer.
pub(in crate::web) async fn add_producer(
    State(state): State<AppState>,
    CsrfForm {
        session,
        lang,
        fields,
    }: CsrfForm<ProducerFields>,
) -> Response {
    let input = fields.input();
    match state.run(move |node| node.add_producer(&input)).await {
        Ok(row) => see_other(&format!("{PATH}/{}?tersimpan=1", row.id)),
        Err(error) => match problem_of(lang, &error) {
            Some(problem) => list_page(&state, lang, &session.csrf, &fields, Some(problem)).await,
            None => internal(lang, &error),
        },
    }
}

/// What one producer's page shows.
struct Detail {
    producer: ProducerRow,
    statement: ProducerStatement,
    linked: Vec<ListingRow>,
    own: Vec<ListingRow>,
    /// The public page of the producer.
    public: String,
}

fn detail_data(node: &Node, id: i64, month: Month) -> Result<Detail, NodeError> {
    let producer = node.producer(id)?;
    let statement = node.with_reader(|store| statement_from(store, &producer, month))?;
    let own = super::dashboard::own_listings(node)?;
    let linked_ids = node.producer_listings(id)?;
    let linked = linked_ids
        .iter()
        .filter_map(|l| l.parse::<ListingId>().ok())
        .filter_map(|l| node.own_listing(&l).ok())
        .collect();
    Ok(Detail {
        public: crate::web::producer_page::href(&node.center_id(), &producer.name),
        producer,
        statement,
        linked,
        own,
    })
}

/// The forms' typed values and the problem of a refused one.
#[derive(Default)]
struct Typed {
    producer: Option<ProducerFields>,
    payout: PayoutFields,
    problem: Option<String>,
    saved: bool,
}

fn statement_table(lang: Lang, s: &ProducerStatement) -> Markup {
    let w = producer_words(lang);
    html! {
        p { (w.opening) ": " strong { (format_rupiah(s.opening_idr)) } }
        @if s.sales.is_empty() {
            p { (w.no_sales) }
        } @else {
            (rows_table(
                &[(w.date, false), (w.product, false), (w.quantity, true), (w.unit_price, true),
                  (w.gross, true), (w.center_commission, true), (w.owed, true)],
                html! {
                    @for line in &s.sales {
                        tr {
                            td data-label=(w.date) { span { (line.date) } }
                            td data-label=(w.product) { span { (line.product) } }
                            td.num data-label=(w.quantity) { span { (line.quantity) " " (line.unit) } }
                            td.num data-label=(w.unit_price) { span { (format_rupiah(line.unit_price_idr)) } }
                            td.num data-label=(w.gross) { span { (format_rupiah(line.gross_idr)) } }
                            td.num data-label=(w.center_commission) { span { (format_rupiah(line.commission_idr)) } }
                            td.num data-label=(w.owed) { span { (format_rupiah(line.owed_idr)) } }
                        }
                    }
                    tr {
                        th scope="row" colspan="4" { (w.total) }
                        td.num data-label=(w.gross) { strong { (format_rupiah(s.gross_idr)) } }
                        td.num data-label=(w.center_commission) { strong { (format_rupiah(s.commission_idr)) } }
                        td.num data-label=(w.owed) { strong { (format_rupiah(s.owed_idr)) } }
                    }
                }
            ))
        }
        h3 { (w.payouts) }
        @if s.payouts.is_empty() {
            p { (w.no_payouts) }
        } @else {
            (rows_table(
                &[(w.date, false), (w.method, false), (w.note, false), (w.amount, true)],
                html! {
                    @for p in &s.payouts {
                        tr {
                            td data-label=(w.date) { span { (p.date) } }
                            td data-label=(w.method) { span { (if p.method == "cash" { w.methods[0] } else { w.methods[1] }) } }
                            td data-label=(w.note) { span { (p.note) } }
                            td.num data-label=(w.amount) { span { (format_rupiah(p.amount_idr)) } }
                        }
                    }
                }
            ))
        }
        p { (w.closing) ": " strong #saldo-akhir { (format_rupiah(s.closing_idr)) } }
        p.muted { (w.rounding) }
    }
}

fn detail_body(lang: Lang, csrf: &str, month: Month, d: &Detail, typed: &Typed) -> Markup {
    let (t, w) = (i18n::texts(lang), producer_words(lang));
    let id = d.producer.id;
    let here = format!("{PATH}/{id}");
    let values = typed
        .producer
        .clone()
        .unwrap_or_else(|| ProducerFields::of(&d.producer));
    let linked: Vec<&ListingId> = d.linked.iter().map(|l| &l.listing.id).collect();
    html! {
        (operator_nav(t, csrf))
        p { a href=(PATH) { "← " (w.title) } }
        h1 { (d.producer.name) " (" (d.producer.village) ")" }
        @if typed.saved { p.order role="status" { (w.saved) } }
        (refusal(lang, &typed.problem))
        h2 { (w.statement) " · " (month_name(lang, month)) }
        (month_picker(lang, &here, month))
        p { (download_links(lang, &format!("{here}/laporan"), &format!("bulan={month}"), true)) }
        (statement_table(lang, &d.statement))
        h2 #bayar { (w.payout) }
        form method="post" action=(format!("{here}/bayar")) {
            input type="hidden" name="csrf" value=(csrf);
            label for="amount" { (w.amount) }
            input #amount name="amount" value=(typed.payout.amount) required inputmode="numeric";
            label for="method" { (w.method) }
            select #method name="method" {
                option value="cash" selected[typed.payout.method != "transfer"] { (w.methods[0]) }
                option value="transfer" selected[typed.payout.method == "transfer"] { (w.methods[1]) }
            }
            label for="note" { (w.note) }
            input #note name="note" value=(typed.payout.note) maxlength="200";
            label for="date" { (w.payout_date) }
            input #date type="date" name="date" value=(typed.payout.date);
            p { button type="submit" { (w.record_payout) } }
        }
        h2 #produk { (w.products) }
        @if d.linked.is_empty() {
            p { (w.no_products) }
        } @else {
            ul {
                @for l in &d.linked {
                    li {
                        a href=(format!("/operator/produk/{}", l.listing.id)) { (l.listing.title.id) }
                        form.inline-form method="post" action=(format!("{here}/produk")) style="display:inline" {
                            input type="hidden" name="csrf" value=(csrf);
                            input type="hidden" name="listing" value=(l.listing.id.to_string());
                            input type="hidden" name="unlink" value="1";
                            " " button type="submit" { (w.unlink) }
                        }
                    }
                }
            }
        }
        form method="post" action=(format!("{here}/produk")) {
            input type="hidden" name="csrf" value=(csrf);
            label for="listing" { (w.product) }
            select #listing name="listing" {
                @for l in d.own.iter().filter(|l| !linked.contains(&&l.listing.id)) {
                    option value=(l.listing.id.to_string()) { (l.listing.title.id) }
                }
            }
            p { button type="submit" { (w.link) } }
        }
        h2 #ubah { (w.edit) }
        (producer_form(lang, csrf, &here, &values))
        p { a href=(d.public) { (w.public_page) } }
    }
}

async fn detail_page(
    state: &AppState,
    (lang, csrf): (Lang, &str),
    id: i64,
    month: Month,
    typed: Typed,
) -> Response {
    let status = if typed.problem.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    match state.run(move |node| detail_data(node, id, month)).await {
        Ok(detail) => frame(
            lang,
            status,
            &detail.producer.name.clone(),
            detail_body(lang, csrf, month, &detail, &typed),
        ),
        Err(NodeError::NoSuchProducer(_)) => not_found(lang),
        Err(error) => internal(lang, &error),
    }
}

/// `GET /operator/produsen/{id}?bulan=2026-12`.
pub(in crate::web) async fn producer_page(
    State(state): State<AppState>,
    OperatorPage { csrf, lang }: OperatorPage,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found(lang);
    };
    let here = format!("{PATH}/{id}");
    let title = producer_words(lang).statement;
    let month = match query
        .get("bulan")
        .map(|m| m.trim())
        .filter(|m| !m.is_empty())
    {
        Some(text) => match Month::parse(text) {
            Ok(month) => month,
            Err(_) => {
                return super::orders::problem_page(
                    lang,
                    &csrf,
                    title,
                    i18n::orders::words(lang).bad_month,
                    &here,
                );
            }
        },
        None => this_month(&state),
    };
    let typed = Typed {
        saved: query.contains_key("tersimpan"),
        ..Typed::default()
    };
    detail_page(&state, (lang, &csrf), id, month, typed).await
}

fn path_id(id: &str) -> Option<i64> {
    id.parse::<i64>().ok()
}

/// `POST /operator/produsen/{id}`: changes a producer.
pub(in crate::web) async fn edit_producer(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm {
        session,
        lang,
        fields,
    }: CsrfForm<ProducerFields>,
) -> Response {
    let Some(id) = path_id(&id) else {
        return not_found(lang);
    };
    let input = fields.input();
    match state.run(move |node| node.edit_producer(id, &input)).await {
        Ok(_) => see_other(&format!("{PATH}/{id}?tersimpan=1")),
        Err(NodeError::NoSuchProducer(_)) => not_found(lang),
        Err(error) => match problem_of(lang, &error) {
            Some(problem) => {
                let typed = Typed {
                    producer: Some(fields),
                    problem: Some(problem),
                    ..Typed::default()
                };
                detail_page(&state, (lang, &session.csrf), id, this_month(&state), typed).await
            }
            None => internal(lang, &error),
        },
    }
}

/// `POST /operator/produsen/{id}/produk`: links (or unlinks) a listing.
pub(in crate::web) async fn link_listing(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm {
        session,
        lang,
        fields,
    }: CsrfForm<LinkFields>,
) -> Response {
    let Some(id) = path_id(&id) else {
        return not_found(lang);
    };
    let refuse = |problem: String| Typed {
        problem: Some(problem),
        ..Typed::default()
    };
    let listing = match fields.listing.trim().parse::<ListingId>() {
        Ok(listing) => listing,
        Err(_) => {
            let problem = producer_problem(
                lang,
                &InvalidInput::new("listing", "unknown", "no such product".into()),
            );
            let month = this_month(&state);
            return detail_page(&state, (lang, &session.csrf), id, month, refuse(problem)).await;
        }
    };
    let unlink = !fields.unlink.is_empty();
    let work = move |node: &Node| {
        node.producer(id)?;
        if unlink {
            if node.with_reader(|s| s.listing_producer(&listing.to_string()))? == Some(id) {
                node.link_listing(&listing, None)?;
            }
            Ok(())
        } else {
            node.link_listing(&listing, Some(id)).map(|_| ())
        }
    };
    match state.run(work).await {
        Ok(()) => see_other(&format!("{PATH}/{id}?tersimpan=1#produk")),
        Err(NodeError::NoSuchProducer(_)) => not_found(lang),
        Err(error) => match problem_of(lang, &error) {
            Some(problem) => {
                let month = this_month(&state);
                detail_page(&state, (lang, &session.csrf), id, month, refuse(problem)).await
            }
            None => internal(lang, &error),
        },
    }
}

/// `POST /operator/produsen/{id}/bayar`: records a payout.
pub(in crate::web) async fn record_payout(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm {
        session,
        lang,
        fields,
    }: CsrfForm<PayoutFields>,
) -> Response {
    let Some(id) = path_id(&id) else {
        return not_found(lang);
    };
    let result = match fields.input() {
        Ok(input) => state.run(move |node| node.record_payout(id, &input)).await,
        Err(e) => Err(NodeError::Invalid(e)),
    };
    match result {
        Ok(payout) => see_other(&format!(
            "{PATH}/{id}?bulan={}&tersimpan=1",
            Month::of(payout.at_ms)
        )),
        Err(NodeError::NoSuchProducer(_)) => not_found(lang),
        Err(error) => match problem_of(lang, &error) {
            Some(problem) => {
                let typed = Typed {
                    payout: fields,
                    problem: Some(problem),
                    ..Typed::default()
                };
                detail_page(&state, (lang, &session.csrf), id, this_month(&state), typed).await
            }
            None => internal(lang, &error),
        },
    }
}

/// `GET /operator/produsen/{id}/laporan.csv?bulan=2026-12` (the machine
/// CSV; `&gaya=excel` for Indonesian spreadsheets).
pub(in crate::web) async fn statement_download(
    State(state): State<AppState>,
    page: OperatorPage,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let kind = Download::of_csv(&query);
    producer_download(state, page, id, query, kind).await
}

/// `GET /operator/produsen/{id}/laporan.xlsx?bulan=2026-12`.
pub(in crate::web) async fn statement_xlsx(
    State(state): State<AppState>,
    page: OperatorPage,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    producer_download(state, page, id, query, Download::Xlsx).await
}

async fn producer_download(
    state: AppState,
    OperatorPage { csrf, lang }: OperatorPage,
    id: String,
    query: HashMap<String, String>,
    kind: Download,
) -> Response {
    let Some(id) = path_id(&id) else {
        return not_found(lang);
    };
    let here = format!("{PATH}/{id}");
    monthly(
        &state,
        &query,
        (lang, &csrf),
        (producer_words(lang).statement, &here),
        move |node, month| {
            let producer = match node.producer(id) {
                Ok(p) => p,
                Err(NodeError::NoSuchProducer(_)) => return Ok(None),
                Err(e) => return Err(e),
            };
            Ok(Some(
                node.with_reader(|s| statement_from(s, &producer, month))?,
            ))
        },
        |month, statement| match statement {
            Some(s) if kind == Download::Machine => no_store(crate::server::reply::csv_download(
                &statement_csv_name(&s),
                statement_csv(&s),
            )),
            Some(s) => tables_download(
                &format!("laporan-produsen-{id}-{month}"),
                &producer_statement_tables(&s),
                kind,
            ),
            None => not_found(lang),
        },
    )
    .await
}
