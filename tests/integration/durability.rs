//! Killing a node at any instant loses nothing it acknowledged.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Folder, admin_token, http, poll, quick_check};

#[test]
fn sigkill_during_writes_loses_nothing_acknowledged_and_restart_resumes() {
    let folder = Folder::new();
    folder.init();
    let token = admin_token(&folder.data);
    let mut acknowledged: Vec<(String, i64)> = Vec::new();

    for round in 0..3 {
        let mut server = folder.serve(&[]);
        let url = server.url.clone();
        let acks = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let writer = {
            let acks = acks.clone();
            let stop = stop.clone();
            let token = token.clone();
            std::thread::spawn(move || {
                for i in 0..200i64 {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let price = 1_000 * (round * 1_000 + i + 1);
                    let body = json!({
                        "title": format!("Keripik ronde {round} nomor {i}"),
                        "category": "makanan",
                        "price_idr": price,
                        "stock": i,
                    });
                    match http(
                        "POST",
                        &format!("{url}/api/v1/admin/listings"),
                        Some(&token),
                        Some(&body),
                    ) {
                        Ok((201, view)) => acks
                            .lock()
                            .unwrap()
                            .push((view["id"].as_str().unwrap().to_owned(), price)),
                        _ => break,
                    }
                }
            })
        };
        // Kill the node while writes are in flight.
        poll(Duration::from_secs(60), || {
            (acks.lock().unwrap().len() >= 20).then_some(())
        })
        .expect("writes are acknowledged");
        server.child.kill().unwrap();
        server.child.wait().unwrap();
        stop.store(true, Ordering::SeqCst);
        writer.join().unwrap();
        acknowledged.extend(acks.lock().unwrap().iter().cloned());

        assert_eq!(quick_check(&folder.data), "ok", "round {round}");
        let listed: Value = folder.json(&["listing", "list", "--limit", "100", "--offset", "0"]);
        let mut stored = Vec::new();
        for offset in (0..).step_by(100) {
            let page = folder.json(&[
                "listing",
                "list",
                "--limit",
                "100",
                "--offset",
                &offset.to_string(),
            ]);
            let items = page["items"].as_array().unwrap().clone();
            if items.is_empty() {
                break;
            }
            stored.extend(items);
        }
        assert_eq!(listed["total"].as_u64().unwrap() as usize, stored.len());
        for (id, price) in &acknowledged {
            let item = stored
                .iter()
                .find(|item| item["id"] == id.as_str())
                .unwrap_or_else(|| panic!("acknowledged listing {id} lost in round {round}"));
            assert_eq!(item["price_idr"], *price);
        }
    }
}
