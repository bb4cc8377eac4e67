//! `telecenter listing import` and `listing export` with the real binary: a
//! preview that writes nothing and exits 1 on bad rows, `--yes`, an `.xlsx`
//! export that imports back with no change, and a file over the limit.

use crate::support::Folder;

const GOOD: &str = "kode,judul,harga,satuan,stok,kategori\n\
    KP-1,Keripik Pisang,Rp 15.000,bungkus,10,makanan\n\
    KP-2,Kopi Dampit,45.000,kg,5,minuman\n\
    KP-3,Tas Anyaman,\"Rp 120.000,-\",buah,2,kerajinan\n";

fn titles(folder: &Folder) -> Vec<String> {
    let list = folder.json(&["listing", "list", "--all"]);
    let mut titles: Vec<String> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["title"].as_str().unwrap_or_default().to_owned())
        .collect();
    titles.sort();
    titles
}

#[test]
fn import_previews_then_writes_with_yes_and_an_xlsx_export_imports_back_unchanged() {
    let folder = Folder::new();
    folder.init();
    let dir = folder.data.parent().expect("temp dir").to_owned();
    let bad = dir.join("produk-salah.csv");
    std::fs::write(
        &bad,
        format!("{GOOD}KP-4,Gula Aren,lima ribu,kg,1,makanan\n"),
    )
    .unwrap();

    // Without --yes: the preview and the bad row, nothing written, exit 1.
    let out = folder.run(&["listing", "import", bad.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("baris 5: harga 'lima ribu' bukan angka"),
        "{stdout}"
    );
    assert!(
        stdout.contains("3 to create, 0 to update, 0 unchanged, 1 bad rows"),
        "{stdout}"
    );
    assert!(stdout.contains("nothing written"), "{stdout}");
    assert!(titles(&folder).is_empty(), "a preview writes nothing");

    // With --yes: the good rows.
    let good = dir.join("produk.csv");
    std::fs::write(&good, GOOD).unwrap();
    let stdout = folder.ok(&["listing", "import", good.to_str().unwrap(), "--yes"]);
    assert!(
        stdout.contains("imported: 3 created, 0 updated"),
        "{stdout}"
    );
    assert_eq!(
        titles(&folder),
        ["Keripik Pisang", "Kopi Dampit", "Tas Anyaman"]
    );

    // Export as .xlsx, import it back: nothing changes.
    let xlsx = dir.join("ekspor.xlsx");
    folder.ok(&[
        "listing",
        "export",
        "--format",
        "xlsx",
        "--output",
        xlsx.to_str().unwrap(),
    ]);
    let before = folder.json(&["listing", "list", "--all"]);
    let stdout = folder.ok(&["listing", "import", xlsx.to_str().unwrap(), "--yes"]);
    assert!(
        stdout.contains("0 to create, 0 to update, 3 unchanged, 0 bad rows"),
        "{stdout}"
    );
    assert_eq!(folder.json(&["listing", "list", "--all"]), before);

    // CSV export to stdout names the codes.
    let csv = folder.ok(&["listing", "export"]);
    assert!(csv.starts_with("kode,"), "{csv}");
    assert!(csv.contains("KP-2,Kopi Dampit,45000"), "{csv}");

    // A file over the limit: one line, the limit, not a wrong size.
    let big = dir.join("besar.csv");
    std::fs::write(&big, vec![b'a'; 6 * 1024 * 1024]).unwrap();
    let err = folder.fails(&["listing", "import", big.to_str().unwrap()]);
    assert!(err.contains("larger than 5242880 bytes (5 MiB)"), "{err}");
    assert_eq!(folder.json(&["listing", "list", "--all"]), before);
}
