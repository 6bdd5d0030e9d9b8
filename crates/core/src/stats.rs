//! What a hall manager reports: tickets issued and served, no-shows, waiting and
//! service times, and the citizens' satisfaction, per line and per counter, for a day
//! or a range of days. Worked out from the stored tickets; nothing personal in it.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::{CounterId, Localized, Satisfaction, Ticket, TicketStatus};
use crate::layout::Layout;

/// Counts and averages for one line, one counter, or the whole hall.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Figures {
    pub issued: u32,
    /// Finished at a counter.
    pub served: u32,
    pub no_show: u32,
    /// Still open when their day ended.
    pub expired: u32,
    /// Waiting or at a counter now (only today has any).
    pub open: u32,
    /// Mean seconds from issue to first call, over called tickets; null without any.
    pub avg_wait_s: Option<u64>,
    /// Mean seconds from start (or call, when staff did not press start) to finish.
    pub avg_service_s: Option<u64>,
    /// Ratings given, per level.
    pub ratings: BTreeMap<Satisfaction, u32>,
    pub rated: u32,
    /// Share of rated tickets per level, in percent with one decimal; empty without ratings.
    pub satisfaction_percent: BTreeMap<Satisfaction, f64>,
    /// Why citizens were not satisfied: ratings per reason given (the hall's
    /// `[ratings] reasons`; any other words count as "Khác").
    pub reasons: BTreeMap<String, u32>,
}

/// The reason a rating's own words are counted under when the hall does not offer them.
pub const OTHER_REASON: &str = "Khác";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LineFigures {
    pub service: String,
    pub name: Localized,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CounterFigures {
    pub counter: CounterId,
    pub name: String,
    #[serde(flatten)]
    pub figures: Figures,
}

/// `GET /api/v1/stats`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Stats {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub from: NaiveDate,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub to: NaiveDate,
    pub hall: Figures,
    /// Per line the ticket was issued for.
    pub services: Vec<LineFigures>,
    /// Per counter that served, called or lost the ticket.
    pub counters: Vec<CounterFigures>,
    /// The reasons counted, in the hall's order, then "Khác".
    pub reason_names: Vec<String>,
}

#[derive(Default)]
struct Tally {
    figures: Figures,
    wait_sum: i64,
    waits: i64,
    service_sum: i64,
    services: i64,
}

impl Tally {
    fn add(&mut self, t: &Ticket, reason: Option<&str>) {
        let f = &mut self.figures;
        if let Some(r) = reason {
            *f.reasons.entry(r.to_owned()).or_default() += 1;
        }
        f.issued += 1;
        match t.status {
            TicketStatus::Done => f.served += 1,
            TicketStatus::NoShow => f.no_show += 1,
            TicketStatus::Expired => f.expired += 1,
            TicketStatus::Waiting | TicketStatus::Called | TicketStatus::Serving => f.open += 1,
        }
        if let Some(called) = t.called_at {
            self.wait_sum += (called - t.issued_at).num_seconds().max(0);
            self.waits += 1;
        }
        if t.status == TicketStatus::Done
            && let (Some(begun), Some(end)) = (t.started_at.or(t.called_at), t.finished_at)
        {
            self.service_sum += (end - begun).num_seconds().max(0);
            self.services += 1;
        }
        if let Some(r) = &t.rating {
            *f.ratings.entry(r.level).or_default() += 1;
            f.rated += 1;
        }
    }

    fn finish(mut self) -> Figures {
        let mean = |sum: i64, n: i64| (n > 0).then(|| ((sum as f64) / (n as f64)).round() as u64);
        self.figures.avg_wait_s = mean(self.wait_sum, self.waits);
        self.figures.avg_service_s = mean(self.service_sum, self.services);
        let rated = self.figures.rated;
        if rated > 0 {
            for level in Satisfaction::ALL {
                let n = self.figures.ratings.get(&level).copied().unwrap_or(0);
                self.figures.ratings.insert(level, n);
                let percent = (f64::from(n) * 1000.0 / f64::from(rated)).round() / 10.0;
                self.figures.satisfaction_percent.insert(level, percent);
            }
        }
        self.figures
    }
}

/// The figures for tickets issued on `from..=to`, in the layout's order of lines and
/// counters (and any line or counter no longer configured after them). `offered` are
/// the reasons the hall offers a citizen who was not satisfied; any other is "Khác".
pub fn compute(
    layout: &Layout,
    offered: &[String],
    from: NaiveDate,
    to: NaiveDate,
    tickets: &[Ticket],
) -> Stats {
    let mut hall = Tally::default();
    let mut lines: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut counters: BTreeMap<CounterId, Tally> = BTreeMap::new();
    for t in tickets.iter().filter(|t| (from..=to).contains(&t.day)) {
        let reason = t
            .rating
            .as_ref()
            .and_then(|r| r.reason.as_deref())
            .map(|r| match offered.iter().find(|o| o.as_str() == r.trim()) {
                Some(o) => o.as_str(),
                None => OTHER_REASON,
            });
        hall.add(t, reason);
        lines.entry(&t.issued_service).or_default().add(t, reason);
        if let Some(c) = t.counter {
            counters.entry(c).or_default().add(t, reason);
        }
    }
    let mut services: Vec<LineFigures> = layout
        .services
        .iter()
        .map(|s| LineFigures {
            service: s.code.clone(),
            name: s.name.clone(),
            figures: lines.remove(s.code.as_str()).unwrap_or_default().finish(),
        })
        .collect();
    services.extend(lines.into_iter().map(|(code, tally)| LineFigures {
        service: code.to_owned(),
        name: Localized {
            vi: code.to_owned(),
            en: None,
        },
        figures: tally.finish(),
    }));
    let mut per_counter: Vec<CounterFigures> = layout
        .counters
        .iter()
        .map(|c| CounterFigures {
            counter: c.id,
            name: c.name.clone(),
            figures: counters.remove(&c.id).unwrap_or_default().finish(),
        })
        .collect();
    per_counter.extend(counters.into_iter().map(|(id, tally)| CounterFigures {
        counter: id,
        name: format!("Quầy {id}"),
        figures: tally.finish(),
    }));
    Stats {
        from,
        to,
        hall: hall.finish(),
        services,
        counters: per_counter,
        reason_names: offered
            .iter()
            .cloned()
            .chain(std::iter::once(OTHER_REASON.to_owned()))
            .collect(),
    }
}

/// The statistics as CSV for a spreadsheet, in the words and units of the counter
/// page (Vietnamese, minutes with one decimal): one row for the hall, then one per
/// line and per counter. UTF-8 with a byte-order mark, so Excel shows Vietnamese right.
pub fn to_csv(s: &Stats) -> String {
    let mut out = String::from("\u{feff}");
    out.push_str(
        "Từ ngày,Đến ngày,Phạm vi,Mã,Tên,Cấp số,Đã phục vụ,Vắng,Hết hạn,Còn chờ,\
         Chờ TB (phút),Phục vụ TB (phút),Đánh giá",
    );
    for level in Satisfaction::ALL {
        out.push(',');
        out.push_str(&level.label().vi);
    }
    for level in Satisfaction::ALL {
        out.push_str(&format!(",{} (%)", level.label().vi));
    }
    for reason in &s.reason_names {
        out.push(',');
        out.push_str(&csv_field(&format!("lý do: {reason}")));
    }
    out.push_str("\r\n");
    let minutes = |secs: Option<u64>| {
        secs.map(|v| format!("{:.1}", v as f64 / 60.0))
            .unwrap_or_default()
    };
    let mut row = |scope: &str, code: &str, name: &str, f: &Figures| {
        out.push_str(&format!(
            "{},{},{scope},{},{},{},{},{},{},{},{},{},{}",
            s.from.format("%d/%m/%Y"),
            s.to.format("%d/%m/%Y"),
            csv_field(code),
            csv_field(name),
            f.issued,
            f.served,
            f.no_show,
            f.expired,
            f.open,
            minutes(f.avg_wait_s),
            minutes(f.avg_service_s),
            f.rated
        ));
        for level in Satisfaction::ALL {
            out.push_str(&format!(",{}", f.ratings.get(&level).copied().unwrap_or(0)));
        }
        for level in Satisfaction::ALL {
            match f.satisfaction_percent.get(&level) {
                Some(p) => out.push_str(&format!(",{p:.1}")),
                None => out.push(','),
            }
        }
        for reason in &s.reason_names {
            out.push_str(&format!(",{}", f.reasons.get(reason).copied().unwrap_or(0)));
        }
        out.push_str("\r\n");
    };
    row("Toàn sảnh", "", "", &s.hall);
    for l in &s.services {
        row("Lĩnh vực", &l.service, &l.name.vi, &l.figures);
    }
    for c in &s.counters {
        row("Quầy", &c.counter.to_string(), &c.name, &c.figures);
    }
    out
}

/// Quotes a field when it holds a comma, a quote or a line break; a leading `=`, `+`,
/// `-` or `@` is defused so a spreadsheet does not run it as a formula.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::{Duration, TimeZone, Utc};

    use super::*;
    use crate::domain::RatingSource;
    use crate::queue::{Command, Queue};

    fn run(q: &mut Queue, cmd: Command, at: chrono::DateTime<Utc>) {
        q.execute(&cmd, at).unwrap();
    }

    #[test]
    fn a_morning_adds_up() {
        let config = Arc::new(Layout::sample());
        let reasons = ["Chờ lâu".to_owned(), "Thái độ cán bộ".to_owned()];
        let t0 = chrono_tz::Asia::Ho_Chi_Minh
            .with_ymd_and_hms(2026, 11, 24, 8, 0, 0)
            .unwrap()
            .with_timezone(&Utc);
        let mut q = Queue::new(config.clone(), t0);
        let issue = |service: &str| Command::Issue {
            service: service.into(),
            priority: None,
        };
        for _ in 0..3 {
            run(&mut q, issue("HT"), t0);
        }
        run(&mut q, issue("CT"), t0);
        let counter = config.counters[0].id;
        let ht = &config.counters[0].services[0];
        assert_eq!(ht, "HT", "the sample's first counter serves Hộ tịch");
        // First: called after 10 min, served for 5 (start pressed), rated very satisfied.
        let m = |n: i64| t0 + Duration::minutes(n);
        run(&mut q, Command::Call { counter }, m(10));
        run(&mut q, Command::Start { counter }, m(11));
        run(&mut q, Command::Finish { counter }, m(16));
        let rate = |level| Command::Rate {
            ticket: None,
            counter: Some(counter),
            level,
            reason: None,
            source: RatingSource::Pad,
        };
        run(&mut q, rate(Satisfaction::VerySatisfied), m(16));
        // Second: called after 20 min, no start pressed, finished 3 min after the call.
        run(&mut q, Command::Call { counter }, m(20));
        run(&mut q, Command::Finish { counter }, m(23));
        run(&mut q, rate(Satisfaction::Unsatisfied), m(24));
        // Third: called after 30 min, nobody came.
        run(&mut q, Command::Call { counter }, m(30));
        run(&mut q, Command::NoShow { counter }, m(31));

        let tickets: Vec<Ticket> = q.tickets().cloned().collect();
        let day = q.day();
        let s = compute(&config, &reasons, day, day, &tickets);
        assert_eq!(s.hall.issued, 4);
        assert_eq!(s.hall.served, 2);
        assert_eq!(s.hall.no_show, 1);
        assert_eq!(s.hall.open, 1);
        assert_eq!(s.hall.avg_wait_s, Some(20 * 60));
        assert_eq!(s.hall.avg_service_s, Some(4 * 60));
        assert_eq!(s.hall.rated, 2);
        assert_eq!(
            s.hall.satisfaction_percent[&Satisfaction::VerySatisfied],
            50.0
        );
        assert_eq!(s.hall.satisfaction_percent[&Satisfaction::Neutral], 0.0);
        let ht_line = s.services.iter().find(|l| l.service == "HT").unwrap();
        assert_eq!(ht_line.figures.issued, 3);
        let ct_line = s.services.iter().find(|l| l.service == "CT").unwrap();
        assert_eq!((ct_line.figures.issued, ct_line.figures.open), (1, 1));
        let c = s.counters.iter().find(|c| c.counter == counter).unwrap();
        assert_eq!((c.figures.served, c.figures.no_show), (2, 1));
        // Another day's range holds none of it.
        let other = day + Duration::days(1);
        assert_eq!(
            compute(&config, &reasons, other, other, &tickets)
                .hall
                .issued,
            0
        );

        let csv = to_csv(&s);
        let mut lines = csv.lines();
        let header = lines.next().unwrap();
        assert!(header.starts_with("\u{feff}Từ ngày,Đến ngày,Phạm vi"));
        let hall_row = lines.next().unwrap();
        // 1,200 s waited and 240 s served on average: 20.0 and 4.0 minutes.
        assert!(
            hall_row.contains(",Toàn sảnh,,,4,2,1,0,1,20.0,4.0,2,1,0,0,1,50.0,0.0,0.0,50.0"),
            "{hall_row}"
        );
        assert!(csv.contains(",Lĩnh vực,HT,Hộ tịch,3,"), "{csv}");
        assert_eq!(
            csv.lines().count(),
            1 + 1 + config.services.len() + config.counters.len()
        );
    }

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("Quầy 1, tầng 2"), "\"Quầy 1, tầng 2\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("Hộ tịch"), "Hộ tịch");
    }
}
