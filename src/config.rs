//! The hall's configuration: one TOML file with the hall, its services (lines),
//! counters, priority groups and device tokens. Without a file the service runs the
//! built-in sample hall (the documented sample config, open at all hours).

use std::collections::HashSet;
use std::path::Path;

use chrono::{DateTime, Datelike, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use serde::Deserialize;

use crate::domain::{CounterId, Localized};

/// The documented sample config; also the built-in hall when no config is given.
pub const SAMPLE_CONFIG: &str = include_str!("../assets/config/hall.sample.toml");

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid TOML for motcua: {message}")]
    Parse { path: String, message: String },
    #[error("config file {path}: {message}")]
    Invalid { path: String, message: String },
}

/// Everything the hall service needs to know about its hall.
#[derive(Clone, Debug)]
pub struct Config {
    pub hall: Hall,
    pub services: Vec<Service>,
    pub counters: Vec<Counter>,
    pub priority_groups: Vec<PriorityGroup>,
    pub tokens: Vec<Token>,
    /// Procedures citizens can browse at the kiosk (empty: the kiosk offers none).
    pub procedures: Vec<crate::catalogue::Procedure>,
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

/// `[notify]`: an HTTP webhook of an SMS or Zalo gateway.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notify {
    pub webhook_url: String,
    #[serde(default)]
    pub auth_header: Option<String>,
    #[serde(default)]
    pub auth_env: Option<String>,
    /// The message; `{code}`, `{place}`, `{hall}` and `{procedure}` are filled in.
    /// Without diacritics by default: one SMS holds 160 such characters, 70 with them.
    #[serde(default = "default_template")]
    pub template: String,
    /// Take the diacritics off the filled-in words too (default true, for SMS).
    #[serde(default = "yes")]
    pub plain_ascii: bool,
    /// The first retry waits this long; each next one twice as long, up to an hour.
    #[serde(default = "default_retry")]
    pub retry_seconds: u64,
    /// Messages for other statuses a dossier reaches, by status name
    /// (`needs_documents`, `needs_payment`, `returned`, `cancelled`…), same fields;
    /// also `due_soon` (a reminder before the promised time, `{due}`) and
    /// `overdue_apology` (when a late dossier gets a new date, `{new_due}`).
    #[serde(default)]
    pub templates: std::collections::BTreeMap<String, String>,
    /// `due_soon` goes this many hours before the promised time (default 3).
    #[serde(default = "default_due_soon_hours")]
    pub due_soon_hours: u32,
    /// Messages go only from the first hour until before the second, local time
    /// (default `[7, 21]`; `[0, 24]` = any time): one written at night waits for the
    /// morning, and a reminder whose window falls in the night is not sent.
    #[serde(default = "default_send_hours")]
    pub send_hours: [u32; 2],
}

fn default_due_soon_hours() -> u32 {
    3
}

fn default_send_hours() -> [u32; 2] {
    [7, 21]
}

fn default_retry() -> u64 {
    10
}

fn default_template() -> String {
    "Ho so {code} da co ket qua. Moi ong/ba den {place} nhan, mang theo giay hen. {hall}".into()
}

#[derive(Clone, Debug)]
pub struct Hall {
    pub name: String,
    pub time_zone: Tz,
    /// A called ticket may be recalled this many times; one more recall marks it a no-show.
    pub max_recalls: u32,
    /// The line that scrolls along the bottom of the waiting-room display.
    pub notice: String,
}

#[derive(Clone, Debug)]
pub struct Service {
    pub code: String,
    pub prefix: String,
    pub name: Localized,
    pub hours: Hours,
    pub daily_limit: Option<u32>,
    /// Used for wait estimates until the day has its own finished tickets.
    pub avg_service_secs: u32,
}

/// When a line issues tickets: sessions on working days, or all hours.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hours {
    pub sessions: Vec<(NaiveTime, NaiveTime)>,
    pub days: Vec<Weekday>,
}

impl Hours {
    pub fn always() -> Self {
        Hours {
            sessions: Vec::new(),
            days: Vec::new(),
        }
    }

    pub fn is_always(&self) -> bool {
        self.sessions.is_empty()
    }

    pub fn is_open(&self, now: DateTime<Utc>, tz: Tz) -> bool {
        if self.sessions.is_empty() {
            return true;
        }
        let local = now.with_timezone(&tz);
        if !self.days.is_empty() && !self.days.contains(&local.weekday()) {
            return false;
        }
        let t = local.time();
        self.sessions.iter().any(|(from, to)| *from <= t && t < *to)
    }

    /// "07:30–11:30, 13:30–17:00" for messages and screens.
    pub fn describe(&self) -> String {
        self.sessions
            .iter()
            .map(|(a, b)| format!("{}–{}", a.format("%H:%M"), b.format("%H:%M")))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Sessions and working days in Vietnamese ("07:30–11:30, 13:30–17:00, thứ Hai – thứ Sáu")
    /// or English, for what a citizen is told.
    pub fn describe_in(&self, vietnamese: bool) -> String {
        if self.is_always() {
            return if vietnamese {
                "cả ngày".into()
            } else {
                "all day".into()
            };
        }
        let name = |d: Weekday| {
            const VI: [&str; 7] = [
                "thứ Hai",
                "thứ Ba",
                "thứ Tư",
                "thứ Năm",
                "thứ Sáu",
                "thứ Bảy",
                "Chủ nhật",
            ];
            const EN: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
            let i = d.num_days_from_monday() as usize;
            if vietnamese { VI[i] } else { EN[i] }
        };
        let mut days = self.days.clone();
        days.sort_by_key(|d| d.num_days_from_monday());
        days.dedup();
        let sessions = self.describe();
        if days.is_empty() || days.len() == 7 {
            return sessions;
        }
        let contiguous = days
            .windows(2)
            .all(|w| w[1].num_days_from_monday() == w[0].num_days_from_monday() + 1);
        let days = if contiguous && days.len() > 2 {
            format!("{} – {}", name(days[0]), name(days[days.len() - 1]))
        } else {
            days.iter().map(|d| name(*d)).collect::<Vec<_>>().join(", ")
        };
        format!("{sessions}, {days}")
    }
}

#[derive(Clone, Debug)]
pub struct Counter {
    pub id: CounterId,
    pub name: String,
    pub services: Vec<String>,
    /// Open when the service first starts with an empty data dir.
    pub initially_open: bool,
    /// The counter's receipt printer (`tcp:HOST:9100`, `usb:…`, `sim:DIR`), if it has one.
    pub printer: Option<String>,
    /// That printer's paper width in millimetres (58 or 80).
    pub paper_mm: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PriorityGroup {
    pub code: String,
    pub name: Localized,
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
    notify: Option<Notify>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileHall {
    name: String,
    #[serde(default = "default_tz")]
    time_zone: String,
    #[serde(default = "default_max_recalls")]
    max_recalls: u32,
    #[serde(default)]
    sessions: Vec<String>,
    #[serde(default)]
    days: Vec<String>,
    /// Procedure catalogue file, relative to the config file.
    catalogue: Option<String>,
    #[serde(default)]
    notice: String,
}

fn default_tz() -> String {
    "Asia/Ho_Chi_Minh".into()
}

fn default_max_recalls() -> u32 {
    3
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileService {
    code: String,
    prefix: String,
    name: Localized,
    sessions: Option<Vec<String>>,
    days: Option<Vec<String>>,
    daily_limit: Option<u32>,
    #[serde(default = "default_avg_minutes")]
    avg_service_minutes: f64,
}

fn default_avg_minutes() -> f64 {
    5.0
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileCounter {
    id: CounterId,
    name: Option<String>,
    services: Vec<String>,
    #[serde(default = "yes")]
    open: bool,
    printer: Option<String>,
    #[serde(default = "default_paper")]
    paper: u32,
}

fn default_paper() -> u32 {
    80
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FilePriorityGroup {
    code: String,
    name: Localized,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileToken {
    token: String,
    role: String,
    name: Option<String>,
    counter: Option<CounterId>,
}

impl Config {
    /// Reads and validates a config file, and the procedure catalogue it names.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: shown.clone(),
            source,
        })?;
        let mut config = Config::parse(&text, &shown)?;
        let file: File = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        if let Some(catalogue) = file.hall.catalogue {
            let dir = path.parent().unwrap_or(Path::new("."));
            config.procedures = crate::catalogue::load(&dir.join(catalogue), &config)?;
        }
        Ok(config)
    }

    /// The built-in sample hall, open at all hours so it can be tried any time.
    pub fn sample() -> Config {
        let mut config =
            Config::parse(SAMPLE_CONFIG, "(built-in sample)").expect("the sample config is valid");
        for service in &mut config.services {
            service.hours = Hours::always();
        }
        config.tokens.clear();
        config.procedures = crate::catalogue::parse(
            crate::catalogue::SAMPLE_CATALOGUE,
            "(built-in catalogue)",
            &config,
        )
        .expect("the sample catalogue fits the sample hall");
        config
    }

    pub fn parse(text: &str, path: &str) -> Result<Config, ConfigError> {
        let file: File = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        validate(file).map_err(|message| ConfigError::Invalid {
            path: path.to_owned(),
            message,
        })
    }

    pub fn service(&self, code: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.code == code)
    }

    pub fn counter(&self, id: CounterId) -> Option<&Counter> {
        self.counters.iter().find(|c| c.id == id)
    }

    pub fn priority_group(&self, code: &str) -> Option<&PriorityGroup> {
        self.priority_groups.iter().find(|g| g.code == code)
    }
}

fn validate(file: File) -> Result<Config, String> {
    let name = file.hall.name.trim().to_owned();
    if name.is_empty() {
        return Err("hall.name is empty; give the hall's name as citizens know it".into());
    }
    let time_zone: Tz = file.hall.time_zone.parse().map_err(|_| {
        format!(
            "hall.time_zone {:?} is not an IANA time zone name (e.g. \"Asia/Ho_Chi_Minh\")",
            file.hall.time_zone
        )
    })?;
    let hall_sessions = parse_sessions(&file.hall.sessions, "hall.sessions")?;
    let hall_days = parse_days(&file.hall.days, "hall.days")?;

    if file.services.is_empty() {
        return Err("no [[services]]: a hall needs at least one line to issue tickets for".into());
    }
    let mut codes = HashSet::new();
    let mut prefixes = HashSet::new();
    let mut services = Vec::new();
    for (i, s) in file.services.into_iter().enumerate() {
        let at = format!("services[{i}]");
        if !is_code(&s.code) {
            return Err(format!(
                "{at}.code {:?}: use 1–16 letters, digits, '-' or '_' (e.g. \"HT\")",
                s.code
            ));
        }
        if !codes.insert(s.code.clone()) {
            return Err(format!("{at}.code {:?} is used twice", s.code));
        }
        if s.prefix.is_empty()
            || s.prefix.chars().count() > 3
            || !s.prefix.chars().all(|c| c.is_ascii_alphanumeric())
        {
            return Err(format!(
                "{at}.prefix {:?}: use 1–3 letters or digits (e.g. \"A\")",
                s.prefix
            ));
        }
        if !prefixes.insert(s.prefix.clone()) {
            return Err(format!(
                "{at}.prefix {:?} is used by two services; ticket numbers would collide",
                s.prefix
            ));
        }
        if s.name.vi.trim().is_empty() {
            return Err(format!("{at}.name.vi is empty"));
        }
        let sessions = match &s.sessions {
            Some(list) => parse_sessions(list, &format!("{at}.sessions"))?,
            None => hall_sessions.clone(),
        };
        let days = match &s.days {
            Some(list) => parse_days(list, &format!("{at}.days"))?,
            None => hall_days.clone(),
        };
        if s.daily_limit == Some(0) {
            return Err(format!("{at}.daily_limit is 0; leave it out for no limit"));
        }
        if !(0.25..=480.0).contains(&s.avg_service_minutes) {
            return Err(format!(
                "{at}.avg_service_minutes {} is not between 0.25 and 480",
                s.avg_service_minutes
            ));
        }
        services.push(Service {
            code: s.code,
            prefix: s.prefix,
            name: s.name,
            hours: Hours { sessions, days },
            daily_limit: s.daily_limit,
            avg_service_secs: (s.avg_service_minutes * 60.0).round() as u32,
        });
    }

    let mut ids = HashSet::new();
    let mut counters = Vec::new();
    for (i, c) in file.counters.into_iter().enumerate() {
        let at = format!("counters[{i}]");
        if c.id == 0 {
            return Err(format!("{at}.id is 0; counters are numbered from 1"));
        }
        if !ids.insert(c.id) {
            return Err(format!("{at}.id {} is used twice", c.id));
        }
        if c.services.is_empty() {
            return Err(format!("{at} (counter {}) serves no services", c.id));
        }
        for code in &c.services {
            if !codes.contains(code) {
                return Err(format!(
                    "{at} (counter {}) serves {code:?}, which is not a service code",
                    c.id
                ));
            }
        }
        if let Some(spec) = &c.printer {
            spec.parse::<motcua_hardware::printer::PrinterSpec>()
                .map_err(|e| format!("{at}.printer {spec:?}: {e}"))?;
        }
        motcua_hardware::printer::paper_dots(c.paper)
            .map_err(|e| format!("{at}.paper {}: {e}", c.paper))?;
        counters.push(Counter {
            id: c.id,
            name: c.name.unwrap_or_else(|| format!("Quầy {}", c.id)),
            services: c.services,
            initially_open: c.open,
            printer: c.printer,
            paper_mm: c.paper,
        });
    }

    let mut groups = HashSet::new();
    let mut priority_groups = Vec::new();
    for (i, g) in file.priority_groups.into_iter().enumerate() {
        if !is_code(&g.code) {
            return Err(format!(
                "priority_groups[{i}].code {:?} is not a simple code",
                g.code
            ));
        }
        if !groups.insert(g.code.clone()) {
            return Err(format!(
                "priority_groups[{i}].code {:?} is used twice",
                g.code
            ));
        }
        priority_groups.push(PriorityGroup {
            code: g.code,
            name: g.name,
        });
    }

    let mut seen = HashSet::new();
    let mut tokens = Vec::new();
    for (i, t) in file.tokens.into_iter().enumerate() {
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
            (Role::Counter, Some(id)) if !ids.contains(&id) => {
                return Err(format!("{at}.counter {id} is not a configured counter"));
            }
            (Role::Counter, _) | (_, None) => {}
            (_, Some(_)) => {
                return Err(format!("{at}: only counter tokens take `counter`"));
            }
        }
        tokens.push(Token {
            // Staff read this name on the counter page; the board shows a device's.
            name: t.name.unwrap_or_else(|| match (role, t.counter) {
                (Role::Counter, Some(id)) => format!("Cán bộ quầy {id}"),
                (Role::Admin, _) => "Quản trị".to_owned(),
                (Role::Kiosk, _) => format!("Kiosk {}", i + 1),
                _ => format!("Màn hình {}", i + 1),
            }),
            token: t.token,
            role,
            counter: t.counter,
        });
    }

    let mut ratings = file.ratings;
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
    let dossiers = file.dossiers;
    if let Some(code) = &dossiers.return_service
        && !services.iter().any(|s| &s.code == code)
    {
        return Err(format!(
            "dossiers.return_service {code:?} is not one of the [[services]]"
        ));
    }
    if dossiers.announce_every_minutes == 0 {
        return Err("dossiers.announce_every_minutes must be at least 1".into());
    }
    let upstream = file.upstream;
    if let Some(u) = &upstream {
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
    }
    let notify = file.notify;
    if let Some(n) = &notify {
        check_url(&n.webhook_url, "notify.webhook_url")?;
        if n.template.trim().is_empty() {
            return Err("notify.template is empty".into());
        }
        if !(1..=3600).contains(&n.retry_seconds) {
            return Err("notify.retry_seconds must be 1 to 3600".into());
        }
        if !(1..=72).contains(&n.due_soon_hours) {
            return Err("notify.due_soon_hours must be 1 to 72".into());
        }
        if !(n.send_hours[0] < n.send_hours[1] && n.send_hours[1] <= 24) {
            return Err(
                "notify.send_hours must be [from, until] hours with from < until ≤ 24, \
                 e.g. [7, 21]"
                    .into(),
            );
        }
        for (status, template) in &n.templates {
            let event = [crate::notify::DUE_SOON, crate::notify::OVERDUE_APOLOGY]
                .contains(&status.as_str());
            if crate::dossier::DossierStatus::parse(status).is_none() && !event {
                return Err(format!(
                    "notify.templates.{status}: not a dossier status (received, in_progress, \
                     needs_documents, needs_payment, result_ready, returned, cancelled) \
                     nor due_soon or overdue_apology"
                ));
            }
            if template.trim().is_empty() {
                return Err(format!("notify.templates.{status} is empty"));
            }
        }
    }
    Ok(Config {
        hall: Hall {
            name,
            time_zone,
            max_recalls: file.hall.max_recalls,
            notice: file.hall.notice.trim().to_owned(),
        },
        services,
        counters,
        priority_groups,
        tokens,
        procedures: Vec::new(),
        dossiers,
        ratings,
        upstream,
        notify,
    })
}

fn check_url(url: &str, at: &str) -> Result<(), String> {
    match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        _ => Err(format!("{at} {url:?} is not an http(s) address")),
    }
}

fn is_code(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 16
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn parse_sessions(list: &[String], at: &str) -> Result<Vec<(NaiveTime, NaiveTime)>, String> {
    let mut out: Vec<(NaiveTime, NaiveTime)> = Vec::new();
    for (i, s) in list.iter().enumerate() {
        let bad =
            || format!("{at}[{i}] {s:?}: write a session as \"HH:MM-HH:MM\", e.g. \"07:30-11:30\"");
        let (a, b) = s.split_once('-').ok_or_else(bad)?;
        let from = NaiveTime::parse_from_str(a.trim(), "%H:%M").map_err(|_| bad())?;
        let to = NaiveTime::parse_from_str(b.trim(), "%H:%M").map_err(|_| bad())?;
        if from >= to {
            return Err(format!("{at}[{i}] {s:?} ends before it starts"));
        }
        out.push((from, to));
    }
    Ok(out)
}

fn parse_days(list: &[String], at: &str) -> Result<Vec<Weekday>, String> {
    list.iter()
        .enumerate()
        .map(|(i, d)| {
            d.parse::<Weekday>().map_err(|_| {
                format!("{at}[{i}] {d:?} is not a weekday; use \"mon\", \"tue\", … \"sun\"")
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn sample_config_is_valid_and_has_sessions() {
        let c = Config::parse(SAMPLE_CONFIG, "sample").unwrap();
        assert!(c.services.len() >= 6);
        assert!(c.services.iter().all(|s| !s.hours.is_always()));
        assert!(c.counters.iter().any(|k| k.services.len() > 1));
    }

    #[test]
    fn built_in_hall_is_open_at_night() {
        let c = Config::sample();
        let midnight = Tz::Asia__Ho_Chi_Minh
            .with_ymd_and_hms(2026, 11, 22, 23, 59, 0)
            .unwrap()
            .with_timezone(&Utc);
        assert!(
            c.services
                .iter()
                .all(|s| s.hours.is_open(midnight, c.hall.time_zone))
        );
        assert!(
            c.tokens.is_empty(),
            "the built-in hall must not carry known tokens"
        );
    }

    #[test]
    fn sessions_follow_local_time_and_weekdays() {
        let c = Config::parse(SAMPLE_CONFIG, "sample").unwrap();
        let tz = c.hall.time_zone;
        let hours = &c.services[0].hours;
        let at = |d, h, m| {
            tz.with_ymd_and_hms(2026, 11, d, h, m, 0)
                .unwrap()
                .with_timezone(&Utc)
        };
        // Tuesday 24 November 2026.
        assert!(hours.is_open(at(24, 7, 30), tz));
        assert!(!hours.is_open(at(24, 7, 29), tz));
        assert!(!hours.is_open(at(24, 12, 0), tz));
        assert!(hours.is_open(at(24, 14, 0), tz));
        // Sunday.
        assert!(!hours.is_open(at(22, 9, 0), tz));
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
}
