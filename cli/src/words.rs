//! The CLI's words for people, one table per language (`words/en.rs`,
//! `words/id.rs`): Indonesian when the locale (`LC_ALL`, else `LC_MESSAGES`,
//! else `LANG`) starts with `id`, English otherwise. `--json` output is for
//! programs and never goes through these tables.

use std::sync::OnceLock;

mod en;
mod id;
mod recovery;

pub(crate) use recovery::recovery;

/// The CLI's languages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lang {
    /// Bahasa Indonesia.
    Id,
    /// English.
    En,
}

/// The language of a locale setting as the C library reads it: the first
/// non-empty of `LC_ALL`, `LC_MESSAGES`, `LANG`.
pub(crate) fn lang_of(lc_all: Option<&str>, lc_messages: Option<&str>, lang: Option<&str>) -> Lang {
    let locale = [lc_all, lc_messages, lang]
        .into_iter()
        .flatten()
        .find(|v| !v.is_empty())
        .unwrap_or("");
    if locale
        .get(..2)
        .is_some_and(|p| p.eq_ignore_ascii_case("id"))
    {
        Lang::Id
    } else {
        Lang::En
    }
}

/// This process's language, from its environment (read once).
pub(crate) fn lang() -> Lang {
    static LANG: OnceLock<Lang> = OnceLock::new();
    *LANG.get_or_init(|| {
        let var = |name| std::env::var(name).ok();
        lang_of(
            var("LC_ALL").as_deref(),
            var("LC_MESSAGES").as_deref(),
            var("LANG").as_deref(),
        )
    })
}

/// The table of this process's language.
pub(crate) fn words() -> &'static Words {
    table(lang())
}

/// The table of `lang`.
pub(crate) fn table(lang: Lang) -> &'static Words {
    match lang {
        Lang::Id => &id::WORDS,
        Lang::En => &en::WORDS,
    }
}

/// `template` with each `{}` replaced by the next of `values` (a missing value
/// leaves the `{}`; extra values are ignored).
pub(crate) fn fill(template: &str, values: &[&dyn std::fmt::Display]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut values = values.iter();
    let mut rest = template;
    while let Some(at) = rest.find("{}") {
        out.push_str(&rest[..at]);
        match values.next() {
            Some(value) => out.push_str(&value.to_string()),
            None => out.push_str("{}"),
        }
        rest = &rest[at + 2..];
    }
    out.push_str(rest);
    out
}

macro_rules! words_table {
    ($($(#[doc = $doc:literal])* $name:ident,)*) => {
        /// Every text the CLI prints for people; `{}` marks a value.
        pub(crate) struct Words {
            $($(#[doc = $doc])* pub(crate) $name: &'static str,)*
            /// Short gloss of an option or argument, by its long name
            /// (`title` → "judul produk"), for "missing --title (…)".
            pub(crate) args: &'static [(&'static str, &'static str)],
            /// `about` of commands and subcommands, by path (`order cancel`).
            pub(crate) abouts: &'static [(&'static str, &'static str)],
            /// Order statuses by their API word.
            pub(crate) statuses: &'static [(&'static str, &'static str)],
            /// Errors by kind or API code (`not_set_up`, `out_of_stock`); `{}`
            /// is the folder or id when known. Empty: the English message stays.
            pub(crate) errors: &'static [(&'static str, &'static str)],
            /// Input fields by their API name (`price_idr` → "harga").
            pub(crate) fields: &'static [(&'static str, &'static str)],
            /// Why an input was refused, by its code (`empty`, `too_long`).
            pub(crate) reasons: &'static [(&'static str, &'static str)],
            /// Captions of the `--help` examples, by their English words.
            pub(crate) captions: &'static [(&'static str, &'static str)],
            /// Other API words shown in tables (request and settlement
            /// statuses, statement line kinds); a missing word stays as it is.
            pub(crate) api_words: &'static [(&'static str, &'static str)],
        }

        impl Words {
            /// Every plain text, with its field name (for the tests that walk the table).
            #[cfg(test)]
            pub(crate) fn entries(&self) -> Vec<(&'static str, &'static str)> {
                vec![$((stringify!($name), self.$name)),*]
            }
        }
    };
}

words_table! {
    /// Before the one error line.
    error_line,
    /// After a wrong-arguments line.
    see_help,
    /// A required argument was not given: {} is the argument and its gloss.
    missing_argument,
    /// An option that does not exist: {}.
    unknown_argument,
    /// A command that does not exist: {}.
    unknown_command,
    /// A value that cannot be read: {} value, {} option.
    invalid_value,
    /// The limit a refused number passed: {} the limit.
    at_most,
    /// The runtime could not start: {}.
    cannot_start,
    /// Top-level about.
    about,
    /// Password prompt: {} min, {} max.
    password_prompt,
    /// Password shorter than the rule: {} min, {} found.
    password_too_short,
    /// Password longer than the rule: {} max, {} found.
    password_too_long,
    /// Password saved.
    password_set,
    /// Password could not be read.
    password_unreadable,
    /// An order was cancelled: {} id.
    order_cancelled,
    /// An order step done: {} id, {} status.
    order_now,
    /// The step still has to reach the other center: {} its name.
    order_waits,
    /// No orders.
    no_orders,
    /// Column headers of the order list.
    orders_header_id,
    orders_header_status,
    orders_header_role,
    orders_header_with,
    orders_header_item,
    orders_header_qty,
    orders_header_total,
    /// Footnote for a waiting step.
    orders_pending_note,
    /// Role words.
    role_buyer,
    role_seller,
    /// `order show` labels.
    show_order,
    show_you_are,
    show_with,
    show_item,
    show_total,
    show_per,
    show_fee,
    show_minimum,
    show_payment,
    show_buyer,
    show_note,
    show_problem,
    show_from_them,
    show_to_them,
    show_accepted,
    show_warning,
    show_history,
    no_message_yet,
    directly,
    through,
    trust_none,
    trust_direct,
    trust_vouched,
    no_way_to_send,
    waiting_for_seller,
    by,
    this_center,
    /// Where and how the buyer pays.
    pay_here,
    pay_seller,
    method_cash,
    method_transfer,
    method_qris,
    /// Order placed: {} id, {} center, {} qty, {} title, {} total.
    order_placed,
    /// Peer list.
    never,
    last_sync,
    /// An input refused for a reason the table does not name.
    reason_other,
    /// After init: {} name, {} region, {} folder, {} folder.
    created,
    /// The node serves: {} name, {} short id, {} address.
    serving,
    /// A listing removed: {} id, {} title.
    removed,
    /// Labels of `listing show` and `info` (padded to one width).
    label_price,
    label_stock,
    label_category,
    label_producer,
    label_status,
    label_center,
    label_updated,
    label_center_id,
    label_region,
    label_contact,
    label_whatsapp,
    label_fee,
    label_address,
    label_version,
    label_behind,
    label_last_error,
    /// Search: {} the corrected words.
    did_you_mean,
    no_listings,
    /// Search: {} near words.
    try_words,
    stock_word,
    /// Search: {} shown, {} total.
    shown,
    /// Info: {} percent, {} minimum.
    fee_line,
    /// Info: {} the address.
    address_published,
    address_none,
    /// Peer added: {} name, {} id.
    peer_added,
    peer_no_address,
    peer_trusted_note,
    no_peers,
    connects_to_us,
    /// Peer list: {} changes.
    changes,
    /// Trust decisions.
    state_trusted,
    state_blocked,
    /// Trust: {} how many.
    accepted_catalogs,
    /// Trust: {} depth.
    vouched_depth,
    no_sync_peers,
    /// Sync: {} name, {} received, {} sent, {} behind.
    sync_ok,
    /// Sync: {} name, {} error.
    sync_failed,
    /// Sync: {} failed, {} peers.
    sync_some_failed,
    /// Init: {} folder.
    folder_in_use,
    /// {} the file.
    photo_unreadable,
    /// {} file, {} max bytes, {} found.
    photo_too_large,
    /// Import: {} new, {} changed, {} same, {} bad.
    import_summary,
    /// Import: {} created, {} updated.
    imported,
    import_dry,
    /// {} bad rows.
    bad_rows,
    no_ledger,
    /// Fee statement: {} name, {} from, {} to.
    statement_title,
    opening_balance,
    closing_balance,
    settled,
    /// {} amount.
    owes_us,
    /// {} amount.
    we_owe,
    /// {} month.
    report_title,
    /// Fee report columns.
    report_orders,
    report_gross,
    report_earned,
    report_owed,
    report_net,
    by_center,
    by_producer,
    /// {} month.
    balances_end,
    /// {} id, {} amount, {} center.
    correction_sent,
    /// {} what was typed.
    owed_to_bad,
    suggestion_only,
    nothing_to_settle,
    pays,
    not_minimal,
    /// {} why.
    left_out,
    no_settlements,
    no_producers,
    /// Producer labels.
    label_bank,
    label_listings,
    /// {} listing, {} producer, {} village.
    linked,
    /// {} listing, {} producer, {} village.
    unlinked,
    /// {} amount, {} method, {} producer.
    producer_paid,
    /// {} name, {} village, {} month.
    producer_statement,
    /// Statement and sales words.
    word_gross,
    word_commission,
    word_owed,
    word_paid,
    word_sales,
    /// {} gross, {} commission, {} owed, {} paid.
    statement_totals,
    /// {} month.
    sales_title,
    /// Buyer request labels (padded to one width).
    request_product,
    request_seller,
    request_quantity,
    request_buyer,
    request_receive,
    request_note,
    request_sent,
    request_order,
    request_reason,
    pickup_here,
    delivery,
    no_requests,
    /// {} how many.
    requests_waiting,
    /// {} code, {} qty, {} unit, {} title.
    request_sold_here,
    /// {} code, {} center, {} order.
    request_ordered,
    /// {} code.
    request_declined,
    /// Listing statuses.
    listing_active,
    listing_hidden,
    listing_removed,
    /// Files: {} the file.
    file_unreadable,
    file_unwritable,
    /// Why a file cannot be used.
    io_not_found,
    io_permission_denied,
    /// Order place: {} what was typed.
    listing_path_bad,
}

impl Words {
    /// An option or argument as people should read it: `--title (judul produk)`
    /// from clap's `--title <TITLE>`, `LISTING (…)` from `<LISTING>`.
    pub(crate) fn argument(&self, clap_text: &str) -> String {
        let token = clap_text.split_whitespace().next().unwrap_or(clap_text);
        let name = token.trim_start_matches('-').trim_matches(['<', '>', '.']);
        let key = name.to_lowercase().replace('_', "-");
        match self.args.iter().find(|(arg, _)| *arg == key) {
            Some((_, gloss)) => format!("{token} ({gloss})"),
            None => token.to_owned(),
        }
    }

    /// An API word (`sold`, `waiting`, `referral_fee`) for people.
    pub(crate) fn api_word<'a>(&self, word: &'a str) -> &'a str {
        self.api_words
            .iter()
            .find(|(w, _)| *w == word)
            .map_or(word, |(_, text)| text)
    }

    /// An order status for people, from its API word.
    pub(crate) fn status(&self, word: &str) -> String {
        self.statuses
            .iter()
            .find(|(w, _)| *w == word)
            .map_or_else(|| word.to_owned(), |(_, text)| (*text).to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_locale_picks_the_language_with_the_usual_precedence() {
        assert_eq!(lang_of(None, None, Some("id_ID.UTF-8")), Lang::Id);
        assert_eq!(lang_of(None, None, Some("C")), Lang::En);
        assert_eq!(lang_of(None, None, None), Lang::En);
        assert_eq!(lang_of(Some("en_US.UTF-8"), None, Some("id_ID")), Lang::En);
        assert_eq!(lang_of(Some(""), Some("id"), Some("en_GB")), Lang::Id);
        assert_eq!(lang_of(None, None, Some("i")), Lang::En);
    }

    /// Walks both tables: every text is there in both languages, with the same
    /// values to fill, and the Indonesian table is not English left over.
    #[test]
    fn every_text_has_an_indonesian_text() {
        let (id, en) = (table(Lang::Id), table(Lang::En));
        let untranslated_ok = [
            "orders_header_id_unused",
            "orders_header_status",
            "orders_header_total",
            "show_total",
            "show_per",
            "method_transfer",
            "method_qris",
            "label_status",
            "label_whatsapp",
        ];
        for ((name, id_text), (_, en_text)) in id.entries().into_iter().zip(en.entries()) {
            assert!(!id_text.trim().is_empty(), "{name} is empty in Indonesian");
            assert!(!en_text.trim().is_empty(), "{name} is empty in English");
            assert_eq!(
                id_text.matches("{}").count(),
                en_text.matches("{}").count(),
                "{name}: the two languages fill different values"
            );
            if !untranslated_ok.contains(&name) {
                assert_ne!(id_text, en_text, "{name} is not translated");
            }
        }
        for (arg, _) in en.args {
            assert!(
                id.args.iter().any(|(a, _)| a == arg),
                "--{arg} has no Indonesian gloss"
            );
        }
        for (word, _) in en.statuses {
            assert!(id.statuses.iter().any(|(w, _)| w == word), "status {word}");
        }
    }

    /// Walks the command tree: every command and subcommand has an Indonesian
    /// summary, and no English caption is left in its examples.
    #[test]
    fn every_command_has_an_indonesian_summary_and_captions() {
        use clap::CommandFactory;
        fn walk(command: &clap::Command, path: &str, out: &mut Vec<(String, String)>) {
            for sub in command.get_subcommands() {
                let path = if path.is_empty() {
                    sub.get_name().to_owned()
                } else {
                    format!("{path} {}", sub.get_name())
                };
                let after = sub
                    .get_after_help()
                    .map(|t| t.to_string())
                    .unwrap_or_default();
                out.push((path.clone(), after));
                walk(sub, &path, out);
            }
        }
        let mut commands = Vec::new();
        walk(&crate::cli::Cli::command(), "", &mut commands);
        assert!(commands.len() > 50, "{}", commands.len());
        let id = table(Lang::Id);
        for (path, after) in commands {
            assert!(
                id.abouts.iter().any(|(p, _)| *p == path),
                "'{path}' has no Indonesian summary"
            );
            let said = id
                .captions
                .iter()
                .fold(after, |text, (en, said)| text.replace(en, said));
            for english in ["Example", "(the ", " the ", "(your ", "(to ", "(with "] {
                assert!(!said.contains(english), "'{path}': {english:?} in {said}");
            }
        }
    }

    #[test]
    fn values_are_filled_in_order_and_arguments_named() {
        assert_eq!(fill("{} dari {}", &[&1, &"dua"]), "1 dari dua");
        assert_eq!(fill("{} dan {}", &[&1]), "1 dan {}");
        let id = table(Lang::Id);
        assert_eq!(id.argument("--title <TITLE>"), "--title (judul produk)");
        assert_eq!(
            id.argument("--buyer-name <BUYER_NAME>"),
            "--buyer-name (nama pembeli)"
        );
        assert_eq!(
            id.argument("<LISTING>"),
            "<LISTING> (KODE-PUSAT/KODE produk)"
        );
        assert_eq!(id.argument("--zzz"), "--zzz");
        assert_eq!(id.status("cancelled"), "dibatalkan");
    }
}
