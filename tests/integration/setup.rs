//! `telecenter setup` through the real binary with its answers piped in: bad
//! answers asked again in Indonesian, the center created with the password set
//! and the card printed.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::support::{Folder, binary};

fn setup(folder: &Folder, lang: &str, answers: &str) -> std::process::Output {
    let mut child = Command::new(binary())
        .arg("setup")
        .arg("--data")
        .arg(&folder.data)
        .env("LANG", lang)
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("TELECENTER_DATA")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn setup");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(answers.as_bytes())
        .expect("answers");
    child.wait_with_output().expect("setup output")
}

#[test]
fn setup_asks_again_after_a_bad_answer_and_prints_the_center_card() {
    let folder = Folder::new();
    let out = setup(
        &folder,
        "id_ID.UTF-8",
        "Telecenter Kota Madiun\nKota Madiun\nnomor saya\n0812-3456-7890\n\
         rahasia-panjang\nrahasia-panjang\n3\n",
    );
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("Itu bukan nomor telepon"), "{stderr}");
    assert!(stdout.contains("Kartu pusat"), "{stdout}");
    assert!(stdout.contains("Nama: Telecenter Kota Madiun"), "{stdout}");
    assert!(stdout.contains("Biaya rujukan: 3 %"), "{stdout}");
    assert!(stdout.contains("/operator"), "{stdout}");

    let info = folder.json(&["info"]);
    let id = info["center_id"].as_str().expect("id").to_owned();
    assert!(stdout.contains(&id), "{stdout}");
    assert_eq!(info["whatsapp"], "+6281234567890", "{info}");
    assert!(folder.data.join("operator.password").exists());

    // A second setup on the same folder changes nothing and says where to go.
    let again = setup(&folder, "C", "X\n");
    assert!(!again.status.success());
    let said = String::from_utf8_lossy(&again.stderr);
    assert!(said.contains("already holds a telecenter"), "{said}");
    assert_eq!(folder.json(&["info"])["center_id"], id.as_str());
}

#[test]
fn setup_with_input_ending_early_creates_nothing() {
    let folder = Folder::new();
    let out = setup(&folder, "C", "Telecenter Kota Madiun\n");
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("nothing was saved"), "{said}");
    assert!(!folder.data.join("identity.key").exists());
}
