//! `telecenter producer ...` and `telecenter sales` end to end: add a producer,
//! link a listing (name and village reach the catalog), unlink one, record a payout, read the statement as CSV, on the database
//! and through the running node; the private fields never reach the public API.

use crate::support::{Folder, admin_token, get};

#[test]
fn a_producer_is_added_linked_paid_and_their_statement_downloads_as_csv() {
    let folder = Folder::new();
    folder.init();
    let listing = folder.add_listing("Keripik Tempe Sanan", "15000", "makanan");
    let added = folder.json(&[
        "producer",
        "add",
        "--name",
        "Bu Sari",
        "--village",
        "Tulungrejo",
        "--commission",
        "7,5",
        "--whatsapp",
        "0813-5555-1212",
        "--bank-account",
        "BRI 0123-01-000123-53-7",
    ]);
    assert_eq!(added["id"], 1);
    assert_eq!(added["commission_bp"], 750);
    assert_eq!(added["whatsapp"], "+6281355551212");
    folder.ok(&["producer", "link", &listing, "1"]);
    let shown = folder.json(&["listing", "show", &listing]);
    assert_eq!(
        (&shown["producer"], &shown["producer_village"]),
        (&"Bu Sari".into(), &"Tulungrejo".into())
    );
    let err = folder.fails(&[
        "producer",
        "add",
        "--name",
        "Pak Budi",
        "--village",
        "Batu",
        "--commission",
        "150",
    ]);
    assert!(err.contains("commission"), "{err}");
    assert_eq!(
        folder.json(&["producer", "list"]).as_array().unwrap().len(),
        1
    );

    // Through the running node.
    let server = folder.serve(&[]);
    folder.ok(&[
        "producer", "payout", "1", "--amount", "40.000", "--method", "transfer", "--note", "lunas",
    ]);
    let csv = folder.ok(&["producer", "statement", "1", "--csv"]);
    let rows: Vec<&str> = csv.trim_end().split("\r\n").collect();
    assert!(rows[0].starts_with("\u{feff}producer,month,row,"), "{csv}");
    assert!(
        rows[1].contains("\"opening\"") && rows[1].ends_with(",0"),
        "{csv}"
    );
    assert!(
        rows[2].contains("\"payout\"") && rows[2].contains(",40000,\"transfer\",\"lunas\",-40000"),
        "{csv}"
    );
    assert!(
        rows[3].contains("\"closing\"") && rows[3].ends_with(",-40000"),
        "{csv}"
    );
    // Unlinking through the node: the link goes, the name and village stay.
    let other = folder.add_listing("Gula Aren Tulungrejo", "20000", "makanan");
    folder.ok(&["producer", "link", &other, "1"]);
    let unlinked = folder.json(&["producer", "unlink", &other]);
    assert_eq!(unlinked["listings"], serde_json::json!([listing]));
    assert_eq!(
        folder.json(&["listing", "show", &other])["producer_village"],
        "Tulungrejo"
    );
    let err = folder.fails(&["producer", "unlink", &other]);
    assert!(err.contains("not linked"), "{err}");
    let token = admin_token(&folder.data);
    let (status, body) = crate::support::http(
        "DELETE",
        &format!("{}/api/v1/admin/producers/1/listings/{other}", server.url),
        Some(&token),
        None,
    )
    .expect("DELETE request");
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        (&body["error"]["code"], &body["error"]["reason"]),
        (&"invalid_input".into(), &"not_linked".into()),
        "{body}"
    );
    let sales = folder.json(&["sales"]);
    assert_eq!(sales["total"]["gross_idr"], 0);

    let (status, body) = get(&server.url, "/api/v1/admin/producers/9", Some(&token));
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "unknown_producer");
    let (status, _) = get(&server.url, "/api/v1/admin/producers", None);
    assert_eq!(status, 401);
    let err = folder.fails(&["producer", "show", "9"]);
    assert!(err.contains("no producer"), "{err}");

    // Only the name reaches the public catalog.
    let (status, page) = get(&server.url, "/api/v1/listings?q=tempe", None);
    assert_eq!(status, 200);
    let public = page.to_string();
    assert!(public.contains("Bu Sari"), "{public}");
    for private in ["5555", "BRI", "0123-01"] {
        assert!(!public.contains(private), "{private} in {public}");
    }
}
