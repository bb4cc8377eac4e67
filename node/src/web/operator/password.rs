//! The password page (`/operator/sandi`): the operator changes the operator
//! password with the current one and the new one typed twice. The rules are
//! those of `telecenter password` ([`crate::password`]); the current password
//! is checked through the login limiter (wrong ones count as failed logins);
//! a change ends every other session. No password is ever put back into the
//! page.

use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;
use telecenter_protocol::catalog::Lang;

use super::{CsrfForm, html_page, i18n, internal, operator_nav, page};
use crate::node::{Node, NodeError};
use crate::password::{PASSWORD_CHARS_MAX, PASSWORD_CHARS_MIN, PasswordError, hash_password};
use crate::server::AppState;
use crate::server::gate::Client;
use crate::web::i18n::center::{center_words, password_length};
use crate::web::operator::OperatorPage;

/// The password form.
#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct PasswordFields {
    lama: String,
    baru: String,
    ulang: String,
}

/// The node's injected random source as an [`rand::RngCore`] (for the salt).
struct NodeRandom<'a>(&'a Node);

impl rand::RngCore for NodeRandom<'_> {
    fn next_u32(&mut self) -> u32 {
        let mut bytes = [0u8; 4];
        self.0.fill_random(&mut bytes);
        u32::from_le_bytes(bytes)
    }

    fn next_u64(&mut self) -> u64 {
        let mut bytes = [0u8; 8];
        self.0.fill_random(&mut bytes);
        u64::from_le_bytes(bytes)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.fill_random(dest);
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
        self.0.fill_random(dest);
        Ok(())
    }
}

fn password_page(lang: Lang, csrf: &str, problems: &[String], done: bool) -> Markup {
    let (t, c) = (i18n::texts(lang), center_words(lang));
    let field = |id: &str, name: &str, label: &str, autocomplete: &str| {
        html! {
            label for=(id) { (label) }
            input id=(id) name=(name) type="password" required autocomplete=(autocomplete)
                maxlength=(PASSWORD_CHARS_MAX);
        }
    };
    html! {
        (operator_nav(t, csrf))
        h1 { (c.password_page) }
        @if done { p.order role="status" #sandi-tersimpan { (c.password_changed) } }
        @if !problems.is_empty() {
            div.error role="alert" {
                strong { (t.input_problem) }
                ul { @for problem in problems { li { (problem) } } }
            }
        }
        form method="post" action="/operator/sandi" {
            input type="hidden" name="csrf" value=(csrf);
            (field("sandi-lama", "lama", c.password_current, "current-password"))
            (field("sandi-baru", "baru", c.password_new, "new-password"))
            p.muted { (password_length_hint(lang)) }
            (field("sandi-ulang", "ulang", c.password_again, "new-password"))
            p { button #ganti-sandi type="submit" { (c.password_page) } }
        }
    }
}

fn password_length_hint(lang: Lang) -> String {
    if lang == Lang::En {
        format!("{PASSWORD_CHARS_MIN} to {PASSWORD_CHARS_MAX} characters.")
    } else {
        format!("{PASSWORD_CHARS_MIN} sampai {PASSWORD_CHARS_MAX} karakter.")
    }
}

fn render(lang: Lang, csrf: &str, status: StatusCode, problems: &[String], done: bool) -> Response {
    html_page(
        status,
        page(
            i18n::texts(lang),
            center_words(lang).password_page,
            "/operator",
            password_page(lang, csrf, problems, done),
        ),
    )
}

/// `GET /operator/sandi`.
pub(crate) async fn password_form(OperatorPage { csrf, lang }: OperatorPage) -> Response {
    render(lang, &csrf, StatusCode::OK, &[], false)
}

/// `POST /operator/sandi`.
pub(crate) async fn change_password(
    State(state): State<AppState>,
    Extension(client): Extension<Client>,
    CsrfForm {
        session,
        lang,
        fields,
    }: CsrfForm<PasswordFields>,
) -> Response {
    let c = center_words(lang);
    let csrf = session.csrf.clone();
    let refuse =
        |problems: &[String]| render(lang, &csrf, StatusCode::BAD_REQUEST, problems, false);
    let mut problems = Vec::new();
    let chars = fields.baru.chars().count();
    if !(PASSWORD_CHARS_MIN..=PASSWORD_CHARS_MAX).contains(&chars) {
        problems.push(password_length(lang, chars));
    }
    if fields.baru != fields.ulang {
        problems.push(c.password_differ.to_owned());
    }
    // The current password is checked like a login: limited, and slow on purpose.
    let now = state.node.clock().now_ms();
    let limiter = &state.operator.login;
    if limiter.check(client.ip, now).is_err() {
        return refuse(&[c.password_busy.to_owned()]);
    }
    let current = fields
        .lama
        .chars()
        .take(PASSWORD_CHARS_MAX)
        .collect::<String>();
    match limiter
        .check_password(client.ip, now, state.operator.clone(), current)
        .await
    {
        None => return refuse(&[c.password_busy.to_owned()]),
        Some(true) => limiter.succeeded(client.ip, now),
        Some(false) => {
            limiter.failed(client.ip, now);
            problems.insert(0, c.password_wrong.to_owned());
        }
    }
    if !problems.is_empty() {
        return refuse(&problems);
    }
    let new = fields.baru;
    let hashed = state
        .run(move |node| {
            hash_password(&new, &mut NodeRandom(node)).map_err(|e| match e {
                PasswordError::Length(n) => NodeError::Internal(format!("password length {n}")),
                PasswordError::Hash(e) => NodeError::Internal(e),
            })
        })
        .await;
    let stored = hashed.and_then(|hash| {
        state
            .operator
            .store_hash(&hash)
            .map_err(|e| NodeError::Internal(e.to_string()))
    });
    match stored {
        Ok(()) => {
            state.operator.end_others(&session.token);
            tracing::info!("operator password changed on the pages; other sessions ended");
            render(lang, &csrf, StatusCode::OK, &[], true)
        }
        Err(error) => internal(lang, &error),
    }
}
