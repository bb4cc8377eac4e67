//! What each command does: logging, the one connection to the node that most
//! commands share, and the commands that work on the data folder itself
//! (`init`, `password`); `serve`, `demo`, `order` and `fees` have their own
//! files, and so do `doctor`, `backup` and `restore` (`recovery`).

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use telecenter_node::api::AddPeer;
use telecenter_node::data_dir::DataDir;
use telecenter_node::money::{parse_rupiah, parse_rupiah_max};
use telecenter_node::sample;
use telecenter_node::search::RawSearch;
use telecenter_node::{Clock, SystemClock};
use telecenter_protocol::catalog::input::{ListingPatch, NewListing, ProfileInput};

use crate::backend::Backend;
use crate::cli::{Cli, Command, InitArgs, ListingCommand, PeerCommand};
use crate::output;
use crate::words::{fill, words};

/// Reads a photo file, refusing one over the upload limit before reading it.
fn read_photo(path: &std::path::Path) -> Result<Vec<u8>> {
    let max = telecenter_protocol::limits::PHOTO_UPLOAD_BYTES_MAX;
    let w = words();
    let unreadable = || fill(w.photo_unreadable, &[&path.display()]);
    let size = std::fs::metadata(path).with_context(unreadable)?.len();
    if size > max as u64 {
        bail!(fill(w.photo_too_large, &[&path.display(), &max, &size]));
    }
    std::fs::read(path).with_context(unreadable)
}

pub(crate) fn clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

fn init_logging(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("TELECENTER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Runs one parsed command.
pub(crate) async fn run(cli: Cli) -> Result<()> {
    let data = DataDir::new(&cli.data);
    // A serving node logs what it does; other commands only warn.
    init_logging(match &cli.command {
        Command::Serve(_) => "info,tower_http=warn",
        _ => "warn",
    });
    run_command(&data, cli.command, cli.json).await
}

async fn run_command(data: &DataDir, command: Command, json: bool) -> Result<()> {
    match command {
        Command::Init(args) => init(data, args, json),
        Command::Serve(args) => crate::serve::serve(data, args, json).await,
        Command::Demo(args) => crate::demo::run(args.port, json).await,
        Command::Password => password(data, json),
        Command::Setup => crate::setup::setup(data, json),
        Command::Doctor => crate::recovery::doctor(data, json),
        Command::Backup(args) => crate::recovery::backup(data, &args.file, json),
        Command::Restore(args) => crate::recovery::restore(data, &args.file, json),
        command => {
            let backend = Backend::connect(data, clock()).await?;
            run_on_node(backend, command, json).await
        }
    }
}

/// `telecenter init`.
fn init(data: &DataDir, args: InitArgs, json: bool) -> Result<()> {
    let lock = data
        .try_lock()?
        .ok_or_else(|| anyhow::anyhow!(fill(words().folder_in_use, &[&data.root().display()])))?;
    let profile = ProfileInput {
        name: Some(args.name),
        region: Some(args.region),
        contact: args.contact,
        ..Default::default()
    };
    let node = data.init(&profile, clock(), &lock)?;
    if args.sample {
        sample::add_sample_listings_with_pictures(&node, 0)?;
    }
    output::created(&node.profile()?, data.root(), json)
}

/// `telecenter password`: reads the new operator password from standard input.
fn password(data: &DataDir, json: bool) -> Result<()> {
    if !data.is_initialised() {
        return Err(telecenter_node::data_dir::DataDirError::NotInitialised(
            data.root().to_owned(),
        )
        .into());
    }
    use std::io::IsTerminal;
    use telecenter_node::password::{PASSWORD_CHARS_MAX, PASSWORD_CHARS_MIN};
    let w = words();
    if !json {
        eprintln!(
            "{}",
            fill(
                w.password_prompt,
                &[&PASSWORD_CHARS_MIN, &PASSWORD_CHARS_MAX]
            )
        );
    }
    // From a terminal the password is not shown as it is typed; piped in, it is
    // one line of standard input.
    let line = if std::io::stdin().is_terminal() {
        rpassword::read_password()
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map(|_| line)
    }
    .map_err(|e| anyhow::anyhow!(fill(w.password_unreadable, &[&e])))?;
    let password = line.trim_end_matches(['\r', '\n']);
    // The rule first, in the operator's words (and never the password itself).
    let chars = password.chars().count();
    if chars < PASSWORD_CHARS_MIN {
        bail!(fill(w.password_too_short, &[&PASSWORD_CHARS_MIN, &chars]));
    }
    if chars > PASSWORD_CHARS_MAX {
        bail!(fill(w.password_too_long, &[&PASSWORD_CHARS_MAX, &chars]));
    }
    data.set_operator_password(password)?;
    if json {
        println!("{}", serde_json::json!({"password_set": true}));
    } else {
        println!("{}", w.password_set);
    }
    Ok(())
}

/// Every command that works on the node: on its database when no node is
/// serving the data folder, else through the serving node's admin API.
async fn run_on_node(backend: Backend, command: Command, json: bool) -> Result<()> {
    match command {
        Command::Init(_)
        | Command::Serve(_)
        | Command::Demo(_)
        | Command::Password
        | Command::Setup
        | Command::Doctor
        | Command::Backup(_)
        | Command::Restore(_) => {
            bail!("this command does not work through a node connection")
        }
        Command::Peer(peer) => {
            match peer {
                PeerCommand::Add(a) => {
                    // Plain http to another machine works, but says what it risks.
                    let warning = a
                        .url
                        .as_deref()
                        .and_then(|u| telecenter_protocol::address::NodeAddress::parse(u).ok())
                        .and_then(|u| telecenter_node::net::plain_http_warning(&u));
                    if let Some(warning) = warning {
                        eprintln!("{warning}");
                    }
                    let request = AddPeer {
                        url: a.url,
                        center_id: a.center,
                        name: a.name,
                    };
                    output::peer_added(&backend.add_peer(request).await?, json)
                }
                PeerCommand::List => output::peers(&backend.peers().await?, json),
                PeerCommand::Remove(r) => {
                    output::peers(&backend.remove_peer(&r.center).await?, json)
                }
            }
        }
        Command::Trust(t) => {
            let view = match t.center {
                Some(center) => backend.decide("trust", &center).await?,
                None => backend.trust_view().await?,
            };
            output::trust(&view, json)
        }
        Command::Block(b) => output::trust(&backend.decide("block", &b.center).await?, json),
        Command::Unblock(b) => output::trust(&backend.decide("unblock", &b.center).await?, json),
        Command::Sync => {
            let reports = backend.sync().await?;
            output::sync(&reports, json)?;
            let failed = reports.iter().filter(|r| !r.ok).count();
            if failed > 0 {
                bail!(fill(words().sync_some_failed, &[&failed, &reports.len()]));
            }
            Ok(())
        }
        Command::Listing(listing) => match listing {
            ListingCommand::Add(a) => {
                let price_idr = parse_rupiah("price", &a.price)?;
                let photos = match &a.photo {
                    Some(path) => vec![backend.upload_photo(read_photo(path)?).await?],
                    None => Vec::new(),
                };
                let input = NewListing {
                    title: a.title,
                    description: a.description,
                    lang: a.lang,
                    category: a.category,
                    price_idr,
                    stock: a.stock,
                    unit: a.unit,
                    producer: a.producer,
                    producer_village: None,
                    photos,
                };
                let view = backend.add(input).await?;
                output::listing_id(&view, json)
            }
            ListingCommand::Update(u) => {
                let price_idr = u
                    .price
                    .as_deref()
                    .map(|p| parse_rupiah("price", p))
                    .transpose()?;
                let photos = match (&u.photo, u.remove_photo) {
                    (Some(path), _) => Some(vec![backend.upload_photo(read_photo(path)?).await?]),
                    (None, true) => Some(Vec::new()),
                    (None, false) => None,
                };
                let patch = ListingPatch {
                    lang: u.lang,
                    title: u.title,
                    description: u.description,
                    category: u.category,
                    price_idr,
                    stock: u.stock,
                    unit: u.unit,
                    producer: u.producer,
                    producer_village: None,
                    status: u.status,
                    photos,
                };
                let view = backend.update(&u.id, patch).await?;
                output::listing(&view, json)
            }
            ListingCommand::Import(i) => import_sheet(&backend, &i),
            ListingCommand::Export(e) => export_sheet(&backend, &e),
            ListingCommand::Remove(r) => {
                let view = backend.remove(&r.id).await?;
                output::removed(&view, json)
            }
            ListingCommand::Show(s) => {
                let view = backend.show(&s.id).await?;
                output::listing(&view, json)
            }
            ListingCommand::List(l) => {
                let raw = RawSearch {
                    status: Some(
                        if l.all {
                            "active,hidden,removed"
                        } else {
                            "active,hidden"
                        }
                        .to_owned(),
                    ),
                    sort: Some("newest".to_owned()),
                    limit: Some(l.limit),
                    offset: Some(l.offset),
                    ..RawSearch::default()
                };
                let page = backend.own_listings(raw).await?;
                output::listings(&page, json, true)
            }
        },
        Command::Search(s) => {
            let raw = RawSearch {
                q: s.query,
                category: s.category,
                center: s.center,
                min_price: s.min_price,
                max_price: s.max_price,
                sort: s.sort,
                lang: s.lang,
                limit: s.limit,
                offset: s.offset,
                status: None,
            };
            let page = backend.search(raw).await?;
            output::listings(&page, json, false)
        }
        Command::Info => output::info(&backend.info().await?, json),
        Command::Order(command) => crate::trade::order(backend, command, json).await,
        Command::Request(command) => crate::trade::request(backend, command, json).await,
        Command::Fees(command) => crate::trade::fees(backend, command, json).await,
        Command::Producer(command) => crate::producers::producer(backend, command, json).await,
        Command::Sales(args) => crate::producers::sales(backend, args, json).await,
        Command::Profile(p) => {
            let input = ProfileInput {
                name: p.name,
                region: p.region,
                contact: p.contact,
                referral_fee_bp: p
                    .fee
                    .as_deref()
                    .map(telecenter_protocol::fee::parse_percent)
                    .transpose()?,
                referral_fee_min_idr: p
                    .fee_min
                    .as_deref()
                    .map(|m| {
                        parse_rupiah_max("fee-min", m, telecenter_protocol::limits::FEE_MIN_IDR_MAX)
                    })
                    .transpose()?,
                address: p.address,
                whatsapp: p.whatsapp,
            };
            output::info(&backend.set_profile(input).await?, json)
        }
    }
}

/// `telecenter listing import`: the preview, and with `--yes` the apply.
fn import_sheet(backend: &Backend, args: &crate::cli::ImportArgs) -> anyhow::Result<()> {
    use telecenter_node::sheet::{Format, SHEET_READ_BYTES_MAX};
    let node = backend.local_node().ok_or_else(|| {
        anyhow::anyhow!("listing import works on this computer's data directory, not through --url")
    })?;
    let name = args.file.to_string_lossy();
    let format = Format::from_name(&name)?;
    let bytes = read_bounded(&args.file, SHEET_READ_BYTES_MAX)?;
    let plan = node.import_plan(format, &bytes)?;
    for error in &plan.errors {
        println!("{error}");
    }
    let w = words();
    println!(
        "{}",
        fill(
            w.import_summary,
            &[
                &plan.create.len(),
                &plan.update.len(),
                &plan.unchanged,
                &plan.errors.len()
            ]
        )
    );
    if args.yes {
        let outcome = node.import_listings(&plan)?;
        println!(
            "{}",
            fill(w.imported, &[&outcome.created, &outcome.updated])
        );
    } else {
        println!("{}", w.import_dry);
    }
    if !plan.errors.is_empty() {
        anyhow::bail!(fill(w.bad_rows, &[&plan.errors.len()]));
    }
    Ok(())
}

/// Reads at most `max` bytes of a file (one more tells it is too large).
fn read_bounded(path: &std::path::Path, max: usize) -> anyhow::Result<Vec<u8>> {
    use std::io::Read;
    let unreadable = || fill(words().file_unreadable, &[&path.display()]);
    let file = std::fs::File::open(path).with_context(unreadable)?;
    let mut bytes = Vec::new();
    file.take(u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1))
        .read_to_end(&mut bytes)
        .with_context(unreadable)?;
    if bytes.len() > max {
        // Only max + 1 bytes were read: say the limit, not a size we do not know.
        anyhow::bail!(
            "cannot import {}: the file is larger than {max} bytes ({} MiB)",
            path.display(),
            max / (1024 * 1024)
        );
    }
    Ok(bytes)
}

/// `telecenter listing export`.
fn export_sheet(backend: &Backend, args: &crate::cli::ExportArgs) -> anyhow::Result<()> {
    use std::io::Write;
    use telecenter_node::sheet::{Format, export_csv, export_xlsx};
    let node = backend.local_node().ok_or_else(|| {
        anyhow::anyhow!("listing export works on this computer's data directory, not through --url")
    })?;
    let format = Format::from_word(&args.format)?;
    let rows = node.export_listings()?;
    let view: Vec<(&str, &telecenter_protocol::catalog::Listing)> =
        rows.iter().map(|(k, l)| (k.as_str(), l)).collect();
    let bytes = match format {
        Format::Csv => export_csv(&view),
        Format::Xlsx => export_xlsx(&view),
    }
    .map_err(|e| anyhow::anyhow!("export failed: {e}"))?;
    match &args.output {
        Some(path) => std::fs::write(path, &bytes)
            .with_context(|| fill(words().file_unwritable, &[&path.display()]))?,
        None => std::io::stdout().write_all(&bytes)?,
    }
    Ok(())
}
