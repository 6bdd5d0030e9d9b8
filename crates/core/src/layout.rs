//! The hall's layout: its name and time zone, the lines that issue tickets and their
//! hours, the counters and the lines each calls from, and the priority groups. This is
//! all the queue engine knows of a hall; tokens, gateways and the rest of the service's
//! configuration stay in the service.
//!
//! The `[hall]`, `[[services]]`, `[[counters]]` and `[[priority_groups]]` sections of the
//! hall's TOML file are read and checked here, one function per section.

use std::collections::HashSet;

use chrono::{DateTime, Datelike, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use serde::Deserialize;

use crate::domain::{CounterId, Localized};

/// The documented sample config; also the built-in hall when no config is given.
pub const SAMPLE_CONFIG: &str = include_str!("../../../assets/config/hall.sample.toml");

/// Everything the queue engine needs to know about a hall.
#[derive(Clone, Debug)]
pub struct Layout {
    pub hall: HallInfo,
    pub services: Vec<Service>,
    pub counters: Vec<Counter>,
    pub priority_groups: Vec<PriorityGroup>,
}

/// The hall itself, as `[hall]` describes it.
#[derive(Clone, Debug)]
pub struct HallInfo {
    pub name: String,
    pub time_zone: Tz,
    /// A called ticket may be recalled this many times; one more recall marks it a no-show.
    pub max_recalls: u32,
    /// The line that scrolls along the bottom of the waiting-room display.
    pub notice: String,
}

/// A line: a service field citizens take tickets for.
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

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PriorityGroup {
    pub code: String,
    pub name: Localized,
}

impl Layout {
    pub fn service(&self, code: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.code == code)
    }

    pub fn counter(&self, id: CounterId) -> Option<&Counter> {
        self.counters.iter().find(|c| c.id == id)
    }

    pub fn priority_group(&self, code: &str) -> Option<&PriorityGroup> {
        self.priority_groups.iter().find(|g| g.code == code)
    }

    /// Reads and checks the layout sections of a hall's TOML text; other sections
    /// are left to whoever reads the rest of the file.
    pub fn parse(text: &str) -> Result<Layout, String> {
        let file: LayoutFile = toml::from_str(text).map_err(|e| e.to_string())?;
        Layout::from_sections(
            file.hall,
            file.services,
            file.counters,
            file.priority_groups,
        )
    }

    /// The sample hall of `assets/config/hall.sample.toml`, open at all hours so it
    /// can be tried (and tested) any time.
    pub fn sample() -> Layout {
        let mut layout = Layout::parse(SAMPLE_CONFIG).expect("the sample config is valid");
        for service in &mut layout.services {
            service.hours = Hours::always();
        }
        layout
    }

    /// Checks each section and puts the hall together.
    pub fn from_sections(
        hall: FileHall,
        services: Vec<FileService>,
        counters: Vec<FileCounter>,
        priority_groups: Vec<FilePriorityGroup>,
    ) -> Result<Layout, String> {
        let (hall, default_hours) = check_hall(hall)?;
        let services = check_services(services, &default_hours)?;
        let counters = check_counters(counters, &services)?;
        let priority_groups = check_priority_groups(priority_groups)?;
        Ok(Layout {
            hall,
            services,
            counters,
            priority_groups,
        })
    }
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

// ---- the file's sections -----------------------------------------------------

/// The layout's sections of a hall file, other sections ignored.
#[derive(Deserialize)]
struct LayoutFile {
    hall: FileHall,
    #[serde(default)]
    services: Vec<FileService>,
    #[serde(default)]
    counters: Vec<FileCounter>,
    #[serde(default)]
    priority_groups: Vec<FilePriorityGroup>,
}

/// `[hall]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileHall {
    pub name: String,
    #[serde(default = "default_tz")]
    pub time_zone: String,
    #[serde(default = "default_max_recalls")]
    pub max_recalls: u32,
    #[serde(default)]
    pub sessions: Vec<String>,
    #[serde(default)]
    pub days: Vec<String>,
    /// Procedure catalogue file, relative to the config file (read by the service).
    pub catalogue: Option<String>,
    #[serde(default)]
    pub notice: String,
}

fn default_tz() -> String {
    "Asia/Ho_Chi_Minh".into()
}

fn default_max_recalls() -> u32 {
    3
}

/// `[[services]]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileService {
    pub code: String,
    pub prefix: String,
    pub name: Localized,
    pub sessions: Option<Vec<String>>,
    pub days: Option<Vec<String>>,
    pub daily_limit: Option<u32>,
    #[serde(default = "default_avg_minutes")]
    pub avg_service_minutes: f64,
}

fn default_avg_minutes() -> f64 {
    5.0
}

/// `[[counters]]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileCounter {
    pub id: CounterId,
    pub name: Option<String>,
    pub services: Vec<String>,
    #[serde(default = "yes")]
    pub open: bool,
    pub printer: Option<String>,
    #[serde(default = "default_paper")]
    pub paper: u32,
}

fn default_paper() -> u32 {
    80
}

fn yes() -> bool {
    true
}

/// `[[priority_groups]]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilePriorityGroup {
    pub code: String,
    pub name: Localized,
}

/// `[hall]`: its name and time zone, and the hours its lines keep unless they say otherwise.
fn check_hall(file: FileHall) -> Result<(HallInfo, Hours), String> {
    let name = file.name.trim().to_owned();
    if name.is_empty() {
        return Err("hall.name is empty; give the hall's name as citizens know it".into());
    }
    let time_zone: Tz = file.time_zone.parse().map_err(|_| {
        format!(
            "hall.time_zone {:?} is not an IANA time zone name (e.g. \"Asia/Ho_Chi_Minh\")",
            file.time_zone
        )
    })?;
    let hours = Hours {
        sessions: parse_sessions(&file.sessions, "hall.sessions")?,
        days: parse_days(&file.days, "hall.days")?,
    };
    let hall = HallInfo {
        name,
        time_zone,
        max_recalls: file.max_recalls,
        notice: file.notice.trim().to_owned(),
    };
    Ok((hall, hours))
}

fn check_services(list: Vec<FileService>, hall_hours: &Hours) -> Result<Vec<Service>, String> {
    if list.is_empty() {
        return Err("no [[services]]: a hall needs at least one line to issue tickets for".into());
    }
    let mut codes = HashSet::new();
    let mut prefixes = HashSet::new();
    let mut services = Vec::new();
    for (i, s) in list.into_iter().enumerate() {
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
            None => hall_hours.sessions.clone(),
        };
        let days = match &s.days {
            Some(list) => parse_days(list, &format!("{at}.days"))?,
            None => hall_hours.days.clone(),
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
    Ok(services)
}

/// `[[counters]]`. A counter's printer is checked by the service, which prints on it.
fn check_counters(list: Vec<FileCounter>, services: &[Service]) -> Result<Vec<Counter>, String> {
    let mut ids = HashSet::new();
    let mut counters = Vec::new();
    for (i, c) in list.into_iter().enumerate() {
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
            if !services.iter().any(|s| &s.code == code) {
                return Err(format!(
                    "{at} (counter {}) serves {code:?}, which is not a service code",
                    c.id
                ));
            }
        }
        counters.push(Counter {
            id: c.id,
            name: c.name.unwrap_or_else(|| format!("Quầy {}", c.id)),
            services: c.services,
            initially_open: c.open,
            printer: c.printer,
            paper_mm: c.paper,
        });
    }
    Ok(counters)
}

fn check_priority_groups(list: Vec<FilePriorityGroup>) -> Result<Vec<PriorityGroup>, String> {
    let mut groups = HashSet::new();
    let mut priority_groups = Vec::new();
    for (i, g) in list.into_iter().enumerate() {
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
    Ok(priority_groups)
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
    fn sample_hall_has_sessions_and_shared_counters() {
        let l = Layout::parse(SAMPLE_CONFIG).unwrap();
        assert!(l.services.len() >= 6);
        assert!(l.services.iter().all(|s| !s.hours.is_always()));
        assert!(l.counters.iter().any(|k| k.services.len() > 1));
    }

    #[test]
    fn built_in_hall_is_open_at_night() {
        let l = Layout::sample();
        let midnight = Tz::Asia__Ho_Chi_Minh
            .with_ymd_and_hms(2026, 11, 22, 23, 59, 0)
            .unwrap()
            .with_timezone(&Utc);
        assert!(
            l.services
                .iter()
                .all(|s| s.hours.is_open(midnight, l.hall.time_zone))
        );
    }

    #[test]
    fn sessions_follow_local_time_and_weekdays() {
        let l = Layout::parse(SAMPLE_CONFIG).unwrap();
        let tz = l.hall.time_zone;
        let hours = &l.services[0].hours;
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
}
