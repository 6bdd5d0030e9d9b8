//! The hall's configuration: one TOML file with the hall, its services (lines),
//! counters, priority groups, device tokens, dossiers, ratings, the province's system
//! and the message gateway. The layout sections are read by the core
//! (`motcua_core::layout`); the rest here, one check per section. Without a file the
//! service runs the built-in sample hall (the documented sample config, open at all
//! hours).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

pub use crate::notify::Notify;
use motcua_core::catalogue::{self, CatalogueError, Procedure};
use motcua_core::domain::CounterId;
use motcua_core::layout::{
    FileCounter, FileHall, FilePriorityGroup, FileService, Layout, SAMPLE_CONFIG,
};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {error}")]
    Read {
        path: String,
        // Said in the message, not chained as a source, so it is not said twice.
        error: std::io::Error,
    },
    #[error("config file {path} is not valid TOML for motcua: {message}")]
    Parse { path: String, message: String },
    #[error("config file {path}: {message}")]
    Invalid { path: String, message: String },
}

/// Everything the hall service needs to know about its hall.
#[derive(Clone, Debug)]
pub struct Config {
    /// What the queue engine knows: the hall, its lines, counters, priority groups.
    pub layout: Arc<Layout>,
    pub tokens: Vec<Token>,
    /// Procedures citizens can browse at the kiosk (empty: the kiosk offers none).
    pub procedures: Vec<Procedure>,
    /// How the hall handles dossiers and their results.
    pub dossiers: Dossiers,
    /// What a citizen who was not satisfied may say why.
    pub ratings: Ratings,
    /// The province's one-stop system, when the hall pulls dossier status from it.
    pub upstream: Option<Upstream>,
    /// The SMS/Zalo gateway that tells citizens their result is ready.
    pub notify: Option<Notify>,
}

/// `[ratings]`: the reasons offered to a citizen who taps "Không hài lòng".
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ratings {
    /// Short words, one tap each (at most 6; none = no question).
    #[serde(default = "default_reasons")]
    pub reasons: Vec<String>,
}

impl Default for Ratings {
    fn default() -> Self {
        Ratings {
            reasons: default_reasons(),
        }
    }
}

fn default_reasons() -> Vec<String> {
    [
        "Chờ lâu",
        "Thái độ cán bộ",
        "Hướng dẫn chưa rõ",
        "Giấy tờ, thủ tục phức tạp",
    ]
    .map(String::from)
    .to_vec()
}

/// Longest rating reason, in characters (it is a button's label).
pub const MAX_REASON_CHARS: usize = 40;

/// `[dossiers]`: results and personal data.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dossiers {
    /// The line that gives result-return tickets ("Trả kết quả").
    #[serde(default)]
    pub return_service: Option<String>,
    /// Erase a dossier's citizen name and phone this many days after it is returned
    /// or cancelled (Law 91/2025 and Decree 356/2025 on personal data, which replaced
    /// Decree 13/2023: keep personal data no longer than its purpose).
    #[serde(default = "default_personal_data_days")]
    pub personal_data_days: u32,
    /// The display repeats "results are ready" this often while any wait for pickup.
    #[serde(default = "default_announce_minutes")]
    pub announce_every_minutes: u32,
    /// …and says it for one dossier at most this many times.
    #[serde(default = "default_announce_times")]
    pub announce_times: u32,
}

impl Default for Dossiers {
    fn default() -> Self {
        Dossiers {
            return_service: None,
            personal_data_days: default_personal_data_days(),
            announce_every_minutes: default_announce_minutes(),
            announce_times: default_announce_times(),
        }
    }
}

fn default_personal_data_days() -> u32 {
    30
}
fn default_announce_minutes() -> u32 {
    10
}
fn default_announce_times() -> u32 {
    3
}

/// `[upstream]`: where and how to pull dossier status changes.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Upstream {
    /// e.g. `https://motcua.example.gov.vn/api`; changes are read from `{base_url}{changes_path}`.
    pub base_url: String,
    #[serde(default = "default_changes_path")]
    pub changes_path: String,
    /// The header that carries the credential, e.g. `Authorization`.
    #[serde(default)]
    pub auth_header: Option<String>,
    /// The environment variable holding that header's value (kept out of the file).
    #[serde(default)]
    pub auth_env: Option<String>,
    #[serde(default = "default_interval")]
    pub interval_seconds: u64,
    /// How long one request may take before it counts as failed.
    #[serde(default = "default_upstream_timeout")]
    pub timeout_seconds: u64,
    #[serde(default = "default_page_size")]
    pub page_size: u32,
    /// Where each field is in an item (dotted paths); defaults are the proposed shape.
    #[serde(default)]
    pub fields: UpstreamFields,
    /// PEM file with the CA of a province's private network, trusted besides the
    /// system's certificates (relative to the config file).
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}

fn default_changes_path() -> String {
    "/changes".into()
}
fn default_interval() -> u64 {
    60
}
fn default_upstream_timeout() -> u64 {
    20
}
fn default_page_size() -> u32 {
    200
}

/// Dotted paths into the upstream's JSON, so a province can map its own names.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UpstreamFields {
    pub items: String,
    pub cursor: String,
    pub code: String,
    pub procedure_code: String,
    pub procedure_name: String,
    pub citizen_name: String,
    pub phone: String,
    pub consent: String,
    pub received_at: String,
    pub due_at: String,
    pub status: String,
    pub pickup: String,
    pub pickup_counter: String,
    pub apology_new_due: String,
    pub apology_reason: String,
    /// The citizen's ID number: only a keyed hash of its last 4 digits is kept, as
    /// the public lookup's second factor.
    pub id_number: String,
}

impl Default for UpstreamFields {
    fn default() -> Self {
        let s = |v: &str| v.to_owned();
        UpstreamFields {
            items: s("items"),
            cursor: s("cursor"),
            code: s("ma_ho_so"),
            procedure_code: s("ma_tthc"),
            procedure_name: s("ten_tthc"),
            citizen_name: s("chu_ho_so.ho_ten"),
            phone: s("chu_ho_so.so_dien_thoai"),
            consent: s("chu_ho_so.dong_y_nhan_tin"),
            received_at: s("ngay_tiep_nhan"),
            due_at: s("ngay_hen_tra"),
            status: s("trang_thai"),
            pickup: s("noi_tra_ket_qua.quay"),
            pickup_counter: s("noi_tra_ket_qua.so_quay"),
            apology_new_due: s("xin_loi.ngay_hen_moi"),
            apology_reason: s("xin_loi.ly_do"),
            id_number: s("chu_ho_so.so_giay_to"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Kiosk,
    Counter,
    Display,
}

#[derive(Clone, Debug)]
pub struct Token {
    pub token: String,
    pub role: Role,
    pub name: String,
    /// For counter tokens: the one counter it may act on.
    pub counter: Option<CounterId>,
    /// For kiosk tokens: the series of the tickets the kiosk gives out on its own
    /// when it cannot reach the service (`K1` → `A-K1-001`).
    pub series: Option<String>,
    /// How many tickets a minute the device may take, after a burst of half that
    /// (0: no limit). Kiosks and counters 20 unless the config says otherwise.
    pub tickets_per_minute: u32,
}

// ---- the file format -------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    hall: FileHall,
    #[serde(default)]
    services: Vec<FileService>,
    #[serde(default)]
    counters: Vec<FileCounter>,
    #[serde(default)]
    priority_groups: Vec<FilePriorityGroup>,
    #[serde(default)]
    tokens: Vec<FileToken>,
    #[serde(default)]
    dossiers: Dossiers,
    #[serde(default)]
    ratings: Ratings,
    upstream: Option<Upstream>,
    notify: Option<crate::notify::FileNotify>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileToken {
    token: String,
    role: String,
    name: Option<String>,
    counter: Option<CounterId>,
    series: Option<String>,
    tickets_per_minute: Option<u32>,
}

impl Config {
    /// Reads and validates a config file, and the procedure catalogue it names.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: shown.clone(),
            error,
        })?;
        let file = parse_file(&text, &shown)?;
        let catalogue = file.hall.catalogue.clone();
        let mut config = validate(file).map_err(|message| ConfigError::Invalid {
            path: shown.clone(),
            message,
        })?;
        let dir = path.parent().unwrap_or(Path::new("."));
        if let Some(catalogue) = catalogue {
            config.procedures = load_catalogue(&dir.join(catalogue), &config.layout)?;
        }
        // CA files are read now, so a wrong one is said at start, not at the first call.
        let upstream = config.upstream.as_mut().and_then(|u| u.ca_file.as_mut());
        let notify = config
            .notify
            .as_mut()
            .into_iter()
            .flat_map(|n| n.ca_files_mut());
        for ca in upstream.into_iter().chain(notify) {
            *ca = dir.join(&*ca);
            motcua_net::read_ca_file(ca).map_err(|e| ConfigError::Invalid {
                path: shown.clone(),
                message: e.to_string(),
            })?;
        }
        Ok(config)
    }

    /// The built-in sample hall, open at all hours so it can be tried any time.
    pub fn sample() -> Config {
        let mut config =
            Config::parse(SAMPLE_CONFIG, "(built-in sample)").expect("the sample config is valid");
        config.layout = Arc::new(Layout::sample());
        config.tokens.clear();
        config.procedures = catalogue::parse(catalogue::SAMPLE_CATALOGUE, &config.layout)
            .expect("the sample catalogue fits the sample hall");
        config
    }

    pub fn parse(text: &str, path: &str) -> Result<Config, ConfigError> {
        validate(parse_file(text, path)?).map_err(|message| ConfigError::Invalid {
            path: path.to_owned(),
            message,
        })
    }
}

fn parse_file(text: &str, path: &str) -> Result<File, ConfigError> {
    toml::from_str(text).map_err(|e| ConfigError::Parse {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

/// Reads the catalogue file a config names (relative to the config's directory).
pub fn load_catalogue(file: &Path, layout: &Layout) -> Result<Vec<Procedure>, ConfigError> {
    let path = file.display().to_string();
    let text = std::fs::read_to_string(file).map_err(|error| ConfigError::Read {
        path: path.clone(),
        error,
    })?;
    catalogue::parse(&text, layout).map_err(|e| match e {
        CatalogueError::Syntax(message) => ConfigError::Parse { path, message },
        CatalogueError::Invalid(message) => ConfigError::Invalid { path, message },
    })
}

fn validate(file: File) -> Result<Config, String> {
    let layout = Layout::from_sections(
        file.hall,
        file.services,
        file.counters,
        file.priority_groups,
    )?;
    check_printers(&layout)?;
    let tokens = check_tokens(file.tokens, &layout)?;
    let ratings = check_ratings(file.ratings)?;
    let dossiers = check_dossiers(file.dossiers, &layout)?;
    let upstream = file.upstream.map(check_upstream).transpose()?;
    let notify = file.notify.map(crate::notify::check).transpose()?;
    Ok(Config {
        layout: Arc::new(layout),
        tokens,
        procedures: Vec::new(),
        dossiers,
        ratings,
        upstream,
        notify,
    })
}

/// Each counter's receipt printer: a spec the service can open, paper it can print on.
fn check_printers(layout: &Layout) -> Result<(), String> {
    for (i, c) in layout.counters.iter().enumerate() {
        let at = format!("counters[{i}]");
        if let Some(spec) = &c.printer {
            spec.parse::<motcua_hardware::printer::PrinterSpec>()
                .map_err(|e| format!("{at}.printer {spec:?}: {e}"))?;
        }
        motcua_hardware::printer::paper_dots(c.paper_mm)
            .map_err(|e| format!("{at}.paper {}: {e}", c.paper_mm))?;
    }
    Ok(())
}

/// A citizen takes a ticket in a few seconds at best: 20 a minute per device is more
/// than a busy kiosk needs and far fewer than a script would take.
pub const DEFAULT_TICKETS_PER_MINUTE: u32 = 20;

fn check_tokens(list: Vec<FileToken>, layout: &Layout) -> Result<Vec<Token>, String> {
    let mut seen = HashSet::new();
    let mut tokens = Vec::new();
    for (i, t) in list.into_iter().enumerate() {
        let at = format!("tokens[{i}]");
        if t.token.len() < 8 || t.token.chars().any(|c| c.is_whitespace()) {
            return Err(format!(
                "{at}.token must be at least 8 characters with no spaces"
            ));
        }
        if !seen.insert(t.token.clone()) {
            return Err(format!("{at}.token is used twice"));
        }
        let role = match t.role.as_str() {
            "admin" => Role::Admin,
            "kiosk" => Role::Kiosk,
            "counter" => Role::Counter,
            "display" => Role::Display,
            other => {
                return Err(format!(
                    "{at}.role {other:?}: use \"admin\", \"kiosk\", \"counter\" or \"display\""
                ));
            }
        };
        match (role, t.counter) {
            (Role::Counter, None) => {
                return Err(format!("{at}: a counter token needs `counter = N`"));
            }
            (Role::Counter, Some(id)) if layout.counter(id).is_none() => {
                return Err(format!("{at}.counter {id} is not a configured counter"));
            }
            (Role::Counter, _) | (_, None) => {}
            (_, Some(_)) => {
                return Err(format!("{at}: only counter tokens take `counter`"));
            }
        }
        let series = match (role, t.series) {
            (Role::Kiosk, Some(s)) if motcua_core::domain::valid_series(&s) => Some(s),
            (Role::Kiosk, Some(s)) => {
                return Err(format!(
                    "{at}.series {s:?}: use 1 to 3 capital letters and digits, starting with a letter (\"K1\")"
                ));
            }
            // Kiosks not given one are K1, K2, … in the order they are listed.
            (Role::Kiosk, None) => Some(format!(
                "K{}",
                tokens
                    .iter()
                    .filter(|t: &&Token| t.role == Role::Kiosk)
                    .count()
                    + 1
            )),
            (_, None) => None,
            (_, Some(_)) => return Err(format!("{at}: only kiosk tokens take `series`")),
        };
        if let Some(s) = &series
            && tokens.iter().any(|t: &Token| t.series.as_ref() == Some(s))
        {
            return Err(format!(
                "{at}.series {s:?} is another kiosk's: each kiosk numbers its own tickets in a series of its own"
            ));
        }
        let tickets_per_minute = match (role, t.tickets_per_minute) {
            (Role::Kiosk | Role::Counter, n) => n.unwrap_or(DEFAULT_TICKETS_PER_MINUTE),
            (_, None) => 0,
            (_, Some(_)) => {
                return Err(format!(
                    "{at}: only kiosk and counter tokens take `tickets_per_minute`"
                ));
            }
        };
        tokens.push(Token {
            tickets_per_minute,
            series: series.clone(),
            // Staff read this name on the counter page; the board shows a device's.
            name: t.name.unwrap_or_else(|| match (role, t.counter) {
                (Role::Counter, Some(id)) => format!("Cán bộ quầy {id}"),
                (Role::Admin, _) => "Quản trị".to_owned(),
                // The series it numbers its own tickets in, so staff can tell.
                (Role::Kiosk, _) => format!("Kiosk {}", series.as_deref().unwrap_or("")),
                _ => format!("Màn hình {}", i + 1),
            }),
            token: t.token,
            role,
            counter: t.counter,
        });
    }
    Ok(tokens)
}

fn check_ratings(mut ratings: Ratings) -> Result<Ratings, String> {
    for r in &mut ratings.reasons {
        *r = r.trim().to_owned();
        if r.is_empty() || r.chars().count() > MAX_REASON_CHARS {
            return Err(format!(
                "ratings.reasons: {r:?} must be 1 to {MAX_REASON_CHARS} characters"
            ));
        }
    }
    if ratings.reasons.len() > 6 {
        return Err("ratings.reasons: at most 6 (each is a button)".into());
    }
    Ok(ratings)
}

fn check_dossiers(dossiers: Dossiers, layout: &Layout) -> Result<Dossiers, String> {
    if let Some(code) = &dossiers.return_service
        && layout.service(code).is_none()
    {
        return Err(format!(
            "dossiers.return_service {code:?} is not one of the [[services]]"
        ));
    }
    if dossiers.announce_every_minutes == 0 {
        return Err("dossiers.announce_every_minutes must be at least 1".into());
    }
    Ok(dossiers)
}

fn check_upstream(u: Upstream) -> Result<Upstream, String> {
    check_url(&u.base_url, "upstream.base_url")?;
    if u.interval_seconds < 1 {
        return Err(
            "upstream.interval_seconds must be at least 1: never flood the province's system"
                .into(),
        );
    }
    if !(1..=300).contains(&u.timeout_seconds) {
        return Err("upstream.timeout_seconds must be 1 to 300".into());
    }
    if !(1..=1000).contains(&u.page_size) {
        return Err("upstream.page_size must be 1 to 1000".into());
    }
    Ok(u)
}

pub(crate) fn check_url(url: &str, at: &str) -> Result<(), String> {
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        _ => Err(format!("{at} {url:?} is not an http(s) address")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_config_is_valid_and_describes_every_section() {
        let c = Config::parse(SAMPLE_CONFIG, "sample").unwrap();
        assert!(c.layout.services.len() >= 6);
        assert!(
            !c.tokens.is_empty(),
            "the sample shows how tokens are written"
        );
        assert!(c.dossiers.return_service.is_some());
        assert!(!c.ratings.reasons.is_empty());
    }

    #[test]
    fn built_in_hall_is_the_sample_layout_without_tokens() {
        let c = Config::sample();
        assert!(c.layout.services.iter().all(|s| s.hours.is_always()));
        assert!(
            c.tokens.is_empty(),
            "the built-in hall must not carry known tokens"
        );
        assert!(!c.procedures.is_empty(), "the sample catalogue is built in");
    }

    #[test]
    fn a_missing_file_is_said_once() {
        let err = Config::load(Path::new("/nonexistent/motcua/hall.toml")).unwrap_err();
        // As `motcua` prints it: the error and its causes.
        let said = format!("{:#}", anyhow::Error::from(err));
        assert_eq!(
            said,
            "cannot read config file /nonexistent/motcua/hall.toml: \
             No such file or directory (os error 2)"
        );
    }

    fn invalid(text: &str) -> String {
        match Config::parse(text, "test.toml") {
            Err(e) => e.to_string(),
            Ok(_) => panic!("accepted: {text}"),
        }
    }

    #[test]
    fn mistakes_are_named() {
        let base = "[hall]\nname = \"X\"\n";
        let svc = "[[services]]\ncode = \"HT\"\nprefix = \"A\"\nname = { vi = \"Hộ tịch\" }\n";
        assert!(invalid(base).contains("no [[services]]"));
        assert!(invalid(&format!("{base}{svc}{svc}")).contains("used twice"));
        assert!(
            invalid(&format!(
                "{base}{svc}[[counters]]\nid = 1\nservices = [\"XX\"]\n"
            ))
            .contains("\"XX\", which is not a service code")
        );
        assert!(
            invalid(&format!("{base}sessions = [\"7h30-11h\"]\n{svc}")).contains("HH:MM-HH:MM")
        );
        assert!(invalid("[hall]\nname = \"X\"\ntime_zone = \"Hanoi\"\n").contains("IANA"));
        assert!(invalid(&format!("{base}colour = 1\n{svc}")).contains("colour"));
        assert!(
            invalid(&format!(
                "{base}{svc}[[tokens]]\ntoken = \"abcdefgh\"\nrole = \"counter\"\n"
            ))
            .contains("needs `counter = N`")
        );
    }

    #[test]
    fn each_kiosk_has_a_series_of_its_own() {
        let base = "[hall]\nname = \"X\"\n[[services]]\ncode = \"HT\"\nprefix = \"A\"\nname = { vi = \"Hộ tịch\" }\n";
        let kiosk = |token: &str, series: Option<&str>| {
            let series = series.map_or(String::new(), |s| format!("series = \"{s}\"\n"));
            format!("[[tokens]]\ntoken = \"{token}\"\nrole = \"kiosk\"\n{series}")
        };
        let text = format!(
            "{base}{}{}{}",
            kiosk("kiosk-aaaa", None),
            kiosk("kiosk-bbbb", Some("KX")),
            kiosk("kiosk-cccc", None)
        );
        let c = Config::parse(&text, "test.toml").unwrap();
        let series: Vec<_> = c.tokens.iter().map(|t| t.series.as_deref()).collect();
        assert_eq!(series, [Some("K1"), Some("KX"), Some("K3")]);
        assert!(
            invalid(&format!("{base}{}", kiosk("kiosk-aaaa", Some("k-1")))).contains("capital")
        );
        assert!(
            invalid(&format!(
                "{base}{}{}",
                kiosk("kiosk-aaaa", None),
                kiosk("kiosk-bbbb", Some("K1"))
            ))
            .contains("another kiosk's")
        );
        assert!(
            invalid(&format!(
                "{base}[[tokens]]\ntoken = \"abcdefgh\"\nrole = \"admin\"\nseries = \"K1\"\n"
            ))
            .contains("only kiosk tokens")
        );
    }
}
