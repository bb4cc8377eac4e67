//! Command-line arguments (clap) and what each command does.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use telecenter_node::api::AddPeer;
use telecenter_node::app;
use telecenter_node::data_dir::{DataDir, RuntimeInfo};
use telecenter_node::sample;
use telecenter_node::search::{RawSearch, parse_rupiah};
use telecenter_node::server::{self, AppState};
use telecenter_node::sync::SyncEngine;
use telecenter_node::{Clock, SystemClock};
use telecenter_protocol::validate::{ListingPatch, NewListing, ProfileInput};

use crate::backend::Backend;
use crate::output;

/// telecenter — a node of the province-wide telecenter market.
#[derive(Parser, Debug)]
#[command(
    name = "telecenter",
    version,
    about = "Run a telecenter node and manage its catalog of local products",
    after_help = "Examples:\n  telecenter init --name \"Telecenter Kota Malang\" --region \"Kota Malang\"\n  telecenter listing add --title \"Keripik Tempe Sanan\" --price 15.000 --stock 60 --category makanan\n  telecenter serve\n  telecenter search kripik --category makanan"
)]
pub(crate) struct Cli {
    /// Data folder of the node.
    #[arg(
        long,
        global = true,
        env = "TELECENTER_DATA",
        default_value = "./telecenter-data",
        value_name = "DIR"
    )]
    pub(crate) data: PathBuf,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub(crate) json: bool,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The commands.
#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Create this center: its identity, database and settings; prints the center id.
    #[command(
        after_help = "Example:\n  telecenter init --name \"Telecenter Kota Malang\" --region \"Kota Malang\" --contact \"WA 0812-3456-7890\""
    )]
    Init(InitArgs),
    /// Run the node: serve the catalog over HTTP until Ctrl-C.
    #[command(
        after_help = "Examples:\n  telecenter serve\n  telecenter serve --listen 0.0.0.0:8470    (reachable from the telecenter's network)\n  telecenter serve --sample                (try it: creates a sample center if the folder is empty)\n  telecenter serve --listen 0.0.0.0:8443 --tls-cert cert.pem --tls-key key.pem   (HTTPS)"
    )]
    Serve(ServeArgs),
    /// Add, change, remove and list this center's listings.
    #[command(subcommand)]
    Listing(ListingCommand),
    /// Search the catalog.
    #[command(
        after_help = "Examples:\n  telecenter search kripik\n  telecenter search \"kopi dampit\" --max-price 50.000\n  telecenter search --category kerajinan --sort price_asc"
    )]
    Search(SearchArgs),
    /// Show this center's id, name and region.
    #[command(after_help = "Example:\n  telecenter info --json")]
    Info,
    /// Change this center's name, region, contact, referral fee or node address.
    #[command(
        after_help = "Examples:\n  telecenter profile --contact \"WA 0812-3456-7890\"\n  telecenter profile --fee 3 --fee-min 1.000 --address http://203.0.113.5:8470"
    )]
    Profile(ProfileArgs),
    /// Add, list and remove the peer nodes this node syncs with.
    #[command(subcommand)]
    Peer(PeerCommand),
    /// Trust a center (accept its catalog and vouch for it); without an id, list trust.
    #[command(
        after_help = "Examples:\n  telecenter trust tc1qwss00lnecgtu8tsm5vwwj7qn9n7f43snwjs6hcamjrxgyj4xxuqcpmgz9\n  telecenter trust                 (lists trusted, blocked and accepted centers)"
    )]
    Trust(TrustArgs),
    /// Block a center: its catalog is hidden, forgotten and no longer relayed.
    #[command(
        after_help = "Example:\n  telecenter block tc1qwss00lnecgtu8tsm5vwwj7qn9n7f43snwjs6hcamjrxgyj4xxuqcpmgz9"
    )]
    Block(CenterArgs),
    /// Lift a block.
    #[command(
        after_help = "Example:\n  telecenter unblock tc1qwss00lnecgtu8tsm5vwwj7qn9n7f43snwjs6hcamjrxgyj4xxuqcpmgz9"
    )]
    Unblock(CenterArgs),
    /// Sync with every peer now; returns when done.
    #[command(after_help = "Example:\n  telecenter sync")]
    Sync,
    /// Set the password of the operator web pages (read from standard input).
    #[command(
        after_help = "Examples:\n  telecenter password                      (type the password, then Enter)\n  echo 'kata-sandi-rahasia' | telecenter password"
    )]
    Password,
    /// Orders with other centers: place, list, show, accept, reject, ship, complete, cancel.
    #[command(subcommand)]
    Order(crate::trade::OrderCommand),
    /// Fees between centers: monthly report, balances, statements, settlements, netting.
    #[command(subcommand)]
    Fees(crate::trade::FeesCommand),
    /// Start a demo province of five telecenters on this computer, until Ctrl-C.
    #[command(
        after_help = "Example:\n  telecenter demo\n  telecenter demo --port 9000     (nodes on ports 9000-9004)"
    )]
    Demo(DemoArgs),
}

/// `telecenter peer ...`.
#[derive(Subcommand, Debug)]
pub(crate) enum PeerCommand {
    /// Add a peer by its address (its identity is fetched and shown), or a peer
    /// behind NAT by its center id and name; the peer's center is trusted.
    #[command(
        after_help = "Examples:\n  telecenter peer add https://pusat.example.id\n  telecenter peer add http://192.0.2.10:8470\n  telecenter peer add --center tc1qwss00lnecgtu8tsm5vwwj7qn9n7f43snwjs6hcamjrxgyj4xxuqcpmgz9 --name \"Telecenter Ponorogo\""
    )]
    Add(PeerAddArgs),
    /// List peers with their last sync, lag and last error.
    #[command(after_help = "Example:\n  telecenter peer list")]
    List,
    /// Remove a peer (its center stays trusted; use 'block' to stop accepting it).
    #[command(
        after_help = "Example:\n  telecenter peer remove tc1qwss00lnecgtu8tsm5vwwj7qn9n7f43snwjs6hcamjrxgyj4xxuqcpmgz9"
    )]
    Remove(CenterArgs),
}

/// `telecenter peer add`.
#[derive(Args, Debug)]
pub(crate) struct PeerAddArgs {
    /// The peer's address, https://host[:port] or http://host[:port]
    /// (a private CA for https is set with ca_file in config.toml or TELECENTER_CA_FILE).
    pub(crate) url: Option<String>,
    /// For a peer without a reachable address: its center id.
    #[arg(long, value_name = "ID")]
    pub(crate) center: Option<String>,
    /// For a peer without a reachable address: its name.
    #[arg(long)]
    pub(crate) name: Option<String>,
}

/// A center id argument.
#[derive(Args, Debug)]
pub(crate) struct CenterArgs {
    /// The center id (tc1...).
    pub(crate) center: String,
}

/// `telecenter trust`.
#[derive(Args, Debug)]
pub(crate) struct TrustArgs {
    /// The center id (tc1...); omit to list.
    pub(crate) center: Option<String>,
}

/// `telecenter demo`.
#[derive(Args, Debug)]
pub(crate) struct DemoArgs {
    /// First port; the nodes use consecutive ports (default: any free ports).
    #[arg(long)]
    pub(crate) port: Option<u16>,
}

/// `telecenter init`.
#[derive(Args, Debug)]
pub(crate) struct InitArgs {
    /// The center's name, e.g. "Telecenter Kota Malang".
    #[arg(long)]
    pub(crate) name: String,
    /// Its kabupaten or kota, e.g. "Kota Malang".
    #[arg(long)]
    pub(crate) region: String,
    /// How buyers and other centers reach it (phone, WhatsApp, address).
    #[arg(long)]
    pub(crate) contact: Option<String>,
    /// Also add the built-in sample listings.
    #[arg(long)]
    pub(crate) sample: bool,
}

/// `telecenter serve`.
#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
    /// Address to listen on (default from config.toml, normally 127.0.0.1:8470).
    #[arg(long, value_name = "ADDR")]
    pub(crate) listen: Option<SocketAddr>,
    /// If the data folder is empty, create a sample center with sample listings first.
    #[arg(long)]
    pub(crate) sample: bool,
    /// Serve HTTPS with this PEM certificate chain (with --tls-key; default from config.toml).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub(crate) tls_cert: Option<std::path::PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub(crate) tls_key: Option<std::path::PathBuf>,
}

/// `telecenter listing ...`.
#[derive(Subcommand, Debug)]
pub(crate) enum ListingCommand {
    /// Add a listing; prints its id.
    #[command(
        after_help = "Example:\n  telecenter listing add --title \"Keripik Pisang Agung\" --price 15.000 --stock 40 \\\n      --category makanan --unit \"bungkus 250 g\" --producer \"UMKM Sumber Rejeki\"\n\nCategories: makanan, minuman, kerajinan, pertanian, jamu-kesehatan, fesyen, jasa, lainnya"
    )]
    Add(AddArgs),
    /// Change a listing; only the fields given change.
    #[command(
        after_help = "Examples:\n  telecenter listing update k3v9q2m7xa --price 17.500 --stock 30\n  telecenter listing update k3v9q2m7xa --lang en --title \"Banana chips\"\n  telecenter listing update k3v9q2m7xa --status hidden"
    )]
    Update(UpdateArgs),
    /// Remove a listing for good.
    #[command(after_help = "Example:\n  telecenter listing remove k3v9q2m7xa")]
    Remove(IdArgs),
    /// Show one listing.
    #[command(after_help = "Example:\n  telecenter listing show k3v9q2m7xa")]
    Show(IdArgs),
    /// List this center's listings (active and hidden).
    #[command(
        after_help = "Examples:\n  telecenter listing list\n  telecenter listing list --all --json"
    )]
    List(ListArgs),
}

/// `telecenter listing add`.
#[derive(Args, Debug)]
pub(crate) struct AddArgs {
    /// Title (in Indonesian).
    #[arg(long)]
    pub(crate) title: String,
    /// Price of one unit in whole rupiah: 15000, 15.000 or "Rp 15.000".
    #[arg(long, value_name = "RUPIAH", allow_negative_numbers = true)]
    pub(crate) price: String,
    /// Units in stock.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub(crate) stock: i64,
    /// Category: makanan, minuman, kerajinan, pertanian, jamu-kesehatan, fesyen, jasa or lainnya.
    #[arg(long)]
    pub(crate) category: String,
    /// Unit of sale, e.g. "bungkus 250 g" (default: buah).
    #[arg(long)]
    pub(crate) unit: Option<String>,
    /// The UMKM or group that makes it.
    #[arg(long)]
    pub(crate) producer: Option<String>,
    /// A photo of the product (JPEG, PNG or WebP, at most 8 MB).
    #[arg(long, value_name = "FILE")]
    pub(crate) photo: Option<PathBuf>,
    /// Description (in Indonesian).
    #[arg(long, default_value = "")]
    pub(crate) description: String,
    /// Language of title and description; a new listing needs Indonesian (id).
    #[arg(long, value_name = "L")]
    pub(crate) lang: Option<String>,
}

/// `telecenter listing update`.
#[derive(Args, Debug)]
pub(crate) struct UpdateArgs {
    /// The listing id.
    pub(crate) id: String,
    /// New price in whole rupiah.
    #[arg(long, value_name = "RUPIAH", allow_negative_numbers = true)]
    pub(crate) price: Option<String>,
    /// New stock.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub(crate) stock: Option<i64>,
    /// New title (in --lang).
    #[arg(long)]
    pub(crate) title: Option<String>,
    /// New description (in --lang).
    #[arg(long)]
    pub(crate) description: Option<String>,
    /// Language of --title and --description: id (default), en or jv.
    #[arg(long, value_name = "L")]
    pub(crate) lang: Option<String>,
    /// New category.
    #[arg(long)]
    pub(crate) category: Option<String>,
    /// New unit.
    #[arg(long)]
    pub(crate) unit: Option<String>,
    /// New producer.
    #[arg(long)]
    pub(crate) producer: Option<String>,
    /// A new photo (replaces the old ones).
    #[arg(long, value_name = "FILE", conflicts_with = "remove_photo")]
    pub(crate) photo: Option<PathBuf>,
    /// Remove the listing's photos.
    #[arg(long)]
    pub(crate) remove_photo: bool,
    /// New status: active, hidden or removed.
    #[arg(long)]
    pub(crate) status: Option<String>,
}

/// A listing id argument.
#[derive(Args, Debug)]
pub(crate) struct IdArgs {
    /// The listing id.
    pub(crate) id: String,
}

/// `telecenter listing list`.
#[derive(Args, Debug)]
pub(crate) struct ListArgs {
    /// Include removed listings.
    #[arg(long)]
    pub(crate) all: bool,
    /// Most listings to show.
    #[arg(long, default_value = "100")]
    pub(crate) limit: String,
    /// Listings to skip.
    #[arg(long, default_value = "0")]
    pub(crate) offset: String,
}

/// `telecenter search`.
#[derive(Args, Debug)]
pub(crate) struct SearchArgs {
    /// Words to look for (prefixes work: "kerip" finds "keripik").
    pub(crate) query: Option<String>,
    /// Only this category.
    #[arg(long)]
    pub(crate) category: Option<String>,
    /// Only this center's listings (center id).
    #[arg(long)]
    pub(crate) center: Option<String>,
    /// Lowest price in rupiah.
    #[arg(long, value_name = "RUPIAH", allow_negative_numbers = true)]
    pub(crate) min_price: Option<String>,
    /// Highest price in rupiah.
    #[arg(long, value_name = "RUPIAH", allow_negative_numbers = true)]
    pub(crate) max_price: Option<String>,
    /// Order: relevance, newest, price_asc or price_desc.
    #[arg(long)]
    pub(crate) sort: Option<String>,
    /// Language of titles: id, en or jv.
    #[arg(long, value_name = "L")]
    pub(crate) lang: Option<String>,
    /// Most results to show (1-100).
    #[arg(long, value_name = "N")]
    pub(crate) limit: Option<String>,
    /// Results to skip.
    #[arg(long, value_name = "N")]
    pub(crate) offset: Option<String>,
}

/// `telecenter profile`.
#[derive(Args, Debug)]
pub(crate) struct ProfileArgs {
    /// New name.
    #[arg(long)]
    pub(crate) name: Option<String>,
    /// New region.
    #[arg(long)]
    pub(crate) region: Option<String>,
    /// New contact.
    #[arg(long)]
    pub(crate) contact: Option<String>,
    /// Referral fee this center pays the center that brings a sale, in percent (e.g. 3 or 2,5).
    #[arg(long, value_name = "PERCENT")]
    pub(crate) fee: Option<String>,
    /// Smallest referral fee per order, in rupiah (e.g. 1.000).
    #[arg(long, value_name = "RUPIAH")]
    pub(crate) fee_min: Option<String>,
    /// Where other nodes reach this node for orders, e.g. http://203.0.113.5:8470 ("" clears it).
    #[arg(long, value_name = "URL")]
    pub(crate) address: Option<String>,
}

/// Reads a photo file, refusing one over the upload limit before reading it.
fn read_photo(path: &std::path::Path) -> Result<Vec<u8>> {
    let max = telecenter_protocol::limits::PHOTO_UPLOAD_BYTES_MAX;
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot read the photo {}", path.display()))?
        .len();
    if size > max as u64 {
        bail!(
            "the photo {} is too large: at most {max} bytes, found {size}",
            path.display()
        );
    }
    std::fs::read(path).with_context(|| format!("cannot read the photo {}", path.display()))
}

fn clock() -> Arc<dyn Clock> {
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
        Command::Init(args) => {
            let lock = data.try_lock()?.ok_or_else(|| {
                anyhow::anyhow!(
                    "the data folder {} is in use by a running node",
                    data.root().display()
                )
            })?;
            let profile = ProfileInput {
                name: Some(args.name),
                region: Some(args.region),
                contact: args.contact,
                ..Default::default()
            };
            let node = data.init(&profile, clock(), &lock)?;
            if args.sample {
                sample::add_sample_listings(&node)?;
            }
            output::created(&node.profile()?, data.root(), json)
        }
        Command::Serve(args) => serve(data, args, json).await,
        Command::Demo(args) => crate::demo::run(args.port, json).await,
        Command::Peer(peer) => {
            let backend = Backend::connect(data, clock()).await?;
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
            let backend = Backend::connect(data, clock()).await?;
            let view = match t.center {
                Some(center) => backend.decide("trust", &center).await?,
                None => backend.trust_view().await?,
            };
            output::trust(&view, json)
        }
        Command::Block(b) => {
            let backend = Backend::connect(data, clock()).await?;
            output::trust(&backend.decide("block", &b.center).await?, json)
        }
        Command::Unblock(b) => {
            let backend = Backend::connect(data, clock()).await?;
            output::trust(&backend.decide("unblock", &b.center).await?, json)
        }
        Command::Password => {
            if !data.is_initialised() {
                return Err(telecenter_node::data_dir::DataDirError::NotInitialised(
                    data.root().to_owned(),
                )
                .into());
            }
            if !json {
                eprintln!(
                    "New operator password ({} to {} characters), then Enter:",
                    telecenter_node::web::operator::PASSWORD_CHARS_MIN,
                    telecenter_node::web::operator::PASSWORD_CHARS_MAX
                );
            }
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("cannot read the password")?;
            let password = line.trim_end_matches(['\r', '\n']);
            data.set_operator_password(password)?;
            if json {
                println!("{}", serde_json::json!({"password_set": true}));
            } else {
                println!("operator password set; log in at /operator/masuk");
            }
            Ok(())
        }
        Command::Sync => {
            let backend = Backend::connect(data, clock()).await?;
            let reports = backend.sync().await?;
            output::sync(&reports, json)?;
            let failed = reports.iter().filter(|r| !r.ok).count();
            if failed > 0 {
                bail!("{failed} of {} peers could not be synced", reports.len());
            }
            Ok(())
        }
        Command::Listing(listing) => {
            let backend = Backend::connect(data, clock()).await?;
            match listing {
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
                        (Some(path), _) => {
                            Some(vec![backend.upload_photo(read_photo(path)?).await?])
                        }
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
                        status: u.status,
                        photos,
                    };
                    let view = backend.update(&u.id, patch).await?;
                    output::listing(&view, json)
                }
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
            }
        }
        Command::Search(s) => {
            let backend = Backend::connect(data, clock()).await?;
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
        Command::Info => {
            let backend = Backend::connect(data, clock()).await?;
            output::info(&backend.info().await?, json)
        }
        Command::Order(command) => {
            let backend = Backend::connect(data, clock()).await?;
            crate::trade::order(backend, command, json).await
        }
        Command::Fees(command) => {
            let backend = Backend::connect(data, clock()).await?;
            crate::trade::fees(backend, command, json).await
        }
        Command::Profile(p) => {
            let backend = Backend::connect(data, clock()).await?;
            let input = ProfileInput {
                name: p.name,
                region: p.region,
                contact: p.contact,
                referral_fee_bp: p
                    .fee
                    .as_deref()
                    .map(telecenter_protocol::order::parse_percent)
                    .transpose()?,
                referral_fee_min_idr: p
                    .fee_min
                    .as_deref()
                    .map(|m| parse_rupiah("fee-min", m))
                    .transpose()?,
                address: p.address,
            };
            output::info(&backend.set_profile(input).await?, json)
        }
    }
}

async fn serve(data: &DataDir, args: ServeArgs, json: bool) -> Result<()> {
    // A CLI command may hold the lock for a moment; wait a little before giving up.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let lock = loop {
        if let Some(lock) = data.try_lock()? {
            break lock;
        }
        if tokio::time::Instant::now() >= deadline {
            bail!(
                "the data folder {} is in use: is another 'telecenter serve' running?",
                data.root().display()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let node = if !data.is_initialised() && args.sample {
        let node = data.init(&sample::sample_profile()?, clock(), &lock)?;
        let added = sample::add_sample_listings(&node)?;
        tracing::info!(added, "created a sample center");
        node
    } else {
        data.open(clock(), &lock)?
    };
    let config = data.config()?;
    let listen = args.listen.unwrap_or(config.listen);
    let tls = match (
        args.tls_cert.or(config.tls_cert.clone()),
        args.tls_key.or(config.tls_key.clone()),
    ) {
        (Some(cert), Some(key)) => Some(server::load_tls(&cert, &key)?),
        (None, None) => None,
        _ => bail!("HTTPS needs both a certificate and its key (--tls-cert and --tls-key)"),
    };
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let url = format!("{scheme}://{addr}");
    // The CLI reaches the admin API on this computer over plain HTTP: the main
    // listener when it is plain, else a second listener on loopback only.
    let admin_listener = if tls.is_some() {
        Some(
            tokio::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0))
                .await
                .context("cannot open the local admin listener")?,
        )
    } else {
        None
    };
    let admin_addr = match &admin_listener {
        Some(l) => l.local_addr()?,
        None if addr.ip().is_unspecified() => {
            SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), addr.port())
        }
        None => addr,
    };
    data.write_runtime(&RuntimeInfo {
        url: format!("http://{admin_addr}"),
        pid: std::process::id(),
    })?;
    let profile = node.profile()?;
    output::serving(&profile, &url, json)?;
    let secure_cookies = tls.is_some()
        || config
            .public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"));
    let node = Arc::new(node);
    let engine = SyncEngine::new(node.clone())?;
    let background = engine.clone().spawn(config.sync_interval_ms);
    let token = data.admin_token()?;
    let mut state = AppState::new(node, Some(&token));
    state.sync = Some(engine);
    state.operator = Arc::new(
        telecenter_node::web::operator::OperatorState::new(data.password_path())
            .with_secure_cookies(secure_cookies),
    );
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let admin_server = admin_listener
        .map(|l| tokio::spawn(app::serve(state.clone(), l, stopped(stop_rx.clone()))));
    let options = server::ServeOptions {
        tls,
        ..server::ServeOptions::default()
    };
    let main_server = app::serve_with(state, listener, options, stopped(stop_rx));
    let signal = async move {
        server::shutdown_signal().await;
        let _ = stop_tx.send(true);
    };
    let (result, ()) = tokio::join!(main_server, signal);
    if let Some(admin_server) = admin_server {
        let _ = admin_server.await;
    }
    background.abort();
    data.clear_runtime();
    drop(lock);
    result.context("the HTTP server stopped")
}
