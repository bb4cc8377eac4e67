//! Every size and count limit of the protocol, in one place.
//!
//! Units come last in the names. `docs/protocol.md` lists the same numbers; a node
//! rejects anything over them with a clear error and changes nothing.

/// Longest listing title, in characters (Unicode scalar values), per language.
pub const TITLE_CHARS_MAX: usize = 120;
/// Longest listing description, in characters, per language.
pub const DESCRIPTION_CHARS_MAX: usize = 2_000;
/// Longest unit ("bungkus", "kg", "botol 250 ml"), in characters.
pub const UNIT_CHARS_MAX: usize = 24;
/// Longest producer (the UMKM or group that makes the product), in characters.
pub const PRODUCER_CHARS_MAX: usize = 120;
/// Longest center name, in characters.
pub const CENTER_NAME_CHARS_MAX: usize = 100;
/// Longest region (kabupaten/kota), in characters.
pub const REGION_CHARS_MAX: usize = 100;
/// Longest contact line (phone, WhatsApp, address), in characters.
pub const CONTACT_CHARS_MAX: usize = 200;
/// Highest price of one unit, in whole rupiah (one billion rupiah).
///
/// Far above any micro-business product; it keeps price × quantity × fee
/// arithmetic far inside `i64`.
pub const PRICE_IDR_MAX: i64 = 1_000_000_000;
/// Highest stock count of one listing.
pub const STOCK_MAX: i64 = 1_000_000;
/// Most listings (of any status, removed ones included) in one center's catalog.
pub const LISTINGS_PER_CATALOG_MAX: usize = 10_000;
/// Largest encoded Automerge change inside a signed envelope, in bytes.
pub const CHANGE_BYTES_MAX: usize = 64 * 1024;
/// Most operations in one change (rows of its action column), checked before the
/// change is decoded.
///
/// A catalog change holds one edit: a new listing with every field in three
/// languages is about forty operations, a price edit one. An honestly written
/// operation takes a few bytes, so [`CHANGE_BYTES_MAX`] holds at most a few
/// thousand; more can only come from run-length encoding that claims far more
/// than it carries. 4 096 is a hundred times the largest real edit.
pub const CHANGE_OPS_MAX: u64 = 4_096;
/// Most predecessors of all operations of one change together (a catalog has one
/// writer, so an operation overwrites at most one or two earlier values).
pub const CHANGE_PREDS_MAX: u64 = 2 * CHANGE_OPS_MAX;
/// Most bytes of the string columns of one change (map keys, mark names) once
/// their runs are expanded. Real keys are a few characters each; four times
/// [`CHANGE_BYTES_MAX`] leaves room for any honest change.
pub const CHANGE_EXPANDED_BYTES_MAX: u64 = 4 * CHANGE_BYTES_MAX as u64;
/// Most writing epochs (Automerge actors of the owner's key) one catalog may
/// have. A catalog gains an epoch each time its node is restored from a backup
/// ([`crate::epoch`]); a change that would open one more is refused.
pub const EPOCHS_PER_CATALOG_MAX: usize = 16;
/// Longest search query, in characters.
pub const QUERY_CHARS_MAX: usize = 200;
/// Most words of a search query that are used; the rest are ignored.
pub const QUERY_TERMS_MAX: usize = 8;
/// Most results one search page returns.
pub const PAGE_LIMIT_MAX: u32 = 100;
/// Default number of results of one search page.
pub const PAGE_LIMIT_DEFAULT: u32 = 20;
/// Deepest offset a search may page to.
pub const PAGE_OFFSET_MAX: u32 = 10_000;
/// Most photos on one listing.
pub const PHOTOS_PER_LISTING_MAX: usize = 4;
/// Largest uploaded photo file, in bytes.
pub const PHOTO_UPLOAD_BYTES_MAX: usize = 8 * 1024 * 1024;
/// Largest stored image (a resized thumbnail or medium image), in bytes.
pub const IMAGE_BYTES_MAX: usize = 1024 * 1024;
/// Most units in one order.
pub const ORDER_QUANTITY_MAX: i64 = 10_000;
/// Highest referral fee, in basis points (5 000 = 50 %).
pub const FEE_BP_MAX: u32 = 5_000;
/// Highest minimum referral fee per order, whole rupiah.
pub const FEE_MIN_IDR_MAX: i64 = 10_000_000;
/// Longest buyer name, in characters.
pub const BUYER_NAME_CHARS_MAX: usize = 100;
/// Longest phone number, in characters.
pub const PHONE_CHARS_MAX: usize = 24;
/// Longest note on an order, in characters.
pub const ORDER_NOTE_CHARS_MAX: usize = 500;
/// Longest reason for rejecting or cancelling, in characters.
pub const REASON_CHARS_MAX: usize = 200;
/// Longest settlement reference (bank reference, note), in characters.
pub const REFERENCE_CHARS_MAX: usize = 100;
/// Largest single settlement payment, whole rupiah (one trillion).
pub const SETTLEMENT_IDR_MAX: i64 = 1_000_000_000_000;
/// Largest pair message body, in bytes.
pub const PAIR_MESSAGE_BYTES_MAX: usize = 8 * 1024;
/// Most messages (or results) in one sealed mail.
pub const PAIR_BATCH_MESSAGES_MAX: usize = 100;
/// Largest mail exchange request or response body, in bytes (room for 2 MiB of
/// sealed mail in base64 and a full routes advertisement).
pub const MAIL_EXCHANGE_BYTES_MAX: usize = 4 * 1024 * 1024;
/// Longest node address (URL) in a profile, in characters.
pub const ADDRESS_CHARS_MAX: usize = 200;
/// Largest file of extra trusted CA certificates (`ca_file`, `TELECENTER_CA_FILE`), in bytes.
pub const CA_FILE_BYTES_MAX: u64 = 1024 * 1024;
/// Most certificates taken from one CA file.
pub const CA_FILE_CERTIFICATES_MAX: usize = 100;
/// Most orders with one other center that are not yet final (placed, accepted,
/// shipped); more placements from it are refused until some finish.
pub const OPEN_ORDERS_PER_CENTER_MAX: u64 = 1_000;
/// Most settlement payments from one other center waiting for an answer.
pub const WAITING_SETTLEMENTS_PER_CENTER_MAX: u64 = 100;
/// Most remembered refusals per other center (beyond, refusals are still sent
/// but no longer remembered).
pub const REFUSALS_PER_CENTER_MAX: u64 = 10_000;
/// Most placements taken in from one other center in 24 hours (by the receiver's
/// clock); beyond, placements are refused `too_many_orders`. Bounds a
/// place-then-cancel loop, which the open-order limit does not.
pub const PLACEMENTS_PER_CENTER_PER_DAY_MAX: u64 = 500;
/// Most pair messages taken in from one other center per minute; beyond, they
/// are answered `later` (code `too_fast`) and the sender sends them again.
pub const PAIR_MESSAGES_PER_CENTER_PER_MINUTE_MAX: u32 = 300;
/// Most senders whose pair-message rate is remembered at once (bounded memory);
/// when all are in their current minute, new senders are answered `later`.
pub const PAIR_SENDERS_TRACKED_MAX: usize = 10_000;
/// How far ahead of the receiver's clock a pair message may be dated, in ms;
/// a message dated later is answered `later` (code `from_the_future`).
pub const PAIR_MESSAGE_AHEAD_MS_MAX: i64 = 5 * 60 * 1000;
/// Most photo uploads decoded at once by one node; more are refused as busy.
pub const PHOTO_DECODES_MAX: usize = 2;
/// Most images one node fetches from its peers at once for its web pages; more
/// requests are answered without fetching.
pub const IMAGE_FETCHES_MAX: usize = 4;
/// How long a failed fetch of an image from the peers is not tried again, in ms.
pub const IMAGE_FETCH_RETRY_MS: i64 = 10 * 60 * 1000;
/// Most failed image fetches remembered at once (the oldest are forgotten first).
pub const IMAGE_FETCH_FAILURES_MAX: usize = 4_096;
/// Most addresses in the node's `/sitemap.xml` (the sitemap protocol's own
/// limit); beyond it the newest are listed.
pub const SITEMAP_URLS_MAX: usize = 50_000;
/// Longest `Host` header taken as this node's address for absolute links (when
/// no `public_url` or published address is known).
pub const HOST_HEADER_CHARS_MAX: usize = 255;
/// Largest body of the public request form ("Pesan" on a product page), in
/// bytes; a bigger body is refused before more is read.
pub const REQUEST_FORM_BYTES_MAX: usize = 8 * 1024;
/// Longest delivery note on a buyer request, in characters.
pub const REQUEST_NOTE_CHARS_MAX: usize = 500;
/// Buyer requests one client address (IPv6: its /64) may send per window.
pub const REQUESTS_PER_ADDRESS_MAX: u32 = 5;
/// The window of [`REQUESTS_PER_ADDRESS_MAX`], in ms (10 minutes).
pub const REQUESTS_ADDRESS_WINDOW_MS: i64 = 10 * 60 * 1000;
/// Buyer requests one client address (IPv6: its /64) may send per day, so one
/// address cannot fill [`OPEN_REQUESTS_MAX`] by itself over the hours.
pub const REQUESTS_PER_ADDRESS_DAY_MAX: u32 = 20;
/// The window of [`REQUESTS_PER_ADDRESS_DAY_MAX`], in ms (24 hours).
pub const REQUESTS_ADDRESS_DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// Buyer requests the node takes from everyone together per minute.
pub const REQUESTS_PER_MINUTE_MAX: u32 = 30;
/// Client addresses the request rate limit remembers; beyond, the oldest is forgotten.
pub const REQUEST_CLIENTS_TRACKED_MAX: usize = 10_000;
/// Buyer requests waiting for the operator (`new`) at once; beyond, the form
/// answers that the center is busy.
pub const OPEN_REQUESTS_MAX: u64 = 500;
/// Longest producer name or village (a producer's public words), in characters.
pub const PRODUCER_VILLAGE_CHARS_MAX: usize = 100;
/// Longest producer contact or bank account (kept on this node only), in characters.
pub const PRODUCER_PRIVATE_CHARS_MAX: usize = 200;
/// Highest producer commission, in basis points (10 000 = 100 %).
pub const PRODUCER_COMMISSION_BP_MAX: u32 = 10_000;
/// Most producers one center keeps.
pub const PRODUCERS_MAX: u64 = 2_000;
/// Largest single payout to a producer, whole rupiah.
pub const PRODUCER_PAYOUT_IDR_MAX: i64 = 1_000_000_000;
/// Longest note on a payout, in characters.
pub const PAYOUT_NOTE_CHARS_MAX: usize = 200;
/// Most payouts recorded for one producer in one day (bounds a mistaken loop).
pub const PAYOUTS_PER_PRODUCER_PER_DAY_MAX: u64 = 100;
/// Largest spreadsheet (`.csv` or `.xlsx`) accepted for a listing import.
pub const SHEET_BYTES_MAX: usize = 5 * 1024 * 1024;
/// Most data rows (below the header) in an imported spreadsheet.
pub const SHEET_ROWS_MAX: usize = 2_000;
/// Most columns read from an imported spreadsheet.
pub const SHEET_COLUMNS_MAX: usize = 32;
/// Longest cell of an imported spreadsheet, in characters (the longest field,
/// a description, fits).
pub const SHEET_CELL_CHARS_MAX: usize = DESCRIPTION_CHARS_MAX;
/// Most entries in an `.xlsx` archive.
pub const SHEET_ZIP_ENTRIES_MAX: usize = 1_000;
/// Most bytes an `.xlsx` archive may unpack to, all entries together (as the
/// archive declares them; checked before anything is inflated).
pub const SHEET_UNPACKED_BYTES_MAX: u64 = 50 * 1024 * 1024;
/// Most bytes of text the cells of an `.xlsx` may hold together, once read (as
/// much as a CSV may hold): a shared string is stored once but read into every
/// cell that names it, so without this bound a small file could claim hundreds
/// of megabytes.
pub const SHEET_TEXT_BYTES_MAX: usize = SHEET_BYTES_MAX;
/// Longest product code (`kode`, the key column of an imported spreadsheet).
pub const SHEET_KEY_CHARS_MAX: usize = 64;
/// Most uploaded spreadsheets an operator's preview keeps waiting for its
/// confirmation (the oldest is dropped first).
pub const SHEET_HELD_MAX: usize = 4;
/// How long an uploaded spreadsheet waits for its confirmation.
pub const SHEET_HELD_MS: i64 = 30 * 60 * 1000;
/// Largest center card text ("kartu pusat") read from a paste, in bytes.
pub const CARD_BYTES_MAX: usize = 1024;
/// Most lines of a center card (blank lines included).
pub const CARD_LINES_MAX: usize = 16;
