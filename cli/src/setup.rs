//! `telecenter setup`: the interactive first run. Asks the center's name, region,
//! WhatsApp number, operator password (twice, without echo on a terminal) and
//! referral fee, checks each answer at once and asks again with a plain line;
//! then creates the center, sets the password and prints the center card and
//! the next step. Indonesian when `LANG` starts with `id`, English otherwise.
//! Works with piped standard input (the password is then read as a line).

use std::io::{BufRead, IsTerminal, Read, Write};

use anyhow::{Context, Result, bail};
use telecenter_node::data_dir::DataDir;
use telecenter_node::password::{PASSWORD_CHARS_MAX, PASSWORD_CHARS_MIN};
use telecenter_protocol::catalog::input::ProfileInput;
use telecenter_protocol::fee::{parse_percent, percent_text};
use telecenter_protocol::limits::{CENTER_NAME_CHARS_MAX, REGION_CHARS_MAX};
use telecenter_protocol::phone::normalize_phone;
use telecenter_protocol::text::InvalidInput;

/// Longest answer line read, in bytes; a longer line is refused, not stored.
const ANSWER_BYTES_MAX: u64 = 4_096;

/// Whether this process speaks Indonesian (the CLI's one language choice,
/// [`crate::words::lang`]).
pub(crate) fn indonesian() -> bool {
    crate::words::lang() == crate::words::Lang::Id
}

/// The words of `setup` in one language.
struct Words {
    welcome: &'static str,
    name: &'static str,
    region: &'static str,
    whatsapp: &'static str,
    password: &'static str,
    password_again: &'static str,
    fee: &'static str,
    empty: &'static str,
    too_long: &'static str,
    control: &'static str,
    phone: &'static str,
    not_indonesian: &'static str,
    password_length: &'static str,
    password_differs: &'static str,
    fee_bad: &'static str,
    fee_high: &'static str,
    input_ended: &'static str,
    already: &'static str,
    in_use: &'static str,
    card: &'static str,
    card_name: &'static str,
    card_region: &'static str,
    card_id: &'static str,
    card_address: &'static str,
    card_fee: &'static str,
    keep_key: &'static str,
    next_service: &'static str,
    next_serve: &'static str,
    next_open: &'static str,
}

const ID: Words = Words {
    welcome: "Menyiapkan telecenter baru di {dir}. Jawab pertanyaan berikut lalu tekan Enter.",
    name: "Nama telecenter (mis. Telecenter Kota Madiun): ",
    region: "Kabupaten/kota (mis. Kota Madiun): ",
    whatsapp: "Nomor WhatsApp telecenter (mis. 0812-3456-7890; kosongkan bila tidak ada): ",
    password: "Kata sandi operator ({min} sampai {max} huruf): ",
    password_again: "Ketik kata sandi itu sekali lagi: ",
    fee: "Biaya rujukan yang dibayar pusat ini, dalam persen (mis. 3 atau 2,5; kosongkan bila 0): ",
    empty: "Wajib diisi. Coba lagi.",
    too_long: "Terlalu panjang: paling banyak {max} huruf. Coba lagi.",
    control: "Ada tanda yang tidak bisa dipakai. Ketik ulang dengan huruf biasa.",
    phone: "Itu bukan nomor telepon. Tulis seperti 0812-3456-7890 atau +62 812 3456 7890.",
    not_indonesian: "Hanya nomor Indonesia (+62…) yang bisa dipakai.",
    password_length: "Kata sandi harus {min} sampai {max} huruf (ada {found}). Coba lagi.",
    password_differs: "Kedua kata sandi tidak sama. Ulangi dari awal.",
    fee_bad: "Tulis angka persen seperti 3 atau 2,5.",
    fee_high: "Terlalu tinggi: paling banyak {max} %.",
    input_ended: "masukan berakhir sebelum persiapan selesai; tidak ada yang disimpan",
    already: "{dir} sudah berisi sebuah telecenter; ubah datanya di halaman operator (/operator/profil)",
    in_use: "folder data {dir} sedang dipakai oleh node yang berjalan",
    card: "Kartu pusat (bagikan ke operator telecenter lain):",
    card_name: "Nama",
    card_region: "Wilayah",
    card_id: "ID",
    card_address: "Alamat",
    card_fee: "Biaya rujukan",
    keep_key: "Simpan salinan {dir}/identity.key di tempat aman: itu identitas telecenter ini.",
    next_service: "Langkah berikut: jalankan  sudo systemctl start telecenter",
    next_serve: "Langkah berikut: jalankan  telecenter --data {dir} serve",
    next_open: "lalu buka {url}/operator di peramban dan masuk dengan kata sandi tadi.",
};

const EN: Words = Words {
    welcome: "Setting up a new telecenter in {dir}. Answer each question and press Enter.",
    name: "Name of the telecenter (e.g. Telecenter Kota Madiun): ",
    region: "Kabupaten or kota (e.g. Kota Madiun): ",
    whatsapp: "The center's WhatsApp number (e.g. 0812-3456-7890; leave empty if none): ",
    password: "Operator password ({min} to {max} characters): ",
    password_again: "Type the password once more: ",
    fee: "Referral fee this center pays, in percent (e.g. 3 or 2.5; leave empty for 0): ",
    empty: "This is required. Try again.",
    too_long: "Too long: at most {max} characters. Try again.",
    control: "It holds a character that cannot be used. Type it again in plain letters.",
    phone: "That is not a phone number. Write it like 0812-3456-7890 or +62 812 3456 7890.",
    not_indonesian: "Only Indonesian numbers (+62…) can be used.",
    password_length: "The password must have {min} to {max} characters (found {found}). Try again.",
    password_differs: "The two passwords differ. Start again.",
    fee_bad: "Write a percentage such as 3 or 2.5.",
    fee_high: "Too high: at most {max} %.",
    input_ended: "the input ended before setup was finished; nothing was saved",
    already: "{dir} already holds a telecenter; change its details on the operator pages (/operator/profil)",
    in_use: "the data folder {dir} is in use by a running node",
    card: "Center card (share it with other telecenter operators):",
    card_name: "Name",
    card_region: "Region",
    card_id: "ID",
    card_address: "Address",
    card_fee: "Referral fee",
    keep_key: "Keep a copy of {dir}/identity.key somewhere safe: it is this center's identity.",
    next_service: "Next step: run  sudo systemctl start telecenter",
    next_serve: "Next step: run  telecenter --data {dir} serve",
    next_open: "then open {url}/operator in a browser and log in with that password.",
};

/// The data folder the package's service uses.
const PACKAGE_DATA_DIR: &str = "/var/lib/telecenter";

/// The answers, all checked.
struct Answers {
    name: String,
    region: String,
    whatsapp: Option<String>,
    password: String,
    referral_fee_bp: u32,
}

/// Reads answers line by line from `input`, writing prompts to `output`.
struct Asker<R, W> {
    input: R,
    output: W,
    words: &'static Words,
    /// Read the password from the terminal without echo.
    hidden: bool,
}

impl<R: BufRead, W: Write> Asker<R, W> {
    /// One answer line, without its line ending.
    fn line(&mut self, prompt: &str) -> Result<String> {
        write!(self.output, "{prompt}")?;
        self.output.flush()?;
        let mut bytes = Vec::new();
        let read = (&mut self.input)
            .take(ANSWER_BYTES_MAX)
            .read_until(b'\n', &mut bytes)
            .context("cannot read the answer")?;
        if read == 0 {
            bail!("{}", self.words.input_ended);
        }
        if !bytes.ends_with(b"\n") && read as u64 == ANSWER_BYTES_MAX {
            // Skip the rest of an over-long line; it is refused as too long.
            let _ = self.input.skip_until(b'\n');
        }
        let text = String::from_utf8_lossy(&bytes);
        Ok(text.trim_end_matches(['\r', '\n']).to_owned())
    }

    fn say(&mut self, line: &str) -> Result<()> {
        writeln!(self.output, "{line}")?;
        Ok(())
    }

    fn secret(&mut self, prompt: &str) -> Result<String> {
        if self.hidden {
            self.output.flush()?;
            rpassword::prompt_password(prompt).context("cannot read the password")
        } else {
            self.line(prompt)
        }
    }

    /// Asks until `check` accepts the answer.
    fn ask<T>(
        &mut self,
        prompt: &str,
        mut check: impl FnMut(&str) -> Result<T, String>,
    ) -> Result<T> {
        loop {
            let answer = self.line(prompt)?;
            match check(&answer) {
                Ok(value) => return Ok(value),
                Err(message) => self.say(&message)?,
            }
        }
    }

    fn all(&mut self) -> Result<Answers> {
        let w = self.words;
        let name = self.ask(w.name, |a| text_answer(w, "name", a))?;
        let region = self.ask(w.region, |a| text_answer(w, "region", a))?;
        let whatsapp = self.ask(w.whatsapp, |a| {
            if a.trim().is_empty() {
                return Ok(None);
            }
            normalize_phone("whatsapp", a)
                .map(Some)
                .map_err(|e| match e.code {
                    "not_indonesian" => w.not_indonesian.to_owned(),
                    _ => w.phone.to_owned(),
                })
        })?;
        let password = loop {
            let prompt = fill(w.password, &[]);
            let first = self.secret(&prompt)?;
            let chars = first.chars().count();
            if !(PASSWORD_CHARS_MIN..=PASSWORD_CHARS_MAX).contains(&chars) {
                let line = fill(w.password_length, &[("{found}", chars.to_string())]);
                self.say(&line)?;
                continue;
            }
            let again = self.secret(w.password_again)?;
            if again == first {
                break first;
            }
            self.say(w.password_differs)?;
        };
        let referral_fee_bp = self.ask(w.fee, |a| {
            if a.trim().is_empty() {
                return Ok(0);
            }
            parse_percent(a).map_err(|e| match e.code {
                "too_high" => fill(
                    w.fee_high,
                    &[(
                        "{max}",
                        percent_text(telecenter_protocol::limits::FEE_BP_MAX),
                    )],
                ),
                _ => w.fee_bad.to_owned(),
            })
        })?;
        Ok(Answers {
            name,
            region,
            whatsapp,
            password,
            referral_fee_bp,
        })
    }
}

/// `text` with `{min}`, `{max}` (password lengths) and the given pairs filled in.
fn fill(text: &str, pairs: &[(&str, String)]) -> String {
    let mut out = text
        .replace("{min}", &PASSWORD_CHARS_MIN.to_string())
        .replace("{max}", &PASSWORD_CHARS_MAX.to_string());
    for (key, value) in pairs {
        out = out.replace(key, value);
    }
    out
}

/// A name or region checked by the catalog's own rule.
fn text_answer(w: &Words, field: &str, answer: &str) -> Result<String, String> {
    let (input, max) = if field == "name" {
        (
            ProfileInput {
                name: Some(answer.to_owned()),
                ..ProfileInput::default()
            },
            CENTER_NAME_CHARS_MAX,
        )
    } else {
        (
            ProfileInput {
                region: Some(answer.to_owned()),
                ..ProfileInput::default()
            },
            REGION_CHARS_MAX,
        )
    };
    let message = |e: InvalidInput| match e.code {
        "empty" => w.empty.to_owned(),
        "too_long" => w.too_long.replace("{max}", &max.to_string()),
        _ => w.control.to_owned(),
    };
    if answer.trim().is_empty() {
        return Err(w.empty.to_owned());
    }
    let valid = input.validate().map_err(message)?;
    let value = if field == "name" {
        valid.name
    } else {
        valid.region
    };
    value.ok_or_else(|| w.empty.to_owned())
}

/// `telecenter setup`.
pub(crate) fn setup(data: &DataDir, json: bool) -> Result<()> {
    let words = if indonesian() { &ID } else { &EN };
    let dir = data.root().display().to_string();
    if data.is_initialised() {
        bail!("{}", words.already.replace("{dir}", &dir));
    }
    let stdin = std::io::stdin();
    let hidden = stdin.is_terminal();
    // Prompts go to standard error so that `--json` output stays one document.
    let mut asker = Asker {
        input: stdin.lock(),
        output: std::io::stderr(),
        words,
        hidden,
    };
    asker.say(&words.welcome.replace("{dir}", &dir))?;
    let answers = asker.all()?;
    drop(asker);

    let lock = data
        .try_lock()?
        .ok_or_else(|| anyhow::anyhow!("{}", words.in_use.replace("{dir}", &dir)))?;
    let created = ProfileInput {
        name: Some(answers.name),
        region: Some(answers.region),
        ..ProfileInput::default()
    };
    let node = data.init(
        &created,
        std::sync::Arc::new(telecenter_node::SystemClock),
        &lock,
    )?;
    // Creating a center takes its name and region; the rest is a profile edit.
    let profile = node.set_profile(&ProfileInput {
        whatsapp: answers.whatsapp,
        referral_fee_bp: Some(answers.referral_fee_bp),
        ..ProfileInput::default()
    })?;
    data.set_operator_password(&answers.password)?;
    let port = data.config()?.listen.port();
    let address = match profile.address.as_deref() {
        Some(address) if !address.is_empty() => address.to_owned(),
        _ => format!("http://{}:{port}", this_computer_ip()),
    };
    let local = format!("http://127.0.0.1:{port}");
    if json {
        println!(
            "{}",
            serde_json::json!({
                "center_id": profile.center.to_string(),
                "name": profile.name,
                "region": profile.region,
                "address": address,
                "data": dir,
            })
        );
        return Ok(());
    }
    println!();
    println!("{}", words.card);
    println!("  {}: {}", words.card_name, profile.name);
    println!("  {}: {}", words.card_region, profile.region);
    println!("  {}: {}", words.card_id, profile.center);
    println!("  {}: {address}", words.card_address);
    println!(
        "  {}: {} %",
        words.card_fee,
        percent_text(profile.fees.referral_bp)
    );
    println!();
    println!("{}", words.keep_key.replace("{dir}", &dir));
    if data.root() == std::path::Path::new(PACKAGE_DATA_DIR) {
        println!("{}", words.next_service);
    } else {
        println!("{}", words.next_serve.replace("{dir}", &dir));
    }
    println!("{}", words.next_open.replace("{url}", &local));
    Ok(())
}

/// This computer's address on its network, as other computers reach it: the
/// source address the system would use towards a public address (a UDP socket
/// that is connected but sends nothing). Loopback when there is no network.
fn this_computer_ip() -> std::net::IpAddr {
    let loopback = std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);
    std::net::UdpSocket::bind((std::net::Ipv4Addr::UNSPECIFIED, 0))
        .and_then(|socket| {
            // 192.0.2.1 (TEST-NET-1): nothing is sent, only a route is chosen.
            socket.connect((std::net::Ipv4Addr::new(192, 0, 2, 1), 9))?;
            socket.local_addr()
        })
        .map(|addr| addr.ip())
        .unwrap_or(loopback)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(input: &str) -> (Result<Answers>, String) {
        let mut output = Vec::new();
        let mut asker = Asker {
            input: input.as_bytes(),
            output: &mut output,
            words: &ID,
            hidden: false,
        };
        let result = asker.all();
        (result, String::from_utf8(output).expect("utf-8"))
    }

    #[test]
    fn every_bad_answer_is_asked_again_in_indonesian() {
        let (result, said) = answers(
            "\nTelecenter Kota Madiun\nKota Madiun\nnomor saya\n0812-3456-7890\n\
             pendek\nrahasia-panjang\nrahasia-lain\nrahasia-panjang\nrahasia-panjang\nlima\n2,5\n",
        );
        let a = result.expect("answers");
        assert_eq!(a.name, "Telecenter Kota Madiun");
        assert_eq!(a.whatsapp.as_deref(), Some("+6281234567890"));
        assert_eq!(a.password, "rahasia-panjang");
        assert_eq!(a.referral_fee_bp, 250);
        for line in [ID.empty, ID.phone, ID.password_differs, ID.fee_bad] {
            assert!(said.contains(line), "{line} in {said}");
        }
        assert!(said.contains("harus 8 sampai 200 huruf (ada 6)"), "{said}");
    }

    #[test]
    fn input_that_ends_early_saves_nothing_and_says_so() {
        let (result, _) = answers("Telecenter Kota Madiun\n");
        let error = result.err().expect("ends").to_string();
        assert!(error.contains("tidak ada yang disimpan"), "{error}");
    }

    #[test]
    fn an_over_long_line_is_refused_not_kept() {
        let long = "x".repeat(10_000);
        let (result, said) = answers(&format!(
            "{long}\nTelecenter Kota Madiun\nKota Madiun\n\nrahasia-panjang\nrahasia-panjang\n\n"
        ));
        let a = result.expect("answers");
        assert_eq!(a.name, "Telecenter Kota Madiun");
        assert_eq!(a.whatsapp, None);
        assert_eq!(a.referral_fee_bp, 0);
        assert!(said.contains("paling banyak 100 huruf"), "{said}");
    }
}
