//! The spreadsheet pages (`/operator/produk/impor`, `/operator/produk/ekspor.*`):
//! upload a `.csv` or `.xlsx`, see what it would do (counts, the rows to
//! create or change, every bad row in Indonesian), confirm to apply exactly
//! that file (held on the node under a random id, see `sheet::held`), and
//! download the catalog as a spreadsheet.

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;
use telecenter_protocol::catalog::Lang;
use telecenter_protocol::catalog::input::ListingPatch;
use telecenter_protocol::limits::SHEET_BYTES_MAX;

use super::i18n::import::{ImportWords, import_words, imported, sheet_upload_unreadable};
use super::{CsrfForm, html_page, i18n, internal, no_store, operator_nav, page, problem_box};
use crate::money::format_rupiah;
use crate::node::NodeError;
use crate::server::AppState;
use crate::server::session::OperatorSession;
use crate::sheet::{Format, HeldPlan, export_csv, export_xlsx};
use crate::web::operator::{OperatorPage, PageLang};

/// The body limit of the upload route: one spreadsheet plus the form's text.
pub(crate) fn upload_limit() -> axum::extract::DefaultBodyLimit {
    axum::extract::DefaultBodyLimit::max(SHEET_BYTES_MAX + 64 * 1024)
}

/// The links on the operator's product list: import, and export in both formats.
pub(crate) fn sheet_links(lang: Lang) -> Markup {
    let w = import_words(lang);
    html! {
        p {
            a href="/operator/produk/impor" { (w.import_link) } " · "
            a href="/operator/produk/ekspor.csv" download { (w.download_csv) } " · "
            a href="/operator/produk/ekspor.xlsx" download { (w.download_xlsx) }
        }
    }
}

fn upload_form(w: &ImportWords, csrf: &str) -> Markup {
    html! {
        form method="post" action="/operator/produk/impor" enctype="multipart/form-data" {
            input type="hidden" name="csrf" value=(csrf);
            label for="file" { (w.file) }
            input #file type="file" name="file" required
                accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
            p { button type="submit" { (w.preview) } }
        }
    }
}

fn import_page(
    lang: Lang,
    csrf: &str,
    status: StatusCode,
    problem: Option<String>,
    rest: Markup,
) -> Response {
    let (t, w) = (i18n::texts(lang), import_words(lang));
    let body = html! {
        (operator_nav(t, csrf))
        h1 { (w.title) }
        (problem_box(t, &problem))
        (rest)
        p.muted { (w.intro) }
        (upload_form(w, csrf))
        p { a href="/operator" { (w.back) } }
    };
    html_page(status, page(t, w.title, "/operator", body))
}

/// `GET /operator/produk/impor`.
pub(crate) async fn import_form(OperatorPage { csrf, lang }: OperatorPage) -> Response {
    import_page(lang, &csrf, StatusCode::OK, None, html! {})
}

/// The uploaded file and the form's CSRF token, the file bounded while read.
struct SheetUpload {
    csrf: String,
    name: String,
    bytes: Vec<u8>,
}

/// Reads the multipart form: `csrf` and one `file`, refusing more than
/// [`SHEET_BYTES_MAX`] bytes as soon as they arrive.
async fn read_sheet_upload(
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<SheetUpload, ()> {
    let mut multipart = multipart.map_err(|_| ())?;
    let mut upload = SheetUpload {
        csrf: String::new(),
        name: String::new(),
        bytes: Vec::new(),
    };
    let mut fields = 0;
    while let Some(mut field) = multipart.next_field().await.map_err(|_| ())? {
        fields += 1;
        if fields > 4 {
            return Err(());
        }
        match field.name().unwrap_or_default() {
            "csrf" => upload.csrf = field.text().await.map_err(|_| ())?,
            "file" => {
                upload.name = field.file_name().unwrap_or_default().to_owned();
                while let Some(chunk) = field.chunk().await.map_err(|_| ())? {
                    if upload.bytes.len().saturating_add(chunk.len()) > SHEET_BYTES_MAX {
                        return Err(());
                    }
                    upload.bytes.extend_from_slice(&chunk);
                }
            }
            _ => {}
        }
    }
    Ok(upload)
}

/// `POST /operator/produk/impor`: the preview; writes nothing.
pub(crate) async fn import_preview(
    State(state): State<AppState>,
    session: OperatorSession,
    PageLang(lang): PageLang,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let csrf = session.csrf.clone();
    let bad = |problem: String| {
        import_page(
            lang,
            &csrf,
            StatusCode::BAD_REQUEST,
            Some(problem),
            html! {},
        )
    };
    let Ok(upload) = read_sheet_upload(multipart).await else {
        return bad(sheet_upload_unreadable(lang));
    };
    if !session.csrf_matches(&upload.csrf) {
        return super::expired(lang);
    }
    let format = match Format::from_name(&upload.name) {
        Ok(format) => format,
        Err(e) => return bad(e.to_string()),
    };
    let bytes = upload.bytes;
    match state.run(move |node| node.hold_sheet(format, bytes)).await {
        Ok(held) => import_page(
            lang,
            &csrf,
            StatusCode::OK,
            None,
            preview(lang, &csrf, &held),
        ),
        Err(NodeError::Sheet(e)) => bad(e.to_string()),
        Err(error) => internal(lang, &error),
    }
}

fn preview(lang: Lang, csrf: &str, held: &HeldPlan) -> Markup {
    let w = import_words(lang);
    let plan = &held.plan;
    html! {
        section.preview {
            h2 { (w.preview) }
            p.counts {
                strong { (plan.create.len()) } " " (w.to_create) " · "
                strong { (plan.update.len()) } " " (w.to_update) " · "
                strong { (plan.unchanged) } " " (w.unchanged) " · "
                strong { (plan.errors.len()) } " " (w.bad_rows)
            }
            @if !plan.errors.is_empty() {
                div.error role="alert" {
                    strong { (w.bad_rows) }
                    ul.row-errors { @for e in &plan.errors { li { (e) } } }
                    p { (w.errors_skipped) }
                }
            }
            @if !plan.create.is_empty() || !plan.update.is_empty() {
                table.plan {
                    thead { tr { th { (w.row) } th { (w.code) } th { (w.action) } th { (w.product) } th { (w.price) } } }
                    tbody {
                        @for c in &plan.create {
                            tr { td { (c.line) } td { (c.key) } td { (w.new) } td { (c.listing.title) } td { (format_rupiah(c.listing.price_idr)) } }
                        }
                        @for u in &plan.update {
                            tr {
                                td { (u.line) } td { (u.key) } td { (w.change) }
                                td { (u.patch.title.as_deref().unwrap_or(&u.key)) " (" (changed_columns(&u.patch)) ")" }
                                td { @if let Some(p) = u.patch.price_idr { (format_rupiah(p)) } }
                            }
                        }
                    }
                }
                form method="post" action="/operator/produk/impor/simpan" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="id" value=(held.id);
                    p { button type="submit" { (w.confirm) } }
                }
            } @else {
                p { (w.nothing_to_do) }
            }
        }
    }
}

/// The spreadsheet columns a patch changes, as the file names them.
fn changed_columns(patch: &ListingPatch) -> String {
    [
        (patch.title.is_some(), "judul"),
        (patch.price_idr.is_some(), "harga"),
        (patch.unit.is_some(), "satuan"),
        (patch.stock.is_some(), "stok"),
        (patch.category.is_some(), "kategori"),
        (patch.producer.is_some(), "produsen"),
        (patch.description.is_some(), "deskripsi"),
        (patch.status.is_some(), "status"),
    ]
    .into_iter()
    .filter_map(|(changed, name)| changed.then_some(name))
    .collect::<Vec<_>>()
    .join(", ")
}

/// The confirmation form.
#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct ConfirmForm {
    id: String,
}

/// `POST /operator/produk/impor/simpan`: applies the held upload.
pub(crate) async fn import_apply(
    State(state): State<AppState>,
    CsrfForm {
        session,
        lang,
        fields,
    }: CsrfForm<ConfirmForm>,
) -> Response {
    let csrf = session.csrf.clone();
    let w = import_words(lang);
    let id = fields.id;
    match state.run(move |node| node.apply_held_sheet(&id)).await {
        Ok(Some(outcome)) => import_page(
            lang,
            &csrf,
            StatusCode::OK,
            None,
            html! { p.done role="status" { (imported(lang, outcome.created, outcome.updated)) } },
        ),
        Ok(None) => import_page(
            lang,
            &csrf,
            StatusCode::NOT_FOUND,
            Some(w.expired.to_owned()),
            html! {},
        ),
        Err(NodeError::Sheet(e)) => import_page(
            lang,
            &csrf,
            StatusCode::BAD_REQUEST,
            Some(e.to_string()),
            html! {},
        ),
        Err(error) => internal(lang, &error),
    }
}

/// `GET /operator/produk/ekspor.csv`.
pub(crate) async fn export_csv_file(State(state): State<AppState>, page: OperatorPage) -> Response {
    export(state, page.lang, Format::Csv).await
}

/// `GET /operator/produk/ekspor.xlsx`.
pub(crate) async fn export_xlsx_file(
    State(state): State<AppState>,
    page: OperatorPage,
) -> Response {
    export(state, page.lang, Format::Xlsx).await
}

async fn export(state: AppState, lang: Lang, format: Format) -> Response {
    let built = state
        .run(move |node| {
            let rows = node.export_listings()?;
            let view: Vec<_> = rows.iter().map(|(k, l)| (k.as_str(), l)).collect();
            Ok::<_, NodeError>(match format {
                Format::Csv => export_csv(&view),
                Format::Xlsx => export_xlsx(&view),
            })
        })
        .await;
    let bytes = match built {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(reason)) => return internal(lang, &NodeError::Schema(reason)),
        Err(error) => return internal(lang, &error),
    };
    let (content_type, name) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "produk.csv"),
        Format::Xlsx => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "produk.xlsx",
        ),
    };
    no_store(
        (
            [
                (header::CONTENT_TYPE, content_type.to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
            ],
            bytes,
        )
            .into_response(),
    )
}
