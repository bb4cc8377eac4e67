//! Command-line arguments: the commands and their options (clap); what each
//! command does is in `commands`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

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
    /// First run, step by step: asks the center's name, region, WhatsApp, operator
    /// password and referral fee, creates the center and prints its card.
    #[command(
        after_help = "Example (the package's data folder):\n  sudo -u telecenter telecenter setup --data /var/lib/telecenter"
    )]
    Setup,
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
    /// Change this center's name, region, contact, WhatsApp number, referral fee or node address.
    #[command(
        after_help = "Examples:\n  telecenter profile --contact \"WA 0812-3456-7890\"\n  telecenter profile --whatsapp 0812-3456-7890\n  telecenter profile --fee 3 --fee-min 1.000 --address http://203.0.113.5:8470"
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
    /// Check the data folder and the database; for each problem, what to do.
    #[command(
        after_help = "Exit status: 0 when every check is OK, 1 when one found a problem.\n\nExamples:\n  telecenter doctor\n  telecenter doctor --json"
    )]
    Doctor,
    /// Make a one-file backup (also while the node serves), the identity key locked with a passphrase.
    #[command(
        after_help = "The passphrase is asked twice, or read from TELECENTER_BACKUP_PASSPHRASE.\n\nExamples:\n  telecenter backup /media/usb/cadangan-2026-12-02.tcbackup\n  TELECENTER_BACKUP_PASSPHRASE=... telecenter backup cadangan.tcbackup"
    )]
    Backup(FileArgs),
    /// Restore a backup into an empty or new data folder (--data).
    #[command(
        after_help = "Example:\n  telecenter --data /var/lib/telecenter-baru restore /media/usb/cadangan-2026-12-02.tcbackup"
    )]
    Restore(FileArgs),
    /// Set the password of the operator web pages (read from standard input).
    #[command(
        after_help = "Examples:\n  telecenter password                      (type the password, then Enter)\n  echo 'kata-sandi-rahasia' | telecenter password"
    )]
    Password,
    /// Orders with other centers: place, list, show, accept, reject, ship, complete, cancel.
    #[command(subcommand)]
    Order(crate::trade::OrderCommand),
    /// Buyer requests from the product pages: list, show, accept (order or local sale), decline.
    #[command(subcommand)]
    Request(crate::trade::RequestCommand),
    /// Fees between centers: monthly report, balances, statements, settlements, netting.
    #[command(subcommand)]
    Fees(crate::trade::FeesCommand),
    /// Producers this center sells for: add, list, show, edit, link, unlink, payout, statement.
    #[command(subcommand)]
    Producer(crate::producers::ProducerCommand),
    /// The month's sales per producer, with "tanpa produsen" and a total.
    #[command(
        after_help = "Examples:\n  telecenter sales --month 2026-11\n  telecenter sales --month 2026-11 --csv > penjualan-2026-11.csv"
    )]
    Sales(crate::producers::SalesArgs),
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

/// `telecenter backup` and `telecenter restore`.
#[derive(Args, Debug)]
pub(crate) struct FileArgs {
    /// The backup file.
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
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
    /// Import listings from a spreadsheet (.csv or .xlsx); without --yes only
    /// shows what would change and the bad rows, and writes nothing.
    #[command(
        after_help = "Columns (row 1): kode, judul, harga, satuan, stok, kategori, produsen, deskripsi, status.\nkode, judul and harga are required; a known kode updates its listing.\nExit status: 0 when no row is bad, 1 otherwise (with --yes the good rows are still written).\n\nExamples:\n  telecenter listing import produk.xlsx\n  telecenter listing import produk.csv --yes"
    )]
    Import(ImportArgs),
    /// Export this center's listings as a spreadsheet that imports back unchanged.
    #[command(
        after_help = "Examples:\n  telecenter listing export > produk.csv\n  telecenter listing export --format xlsx --output produk.xlsx"
    )]
    Export(ExportArgs),
}

/// `telecenter listing import`.
#[derive(Args, Debug)]
pub(crate) struct ImportArgs {
    /// The spreadsheet: .csv or .xlsx.
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
    /// Write the good rows (without it nothing is written).
    #[arg(long)]
    pub(crate) yes: bool,
}

/// `telecenter listing export`.
#[derive(Args, Debug)]
pub(crate) struct ExportArgs {
    /// csv or xlsx.
    #[arg(long, default_value = "csv")]
    pub(crate) format: String,
    /// Write here instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
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
    /// Units in stock: 1000, 1.000 or "1 000".
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = crate::numbers::stock_number)]
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
    /// New stock: 1000, 1.000 or "1 000".
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = crate::numbers::stock_number)]
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
    /// The center's WhatsApp number, e.g. 0812-3456-7890 (stored as +62…; "" clears it).
    #[arg(long, value_name = "NUMBER")]
    pub(crate) whatsapp: Option<String>,
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::Cli;

    #[test]
    fn stock_and_quantity_follow_the_whole_number_rule() {
        let parse = |args: &[&str]| {
            Cli::try_parse_from(args)
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        let add = [
            "telecenter",
            "listing",
            "add",
            "--title",
            "Kopi",
            "--price",
            "15.000",
        ];
        let with = |stock: &str| {
            let mut args = add.to_vec();
            args.extend(["--category", "makanan", "--stock", stock]);
            parse(&args)
        };
        assert_eq!(with("1.000"), Ok(()));
        assert_eq!(with("1 000"), Ok(()));
        let error = with("1234567890123").unwrap_err();
        assert!(error.contains("at most 1000000"), "{error}");
        assert!(with("1,5").is_err());
        let place = |qty: &str| {
            parse(&[
                "telecenter",
                "order",
                "place",
                "tc1x/abc",
                "--qty",
                qty,
                "--buyer-name",
                "Bu Sri",
                "--buyer-phone",
                "0812 3456 7890",
                "--pay-at",
                "here",
                "--method",
                "cash",
            ])
        };
        let error = place("10.001").unwrap_err();
        assert!(error.contains("at most 10000"), "{error}");
    }
}
